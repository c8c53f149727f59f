"""An engine of one site takes only its own site's inbound queues (dialer.sites): a caller on the Hanoi Asterisk to
a DID of a Saigon queue is not put in that queue (whose agents work on Saigon's engine); the caller hears the
closed message and has a record without a queue. On the simulated PBX over TCP."""

from __future__ import annotations

import asyncio
import time

from campaigns import queue_repository
from campaigns.queues import DAY_NAMES, Queue
from dialer import sites
from dialer.clock import RealClock
from dialer.system import run_system
from simulations.pbx import PbxConfig

SPEED = 20.0
DID = "+842873009999"


async def test_a_site_engine_does_not_take_a_caller_of_another_sites_queue(services, db_pool) -> None:
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    await sites.create_site(db_pool, name="hanoi")
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Saigon hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))   # site main
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3), engine_id="hanoi-in",
                          tick_s=0.5, site="hanoi") as system:
        assert system.sim is not None
        system.sim.inject_inbound(caller="+15550003333", did=DID, patience_s=60.0)
        deadline = time.monotonic() + 20.0
        while not (rows := await db_pool.fetch("SELECT * FROM call_records WHERE direction = 'inbound'")):
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.05)
        assert not [c for c in system.engine.calls.values() if c.inbound and not c.terminal]
    (record,) = rows
    assert record["queue_id"] is None and record["did"] == DID and record["phone_e164"] == "+15550003333"
    assert queue.id not in {p.id for p in system.engine.queue_rules}      # nor routes that queue's callers
