"""Inbound callers end to end on the simulated PBX over TCP: the shipped ``dialer-inbound`` holds them, the engine
finds the DID's queue and gives the caller to a ready agent of that queue, and every caller has one record."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue, Strategy
from dialer.agents import day_start
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput, EngineError
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.pbx.probe import AmiProbe
from simulations.virtual_agents import virtual_phone

SPEED = 20.0
DID = "+842873001234"
QUIET = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0, invalid_rate=0.0,
                      ring=LogNormal(1.0, 0.1), talk=LogNormal(5.0, 0.1), patience=LogNormal(60.0, 0.1),
                      no_answer_s=15.0)


async def until(check: Callable[[], object], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def until_async(check, timeout_s: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.fixture
async def hotline(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    """A preview campaign (it dials nothing by itself) with two agents; a queue open all week owning ``DID``,
    served by the first agent only."""
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    scenario = await build_scenario(db_pool, leads=5, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0)
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={scenario.agent_ids[0]: 5})
    return scenario, queue


async def inbound_records(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM call_records WHERE direction = 'inbound' ORDER BY id")


async def test_an_inbound_caller_is_answered_by_a_ready_agent_of_the_dids_queue_with_one_record(
        services, hotline, db_pool) -> None:
    scenario, queue = hotline
    ann, bob = scenario.agent_ids
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=4, customer_model=QUIET),
                          engine_id="inbound-1", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        # bob signs in first (longest idle) but does not serve the queue: the caller must go to ann
        for agent in (bob, ann):
            await engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
            await until(lambda a=agent: engine.agent_state(a)["state"] == "ready")
        await engine.agent_pause(ann, "break")
        await until(lambda: engine.agent_state(ann)["state"] == "paused")
        system.sim.inject_inbound(caller="+15550001111", did=DID, patience_s=120.0, talk_s=4.0)  # type: ignore[union-attr]
        await asyncio.sleep(3.0 / SPEED * 20)    # the caller holds: nobody of its queue is ready
        assert engine.agent_state(bob)["state"] == "ready"
        waiting = [c for c in engine.calls.values() if c.inbound]
        assert len(waiting) == 1 and waiting[0].state.value == "waiting"
        await engine.agent_ready(ann)
        await until(lambda: engine.agent_state(ann)["state"] in ("on_call", "wrap_up"))
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", timeout_s=30)
        call_id = engine.agent_state(ann)["call"]["call_id"]
        await engine.set_disposition(ann, DispositionInput(call_id, "resolved"))
        await until(lambda: engine.agent_state(ann)["state"] == "ready")
        assert engine.agent_state(bob)["state"] == "ready"
        records = await until_async(lambda: _closed(db_pool))
    assert engine.errors == []
    (record,) = records
    assert record["direction"] == "inbound" and record["queue_id"] == queue.id and record["did"] == DID
    assert record["phone_e164"] == "+15550001111" and record["campaign_id"] is None
    assert record["outcome"] == "handled" and record["agent_id"] == ann and record["disposition"] == "resolved"
    assert record["waited_s"] > 0 and record["connected_at"] is not None


async def _closed(pool: asyncpg.Pool) -> list[asyncpg.Record] | None:
    rows = await inbound_records(pool)
    return rows if rows and all(r["outcome"] is not None and r["waited_s"] is not None for r in rows) else None


async def test_a_caller_who_hangs_up_while_waiting_is_recorded_abandoned_with_the_time_waited(
        services, hotline, db_pool) -> None:
    scenario, queue = hotline
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=5, customer_model=QUIET),
                          engine_id="inbound-2", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        # nobody of the queue is signed in: the caller holds, then gives up after 6 s
        system.sim.inject_inbound(caller="+15550002222", did=DID, patience_s=6.0)  # type: ignore[union-attr]
        records = await until_async(lambda: _closed(db_pool))
    assert engine.errors == []
    (record,) = records
    assert record["outcome"] == "abandoned" and record["queue_id"] == queue.id and record["agent_id"] is None
    # it gave up after 6 s; at 20x a loaded machine's 0.1 s of real delay either way is 2 s here
    assert 3.0 <= record["waited_s"] <= 10.0, record["waited_s"]
    assert "hung up waiting" in record["detail"]


async def test_an_agent_given_the_queue_while_signed_in_takes_its_next_caller(services, hotline, db_pool) -> None:
    scenario, queue = hotline
    ann, bob = scenario.agent_ids
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=7, customer_model=QUIET),
                          engine_id="inbound-4", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        await engine.agent_login(bob, scenario.campaign.id, phone_dial_string=virtual_phone(bob))
        await until(lambda: engine.agent_state(bob)["state"] == "ready")
        # a team lead adds bob to the queue after he signed in (ann, who serves it too, is not signed in)
        await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={ann: 5, bob: 7})
        system.sim.inject_inbound(caller="+15550006666", did=DID, patience_s=120.0, talk_s=3.0)  # type: ignore[union-attr]
        await until(lambda: engine.agent_state(bob)["state"] == "wrap_up", timeout_s=30)
        call_id = engine.agent_state(bob)["call"]["call_id"]
        await engine.set_disposition(bob, DispositionInput(call_id, "follow_up"))
        records = await until_async(lambda: _closed(db_pool))
    assert engine.errors == []
    (record,) = records
    assert record["outcome"] == "handled" and record["agent_id"] == bob and record["disposition"] == "follow_up"


async def test_a_did_no_queue_owns_hears_the_closed_message_and_is_logged(services, hotline, db_pool,
                                                                         caplog) -> None:
    scenario, _ = hotline
    caplog.set_level(logging.WARNING, logger="dialer.inbound")
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=6, customer_model=QUIET),
                          engine_id="inbound-3", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        sim = system.sim
        assert sim is not None
        witness = AmiProbe()    # an AMI client of its own, beside the engine's
        await witness.connect("127.0.0.1", sim.port)
        await witness.login(sim.config.username, sim.config.secret)
        try:
            name = sim.inject_inbound(caller="+15550003333", did="+842873009999", patience_s=120.0)
            played = await witness.wait_for(lambda m: m.event == "VarSet" and m.get("Channel") == name
                                            and m.get("Variable") == "PLAYBACKSTATUS", timeout=20)
            await witness.wait_for(lambda m: m.event == "Hangup" and m.get("Channel") == name, timeout=20)
        finally:
            await witness.close()
    assert engine.errors == []
    assert played.get("Value") == "SUCCESS"
    (record,) = await until_async(lambda: _closed(db_pool))     # one record all the same, and a log line
    assert record["outcome"] == "no_queue" and record["queue_id"] is None and record["did"] == "+842873009999"
    assert record["phone_e164"] == "+15550003333" and record["ended_at"] is not None
    assert any("no queue owns this DID" in r.getMessage() and "842873009999" in r.getMessage()
               for r in caplog.records)


async def test_a_caller_to_a_closed_queue_hears_the_queues_closed_message_and_is_logged(services, hotline, db_pool,
                                                                                      caplog) -> None:
    scenario, _ = hotline
    today = services.clock.now().date().isoformat()
    await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Closed today", "dids": ["+842873005555"], "closed_days": [today], "closed_sound": "ss-noservice",
         "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    caplog.set_level(logging.INFO, logger="dialer.inbound")
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=8, customer_model=QUIET),
                          engine_id="inbound-5", tick_s=0.5) as system:
        engine = system.engine
        sim = system.sim
        assert sim is not None
        witness = AmiProbe()
        await witness.connect("127.0.0.1", sim.port)
        await witness.login(sim.config.username, sim.config.secret)
        try:
            name = sim.inject_inbound(caller="+15550007777", did="+842873005555", patience_s=120.0)
            played = await witness.wait_for(lambda m: m.event == "VarSet" and m.get("Channel") == name
                                            and m.get("Variable") == "PLAYBACKSTATUS", timeout=20)
            await witness.wait_for(lambda m: m.event == "Hangup" and m.get("Channel") == name, timeout=20)
            sound = [m.get("Value") for m in witness.events if m.event == "VarSet" and m.get("Channel") == name
                     and m.get("Variable") == "DIALER_CLOSED_MSG"]
        finally:
            await witness.close()
    assert engine.errors == []
    assert played.get("Value") == "SUCCESS" and sound == ["ss-noservice"]
    (record,) = await until_async(lambda: _closed(db_pool))
    assert record["outcome"] == "closed" and record["did"] == "+842873005555" and record["queue_id"] is not None
    assert any("Closed today" in r.getMessage() and "closed" in r.getMessage() for r in caplog.records)


async def test_a_callers_record_has_its_channel_from_the_start_and_names_its_agent_before_the_redirect(
        services, hotline, db_pool) -> None:
    # what a restart reads if the engine dies at any point: a record with no channel was found by no restart (a
    # second record for the same caller), and a caller put through to an agent with no agent on its record was
    # judged an abandon once its conversation had ended
    scenario, _ = hotline
    ann = scenario.agent_ids[0]
    seen_at_redirect: list[tuple[object, ...]] = []
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=4, customer_model=QUIET),
                          engine_id="inbound-put-through", tick_s=0.5) as system:
        engine = system.engine
        redirect = engine.pbx.redirect

        async def watched(leg_id: str, *, context: str, exten: str, priority: int = 1) -> None:
            if context == "dialer-connect":      # watching the callback: what the record says at this instant
                row = await db_pool.fetchrow("SELECT agent_id, pbx_channel, did FROM call_records WHERE leg_id = $1",
                                             leg_id)
                seen_at_redirect.append(tuple(row) if row is not None else ())
            await redirect(leg_id, context=context, exten=exten, priority=priority)

        engine.pbx.redirect = watched  # type: ignore[method-assign]
        await until(lambda: scenario.campaign.id in engine.campaigns)
        await engine.agent_login(ann, scenario.campaign.id, phone_dial_string=virtual_phone(ann))
        await until(lambda: engine.agent_state(ann)["state"] == "ready")
        channel = system.sim.inject_inbound(caller="+15550003333", did=DID, patience_s=120.0, talk_s=4.0)  # type: ignore[union-attr]
        await until(lambda: engine.agent_state(ann)["state"] in ("on_call", "wrap_up"))
    assert seen_at_redirect == [(ann, channel, DID)]


async def test_vip_callers_are_found_by_the_queues_vip_list_and_by_their_leads_field_whatever_the_trunks_format(
        services, hotline, db_pool) -> None:
    """The queue's VIP rule has two parts: the VIP list, and a lead field (``tier`` = ``gold``). Trunks present
    caller ids without the country code or without the '+': the caller is read as E.164 in the campaigns' region
    before either part is checked, as the pop reads it. VIP callers get the queue's extra priority and so are
    answered before a plain caller who came first."""
    scenario, queue = hotline
    ann, _ = scenario.agent_ids
    queue = await queue_repository.save_queue(db_pool, queue=replace(
        queue, vip_priority=50, vip_lead_field="tier", vip_lead_value="gold"), vip_numbers=["+14155550199"])
    gold = await db_pool.fetchrow("UPDATE leads SET fields = '{\"tier\": \" Gold \"}' WHERE id = $1"
                                  " RETURNING phone_e164", scenario.lead_ids[0])
    silver = await db_pool.fetchrow("UPDATE leads SET fields = '{\"tier\": \"silver\"}' WHERE id = $1"
                                    " RETURNING phone_e164", scenario.lead_ids[1])
    callers = {"plain": "+15550003333", "silver lead": silver["phone_e164"][2:],   # national: 2125550001
               "gold lead": gold["phone_e164"][2:], "on the list": "14155550199"}  # international without '+'
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=6, customer_model=QUIET),
                          engine_id="inbound-vip", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        for number in callers.values():     # nobody of the queue is ready: they all hold, the plain one first
            system.sim.inject_inbound(caller=number, did=DID, patience_s=300.0, talk_s=2.0)  # type: ignore[union-attr]
            await until(lambda n=number: any(c.get("number") == n for c in engine.call_context.values()))
        vip = {name: next(c["vip"] for c in engine.call_context.values() if c.get("number") == number)
               for name, number in callers.items()}
        assert vip == {"plain": False, "silver lead": False, "gold lead": True, "on the list": True}
        await engine.agent_login(ann, scenario.campaign.id, phone_dial_string=virtual_phone(ann))
        await until(lambda: engine.agent_state(ann)["state"] in ("on_call", "wrap_up"))
        first = engine.call_context[int(engine.agent_state(ann)["call"]["call_id"])]["number"]
    assert engine.errors == []
    assert first in (callers["gold lead"], callers["on the list"])


async def test_the_queues_wrap_up_time_holds_the_next_caller_back_even_when_the_agent_disposes_at_once(
        services, hotline, db_pool) -> None:
    """Wrap-up 30 s: the agent disposes its first caller the moment the call ends; the record is closed with the
    disposition then, but the next caller, already waiting, reaches the agent only 30 s after the first call
    ended, and the panel says how long is left."""
    scenario, queue = hotline
    ann, _ = scenario.agent_ids
    await queue_repository.save_queue(db_pool, queue=replace(queue, wrapup_s=30))
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=7, customer_model=QUIET),
                          engine_id="inbound-wrap", tick_s=0.5) as system:
        engine, clock = system.engine, services.clock
        await until(lambda: scenario.campaign.id in engine.campaigns)
        await engine.agent_login(ann, scenario.campaign.id, phone_dial_string=virtual_phone(ann))
        await until(lambda: engine.agent_state(ann)["state"] == "ready")
        system.sim.inject_inbound(caller="+15550005555", did=DID, patience_s=600.0, talk_s=4.0)  # type: ignore[union-attr]
        await until(lambda: engine.agent_state(ann)["state"] == "on_call")
        system.sim.inject_inbound(caller="+15550006666", did=DID, patience_s=600.0, talk_s=4.0)  # type: ignore[union-attr]
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", timeout_s=30)
        ended = clock.monotonic() - engine.agent_state(ann)["in_state_s"]      # when the call ended
        first = engine.agent_state(ann)["call"]["call_id"]
        await engine.set_disposition(ann, DispositionInput(first, "resolved"))
        view = engine.agent_state(ann)
        assert view["state"] == "wrap_up" and view["call"] is None and 25.0 < view["wrap_left_s"] <= 30.0
        with pytest.raises(EngineError):                      # the same call cannot be disposed twice
            await engine.set_disposition(ann, DispositionInput(first, "resolved"))
        await until(lambda: engine.agent_state(ann)["state"] in ("reserved", "on_call"), timeout_s=30)
        offered_after = clock.monotonic() - ended
        closed = await db_pool.fetchrow("SELECT outcome, disposition FROM call_records WHERE id = $1", int(first))
    assert engine.errors == []
    assert closed["outcome"] == "handled" and closed["disposition"] == "resolved"
    assert 29.5 <= offered_after <= 40.0


async def test_an_engine_new_to_an_agent_counts_its_calls_today_from_the_records_for_fewest_calls_today(
        services, hotline, db_pool) -> None:
    """After an engine restart (or on another site's engine) an agent's calls today are not 0: they come from the
    call records since its local midnight (yesterday's do not count), so "fewest calls today" stays fair. Ann has
    3 calls today, Bob 1 today and 5 yesterday: the caller goes to Bob although Ann has waited longer."""
    scenario, queue = hotline
    ann, bob = scenario.agent_ids
    queue = await queue_repository.save_queue(db_pool, queue=replace(queue, strategy=Strategy.FEWEST_CALLS_TODAY))
    await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={ann: 5, bob: 5})
    now = services.clock.now()
    midnight = day_start(now, scenario.campaign.timezone)
    today, yesterday = midnight + (now - midnight) / 2, midnight - timedelta(hours=3)
    for i, (agent, at) in enumerate([(ann, today)] * 3 + [(bob, today)] + [(bob, yesterday)] * 5):
        await db_pool.execute(
            "INSERT INTO call_records (agent_id, engine_id, leg_id, direction, phone_e164, outcome, originated_at,"
            " connected_at, ended_at) VALUES ($1, 'old-engine', $2, 'inbound', '+15550007777', 'handled', $3, $3,"
            " $3::timestamptz + interval '100 seconds')", agent, f"old-{i}", at)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=8, customer_model=QUIET),
                          engine_id="inbound-today", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        for agent in (ann, bob):
            await engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
            await until(lambda a=agent: engine.agent_state(a)["state"] == "ready")
        counted = {a: (engine.agent_state(a)["calls_today"], engine.agent_state(a)["talk_s"]) for a in (ann, bob)}
        system.sim.inject_inbound(caller="+15550008888", did=DID, patience_s=120.0, talk_s=2.0)  # type: ignore[union-attr]
        await until(lambda: engine.agent_state(bob)["state"] in ("reserved", "on_call"))
        assert engine.agent_state(ann)["state"] == "ready"
    assert engine.errors == []
    assert counted == {ann: (3, 300), bob: (1, 100)}
