"""Call records in PostgreSQL: one row per attempt, opened before the originate and closed at its outcome.

Times in the engine are monotonic seconds; ``WallTime`` turns them into timestamps with the engine's
one clock. Abandonment over 24 hours and 30 days per campaign is counted from these rows, so it
survives restarts and feeds the pacer's budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from dialer.calls import Call, CallOutcome, CallState
from dialer.clock import Clock

LIVE_ANSWER_OUTCOMES = (CallOutcome.HANDLED.value, CallOutcome.ABANDONED.value)


@dataclass(frozen=True, slots=True)
class WallTime:
    """Converts the engine's monotonic seconds to aware datetimes, and back."""

    clock: Clock

    def at(self, mono: float | None) -> datetime | None:
        if mono is None:
            return None
        return self.clock.now() - timedelta(seconds=self.clock.monotonic() - mono)

    def mono(self, when: datetime) -> float:
        return self.clock.monotonic() - (self.clock.now() - when).total_seconds()


async def open_record(conn: asyncpg.Connection | asyncpg.Pool, *, campaign_id: int | None, lead_id: int | None,
                      agent_id: int | None, engine_id: str, leg_id: str, direction: str, phone_e164: str,
                      dial_string: str, caller_id: str, originated_at: datetime) -> int:
    """Insert the in-flight row of an attempt about to be originated; returns its id (the call id)."""
    return int(await conn.fetchval(
        "INSERT INTO call_records (campaign_id, lead_id, agent_id, engine_id, leg_id, direction, phone_e164,"
        " dial_string, caller_id, originated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
        campaign_id, lead_id, agent_id, engine_id, leg_id, direction, phone_e164, dial_string, caller_id,
        originated_at,
    ))


async def close_record(conn: asyncpg.Connection | asyncpg.Pool, call: Call, wall: WallTime, *,
                       pbx_server: str = "", notes: str | None = None) -> None:
    """Write the final outcome and every time of ``call`` (a terminal ``dialer.calls.Call``)."""
    assert call.outcome is not None, "only a finished call has a record to close"
    await conn.execute(
        "UPDATE call_records SET outcome=$2, fail_reason=$3, hangup_cause=$4, amd_status=$5, amd_cause=$6,"
        " disposition=$7, detail=$8, agent_id=COALESCE($9, agent_id), answered_at=$10, ready_at=$11,"
        " connected_at=$12, ended_at=$13, wrap_end_at=$14, pbx_server=COALESCE(NULLIF($15, ''), pbx_server),"
        " notes=COALESCE($16, notes)"
        " WHERE id=$1",
        call.call_id, call.outcome.value, call.fail_reason.value if call.fail_reason else None, call.hangup_cause,
        call.amd_status, call.amd_cause, call.disposition, call.detail, call.agent_id, wall.at(call.answered_at),
        wall.at(call.ready_at), wall.at(call.connected_at), wall.at(call.ended_at), wall.at(call.wrap_end_at),
        pbx_server, notes,
    )


async def record_milestone(conn: asyncpg.Connection | asyncpg.Pool, call: Call, wall: WallTime) -> None:
    """Write what ``call`` has reached so far (answered, known to be a person, put through to an agent,
    connected with it) to its in-flight record, so a restarted engine can tell a served call from a failed one.
    The agent is written once the customer is put through (CONNECTING) or connected; ``connected_at`` says which.

    One UPDATE; times already written are kept, and a closed record is never touched.
    """
    with_agent = call.connected_at is not None or call.state is CallState.CONNECTING
    back_to_waiting = call.state is CallState.WAITING      # its agent was lost before the join: none now
    await conn.execute(
        "UPDATE call_records SET answered_at=COALESCE(answered_at, $2), ready_at=COALESCE(ready_at, $3),"
        " connected_at=COALESCE(connected_at, $4),"
        " agent_id=CASE WHEN $8 AND connected_at IS NULL THEN NULL WHEN $5::bigint IS NULL THEN agent_id ELSE $5 END,"
        " amd_status=CASE WHEN $6 = '' THEN amd_status ELSE $6 END,"
        " amd_cause=CASE WHEN $7 = '' THEN amd_cause ELSE $7 END"
        " WHERE id=$1 AND outcome IS NULL",
        call.call_id, wall.at(call.answered_at), wall.at(call.ready_at), wall.at(call.connected_at),
        call.agent_id if with_agent else None, call.amd_status, call.amd_cause, back_to_waiting,
    )


