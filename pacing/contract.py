"""The pacer contract: the snapshot a pacer reads, the outcomes it learns from, the decision it returns.

The runner, the simulator and outside benchmark harnesses drive every pacer only through these types
and the ``Pacer`` protocol (``observe`` then ``decide``). All times are seconds on one monotonic clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the campaign looks like now (modelled on trio's ``statistics()`` immutable snapshots).

    ``agents_busy`` holds, for each busy agent, the seconds since its current call began (talk plus
    wrap-up so far); ``dialing`` holds, for each unresolved outbound call, the seconds since it was
    originated; ``waiting`` counts answered calls waiting for an agent; ``lines_free`` is the number of
    trunk channels left (None: no limit). ``inbound_waiting`` holds, for each inbound caller waiting for
    these agents, the seconds it has waited (read only by a pacer built with ``service_level``).
    """

    now: float
    agents_ready: int
    agents_busy: tuple[float, ...] = ()
    dialing: tuple[float, ...] = ()
    waiting: int = 0
    lines_free: int | None = None
    inbound_waiting: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.agents_ready < 0 or self.waiting < 0:
            raise ValueError(f"agents_ready and waiting must be >= 0, got {self.agents_ready}, {self.waiting}")
        if self.lines_free is not None and self.lines_free < 0:
            raise ValueError(f"lines_free must be >= 0 or None, got {self.lines_free}")

    @property
    def agents_logged_in(self) -> int:
        return self.agents_ready + len(self.agents_busy)


@dataclass(frozen=True, slots=True)
class DialOutcome:
    """One originated call resolved: answered (``connected``) after ``ring_s``, or not (censored ring time).

    ``machine`` marks an answer by an answering machine (not a live answer). ``routed`` tells whether the
    call was offered to agents (None: routed exactly when live); without AMD a machine is routed too,
    and it takes an agent like a person does.
    """

    now: float
    connected: bool
    ring_s: float
    machine: bool = False
    routed: bool | None = None

    @property
    def live(self) -> bool:
        """A live answer: connected to a person."""
        return self.connected and not self.machine

    @property
    def offered(self) -> bool:
        """Offered to agents: it needs an agent within the grace time."""
        return self.live if self.routed is None else (self.connected and self.routed)


@dataclass(frozen=True, slots=True)
class CallHandled:
    """An agent finished a call: ``handle_s`` is talk plus wrap-up; ``inbound`` marks an inbound call."""

    now: float
    handle_s: float
    inbound: bool = False


@dataclass(frozen=True, slots=True)
class Abandoned:
    """A live answer found no agent in time (safe-harbor message) or hung up after ``waited_s``."""

    now: float
    waited_s: float


@dataclass(frozen=True, slots=True)
class InboundArrived:
    """An inbound caller for these agents started waiting."""

    now: float


@dataclass(frozen=True, slots=True)
class InboundAnswered:
    """An inbound caller reached an agent after ``waited_s`` seconds."""

    now: float
    waited_s: float


@dataclass(frozen=True, slots=True)
class InboundAbandoned:
    """An inbound caller hung up (or left the queue unanswered) after ``waited_s`` seconds."""

    now: float
    waited_s: float


Event = DialOutcome | CallHandled | Abandoned | InboundArrived | InboundAnswered | InboundAbandoned


@dataclass(frozen=True, slots=True)
class Decision:
    """How many calls to originate now (``calls`` >= 0) and why, in one line a person can read."""

    calls: int
    why: str

    def __post_init__(self) -> None:
        if self.calls < 0:
            raise ValueError(f"calls must be >= 0, got {self.calls}")


class Pacer(Protocol):
    """A pacing policy: learns from ``observe`` and answers ``decide``; pure apart from its own memory."""

    name: str

    def observe(self, event: Event) -> None:
        """Learn from one outcome."""

    def decide(self, snap: Snapshot) -> Decision:
        """How many calls to place now."""


def cap_to_lines(calls: int, snap: Snapshot) -> int:
    """``calls`` limited to the free trunk channels and never negative."""
    calls = max(0, calls)
    if snap.lines_free is not None:
        calls = min(calls, snap.lines_free)
    return calls
