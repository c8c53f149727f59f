"""What the engine's pure machines ask the shell to do, as data; and the error for an illegal transition.

``dialer.calls.step`` and ``dialer.agents.step`` return these effects instead of doing I/O. The shell
carries each one out in order: PBX actions through ``PbxPort``, timers on the ``Clock`` (a fired timer
comes back as a ``TimerFired`` event of the machine that asked for it), records to PostgreSQL, and
messages between the two machines (``ReleaseAgent`` → ``agents.Release``, ``AgentLost`` →
``calls.AgentGone``, ``CloseCall`` → ``calls.WrapUpDone``, ``SeekAgent`` → ``routing``).
Timers are never cancelled: a machine ignores a timer that no longer applies to its state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dialer.errors import DialerError
from dialer.pbx_port import OriginateRequest

if TYPE_CHECKING:
    from dialer.calls import Call

CallId = int   # the call record's id (the engine keys calls by it)
AgentId = int


class IllegalTransition(DialerError):
    """A command reached a machine in a state where it means nothing: a bug in the caller, never a PBX fact."""

    def __init__(self, machine: str, state: enum.Enum, event: object) -> None:
        self.machine = machine
        self.state = state
        self.event = event
        super().__init__(f"{machine}: illegal event {type(event).__name__} in state {state.name} ({event!r})")


class Timer(enum.Enum):
    """The named timers the machines arm; each fires at most once per arming."""

    DIAL = "dial"                 # call: no originate outcome long after the ring timeout
    AMD = "amd"                   # call: answered, but AMD never reported
    SAFE_HARBOR = "safe_harbor"   # call: no agent in time after the customer is ready
    CONNECT = "connect"           # agent: the phone leg never joined its conference
    WRAP = "wrap"                 # agent: its wrap-up time after a call is over


@dataclass(frozen=True, slots=True)
class Originate:
    """Place the leg described by ``request`` (a customer's or an agent's phone). Never re-sent."""

    request: OriginateRequest


@dataclass(frozen=True, slots=True)
class RedirectToAgent:
    """Move the customer leg into the agent's conference (``CTX_CONNECT``, ``conference_name(agent_id)``)."""

    leg_id: str
    agent_id: AgentId


@dataclass(frozen=True, slots=True)
class RedirectToSafeHarbor:
    """Move the customer leg to ``CTX_SAFE_HARBOR``: the recorded message, then hang up."""

    leg_id: str


@dataclass(frozen=True, slots=True)
class RedirectToMachineMessage:
    """Move the customer leg to ``CTX_MACHINE``: wait for the beep, leave the campaign's message, hang up."""

    leg_id: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """Hang up one leg (a failure to do so because it is already gone is not an error)."""

    leg_id: str
    cause: int = 16


@dataclass(frozen=True, slots=True)
class StartCallTimer:
    """Deliver ``calls.TimerFired(timer)`` to call ``call_id`` at monotonic time ``at``."""

    call_id: CallId
    timer: Timer
    at: float


@dataclass(frozen=True, slots=True)
class StartAgentTimer:
    """Deliver ``agents.TimerFired(timer)`` to agent ``agent_id`` at monotonic time ``at``."""

    agent_id: AgentId
    timer: Timer
    at: float


@dataclass(frozen=True, slots=True)
class SeekAgent:
    """The call waits for an agent: run the router for it now and whenever an agent becomes ready."""

    call_id: CallId


@dataclass(frozen=True, slots=True)
class ReleaseAgent:
    """The call no longer needs the agent it reserved: deliver ``agents.Release(call_id)``."""

    agent_id: AgentId
    call_id: CallId


@dataclass(frozen=True, slots=True)
class AgentLost:
    """The agent's phone leg is gone while it held the call: deliver ``calls.AgentGone(agent_id)``."""

    call_id: CallId
    agent_id: AgentId


@dataclass(frozen=True, slots=True)
class CloseCall:
    """The agent finished wrap-up: deliver ``calls.WrapUpDone(disposition)`` to the call."""

    call_id: CallId
    disposition: str | None


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """The call reached its one final outcome: write the call record from ``call``, then ask the retry policy."""

    call: Call


@dataclass(frozen=True, slots=True)
class RecordMilestone:
    """The call was answered, became known to be a person, or met its agent: write that much to its
    in-flight record now (the shell adds it; a restarted engine reads it to tell served calls from failed)."""

    call: Call


Effect = (Originate | RedirectToAgent | RedirectToSafeHarbor | RedirectToMachineMessage | Hangup | StartCallTimer
          | StartAgentTimer | SeekAgent | ReleaseAgent | AgentLost | CloseCall | RecordOutcome | RecordMilestone)
