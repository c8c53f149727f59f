"""The agent state machine: login to wrap-up, pending pauses and logouts, a lost phone, reconciliation."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer import agents as ag
from dialer.agents import (
    Agent,
    AgentState,
    CustomerJoined,
    CustomerLeft,
    Dispose,
    LegDown,
    LegUp,
    Login,
    Logout,
    Pause,
    Release,
    Reserve,
    Resume,
    TimerFired,
)
from dialer.calls import Pool, PoolKind
from dialer.effects import (
    AgentLost,
    CloseCall,
    Effect,
    Hangup,
    IllegalTransition,
    Originate,
    StartAgentTimer,
    Timer,
)
from dialer.pbx_port import (
    CTX_AGENT,
    ConferenceJoined,
    ConferenceLeft,
    LegHungUp,
    LegKind,
    LiveChannel,
    OriginateRequest,
)
from dialer.reconcile import reconcile

POOL = Pool(PoolKind.CAMPAIGN, 7)
PHONE = OriginateRequest(leg_id="dl-agent-3", kind=LegKind.AGENT, dial_string="PJSIP/agent3",
                         context=CTX_AGENT, exten="agent-3", timeout_s=20.0)


def run(agent: Agent, *timed: tuple[float, ag.AgentEvent]) -> tuple[Agent, list[Effect]]:
    effects: list[Effect] = []
    for now, event in timed:
        agent, out = ag.step(agent, event, now)
        effects.extend(out)
    return agent, effects


def ready_agent(at: float = 10.0) -> Agent:
    agent, _ = run(Agent(3, pools=frozenset({POOL})), (0.0, Login(PHONE)), (at, LegUp()))
    return agent


def on_call(call_id: int = 1) -> Agent:
    agent, _ = run(ready_agent(), (20.0, Reserve(call_id)), (20.1, CustomerJoined(call_id)))
    return agent


def test_login_calls_the_phone_and_the_agent_is_ready_once_the_leg_joins_its_conference() -> None:
    agent, effects = ag.step(Agent(3), Login(PHONE), 0.0)
    assert agent.state is AgentState.CONNECTING and agent.leg_id == "dl-agent-3"
    assert effects == (Originate(PHONE), StartAgentTimer(3, Timer.CONNECT, 25.0))
    agent, _ = ag.step(agent, LegUp(), 6.0)
    assert agent.state is AgentState.READY and agent.ready_since == 6.0 and agent.time_in_state(9.0) == 3.0


def test_a_phone_that_never_joins_is_hung_up_and_the_agent_logged_out() -> None:
    agent, effects = run(Agent(3), (0.0, Login(PHONE)), (25.0, TimerFired(Timer.CONNECT)))
    assert agent.state is AgentState.LOGGED_OUT and agent.leg_id is None and Hangup("dl-agent-3") in effects
    ready = ready_agent()
    assert ag.step(ready, TimerFired(Timer.CONNECT), 25.0) == (ready, ())


def test_a_full_call_counts_talk_time_and_closes_the_call_with_the_disposition() -> None:
    agent, effects = run(on_call(), (80.1, CustomerLeft(1)), (95.0, Dispose("sale")))
    assert agent.state is AgentState.READY and agent.ready_since == 95.0 and agent.call_id is None
    assert agent.calls_today == 1 and agent.talk_s == pytest.approx(60.0)
    assert effects == [CloseCall(1, "sale")]


def test_a_queues_wrap_up_time_keeps_an_agent_who_disposed_early_from_the_next_call_until_it_is_over() -> None:
    """The call ended at 80; its queue gives 30 s of wrap-up. Disposed at 90, the call is closed at once (its
    record gets the disposition) but the agent is offered nothing before 110, and is idle from then."""
    agent, effects = run(on_call(), (80.0, CustomerLeft(1)), (90.0, Dispose("resolved", wrap_s=30.0)))
    assert agent.state is AgentState.WRAP_UP and agent.call_id is None and agent.wrap_until == 110.0
    assert effects == [CloseCall(1, "resolved"), StartAgentTimer(3, Timer.WRAP, 110.0)]
    with pytest.raises(IllegalTransition):        # the panel cannot dispose the same call twice
        ag.step(agent, Dispose("resolved", wrap_s=30.0), 95.0)
    with pytest.raises(IllegalTransition):        # nor can the router reserve it
        ag.step(agent, Reserve(2), 95.0)
    assert ag.step(agent, TimerFired(Timer.CONNECT), 100.0) == (agent, ())
    agent, effects = run(agent, (110.0, TimerFired(Timer.WRAP)))
    assert agent.state is AgentState.READY and agent.ready_since == 110.0 and agent.wrap_until is None
    assert effects == []


def test_a_disposition_after_the_wrap_up_time_readies_the_agent_at_once() -> None:
    agent, effects = run(on_call(), (80.0, CustomerLeft(1)), (125.0, Dispose("resolved", wrap_s=30.0)))
    assert agent.state is AgentState.READY and agent.ready_since == 125.0 and effects == [CloseCall(1, "resolved")]


def test_a_pause_or_logout_while_waiting_out_the_wrap_up_takes_effect_at_once() -> None:
    disposed, _ = run(on_call(), (80.0, CustomerLeft(1)), (90.0, Dispose("resolved", wrap_s=30.0)))
    paused, effects = ag.step(disposed, Pause("lunch"), 95.0)
    assert paused.state is AgentState.PAUSED and paused.pause_reason == "lunch" and paused.wrap_until is None
    assert ag.step(paused, TimerFired(Timer.WRAP), 110.0) == (paused, ())   # the stale timer changes nothing
    gone, effects = ag.step(disposed, Logout(), 95.0)
    assert gone.state is AgentState.LOGGED_OUT and effects == (Hangup("dl-agent-3"),)
    lost, _ = ag.step(disposed, LegDown(), 95.0)
    assert lost.state is AgentState.LOGGED_OUT


def test_a_pause_asked_during_a_call_takes_effect_after_wrap_up() -> None:
    agent, _ = run(on_call(), (30.0, Pause("lunch")), (40.0, CustomerLeft(1)))
    assert agent.state is AgentState.WRAP_UP and agent.pending_pause == "lunch"
    agent, _ = ag.step(agent, Dispose("ok"), 50.0)
    assert agent.state is AgentState.PAUSED and agent.pause_reason == "lunch" and agent.ready_since is None


def test_resume_cancels_a_pending_pause() -> None:
    agent, _ = run(on_call(), (30.0, Pause("lunch")), (31.0, Resume()), (40.0, CustomerLeft(1)), (50.0, Dispose(None)))
    assert agent.state is AgentState.READY


def test_a_pause_asked_while_the_phone_rings_applies_once_the_leg_joins_unless_resumed() -> None:
    agent, _ = run(Agent(3), (0.0, Login(PHONE)), (1.0, Pause("coffee")), (5.0, LegUp()))
    assert agent.state is AgentState.PAUSED and agent.pause_reason == "coffee"
    agent, _ = run(Agent(3), (0.0, Login(PHONE)), (1.0, Pause("coffee")), (2.0, Resume()), (5.0, LegUp()))
    assert agent.state is AgentState.READY


def test_pause_and_resume_from_ready_restart_the_idle_clock() -> None:
    agent, _ = run(ready_agent(), (12.0, Pause("break")))
    assert agent.state is AgentState.PAUSED and agent.pause_reason == "break"
    agent, _ = run(agent, (13.0, Pause("training")), (20.0, Resume()))
    assert agent.state is AgentState.READY and agent.ready_since == 20.0 and agent.pause_reason is None


def test_a_logout_during_a_call_waits_for_the_disposition_then_hangs_up_the_phone() -> None:
    agent, effects = run(on_call(), (30.0, Logout()), (40.0, CustomerLeft(1)), (50.0, Dispose("x")))
    assert agent.state is AgentState.LOGGED_OUT
    assert effects == [CloseCall(1, "x"), Hangup("dl-agent-3")]


def test_a_released_reservation_keeps_the_agents_place_in_line() -> None:
    agent, _ = run(ready_agent(at=10.0), (20.0, Reserve(1)), (20.5, Release(1)))
    assert agent.state is AgentState.READY and agent.ready_since == 10.0 and agent.call_id is None


def test_a_release_for_another_call_is_ignored() -> None:
    agent, _ = run(ready_agent(), (20.0, Reserve(1)))
    assert ag.step(agent, Release(2), 21.0) == (agent, ())


def test_losing_the_phone_while_reserved_logs_out_and_tells_the_call() -> None:
    agent, effects = run(ready_agent(), (20.0, Reserve(1)), (20.2, LegDown()))
    assert agent.state is AgentState.LOGGED_OUT and effects == [AgentLost(1, 3)]


def test_losing_the_phone_on_a_call_still_allows_the_disposition_then_logs_out() -> None:
    agent, effects = run(on_call(), (50.0, LegDown()))
    assert agent.state is AgentState.WRAP_UP and agent.pending_logout and agent.leg_id is None
    assert effects == [AgentLost(1, 3)] and agent.calls_today == 1
    agent, closing = ag.step(agent, Dispose("dropped"), 60.0)
    assert agent.state is AgentState.LOGGED_OUT and closing == (CloseCall(1, "dropped"),)


@pytest.mark.parametrize("state_of", [lambda: Agent(3), on_call, lambda: run(ready_agent(), (1.0, Pause("x")))[0]])
def test_only_a_ready_agent_can_be_reserved(state_of: object) -> None:
    agent = state_of()  # type: ignore[operator]
    with pytest.raises(IllegalTransition, match=rf"Reserve in state {agent.state.name}"):
        ag.step(agent, Reserve(9), 100.0)


def test_a_disposition_outside_wrap_up_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="Dispose in state ON_CALL"):
        ag.step(on_call(), Dispose("x"), 30.0)


def test_new_day_resets_the_daily_counters_only() -> None:
    agent, _ = run(on_call(), (80.0, CustomerLeft(1)))
    fresh = ag.new_day(agent)
    assert (fresh.calls_today, fresh.talk_s, fresh.state, fresh.call_id) == (0, 0.0, AgentState.WRAP_UP, 1)


def test_pbx_events_translate_for_the_agents_leg_and_customers_in_its_conference() -> None:
    agent = ready_agent()
    legs = {"dl-c1": 1}
    assert ag.from_pbx(ConferenceJoined("s", 1.0, "agent-3", "dl-agent-3", "PJSIP/a"), agent, legs) == LegUp()
    assert ag.from_pbx(LegHungUp("s", 1.0, "dl-agent-3"), agent, legs) == LegDown()
    assert ag.from_pbx(ConferenceJoined("s", 1.0, "agent-3", "dl-c1", "PJSIP/c"), agent, legs) == CustomerJoined(1)
    assert ag.from_pbx(ConferenceLeft("s", 1.0, "agent-3", "dl-c1", "PJSIP/c"), agent, legs) == CustomerLeft(1)
    assert ag.from_pbx(ConferenceJoined("s", 1.0, "agent-4", "dl-c1", "PJSIP/c"), agent, legs) is None
    assert ag.from_pbx(ConferenceJoined("s", 1.0, "agent-3", None, "CBAnn/agent-3"), agent, legs) is None


# --- properties -------------------------------------------------------------------------------------
CALL_IDS = st.sampled_from([1, 2])
EVENTS = st.lists(st.tuples(st.floats(0.0, 30.0), st.one_of(
    st.just(Login(PHONE)), st.just(Logout()), st.builds(Pause, st.sampled_from(["lunch", "break"])),
    st.just(Resume()), st.builds(Reserve, CALL_IDS), st.builds(Dispose, st.none(), st.sampled_from([0.0, 15.0])),
    st.just(LegUp()), st.just(LegDown()), st.builds(CustomerJoined, CALL_IDS), st.builds(CustomerLeft, CALL_IDS),
    st.builds(Release, CALL_IDS), st.just(TimerFired(Timer.CONNECT)), st.just(TimerFired(Timer.WRAP)),
)), max_size=40)
HOLDING = (AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)
STARTS = st.sampled_from([
    lambda: Agent(3), ready_agent, on_call, lambda: run(ready_agent(), (20.0, Reserve(1)))[0],
    lambda: run(on_call(), (25.0, CustomerLeft(1)))[0], lambda: run(ready_agent(), (20.0, Pause("x")))[0],
])


@settings(max_examples=300, deadline=None)
@given(start=STARTS, events=EVENTS)
def test_random_events_keep_the_agent_consistent_and_never_on_two_calls(
        start: object, events: list[tuple[float, ag.AgentEvent]]) -> None:
    agent: Agent = start()  # type: ignore[operator]
    now, holding = 30.0, agent.call_id
    for dt, event in events:
        now += dt
        before = agent
        try:
            agent, effects = ag.step(agent, event, now)
        except IllegalTransition as exc:
            assert exc.state is agent.state
            assert not isinstance(event, Reserve) or agent.state is not AgentState.READY
            continue
        if isinstance(event, Reserve):
            assert holding is None and before.state is AgentState.READY
            holding = event.call_id
        for effect in effects:
            if isinstance(effect, (CloseCall, AgentLost)):
                assert effect.call_id == holding
        holding = holding if agent.call_id is not None else None
        assert agent.call_id == holding
        waiting_out_wrap_up = agent.wrap_until is not None      # disposed: WRAP_UP holds no call until then
        assert not waiting_out_wrap_up or agent.state is AgentState.WRAP_UP
        assert (agent.call_id is not None) == (agent.state in HOLDING and not waiting_out_wrap_up)
        if isinstance(event, TimerFired) and before.wrap_until is not None and now >= before.wrap_until:
            assert agent.state is not AgentState.WRAP_UP       # the wrap-up timer always ends the wrap-up
        assert (agent.ready_since is not None) == (agent.state in (AgentState.READY, AgentState.RESERVED))
        assert (agent.state is AgentState.PAUSED) == (agent.pause_reason is not None)
        assert agent.state is not AgentState.LOGGED_OUT or agent.leg_id is None
        assert agent.state_since <= now and agent.talk_s >= 0


# --- reconciliation ---------------------------------------------------------------------------------
def agent_leg(agent_id: int = 3, leg: str = "dl-agent-3") -> LiveChannel:
    return LiveChannel(server="pbx1", leg_id=leg, channel=f"PJSIP/agent{agent_id}-1", state="Up",
                       context=CTX_AGENT, exten=f"agent-{agent_id}", duration_s=100.0)


def test_reconcile_logs_out_an_agent_whose_leg_is_gone_and_readies_one_whose_join_was_missed() -> None:
    gone = ready_agent()
    joining, _ = ag.step(Agent(4), Login(replace(PHONE, leg_id="dl-agent-4", exten="agent-4")), 0.0)
    result = reconcile([], [gone, joining], [agent_leg(4, "dl-agent-4")], now=30.0, listed_at=30.0)
    assert [a.state for a in result.agents] == [AgentState.LOGGED_OUT, AgentState.READY]


