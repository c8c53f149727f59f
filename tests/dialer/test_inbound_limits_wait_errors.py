"""The estimated wait of each inbound caller, made as it joins its queue (``dialer.wait_model``), is measured
against its actual wait when an agent answers (``Engine.wait_errors``, per queue), on the simulated PBX."""

from __future__ import annotations

import asyncio
import math

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_inbound_limits import QUIET, finished, until

SPEED = 20.0
DID = "+842873001234"


async def test_a_caller_behind_a_busy_agent_gets_a_finite_estimate_whose_error_is_measured_when_answered(
        services, build_scenario, db_pool) -> None:  # type: ignore[no-untyped-def]
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    team = await build_scenario(db_pool, leads=2, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)
    ann = team.agent_ids[0]
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={ann: 5})
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=21, customer_model=QUIET),
                          engine_id="wait-errors", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: team.campaign.id in engine.campaigns)
        await engine.agent_login(ann, team.campaign.id, phone_dial_string=virtual_phone(ann))
        await until(lambda: engine.agent_state(ann)["state"] == "ready")
        sim.inject_inbound(caller="+15550007001", did=DID, patience_s=600.0, talk_s=20.0)
        await until(lambda: engine.agent_state(ann)["state"] == "on_call")
        sim.inject_inbound(caller="+15550007002", did=DID, patience_s=600.0, talk_s=2.0)
        await until(lambda: len(engine.inbound.estimates) == 2)      # both still in progress
        first_estimate, second_estimate = (engine.inbound.estimates[k][0] for k in sorted(engine.inbound.estimates))
        assert first_estimate == 0.0                                       # a ready agent took it at once
        assert math.isfinite(second_estimate) and second_estimate > 0     # behind the one busy agent
        assert engine.wait_errors.stats(queue.id).callers == 0
        for _ in range(2):
            await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", timeout_s=30)
            call_id = engine.agent_state(ann)["call"]["call_id"]
            await engine.set_disposition(ann, DispositionInput(call_id, "resolved"))
            await until(lambda: engine.agent_state(ann)["state"] in ("ready", "on_call"))
        await finished(db_pool, 2)
        await asyncio.sleep(0.2)
    assert engine.errors == []
    stats = engine.wait_errors.stats(queue.id)
    assert stats.callers == 2                     # the first (estimate 0: a ready agent) and the second
    assert math.isfinite(stats.mae_s) and stats.p90_abs_s >= stats.mae_s * 0.5
    assert engine.inbound.handle[queue.id].samples >= 1      # the queue learnt an inbound handle time
