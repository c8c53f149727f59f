"""An engine that dies during a warm transfer strands nobody: the restarted engine finds the customer on hold
(``dialer-hold``) and the receiving agent's phone in the sender's conference; the phone goes home, the customer
goes back to the sender, or to the receiving agent if the sender's phone is gone; the call is adopted, ends as
usual with a disposition, and is never dialled again. The simulated PBX outlives the engine, as in
``test_engine_restart``."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from campaigns.model import DialMode
from dialer.calls import CallOutcome
from dialer.engine_api import DispositionInput
from dialer.pbx_port import LiveChannel
from dialer.recovery import judge_orphan
from dialer.recovery_consult import Visit, keeper, visits
from dialer.system import run_system
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_engine_restart import (
    ENGINE,
    PBX_NAME,
    DoomedEngine,
    _claim,
    in_conference,
    live,
    outliving_pbx,
    until,
)
from tests.dialer.test_transfer_warm import holds, on_hold


def _leg(leg_id: str, context: str, exten: str) -> LiveChannel:
    return LiveChannel(server=PBX_NAME, leg_id=leg_id, channel=f"Local/{leg_id}", state="Up", context=context,
                       exten=exten, duration_s=30.0)


SENDER_LEG = _leg("a7", "dialer-agent", "agent-7")
VISITING_LEG = _leg("a8", "dialer-agent", "agent-7")      # agent 8 brought into agent 7's conference
HELD = _leg("cust", "dialer-hold", "agent-7")
RECORD = {"id": 9, "leg_id": "cust", "answered_at": "t", "ready_at": "t", "connected_at": "t", "agent_id": 7}


def test_an_agent_phone_found_in_another_agents_conference_was_visiting_it() -> None:
    by_leg = {leg.leg_id: leg for leg in (SENDER_LEG, VISITING_LEG)}
    assert visits([(7, "a7"), (8, "a8"), (9, None)], by_leg) == [Visit(8, 7, VISITING_LEG)]


def test_the_sender_keeps_its_customer_else_the_agent_that_was_visiting_it_else_nobody() -> None:
    home_8 = _leg("a8", "dialer-agent", "agent-8")
    assert keeper(7, {7: SENDER_LEG, 8: home_8}, {7: 8}) == 7
    assert keeper(7, {8: home_8}, {7: 8}) == 8
    assert keeper(7, {8: home_8}, {}) is None and keeper(7, {}, {7: 8}) is None


def test_a_customer_on_hold_is_adopted_by_whoever_keeps_it_never_sent_to_safe_harbor() -> None:
    back = judge_orphan(RECORD, HELD, {7: SENDER_LEG})
    assert back.adopted and back.agent_id == 7 and "back from hold" in back.detail
    moved = judge_orphan(RECORD, HELD, {8: _leg("a8", "dialer-agent", "agent-8")}, {7: 8})
    assert moved.adopted and moved.agent_id == 8 and "receiving agent keeps the call" in moved.detail
    alone = judge_orphan(RECORD, HELD, {})
    assert alone.outcome is CallOutcome.HANDLED and alone.hangup and not alone.safe_harbor and alone.agent_id == 7


def test_a_three_way_whose_sender_is_gone_stays_with_the_agent_that_was_visiting() -> None:
    three_way = _leg("cust", "dialer-connect", "agent-7")
    assert judge_orphan(RECORD, three_way, {7: SENDER_LEG}).agent_id == 7
    moved = judge_orphan(RECORD, three_way, {8: _leg("a8", "dialer-agent", "agent-8")}, {7: 8})
    assert moved.adopted and moved.agent_id == 8


async def _consult_then_crash(services, build_scenario, sim, *, sender_phone_survives: bool):  # type: ignore[no-untyped-def]
    scenario = await build_scenario(services.pool, leads=2, agents=2, now=services.clock.now(),
                                    mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
    sender, receiver = scenario.agent_ids
    (lead,) = await _claim(services, scenario, 1)
    first = DoomedEngine(services, sim, scenario.campaign)
    first.view = replace(first.view, trunk_template="Local/1199@sim-customer")   # the customer talks 99 s
    first.engine.campaigns[scenario.campaign.id] = first.view
    await first.start()
    for agent in (sender, receiver):
        await first.engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
    await until(lambda: all(first.engine.agent_state(a)["state"] == "ready" for a in (sender, receiver)),
                what="both agents ready")
    call_id = await first.dial(lead)
    leg = first.engine.calls[call_id].leg_id
    legs = {a: first.engine.agents[a].leg_id for a in (sender, receiver)}
    await until(lambda: in_conference(sim, leg, sender) and first.engine.agent_state(sender)["state"] == "on_call",
                what="the customer with the sender")
    await first.engine.transfer_consult(sender, to_agent_id=receiver)
    await until(lambda: on_hold(sim, leg) and in_conference(sim, legs[receiver], sender), what="the consult")
    await first.kill()
    if not sender_phone_survives:
        phone = next(ch for ch in sim.channels() if ch.uniqueid == legs[sender])
        sim.switch.hangup(phone, 16)
        await until(lambda: not live(sim, legs[sender]), what="the sender's phone gone")
    return scenario, lead, call_id, leg, legs


async def test_an_engine_dead_mid_consult_brings_the_customer_back_from_hold_to_its_agent(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=5.0) as sim:
        scenario, _, call_id, leg, legs = await _consult_then_crash(services, build_scenario, sim,
                                                                    sender_phone_survives=True)
        sender, receiver = scenario.agent_ids
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            # nobody on hold, nobody left in someone else's conference, nobody hung up but the idle receiver
            assert in_conference(sim, leg, sender) and not on_hold(sim, leg)
            assert live(sim, legs[sender])
            # the receiving agent, who kept no call, is signed out as any idle agent after a crash: its phone,
            # sent home first, is hung up; it is not left in the sender's conference
            await until(lambda: not live(sim, legs[receiver]), what="the idle receiver's phone hung up")
            view = engine.agent_state(sender)
            assert view["state"] == "on_call" and view["call"]["call_id"] == str(call_id)
            assert await holds(services.pool, str(call_id)) == [(sender, receiver, "recovered", True)]
            sim.switch.far_hangup(next(ch for ch in sim.channels() if ch.uniqueid == leg).leg, 16)
            await until(lambda: engine.agent_state(sender)["state"] == "wrap_up", what="the customer done")
            await engine.set_disposition(sender, DispositionInput(str(call_id), "sale"))
            await until(lambda: engine.agent_state(sender)["state"] == "ready", what="the sender ready again")
        record = await services.pool.fetchrow("SELECT outcome, disposition, agent_id FROM call_records WHERE id = $1",
                                              call_id)
        assert dict(record) == {"outcome": "handled", "disposition": "sale", "agent_id": sender}
        assert len([o for o in sim.originate_log if "sim-customer" in o.channel]) == 1     # never dialled again


async def test_an_engine_dead_mid_consult_whose_sender_is_gone_gives_the_customer_to_the_receiving_agent(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=5.0) as sim:
        scenario, lead, call_id, leg, legs = await _consult_then_crash(services, build_scenario, sim,
                                                                       sender_phone_survives=False)
        sender, receiver = scenario.agent_ids
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            await until(lambda: in_conference(sim, leg, receiver) and in_conference(sim, legs[receiver], receiver),
                        what="the customer and the receiving agent in its own conference")
            assert not on_hold(sim, leg)
            view = engine.agent_state(receiver)
            assert view["state"] == "on_call" and view["call"]["call_id"] == str(call_id)
            assert view["call"]["lead_id"] == lead.id
            assert await holds(services.pool, str(call_id)) == [(sender, receiver, "recovered", True)]
            await engine.hangup(receiver)
            await until(lambda: engine.agent_state(receiver)["state"] == "wrap_up", what="the receiver's wrap-up")
            await engine.set_disposition(receiver, DispositionInput(str(call_id), "sale"))
            await until(lambda: engine.agent_state(receiver)["state"] == "ready", what="the receiver ready again")
            await until(lambda: services.pool.fetchval("SELECT lead_settled FROM call_records WHERE id = $1",
                                                       call_id), what="the lead settled")
        record = await services.pool.fetchrow("SELECT outcome, agent_id, ended_at, connected_at FROM call_records"
                                              " WHERE id = $1", call_id)
        assert record["outcome"] == "handled" and record["agent_id"] == receiver
        assert record["ended_at"] - record["connected_at"] > timedelta(0)
        assert len([o for o in sim.originate_log if "sim-customer" in o.channel]) == 1     # never dialled again
