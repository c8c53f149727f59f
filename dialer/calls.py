"""The call state machine: ``step(call, event, now) -> (call, effects)`` is the only way a call changes.

A ``Call`` is a frozen record of one attempt (or one inbound call): its state, the campaign's rules for
it (``CallPolicy``) and every timestamp needed to write its call record (monotonic seconds).

Outbound path: QUEUED -Dial-> DIALING -Ringing-> RINGING -Answered-> ANSWERED -AmdDone-> WAITING
-AssignAgent-> CONNECTING -JoinedAgent-> CONNECTED -CustomerHungUp/AgentGone-> WRAP_UP -WrapUpDone-> DONE.
A machine goes to MACHINE (leaving the campaign's message, DONE when the leg ends) or straight to DONE
(hang-up rule). Inbound calls enter with ``Arrive``: QUEUED -> WAITING. Terminal states: DONE, FAILED,
ABANDONED; reaching one emits exactly one ``RecordOutcome`` carrying the final ``Call``.

The 2-second rule counts from ``ready_at``: the moment the customer is known to be a person (AMD said
HUMAN/NOTSURE, or at once without AMD), which is the end of the greeting regulators count from. An
agent assigned after the deadline is released and the call goes to safe harbor (fails closed).

Two kinds of events, two rules:
- *facts* (``Ringing``, ``Answered``, ``AmdDone``, ``Failed``, ``CustomerHungUp``, ``JoinedAgent``,
  ``AgentGone``, ``TimerFired``) report what already happened; where the table has no entry they are
  stale or duplicated and are ignored (no change, no effect). One exception: a late ``Answered`` or
  ``AmdDone`` for a FAILED call means a leg we gave up on is live, so it gets a ``Hangup``.
- *commands* (``Dial``, ``Arrive``, ``AssignAgent``, ``WrapUpDone``, ``Cancel``) come from our own code;
  one the table does not allow raises ``IllegalTransition`` naming the state and the event.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Union

from dialer.effects import (
    AgentId, CallId, Effect, Hangup, IllegalTransition, Originate, RecordOutcome, RedirectToAgent,
    RedirectToMachineMessage, RedirectToSafeHarbor, ReleaseAgent, SeekAgent, StartCallTimer, Timer,
)
from dialer.pbx_port import (
    ConferenceJoined, CustomerReady, FailReason, LegAnswered, LegFailed, LegHungUp, LegRinging,
    OriginateRequest, PbxEvent,
)


class CallState(enum.Enum):
    QUEUED = "queued"            # created, not yet originated (or inbound, not yet arrived)
    DIALING = "dialing"          # originate sent
    RINGING = "ringing"
    ANSWERED = "answered"        # far end picked up; AMD (if any) running
    MACHINE = "machine"          # answering machine: our message is being left
    WAITING = "waiting"          # a person, waiting for an agent (the 2-second clock runs)
    CONNECTING = "connecting"    # agent reserved, customer being redirected into its conference
    CONNECTED = "connected"      # customer and agent talk
    WRAP_UP = "wrap_up"          # customer gone, agent setting the disposition
    DONE = "done"
    FAILED = "failed"
    ABANDONED = "abandoned"


TERMINAL = frozenset({CallState.DONE, CallState.FAILED, CallState.ABANDONED})


class CallOutcome(enum.Enum):
    """The one final outcome of a call, as written in its record and given to the retry policy."""

    HANDLED = "handled"                    # a person talked to an agent (see ``disposition``)
    ABANDONED = "abandoned"                # a person answered and got no agent (safe harbor, or gave up)
    MACHINE = "machine"
    CUSTOMER_HUNG_UP = "customer_hung_up"  # hung up after answer, before AMD could tell human from machine
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"
    INVALID_NUMBER = "invalid_number"
    REJECTED = "rejected"                  # the PBX refused the originate
    FAILED = "failed"                      # any other failure, including a leg lost with the PBX link
    CANCELLED = "cancelled"                # never dialled (campaign stopped, engine restarted)


_STATE_OF_OUTCOME = {
    CallOutcome.HANDLED: CallState.DONE, CallOutcome.MACHINE: CallState.DONE,
    CallOutcome.CUSTOMER_HUNG_UP: CallState.DONE, CallOutcome.ABANDONED: CallState.ABANDONED,
}
_OUTCOME_OF_FAILURE = {
    FailReason.BUSY: CallOutcome.BUSY, FailReason.NO_ANSWER: CallOutcome.NO_ANSWER,
    FailReason.CONGESTION: CallOutcome.CONGESTION, FailReason.INVALID_NUMBER: CallOutcome.INVALID_NUMBER,
    FailReason.REJECTED: CallOutcome.REJECTED, FailReason.OTHER: CallOutcome.FAILED,
}


class MachineAction(enum.Enum):
    HANGUP = "hangup"
    MESSAGE = "message"          # leave the campaign's recorded message


class PoolKind(enum.Enum):
    CAMPAIGN = "campaign"
    QUEUE = "queue"              # inbound queues (later issue)


@dataclass(frozen=True, slots=True)
class Pool:
    """Which agents may take a call: those working this campaign or queue."""

    kind: PoolKind
    id: int


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """The campaign's (or queue's) rules for one call, fixed when the call is created."""

    machine_action: MachineAction = MachineAction.HANGUP
    notsure_is_human: bool = True
    safe_harbor_s: float | None = 2.0    # None: wait for an agent without limit (inbound with no max wait)
    amd_timeout_s: float = 10.0          # answered but no AMD result by then: treat as NOTSURE
    dial_grace_s: float = 10.0           # after the ring timeout, give up waiting for the PBX's answer


@dataclass(frozen=True, slots=True)
class Call:
    """One call and everything its record needs; times are ``Clock.monotonic()`` seconds."""

    call_id: CallId
    leg_id: str
    pool: Pool
    policy: CallPolicy = field(default_factory=CallPolicy)
    state: CallState = CallState.QUEUED
    lead_id: int | None = None
    inbound: bool = False
    priority: int = 0                    # higher is served first (inbound queues)
    skills: frozenset[str] = frozenset()
    ring_timeout_s: float = 30.0
    originated_at: float | None = None
    ringing_at: float | None = None
    answered_at: float | None = None
    ready_at: float | None = None        # known to be a person: the 2-second clock starts here
    connected_at: float | None = None
    ended_at: float | None = None        # customer leg ended, or the call was given up
    wrap_end_at: float | None = None
    amd_status: str = ""
    amd_cause: str = ""
    agent_id: AgentId | None = None
    fail_reason: FailReason | None = None
    hangup_cause: int = 0
    outcome: CallOutcome | None = None
    disposition: str | None = None
    detail: str = ""

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def deadline(self) -> float | None:
        """When the call must be with an agent or in safe harbor, or None (not waiting yet, or no limit)."""
        if self.ready_at is None or self.policy.safe_harbor_s is None:
            return None
        return self.ready_at + self.policy.safe_harbor_s


# --- events -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Dial:
    request: OriginateRequest


@dataclass(frozen=True, slots=True)
class Arrive:
    """An inbound caller is holding and needs an agent."""


@dataclass(frozen=True, slots=True)
class AssignAgent:
    agent_id: AgentId


@dataclass(frozen=True, slots=True)
class WrapUpDone:
    disposition: str | None


@dataclass(frozen=True, slots=True)
class Cancel:
    """Stop this attempt: a queued call is dropped; a dialling one is hung up (its failure follows)."""


@dataclass(frozen=True, slots=True)
class Ringing:
    pass


@dataclass(frozen=True, slots=True)
class Answered:
    pass


@dataclass(frozen=True, slots=True)
class AmdDone:
    """The customer leg is holding; ``status`` is AMD's HUMAN/MACHINE/NOTSURE/HANGUP, "" without AMD."""

    status: str = ""
    cause: str = ""


