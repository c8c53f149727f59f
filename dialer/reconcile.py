"""Pure reconciliation of the engine's calls and agents with the channels the PBX reports alive.

``reconcile`` runs after an AMI reconnect (``LinkUp``): the process and its timers survived, only
events may be missing. (Recovery after a crash, when nothing of the process survived, works from the
call records instead: ``dialer.recovery``.)

It works by feeding each machine the events it missed, through the same ``step`` functions, and
return the new records and the effects to carry out. Where the truth is unknowable they fail closed:
a customer who answered while we could not see it, or who was waiting for an agent when the engine
died, goes to safe harbor and is recorded as abandoned rather than risk a long silent wait.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from dialer import agents as ag
from dialer import calls as ca
from dialer.agents import Agent, AgentState
from dialer.calls import Call, CallOutcome, CallState
from dialer.effects import CallId, Effect, RedirectToSafeHarbor, Timer
from dialer.pbx_port import CTX_AGENT, CTX_CONNECT, FailReason, LiveChannel, conference_name

_DIALLING = (CallState.DIALING, CallState.RINGING)


@dataclass(frozen=True, slots=True)
class Reconciled:
    """The reconciled records (every call and agent given, changed or not) and the effects to carry out."""

    calls: tuple[Call, ...]
    agents: tuple[Agent, ...]
    effects: tuple[Effect, ...]


def _run(call: Call, events: Iterable[ca.CallEvent], now: float, out: list[Effect]) -> Call:
    for event in events:
        call, effects = ca.step(call, event, now)
        out.extend(effects)
    return call


def _run_agent(agent: Agent, events: Iterable[ag.AgentEvent], now: float, out: list[Effect]) -> Agent:
    for event in events:
        agent, effects = ag.step(agent, event, now)
        out.extend(effects)
    return agent


def _missed_answer(call: Call, now: float, out: list[Effect]) -> Call:
    done, effects = ca.finish(replace(call, answered_at=now), CallOutcome.ABANDONED, now,
                              RedirectToSafeHarbor(call.leg_id), detail="answered while the engine could not see it")
    out.extend(effects)
    return done


def _gone(call: Call, now: float, out: list[Effect]) -> Call:
    if call.state in _DIALLING:
        return _run(call, [ca.Failed(FailReason.OTHER, detail="leg gone while the PBX link was down")], now, out)
    return _run(call, [ca.CustomerHungUp(cause=0)], now, out)


def _agent_legs(live: Iterable[LiveChannel]) -> dict[str, LiveChannel]:
    """Live agent legs by the conference (``exten``) they wait in."""
    return {ch.exten: ch for ch in live if ch.context == CTX_AGENT and ch.leg_id is not None}


def reconcile(calls: Iterable[Call], agents: Iterable[Agent], live: Iterable[LiveChannel], *,
              now: float, listed_at: float) -> Reconciled:
    """After a reconnect: feed calls and agents what ``live`` (listed at ``listed_at``) shows they missed."""
    channels = {ch.leg_id: ch for ch in live if ch.leg_id is not None}
    out: list[Effect] = []
    new_calls: list[Call] = []
    for call in calls:
        ch = channels.get(call.leg_id)
        if call.terminal or call.state is CallState.QUEUED or (call.originated_at or 0.0) >= listed_at:
            pass
        elif ch is None:
            call = _gone(call, now, out) if call.state is not CallState.WRAP_UP else call
        elif call.state in _DIALLING and ch.state == "Up":
            call = _missed_answer(call, now, out)
        elif call.state is CallState.DIALING and ch.state == "Ringing":
            call = _run(call, [ca.Ringing()], now, out)
        elif call.state is CallState.CONNECTING and ch.context == CTX_CONNECT:
            call = _run(call, [ca.JoinedAgent()], now, out)
        elif call.state is CallState.WAITING:
            call = _run(call, [ca.TimerFired(Timer.SAFE_HARBOR)], now, out)
        new_calls.append(call)
    by_id = {c.call_id: c for c in new_calls}
    new_agents = [_reconcile_agent(a, channels, by_id, now, out) for a in agents]
    return Reconciled(tuple(new_calls), tuple(new_agents), tuple(out))


def _reconcile_agent(agent: Agent, channels: dict[str, LiveChannel], calls: dict[CallId, Call], now: float,
                     out: list[Effect]) -> Agent:
    if agent.state is AgentState.LOGGED_OUT or agent.leg_id is None:
        return agent
    ch = channels.get(agent.leg_id)
    if ch is None:
        return _run_agent(agent, [ag.LegDown()], now, out)
    if agent.state is AgentState.CONNECTING and ch.state == "Up" and ch.exten == conference_name(agent.agent_id):
        return _run_agent(agent, [ag.LegUp()], now, out)
    call = calls.get(agent.call_id) if agent.call_id is not None else None
    if call is None:
        return agent
    if agent.state is AgentState.RESERVED and call.state is CallState.CONNECTED:
        return _run_agent(agent, [ag.CustomerJoined(call.call_id)], now, out)
    if agent.state is AgentState.ON_CALL and (call.state is CallState.WRAP_UP or call.terminal):
        return _run_agent(agent, [ag.CustomerLeft(call.call_id)], now, out)
    return agent
