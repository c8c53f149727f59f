"""The call state machine: ``step(call, event, now) -> (call, effects)`` is the only way a call changes.

A ``Call`` is a frozen record of one attempt (or one inbound call): its state, the campaign's rules for
it (``CallPolicy``) and every timestamp needed to write its call record (monotonic seconds).

Outbound path: QUEUED -Dial-> DIALING -Ringing-> RINGING -Answered-> ANSWERED -AmdDone-> WAITING
-AssignAgent-> CONNECTING -JoinedAgent-> CONNECTED -CustomerHungUp/AgentGone-> WRAP_UP -WrapUpDone-> DONE (also
straight from CONNECTED, hanging the customer up, if the agent closes the call first).
A machine goes to MACHINE (leaving the campaign's message, DONE when the leg ends) or straight to DONE
(hang-up rule). Inbound calls enter with ``Arrive``: QUEUED -> WAITING. Terminal states: DONE, FAILED,
ABANDONED; reaching one emits exactly one ``RecordOutcome`` carrying the final ``Call``.

The 2-second rule counts from ``ready_at``: the moment the customer is known to be a person (AMD said
HUMAN/NOTSURE, or at once without AMD), which is the end of the greeting regulators count from. The
message must *start* within ``TWO_SECOND_RULE_S`` as Asterisk measures it, so the engine's deadline
(``CallPolicy.safe_harbor_s``, ``SAFE_HARBOR_S`` = 1.5 s by default) leaves ``REDIRECT_MARGIN_S`` for the
UserEvent to reach us, the Redirect to reach Asterisk and Playback to begin; it is refused at or past
2.0 − that margin. Each customer leg also carries ``DIALPLAN_HOLD_S`` (1.8 s) in ``DIALER_HOLD_S``: the
dialplan plays the message itself by then if the engine has not moved the call (engine late or gone).
An agent assigned after the deadline is released and the call goes to safe harbor (fails closed).

A call the PBX cut by shutting down or restarting (``FailReason.PBX_CUT``, ``CustomerHungUp(pbx_cut=True)``)
never passes for a no-answer, a hang-up during AMD or a machine: it ends as ``PBX_CUT`` (a short retry of
its own). Once the customer is known to be a person it is still an abandon if no agent had it (the rule
counts it), and a conversation cut short goes to wrap-up as usual; both records say it was cut.

Two kinds of events, two rules:
- *facts* (``Ringing``, ``Answered``, ``AmdDone``, ``Failed``, ``CustomerHungUp``, ``InSafeHarbor``,
  ``JoinedAgent``, ``AgentGone``, ``TimerFired``) report what already happened; where the table has no entry they are
  stale or duplicated and are ignored (no change, no effect). One exception: a late ``Answered`` or
  ``AmdDone`` for a FAILED call means a leg we gave up on is live, so it gets a ``Hangup``.
- *commands* (``Dial``, ``Arrive``, ``AssignAgent``, ``WrapUpDone``, ``Cancel``) come from our own code;
  one the table does not allow raises ``IllegalTransition`` naming the state and the event.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from dialer.effects import (
    AgentId,
    CallId,
    Effect,
    Hangup,
    IllegalTransition,
    Originate,
    RecordOutcome,
    RedirectToAgent,
    RedirectToMachineMessage,
    RedirectToSafeHarbor,
    ReleaseAgent,
    SeekAgent,
    StartCallTimer,
    Timer,
)
from dialer.pbx_port import (
    ConferenceJoined,
    CustomerReady,
    FailReason,
    LegAnswered,
    LegFailed,
    LegHungUp,
    LegRinging,
    OriginateRequest,
    PbxEvent,
    SafeHarborStarted,
    conference_name,
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
    PBX_CUT = "pbx_cut"                    # the PBX shut down or restarted before a person was known to be there
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
    FailReason.PBX_CUT: CallOutcome.PBX_CUT,
}

# The 2-second rule, as Asterisk measures it: the safe-harbor message starts within TWO_SECOND_RULE_S of the
# customer being known to be a person. Real Asterisk 22 (recordings i2, j3): the UserEvent reaches us and a
# Redirect starts Playback in a few milliseconds; the margin leaves room for a loaded engine or network.
TWO_SECOND_RULE_S = 2.0
REDIRECT_MARGIN_S = 0.2      # AMI round trip + Redirect + dialplan up to Playback, at most
SAFE_HARBOR_S = 1.5          # the engine's default deadline: an agent by then, else safe harbor
DIALPLAN_HOLD_S = TWO_SECOND_RULE_S - REDIRECT_MARGIN_S   # DIALER_HOLD_S: the dialplan's own safe harbor (1.8)


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
    safe_harbor_s: float | None = SAFE_HARBOR_S   # None: no limit (inbound); else < TWO_SECOND_RULE_S - margin
    amd_timeout_s: float = 10.0          # answered but no AMD result by then: treat as NOTSURE
    dial_grace_s: float = 10.0           # after the ring timeout, give up waiting for the PBX's answer

    def __post_init__(self) -> None:
        if self.safe_harbor_s is not None and self.safe_harbor_s <= 0:
            raise ValueError(f"safe_harbor_s must be positive or None, got {self.safe_harbor_s}")
        if self.safe_harbor_s is not None and self.safe_harbor_s >= DIALPLAN_HOLD_S:
            raise ValueError(f"safe_harbor_s must be under {DIALPLAN_HOLD_S:g} s (the {TWO_SECOND_RULE_S:g}-second rule"
                             f" less {REDIRECT_MARGIN_S:g} s for the Redirect), got {self.safe_harbor_s}")
        if self.amd_timeout_s <= 0 or self.dial_grace_s < 0:
            raise ValueError(f"bad timeouts: amd_timeout_s={self.amd_timeout_s}, dial_grace_s={self.dial_grace_s}")


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
    agents_lost: frozenset[AgentId] = frozenset()   # agents this call failed to reach: not offered again
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


# --- events: commands (ours; illegal where the table has no entry) --------------------------------------
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


# --- events: facts (stale ones are ignored) -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Ringing:
    """The far end is ringing."""


@dataclass(frozen=True, slots=True)
class Answered:
    """The far end picked up; AMD (if asked) starts."""


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
    pbx_cut: bool = False        # the PBX shut down or restarted under the call


@dataclass(frozen=True, slots=True)
class InSafeHarbor:
    """The customer leg is in ``dialer-safe-harbor``: after our Redirect, or the dialplan's own after
    ``DIALER_HOLD_S`` when the engine did not act in time."""


@dataclass(frozen=True, slots=True)
class JoinedAgent:
    """The customer leg entered the assigned agent's conference."""


