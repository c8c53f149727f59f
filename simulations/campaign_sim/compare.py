"""Run scenarios against several pacers and seeds, and report: comparison table, CSV of records, PNG plots.

Plots use matplotlib's headless Agg backend; progress goes through a caller-supplied tqdm bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialer.safe_export import csv_writer
from pacing import make_pacer
from simulations.campaign_sim.engine import simulate
from simulations.campaign_sim.metrics import Summary, hourly
from simulations.campaign_sim.records import CALL_COLUMNS, SimResult, call_row
from simulations.campaign_sim.scenario import PacerSpec, Scenario


@dataclass(frozen=True, slots=True)
class Row:
    """Mean figures of one pacer on one scenario over its seeds (worst values for abandonment)."""

    scenario: str
    pacer: str
    seeds: int
    abandon_mean: float
    abandon_max: float
    worst_hour: float
    occupancy: float
    talk_min_per_hour: float
    connects_per_hour: float
    idle_s: float


def run_one(scenario: Scenario, spec: PacerSpec, seed: int,
            on_progress: Callable[[float], None] | None = None) -> SimResult:
    """One run of ``spec`` on ``scenario`` with ``seed``."""
    options = spec.kwargs()
    if spec.name == "vicidial":
        options.setdefault("day_length_s", scenario.duration_s)
    pacer = make_pacer(spec.name, **options)
    return simulate(scenario, pacer, seed, pacer_label=spec.label, on_progress=on_progress)


def aggregate(summaries: Sequence[Summary]) -> list[Row]:
    """Group summaries by (scenario, pacer) and average over seeds."""
    groups: dict[tuple[str, str], list[Summary]] = {}
    for s in summaries:
        groups.setdefault((s.scenario, s.pacer), []).append(s)
    rows = []
    for (scen, pacer), items in groups.items():
        rows.append(Row(
            scenario=scen, pacer=pacer, seeds=len(items),
            abandon_mean=float(np.mean([s.abandon_rate for s in items])),
            abandon_max=float(np.max([s.abandon_rate for s in items])),
            worst_hour=float(np.max([s.worst_hour_rate for s in items])),
            occupancy=float(np.mean([s.occupancy for s in items])),
            talk_min_per_hour=float(np.mean([s.talk_min_per_agent_hour for s in items])),
            connects_per_hour=float(np.mean([s.connects_per_hour for s in items])),
            idle_s=float(np.mean([s.idle_s_between_calls for s in items])),
        ))
    return rows


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table: scenario x pacer with abandonment, worst hour, occupancy and talk minutes."""
    head = (f"{'scenario':34s} {'pacer':18s} {'seeds':>5s} {'aband':>7s} {'max':>7s} {'worst h':>8s} "
            f"{'occup':>7s} {'talk/h':>7s} {'conn/h':>7s} {'idle s':>7s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.scenario[:34]:34s} {r.pacer[:18]:18s} {r.seeds:5d} {r.abandon_mean:7.2%} "
                     f"{r.abandon_max:7.2%} {r.worst_hour:8.2%} {r.occupancy:7.1%} {r.talk_min_per_hour:7.1f} "
                     f"{r.connects_per_hour:7.0f} {r.idle_s:7.1f}")
    return "\n".join(lines)


def write_csv(results: Sequence[SimResult], path: Path) -> None:
    """All call records of ``results`` in one CSV, prefixed by scenario, pacer and seed."""
    with path.open("w", newline="") as fh:
        writer = csv_writer(fh)  # cells a spreadsheet would run as formulas are quoted
        writer.writerow(("scenario", "pacer", "seed") + CALL_COLUMNS)
        for res in results:
            for rec in res.calls:
                writer.writerow((res.scenario, res.pacer, res.seed) + call_row(rec))


def plot_day(results: Sequence[SimResult], path: Path, title: str) -> None:
    """PNG with abandonment and occupancy per hour of the day, one line per pacer (mean over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_pacer: dict[str, list[dict[str, np.ndarray]]] = {}
    for res in results:
        by_pacer.setdefault(res.pacer, []).append(hourly(res))
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for pacer, series in by_pacer.items():
        hours = series[0]["start_s"] / 3600.0
        ax1.plot(hours, 100 * np.mean([s["abandon_rate"] for s in series], axis=0), marker="o", label=pacer)
        ax2.plot(hours, 100 * np.mean([s["occupancy"] for s in series], axis=0), marker="o", label=pacer)
    ax1.axhline(3.0, color="red", linestyle="--", linewidth=1, label="3% cap")
    ax1.set_ylabel("abandoned, % of live answers")
    ax2.set_ylabel("occupancy, %")
    ax2.set_xlabel("hour of the day")
    ax1.set_title(title)
    ax1.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
