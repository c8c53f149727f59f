"""Press 1 to be called back and keep your place, on the simulated PBX over TCP (issue 15).

The shipped ``dialer-inbound`` holds callers with ``WaitDigit``; a caller of a queue that offers the callback
presses 1 (the simulated PBX's inbound traffic sends the key), is thanked and hung up, and keeps its place: when
that place reaches the front and an agent is ready, the engine reserves the agent and calls the caller back as a
normal outbound call record linked to the inbound one (``callback_of``), after the DNC and calling-window check.
Nobody is called back twice: the place is a ``queue_callbacks`` row claimed once, before the callback's record.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
import pytest

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer import call_records
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.pbx.actions import press_key
from simulations.pbx.inbound_traffic import InboundArrival, InboundStream, InboundTraffic
from simulations.virtual_agents import VirtualAgents, virtual_phone

SPEED = 20.0
DID = "+842873001234"
ALL_WEEK = {d: "00:00-24:00" for d in DAY_NAMES}
QUIET = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0, invalid_rate=0.0,
                      ring=LogNormal(1.0, 0.1), talk=LogNormal(4.0, 0.1), patience=LogNormal(60.0, 0.1),
                      no_answer_s=15.0)


async def until(check: Callable[[], object], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def row_until(pool: asyncpg.Pool, sql: str, *args: object, timeout_s: float = 20.0) -> asyncpg.Record:
    deadline = time.monotonic() + timeout_s
    while True:
        row = await pool.fetchrow(sql, *args)
        if row is not None:
            return row
        assert time.monotonic() < deadline, f"timed out waiting for: {sql} {args}"
        await asyncio.sleep(0.05)


async def loaded(system) -> None:  # type: ignore[no-untyped-def]
    """The DNC data loaded (its freshness is counted in real seconds: ``run_system``)."""
    await system.dnc.wait_loaded()


@pytest.fixture
async def team(db_pool, build_scenario, services, database_url):  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url      # the DNC checker's own connection (it stays fresh)
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    return await build_scenario(db_pool, leads=12, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.25, outside_share=0.25)


async def hotline(pool: asyncpg.Pool, team, **settings: object) -> Queue:  # type: ignore[no-untyped-def]
    queue = await queue_repository.save_queue(pool, queue=Queue.from_dict({
        "hours": ALL_WEEK, "name": "Hotline", "dids": [DID], "press1_callback": True,
        "callback_campaign_id": team.campaign.id, **settings}))
    await queue_repository.set_queue_agents(pool, queue_id=queue.id, levels={a: 5 for a in team.agent_ids})
    return queue


async def callable_numbers(pool: asyncpg.Pool, team) -> list[str]:  # type: ignore[no-untyped-def]
    """Numbers of the campaign's leads that are neither on DNC nor outside their calling window now."""
    rows = await pool.fetch("SELECT phone_e164 FROM leads WHERE campaign_id = $1 ORDER BY id", team.campaign.id)
    return [r["phone_e164"] for r in rows
            if r["phone_e164"] not in team.dnc_numbers and r["phone_e164"] not in team.outside_numbers]


def caller(number: str, *, press_1_after_s: float | None) -> InboundArrival:
    return InboundArrival(at=0.0, did=DID, caller=number, patience_s=300.0, talk_s=4.0,
                          press_1_after_s=press_1_after_s)