@dataclass(frozen=True, slots=True)
class AgentGone:
    """The agent left the call: hung up, lost its phone, or the redirect to it failed."""

    agent_id: AgentId


@dataclass(frozen=True, slots=True)
class TimerFired:
    timer: Timer


@dataclass(frozen=True, slots=True)
class SurveyTaken:
    """A survey campaign's customer, known to be a person, goes into the survey instead of waiting for an agent: its
    call ends handled, with no agent (``dialer.survey_desk`` plays the survey on its leg)."""


CallEvent = (Dial | Arrive | AssignAgent | WrapUpDone | Cancel | Ringing | Answered | AmdDone | Failed
             | CustomerHungUp | InSafeHarbor | JoinedAgent | AgentGone | TimerFired | SurveyTaken)
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
        return CustomerHungUp(event.cause, event.pbx_cut)
    if isinstance(event, SafeHarborStarted):
        return InSafeHarbor()
    if isinstance(event, ConferenceJoined) and call.agent_id is not None \
            and event.conference == conference_name(call.agent_id):
        return JoinedAgent()
    return None


# --- transitions ------------------------------------------------------------------------------------
def finish(call: Call, outcome: CallOutcome, now: float, *effects: Effect, **changes: Any) -> Result:
    """End ``call`` with ``outcome``: the terminal state, ``ended_at``, and the one ``RecordOutcome``."""
    state = _STATE_OF_OUTCOME.get(outcome, CallState.FAILED)
    ended = call.ended_at if call.ended_at is not None else now
    done = replace(call, state=state, outcome=outcome, ended_at=ended, **changes)
    return done, (*effects, RecordOutcome(done))


def _safe_harbor(call: Call, now: float, detail: str, *effects: Effect) -> Result:
    return finish(call, CallOutcome.ABANDONED, now, RedirectToSafeHarbor(call.leg_id), *effects, detail=detail)


def _past_deadline(call: Call, now: float) -> bool:
    deadline = call.deadline
    return deadline is not None and now >= deadline


def _wait_for_agent(call: Call, ready_at: float) -> Result:
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
    return _wait_for_agent(replace(call, answered_at=now), now)


def _drop(call: Call, ev: Cancel, now: float) -> Result:
    return finish(call, CallOutcome.CANCELLED, now, detail="cancelled before dialling")


def _stop_dialling(call: Call, ev: Cancel, now: float) -> Result:
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
    if status in ("", "HUMAN") or (status != "MACHINE" and call.policy.notsure_is_human):
        return _wait_for_agent(call, now)
    if call.policy.machine_action is MachineAction.MESSAGE:
        return replace(call, state=CallState.MACHINE), (RedirectToMachineMessage(call.leg_id),)
    return finish(call, CallOutcome.MACHINE, now, Hangup(call.leg_id))


