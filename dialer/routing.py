"""The router's pure decisions: which ready agent takes which waiting call, and when a call must give up.

One core serves outbound campaigns and inbound queues alike. A call names the ``Pool`` it belongs to
(a campaign or a queue), a ``priority`` and the ``skills`` it needs; an agent lists the pools it works
and the skills it has. An agent is *eligible* for a call when it is READY, works the call's pool, has
every skill the call needs, and has not already failed to take this call (``Call.agents_lost``). Among eligible agents the one idle longest (earliest ``ready_since``,
then lowest id) is chosen. Waiting calls are served by priority (highest first), then by how long the
customer has waited (earliest ``ready_at``), then by call id, so the order is total and repeatable.

A waiting call whose deadline (``Call.deadline``: ``ready_at`` + the policy's safe-harbor seconds,
2.0 by default) has passed is never connected: its decision is SAFE_HARBOR. The shell turns CONNECT
into ``agents.Reserve`` then ``calls.AssignAgent``, and SAFE_HARBOR into ``calls.TimerFired(SAFE_HARBOR)``.

Inbound queues (``assign(..., queues={pool: QueueRule(...)})``; with no rules ``assign`` is exactly the
outbound router above). A call whose pool has a ``QueueRule`` is an inbound caller; the rest (answered
outbound calls, pools without a rule) are served as above. One pass gives agents in this order:
1. *urgent* outbound calls, those within ``outbound_urgent_s`` (0.5 s) of their safe-harbor deadline:
   missing an agent now means an abandoned call (the 2-second rule), so they win any agent they can use;
2. inbound callers by *aged priority*: a caller of total priority p = queue priority + its own priority
   (the queue's VIP priority for a VIP caller; both 0-100 in ``campaigns.queues.Queue``) that arrived at
   ``ready_at`` is served as if it had arrived p * ``age_step_s`` (1 s: a priority point is worth one
   second of waiting) earlier. Equivalently its score p + waited_s / age_step_s grows with its wait, so
   the order of two callers never changes while they wait and a caller only ever yields to callers who
   arrived before ``ready_at + (P - p) * age_step_s`` (P the highest priority any caller has): nobody
   starves. Ties go to the longest wait, across every queue an agent works;
3. the other outbound calls (they still have time: the next agent to free can take them, and the
   blending pacer already counts inbound demand as going first).
Each call takes the agent its queue's ``Strategy`` picks among the ready agents eligible for it: the
longest idle, the fewest calls today, round robin (the next agent id after the queue's last one), or
skills: an agent's proficiency in the queue (``QueueRule.levels``, 1-10, 1 when unset) must reach the
floor of the queue's ``skill_steps`` for the caller's wait (``(after_s, min_level)``, e.g. 0 s: 7, 30 s: 4,
60 s: 1, as ``campaigns.queues.SkillStep``); among those, the highest level then the longest idle. A caller waiting only for the floor to
drop gets ``recheck_at`` (the next widening) so the shell can route again then. Last, a swap pass: a
call left waiting takes an agent given in this pass to another call when that call can have another
free agent instead (so an inbound caller never leaves an outbound call an agent that only it could use).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dialer.agents import Agent, AgentState
from dialer.calls import Call, CallState, Pool
from dialer.effects import AgentId, CallId

if TYPE_CHECKING:
    from campaigns.queues import Queue

OUTBOUND_URGENT_S = 0.5   # an answered outbound call this close to its deadline beats any inbound caller
AGE_STEP_S = 1.0          # seconds of waiting one priority point is worth
MIN_LEVEL, MAX_LEVEL = 1, 10


class RouteAction(enum.Enum):
    CONNECT = "connect"            # reserve ``agent_id`` and redirect the customer to it now
    WAIT = "wait"                  # no eligible agent yet; ask again when one becomes ready
    SAFE_HARBOR = "safe_harbor"    # the deadline passed: play the message, record an abandon


@dataclass(frozen=True, slots=True)
class RouterDecision:
    """What to do with one waiting call at one moment, with a line a person can read."""

    call_id: CallId
    action: RouteAction
    agent_id: AgentId | None = None
    until: float | None = None     # WAIT: the deadline after which the call goes to safe harbor
    why: str = ""
    recheck_at: float | None = None   # WAIT: the decision may change then (a skills floor widens)


class Strategy(enum.Enum):
    """How a queue picks among the ready agents eligible for its caller."""

    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS_TODAY = "fewest_calls_today"
    SKILLS = "skills"
    ROUND_ROBIN = "round_robin"


@dataclass(frozen=True, slots=True)
class QueueRule:
    """The routing rules of one inbound queue (its configuration, as the router needs it)."""

    strategy: Strategy = Strategy.LONGEST_IDLE
    priority: int = 0                                          # added to each caller's own priority
    levels: Mapping[AgentId, int] = field(default_factory=dict)  # proficiency 1-10 of the queue's agents
    skill_steps: tuple[tuple[float, int], ...] = ((0.0, 7), (30.0, 4), (60.0, 1))   # SKILLS: (after_s, min_level)
    wrapup_s: float = 0.0      # an agent's wrap-up after one of its calls: offered nothing sooner (dialer.agents)

    def __post_init__(self) -> None:
        bad = {a: lv for a, lv in self.levels.items() if not MIN_LEVEL <= lv <= MAX_LEVEL}
        if bad:
            raise ValueError(f"skill levels must be {MIN_LEVEL}-{MAX_LEVEL}, got {bad}")
        steps = self.skill_steps
        if not (steps and steps[0][0] == 0 and all(MIN_LEVEL <= lv <= MAX_LEVEL for _, lv in steps)
                and all(a[0] < b[0] and a[1] > b[1] for a, b in itertools.pairwise(steps))):
            raise ValueError(f"skill_steps must start at 0 s, with later times and lower levels 1-10, got {steps}")

    @classmethod
    def from_queue(cls, queue: Queue, levels: Mapping[AgentId, int]) -> QueueRule:
        """The rule of a configured queue (``campaigns.queues.Queue``) with its agents' skill levels."""
        return cls(strategy=Strategy(queue.strategy.value), priority=queue.priority, levels=dict(levels),
                   skill_steps=tuple((float(st.after_s), st.min_level) for st in queue.skill_steps),
                   wrapup_s=float(queue.wrapup_s))

    def level(self, agent_id: AgentId) -> int:
        return self.levels.get(agent_id, MIN_LEVEL)

    def floor(self, waited_s: float) -> int:
        """The lowest proficiency a SKILLS caller who has waited ``waited_s`` accepts (1 for other strategies)."""
        if self.strategy is not Strategy.SKILLS:
            return MIN_LEVEL
        return min(lv for after_s, lv in self.skill_steps if after_s <= max(0.0, waited_s))

    def next_widening(self, ready_at: float, now: float) -> float | None:
        """When the floor next drops for a caller ready since ``ready_at``, or None if it has no step left."""
        if self.strategy is not Strategy.SKILLS:
            return None
        later = [ready_at + after_s for after_s, _ in self.skill_steps if ready_at + after_s > now]
        return min(later) if later else None


