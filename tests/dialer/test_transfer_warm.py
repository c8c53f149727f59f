"""Warm transfer and three-way call between two agents, on the real engine and the simulated PBX over TCP
(which runs the shipped dialplan): the customer is put on hold (``dialer-hold``: out of the conference, music on
hold, it hears nothing of what the agents say) and the receiving agent's phone leg is redirected into the
sender's conference; all three talk in a 3-way (the customer back from hold); when the sender leaves, the
receiving agent owns the call as after a blind transfer; a cancel sends it back, ready, and the customer back
to the sender. Every hold is on the call's timeline (``call_holds``)."""

from __future__ import annotations

import asyncio
import time

import pytest

from campaigns.model import DialMode
from dialer.engine_api import DispositionInput, EngineError
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_engine_api import ALWAYS_ANSWERS, until

SPEED = 10.0


@pytest.fixture
async def two_agents(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    from dialer.clock import RealClock

    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    return await build_scenario(db_pool, leads=20, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0, seed=17)


def on_hold(sim, leg_id: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether the leg hears music on hold in ``dialer-hold``, in no conference."""
    return any(ch.uniqueid == leg_id and ch.context == "dialer-hold" and ch.moh and ch.bridge is None
               for ch in sim.channels())


async def holds(pool, call_id: str) -> list[tuple[int | None, int | None, str | None, bool]]:  # type: ignore[no-untyped-def]
    """The call's timeline of holds: (agent, agent consulted, how it ended, whether it ended)."""
    rows = await pool.fetch("SELECT * FROM call_holds WHERE call_id = $1 ORDER BY id", int(call_id))
    return [(r["agent_id"], r["consult_agent_id"], r["end_reason"], r["ended_at"] is not None) for r in rows]


async def holds_become(pool, call_id: str, expected: list[tuple[int | None, int | None, str | None, bool]],  # type: ignore[no-untyped-def]
                       timeout_s: float = 10.0) -> None:
    """The timeline of holds is written by the engine's effects, just after the state it follows: wait for it."""
    deadline = time.monotonic() + timeout_s
    while (seen := await holds(pool, call_id)) != expected:
        assert time.monotonic() < deadline, f"holds {seen} never became {expected}"
        await asyncio.sleep(0.05)


def conference_of(sim, leg_id: str) -> str | None:  # type: ignore[no-untyped-def]
    """The ConfBridge the simulated PBX has the leg in now (None: in none, or gone)."""
    for ch in sim.channels():
        if ch.uniqueid == leg_id:
            return ch.bridge.conference if ch.bridge is not None else None
    return None


async def both_ready(engine, scenario) -> None:  # type: ignore[no-untyped-def]
    """The campaign runs and both agents are signed in to it with their virtual phones, ready."""
    first, second = scenario.agent_ids
    await until(lambda: scenario.campaign.id in engine.campaigns)
    for agent in (first, second):
        await engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
    await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in (first, second)))


async def the_receiver_hangs_up_and_disposes(engine, receiver: int, call_id: str) -> None:  # type: ignore[no-untyped-def]
    """The receiving agent owns the call: it hangs up, sets the disposition and is ready; nothing is left over."""
    await engine.hangup(receiver)
    await until(lambda: engine.agent_state(receiver)["call"]["transfer"]["stage"] == "wrap_up")
    await engine.set_disposition(receiver, DispositionInput(call_id, "sale"))
    await until(lambda: engine.agent_state(receiver)["state"] == "ready")
    await engine.drain()
    assert engine.errors == [] and engine.holds == {} and engine.consults == {}