def _failed(call: Call, ev: Failed, now: float) -> Result:
    return finish(call, _OUTCOME_OF_FAILURE[ev.reason], now, fail_reason=ev.reason,
                  hangup_cause=ev.cause, detail=ev.detail)


def _cut(ev: CustomerHungUp | Failed) -> bool:
    """Whether the PBX ended the call by shutting down or restarting (nobody hung up, nothing failed)."""
    return ev.pbx_cut if isinstance(ev, CustomerHungUp) else ev.reason is FailReason.PBX_CUT


CUT = "cut by the PBX shutting down or restarting"


def _pbx_cut(call: Call, ev: CustomerHungUp | Failed, now: float, when: str) -> Result:
    return finish(call, CallOutcome.PBX_CUT, now, fail_reason=FailReason.PBX_CUT, hangup_cause=ev.cause,
                  detail=f"{CUT} {when}")


def _ended_unanswered(call: Call, ev: CustomerHungUp, now: float) -> Result:
    if _cut(ev):
        return _pbx_cut(call, ev, now, "before answer")
    return finish(call, CallOutcome.FAILED, now, fail_reason=FailReason.OTHER, hangup_cause=ev.cause,
                  detail="leg ended before answer")


def _hung_up_in_amd(call: Call, ev: CustomerHungUp | Failed, now: float) -> Result:
    if _cut(ev):
        return _pbx_cut(call, ev, now, "during AMD")
    return finish(call, CallOutcome.CUSTOMER_HUNG_UP, now, hangup_cause=ev.cause, detail="hung up during AMD")


def _machine_done(call: Call, ev: CustomerHungUp | Failed, now: float) -> Result:
    if _cut(ev):
        return _pbx_cut(call, ev, now, "while leaving the machine message")
    return finish(call, CallOutcome.MACHINE, now, hangup_cause=ev.cause)


def _gave_up_waiting(call: Call, ev: CustomerHungUp | Failed, now: float) -> Result:
    release = () if call.agent_id is None else (ReleaseAgent(call.agent_id, call.call_id),)
    if _cut(ev):   # a person got no agent: an abandon all the same, and the record says why
        return finish(call, CallOutcome.ABANDONED, now, *release, hangup_cause=ev.cause,
                      fail_reason=FailReason.PBX_CUT, detail=f"{CUT} while the customer waited for an agent")
    return finish(call, CallOutcome.ABANDONED, now, *release, hangup_cause=ev.cause,
                  detail="customer hung up waiting for an agent")


def _talk_ended(call: Call, ev: CustomerHungUp | Failed, now: float) -> Result:
    if _cut(ev):   # the agent still sets the disposition; the record keeps that the talk was cut short
        return replace(call, state=CallState.WRAP_UP, ended_at=now, hangup_cause=ev.cause,
                       fail_reason=FailReason.PBX_CUT, detail=f"conversation {CUT}"), ()
    return replace(call, state=CallState.WRAP_UP, ended_at=now, hangup_cause=ev.cause), ()


def _customer_gone_in_wrap_up(call: Call, ev: CustomerHungUp | Failed, now: float) -> Result:
    """The customer's leg ends after the agent's (we hung it up): a restart cuts the agent's leg first (i4),
    so this is where the record learns the conversation was cut."""
    if _cut(ev) and call.fail_reason is None:
        return replace(call, fail_reason=FailReason.PBX_CUT, detail=f"conversation {CUT}"), ()
    return call, ()


def _dialplan_safe_harbor(call: Call, ev: InSafeHarbor, now: float) -> Result:
    """The dialplan played the message itself (the engine was late or its Redirect was lost): an abandon,
    and no second Redirect to restart the message."""
    return finish(call, CallOutcome.ABANDONED, now,
                  detail="the dialplan played safe harbor itself: no engine decision within DIALER_HOLD_S")


def _joined(call: Call, ev: JoinedAgent, now: float) -> Result:
    return replace(call, state=CallState.CONNECTED, connected_at=now), ()


def _agent_gone(call: Call, ev: AgentGone, now: float) -> Result:
    if ev.agent_id != call.agent_id:
        return call, ()
    if call.state is CallState.CONNECTED:
        return replace(call, state=CallState.WRAP_UP, ended_at=now), (Hangup(call.leg_id),)
    release = ReleaseAgent(ev.agent_id, call.call_id)
    if _past_deadline(call, now):
        return _safe_harbor(call, now, "agent lost after the deadline", release)
    # back to waiting: the safe-harbor timer armed on the first wait still stands
    waiting = replace(call, state=CallState.WAITING, agent_id=None, agents_lost=call.agents_lost | {ev.agent_id})
    return waiting, (release, SeekAgent(call.call_id))