@dataclass(frozen=True, slots=True)
class Failed:
    reason: FailReason
    cause: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CustomerHungUp:
    cause: int = 16


@dataclass(frozen=True, slots=True)
class JoinedAgent:
    pass


@dataclass(frozen=True, slots=True)
class AgentGone:
    """The agent left the call: hung up, lost its phone, or the redirect to it failed."""

    agent_id: AgentId


@dataclass(frozen=True, slots=True)
class TimerFired:
    timer: Timer


CallEvent = Union[Dial, Arrive, AssignAgent, WrapUpDone, Cancel, Ringing, Answered, AmdDone, Failed,
                  CustomerHungUp, JoinedAgent, AgentGone, TimerFired]
COMMANDS = (Dial, Arrive, AssignAgent, WrapUpDone, Cancel)
Result = tuple[Call, tuple[Effect, ...]]


def from_pbx(event: PbxEvent, call: Call) -> CallEvent | None:
    """The call event a PBX event means for ``call``, or None if it does not concern the call."""
    if getattr(event, "leg_id", None) != call.leg_id:
        return None
    if isinstance(event, LegRinging):
        return Ringing()
    if isinstance(event, LegAnswered):
        return Answered()
    if isinstance(event, CustomerReady):
        return AmdDone(event.amd_status, event.amd_cause)
    if isinstance(event, LegFailed):
        return Failed(event.reason, event.cause, event.detail)
    if isinstance(event, LegHungUp):
        return CustomerHungUp(event.cause)
    if isinstance(event, ConferenceJoined):
        return JoinedAgent()
    return None


