"""The engine API a person uses from the panel, on the real engine and the simulated PBX over TCP:
sign in with a phone, click to call, transfer, disposition with a callback, preview, and /metrics."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest

from campaigns import repository as campaigns_repo
from campaigns.model import CampaignState, DialMode
from dialer.engine_api import DispositionInput, EngineError
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone

SPEED = 20.0
ALWAYS_ANSWERS = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0,
                               invalid_rate=0.0, ring=LogNormal(2.0, 0.1), talk=LogNormal(600.0, 0.05),
                               patience=LogNormal(60.0, 0.1))


async def until(predicate, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def preview_campaign(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    from dialer.clock import RealClock

    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    scenario = await build_scenario(db_pool, leads=20, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0)
    return scenario


async def test_an_agent_calls_a_lead_transfers_it_and_schedules_a_callback(services, preview_campaign, app) -> None:
    scenario = preview_campaign
    agent_id = scenario.agent_ids[0]
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2, customer_model=ALWAYS_ANSWERS),
                          engine_id="api-test", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        await engine.agent_login(agent_id, scenario.campaign.id, phone_dial_string=virtual_phone(agent_id))
        await until(lambda: engine.agent_state(agent_id)["state"] == "ready")
        # preview mode places nothing by itself: the agent sees the next lead, skips it, then takes one
        first = await engine.preview_next(agent_id)
        assert first is not None and first["phone"].startswith("+1")
        await engine.preview_skip(agent_id, first["lead_id"])
        lead = await engine.preview_next(agent_id)
        assert lead is not None and lead["lead_id"] != first["lead_id"]
        call_id = await engine.preview_dial(agent_id, lead["lead_id"])
        await until(lambda: engine.agent_state(agent_id)["state"] == "on_call")
        assert engine.agent_state(agent_id)["call"]["call_id"] == call_id
        with pytest.raises(EngineError, match="not a valid phone number"):
            await engine.transfer(agent_id, to_number="+1 555")
        await engine.transfer(agent_id, to_number="+33612345678")
        await until(lambda: engine.agent_state(agent_id)["state"] == "wrap_up")
        with pytest.raises(EngineError, match="unknown disposition"):
            await engine.set_disposition(agent_id, DispositionInput(call_id, "nonsense"))
        due = services.clock.now() + timedelta(days=2)
        await engine.set_disposition(agent_id, DispositionInput(call_id, "call_back", notes="after payday",
                                                                callback_at=due))
        await until(lambda: engine.agent_state(agent_id)["state"] == "ready")
        # /metrics shows the engine's live figures
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            metrics = (await client.get("/metrics")).text
        assert 'dialer_agents{state="ready"} 1.0' in metrics
        assert "dialer_answer_to_agent_seconds_count" in metrics
        await engine.agent_logout(agent_id)
    record = await services.pool.fetchrow("SELECT outcome, disposition, notes, agent_id FROM call_records WHERE id=$1",
                                          int(call_id))
    assert dict(record) == {"outcome": "handled", "disposition": "call_back", "notes": "after payday",
                            "agent_id": agent_id}
    callback = await services.pool.fetchrow("SELECT agent_id, due_at FROM callbacks WHERE lead_id = $1",
                                            lead["lead_id"])
    assert callback["agent_id"] == agent_id and abs((callback["due_at"] - due).total_seconds()) < 1
    state = await services.pool.fetchval("SELECT status FROM leads WHERE id = $1", lead["lead_id"])
    assert state == "callback"
    skipped = await services.pool.fetchrow("SELECT status, attempts, next_attempt_at FROM leads WHERE id = $1",
                                           first["lead_id"])
    assert skipped["status"] == "new" and skipped["attempts"] == 0  # back in the list, not lost, not counted
    assert skipped["next_attempt_at"] > services.clock.now()       # and not offered again at once


async def test_the_agent_who_receives_a_transfer_hangs_up_and_sets_the_disposition_and_notes(
        services, preview_campaign) -> None:
    scenario = preview_campaign
    first, second = scenario.agent_ids
    sender_name = await services.pool.fetchval("SELECT display_name FROM users WHERE id = $1", first)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3, customer_model=ALWAYS_ANSWERS),
                          engine_id="api-transfer", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        for agent in (first, second):
            await engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in (first, second)))
        lead = await engine.preview_next(first)
        assert lead is not None
        call_id = await engine.preview_dial(first, lead["lead_id"])
        await until(lambda: engine.agent_state(first)["state"] == "on_call")
        leg = engine.calls[int(call_id)].leg_id
        with pytest.raises(EngineError, match="not ready"):
            await engine.transfer(first, to_agent_id=first)
        await engine.transfer(first, to_agent_id=second)
        # the sender is done with the call: ready again, the call counted in its day, no disposition asked
        await until(lambda: engine.agent_state(first)["state"] == "ready")
        assert engine.agent_state(first)["calls_today"] == 1 and engine.agent_state(first)["call"] is None
        assert system.sim is not None
        await until(lambda: any(ch.uniqueid == leg and ch.bridge is not None and ch.bridge.conference == f"agent-{second}"
                                for ch in system.sim.channels()))
        receiving = engine.agent_state(second)
        assert receiving["state"] == "paused" and receiving["pause_reason"] == "transfer"   # no other call meanwhile
        assert receiving["call"]["lead_id"] == lead["lead_id"]                              # its panel shows the lead
        assert receiving["call"]["transfer"] == {"from_agent_id": first, "from_name": sender_name, "stage": "talking"}
        with pytest.raises(EngineError, match="not waiting for a disposition"):
            await engine.set_disposition(second, DispositionInput(call_id, "sale"))
        await engine.hangup(second)                                   # the receiving agent ends the call
        await until(lambda: not any(ch.uniqueid == leg for ch in system.sim.channels()))
        await until(lambda: engine.agent_state(second)["call"]["transfer"]["stage"] == "wrap_up")
        assert engine.agent_state(second)["state"] == "paused"       # still no other call: it is writing notes
        assert int(call_id) in engine.calls and not engine.calls[int(call_id)].terminal
        with pytest.raises(EngineError, match="unknown disposition"):
            await engine.set_disposition(second, DispositionInput(call_id, "nonsense"))
        await engine.set_disposition(second, DispositionInput(call_id, "sale", notes="took over from the first agent"))
        await until(lambda: engine.agent_state(second)["state"] == "ready")
        assert engine.agent_state(second)["call"] is None
        assert engine.transferred_to == {} and engine.transfer_owner == {}
        await until(lambda: engine.calls.get(int(call_id)) is None or engine.calls[int(call_id)].terminal)
        await engine.drain()
    record = await services.pool.fetchrow("SELECT outcome, disposition, notes FROM call_records WHERE id=$1",
                                          int(call_id))
    assert dict(record) == {"outcome": "handled", "disposition": "sale", "notes": "took over from the first agent"}


async def test_an_agent_without_a_running_campaign_is_told_so(services, preview_campaign) -> None:
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2), engine_id="api-test-2") as system:
        async with services.pool.acquire() as conn:
            await campaigns_repo.set_campaign_state(conn, campaign_id=preview_campaign.campaign.id,
                                                    target=CampaignState.PAUSED)
        await system.control.sync()
        with pytest.raises(EngineError, match="not running"):
            await system.engine.agent_login(preview_campaign.agent_ids[0], preview_campaign.campaign.id)