async def on_a_call(engine, agent_id: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    lead = await engine.preview_next(agent_id)
    assert lead is not None
    call_id = await engine.preview_dial(agent_id, lead["lead_id"])
    await until(lambda: engine.agent_state(agent_id)["state"] == "on_call")
    return call_id, engine.calls[int(call_id)].leg_id


async def test_talk_first_then_three_way_then_the_sender_leaves_and_the_receiver_owns_the_call(
        services, two_agents) -> None:
    scenario = two_agents
    first, second = scenario.agent_ids
    names = {r["id"]: r["display_name"] for r in await services.pool.fetch("SELECT id, display_name FROM users")}
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=4, customer_model=ALWAYS_ANSWERS),
                          engine_id="warm-transfer", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await both_ready(engine, scenario)
        assert engine.ready_agents(scenario.campaign.id, but=first) == [second]
        call_id, customer = await on_a_call(engine, first)
        assert engine.ready_agents(scenario.campaign.id, but=second) == []     # on a call: not offered
        receiver_leg = engine.agents[second].leg_id
        assert conference_of(sim, receiver_leg) == f"agent-{second}"

        # talk first: the customer on hold (music, out of the conference), the receiving agent's phone in the
        # sender's conference; the sender is still on the call
        await engine.transfer_consult(first, to_agent_id=second)
        await until(lambda: conference_of(sim, receiver_leg) == f"agent-{first}")
        await until(lambda: on_hold(sim, customer))
        assert conference_of(sim, customer) is None and customer not in sim.conference_muted
        await holds_become(services.pool, call_id, [(first, second, None, False)])
        assert engine.agent_state(first)["state"] == "on_call"
        assert engine.agent_state(first)["consult"] == {"to_agent_id": second, "to_name": names[second],
                                                        "stage": "consult"}
        receiving = engine.agent_state(second)
        assert receiving["state"] == "paused" and receiving["pause_reason"] == "transfer"   # no other call meanwhile
        assert receiving["call"]["transfer"] == {"from_agent_id": first, "from_name": names[first], "stage": "consult"}
        with pytest.raises(EngineError, match="finish or cancel the transfer under way first"):
            await engine.transfer(first, to_agent_id=second)
        with pytest.raises(EngineError, match="finish the call transferred to you first"):
            await engine.agent_ready(second)       # ready now would let the router send it a second customer

        # three-way: the customer back from hold, all three in the sender's conference
        await engine.transfer_conference(first)
        await until(lambda: conference_of(sim, customer) == f"agent-{first}")
        assert not on_hold(sim, customer) and engine.agent_state(first)["state"] == "on_call"
        await holds_become(services.pool, call_id, [(first, second, "three_way", True)])
        assert engine.agent_state(second)["call"]["transfer"]["stage"] == "conference"
        assert engine.agent_state(first)["consult"]["stage"] == "conference"

        # the sender leaves: both go to the receiving agent's conference, which owns the call from now on
        await engine.transfer_complete(first)
        await until(lambda: conference_of(sim, customer) == f"agent-{second}"
                    and conference_of(sim, receiver_leg) == f"agent-{second}")
        await until(lambda: engine.agent_state(first)["state"] == "ready")
        assert "consult" not in engine.agent_state(first) and engine.agent_state(first)["calls_today"] == 1
        assert engine.agent_state(second)["call"]["transfer"]["stage"] == "talking"
        await engine.hangup(second)
        await until(lambda: engine.agent_state(second)["call"]["transfer"]["stage"] == "wrap_up")
        await engine.set_disposition(second, DispositionInput(call_id, "sale", notes="three-way, then mine"))
        await until(lambda: engine.agent_state(second)["state"] == "ready")
        assert conference_of(sim, receiver_leg) == f"agent-{second}"   # its phone stayed up through all of it
        await engine.drain()
        assert engine.errors == [] and engine.consults == {} and engine.transfer_owner == {}
    record = await services.pool.fetchrow("SELECT outcome, disposition, notes FROM call_records WHERE id = $1",
                                          int(call_id))
    assert dict(record) == {"outcome": "handled", "disposition": "sale", "notes": "three-way, then mine"}


