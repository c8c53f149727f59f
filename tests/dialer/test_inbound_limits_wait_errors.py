"""The estimated wait of each inbound caller, made as it joins its queue (``dialer.wait_model``), is measured
against its actual wait when an agent answers (``Engine.wait_errors``, per queue), on the simulated PBX."""

from __future__ import annotations

import asyncio
import math

import pytest

from campaigns import queue_repository
from campaigns.model import DialMode
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_inbound_limits import QUIET, finished, save, until

SPEED = 20.0
DID = "+842873001234"


async def test_a_caller_behind_a_busy_agent_gets_a_finite_estimate_whose_error_is_measured_when_answered(
        services, build_scenario, db_pool) -> None:  # type: ignore[no-untyped-def]
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    team = await build_scenario(db_pool, leads=2, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)
    ann = team.agent_ids[0]
    queue = await save(db_pool, name="Hotline", dids=[DID])
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
        board = engine.live_state()["queues"][str(queue.id)]     # what the wallboard shows: a newcomer would wait
        assert board["agents_serving"] == 1 and board["waiting"] == 0
        assert board["estimated_wait_s"] is not None and board["estimated_wait_s"] > 0
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
        rows = await finished(db_pool, 2)
        await asyncio.sleep(0.2)
        board = engine.live_state()["queues"][str(queue.id)]
    assert engine.errors == []
    # each record keeps the estimate made as its caller joined, and the error against the wait it then had
    records = await db_pool.fetch("SELECT estimated_wait_s, wait_error_s, waited_s FROM call_records"
                                  " WHERE direction = 'inbound' ORDER BY id")
    assert [r["estimated_wait_s"] for r in records] == [first_estimate, second_estimate] and len(rows) == 2
    assert all(r["wait_error_s"] is not None for r in records)
    assert records[1]["wait_error_s"] + second_estimate == pytest.approx(records[1]["waited_s"], abs=2.0)
    assert sorted(abs(r["wait_error_s"]) for r in records) == pytest.approx(
        sorted(engine.wait_errors._errors[queue.id]), abs=1e-6)           # the engine measured the same errors
    assert board["wait_error"]["callers"] == 2 and board["wait_error"]["mae_s"] is not None
    # the sign-in is in the staffing history, with the campaign and the queue the agent served
    history = await db_pool.fetch("SELECT campaign_id, queue_ids, state, ended_at FROM agent_history"
                                  " WHERE user_id = $1 ORDER BY started_at", ann)
    assert [(h["campaign_id"], h["queue_ids"], h["state"]) for h in history][:1] == [
        (team.campaign.id, [queue.id], "working")]
    stats = engine.wait_errors.stats(queue.id)
    assert stats.callers == 2                     # the first (estimate 0: a ready agent) and the second
    assert math.isfinite(stats.mae_s) and stats.p90_abs_s >= stats.mae_s * 0.5
    assert engine.inbound.handle[queue.id].samples >= 1      # the queue learnt an inbound handle time
