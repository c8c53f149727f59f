"""A queue's limits on the simulated PBX over TCP (issue 15): past its maximum of waiting callers or its maximum
wait, a caller is overflowed to another queue (keeping the time it waited), sent to the queue's voicemail box,
given a callback request, or told the overflow message and hung up; each way is the caller's record's outcome."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
import pytest

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.pbx.probe import AmiProbe
from simulations.virtual_agents import virtual_phone

SPEED = 20.0
DID = "+842873001234"
ALL_WEEK = {d: "00:00-24:00" for d in DAY_NAMES}
QUIET = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0, invalid_rate=0.0,
                      ring=LogNormal(1.0, 0.1), talk=LogNormal(5.0, 0.1), patience=LogNormal(60.0, 0.1),
                      no_answer_s=15.0)


async def until(check: Callable[[], object], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def finished(pool: asyncpg.Pool, count: int, timeout_s: float = 30.0) -> list[asyncpg.Record]:
    """The inbound records once ``count`` of them have their outcome."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = await pool.fetch("SELECT * FROM call_records WHERE direction = 'inbound' ORDER BY id")
        if len(rows) >= count and all(r["outcome"] is not None and r["waited_s"] is not None for r in rows):
            return rows
        assert time.monotonic() < deadline, f"timed out: {[dict(r) for r in rows]}"
        await asyncio.sleep(0.1)


@pytest.fixture
async def team(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    return await build_scenario(db_pool, leads=3, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)


async def save(pool: asyncpg.Pool, **settings: object) -> Queue:
    return await queue_repository.save_queue(pool, queue=Queue.from_dict({"hours": ALL_WEEK, **settings}))


async def witness_for(sim) -> AmiProbe:  # type: ignore[no-untyped-def]
    probe = AmiProbe()    # an AMI client of its own, beside the engine's
    await probe.connect("127.0.0.1", sim.port)
    await probe.login(sim.config.username, sim.config.secret)
    return probe


def var_set(probe: AmiProbe, channel: str, name: str) -> list[str]:
    return [m.get("Value") for m in probe.events
            if m.event == "VarSet" and m.get("Channel") == channel and m.get("Variable") == name]


async def test_a_caller_past_max_wait_overflows_to_the_next_queue_keeping_its_wait_and_both_records_link(
        services, team, db_pool) -> None:
    ann = team.agent_ids[0]
    vip_desk = await save(db_pool, name="Second line")
    await queue_repository.set_queue_agents(db_pool, queue_id=vip_desk.id, levels={ann: 5})
    first = await save(db_pool, name="Hotline", dids=[DID], max_wait_s=20, overflow_action="queue",
                       overflow_queue_id=vip_desk.id)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=11, customer_model=QUIET),
                          engine_id="limits-1", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: team.campaign.id in engine.campaigns)
        await engine.agent_login(ann, team.campaign.id, phone_dial_string=virtual_phone(ann))
        await until(lambda: engine.agent_state(ann)["state"] == "ready")
        # nobody serves the Hotline: the caller holds there 20 s, then the second line's ready agent takes it
        system.sim.inject_inbound(caller="+15550001111", did=DID, patience_s=200.0, talk_s=3.0)  # type: ignore[union-attr]
        await asyncio.sleep(10.0 / SPEED)
        assert engine.agent_state(ann)["state"] == "ready"      # not before its maximum wait
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", timeout_s=30)
        call_id = engine.agent_state(ann)["call"]["call_id"]
        await engine.set_disposition(ann, DispositionInput(call_id, "resolved"))
        overflowed, answered = await finished(db_pool, 2)
    assert engine.errors == []
    assert overflowed["queue_id"] == first.id and overflowed["outcome"] == "overflowed"
    assert overflowed["overflowed_to"] == answered["id"] and answered["overflowed_from"] == overflowed["id"]
    assert 18.0 <= overflowed["waited_s"] <= 26.0, overflowed["waited_s"]
    assert answered["queue_id"] == vip_desk.id and answered["outcome"] == "handled" and answered["agent_id"] == ann
    assert answered["waited_s"] >= overflowed["waited_s"]        # counted from its first arrival
    assert answered["phone_e164"] == "+15550001111"
    assert overflowed["leg_id"] == f"{answered['leg_id']}~{overflowed['id']}"   # leg ids are unique: it moved on


