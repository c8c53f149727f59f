"""Who was signed in, and when: the ``agent_history`` segments the staffing page reads (issue 15).

``agent_sessions`` says who is signed in now; this keeps the history. An agent's time is cut into segments
of one kind (``working``: signed in, in any state but paused, the phone still ringing included; ``paused``,
with its pause code), each with the campaign the agent worked and the inbound queues it served then:

- ``segment_of(agent, campaign_id)`` (pure) is the segment an agent's state belongs to (None: signed out);
- ``AgentHistory.changed(before, after)`` is told of every agent change by the engine; when the segment
  (kind, campaign, queues, pause code) differs from the one last written it closes the open row and opens
  the next (so queues a team lead gives a signed-in agent show from its next change on), in order, through one writer task (never two at once,
  so a pause then a resume a moment later are written in that order). The times are the engine's clock.
- A row left open by an engine that died (the agent was never signed out) is closed when the agent next signs
  in (or is adopted by a restarted engine), at its last call's end after the row began: the last moment the
  records show the agent at work, never later. Until then the reader counts it the same way, unless the agent
  still has a session with that engine (it is signed in now: counted to now).
- Each row also keeps the agent's ``activity`` (its ``AgentState`` there: connecting, ready, reserved, on_call,
  wrap_up, paused): a change of activity is a change of segment too, so every state change is one row closed by
  the next, and ``dialer.timesheets`` can say how the signed-in time was spent (the staffing reader ignores it).

``segments(pool, queue_id, since, until)`` reads the segments of the agents who served a queue, clipped to
[since, until); ``campaigns.staffing.agents_per_interval`` turns them into agents per 15-minute interval.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from dialer.agents import Agent, AgentState
from dialer.calls import PoolKind

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)
WORKING = "working"
PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Segment:
    state: str                     # WORKING or PAUSED
    campaign_id: int | None
    queue_ids: tuple[int, ...]     # sorted
    pause_reason: str | None = None


def segment_of(agent: Agent | None, campaign_id: int | None) -> Segment | None:
    """The segment ``agent``'s state belongs to; None when it is signed out."""
    if agent is None or agent.state is AgentState.LOGGED_OUT:
        return None
    queues = tuple(sorted(p.id for p in agent.pools if p.kind is PoolKind.QUEUE))
    if agent.state is AgentState.PAUSED:
        return Segment(PAUSED, campaign_id, queues, agent.pause_reason)
    return Segment(WORKING, campaign_id, queues)


def activity_of(agent: Agent | None) -> str | None:
    """The ``activity`` written with ``agent``'s segment: its state's name; None when it is signed out."""
    if agent is None or agent.state is AgentState.LOGGED_OUT:
        return None
    return agent.state.value


@dataclass(frozen=True, slots=True)
class _Change:
    user_id: int
    at: datetime
    segment: Segment | None
    signing_in: bool               # from signed out: any row still open is a dead engine's
    activity: str | None = None


# the end of a row left open by a dead engine: its agent's last call end after it began, never past ``$2``
_LAST_SEEN = ("GREATEST(h.started_at, LEAST($2, COALESCE((SELECT max(COALESCE(c.wrap_end_at, c.ended_at))"
              " FROM call_records c WHERE c.agent_id = h.user_id AND c.connected_at >= h.started_at),"
              " h.started_at)))")


class AgentHistory:
    """The engine's writer of ``agent_history`` (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pending: deque[_Change] = deque()
        self.writing = False
        self.current: dict[int, tuple[Segment | None, str | None]] = {}   # (segment, activity) last written

    def changed(self, before: Agent | None, after: Agent) -> None:
        """``after`` is the agent now. Compared with the segment last written for it (not only ``before``: the
        queues of a signed-in agent can change without an event, ``InboundDesk.load_rules``)."""
        engine = self.engine
        campaign_id = engine.agent_campaign.get(after.agent_id)
        new = (segment_of(after, campaign_id), activity_of(after))
        old = (self.current[after.agent_id] if after.agent_id in self.current
               else (segment_of(before, campaign_id), activity_of(before)))
        if old == new:
            return
        self.current[after.agent_id] = new
        self.pending.append(_Change(after.agent_id, engine.clock.now(), new[0], old[0] is None, new[1]))
        if not self.writing:
            self.writing = True
            engine.spawn(self._write_all(), name="effects")   # the engine's shutdown waits for it (drain)

    async def _write_all(self) -> None:
        try:
            while self.pending:
                change = self.pending.popleft()
                try:
                    await self._write(change)
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("agent history of agent %s at %s not written: %s", change.user_id, change.at, exc)
        finally:
            self.writing = False

    async def _write(self, change: _Change) -> None:
        engine = self.engine
        async with engine.pool.acquire() as conn, conn.transaction():
            if change.signing_in:
                await conn.execute(f"UPDATE agent_history h SET ended_at = {_LAST_SEEN}"
                                   " WHERE h.user_id = $1 AND h.ended_at IS NULL", change.user_id, change.at)
            else:
                await conn.execute("UPDATE agent_history SET ended_at = GREATEST(started_at, $2)"
                                   " WHERE user_id = $1 AND ended_at IS NULL", change.user_id, change.at)
            seg = change.segment
            if seg is not None:
                await conn.execute(
                    "INSERT INTO agent_history (user_id, engine_id, campaign_id, queue_ids, state, pause_reason,"
                    " started_at, activity) VALUES ($1, $2, $3, $4::bigint[], $5, $6, $7, $8)",
                    change.user_id, engine.engine_id, seg.campaign_id, list(seg.queue_ids), seg.state,
                    seg.pause_reason, change.at, change.activity)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    user_id: int
    state: str
    start: datetime
    end: datetime


async def segments(pool: Any, *, queue_id: int, since: datetime, until: datetime) -> list[HistoryRow]:
    """The segments of agents serving ``queue_id`` that overlap [since, until), clipped to it (see the module
    docstring for rows still open)."""
    rows = await pool.fetch(
        "SELECT h.user_id, h.state, GREATEST(h.started_at, $3) AS start_at,"
        f" LEAST($2, COALESCE(h.ended_at, CASE WHEN EXISTS (SELECT 1 FROM agent_sessions s WHERE s.user_id ="
        f" h.user_id AND s.engine_id = h.engine_id) THEN $2 ELSE {_LAST_SEEN} END)) AS end_at"
        " FROM agent_history h WHERE $1 = ANY(h.queue_ids) AND h.started_at < $2"
        " AND (h.ended_at IS NULL OR h.ended_at > $3) ORDER BY h.started_at",
        queue_id, until, since)
    return [HistoryRow(r["user_id"], r["state"], r["start_at"], r["end_at"]) for r in rows if r["end_at"] > r["start_at"]]
