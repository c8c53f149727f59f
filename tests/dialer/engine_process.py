"""An engine process for the crash test: the engine and virtual agents, on the PBX named in the settings.

Run as ``python engine_process.py CAMPAIGN_ID AGENT_ID...`` with ``DIALER_*`` variables; the test kills
it with SIGKILL to see that a restart loses no lead and dials none twice, and stops the restarted one
with SIGTERM.
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import signal
import sys
from datetime import UTC, datetime

from dialer.clock import RealClock
from dialer.runtime import open_services
from dialer.settings import load_settings
from dialer.system import run_system
from simulations.call_model import LogNormal
from simulations.virtual_agents import VirtualAgents


class SharedTimeline(RealClock):
    """The test's own accelerated clock, continued in this process: the same wall time at the same monotonic
    instant (CLOCK_MONOTONIC is the machine's), so engines killed and restarted write one timeline of records."""

    def __init__(self, *, speed: float, wall0_s: float, mono0: float) -> None:
        super().__init__(speed=speed)
        self._wall0 = datetime.fromtimestamp(wall0_s, UTC)
        self._mono0 = mono0


def timeline(speed: float) -> RealClock | None:
    """``DIALER_TEST_TIMELINE=<wall0 unix s>,<monotonic0>`` (``timeline_env``): the test's clock; else None."""
    text = os.environ.get("DIALER_TEST_TIMELINE")
    if not text:
        return None
    wall0_s, mono0 = (float(part) for part in text.split(","))
    return SharedTimeline(speed=speed, wall0_s=wall0_s, mono0=mono0)


def timeline_env(clock: RealClock) -> dict[str, str]:
    """The environment that gives an engine process ``clock``'s timeline."""
    return {"DIALER_TEST_TIMELINE": f"{clock._wall0.timestamp()!r},{clock._mono0!r}"}


def dump_tasks() -> None:
    """SIGUSR2: print every asyncio task's stack (the test asks for it when a shutdown hangs)."""
    for task in asyncio.all_tasks():
        task.print_stack(file=sys.stdout)
    sys.stdout.flush()


async def main(campaign_id: int, agent_ids: list[int]) -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR2, dump_tasks)
    # SIGTERM stops it as a supervisor would: the system's clean-up runs. (Not SIGINT: a process started
    # from a background shell inherits SIGINT ignored, and then Ctrl-C handling never starts.)
    main_task = asyncio.current_task()
    assert main_task is not None
    loop.add_signal_handler(signal.SIGTERM, main_task.cancel)
    settings = load_settings(None)
    async with open_services(settings, bootstrap_admin=False, clock=timeline(settings.speed)) as services:
        async with run_system(services) as system:
            print("engine up", flush=True)
            if not agent_ids:       # a survey campaign without agents: the engine alone
                await asyncio.Event().wait()
            await VirtualAgents(system.engine, agent_ids, campaign_id, seed=11, wrap=LogNormal(3.0, 0.3)).run()


if __name__ == "__main__":
    faulthandler.register(signal.SIGUSR1, all_threads=True)   # SIGUSR1: every thread's stack
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # what the crash tests print when they fail: what recovery did and what each virtual agent could not do (an
    # adopted conversation that never ended, once in a few dozen runs, left nothing else to read)
    for name in ("dialer.recovery", "dialer.system", "simulations.virtual_agents"):
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        asyncio.run(main(int(sys.argv[1]), [int(a) for a in sys.argv[2:]]))
    except asyncio.CancelledError:
        print("engine stopped", flush=True)
