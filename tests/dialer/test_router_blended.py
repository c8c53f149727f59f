"""One router for answered outbound calls and inbound callers: who gets which ready agent, and why.

The rules under test (``dialer.routing``): an outbound call within 0.5 s of its safe-harbor deadline wins
any agent it can use; otherwise inbound callers go first, by aged priority (a caller of priority p, queue
priority plus VIP priority, is served as if it had arrived p seconds earlier), then the other outbound calls; each queue picks among its
eligible agents by its strategy; no agent is ever given two calls.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer import agents as ag
from dialer import routing
from dialer.agents import Agent, AgentState
from dialer.calls import Call, CallPolicy, CallState, Pool, PoolKind
from dialer.effects import AgentLost, IllegalTransition
from dialer.routing import QueueRule, RouteAction, Strategy

SALES = Pool(PoolKind.CAMPAIGN, 1)
HOTLINE = Pool(PoolKind.QUEUE, 10)
VIP = Pool(PoolKind.QUEUE, 11)


def agent(agent_id: int, ready_since: float = 0.0, *, pools: frozenset[Pool] = frozenset({SALES, HOTLINE, VIP}),
          calls_today: int = 0, skills: frozenset[str] = frozenset(),
          state: AgentState = AgentState.READY) -> Agent:
    return Agent(agent_id, pools=pools, skills=skills, state=state, ready_since=ready_since,
                 leg_id=f"dl-a{agent_id}", calls_today=calls_today)


def outbound(call_id: int, ready_at: float) -> Call:
    return Call(call_id, f"dl-{call_id}", SALES, CallPolicy(), state=CallState.WAITING, ready_at=ready_at,
                answered_at=ready_at)


def inbound(call_id: int, ready_at: float, *, pool: Pool = HOTLINE, priority: int = 0,
            skills: frozenset[str] = frozenset()) -> Call:
    return Call(call_id, f"dl-{call_id}", pool, CallPolicy(safe_harbor_s=None), state=CallState.WAITING,
                ready_at=ready_at, inbound=True, priority=priority, skills=skills)


QUEUES = {HOTLINE: QueueRule(), VIP: QueueRule(priority=30)}


def connects(decisions: list[routing.RouterDecision]) -> dict[int, int]:
    return {d.call_id: d.agent_id for d in decisions if d.action is RouteAction.CONNECT and d.agent_id is not None}


# --- outbound against inbound ---------------------------------------------------------------------------
def test_an_inbound_caller_takes_the_agent_before_an_answered_call_that_still_has_time() -> None:
    decisions = routing.assign([outbound(1, 100.0), inbound(2, 90.0)], [agent(7)], 100.2, queues=QUEUES)
    assert connects(decisions) == {2: 7}
    assert [d.action for d in decisions if d.call_id == 1] == [RouteAction.WAIT]


def test_an_answered_call_near_its_deadline_beats_even_a_vip_caller() -> None:
    """1.5 s deadline, 0.5 s margin: from 1.0 s after the customer was ready the outbound call wins."""
    calls = [outbound(1, 100.0), inbound(2, 0.0, pool=VIP, priority=50)]
    assert connects(routing.assign(calls, [agent(7)], 100.99, queues=QUEUES)) == {2: 7}
    assert connects(routing.assign(calls, [agent(7)], 101.0, queues=QUEUES)) == {1: 7}


def test_an_answered_call_past_its_deadline_goes_to_safe_harbor_beside_inbound_callers() -> None:
    decisions = routing.assign([outbound(1, 100.0), inbound(2, 90.0)], [agent(7)], 101.5, queues=QUEUES)
    assert {d.call_id: d.action for d in decisions} == {1: RouteAction.SAFE_HARBOR, 2: RouteAction.CONNECT}


def test_an_inbound_caller_never_takes_the_one_agent_an_outbound_call_could_use_when_another_is_free() -> None:
    """Agent 1 works the campaign and the queue and is idle longest; agent 2 only the queue."""
    agents = [agent(1, 0.0), agent(2, 50.0, pools=frozenset({HOTLINE}))]
    decisions = routing.assign([outbound(1, 100.0), inbound(2, 90.0)], agents, 100.1, queues=QUEUES)
    assert connects(decisions) == {1: 1, 2: 2}
    assert "swapped" in next(d.why for d in decisions if d.call_id == 1)


def test_without_queue_rules_the_router_is_the_outbound_router() -> None:
    calls = [outbound(1, 100.0), outbound(2, 100.3), inbound(3, 90.0, priority=20)]
    agents = [agent(1, 5.0), agent(2, 1.0)]
    assert routing.assign(calls, agents, 100.5) == routing.assign(calls, agents, 100.5, queues={})
    assert connects(routing.assign(calls, agents, 100.5)) == {3: 2, 1: 1}


# --- inbound order: priority, aging, longest wait across queues -------------------------------------------
def test_a_priority_point_is_worth_one_second_of_waiting() -> None:
    """A caller of priority 0 who has waited over 30 s goes before a priority-30 caller who just came."""
    plain, vip = inbound(1, 0.0), inbound(2, 29.0, priority=30)
    assert connects(routing.assign([plain, vip], [agent(7)], 29.5, queues=QUEUES)) == {2: 7}
    vip_later = inbound(2, 31.0, priority=30)
    assert connects(routing.assign([plain, vip_later], [agent(7)], 31.5, queues=QUEUES)) == {1: 7}


def test_queue_priority_and_caller_priority_add_up() -> None:
    """VIP queue (priority 30) + VIP caller (priority 30) = 60 s head start over a plain hotline caller."""
    plain, vip = inbound(1, 0.0), inbound(2, 59.0, pool=VIP, priority=30)
    assert connects(routing.assign([plain, vip], [agent(7)], 59.5, queues=QUEUES)) == {2: 7}
    assert routing.blended_order([plain, inbound(2, 61.0, pool=VIP, priority=30)], 61.5, QUEUES)[0] == plain


def test_an_agent_of_several_queues_takes_the_longest_waiting_caller_of_equal_priority() -> None:
    other = Pool(PoolKind.QUEUE, 12)
    queues = {**QUEUES, other: QueueRule()}
    calls = [inbound(1, 20.0), inbound(2, 10.0, pool=other), inbound(3, 15.0)]
    assert connects(routing.assign(calls, [agent(7, pools=frozenset({HOTLINE, other}))], 30.0, queues=queues)) == {2: 7}


# --- agent choice per queue strategy ----------------------------------------------------------------------
def test_longest_idle_strategy_takes_the_agent_idle_longest() -> None:
    agents = [agent(1, 20.0), agent(2, 5.0), agent(3, 9.0)]
    decisions = routing.assign([inbound(1, 25.0)], agents, 30.0, queues=QUEUES)
    assert connects(decisions) == {1: 2} and "idle longest" in decisions[0].why


def test_fewest_calls_today_strategy_takes_the_agent_with_fewest_calls_then_the_longest_idle() -> None:
    queues = {HOTLINE: QueueRule(strategy=Strategy.FEWEST_CALLS_TODAY)}
    agents = [agent(1, 1.0, calls_today=9), agent(2, 8.0, calls_today=3), agent(3, 5.0, calls_today=3)]
    decisions = routing.assign([inbound(1, 25.0)], agents, 30.0, queues=queues)
    assert connects(decisions) == {1: 3} and "fewest calls today (3)" in decisions[0].why


def test_round_robin_strategy_takes_the_next_agent_after_the_last_one_and_wraps() -> None:
    queues = {HOTLINE: QueueRule(strategy=Strategy.ROUND_ROBIN)}
    agents = [agent(1), agent(4), agent(6)]
    calls = [inbound(1, 20.0), inbound(2, 21.0)]
    assert connects(routing.assign(calls, agents, 30.0, queues=queues, last_agent={HOTLINE: 4})) == {1: 6, 2: 1}
    assert connects(routing.assign(calls, agents, 30.0, queues=queues)) == {1: 1, 2: 4}


def test_skills_strategy_waits_for_a_proficient_agent_then_widens_to_lower_levels() -> None:
    """Floor 9 on arrival, 6 from 10 s, 3 from 20 s, 1 from 30 s: a level-5 agent takes the caller from 20 s."""
    rule = QueueRule(strategy=Strategy.SKILLS, levels={1: 5, 2: 3}, skill_steps=((0, 9), (10, 6), (20, 3), (30, 1)))
    queues = {HOTLINE: rule}
    agents = [agent(1, 50.0, pools=frozenset({HOTLINE})), agent(2, 0.0, pools=frozenset({HOTLINE}))]
    early = routing.assign([inbound(1, 100.0)], agents, 105.0, queues=queues)
    assert early[0].action is RouteAction.WAIT and early[0].recheck_at == 110.0
    assert "skill level 9+" in early[0].why
    assert routing.assign([inbound(1, 100.0)], agents, 115.0, queues=queues)[0].recheck_at == 120.0
    later = routing.assign([inbound(1, 100.0)], agents, 120.0, queues=queues)
    assert connects(later) == {1: 1} and "highest skill level (5)" in later[0].why
    assert [rule.floor(w) for w in (0, 9.9, 10, 20, 30, 99)] == [9, 9, 6, 3, 1, 1]


def test_an_agent_without_a_level_in_a_skills_queue_counts_as_level_one() -> None:
    rule = QueueRule(strategy=Strategy.SKILLS, skill_steps=((0, 2), (5, 1)))
    queues = {HOTLINE: rule}
    assert routing.assign([inbound(1, 0.0)], [agent(3)], 4.0, queues=queues)[0].action is RouteAction.WAIT
    assert connects(routing.assign([inbound(1, 0.0)], [agent(3)], 5.0, queues=queues)) == {1: 3}


@pytest.mark.parametrize("kwargs", [{"levels": {1: 0}}, {"levels": {1: 11}}, {"skill_steps": ()},
                                    {"skill_steps": ((5, 7), (30, 1))}, {"skill_steps": ((0, 7), (30, 8))},
                                    {"skill_steps": ((0, 7), (0, 5))}, {"skill_steps": ((0, 11),)}])
def test_a_queue_rule_refuses_levels_outside_one_to_ten_and_steps_that_do_not_widen(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        QueueRule(strategy=Strategy.SKILLS, **kwargs)


def test_a_queue_rule_is_read_from_the_queue_a_team_lead_configured() -> None:
    from campaigns import queues as cq

    queue = cq.Queue(id=3, name="VIP line", strategy=cq.Strategy.SKILLS, priority=40,
                     skill_steps=(cq.SkillStep(0, 9), cq.SkillStep(45, 2)))
    rule = QueueRule.from_queue(queue, {7: 9, 8: 2})
    assert (rule.strategy, rule.priority, rule.skill_steps) == (Strategy.SKILLS, 40, ((0.0, 9), (45.0, 2)))
    assert (rule.level(7), rule.level(8), rule.level(99)) == (9, 2, 1)
    assert [rule.floor(w) for w in (0, 44, 45)] == [9, 9, 2]
    for strategy in cq.Strategy:
        assert QueueRule.from_queue(cq.Queue(id=1, name="q", strategy=strategy), {}).strategy.value == strategy.value


# --- the router and the real agent machine, over random event orders ----------------------------------------
POOLS = [SALES, HOTLINE, VIP]
RULES = {HOTLINE: QueueRule(strategy=Strategy.SKILLS, levels={1: 9, 2: 6, 3: 2, 5: 10},
                            skill_steps=((0, 8), (4, 4), (8, 1))),
         VIP: QueueRule(strategy=Strategy.ROUND_ROBIN, priority=2)}


class Shell:
    """Drives the real agent machine with the router's decisions, as the engine does; checks every decision."""

    def __init__(self, pools_of: list[frozenset[Pool]], skills_of: list[frozenset[str]],
                 queues: dict[Pool, QueueRule], calls_today: list[int]) -> None:
        self.now = 0.0
        self.queues = queues
        self.agents = {i + 1: Agent(i + 1, pools=p, skills=s, leg_id=f"dl-a{i + 1}", calls_today=n,
                                    state=AgentState.READY, ready_since=-float(i))
                       for i, (p, s, n) in enumerate(zip(pools_of, skills_of, calls_today, strict=True))}
        self.calls: dict[int, Call] = {}
        self.holder: dict[int, int] = {}          # call -> agent reserved for it or talking to it
        self.last_agent: dict[Pool, int] = {}
        self.served_waits: list[float] = []

    def agent_event(self, agent_id: int, event: ag.AgentEvent) -> None:
        self.agents[agent_id], effects = ag.step(self.agents[agent_id], event, self.now)
        for effect in effects:
            if isinstance(effect, AgentLost) and self.holder.get(effect.call_id) == agent_id:
                del self.holder[effect.call_id]
                call = self.calls[effect.call_id]
                if call.state is CallState.CONNECTING:   # the customer waits again (an agent on the call: ends)
                    self.calls[call.call_id] = replace(call, state=CallState.WAITING,
                                                       agents_lost=call.agents_lost | {agent_id})
                elif call.state is CallState.CONNECTED:
                    self.calls[call.call_id] = replace(call, state=CallState.DONE)

    def command(self, agent_id: int, event: ag.AgentEvent) -> None:
        """A person's button: the panel refuses what the machine refuses."""
        try:
            self.agent_event(agent_id, event)
        except IllegalTransition:
            pass

    def route(self) -> None:
        before = dict(self.agents)
        decisions = routing.assign(self.calls.values(), self.agents.values(), self.now, queues=self.queues,
                                   last_agent=self.last_agent)
        chosen = [d.agent_id for d in decisions if d.action is RouteAction.CONNECT]
        assert len(chosen) == len(set(chosen)), f"an agent given two calls in one decision: {decisions}"
        assert len({d.call_id for d in decisions}) == len(decisions)
        for d in decisions:
            call = self.calls[d.call_id]
            assert call.state is CallState.WAITING
            if d.action is RouteAction.SAFE_HARBOR:
                assert call.deadline is not None and self.now >= call.deadline
                self.calls[d.call_id] = replace(call, state=CallState.ABANDONED)
            elif d.action is RouteAction.CONNECT:
                assert d.agent_id is not None
                a = before[d.agent_id]
                rule = self.queues.get(call.pool)
                assert a.state is AgentState.READY and call.pool in a.pools and call.skills <= a.skills
                assert d.agent_id not in call.agents_lost
                assert call.deadline is None or self.now < call.deadline
                if rule is not None:
                    assert rule.level(a.agent_id) >= rule.floor(self.now - call.ready_at if call.ready_at is not None else 0.0)
                    self.last_agent[call.pool] = d.agent_id
                self.agent_event(d.agent_id, ag.Reserve(d.call_id))    # IllegalTransition unless READY
                self.calls[d.call_id] = replace(call, state=CallState.CONNECTING, agent_id=d.agent_id)
                self.holder[d.call_id] = d.agent_id
                if call.inbound and call.ready_at is not None:
                    self.served_waits.append(self.now - call.ready_at)
        still_free = [a for a in before.values() if a.state is AgentState.READY and a.agent_id not in chosen]
        for d in decisions:
            if d.action is RouteAction.WAIT:     # never left waiting beside a free agent able to take it now
                call = self.calls[d.call_id]
                rule = self.queues.get(call.pool)
                waited = self.now - call.ready_at if call.ready_at is not None else 0.0
                assert not [a.agent_id for a in still_free if routing.eligible(a, call)
                            and (rule is None or rule.level(a.agent_id) >= rule.floor(waited))], d
        self.check()

    def check(self) -> None:
        held = [a for a in self.agents.values() if a.state in (AgentState.RESERVED, AgentState.ON_CALL)]
        assert len({a.call_id for a in held}) == len(held), "two agents hold one call"
        for a in held:
            assert self.holder.get(a.call_id) == a.agent_id, f"agent {a.agent_id} holds a call not given to it"
        for call_id, agent_id in self.holder.items():
            assert self.agents[agent_id].call_id == call_id, f"call {call_id} given to an agent holding another"

    def apply(self, kind: str, n: int, m: int, dt: float) -> None:
        self.now += dt
        agent_ids = sorted(self.agents)
        a = agent_ids[n % len(agent_ids)]
        agent_ = self.agents[a]
        open_calls = sorted(c for c, call in self.calls.items() if not call.terminal)
        if kind == "ready":
            if agent_.state is AgentState.LOGGED_OUT:
                self.agents[a] = replace(agent_, state=AgentState.READY, state_since=self.now, ready_since=self.now,
                                         leg_id=f"dl-a{a}", pending_logout=False)
            elif agent_.state is AgentState.WRAP_UP:
                self.command(a, ag.Dispose("sale"))
            else:
                self.command(a, ag.Resume())
        elif kind == "pause":
            self.command(a, ag.Pause("break"))
        elif kind == "leave":
            self.command(a, ag.LegDown())
        elif kind == "inbound":
            pool = [HOTLINE, VIP][m % 2]
            call_id = len(self.calls) + 1
            self.calls[call_id] = replace(inbound(call_id, self.now, pool=pool, priority=m % 3),
                                          skills=frozenset({"vi"}) if m % 5 == 0 else frozenset())
        elif kind == "answered":
            call_id = len(self.calls) + 1
            self.calls[call_id] = outbound(call_id, self.now)
        elif kind == "abandon" and open_calls:
            call = self.calls[open_calls[m % len(open_calls)]]
            if call.state in (CallState.WAITING, CallState.CONNECTING):
                self.calls[call.call_id] = replace(call, state=CallState.ABANDONED)
                holder = self.holder.pop(call.call_id, None)
                if holder is not None:
                    self.agent_event(holder, ag.Release(call.call_id))
        elif kind == "connect" and open_calls:
            call = self.calls[open_calls[m % len(open_calls)]]
            if call.state is CallState.CONNECTING:
                self.calls[call.call_id] = replace(call, state=CallState.CONNECTED)
                self.agent_event(self.holder[call.call_id], ag.CustomerJoined(call.call_id))
        elif kind == "hangup" and open_calls:
            call = self.calls[open_calls[m % len(open_calls)]]
            if call.state is CallState.CONNECTED:
                self.calls[call.call_id] = replace(call, state=CallState.DONE)
                self.agent_event(self.holder.pop(call.call_id), ag.CustomerLeft(call.call_id))
        self.route()