async def set_recording(conn: asyncpg.Connection | asyncpg.Pool, *, call_id: int, filename: str) -> None:
    await conn.execute("UPDATE call_records SET recording_file=$2 WHERE id=$1", call_id, filename)


async def set_safe_harbor_playback(conn: asyncpg.Connection | asyncpg.Pool, *, call_id: int, status: str) -> None:
    """Keep how the safe-harbor message played (Asterisk's PLAYBACKSTATUS: SUCCESS or FAILED)."""
    await conn.execute("UPDATE call_records SET safe_harbor_playback=$2 WHERE id=$1", call_id,
                       status if status in ("SUCCESS", "FAILED") else "FAILED")


async def set_notes(conn: asyncpg.Connection | asyncpg.Pool, *, call_id: int, notes: str) -> None:
    await conn.execute("UPDATE call_records SET notes=$2 WHERE id=$1", call_id, notes)


async def in_flight(conn: asyncpg.Connection | asyncpg.Pool, *, engine_id: str | None = None) -> list[asyncpg.Record]:
    """Attempts with no outcome yet (of one engine, or all)."""
    return await conn.fetch(
        "SELECT * FROM call_records WHERE outcome IS NULL AND ($1::text IS NULL OR engine_id = $1) ORDER BY id",
        engine_id,
    )


async def unsettled(conn: asyncpg.Connection | asyncpg.Pool, *, engine_id: str) -> list[asyncpg.Record]:
    """Closed attempts of ``engine_id`` whose lead is still claimed by it and was never given its next step."""
    return await conn.fetch(
        "SELECT r.* FROM call_records r JOIN leads l ON l.id = r.lead_id"
        " WHERE r.engine_id = $1 AND r.outcome IS NOT NULL AND NOT r.lead_settled"
        " AND l.status = 'claimed' AND l.claimed_by = $1 ORDER BY r.id", engine_id)


async def close_orphan(conn: asyncpg.Connection | asyncpg.Pool, *, call_id: int, outcome: CallOutcome, detail: str,
                       ended_at: datetime, agent_id: int | None = None) -> None:
    """Close an in-flight row the engine lost track of (crash), with the outcome reconciliation decided.

    A live answer (handled or abandoned) is a call known to be a person: if the record never got its
    ``ready_at`` (the engine died before writing it), the best time known stands in for it, so the
    abandonment figures count the call.
    """
    await conn.execute(
        "UPDATE call_records SET outcome=$2, detail=$3, ended_at=COALESCE(ended_at, $4),"
        " agent_id=COALESCE(agent_id, $5),"
        " ready_at=CASE WHEN $2 = ANY($6::text[]) THEN COALESCE(ready_at, connected_at, answered_at, $4)"
        " ELSE ready_at END,"
        " fail_reason=CASE WHEN $2 = 'failed' THEN 'other' ELSE fail_reason END WHERE id=$1 AND outcome IS NULL",
        call_id, outcome.value, detail, ended_at, agent_id, list(LIVE_ANSWER_OUTCOMES),
    )


async def adopt(conn: asyncpg.Connection | asyncpg.Pool, *, call_id: int, engine_id: str) -> None:
    """The in-flight record of a call still live on the PBX now belongs to ``engine_id`` (which adopted it)."""
    await conn.execute("UPDATE call_records SET engine_id=$2 WHERE id=$1 AND outcome IS NULL", call_id, engine_id)