async def test_a_caller_who_presses_1_is_called_back_when_its_place_reaches_the_front_one_record_each(
        services, team, db_pool) -> None:
    ann = team.agent_ids[0]
    queue = await hotline(db_pool, team)
    first_number, second_number = (await callable_numbers(db_pool, team))[:2]
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=21, customer_model=QUIET),
                          engine_id="press1-1", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await loaded(system)
        await until(lambda: team.campaign.id in engine.campaigns)
        traffic = InboundTraffic(sim, [], duration_s=0.0)
        # the first caller presses 1 after 8 s on hold; the second comes after it and holds on
        traffic.inject(caller(first_number, press_1_after_s=8.0))
        await asyncio.sleep(1.0 / SPEED)
        traffic.inject(caller(second_number, press_1_after_s=None))
        first = await row_until(db_pool, "SELECT * FROM queue_callbacks")
        assert len(traffic.pressed_1) == 1 and first["state"] == "waiting"
        inbound_first = await db_pool.fetchrow("SELECT * FROM call_records WHERE id = $1", first["inbound_call_id"])
        assert inbound_first["outcome"] == "called_back" and inbound_first["phone_e164"] == first_number
        assert 5.0 <= inbound_first["waited_s"] <= 11.0, inbound_first["waited_s"]   # ~8 s, from the engine's view
        assert not any(c.call_id == first["inbound_call_id"] for c in engine.calls.values())   # off the line
        # an agent comes: the first caller's place is at the front, so it is called back before the second
        await engine.agent_login(ann, team.campaign.id, phone_dial_string=virtual_phone(ann))
        callback = await row_until(db_pool, "SELECT * FROM call_records WHERE callback_of = $1",
                                   first["inbound_call_id"])
        assert callback["direction"] == "outbound" and callback["phone_e164"] == first_number
        assert callback["agent_id"] == ann and callback["campaign_id"] == team.campaign.id
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", timeout_s=15)
        state = engine.agent_state(ann)
        assert state["call"]["call_id"] == str(callback["id"])
        assert engine.call_context[callback["id"]]["queue_callback"]["queue"] == "Hotline"
        await engine.set_disposition(ann, DispositionInput(str(callback["id"]), "sale"))
        # then the second caller, who held meanwhile, gets the agent
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", timeout_s=15)
        second_call = engine.agent_state(ann)["call"]["call_id"]
        await engine.set_disposition(ann, DispositionInput(second_call, "resolved"))
        await engine.drain()
        # a restart's restore finds nothing left to call back: the place was claimed once
        assert await engine.inbound.callbacks.restore() == 0
    assert engine.errors == []
    records = await db_pool.fetch("SELECT * FROM call_records ORDER BY id")
    inbound = [r for r in records if r["direction"] == "inbound"]
    assert [(r["phone_e164"], r["outcome"]) for r in inbound] == [(first_number, "called_back"),
                                                                   (second_number, "handled")]
    callbacks = [r for r in records if r["callback_of"] is not None]
    assert [(r["callback_of"], r["outcome"], r["disposition"]) for r in callbacks] == [
        (inbound[0]["id"], "handled", "sale")]
    assert inbound[1]["connected_at"] > callbacks[0]["connected_at"]       # the place went first
    placed = await db_pool.fetchrow("SELECT * FROM queue_callbacks")
    assert (placed["state"], placed["call_id"], placed["queue_id"]) == ("placed", callbacks[0]["id"], queue.id)


async def test_a_dnc_number_or_one_outside_its_calling_window_is_not_called_back_and_the_row_says_why(
        services, team, db_pool) -> None:
    ann = team.agent_ids[0]
    await hotline(db_pool, team)
    on_dnc, outside = sorted(team.dnc_numbers)[0], sorted(team.outside_numbers)[0]
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=22, customer_model=QUIET),
                          engine_id="press1-2", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await loaded(system)
        await until(lambda: team.campaign.id in engine.campaigns)
        traffic = InboundTraffic(sim, [], duration_s=0.0)
        traffic.inject(caller(on_dnc, press_1_after_s=8.0))
        traffic.inject(caller(outside, press_1_after_s=8.0))
        await until(lambda: len(traffic.pressed_1) == 2)
        await until(lambda: len(engine.inbound.callbacks.places) == 2)
        await engine.agent_login(ann, team.campaign.id, phone_dial_string=virtual_phone(ann))
        await row_until(db_pool, "SELECT count(*) FROM queue_callbacks WHERE state = 'refused' HAVING count(*) = 2")
        await until(lambda: engine.agent_state(ann)["state"] == "ready" and not engine.inbound.callbacks.held)
    assert engine.errors == []
    rows = {r["phone_e164"]: r for r in await db_pool.fetch("SELECT * FROM queue_callbacks")}
    assert rows[on_dnc]["state"] == "refused" and rows[on_dnc]["reason"].startswith("dnc:")
    assert rows[outside]["state"] == "refused" and rows[outside]["reason"].startswith("window")
    assert rows[on_dnc]["call_id"] is None and rows[outside]["call_id"] is None
    assert await db_pool.fetchval("SELECT count(*) FROM call_records WHERE direction <> 'inbound'") == 0
    # the DNC hit counts on the compliance page, in the callback campaign; the calling window is no DNC hit
    assert await db_pool.fetchval("SELECT sum(hits) FROM dnc_refusals WHERE campaign_id = $1", team.campaign.id) == 1