async def test_a_cancelled_consult_and_a_customer_who_hangs_up_meanwhile_send_the_receiver_back_ready(
        services, two_agents) -> None:
    scenario = two_agents
    first, second = scenario.agent_ids
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=6, customer_model=ALWAYS_ANSWERS),
                          engine_id="warm-cancel", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await both_ready(engine, scenario)
        call_id, customer = await on_a_call(engine, first)
        receiver_leg = engine.agents[second].leg_id

        # cancelled by the sender: the receiving agent goes home, ready; the sender gets its customer back from hold
        await engine.transfer_consult(first, to_agent_id=second)
        await until(lambda: conference_of(sim, receiver_leg) == f"agent-{first}" and on_hold(sim, customer))
        await engine.transfer_cancel(first)
        await until(lambda: conference_of(sim, receiver_leg) == f"agent-{second}")
        await until(lambda: engine.agent_state(second)["state"] == "ready")
        assert engine.agent_state(second)["call"] is None
        await until(lambda: conference_of(sim, customer) == f"agent-{first}")
        assert not on_hold(sim, customer)
        assert engine.agent_state(first)["state"] == "on_call" and "consult" not in engine.agent_state(first)

        # the receiving agent declines (its hang-up button): the same
        await engine.transfer_consult(first, to_agent_id=second, three_way=True)
        await until(lambda: conference_of(sim, receiver_leg) == f"agent-{first}")
        assert conference_of(sim, customer) == f"agent-{first}"          # a 3-way from the start: nobody on hold
        await engine.hangup(second)
        await until(lambda: engine.agent_state(second)["state"] == "ready"
                    and conference_of(sim, receiver_leg) == f"agent-{second}")
        assert conference_of(sim, customer) == f"agent-{first}"

        # the customer hangs up on hold while the agents talk: the receiving agent goes home, ready; the sender
        # wraps up and sets the disposition as after any call
        await engine.transfer_consult(first, to_agent_id=second)
        await until(lambda: conference_of(sim, receiver_leg) == f"agent-{first}" and on_hold(sim, customer))
        assert engine.agent_state(first)["state"] == "on_call"
        await engine.hangup(first)
        await until(lambda: engine.agent_state(first)["state"] == "wrap_up")
        await until(lambda: engine.agent_state(second)["state"] == "ready"
                    and conference_of(sim, receiver_leg) == f"agent-{second}")
        await engine.set_disposition(first, DispositionInput(call_id, "sale"))
        await until(lambda: engine.agent_state(first)["state"] == "ready")
        await engine.drain()
        assert engine.errors == [] and engine.consults == {} and engine.transfer_pops == {} and engine.holds == {}
    await holds_become(services.pool, call_id, [(first, second, "back", True), (first, second, "hung_up", True)])
    record = await services.pool.fetchrow("SELECT outcome, disposition FROM call_records WHERE id = $1", int(call_id))
    assert dict(record) == {"outcome": "handled", "disposition": "sale"}


async def test_a_transfer_completed_after_talking_first_takes_the_customer_from_hold_to_the_receiving_agent(
        services, two_agents) -> None:
    scenario = two_agents
    first, second = scenario.agent_ids
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=5, customer_model=ALWAYS_ANSWERS),
                          engine_id="warm-from-hold", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await both_ready(engine, scenario)
        call_id, customer = await on_a_call(engine, first)
        receiver_leg = engine.agents[second].leg_id
        await engine.transfer_consult(first, to_agent_id=second)
        await until(lambda: conference_of(sim, receiver_leg) == f"agent-{first}" and on_hold(sim, customer))

        # the sender leaves: the receiving agent goes home and the customer comes off hold straight into its
        # conference; it never heard the agents, and never came back to the sender
        joined: list[tuple[str, str]] = []
        sim.switch.dialplan.hooks.append(lambda u: joined.append((u.uniqueid, u.conference)) if u.joined else None)
        await engine.transfer_complete(first)
        await until(lambda: conference_of(sim, customer) == f"agent-{second}"
                    and conference_of(sim, receiver_leg) == f"agent-{second}")
        assert (customer, f"agent-{first}") not in joined
        await until(lambda: engine.agent_state(first)["state"] == "ready")
        assert engine.agent_state(second)["call"]["transfer"]["stage"] == "talking"
        await holds_become(services.pool, call_id, [(first, second, "transferred", True)])
        await the_receiver_hangs_up_and_disposes(engine, second, call_id)
    record = await services.pool.fetchrow("SELECT outcome, disposition FROM call_records WHERE id = $1", int(call_id))
    assert dict(record) == {"outcome": "handled", "disposition": "sale"}


async def test_the_senders_phone_hanging_up_during_the_consult_gives_the_customer_to_the_receiving_agent(
        services, two_agents) -> None:
    scenario = two_agents
    first, second = scenario.agent_ids
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=8, customer_model=ALWAYS_ANSWERS),
                          engine_id="warm-sender-gone", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await both_ready(engine, scenario)
        call_id, customer = await on_a_call(engine, first)
        sender_leg, receiver_leg = engine.agents[first].leg_id, engine.agents[second].leg_id
        await engine.transfer_consult(first, to_agent_id=second)
        await until(lambda: conference_of(sim, receiver_leg) == f"agent-{first}" and on_hold(sim, customer))

        # the sender's phone hangs up: the customer is not cut, it goes from hold to the receiving agent
        sim.switch.hangup(next(ch for ch in sim.channels() if ch.uniqueid == sender_leg), 16)
        await until(lambda: conference_of(sim, customer) == f"agent-{second}"
                    and conference_of(sim, receiver_leg) == f"agent-{second}")
        assert engine.agent_state(second)["call"]["transfer"]["stage"] == "talking"
        await until(lambda: engine.agent_state(first)["state"] == "logged_out")
        await holds_become(services.pool, call_id, [(first, second, "transferred", True)])
        await the_receiver_hangs_up_and_disposes(engine, second, call_id)
    record = await services.pool.fetchrow("SELECT outcome, disposition FROM call_records WHERE id = $1", int(call_id))
    assert dict(record) == {"outcome": "handled", "disposition": "sale"}


