"""Run every pacer and seed of a scenario and write what people look at: the day plot and the calls CSV.

Shared by ``dialer simulate`` (progress bar in the terminal) and the web page's background job (progress
bar in the browser); ``on_day`` is told before each simulated day starts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from simulations.campaign_sim.compare import plot_day, run_one
from simulations.campaign_sim.records import SimResult
from simulations.campaign_sim.scenario import PacerSpec, Scenario


def days_of(scenario: Scenario) -> int:
    """How many simulated days ``run_days`` runs."""
    return len(scenario.pacers) * len(scenario.seeds)


def run_days(scenario: Scenario, on_day: Callable[[int, PacerSpec, int], None] | None = None) -> list[SimResult]:
    """One simulated day per pacer and seed; ``on_day(done, spec, seed)`` before each."""
    results = []
    for spec in scenario.pacers:
        for seed in scenario.seeds:
            if on_day is not None:
                on_day(len(results), spec, seed)
            results.append(run_one(scenario, spec, seed))
    return results


def slug(name: str) -> str:
    """A file name for a scenario's plot."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "scenario"


def write_outputs(scenario: Scenario, results: Sequence[SimResult], out: Path,
                  file_name: str | None = None) -> Path:
    """The scenario's PNG (abandonment and occupancy per hour, per pacer), named after the scenario unless
    ``file_name`` is given; returns its path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / (file_name or f"{slug(scenario.name)}.png")
    plot_day(results, path, scenario.name)
    return path