EVENTS = st.lists(st.tuples(st.sampled_from(["inbound", "answered", "ready", "connect", "hangup", "inbound", "pause",
                                             "ready", "leave", "abandon", "connect", "tick", "answered"]),
                            st.integers(0, 20), st.integers(0, 20), st.sampled_from([0.0, 0.1, 0.4, 1.0, 3.0])),
                  min_size=20, max_size=100)
AGENT_POOLS = st.lists(st.frozensets(st.sampled_from(POOLS), min_size=1), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(events=EVENTS, pools_of=AGENT_POOLS, data=st.data())
def test_no_agent_is_ever_reserved_for_two_calls_and_every_decision_respects_queues_and_skills(
        events: list[tuple[str, int, int, float]], pools_of: list[frozenset[Pool]], data: st.DataObject) -> None:
    skills_of = data.draw(st.lists(st.frozensets(st.sampled_from(["vi", "en"])), min_size=len(pools_of),
                                   max_size=len(pools_of)))
    calls_today = data.draw(st.lists(st.integers(0, 5), min_size=len(pools_of), max_size=len(pools_of)))
    queues = data.draw(st.sampled_from([RULES, {HOTLINE: QueueRule(strategy=Strategy.FEWEST_CALLS_TODAY),
                                                VIP: QueueRule(priority=5)}]))
    shell = Shell(pools_of, skills_of, queues, calls_today)
    for kind, n, m, dt in events:
        shell.apply(kind, n, m, dt)


# --- nobody starves ----------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(vip_every_s=st.floats(2.0, 9.0), serve_every_s=st.floats(3.0, 10.0), arrive_at=st.floats(0.0, 60.0))
def test_a_plain_caller_is_served_within_the_aging_bound_even_when_vip_callers_alone_overload_the_agents(
        vip_every_s: float, serve_every_s: float, arrive_at: float) -> None:
    """Steady load: a VIP caller (queue priority 30 + caller priority 30) every ``vip_every_s``; an agent frees
    every ``serve_every_s`` (VIP callers alone may exceed capacity: strict priority would starve the plain
    caller forever). With aging the plain caller yields only to callers who arrived before its arrival
    + 60 s; each agent freeing after it arrived serves one of those or it, so it is served by its
    arrival + (that many callers + 1) * ``serve_every_s``."""
    queues = {HOTLINE: QueueRule(), VIP: QueueRule(priority=30)}
    plain_id = 10_000
    calls: dict[int, Call] = {plain_id: inbound(plain_id, arrive_at)}
    next_vip, next_free, vip_id, t = 0.0, serve_every_s, 0, 0.0
    ahead_bound = arrive_at + 60 * routing.AGE_STEP_S
    may_go_first = 0
    while calls[plain_id].state is CallState.WAITING:
        t = min(next_vip, next_free)
        if t == next_vip:
            vip_id += 1
            calls[vip_id] = inbound(vip_id, t, pool=VIP, priority=30)
            may_go_first += t <= ahead_bound
            next_vip += vip_every_s
            continue
        next_free += serve_every_s
        waiting = [c for c in calls.values() if c.state is CallState.WAITING]
        for d in routing.assign(waiting, [agent(1, t)], t, queues=queues):
            if d.action is RouteAction.CONNECT:
                calls[d.call_id] = replace(calls[d.call_id], state=CallState.CONNECTED)
        assert t < 10_000, "the plain caller starved"
    bound = arrive_at + (may_go_first + 1) * serve_every_s
    assert t <= bound + 1e-6, f"served at {t:.1f} s, bound {bound:.1f} s"
