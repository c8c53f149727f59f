"""Immutable records the campaign simulator writes: one per call, one per agent shift, and the run.

Every metric and plot is computed from these records (as Ciw does with its ``DataRecord``), so a
report can always be traced back to the calls behind it. Times are seconds from the start of the run.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call, outbound attempt or inbound arrival, from placement to the end of its wrap-up.

    ``outcome`` is the far end's true behaviour (``human``, ``machine``, ``busy``, ``no_answer``,
    ``congestion``, ``invalid``, ``inbound``); ``presented_s`` is when the call was offered to agents
    (after AMD), None if never; ``abandoned`` marks a presented call that found no agent within the
    grace time or hung up first; ``amd_hangup`` a call AMD judged a machine and dropped.
    """

    call_id: int
    direction: str
    placed_s: float
    outcome: str
    ring_s: float
    amd_result: str
    presented_s: float | None
    connected_s: float | None
    agent_id: int | None
    abandoned: bool
    amd_hangup: bool
    waited_s: float
    talk_s: float
    wrap_s: float
    ended_s: float

    @property
    def human(self) -> bool:
        return self.outcome in ("human", "inbound")

    @property
    def live_answer(self) -> bool:
        """A person answered and the call was offered to agents (the abandonment denominator)."""
        return self.human and self.presented_s is not None


CALL_COLUMNS = tuple(f.name for f in fields(CallRecord))


def call_row(record: CallRecord) -> tuple[object, ...]:
    """The record as a CSV row in ``CALL_COLUMNS`` order."""
    return astuple(record)


@dataclass(frozen=True, slots=True)
class AgentShift:
    """One agent logged in from ``login_s`` to ``logout_s``."""

    agent_id: int
    login_s: float
    logout_s: float


@dataclass(frozen=True, slots=True)
class SimResult:
    """Everything one simulated run produced."""

    scenario: str
    pacer: str
    seed: int
    duration_s: float
    calls: tuple[CallRecord, ...]
    shifts: tuple[AgentShift, ...]
    decisions: int
    wall_s: float