# --- transitions ------------------------------------------------------------------------------------
def finish(call: Call, outcome: CallOutcome, now: float, *effects: Effect, **changes: object) -> Result:
    """End ``call`` with ``outcome``: the terminal state, ``ended_at``, and the one ``RecordOutcome``."""
    state = _STATE_OF_OUTCOME.get(outcome, CallState.FAILED)
    ended = call.ended_at if call.ended_at is not None else now
    done = replace(call, state=state, outcome=outcome, ended_at=ended, **changes)  # type: ignore[arg-type]
    return done, (*effects, RecordOutcome(done))


def _safe_harbor(call: Call, now: float, detail: str, *effects: Effect) -> Result:
    return finish(call, CallOutcome.ABANDONED, now, RedirectToSafeHarbor(call.leg_id), *effects, detail=detail)


def _wait_for_agent(call: Call, now: float, ready_at: float) -> Result:
    waiting = replace(call, state=CallState.WAITING, ready_at=ready_at, agent_id=None)
    effects: list[Effect] = [SeekAgent(call.call_id)]
    if waiting.deadline is not None:
        effects.append(StartCallTimer(call.call_id, Timer.SAFE_HARBOR, waiting.deadline))
    return waiting, tuple(effects)


def _dial(call: Call, ev: Dial, now: float) -> Result:
    if ev.request.leg_id != call.leg_id:
        raise ValueError(f"call {call.call_id}: originate leg {ev.request.leg_id} is not the call's {call.leg_id}")
    dialing = replace(call, state=CallState.DIALING, originated_at=now, ring_timeout_s=ev.request.timeout_s)
    at = now + ev.request.timeout_s + call.policy.dial_grace_s
    return dialing, (Originate(ev.request), StartCallTimer(call.call_id, Timer.DIAL, at))


def _arrive(call: Call, ev: Arrive, now: float) -> Result:
    return _wait_for_agent(replace(call, answered_at=now), now, now)


def _cancel(call: Call, ev: Cancel, now: float) -> Result:
    if call.state is CallState.QUEUED:
        return finish(call, CallOutcome.CANCELLED, now, detail="cancelled before dialling")
    return call, (Hangup(call.leg_id),)


def _ringing(call: Call, ev: Ringing, now: float) -> Result:
    return replace(call, state=CallState.RINGING, ringing_at=now), ()


def _answered(call: Call, ev: Answered, now: float) -> Result:
    answered = replace(call, state=CallState.ANSWERED, answered_at=now)
    return answered, (StartCallTimer(call.call_id, Timer.AMD, now + call.policy.amd_timeout_s),)


def _amd_done(call: Call, ev: AmdDone, now: float) -> Result:
    status = ev.status.upper()
    call = replace(call, answered_at=call.answered_at if call.answered_at is not None else now,
                   amd_status=status, amd_cause=ev.cause)
    if status == "HANGUP":
        return finish(call, CallOutcome.CUSTOMER_HUNG_UP, now, detail="hung up during AMD")
    human = status in ("", "HUMAN") or (status != "MACHINE" and call.policy.notsure_is_human)
    if human:
        return _wait_for_agent(call, now, now)
    if call.policy.machine_action is MachineAction.MESSAGE:
        return replace(call, state=CallState.MACHINE), (RedirectToMachineMessage(call.leg_id),)
    return finish(call, CallOutcome.MACHINE, now, Hangup(call.leg_id))


def _failed(call: Call, ev: Failed, now: float) -> Result:
    return finish(call, _OUTCOME_OF_FAILURE[ev.reason], now, fail_reason=ev.reason,
                  hangup_cause=ev.cause, detail=ev.detail)


def _hung_up(call: Call, ev: CustomerHungUp | Failed, now: float) -> Result:
    cause = ev.cause
    state = call.state
    if state in (CallState.DIALING, CallState.RINGING):
        return finish(call, CallOutcome.FAILED, now, fail_reason=FailReason.OTHER, hangup_cause=cause,
                      detail="leg ended before answer")
    if state is CallState.ANSWERED:
        return finish(call, CallOutcome.CUSTOMER_HUNG_UP, now, hangup_cause=cause, detail="hung up during AMD")
    if state is CallState.MACHINE:
        return finish(call, CallOutcome.MACHINE, now, hangup_cause=cause)
    if state is CallState.CONNECTED:
        return replace(call, state=CallState.WRAP_UP, ended_at=now, hangup_cause=cause), ()
    release: tuple[Effect, ...] = ()
    if state is CallState.CONNECTING and call.agent_id is not None:
        release = (ReleaseAgent(call.agent_id, call.call_id),)
    return finish(call, CallOutcome.ABANDONED, now, *release, hangup_cause=cause,
                  detail="customer hung up waiting for an agent")


