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
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from dialer.agents import Agent, AgentState
from dialer.calls import Call, CallState
from dialer.effects import AgentId, CallId


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


def assign(calls: Iterable[Call], agents: Iterable[Agent], now: float) -> list[RouterDecision]:
    """Decisions for every WAITING call in service order, each agent given to at most one call."""
    free = [a for a in agents if a.state is AgentState.READY]
    decisions = []
    for call in service_order(calls):
        decision = decide(call, free, now)
        if decision.action is RouteAction.CONNECT:
            free = [a for a in free if a.agent_id != decision.agent_id]
        decisions.append(decision)
    return decisions
