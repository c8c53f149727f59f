"""Inbound callers across an engine restart (issue 15), on the simulated PBX over TCP: the dialplan holds them, the
restarted engine adopts them (``dialer.recovery_inbound``):

- a caller who arrived while no engine ran gets its record, with its real arrival (its channel's age), and is
  answered; its whole wait counts;
- a customer an agent had sent to a queue (queue transfer), holding when the engine died, is adopted under the
  queue's record, never a second one;
- a caller talking with its agent when the engine died is adopted as its queue's call: the agent sets one of the
  queue's dispositions and the record gets its wait.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from campaigns import queue_repository
from campaigns import repository as campaigns_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer import call_records
from dialer.ami.message import AmiMessage, MessageKind
from dialer.ami.translate import Translator
from dialer.engine_api import DispositionInput
from dialer.pbx_port import InboundCall, LegKind, LiveChannel
from dialer.recovery_inbound import stray_callers
from dialer.system import run_system
from simulations.pbx import SimulatedPbx
from simulations.pbx.actions import press_key
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_engine_restart import ENGINE, DoomedEngine, _claim, in_conference, outliving_pbx, until

SPEED = 20.0
DID = "+842873001555"
HOLD_S = 600.0     # dialer-inbound's own hold limit (DIALER_HOLD_S unset)


def holding(sim: SimulatedPbx, name: str) -> bool:
    return any(ch.name == name and ch.moh and ch.context == "dialer-inbound" for ch in sim.channels())


def caller_in_conference(sim: SimulatedPbx, name: str, agent_id: int) -> bool:
    return any(ch.name == name and ch.bridge is not None and ch.bridge.conference == f"agent-{agent_id}"
               for ch in sim.channels())


async def hotline(services, agents: dict[int, int]) -> Queue:  # type: ignore[no-untyped-def]
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels=agents)
    return queue


def channel(context: str, exten: str, *, leg_id: str | None = None, bridge: str = "", state: str = "Up",
            age_s: float = 10.0) -> LiveChannel:
    return LiveChannel(server="pbx1", leg_id=leg_id, channel=f"PJSIP/trunk-{exten}-{age_s:g}", state=state,
                       context=context, exten=exten, duration_s=age_s, bridge_id=bridge, uniqueid=f"17.{age_s:g}",
                       caller_id="+15550001234")


def test_a_stray_caller_is_one_holding_at_a_did_that_no_leg_of_ours_follows() -> None:
    at_did = channel("dialer-inbound", "842873001555", age_s=40.0)
    older = channel("dialer-inbound", "s", age_s=90.0)
    found = stray_callers([
        at_did, older,
        channel("dialer-inbound", "842873001555", leg_id="dl-abc"),           # a leg of ours already
        channel("dialer-inbound", "closed"),                                  # the engine decided already
        channel("dialer-inbound", "announce"),
        channel("dialer-inbound", "voicemail"),
        channel("dialer-inbound", "842873001555", state="Ring"),             # not answered: its event is to come
        channel("dialer-inbound", "842873001555", bridge="b-1"),
        channel("dialer-connect", "agent-7"),
        channel("dialer-inbound", "842873001555", age_s=1.0),   # too young: its event may be under way
    ])
    assert found == [older, at_did]        # the longest waiting first


def test_a_caller_whose_arrival_event_came_meanwhile_is_not_adopted_a_second_time() -> None:
    translator = Translator("pbx1", new_id=lambda: "dl-heard")
    (heard,) = translator.feed(AmiMessage(MessageKind.EVENT, "UserEvent", {
        "Event": "UserEvent", "UserEvent": "DialerInboundArrived", "Uniqueid": "17.40", "Channel": "PJSIP/t-1",
        "CallerId": "+15550001234", "Did": "5000"}), 1.0)
    assert isinstance(heard, InboundCall)
    # recovery listed the channel before the event came: adopting it now is refused, the event's leg keeps it
    assert not translator.adopt("in-pbx1-17.40", LegKind.INBOUND, "PJSIP/t-1", uid="17.40")
    assert translator.leg_of_channel("17.40") == "dl-heard"


async def test_a_caller_who_arrived_while_no_engine_ran_is_taken_with_its_real_arrival_and_answered(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=SPEED, hold_limit_s=HOLD_S) as sim:
        scenario = await build_scenario(services.pool, leads=1, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        (agent,) = scenario.agent_ids
        queue = await hotline(services, {agent: 5})
        name = sim.inject_inbound(caller="+15550007777", did=DID, patience_s=900.0, talk_s=30.0)
        await until(lambda: holding(sim, name), what="the caller holding")
        await asyncio.sleep(1.5)                  # 30 s with no engine: nobody heard its DialerInboundArrived
        assert await services.pool.fetchval("SELECT count(*) FROM call_records") == 0
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            (call,) = [c for c in engine.calls.values() if c.inbound]     # taken during the start
            assert call.state.value == "waiting" and holding(sim, name)
            record = await services.pool.fetchrow("SELECT * FROM call_records WHERE id = $1", call.call_id)
            assert (record["direction"], record["queue_id"], record["did"]) == ("inbound", queue.id, DID)
            assert record["phone_e164"] == "+15550007777" and record["pbx_channel"] == name
            held_s = (record["originated_at"] - record["ready_at"]).total_seconds()
            assert 28.0 <= held_s <= 40.0, held_s        # its arrival: the channel's age, not the restart
            await until(lambda: scenario.campaign.id in engine.campaigns, what="the campaign loaded")
            await engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
            await until(lambda: caller_in_conference(sim, name, agent), what="the caller with the agent")
            await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30, what="wrap-up")
            await engine.set_disposition(agent, DispositionInput(call.call_id, "resolved"))
            await until(lambda: services.pool.fetchval("SELECT waited_s IS NOT NULL FROM call_records WHERE id = $1",
                                                       call.call_id), what="the record closed")
        assert engine.errors == []
    (row,) = await services.pool.fetch("SELECT * FROM call_records")
    assert (row["outcome"], row["agent_id"], row["disposition"]) == ("handled", agent, "resolved")
    assert row["waited_s"] >= 30.0, row["waited_s"]      # the wait before the engine started counts


async def test_a_customer_sent_to_a_queue_and_holding_when_the_engine_dies_is_adopted_under_the_queues_record(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=5.0, hold_limit_s=HOLD_S) as sim:   # 99 s of talk: 20 s of wall time
        scenario = await build_scenario(services.pool, leads=2, agents=2, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        ann, bob = scenario.agent_ids
        queue = await hotline(services, {bob: 5})
        (lead,) = await _claim(services, scenario, 1)
        first = DoomedEngine(services, sim, scenario.campaign)
        first.view = replace(first.view, trunk_template="Local/1199@sim-customer")   # answers in 1 s, talks 99 s
        await first.start()
        await first.engine.agent_login(ann, scenario.campaign.id, phone_dial_string=virtual_phone(ann))
        await until(lambda: first.engine.agent_state(ann)["state"] == "ready", what="ann ready")
        call_id = await first.dial(lead)
        leg = first.engine.calls[call_id].leg_id
        await until(lambda: first.engine.agent_state(ann)["state"] == "on_call", what="the customer with ann")
        second_id = await first.engine.transfer_to_queue(ann, queue_id=queue.id)    # bob is not signed in: it holds
        await until(lambda: any(ch.uniqueid == leg and ch.moh and ch.context == "dialer-inbound"
                                for ch in sim.channels()), what="the customer holding in the queue")
        await asyncio.sleep(0.5)
        await first.kill()
        await asyncio.sleep(0.5)
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            call = engine.calls.get(second_id)
            assert call is not None and call.inbound and call.state.value == "waiting", call
            await until(lambda: scenario.campaign.id in engine.campaigns, what="the campaign loaded")
            await engine.agent_login(bob, scenario.campaign.id, phone_dial_string=virtual_phone(bob))
            await until(lambda: in_conference(sim, leg, bob), what="the customer with bob")
            await engine.hangup(bob)
            await until(lambda: engine.agent_state(bob)["state"] == "wrap_up", what="bob in wrap-up")
            await engine.set_disposition(bob, DispositionInput(str(second_id), "resolved"))
            await until(lambda: services.pool.fetchval("SELECT waited_s IS NOT NULL FROM call_records WHERE id = $1",
                                                       second_id), what="the queue's record closed")
        assert engine.errors == []
    rows = await services.pool.fetch("SELECT * FROM call_records ORDER BY id")
    assert [r["id"] for r in rows] == [call_id, second_id], "no second record of the queue's caller"
    into = rows[1]
    assert (into["direction"], into["queue_id"], into["transferred_from_call_id"]) == ("inbound", queue.id, call_id)
    assert (into["outcome"], into["agent_id"], into["disposition"]) == ("handled", bob, "resolved")
    assert into["waited_s"] >= 5.0, into["waited_s"]     # held across the restart


async def test_a_caller_talking_with_its_agent_when_the_engine_dies_stays_its_queues_call(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=SPEED, hold_limit_s=HOLD_S) as sim:
        scenario = await build_scenario(services.pool, leads=1, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        (agent,) = scenario.agent_ids
        queue = await hotline(services, {agent: 5})
        first = DoomedEngine(services, sim, scenario.campaign)
        await first.start()
        await first.engine.inbound.load_rules()
        await first.engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: first.engine.agent_state(agent)["state"] == "ready", what="the agent ready")
        name = sim.inject_inbound(caller="+15550008888", did=DID, patience_s=900.0, talk_s=60.0)
        await until(lambda: caller_in_conference(sim, name, agent), what="the caller with its agent")
        (before,) = await services.pool.fetch("SELECT * FROM call_records")
        await first.kill()
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            assert caller_in_conference(sim, name, agent)                 # never cut
            view = engine.agent_state(agent)
            assert view["state"] == "on_call" and view["call"]["call_id"] == str(before["id"])
            call = engine.calls[before["id"]]
            assert call.inbound and call.pool.id == queue.id
            await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30, what="wrap-up")
            await engine.set_disposition(agent, DispositionInput(before["id"], "resolved"))    # the queue's code
            await until(lambda: engine.agent_state(agent)["state"] == "ready", what="ready again")
            await until(lambda: services.pool.fetchval("SELECT waited_s IS NOT NULL FROM call_records WHERE id = $1",
                                                       before["id"]), what="the record's wait")
        assert engine.errors == []
    (row,) = await services.pool.fetch("SELECT * FROM call_records")
    assert (row["outcome"], row["agent_id"], row["disposition"]) == ("handled", agent, "resolved")
    assert row["queue_id"] == queue.id and row["waited_s"] < 5.0


async def test_a_caller_whose_callback_the_dead_engine_placed_gets_no_second_callback(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=SPEED, hold_limit_s=HOLD_S) as sim:
        scenario = await build_scenario(services.pool, leads=1, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
            {"name": "Hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}, "max_wait_s": 10,
             "overflow_action": "callback", "callback_campaign_id": scenario.campaign.id}))
        first = DoomedEngine(services, sim, scenario.campaign)
        await first.start()
        name = sim.inject_inbound(caller="+15550009191", did=DID, patience_s=900.0)
        await until(lambda: any(c.inbound for c in first.engine.calls.values()), what="the caller in its queue")
        await first.kill()                     # within its 10 s: as if it died having placed the callback and
        async with services.pool.acquire() as conn:   # noted it on the record, before the caller heard its message
            lead_id = await conn.fetchval("INSERT INTO leads (campaign_id, phone_e164) VALUES ($1, $2) RETURNING id",
                                          scenario.campaign.id, "+15550009191")
            placed = await campaigns_repository.create_callback(conn, lead_id=lead_id, due_at=services.clock.now(),
                                                                agent_id=None, created_by=None, note="before the crash")
            await conn.execute("UPDATE call_records SET callback_id = $1 WHERE direction = 'inbound'", placed.id)
        await asyncio.sleep(1.0)               # its maximum wait passes while no engine runs
        async with run_system(services, engine_id=ENGINE, tick_s=0.2):
            await until(lambda: not any(ch.name == name for ch in sim.channels()), what="the caller told and gone")
            await until(lambda: services.pool.fetchval("SELECT outcome IS NOT NULL FROM call_records"),
                        what="the record closed")
    (record,) = await services.pool.fetch("SELECT * FROM call_records")
    assert (record["outcome"], record["callback_id"], record["queue_id"]) == ("called_back", placed.id, queue.id)
    assert await services.pool.fetchval("SELECT count(*) FROM callbacks") == 1       # never placed twice


async def test_a_caller_whose_record_was_closed_just_before_the_crash_gets_its_wait_at_the_restart(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=SPEED, hold_limit_s=HOLD_S):
        scenario = await build_scenario(services.pool, leads=1, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        (agent,) = scenario.agent_ids
        queue = await hotline(services, {agent: 5})
        now = services.clock.now()
        # the engine wrote the outcome and died before the wait (two writes)
        call_id = await call_records.open_record(
            services.pool, campaign_id=None, lead_id=None, agent_id=agent, engine_id=ENGINE, leg_id="dl-gone",
            direction="inbound", phone_e164="+15550006161", dial_string="", caller_id=DID,
            originated_at=now - timedelta(seconds=60))
        await services.pool.execute(
            "UPDATE call_records SET queue_id = $2, ready_at = $3, connected_at = $4, ended_at = $5, outcome = 'handled'"
            " WHERE id = $1", call_id, queue.id, now - timedelta(seconds=60), now - timedelta(seconds=48),
            now - timedelta(seconds=10))
        async with run_system(services, engine_id=ENGINE, tick_s=0.2):
            pass
    assert await services.pool.fetchval("SELECT waited_s FROM call_records WHERE id = $1", call_id) == 12.0


async def test_a_caller_who_arrived_while_the_ami_link_was_down_is_taken_when_it_comes_back(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=SPEED, hold_limit_s=HOLD_S) as sim:
        scenario = await build_scenario(services.pool, leads=1, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        (agent,) = scenario.agent_ids
        queue = await hotline(services, {agent: 5})
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            sim.faults.refuse_logins = True
            assert sim.faults.drop_connections() == 1          # the engine's link goes; the engine lives on
            name = sim.inject_inbound(caller="+15550005151", did=DID, patience_s=900.0, talk_s=30.0)
            await until(lambda: holding(sim, name), what="the caller holding")
            await asyncio.sleep(1.0)                           # 20 s: nobody hears its DialerInboundArrived
            sim.faults.refuse_logins = False
            await until(lambda: any(c.inbound for c in engine.calls.values()), what="the caller taken")
            (call,) = [c for c in engine.calls.values() if c.inbound]
            record = await services.pool.fetchrow("SELECT * FROM call_records WHERE id = $1", call.call_id)
            assert (record["queue_id"], record["phone_e164"], record["pbx_channel"]) == (queue.id, "+15550005151",
                                                                                         name)
            assert (record["originated_at"] - record["ready_at"]).total_seconds() >= 18.0
        assert engine.errors == []


async def test_a_caller_who_pressed_1_while_no_engine_ran_keeps_its_place(services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=SPEED, hold_limit_s=HOLD_S) as sim:
        scenario = await build_scenario(services.pool, leads=1, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
            {"name": "Hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES},
             "press1_callback": True, "callback_campaign_id": scenario.campaign.id}))
        first = DoomedEngine(services, sim, scenario.campaign)
        await first.start()
        name = sim.inject_inbound(caller="+15550004141", did=DID, patience_s=900.0)
        await until(lambda: any(c.inbound for c in first.engine.calls.values()), what="the caller in its queue")
        ch = next(c for c in sim.channels() if c.name == name)
        await until(lambda: ch.variables.get("DIALER_PRESS1") == "1", what="the queue's offer set on the caller")
        await first.kill()
        ch.variables["DIALER_CALLBACK_MSG"] = "&".join(["tt-monkeys"] * 10)   # a long thank-you: ~8 s of wall time
        press_key(sim.switch, ch, "1")                 # no engine hears its DialerCallbackRequest
        await until(lambda: ch.exten == "callback", what="the caller thanked")
        async with run_system(services, engine_id=ENGINE, tick_s=0.2):
            assert ch.exten == "callback"              # still hearing its thank-you
            await until(lambda: services.pool.fetchval("SELECT outcome IS NOT NULL FROM call_records"),
                        what="the record closed")
    place = await services.pool.fetchrow("SELECT * FROM queue_callbacks")
    (record,) = await services.pool.fetch("SELECT * FROM call_records")
    assert record["outcome"] == "called_back" and record["queue_id"] == queue.id, dict(record)
    assert place is not None and place["inbound_call_id"] == record["id"]