async def test_a_place_claimed_before_a_crash_is_never_dialled_again_and_a_waiting_one_is_restored(
        services, team, db_pool) -> None:
    """The record-first rule: the claim (``dialing``) is written before the callback's record; an engine that died
    after it must not call again, while a place still ``waiting`` is routed again by the restarted engine."""
    ann = team.agent_ids[0]
    queue = await hotline(db_pool, team)
    claimed_number, waiting_number = (await callable_numbers(db_pool, team))[:2]
    now = services.clock.now()
    ids = []
    for n, number in enumerate((claimed_number, waiting_number)):
        record = await call_records.open_record(
            db_pool, campaign_id=None, lead_id=None, agent_id=None, engine_id="press1-3", leg_id=f"crashed-{n}",
            direction="inbound", phone_e164=number, dial_string="", caller_id=DID, originated_at=now)
        await db_pool.execute("UPDATE call_records SET queue_id=$2, outcome='called_back', waited_s=5 WHERE id=$1",
                              record, queue.id)
        ids.append(record)
    await db_pool.execute(
        "INSERT INTO queue_callbacks (inbound_call_id, queue_id, phone_e164, first_arrival, requested_at, engine_id,"
        " state) VALUES ($1, $2, $3, $4, $4, 'press1-3', 'dialing'), ($5, $2, $6, $4, $4, 'press1-3', 'waiting')",
        ids[0], queue.id, claimed_number, now, ids[1], waiting_number)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=23, customer_model=QUIET),
                          engine_id="press1-3", tick_s=0.5) as system:
        engine = system.engine
        await loaded(system)
        assert list(engine.inbound.callbacks.places) == [-ids[1]]
        await until(lambda: team.campaign.id in engine.campaigns)
        await engine.agent_login(ann, team.campaign.id, phone_dial_string=virtual_phone(ann))
        callback = await row_until(db_pool, "SELECT * FROM call_records WHERE callback_of IS NOT NULL")
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", timeout_s=15)
        await engine.set_disposition(ann, DispositionInput(str(callback["id"]), "sale"))
        await engine.drain()
    assert engine.errors == []
    assert callback["callback_of"] == ids[1] and callback["phone_e164"] == waiting_number
    assert await db_pool.fetchval("SELECT count(*) FROM call_records WHERE direction = 'outbound'") == 1
    assert await db_pool.fetchval("SELECT state FROM queue_callbacks WHERE inbound_call_id = $1", ids[0]) == "dialing"


async def test_a_caller_overflowed_to_a_queue_without_the_offer_can_no_longer_press_1(
        services, team, db_pool) -> None:
    """The key would thank the caller and hang it up: in a queue that calls nobody back, DIALER_PRESS1 is emptied
    and a key 1 is ignored (the caller holds on)."""
    second = await queue_repository.save_queue(db_pool, queue=Queue.from_dict({"hours": ALL_WEEK, "name": "Desk"}))
    await hotline(db_pool, team, max_wait_s=10, overflow_action="queue", overflow_queue_id=second.id)
    (number,) = (await callable_numbers(db_pool, team))[:1]
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=24, customer_model=QUIET),
                          engine_id="press1-4", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await loaded(system)
        name = sim.inject_inbound(caller=number, did=DID, patience_s=300.0)
        channel = sim.switch.channels[name]
        await until(lambda: channel.variables.get("DIALER_PRESS1") == "1")            # the Hotline offers it
        await row_until(db_pool, "SELECT 1 FROM call_records WHERE queue_id = $1", second.id)   # overflowed
        await until(lambda: channel.variables.get("DIALER_PRESS1") == "")             # the Desk does not
        press_key(sim.switch, channel, "1")
        await asyncio.sleep(2.0 / SPEED)
        assert sim.switch.channels.get(name) is channel and channel.variables.get("DIALER_KEYS") == "1"
    assert engine.errors == []
    assert await db_pool.fetchval("SELECT count(*) FROM queue_callbacks") == 0