async def test_a_caller_past_max_waiting_hears_the_overflow_message_and_the_one_waiting_stays(
        services, team, db_pool) -> None:
    await save(db_pool, name="Hotline", dids=[DID], max_waiting=1, overflow_action="message",
               overflow_sound="ss-noservice")
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=12, customer_model=QUIET),
                          engine_id="limits-2", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: team.campaign.id in engine.campaigns)
        witness = await witness_for(sim)
        try:
            sim.inject_inbound(caller="+15550002221", did=DID, patience_s=40.0)
            await until(lambda: any(c.inbound for c in engine.calls.values()))
            second = sim.inject_inbound(caller="+15550002222", did=DID, patience_s=200.0)
            played = await witness.wait_for(lambda m: m.event == "VarSet" and m.get("Channel") == second
                                            and m.get("Variable") == "PLAYBACKSTATUS", timeout=20)
            await witness.wait_for(lambda m: m.event == "Hangup" and m.get("Channel") == second, timeout=20)
            sound = var_set(witness, second, "DIALER_CLOSED_MSG")
        finally:
            await witness.close()
        waiting, refused = await finished(db_pool, 2)
    assert engine.errors == []
    assert played.get("Value") == "SUCCESS" and sound == ["ss-noservice"]
    assert refused["phone_e164"] == "+15550002222" and refused["outcome"] == "message"
    assert "too many callers waiting" in refused["detail"]
    assert waiting["phone_e164"] == "+15550002221" and waiting["outcome"] == "abandoned"   # it gave up at 40 s


async def test_a_caller_past_max_wait_leaves_a_message_in_the_queues_voicemail_box(services, team, db_pool) -> None:
    await save(db_pool, name="Hotline", dids=[DID], max_wait_s=15, overflow_action="voicemail", voicemail_box="100")
    config = PbxConfig(speed=SPEED, seed=13, customer_model=QUIET, voicemail_boxes=frozenset({"100"}))
    async with run_system(services, sim_config=config, engine_id="limits-3", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: team.campaign.id in engine.campaigns)
        witness = await witness_for(sim)
        try:
            name = sim.inject_inbound(caller="+15550003333", did=DID, patience_s=200.0)
            status = await witness.wait_for(lambda m: m.event == "VarSet" and m.get("Channel") == name
                                            and m.get("Variable") == "VMSTATUS", timeout=30)
            await witness.wait_for(lambda m: m.event == "Hangup" and m.get("Channel") == name, timeout=20)
            box = var_set(witness, name, "DIALER_VM_BOX")
        finally:
            await witness.close()
        (record,) = await finished(db_pool, 1)
    assert engine.errors == []
    assert status.get("Value") == "SUCCESS" and box == ["100"]
    assert record["outcome"] == "voicemail" and 13.0 <= record["waited_s"] <= 21.0, dict(record)


async def test_a_caller_past_max_wait_gets_a_callback_in_the_queues_callback_campaign(services, team, db_pool) -> None:
    await save(db_pool, name="Hotline", dids=[DID], max_wait_s=10, overflow_action="callback",
               callback_campaign_id=team.campaign.id)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=14, customer_model=QUIET),
                          engine_id="limits-4", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: team.campaign.id in engine.campaigns)
        witness = await witness_for(sim)
        try:
            name = sim.inject_inbound(caller="+15550004444", did=DID, patience_s=200.0)
            await witness.wait_for(lambda m: m.event == "Hangup" and m.get("Channel") == name, timeout=30)
            sound = var_set(witness, name, "DIALER_CLOSED_MSG")
        finally:
            await witness.close()
        (record,) = await finished(db_pool, 1)
    assert engine.errors == []
    assert record["outcome"] == "called_back" and record["callback_id"] is not None
    callback = await db_pool.fetchrow("SELECT c.*, l.phone_e164 FROM callbacks c JOIN leads l ON l.id = c.lead_id"
                                      " WHERE c.id = $1", record["callback_id"])
    assert callback["campaign_id"] == team.campaign.id and callback["phone_e164"] == "+15550004444"
    assert "Hotline" in callback["note"] and sound == ["auth-thankyou"]