@dataclass(frozen=True, slots=True)
class AbandonmentFigures:
    """Live answers and abandons of one campaign over a window; ``rate`` is abandons / live answers."""

    answers: int
    abandons: int

    @property
    def rate(self) -> float:
        return self.abandons / self.answers if self.answers else 0.0


async def abandonment(conn: asyncpg.Connection | asyncpg.Pool, *, campaign_id: int, now: datetime,
                      window: timedelta) -> AbandonmentFigures:
    """Abandonment of ``campaign_id`` over ``window`` before ``now`` (live answers = handled + abandoned).

    Every call known to be a person has ``ready_at`` (written when it happens, or by crash recovery when
    it settles the call), so records closed by a restart are counted like the others."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE outcome = ANY($4::text[])) AS answers,"
        " count(*) FILTER (WHERE outcome = 'abandoned') AS abandons"
        " FROM call_records WHERE campaign_id = $1 AND ready_at > $2 AND ready_at <= $3",
        campaign_id, now - window, now, list(LIVE_ANSWER_OUTCOMES),
    )
    assert row is not None
    return AbandonmentFigures(answers=int(row["answers"]), abandons=int(row["abandons"]))


async def answer_history(conn: asyncpg.Connection | asyncpg.Pool, *, campaign_id: int, now: datetime,
                         days: int = 30) -> tuple[list[datetime], list[datetime]]:
    """Times of live answers and of abandons over the last ``days`` (to seed the pacer's windows)."""
    rows = await conn.fetch(
        "SELECT ready_at, outcome FROM call_records WHERE campaign_id=$1 AND ready_at > $2"
        " AND outcome = ANY($3::text[]) ORDER BY ready_at",
        campaign_id, now - timedelta(days=days), list(LIVE_ANSWER_OUTCOMES),
    )
    answers = [r["ready_at"] for r in rows]
    abandons = [r["ready_at"] for r in rows if r["outcome"] == CallOutcome.ABANDONED.value]
    return answers, abandons


async def lead_history(conn: asyncpg.Connection | asyncpg.Pool, *, lead_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The lead's previous attempts, newest first, for the CRM pop."""
    rows = await conn.fetch(
        "SELECT r.id, r.originated_at, r.outcome, r.disposition, r.notes, u.display_name AS agent"
        " FROM call_records r LEFT JOIN users u ON u.id = r.agent_id"
        " WHERE r.lead_id = $1 AND r.outcome IS NOT NULL ORDER BY r.originated_at DESC LIMIT $2",
        lead_id, limit,
    )
    return [dict(r) for r in rows]


async def agent_day_totals(conn: asyncpg.Connection | asyncpg.Pool, *, agent_id: int,
                           since: datetime) -> tuple[int, float]:
    """The calls an agent finished since ``since`` (its local midnight) and their talk seconds, from the records:
    what an agent signing in to an engine that does not know it yet (a restart, another site's engine) has
    done today, so "fewest calls today" and the panel's counters go on from there, not from 0."""
    row = await conn.fetchrow(
        "SELECT count(*) AS calls, COALESCE(sum(EXTRACT(EPOCH FROM ended_at - connected_at)), 0) AS talk"
        " FROM call_records WHERE agent_id = $1 AND connected_at >= $2 AND ended_at IS NOT NULL", agent_id, since)
    return int(row["calls"]), float(row["talk"])


async def count_dnc_refusal(conn: asyncpg.Connection | asyncpg.Pool, *, campaign_id: int, at: datetime) -> None:
    """One more number of ``campaign_id`` refused at dial time for being on a DNC list, on ``at``'s UTC day
    (``dnc_refusals``, migration 0380): the compliance page's DNC hits. The hopper and press-1 callbacks count here."""
    await conn.execute(
        "INSERT INTO dnc_refusals (campaign_id, day, hits) VALUES ($1, ($2::timestamptz AT TIME ZONE 'UTC')::date, 1)"
        " ON CONFLICT (campaign_id, day) DO UPDATE SET hits = dnc_refusals.hits + 1", campaign_id, at)