@pytest.mark.slow
async def test_inbound_traffic_where_half_the_callers_press_1_leaves_one_record_each_and_no_callback_twice(
        services, db_pool, build_scenario, database_url) -> None:  # type: ignore[no-untyped-def]
    """The simulated PBX's inbound traffic (4 callers a minute, half of them pressing 1 after about 15 s on hold)
    for 5 simulated minutes, two virtual agents: every caller ends with one record (answered, abandoned or called
    back), every caller who pressed 1 has one place, and each place at most one callback, to its own number."""
    speed = 40.0
    services.extras["database_url"] = database_url      # the DNC checker's own connection (it stays fresh)
    services.clock = RealClock(speed=speed)
    services.settings.speed = speed
    team = await build_scenario(db_pool, leads=30, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0, seed=31)
    await hotline(db_pool, team)
    numbers = await callable_numbers(db_pool, team)
    stream = InboundStream(did=DID, rate_per_hour=[240.0], patience=LogNormal(240.0, 0.2),
                           talk=LogNormal(20.0, 0.3), callers=numbers, press_1_share=0.5,
                           press_1_after=LogNormal(15.0, 0.3))
    async with run_system(services, sim_config=PbxConfig(speed=speed, seed=25, customer_model=QUIET),
                          engine_id="press1-5", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await loaded(system)
        agents = VirtualAgents(engine, team.agent_ids, team.campaign.id, seed=3, wrap=LogNormal(3.0, 0.2))
        agent_task = asyncio.create_task(agents.run())
        traffic = InboundTraffic(sim, [stream], duration_s=300.0, seed=12)
        try:
            await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in team.agent_ids))
            traffic.start()

            async def settled() -> bool:
                open_rows = await db_pool.fetchval(
                    "SELECT count(*) FROM call_records WHERE outcome IS NULL OR (direction = 'inbound' AND"
                    " waited_s IS NULL)")
                pending = await db_pool.fetchval(
                    "SELECT count(*) FROM queue_callbacks WHERE state IN ('waiting', 'dialing')")
                inbound = await db_pool.fetchval("SELECT count(*) FROM call_records WHERE direction = 'inbound'")
                return traffic.done and inbound == len(traffic.injected) and open_rows == 0 and pending == 0

            deadline = time.monotonic() + 300.0 / speed + 40.0
            while not await settled():
                assert time.monotonic() < deadline, "callers or callbacks left unsettled"
                assert not engine.errors, engine.errors
                await asyncio.sleep(0.2)
        finally:
            await traffic.stop()
            agent_task.cancel()
            await asyncio.gather(agent_task, return_exceptions=True)
    assert engine.errors == []
    inbound = await db_pool.fetch("SELECT * FROM call_records WHERE direction = 'inbound' ORDER BY id")
    callbacks = await db_pool.fetch("SELECT * FROM call_records WHERE callback_of IS NOT NULL")
    places = {r["inbound_call_id"]: r for r in await db_pool.fetch("SELECT * FROM queue_callbacks")}
    assert len(inbound) == len(traffic.injected) >= 12
    assert {r["outcome"] for r in inbound} <= {"handled", "abandoned", "called_back"}
    called_back = {r["id"] for r in inbound if r["outcome"] == "called_back"}
    assert called_back and called_back == set(places) and len(called_back) <= len(traffic.pressed_1)
    assert sorted(r["callback_of"] for r in callbacks) == sorted(set(r["callback_of"] for r in callbacks))  # once
    by_id = {r["id"]: r for r in inbound}
    for callback in callbacks:
        assert callback["phone_e164"] == by_id[callback["callback_of"]]["phone_e164"]
        assert places[callback["callback_of"]]["call_id"] == callback["id"]
        assert callback["outcome"] == "handled" and callback["agent_id"] in team.agent_ids
    assert {p["state"] for p in places.values()} == {"placed"}       # nobody on DNC or outside its window here


async def test_an_engine_that_takes_over_a_dead_ones_work_takes_over_its_places(services, team, db_pool) -> None:
    """``dialer.system.recover`` for another engine id (it died for good): its places still waiting become this
    engine's, and are called back at their turn."""
    from dialer.system import recover

    ann = team.agent_ids[0]
    queue = await hotline(db_pool, team)
    (number,) = (await callable_numbers(db_pool, team))[:1]
    now = services.clock.now()
    record = await call_records.open_record(
        db_pool, campaign_id=None, lead_id=None, agent_id=None, engine_id="dead-engine", leg_id="dead-0",
        direction="inbound", phone_e164=number, dial_string="", caller_id=DID, originated_at=now)
    await db_pool.execute("UPDATE call_records SET queue_id=$2, outcome='called_back', waited_s=5 WHERE id=$1",
                          record, queue.id)
    await db_pool.execute(
        "INSERT INTO queue_callbacks (inbound_call_id, queue_id, phone_e164, first_arrival, requested_at, engine_id)"
        " VALUES ($1, $2, $3, $4, $4, 'dead-engine')", record, queue.id, number, now)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=26, customer_model=QUIET),
                          engine_id="press1-6", tick_s=0.5) as system:
        engine = system.engine
        await loaded(system)
        assert not engine.inbound.callbacks.places           # not this engine's, while the other may live
        await recover(system, engine_id="dead-engine")
        assert list(engine.inbound.callbacks.places) == [-record]
        await until(lambda: team.campaign.id in engine.campaigns)
        await engine.agent_login(ann, team.campaign.id, phone_dial_string=virtual_phone(ann))
        callback = await row_until(db_pool, "SELECT * FROM call_records WHERE callback_of = $1", record)
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", timeout_s=15)
        await engine.set_disposition(ann, DispositionInput(str(callback["id"]), "sale"))
        await engine.drain()
    assert engine.errors == []
    row = await db_pool.fetchrow("SELECT * FROM queue_callbacks WHERE inbound_call_id = $1", record)
    assert (row["engine_id"], row["state"], row["call_id"]) == ("press1-6", "placed", callback["id"])
