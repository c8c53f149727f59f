"""``dialer simulate SCENARIO.toml ...``: compare pacers on simulated campaign days.

Prints a table (scenario x pacer: abandonment, worst hour, occupancy, talk minutes per agent hour),
writes one PNG per scenario (abandonment and occupancy over the day per pacer) and a CSV of every call.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dialer.errors import SettingsError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("simulate", help="compare pacers on simulated campaign days")
    parser.add_argument("scenarios", nargs="+", help="scenario TOML files (see simulations/scenarios/)")
    parser.add_argument("--pacers", help="comma-separated pacer names, overriding the scenario's list")
    parser.add_argument("--seeds", type=int, help="number of seeds (1..N), overriding the scenario's")
    parser.add_argument("--hours", type=float, help="simulated hours, overriding the scenario's")
    parser.add_argument("--out", default="simulation-out", help="folder for PNG plots and the CSV")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from tqdm import tqdm

    from simulations.campaign_sim.batch import days_of, run_days, write_outputs
    from simulations.campaign_sim.compare import aggregate, format_table, write_csv
    from simulations.campaign_sim.metrics import summarize
    from simulations.campaign_sim.scenario import PacerSpec, load_scenario

    try:
        scenarios = [load_scenario(p) for p in args.scenarios]
    except (OSError, ValueError, KeyError) as exc:
        raise SettingsError(f"cannot load scenario: {exc}") from exc
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.pacers:
        specs = tuple(PacerSpec(n.strip(), n.strip()) for n in args.pacers.split(",") if n.strip())
        scenarios = [replace(s, pacers=specs) for s in scenarios]
    if args.seeds:
        scenarios = [replace(s, seeds=tuple(range(1, args.seeds + 1))) for s in scenarios]
    if args.hours:
        scenarios = [replace(s, duration_s=args.hours * 3600.0) for s in scenarios]
    results = []
    with tqdm(total=sum(days_of(s) for s in scenarios), desc="simulating", unit="day",
              disable=args.no_progress) as bar:
        for scen in scenarios:
            def day(done: int, spec: PacerSpec, seed: int, name: str = scen.name) -> None:
                if done:
                    bar.update(1)
                bar.set_postfix_str(f"{name[:20]} / {spec.label} / seed {seed}")

            scen_results = run_days(scen, day)
            bar.update(1)
            write_outputs(scen, scen_results, out)
            results.extend(scen_results)
    print(format_table(aggregate([summarize(r) for r in results])))
    write_csv(results, out / "calls.csv")
    print(f"plots and calls.csv written to {out}/")
    return 0
