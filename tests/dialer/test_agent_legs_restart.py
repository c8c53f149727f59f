"""After an Asterisk restart the agents stay signed in and the engine calls their phones again by itself
(a few tries, on its clock); the agent's panel says what is happening; an agent who signed out on purpose
is left alone. The agent machine's part is pure; the rest runs on the real engine and the simulated PBX
over TCP, whose restart hangs up every channel as Asterisk 22 does."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

import pytest

from campaigns.model import DialMode
from dialer import agents as ag
from dialer.agent_legs import RestorePolicy, as_cut_by_pbx
from dialer.agents import Agent, AgentState
from dialer.calls import Pool, PoolKind
from dialer.clock import RealClock
from dialer.effects import AgentLost, IllegalTransition, Originate
from dialer.pbx_port import CTX_AGENT, FailReason, LegFailed, LegHungUp, LegKind, OriginateRequest
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone

SPEED = 20.0


async def until(predicate, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_a_cut_phone_is_called_again_three_times_two_four_and_eight_seconds_apart() -> None:
    assert RestorePolicy().delays() == (2.0, 4.0, 8.0)
    with pytest.raises(ValueError):
        RestorePolicy(tries=0)


def test_a_leg_that_ended_while_its_link_was_down_counts_as_cut_by_the_pbx() -> None:
    hung_up = LegHungUp("pbx1", 1.0, "dl-a", 16)
    assert as_cut_by_pbx(hung_up, link_down=True).pbx_cut and as_cut_by_pbx(hung_up, link_down=False) == hung_up
    failed = LegFailed("pbx1", 1.0, "dl-a", FailReason.OTHER)
    assert as_cut_by_pbx(failed, link_down=True).reason is FailReason.PBX_CUT


def _phone(leg: str) -> OriginateRequest:
    return OriginateRequest(leg_id=leg, kind=LegKind.AGENT, dial_string="PJSIP/agent3", context=CTX_AGENT,
                            exten="agent-3", timeout_s=20.0)


def _ready() -> Agent:
    agent = Agent(3, pools=frozenset({Pool(PoolKind.CAMPAIGN, 7)}))
    agent, _ = ag.step(agent, ag.Login(_phone("dl-1")), 0.0)
    agent, _ = ag.step(agent, ag.LegUp(), 1.0)
    return agent


def test_a_phone_the_pbx_cut_keeps_the_agent_signed_in_waiting_to_be_called_again() -> None:
    agent, effects = ag.step(_ready(), ag.LegDown(pbx_cut=True), 5.0)
    assert agent.state is AgentState.CONNECTING and agent.awaiting_phone and agent.leg_id is None and effects == ()
    agent, effects = ag.step(agent, ag.Redial(_phone("dl-2")), 9.0)
    assert agent.leg_id == "dl-2" and effects[0] == Originate(_phone("dl-2"))
    failed, _ = ag.step(agent, ag.LegDown(), 9.5)                  # this try failed: still waiting
    assert failed.state is AgentState.CONNECTING and failed.awaiting_phone and failed.leg_id is None
    back, _ = ag.step(agent, ag.LegUp(), 10.0)
    assert back.state is AgentState.READY and not back.awaiting_phone
    gone, _ = ag.step(failed, ag.GiveUp(), 30.0)
    assert gone.state is AgentState.LOGGED_OUT and not gone.awaiting_phone
    with pytest.raises(IllegalTransition):
        ag.step(_ready(), ag.Redial(_phone("dl-3")), 5.0)          # only a phone the PBX cut is re-dialled
    hung_up, _ = ag.step(_ready(), ag.LegDown(), 5.0)              # the agent hung up: signed out, as before
    assert hung_up.state is AgentState.LOGGED_OUT


def test_an_agent_cut_mid_call_wraps_up_first_and_a_paused_one_is_paused_again() -> None:
    agent, _ = ag.step(_ready(), ag.Reserve(11), 2.0)
    agent, _ = ag.step(agent, ag.CustomerJoined(11), 2.1)
    agent, effects = ag.step(agent, ag.LegDown(pbx_cut=True), 5.0)
    assert agent.state is AgentState.WRAP_UP and agent.awaiting_phone and effects == (AgentLost(11, 3),)
    agent, _ = ag.step(agent, ag.Dispose("call_back"), 9.0)
    assert agent.state is AgentState.CONNECTING and agent.awaiting_phone and agent.leg_id is None
    paused, _ = ag.step(_ready(), ag.Pause("lunch"), 2.0)
    paused, _ = ag.step(paused, ag.LegDown(pbx_cut=True), 5.0)
    paused, _ = ag.step(paused, ag.Redial(_phone("dl-2")), 9.0)
    paused, _ = ag.step(paused, ag.LegUp(), 10.0)
    assert paused.state is AgentState.PAUSED and paused.pause_reason == "lunch"


@pytest.fixture
async def preview_campaign(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    return await build_scenario(db_pool, leads=5, agents=3, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)


async def _watch(engine: Any, agent_id: int, seen: dict[int, list[tuple[str, str | None]]]) -> None:
    async for view in engine.subscribe_agent(agent_id):
        step = (view["state"], view.get("phone_notice"))
        if not seen[agent_id] or seen[agent_id][-1] != step:
            seen[agent_id].append(step)


def _notices(steps: list[tuple[str, str | None]]) -> list[str]:
    """The panel notices in the order they appeared."""
    out: list[str] = []
    for _, notice in steps:
        if notice and (not out or out[-1] != notice):
            out.append(notice)
    return out


async def _signed_in(engine: Any, agents: list[int], campaign_id: int) -> None:
    await until(lambda: campaign_id in engine.campaigns)
    for agent_id in agents:
        await engine.agent_login(agent_id, campaign_id, phone_dial_string=virtual_phone(agent_id))
    await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in agents))


async def test_after_an_asterisk_restart_the_agents_phones_are_called_again_and_the_panel_says_so(
        services, preview_campaign) -> None:
    scenario = preview_campaign
    cid = scenario.campaign.id
    stayed, left = scenario.agent_ids[:2], scenario.agent_ids[2]
    seen: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2), engine_id="legs-test",
                          tick_s=0.5) as system:
        engine = system.engine
        await _signed_in(engine, scenario.agent_ids, cid)
        await engine.agent_logout(left)                 # stopped taking calls on purpose before the restart
        watchers = [asyncio.create_task(_watch(engine, a, seen)) for a in scenario.agent_ids]
        await system.sim.faults.restart()               # type: ignore[union-attr]
        await until(lambda: all(engine.agent_state(a).get("phone_notice") == "phone_reconnected" for a in stayed))
        states = {a: engine.agent_state(a) for a in scenario.agent_ids}
        phones = [o.channel for o in system.sim.originate_log if o.context == "dialer-agent"]  # type: ignore[union-attr]
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    assert system.engine.errors == []
    for agent_id in stayed:
        assert states[agent_id]["state"] == "ready"
        assert phones.count(virtual_phone(agent_id)) == 2          # signed in once by hand, once by the engine
        assert _notices(seen[agent_id]) == ["phone_pbx_restarting", "phone_reconnecting", "phone_reconnected"], seen[agent_id]
        assert "logged_out" not in [state for state, _ in seen[agent_id]]   # nobody had to sign in again
        assert ("connecting", "phone_pbx_restarting") in seen[agent_id]
    assert states[left]["state"] == "logged_out" and states[left]["phone_notice"] is None
    assert phones.count(virtual_phone(left)) == 1 and _notices(seen[left]) == []


async def test_the_engine_gives_up_after_three_tries_and_tells_the_agent_to_sign_in_again(
        services, preview_campaign) -> None:
    from dialer import users

    scenario = preview_campaign
    cid, agent_id = scenario.campaign.id, scenario.agent_ids[0]
    seen: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    await users.update_user(services.pool, user_id=agent_id, phone_dial_string=virtual_phone(agent_id))
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2), engine_id="legs-test",
                          tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: cid in engine.campaigns)
        await engine.agent_login(agent_id, cid)          # the agent's own phone
        await until(lambda: engine.agent_state(agent_id)["state"] == "ready")
        watcher = asyncio.create_task(_watch(engine, agent_id, seen))
        # meanwhile the agent's phone was changed to a number that does not exist: every try fails
        await users.update_user(services.pool, user_id=agent_id, phone_dial_string="Local/0000@sim-customer")
        started = time.monotonic()
        await system.sim.faults.restart()               # type: ignore[union-attr]
        await until(lambda: engine.agent_state(agent_id).get("phone_notice") == "phone_gave_up")
        took_s = (time.monotonic() - started) * SPEED
        final = engine.agent_state(agent_id)
        await engine.agent_login(agent_id, cid, phone_dial_string=virtual_phone(agent_id))   # the person, again
        await until(lambda: engine.agent_state(agent_id)["state"] == "ready")
        after = engine.agent_state(agent_id)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    states = [state for state, _ in seen[agent_id]]
    states = [state for i, state in enumerate(states) if i == 0 or states[i - 1] != state]
    assert final["state"] == "logged_out" and states == ["ready", "connecting", "logged_out", "connecting", "ready"]
    assert _notices(seen[agent_id]) == ["phone_pbx_restarting", "phone_reconnecting", "phone_gave_up"]
    assert took_s >= 2 + 4 + 8                           # three tries, 2, 4 and 8 s apart on the engine's clock
    assert after["phone_notice"] is None                 # signing in again clears it


async def test_an_agent_cut_in_the_middle_of_a_call_sets_the_disposition_first_then_the_phone_is_called(
        services, preview_campaign) -> None:
    from dialer.engine_api import DispositionInput
    from simulations.call_model import CustomerModel, LogNormal

    answers = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0,
                            invalid_rate=0.0, ring=LogNormal(2.0, 0.1), talk=LogNormal(600.0, 0.05),
                            patience=LogNormal(60.0, 0.1))
    scenario = preview_campaign
    cid, agent_id = scenario.campaign.id, scenario.agent_ids[0]
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2, customer_model=answers),
                          engine_id="legs-test", tick_s=0.5) as system:
        engine = system.engine
        await _signed_in(engine, [agent_id], cid)
        lead = await engine.preview_next(agent_id)
        call_id = await engine.preview_dial(agent_id, lead["lead_id"])
        await until(lambda: engine.agent_state(agent_id)["state"] == "on_call")
        await system.sim.faults.restart()               # type: ignore[union-attr]
        await until(lambda: engine.agent_state(agent_id)["state"] == "wrap_up")
        await asyncio.sleep(2.0)                        # 40 s on the engine's clock: no call while in wrap-up
        during = engine.agent_state(agent_id)
        rung = [o.channel for o in system.sim.originate_log if o.context == "dialer-agent"]  # type: ignore[union-attr]
        await engine.set_disposition(agent_id, DispositionInput(call_id, "call_back"))
        await until(lambda: engine.agent_state(agent_id).get("phone_notice") == "phone_reconnected")
        after = engine.agent_state(agent_id)
        phones = [o.channel for o in system.sim.originate_log if o.context == "dialer-agent"]  # type: ignore[union-attr]
    assert during["state"] == "wrap_up" and during["call"]["call_id"] == call_id
    assert rung.count(virtual_phone(agent_id)) == 1                # not called while the agent wraps up
    assert phones.count(virtual_phone(agent_id)) == 2 and after["state"] == "ready"
