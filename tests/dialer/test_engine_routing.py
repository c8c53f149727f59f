"""The router: longest-idle eligible agent, service order, the safe-harbor deadline, and the machines together."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer import agents as ag
from dialer import calls as ca
from dialer import routing
from dialer.agents import Agent, AgentState
from dialer.calls import Call, CallPolicy, CallState, Pool, PoolKind
from dialer.campaign_view import CampaignView
from dialer.effects import (
    AgentLost,
    CloseCall,
    RecordOutcome,
    RedirectToAgent,
    ReleaseAgent,
    SeekAgent,
    StartCallTimer,
    Timer,
)
from dialer.routing import RouteAction

SALES = Pool(PoolKind.CAMPAIGN, 1)
SUPPORT = Pool(PoolKind.QUEUE, 2)


def agent(agent_id: int, ready_since: float | None = 0.0, *, state: AgentState = AgentState.READY,
          pools: frozenset[Pool] = frozenset({SALES}), skills: frozenset[str] = frozenset()) -> Agent:
    return Agent(agent_id, pools=pools, skills=skills, state=state, ready_since=ready_since,
                 leg_id=f"dl-a{agent_id}")


def waiting(call_id: int, ready_at: float = 10.0, *, pool: Pool = SALES, priority: int = 0,
            skills: frozenset[str] = frozenset(), safe_harbor_s: float | None = 1.5) -> Call:
    return Call(call_id, f"dl-{call_id}", pool, CallPolicy(safe_harbor_s=safe_harbor_s), state=CallState.WAITING,
                ready_at=ready_at, answered_at=ready_at, priority=priority, skills=skills)


def test_the_longest_idle_ready_agent_takes_the_call() -> None:
    agents = [agent(1, 30.0), agent(2, 5.0), agent(3, 20.0)]
    chosen = routing.choose_agent(agents, waiting(1), 10.5)
    assert chosen is not None and chosen.agent_id == 2


def test_ties_in_idle_time_go_to_the_lowest_agent_id() -> None:
    chosen = routing.choose_agent([agent(9, 5.0), agent(4, 5.0)], waiting(1), 10.5)
    assert chosen is not None and chosen.agent_id == 4


def test_agents_not_ready_of_another_pool_or_lacking_a_skill_are_never_chosen() -> None:
    call = waiting(1, pool=SUPPORT, skills=frozenset({"fr"}))
    agents = [
        agent(1, 0.0, state=AgentState.PAUSED, pools=frozenset({SUPPORT}), skills=frozenset({"fr"})),
        agent(2, 0.0, state=AgentState.RESERVED, pools=frozenset({SUPPORT}), skills=frozenset({"fr"})),
        agent(3, 0.0, pools=frozenset({SALES}), skills=frozenset({"fr"})),
        agent(4, 0.0, pools=frozenset({SUPPORT}), skills=frozenset({"en"})),
    ]
    assert routing.choose_agent(agents, call, 10.5) is None
    able = agent(5, 9.0, pools=frozenset({SALES, SUPPORT}), skills=frozenset({"fr", "en"}))
    assert routing.choose_agent([*agents, able], call, 10.5) == able


def test_an_agent_the_call_already_failed_to_reach_is_not_offered_again() -> None:
    call = replace(waiting(1), agents_lost=frozenset({2}))
    chosen = routing.choose_agent([agent(2, 0.0), agent(3, 5.0)], call, 10.5)
    assert chosen is not None and chosen.agent_id == 3


def test_waiting_calls_are_served_by_priority_then_by_longest_wait() -> None:
    late, vip, early, gone = 1, 2, 3, 4
    calls = [waiting(late, 12.0), waiting(vip, 13.0, priority=5), waiting(early, 10.0),
             replace(waiting(gone, 1.0), state=CallState.ABANDONED)]
    assert [c.call_id for c in routing.service_order(calls)] == [vip, early, late]


def test_decide_connects_waits_until_the_deadline_or_sends_to_safe_harbor() -> None:
    call = waiting(1, ready_at=10.0)
    connect = routing.decide(call, [agent(1, 3.0)], 11.0)
    assert (connect.action, connect.agent_id, connect.until) == (RouteAction.CONNECT, 1, 11.5)
    assert "agent 1" in connect.why
    wait = routing.decide(call, [agent(1, 3.0, state=AgentState.ON_CALL)], 11.0)
    assert (wait.action, wait.agent_id, wait.until) == (RouteAction.WAIT, None, 11.5)
    late = routing.decide(call, [agent(1, 3.0)], 11.5)
    assert late.action is RouteAction.SAFE_HARBOR and late.agent_id is None


def test_by_default_the_router_gives_up_early_enough_for_the_message_to_start_within_two_seconds() -> None:
    """Asterisk measures the 2-second rule to the start of the message: the router's deadline leaves a margin
    for the UserEvent to reach the engine, the Redirect to reach Asterisk and Playback to begin."""
    call = Call(1, "dl-1", SALES, state=CallState.WAITING, ready_at=10.0, answered_at=10.0)
    assert call.deadline == 10.0 + ca.SAFE_HARBOR_S == 11.5
    assert routing.decide(call, [], 11.49).action is RouteAction.WAIT
    assert routing.decide(call, [agent(1, 3.0)], 11.5).action is RouteAction.SAFE_HARBOR
    assert ca.SAFE_HARBOR_S + ca.REDIRECT_MARGIN_S < ca.TWO_SECOND_RULE_S
    # the dialplan's own safe harbor (DIALER_HOLD_S) comes after the engine's deadline, and within 2 s
    assert ca.SAFE_HARBOR_S < ca.DIALPLAN_HOLD_S < ca.TWO_SECOND_RULE_S


@pytest.mark.parametrize("late_s", [1.8, 1.9, 2.0, 2.5])
def test_a_deadline_that_leaves_no_margin_for_the_redirect_is_refused(late_s: float) -> None:
    with pytest.raises(ValueError, match="safe_harbor_s must be under 1.8"):
        CallPolicy(safe_harbor_s=late_s)
    with pytest.raises(ValueError, match="safe_harbor_s must be under 1.8"):
        CampaignView(id=1, name="late", safe_harbor_s=late_s)


def test_a_campaign_holds_customers_in_the_dialplan_between_the_engines_deadline_and_two_seconds() -> None:
    view = CampaignView(id=1, name="sales")
    assert (view.safe_harbor_s, view.hold_s) == (1.5, 1.8)
    assert view.policy().safe_harbor_s == 1.5
    with pytest.raises(ValueError, match="hold_s"):
        CampaignView(id=1, name="sales", safe_harbor_s=1.5, hold_s=2.0)
    with pytest.raises(ValueError, match="hold_s"):
        CampaignView(id=1, name="sales", safe_harbor_s=1.5, hold_s=1.2)


def test_an_inbound_call_without_a_limit_keeps_waiting() -> None:
    decision = routing.decide(waiting(1, pool=SUPPORT, safe_harbor_s=None), [], 1e6)
    assert decision.action is RouteAction.WAIT and decision.until is None


def test_decide_refuses_a_call_that_is_not_waiting() -> None:
    with pytest.raises(ValueError, match="CONNECTED"):
        routing.decide(replace(waiting(1), state=CallState.CONNECTED), [agent(1)], 10.0)


def test_assign_gives_each_agent_to_at_most_one_call_in_service_order() -> None:
    calls = [waiting(1, 10.0), waiting(2, 10.5, priority=1), waiting(3, 11.0)]
    decisions = routing.assign(calls, [agent(1, 5.0), agent(2, 1.0)], 11.4)
    assert [(d.call_id, d.action, d.agent_id) for d in decisions] == [
        (2, RouteAction.CONNECT, 2), (1, RouteAction.CONNECT, 1), (3, RouteAction.WAIT, None)]


POOLS = st.frozensets(st.sampled_from([SALES, SUPPORT]), max_size=2)
SKILLS = st.frozensets(st.sampled_from(["en", "fr", "de"]), max_size=2)
AGENTS = st.lists(st.builds(agent, st.integers(1, 30), st.floats(0.0, 20.0),
                            state=st.sampled_from(list(AgentState)), pools=POOLS, skills=SKILLS),
                  max_size=8, unique_by=lambda a: a.agent_id)
CALLS = st.lists(st.builds(waiting, st.integers(1, 50), st.floats(0.0, 20.0),
                           pool=st.sampled_from([SALES, SUPPORT]), priority=st.integers(0, 2), skills=SKILLS),
                 max_size=8, unique_by=lambda c: c.call_id)


@settings(max_examples=300, deadline=None)
@given(calls=CALLS, agents=AGENTS, now=st.floats(0.0, 25.0))
def test_assign_never_picks_a_non_ready_agent_twice_or_leaves_a_call_waiting_beside_a_free_eligible_agent(
        calls: list[Call], agents: list[Agent], now: float) -> None:
    decisions = routing.assign(calls, agents, now)
    by_id = {a.agent_id: a for a in agents}
    chosen = [d.agent_id for d in decisions if d.action is RouteAction.CONNECT]
    assert len(chosen) == len(set(chosen))
    calls_by_id = {c.call_id: c for c in calls}
    for d in decisions:
        call = calls_by_id[d.call_id]
        if d.action is RouteAction.CONNECT:
            assert d.agent_id is not None and routing.eligible(by_id[d.agent_id], call)
            assert call.deadline is None or now < call.deadline
        elif d.action is RouteAction.WAIT:
            assert not any(routing.eligible(a, call) and a.agent_id not in chosen for a in agents)
        else:
            assert call.deadline is not None and now >= call.deadline


# --- the machines and the router together, through a minimal shell ---------------------------------
class MiniShell:
    """Carries out the effects that pass between the machines and the router, as the engine will."""

    def __init__(self, n_agents: int) -> None:
        self.calls: dict[int, Call] = {}
        self.agents = {i: replace(agent(i, float(i)), pools=frozenset({SALES})) for i in range(1, n_agents + 1)}
        self.timers: list[tuple[float, int]] = []
        self.records: list[Call] = []
        self.connects: list[tuple[float, str]] = []

    def call(self, call_id: int, event: ca.CallEvent, now: float) -> None:
        self.calls[call_id], effects = ca.step(self.calls[call_id], event, now)
        self.carry_out(effects, now)

    def agent(self, agent_id: int, event: ag.AgentEvent, now: float) -> None:
        self.agents[agent_id], effects = ag.step(self.agents[agent_id], event, now)
        self.carry_out(effects, now)

    def carry_out(self, effects: tuple[object, ...], now: float) -> None:
        for e in effects:
            if isinstance(e, SeekAgent):
                self.route(now)
            elif isinstance(e, StartCallTimer) and e.timer is Timer.SAFE_HARBOR:
                self.timers.append((e.at, e.call_id))
            elif isinstance(e, ReleaseAgent):
                self.agent(e.agent_id, ag.Release(e.call_id), now)
                self.route(now)
            elif isinstance(e, AgentLost):
                self.call(e.call_id, ca.AgentGone(e.agent_id), now)
            elif isinstance(e, CloseCall):
                self.call(e.call_id, ca.WrapUpDone(e.disposition), now)
                self.route(now)
            elif isinstance(e, RedirectToAgent):
                self.connects.append((now, e.leg_id))
            elif isinstance(e, RecordOutcome):
                self.records.append(e.call)

    def route(self, now: float) -> None:
        for d in routing.assign(self.calls.values(), self.agents.values(), now):
            if d.action is RouteAction.CONNECT and d.agent_id is not None:
                self.agent(d.agent_id, ag.Reserve(d.call_id), now)
                self.call(d.call_id, ca.AssignAgent(d.agent_id), now)
            elif d.action is RouteAction.SAFE_HARBOR:
                self.call(d.call_id, ca.TimerFired(Timer.SAFE_HARBOR), now)

    def fire_timers(self, now: float) -> None:
        due = [t for t in self.timers if t[0] <= now]
        self.timers = [t for t in self.timers if t[0] > now]
        for at, call_id in sorted(due):
            self.call(call_id, ca.TimerFired(Timer.SAFE_HARBOR), at)


KINDS = ["new", "new", "join", "join", "hangup", "dispose", "dispose", "pause", "resume", "drop"]
ACTIONS = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 5), st.floats(0.0, 2.5)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(actions=ACTIONS, n_agents=st.integers(1, 3))
def test_with_the_router_no_agent_ever_holds_two_calls_and_every_connect_is_in_time(
        actions: list[tuple[str, int, float]], n_agents: int) -> None:
    shell, now, serial = MiniShell(n_agents), 100.0, 0
    for kind, pick, dt in actions:
        now += dt
        shell.fire_timers(now)
        live = sorted(c for c, call in shell.calls.items() if not call.terminal)
        agent_id = pick % n_agents + 1
        if kind in ("join", "dispose"):     # any agent that can do it, so these paths are well explored
            wanted = AgentState.RESERVED if kind == "join" else AgentState.WRAP_UP
            agent_id = next((i for i, x in shell.agents.items() if x.state is wanted), agent_id)
        a = shell.agents[agent_id]
        if kind == "new":
            serial += 1
            call_id = serial
            shell.calls[call_id] = Call(call_id, f"dl-{call_id}", SALES, state=CallState.ANSWERED, answered_at=now)
            shell.call(call_id, ca.AmdDone("HUMAN"), now)
        elif kind == "join" and a.state is AgentState.RESERVED and a.call_id is not None:
            shell.call(a.call_id, ca.JoinedAgent(), now)
            shell.agent(agent_id, ag.CustomerJoined(a.call_id), now)
        elif kind == "hangup" and live:
            call_id = live[pick % len(live)]
            holder = shell.calls[call_id].agent_id
            shell.call(call_id, ca.CustomerHungUp(), now)
            if holder is not None and shell.agents[holder].state is AgentState.ON_CALL:
                shell.agent(holder, ag.CustomerLeft(call_id), now)
        elif kind == "dispose" and a.state is AgentState.WRAP_UP:
            shell.agent(agent_id, ag.Dispose("done"), now)
        elif kind == "pause" and a.state is not AgentState.LOGGED_OUT:
            shell.agent(agent_id, ag.Pause("break"), now)
        elif kind == "resume" and a.state in (AgentState.PAUSED, AgentState.RESERVED, AgentState.ON_CALL):
            shell.agent(agent_id, ag.Resume(), now)
            shell.route(now)
        elif kind == "drop" and a.state is not AgentState.LOGGED_OUT:
            shell.agent(agent_id, ag.LegDown(), now)
        held = [x.call_id for x in shell.agents.values() if x.call_id is not None]
        assert len(held) == len(set(held))
        for call in shell.calls.values():
            if call.state in (CallState.CONNECTING, CallState.CONNECTED):
                assert call.agent_id is not None and shell.agents[call.agent_id].call_id == call.call_id
            if call.state is CallState.WAITING:
                assert not any(routing.eligible(x, call) for x in shell.agents.values())
    assert len(shell.records) == len({c.call_id for c in shell.records})
    by_leg = {c.leg_id: c for c in shell.calls.values()}
    for at, leg in shell.connects:
        ready_at = by_leg[leg].ready_at
        assert ready_at is not None and at < ready_at + 2.0
    for call in shell.records:
        if call.connected_at is None and call.agent_id is not None:
            assert call.outcome is ca.CallOutcome.ABANDONED
