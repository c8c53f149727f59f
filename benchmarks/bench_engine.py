"""One engine process, many virtual agents, the simulated PBX in its own process, at real speed.

Prints the time from "customer known to be a person" to "customer in the agent's conference" (p50, p99,
max), calls per state, abandonment, and the engine process's CPU per agent.

    .venv/bin/python benchmarks/bench_engine.py --agents 1000 --minutes 10

The simulated PBX runs as ``dialer pbx-sim`` in a child process; PostgreSQL and Valkey are the embedded
ones in a temporary data directory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from campaigns import repository as campaigns_repo  # noqa: E402
from campaigns.model import Campaign, CampaignState, DialMode, Pacing  # noqa: E402
from campaigns.windows import WindowProfile, every_day  # noqa: E402
from dialer import users  # noqa: E402
from dialer.runtime import open_services  # noqa: E402
from dialer.settings import load_settings  # noqa: E402
from dialer.system import run_system  # noqa: E402
from dialer.users import Role  # noqa: E402
from simulations.virtual_agents import VirtualAgents  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def setup(pool, *, agents: int, leads: int) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    campaign = await campaigns_repo.create_campaign(pool, campaign=Campaign(
        id=0, name="bench", trunk_template="Local/{digits}@carrier", dial_mode=DialMode.PREDICTIVE,
        pacing=Pacing(target_abandon=0.03), window_profile="custom",
        custom_window=WindowProfile("custom", every_day((0, 1440)))))
    await pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, timezones) SELECT $1, '+1555' || lpad(i::text, 7, '0'),"
        " ARRAY['UTC'] FROM generate_series(1, $2) i", campaign.id, leads)
    ids = []
    for i in range(agents):
        user = await users.create_user(pool, username=f"bench-{i}", password="bench-password", role=Role.AGENT)
        ids.append(user.id)
    async with pool.acquire() as conn:
        await campaigns_repo.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=ids)
        await campaigns_repo.set_campaign_state(conn, campaign_id=campaign.id, target=CampaignState.RUNNING)
    return campaign.id, ids


async def main(args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="dialer-bench-"))
    port = free_port()
    pbx = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dialer.cli", "pbx-sim", "--port", str(port), "--speed", "1", "--seed", "1",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, cwd=ROOT)
    await asyncio.sleep(2.0)
    servers = [{"name": "sim", "host": "127.0.0.1", "port": port, "username": "dialer", "secret": "dialer-secret",
                "max_channels": args.lines}]
    settings = load_settings(None, data_dir=data, mode="development", ami_servers=servers)
    try:
        async with open_services(settings, bootstrap_admin=False, pool_size=20) as services:
            print(f"setting up {args.agents} agents and {args.leads} leads ...", flush=True)
            campaign_id, agent_ids = await setup(services.pool, agents=args.agents, leads=args.leads)
            async with run_system(services, engine_id="bench") as system:
                agents = VirtualAgents(system.engine, agent_ids, campaign_id, seed=3)
                task = asyncio.create_task(agents.run())
                cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
                end = wall0 + args.minutes * 60
                while time.monotonic() < end:
                    await asyncio.sleep(30)
                    state = system.engine.live_state()
                    print(f"{time.monotonic() - wall0:5.0f} s  agents {state['agents']}  in flight "
                          f"{state['calls_in_flight']}  outcomes {state['outcomes']}", flush=True)
                cpu1, wall1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
                waits = list(system.engine.board.answer_to_agent_s)
                state = system.engine.live_state()
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    finally:
        pbx.terminate()
        await pbx.wait()
    cpu_s = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    wall_s = wall1 - wall0
    handled = state["outcomes"].get("handled", 0)
    abandoned = state["outcomes"].get("abandoned", 0)
    result = {
        "agents": args.agents, "minutes": args.minutes, "connected_calls_measured": len(waits),
        "answer_to_agent_ms": {"p50": round(1000 * percentile(waits, 0.5), 1) if waits else None,
                               "p99": round(1000 * percentile(waits, 0.99), 1) if waits else None,
                               "max": round(1000 * max(waits), 1) if waits else None,
                               "mean": round(1000 * statistics.fmean(waits), 1) if waits else None},
        "handled": handled, "abandoned": abandoned,
        "abandon_rate": round(abandoned / (handled + abandoned), 4) if handled + abandoned else None,
        "engine_cpu_s": round(cpu_s, 1), "engine_cpu_share": round(cpu_s / wall_s, 3),
        "cpu_ms_per_agent_per_s": round(1000 * cpu_s / wall_s / args.agents, 3),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--leads", type=int, default=60000)
    parser.add_argument("--lines", type=int, default=3000)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    asyncio.run(main(parser.parse_args()))