def eligible(agent: Agent, call: Call) -> bool:
    """Whether ``agent`` may take ``call`` right now."""
    return (agent.state is AgentState.READY and call.pool in agent.pools and call.skills <= agent.skills
            and agent.agent_id not in call.agents_lost)


def _idle_key(agent: Agent) -> tuple[float, AgentId]:
    return (agent.ready_since if agent.ready_since is not None else agent.state_since, agent.agent_id)


def choose_agent(agents: Iterable[Agent], call: Call, now: float) -> Agent | None:
    """The longest-idle agent eligible for ``call`` at ``now``, or None."""
    candidates = [a for a in agents if eligible(a, call)]
    return min(candidates, key=_idle_key) if candidates else None


def _service_key(call: Call) -> tuple[int, float, CallId]:
    waited_from = call.ready_at if call.ready_at is not None else float("inf")
    return (-call.priority, waited_from, call.call_id)


def service_order(calls: Iterable[Call]) -> list[Call]:
    """The WAITING calls among ``calls`` in the order they get agents: priority, then longest waiting."""
    return sorted((c for c in calls if c.state is CallState.WAITING), key=_service_key)


def decide(call: Call, agents: Iterable[Agent], now: float) -> RouterDecision:
    """The decision for one WAITING call at ``now`` given the agents (of any state)."""
    if call.state is not CallState.WAITING:
        raise ValueError(f"call {call.call_id} is {call.state.name}, only WAITING calls are routed")
    deadline = call.deadline
    if deadline is not None and now >= deadline:
        late = now - (call.ready_at or now)
        return RouterDecision(call.call_id, RouteAction.SAFE_HARBOR, until=deadline,
                              why=f"no agent within {late:.2f} s of the customer being ready")
    agent = choose_agent(agents, call, now)
    if agent is None:
        return RouterDecision(call.call_id, RouteAction.WAIT, until=deadline,
                              why=f"no ready agent for {call.pool.kind.value} {call.pool.id}")
    idle = now - _idle_key(agent)[0]
    return RouterDecision(call.call_id, RouteAction.CONNECT, agent_id=agent.agent_id, until=deadline,
                          why=f"agent {agent.agent_id} idle longest ({idle:.1f} s)")