def _assign(call: Call, ev: AssignAgent, now: float) -> Result:
    if _past_deadline(call, now):
        return _safe_harbor(call, now, "agent found after the deadline", ReleaseAgent(ev.agent_id, call.call_id))
    connecting = replace(call, state=CallState.CONNECTING, agent_id=ev.agent_id)
    return connecting, (RedirectToAgent(call.leg_id, ev.agent_id),)


def _wrap_done(call: Call, ev: WrapUpDone, now: float) -> Result:
    # from CONNECTED: the agent closed the call before the customer's hang-up reached us
    hangup = (Hangup(call.leg_id),) if call.state is CallState.CONNECTED else ()
    return finish(call, CallOutcome.HANDLED, now, *hangup, disposition=ev.disposition, wrap_end_at=now)


def _survey_taken(call: Call, ev: SurveyTaken, now: float) -> Result:
    return finish(call, CallOutcome.HANDLED, now, detail="survey campaign: the customer heard the survey")


def _dial_timeout(call: Call, ev: TimerFired, now: float) -> Result:
    if ev.timer is not Timer.DIAL:
        return call, ()
    return finish(call, CallOutcome.FAILED, now, Hangup(call.leg_id), fail_reason=FailReason.OTHER,
                  detail="no outcome from the PBX after the ring timeout")


def _amd_timeout(call: Call, ev: TimerFired, now: float) -> Result:
    return _amd_done(call, AmdDone("NOTSURE", "ENGINE_TIMEOUT"), now) if ev.timer is Timer.AMD else (call, ())


def _deadline(call: Call, ev: TimerFired, now: float) -> Result:
    if ev.timer is not Timer.SAFE_HARBOR or not _past_deadline(call, now):
        return call, ()
    return _safe_harbor(call, now, "no agent within the safe-harbor deadline")


Handler = Callable[[Call, Any, float], Result]
S = CallState
TRANSITIONS: dict[tuple[CallState, type], Handler] = {
    (S.QUEUED, Dial): _dial,
    (S.QUEUED, Arrive): _arrive,
    (S.QUEUED, Cancel): _drop,
    (S.DIALING, Cancel): _stop_dialling,
    (S.RINGING, Cancel): _stop_dialling,
    (S.DIALING, Ringing): _ringing,
    (S.DIALING, Answered): _answered,
    (S.RINGING, Answered): _answered,
    (S.DIALING, AmdDone): _amd_done,     # the answer event was missed
    (S.RINGING, AmdDone): _amd_done,
    (S.ANSWERED, AmdDone): _amd_done,
    (S.DIALING, Failed): _failed,
    (S.RINGING, Failed): _failed,
    (S.DIALING, CustomerHungUp): _ended_unanswered,
    (S.RINGING, CustomerHungUp): _ended_unanswered,
    (S.DIALING, TimerFired): _dial_timeout,
    (S.RINGING, TimerFired): _dial_timeout,
    (S.ANSWERED, CustomerHungUp): _hung_up_in_amd,
    (S.ANSWERED, Failed): _hung_up_in_amd,
    (S.ANSWERED, TimerFired): _amd_timeout,
    (S.MACHINE, CustomerHungUp): _machine_done,
    (S.MACHINE, Failed): _machine_done,
    (S.WAITING, AssignAgent): _assign,
    (S.WAITING, CustomerHungUp): _gave_up_waiting,
    (S.WAITING, Failed): _gave_up_waiting,
    (S.WAITING, TimerFired): _deadline,
    (S.WAITING, InSafeHarbor): _dialplan_safe_harbor,
    (S.WAITING, SurveyTaken): _survey_taken,
    (S.CONNECTING, JoinedAgent): _joined,
    (S.CONNECTING, AgentGone): _agent_gone,
    (S.CONNECTING, CustomerHungUp): _gave_up_waiting,
    (S.CONNECTING, Failed): _gave_up_waiting,
    (S.CONNECTED, CustomerHungUp): _talk_ended,
    (S.CONNECTED, Failed): _talk_ended,
    (S.CONNECTED, AgentGone): _agent_gone,
    (S.CONNECTED, WrapUpDone): _wrap_done,
    (S.WRAP_UP, CustomerHungUp): _customer_gone_in_wrap_up,
    (S.WRAP_UP, Failed): _customer_gone_in_wrap_up,
    (S.WRAP_UP, WrapUpDone): _wrap_done,
}


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
