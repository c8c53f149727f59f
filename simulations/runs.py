"""Simulation runs started from the web page: checked when submitted, run as a background job.

A run is a scenario (one of the shipped ones under ``simulations/scenarios/`` or TOML text), the pacers to
compare, a number of seeds and hours, and optional overrides for the questions a team lead asks before
going live: "with my 12 agents", "at 18% connect", "with 4-minute calls". ``build`` turns a request into a
``Scenario`` or raises ``ValueError`` with a sentence a person can act on; the job runs the days, reports
progress, writes the plot and the calls CSV into its folder and returns the comparison rows.
"""

from __future__ import annotations

import shutil
import time
import tomllib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from simulations.campaign_sim.batch import days_of, run_days, write_outputs
from simulations.campaign_sim.compare import aggregate, write_csv
from simulations.campaign_sim.metrics import summarize
from simulations.campaign_sim.scenario import PacerSpec, Scenario, scenario_from_dict

SHIPPED_DIR = Path(__file__).resolve().parent / "scenarios"
PACERS = ("predictive", "progressive", "power", "vicidial")
MAX_SEEDS = 5
MAX_HOURS = 12.0
MAX_AGENTS = 500
KEEP_S = 7 * 86_400.0            # as long as rq keeps the job's result
PLOT_NAME = "day.png"
CSV_NAME = "calls.csv"


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What the form asks for; ``None`` overrides keep the scenario's own values."""

    scenario_toml: str
    pacers: tuple[str, ...]
    seeds: int = 1
    hours: float = 8.0
    agents: int | None = None
    connect_pct: float | None = None
    talk_s: float | None = None


def shipped() -> list[tuple[str, str]]:
    """(file stem, campaign name) of every shipped scenario, by name."""
    found = []
    for path in sorted(SHIPPED_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            name = str(tomllib.load(fh).get("campaign", {}).get("name", path.stem))
        found.append((path.stem, name))
    return sorted(found, key=lambda item: item[1])


def shipped_toml(stem: str) -> str:
    """The text of a shipped scenario; ``ValueError`` for a name that is not one."""
    if stem not in {s for s, _ in shipped()}:
        raise ValueError(f"unknown scenario {stem!r}")
    return (SHIPPED_DIR / f"{stem}.toml").read_text(encoding="utf-8")


def build(request: RunRequest) -> Scenario:
    """The scenario to run, with the request's overrides; ``ValueError`` says what is wrong."""
    try:
        data = tomllib.loads(request.scenario_toml)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"the scenario is not valid TOML: {exc}") from exc
    if not request.pacers:
        raise ValueError("choose at least one pacer")
    unknown = [p for p in request.pacers if p not in PACERS]
    if unknown:
        raise ValueError(f"unknown pacer {unknown[0]!r}: choose from {', '.join(PACERS)}")
    if not 1 <= request.seeds <= MAX_SEEDS:
        raise ValueError(f"seeds must be between 1 and {MAX_SEEDS}")
    if not 0 < request.hours <= MAX_HOURS:
        raise ValueError(f"hours must be more than 0 and at most {MAX_HOURS:g}")
    changed = []
    if request.agents is not None:
        changed.append(f"{request.agents} agents")
        if not 1 <= request.agents <= MAX_AGENTS:
            raise ValueError(f"agents must be between 1 and {MAX_AGENTS}")
        data["agents"] = {"count": request.agents}
    customers = dict(data.get("customers", {}))
    if request.connect_pct is not None:
        if not 0 < request.connect_pct <= 100:
            raise ValueError("the connect rate must be more than 0% and at most 100%")
        customers["connect_rate"] = request.connect_pct / 100.0
        changed.append(f"{request.connect_pct:g}% connect")
        customers.pop("connect_rate_end", None)
    if request.talk_s is not None:
        if not 5 <= request.talk_s <= 7200:
            raise ValueError("the mean talk time must be between 5 and 7200 seconds")
        customers["talk_mean_s"] = request.talk_s
        changed.append(f"{request.talk_s:g} s talk")
    data["customers"] = customers
    try:
        scenario = scenario_from_dict(data)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"the scenario does not describe a campaign: {exc}") from exc
    specs = tuple(PacerSpec(p, p) for p in request.pacers)
    name = f"{scenario.name}, changed to {', '.join(changed)}" if changed else scenario.name
    return replace(scenario, name=name, pacers=specs, seeds=tuple(range(1, request.seeds + 1)),
                   duration_s=request.hours * 3600.0)


def simulate_job(*, out_dir: str, request: RunRequest) -> dict[str, Any]:
    """Background job: run the request, write ``day.png`` and ``calls.csv`` into ``out_dir``."""
    from dialer.jobs import report_progress

    scenario = build(request)
    total = days_of(scenario)

    def day(done: int, spec: PacerSpec, seed: int) -> None:
        report_progress(done, total, f"{spec.label}, day {seed} of {len(scenario.seeds)} (run {done + 1} of {total})")

    results = run_days(scenario, day)
    out = Path(out_dir)
    write_outputs(scenario, results, out, PLOT_NAME)
    write_csv(results, out / CSV_NAME)
    rows = aggregate([summarize(r) for r in results])
    report_progress(total, total, "done")
    days, n_pacers = len(scenario.seeds), len(scenario.pacers)    # a day per seed, for each pacer
    return {
        "summary": f"{days} simulated day{'s' if days != 1 else ''} of {request.hours:g} h for each of "
                   f"{n_pacers} pacer{'s' if n_pacers != 1 else ''}: {scenario.name}",
        "days": days, "pacers": n_pacers, "hours": request.hours,
        "scenario": scenario.name,
        "rows": [asdict(r) for r in rows],
    }


def prune(folder: Path, *, keep_s: float = KEEP_S, now: float | None = None) -> int:
    """Delete run folders under ``folder`` last written more than ``keep_s`` ago; returns how many."""
    now = time.time() if now is None else now
    removed = 0
    for run in folder.glob("*") if folder.is_dir() else ():
        if run.is_dir() and now - run.stat().st_mtime > keep_s:
            shutil.rmtree(run, ignore_errors=True)
            removed += 1
    return removed