def assign(calls: Iterable[Call], agents: Iterable[Agent], now: float, *,
           queues: Mapping[Pool, QueueRule] | None = None, last_agent: Mapping[Pool, AgentId] | None = None,
           outbound_urgent_s: float = OUTBOUND_URGENT_S, age_step_s: float = AGE_STEP_S) -> list[RouterDecision]:
    """Decisions for every WAITING call in service order, each agent given to at most one call.

    ``queues`` gives the rule of each inbound queue (see the module docstring); ``last_agent`` the agent a
    ROUND_ROBIN queue gave its previous caller (the shell keeps it from the CONNECT decisions).
    """
    free = [a for a in agents if a.state is AgentState.READY]
    if not queues:
        decisions = []
        for call in service_order(calls):
            decision = decide(call, free, now)
            if decision.action is RouteAction.CONNECT:
                free = [a for a in free if a.agent_id != decision.agent_id]
            decisions.append(decision)
        return decisions
    return _assign_blended(calls, free, now, queues, dict(last_agent or {}), outbound_urgent_s, age_step_s)


def blended_order(calls: Iterable[Call], now: float, queues: Mapping[Pool, QueueRule], *,
                  outbound_urgent_s: float = OUTBOUND_URGENT_S, age_step_s: float = AGE_STEP_S) -> list[Call]:
    """The WAITING calls in the order they get agents: urgent outbound, inbound by aged priority, other outbound."""
    def key(call: Call) -> tuple[int, float, float, CallId]:
        ready = call.ready_at if call.ready_at is not None else now
        rule = queues.get(call.pool)
        if rule is not None:
            return (1, ready - (rule.priority + call.priority) * age_step_s, ready, call.call_id)
        deadline = call.deadline
        urgent = deadline is not None and deadline - now <= outbound_urgent_s
        return (0 if urgent else 2, -call.priority, ready, call.call_id)
    return sorted((c for c in calls if c.state is CallState.WAITING), key=key)


def _waited(call: Call, now: float) -> float:
    return now - call.ready_at if call.ready_at is not None else 0.0


def _fits(agent: Agent, call: Call, rule: QueueRule | None, now: float) -> bool:
    if not eligible(agent, call):
        return False
    return rule is None or rule.level(agent.agent_id) >= rule.floor(_waited(call, now))


def _pick(candidates: list[Agent], rule: QueueRule | None, last: AgentId | None) -> tuple[Agent, str]:
    """The agent the call's strategy picks among ``candidates`` (not empty), and why."""
    strategy = rule.strategy if rule is not None else Strategy.LONGEST_IDLE
    if strategy is Strategy.FEWEST_CALLS_TODAY:
        best = min(candidates, key=lambda a: (a.calls_today, _idle_key(a)))
        return best, f"agent {best.agent_id} has the fewest calls today ({best.calls_today})"
    if strategy is Strategy.SKILLS and rule is not None:
        best = min(candidates, key=lambda a: (-rule.level(a.agent_id), _idle_key(a)))
        return best, f"agent {best.agent_id} has the highest skill level ({rule.level(best.agent_id)})"
    if strategy is Strategy.ROUND_ROBIN:
        after = [a for a in candidates if last is not None and a.agent_id > last]
        best = min(after or candidates, key=lambda a: a.agent_id)
        return best, f"agent {best.agent_id} is next in turn"
    best = min(candidates, key=_idle_key)
    return best, f"agent {best.agent_id} idle longest"


