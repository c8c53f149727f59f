"""Simulator speed: CPU seconds for one 8-hour day of 100 agents (25% connect) per pacer.

Run: ``.venv/bin/python benchmarks/bench_pacing_speed.py``. CPU time (``time.process_time``) is reported
next to wall time because the machine may be shared.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pacing import make_pacer  # noqa: E402
from simulations.campaign_sim.engine import simulate  # noqa: E402
from simulations.campaign_sim.scenario import load_scenario  # noqa: E402


def main() -> int:
    folder = Path(__file__).resolve().parents[1] / "simulations" / "scenarios"
    scen = replace(load_scenario(folder / "agents100_connect25.toml"), duration_s=8 * 3600.0)
    for name in ("progressive", "vicidial", "predictive"):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        res = simulate(scen, make_pacer(name), 1)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        print(f"{name:12s} {len(res.calls):6d} calls, {res.decisions} decisions: "
              f"{cpu:5.1f} s CPU, {wall:5.1f} s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
