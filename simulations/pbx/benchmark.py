"""Benchmark: the simulated PBX and a panoramisk client (the AMI library of ``dialer.ami``) in one process,
so on one core: AMI events per second the client parses, and calls held up at the same time.

    .venv/bin/python -m simulations.pbx.benchmark --calls 3000 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass

from panoramisk import Manager

from simulations.pbx.channels import Activity
from simulations.pbx.config import PbxConfig
from simulations.pbx.server import SimulatedPbx


@dataclass(frozen=True, slots=True)
class BenchmarkResult:
    """What one run measured (rates over the measuring window, after a warm-up)."""

    concurrent_calls: int  # customer legs held up at once (CoreShowChannels / 2: Local pairs)
    channels_listed: int  # CoreShowChannel events received for them
    events: int  # events the client parsed in the window
    window_s: float
    events_per_s: float
    cpu_per_wall: float  # process CPU time / wall time in the window (<= 1: one core)

    def summary(self) -> str:
        return (
            f"{self.concurrent_calls} concurrent calls ({self.channels_listed} channels listed); "
            f"{self.events} events in {self.window_s:.1f} s = {self.events_per_s:,.0f} events/s "
            f"parsed by panoramisk, CPU/wall {self.cpu_per_wall:.2f}"
        )


async def _client(port: int) -> tuple[Manager, list[int]]:
    counter = [0]
    manager = Manager(host="127.0.0.1", port=port, username="dialer", secret="dialer-secret", ping_delay=0)

    def on_event(_manager: Manager, _message: object) -> None:
        counter[0] += 1

    manager.register_event("*", on_event)
    await manager.connect()
    return manager, counter


def _originate(manager: Manager, number: str, leg: str) -> None:
    """Fire an async Originate as the adapter would, without waiting for its OriginateResponse."""
    manager.send_action(
        {
            "Action": "Originate",
            "Channel": f"Local/{number}@sim-customer",
            "Context": "dialer-customer",
            "Exten": "s",
            "Priority": "1",
            "Async": "true",
            "ChannelId": leg,
            "Variable": f"DIALER_LEG_ID={leg},DIALER_AMD=1",
            "Timeout": "30000",
        }
    )


async def concurrent_calls(calls: int) -> tuple[int, int]:
    """Hold ``calls`` answered customers at once; return (legs ready, channels listed)."""
    pbx = SimulatedPbx(PbxConfig(speed=5.0, hold_limit_s=3600.0))  # calls stay ~20 s: a busy machine sees all at once
    await pbx.start()
    manager, _ = await _client(pbx.port)
    try:
        for i in range(calls):
            _originate(manager, "1199", f"cc-{i}")  # answers after 1 s, stays ~100 s
            if i % 500 == 499:
                await asyncio.sleep(0)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = sum(1 for ch in pbx.switch.channels.values() if ch.activity is Activity.HOLD)
            if ready >= calls:
                break
            await asyncio.sleep(0.05)
        async with asyncio.timeout(30):
            listing = await manager.send_action({"Action": "CoreShowChannels"}, as_list=True)
        listed = sum(1 for m in listing if m.get("Event") == "CoreShowChannel")
        return ready, listed
    finally:
        manager.close()
        await pbx.stop()


async def throughput(
    seconds: float, rate_per_s: float = 400.0, warmup_s: float = 1.0
) -> tuple[int, float, float]:
    """Churn calls (ring, answer, AMD, hold, hang up) and count events parsed per second."""
    pbx = SimulatedPbx(PbxConfig(speed=10.0))
    await pbx.start()
    manager, counter = await _client(pbx.port)
    loop = asyncio.get_running_loop()
    try:
        start = loop.time()
        seq = 0
        window: tuple[int, float, float] | None = None
        mark: tuple[int, float, float] | None = None
        while True:
            now = loop.time()
            if mark is None and now - start >= warmup_s:
                mark = (counter[0], now, time.process_time())
            if mark is not None and now - mark[1] >= seconds:
                window = (counter[0] - mark[0], now - mark[1], time.process_time() - mark[2])
                break
            target = int((now - start) * rate_per_s)
            while seq < target:
                _originate(manager, "1105", f"tp-{seq}")
                seq += 1
            await asyncio.sleep(0.01)
        return window
    finally:
        manager.close()
        await pbx.stop()


async def run(calls: int = 3000, seconds: float = 5.0, rate_per_s: float = 1000.0) -> BenchmarkResult:
    ready, listed = await concurrent_calls(calls)
    events, window_s, cpu_s = await throughput(seconds, rate_per_s)
    return BenchmarkResult(
        concurrent_calls=ready,
        channels_listed=listed,
        events=events,
        window_s=window_s,
        events_per_s=events / window_s,
        cpu_per_wall=cpu_s / window_s,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--rate", type=float, default=1000.0, help="originates per real second while churning"
    )
    args = parser.parse_args()
    print(asyncio.run(run(args.calls, args.seconds, args.rate)).summary())


if __name__ == "__main__":
    main()
