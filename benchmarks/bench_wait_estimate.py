"""The estimated wait's measured error per queue (issue 15): mean absolute error and p90, in seconds.

    .venv/bin/python benchmarks/bench_wait_estimate.py [--minutes 20 --agents 8 --speed 50 --seed 11]

The engine on the simulated PBX over TCP, on accelerated time, with the two queues of the blended end-to-end test
(``tests/dialer/blended_team.py``: a VIP line, 120 callers an hour, and a hotline, 360 an hour; talk 50 s
lognormal, patience 60-90 s) served by ``--agents`` virtual agents and no outbound calls (their campaign has no
lead), so the agents are busy most of the time and most callers wait. Each caller's wait is estimated as it joins
(``dialer.wait_model``) and measured when an agent answers it; the figures printed are the engine's own
(``Engine.wait_errors``, what the wallboard shows) and the same computed from the call records
(``call_records.wait_error_s``, what the per-interval queue report reads), with the mean signed error (the
estimate's bias: positive when callers waited longer than estimated) and, for scale, the MAE of two naive
estimates: always 0 s, and the running average of the last 20 answered waits. PostgreSQL and Valkey are the embedded ones
in a temporary data directory. About 45 s on the shared 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from campaigns.model import DialMode
from dialer.clock import RealClock
from dialer.runtime import open_services
from dialer.settings import load_settings
from dialer.system import run_system
from simulations.call_model import LogNormal
from simulations.pbx import PbxConfig
from simulations.pbx.inbound_traffic import InboundTraffic
from simulations.virtual_agents import VirtualAgents
from tests.dialer.blended_team import OUTBOUND, blended_queues, inbound_settled
from tests.dialer.conftest import build
from tests.dialer.test_blended_e2e import STREAMS


def p90(values: list[float]) -> float:
    """As the engine computes it (``WaitErrors.stats``: numpy's linear quantile)."""
    return float(np.quantile(np.asarray(values, dtype=np.float64), 0.9)) if values else math.nan


def baselines(answered: list[tuple[float, float]]) -> tuple[float, float]:
    """MAE of two naive estimates over the answered callers, in arrival order: always 0 s, and the running
    average of the last 20 answered callers' waits (known at the caller's arrival only if answered before it;
    taken as known here, which flatters it)."""
    zero = sum(w for _, w in answered) / len(answered) if answered else math.nan
    errors = []
    for i, (_, waited) in enumerate(answered):
        earlier = [w for _, w in answered[max(0, i - 20):i]]
        errors.append(abs(waited - (sum(earlier) / len(earlier) if earlier else 0.0)))
    return zero, (sum(errors) / len(errors) if errors else math.nan)


async def main(minutes: float, agents: int, speed: float, seed: int) -> None:
    from collections import Counter

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-wait-") as data:
        settings = load_settings(None, data_dir=Path(data), mode="development", speed=speed)
        async with open_services(settings, bootstrap_admin=False, pool_size=20,
                                 clock=RealClock(speed=speed)) as services:
            pool = services.pool
            team = await build(pool, leads=0, agents=agents, now=services.clock.now(), dnc_share=0.0,
                               outside_share=0.0, mode=DialMode.PREDICTIVE, seed=seed)
            vip, main_queue = await blended_queues(pool, team.agent_ids)
            queues = {vip.id: vip.name, main_queue.id: main_queue.name}
            async with run_system(services, sim_config=PbxConfig(speed=speed, seed=seed, customer_model=OUTBOUND),
                                  engine_id="bench-wait", tick_s=0.5) as system:
                engine, sim = system.engine, system.sim
                assert sim is not None
                agent_task = asyncio.create_task(VirtualAgents(engine, team.agent_ids, team.campaign.id, seed=seed,
                                                               wrap=LogNormal(4.0, 0.3)).run())
                traffic = InboundTraffic(sim, STREAMS, duration_s=minutes * 60.0, seed=seed)
                try:
                    deadline = time.monotonic() + 60
                    while sum(1 for a in team.agent_ids if engine.agent_state(a)["state"] != "logged_out") < agents:
                        assert time.monotonic() < deadline, "the agents did not sign in"
                        await asyncio.sleep(0.1)
                    traffic.start()
                    deadline = time.monotonic() + minutes * 60.0 / speed + 60
                    while not (traffic.done and await inbound_settled(pool, Counter(
                            (c.arrival.caller, c.arrival.did) for c in traffic.injected))):
                        assert time.monotonic() < deadline, "inbound callers left unsettled"
                        await asyncio.sleep(0.5)
                    engine_stats = {q: engine.wait_errors.stats(q) for q in queues}
                finally:
                    await traffic.stop()
                    agent_task.cancel()
                    await asyncio.gather(agent_task, return_exceptions=True)
                assert engine.errors == [], engine.errors
            rows = await pool.fetch("SELECT queue_id, outcome, waited_s, estimated_wait_s, wait_error_s"
                                    " FROM call_records WHERE direction = 'inbound' ORDER BY originated_at, id")
    wall = time.monotonic() - started
    print(f"estimated-wait error, {minutes:g} simulated min at {speed:g}x, {agents} agents, seed {seed} "
          f"({wall:.0f} s wall)")
    print(f"{'queue':<10} {'callers':>7} {'answered':>8} {'mean wait':>9} {'MAE s':>6} {'p90 s':>6} "
          f"{'bias s':>6} | engine's own: callers MAE p90 | MAE of 'always 0', of a running average")
    for queue_id, name in queues.items():
        mine = [r for r in rows if r["queue_id"] == queue_id]
        errors = [float(r["wait_error_s"]) for r in mine if r["wait_error_s"] is not None]
        answered = [r for r in mine if r["outcome"] == "handled"]
        mean_wait = sum(float(r["waited_s"] or 0) for r in answered) / len(answered) if answered else math.nan
        mae = sum(abs(e) for e in errors) / len(errors) if errors else math.nan
        bias = sum(errors) / len(errors) if errors else math.nan
        own = engine_stats[queue_id]
        zero, running = baselines([(0.0, float(r["waited_s"] or 0)) for r in answered])
        print(f"{name:<10} {len(mine):>7} {len(answered):>8} {mean_wait:>9.1f} {mae:>6.1f} "
              f"{p90([abs(e) for e in errors]):>6.1f} {bias:>+6.1f} | {own.callers:>5} {own.mae_s:5.1f} "
              f"{own.p90_abs_s:5.1f} | {zero:5.1f} {running:5.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="simulated minutes of inbound traffic")
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--speed", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    asyncio.run(main(args.minutes, args.agents, args.speed, args.seed))