async def test_a_customer_who_hangs_up_on_hold_while_the_pbx_link_is_down_ends_the_hold_and_the_consult(
        services, two_agents) -> None:
    scenario = two_agents
    first, second = scenario.agent_ids
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=9, customer_model=ALWAYS_ANSWERS),
                          engine_id="warm-link-down", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await both_ready(engine, scenario)
        call_id, customer = await on_a_call(engine, first)
        receiver_leg = engine.agents[second].leg_id
        await engine.transfer_consult(first, to_agent_id=second)
        await until(lambda: conference_of(sim, receiver_leg) == f"agent-{first}" and on_hold(sim, customer))

        # the AMI link drops, and the customer hangs up on hold before it is back: nobody tells the engine but
        # the channel list after the reconnect
        assert sim.faults.drop_connections() == 1
        held = next(ch for ch in sim.channels() if ch.uniqueid == customer)
        sim.switch.far_hangup(held.leg, 16)
        await until(lambda: engine.agent_state(first)["state"] == "wrap_up", timeout_s=15)
        await until(lambda: engine.agent_state(second)["state"] == "ready"
                    and conference_of(sim, receiver_leg) == f"agent-{second}", timeout_s=15)
        await engine.set_disposition(first, DispositionInput(call_id, "sale"))
        await until(lambda: engine.agent_state(first)["state"] == "ready")
        await engine.drain()
        assert engine.holds == {} and engine.consults == {}
    await holds_become(services.pool, call_id, [(first, second, "hung_up", True)])


async def test_a_customer_left_on_hold_past_the_dialplans_limit_comes_back_and_the_consult_becomes_a_three_way(
        services, two_agents, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from simulations.pbx.conf_parser import SHIPPED_DIALPLAN

    # the shipped dialplan with its 600 s hold limit made 30 s, so the test waits 3 s, not a minute
    shipped = SHIPPED_DIALPLAN.read_text()
    assert shipped.count("MusicOnHold(,600)") == 1
    dialplan = tmp_path / "extensions_dialer.conf"
    dialplan.write_text(shipped.replace("MusicOnHold(,600)", "MusicOnHold(,30)"))
    scenario = two_agents
    first, second = scenario.agent_ids
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3, customer_model=ALWAYS_ANSWERS,
                                                         dialplan_path=dialplan),
                          engine_id="warm-hold-limit", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await both_ready(engine, scenario)
        call_id, customer = await on_a_call(engine, first)
        await engine.transfer_consult(first, to_agent_id=second)
        await until(lambda: on_hold(sim, customer))
        # nobody takes it off hold: after the dialplan's limit it is back in the sender's conference, with both
        # agents; the engine sees a 3-way, not a new customer
        await until(lambda: conference_of(sim, customer) == f"agent-{first}")
        await until(lambda: engine.agent_state(first)["consult"]["stage"] == "conference")
        assert engine.agent_state(second)["call"]["transfer"]["stage"] == "conference"
        assert engine.agent_state(first)["state"] == "on_call" and engine.holds == {}
        await holds_become(services.pool, call_id, [(first, second, "dialplan", True)])
        await engine.transfer_complete(first)
        await until(lambda: conference_of(sim, customer) == f"agent-{second}")
        await engine.drain()
        assert engine.errors == []


def test_the_panel_asks_for_a_warm_transfer_with_an_agent_to_bring_in_and_only_then() -> None:
    from agents_ws.protocol import ProtocolError, Warm, parse_message

    assert parse_message('{"type": "warm", "action": "consult", "to_agent_id": 7}') == Warm(
        type="warm", action="consult", to_agent_id=7)
    assert parse_message('{"type": "warm", "action": "complete"}').action == "complete"
    for wrong in ('{"type": "warm", "action": "three_way"}', '{"type": "warm", "action": "cancel", "to_agent_id": 7}',
                  '{"type": "warm", "action": "park"}'):
        with pytest.raises(ProtocolError, match="invalid message"):
            parse_message(wrong)