def _joined(call: Call, ev: JoinedAgent, now: float) -> Result:
    return replace(call, state=CallState.CONNECTED, connected_at=now), ()


def _agent_gone(call: Call, ev: AgentGone, now: float) -> Result:
    if ev.agent_id != call.agent_id:
        return call, ()
    if call.state is CallState.CONNECTED:
        return replace(call, state=CallState.WRAP_UP, ended_at=now), (Hangup(call.leg_id),)
    release = ReleaseAgent(ev.agent_id, call.call_id)
    deadline = call.deadline
    if deadline is not None and now >= deadline:
        return _safe_harbor(call, now, "agent lost after the deadline", release)
    # back to waiting: the safe-harbor timer armed on the first wait still stands
    return replace(call, state=CallState.WAITING, agent_id=None), (release, SeekAgent(call.call_id))


def _assign(call: Call, ev: AssignAgent, now: float) -> Result:
    deadline = call.deadline
    if deadline is not None and now >= deadline:
        return _safe_harbor(call, now, "agent found after the deadline", ReleaseAgent(ev.agent_id, call.call_id))
    return replace(call, state=CallState.CONNECTING, agent_id=ev.agent_id), \
        (RedirectToAgent(call.leg_id, ev.agent_id),)


def _wrap_done(call: Call, ev: WrapUpDone, now: float) -> Result:
    return finish(call, CallOutcome.HANDLED, now, disposition=ev.disposition, wrap_end_at=now)


def _timer(call: Call, ev: TimerFired, now: float) -> Result:
    state = call.state
    if ev.timer is Timer.DIAL and state in (CallState.DIALING, CallState.RINGING):
        return finish(call, CallOutcome.FAILED, now, Hangup(call.leg_id), fail_reason=FailReason.OTHER,
                      detail="no outcome from the PBX after the ring timeout")
    if ev.timer is Timer.AMD and state is CallState.ANSWERED:
        return _amd_done(call, AmdDone("NOTSURE", "ENGINE_TIMEOUT"), now)
    deadline = call.deadline
    if ev.timer is Timer.SAFE_HARBOR and state is CallState.WAITING and deadline is not None and now >= deadline:
        return _safe_harbor(call, now, "no agent within the safe-harbor deadline")
    return call, ()


Handler = Callable[[Call, object, float], Result]
S = CallState
_DIALLING = (S.DIALING, S.RINGING)
_LIVE = (S.DIALING, S.RINGING, S.ANSWERED, S.MACHINE, S.WAITING, S.CONNECTING, S.CONNECTED, S.WRAP_UP)
TRANSITIONS: dict[tuple[CallState, type], Handler] = {
    (S.QUEUED, Dial): _dial,
    (S.QUEUED, Arrive): _arrive,
    (S.QUEUED, Cancel): _cancel,
    **{(s, Cancel): _cancel for s in _DIALLING},
    (S.DIALING, Ringing): _ringing,
    **{(s, Answered): _answered for s in _DIALLING},
    **{(s, AmdDone): _amd_done for s in (*_DIALLING, S.ANSWERED)},
    **{(s, Failed): _failed for s in _DIALLING},
    **{(s, Failed): _hung_up for s in (S.ANSWERED, S.MACHINE, S.WAITING, S.CONNECTING, S.CONNECTED)},
    **{(s, CustomerHungUp): _hung_up for s in _LIVE if s is not S.WRAP_UP},
    (S.CONNECTING, JoinedAgent): _joined,
    (S.CONNECTING, AgentGone): _agent_gone,
    (S.CONNECTED, AgentGone): _agent_gone,
    (S.WAITING, AssignAgent): _assign,
    (S.WRAP_UP, WrapUpDone): _wrap_done,
    **{(s, TimerFired): _timer for s in (*_DIALLING, S.ANSWERED, S.WAITING)},
}  # type: ignore[dict-item]


def step(call: Call, event: CallEvent, now: float) -> Result:
    """Apply ``event`` at ``now``: the new call and the effects the shell must carry out, in order."""
    handler = TRANSITIONS.get((call.state, type(event)))
    if handler is not None:
        return handler(call, event, now)
    if isinstance(event, COMMANDS):
        raise IllegalTransition("call", call.state, event)
    if call.state is CallState.FAILED and isinstance(event, (Answered, AmdDone)):
        return call, (Hangup(call.leg_id),)
    return call, ()