def _assign_blended(calls: Iterable[Call], free: list[Agent], now: float, queues: Mapping[Pool, QueueRule],
                    last_agent: dict[Pool, AgentId], outbound_urgent_s: float,
                    age_step_s: float) -> list[RouterDecision]:
    order = blended_order(calls, now, queues, outbound_urgent_s=outbound_urgent_s, age_step_s=age_step_s)
    taken: dict[AgentId, int] = {}          # agent -> index in ``decisions`` of the call it was given
    decisions: list[RouterDecision] = []
    for call in order:
        deadline = call.deadline
        rule = queues.get(call.pool)
        if deadline is not None and now >= deadline:
            late = _waited(call, now)
            decisions.append(RouterDecision(call.call_id, RouteAction.SAFE_HARBOR, until=deadline,
                                            why=f"no agent within {late:.2f} s of the customer being ready"))
            continue
        candidates = [a for a in free if a.agent_id not in taken and _fits(a, call, rule, now)]
        if candidates:
            agent, why = _pick(candidates, rule, last_agent.get(call.pool))
            taken[agent.agent_id] = len(decisions)
            if rule is not None:
                last_agent[call.pool] = agent.agent_id
            decisions.append(RouterDecision(call.call_id, RouteAction.CONNECT, agent_id=agent.agent_id,
                                            until=deadline, why=why))
            continue
        recheck = None
        if rule is not None and call.ready_at is not None and any(
                a.agent_id not in taken and eligible(a, call) for a in free):
            recheck = rule.next_widening(call.ready_at, now)
        where = f"{call.pool.kind.value} {call.pool.id}"
        why = (f"waiting for an agent of skill level {rule.floor(_waited(call, now))}+ in {where}"
               if recheck is not None and rule is not None else f"no ready agent for {where}")
        decisions.append(RouterDecision(call.call_id, RouteAction.WAIT, until=deadline, why=why, recheck_at=recheck))
    return _swap_for_waiting(decisions, order, free, taken, now, queues, last_agent)


def _swap_for_waiting(decisions: list[RouterDecision], order: list[Call], free: list[Agent],
                      taken: dict[AgentId, int], now: float, queues: Mapping[Pool, QueueRule],
                      last_agent: dict[Pool, AgentId]) -> list[RouterDecision]:
    """A call left waiting takes agent A from call C when C can have a free agent B instead (one swap each)."""
    by_id = {a.agent_id: a for a in free}
    for i, call in enumerate(order):
        if decisions[i].action is not RouteAction.WAIT:
            continue
        rule = queues.get(call.pool)
        for agent_id, j in sorted(taken.items(), key=lambda kv: kv[1]):
            if not _fits(by_id[agent_id], call, rule, now):
                continue
            other = order[j]
            other_rule = queues.get(other.pool)
            spare = [a for a in free if a.agent_id not in taken and _fits(a, other, other_rule, now)]
            if not spare:
                continue
            replacement, why = _pick(spare, other_rule, last_agent.get(other.pool))
            decisions[j] = RouterDecision(other.call_id, RouteAction.CONNECT, agent_id=replacement.agent_id,
                                          until=other.deadline, why=f"{why} (agent {agent_id} went to call"
                                          f" {call.call_id}, which only it could take)")
            decisions[i] = RouterDecision(call.call_id, RouteAction.CONNECT, agent_id=agent_id,
                                          until=call.deadline, why=f"agent {agent_id}, the one free agent able"
                                          " to take it (swapped)")
            taken[agent_id], taken[replacement.agent_id] = i, j
            break
    return decisions
