"""Time sheets' SQL: the ``agent_history`` segments and the calls of a period, and team leads' corrections
(``timesheet_corrections``, only ever added to). The figures are ``dialer.timesheets``'s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dialer import timesheets
from dialer.agent_history import _LAST_SEEN
from dialer.timesheets import Correction, DaySheet, Span


def period_bounds(day_from: date, day_to: date, zone: str) -> tuple[datetime, datetime]:
    """[local midnight of ``day_from``, local midnight after ``day_to``) in UTC."""
    tz = ZoneInfo(zone)
    return (datetime.combine(day_from, time(), tz).astimezone(UTC),
            datetime.combine(day_to + timedelta(days=1), time(), tz).astimezone(UTC))


async def read_spans(pool: Any, *, since: datetime, until: datetime, now: datetime,
                     user_ids: Sequence[int] | None = None, campaign_id: int | None = None) -> list[Span]:
    """The segments overlapping [since, until), clipped to it and to ``now``. A row still open ends now while its
    agent is signed in with that engine, else where ``dialer.agent_history`` closes a dead engine's row."""
    until = min(until, now)
    rows = await pool.fetch(
        "SELECT h.user_id, h.activity, h.state, h.pause_reason, h.campaign_id, GREATEST(h.started_at, $3) AS start_at,"
        " LEAST($4, COALESCE(h.ended_at, CASE WHEN live.user_id IS NOT NULL THEN $2"
        f" ELSE {_LAST_SEEN} END)) AS end_at, (h.ended_at IS NULL AND live.user_id IS NOT NULL) AS still_open"
        " FROM agent_history h LEFT JOIN agent_sessions live ON live.user_id = h.user_id"
        " AND live.engine_id = h.engine_id AND h.ended_at IS NULL"
        " WHERE h.started_at < $4 AND (h.ended_at IS NULL OR h.ended_at > $3)"
        " AND ($1::bigint[] IS NULL OR h.user_id = ANY($1::bigint[])) AND ($5::bigint IS NULL OR h.campaign_id = $5)"
        " ORDER BY h.user_id, h.started_at, h.id",
        list(user_ids) if user_ids is not None else None, now, since, until, campaign_id)
    return [Span(r["user_id"], r["start_at"], r["end_at"],
                 r["activity"] if r["activity"] is not None or r["state"] != "paused" else "paused",
                 r["pause_reason"], r["campaign_id"], bool(r["still_open"] and r["end_at"] >= until))
            for r in rows if r["end_at"] > r["start_at"]]


async def read_calls(pool: Any, *, since: datetime, until: datetime, user_ids: Sequence[int] | None = None,
                     campaign_id: int | None = None) -> list[tuple[int, int | None, datetime]]:
    """(agent, campaign, connected at) of every call an agent talked on in [since, until)."""
    rows = await pool.fetch(
        "SELECT agent_id, campaign_id, connected_at FROM call_records WHERE agent_id IS NOT NULL"
        " AND connected_at >= $1 AND connected_at < $2 AND ($3::bigint[] IS NULL OR agent_id = ANY($3::bigint[]))"
        " AND ($4::bigint IS NULL OR campaign_id = $4) ORDER BY connected_at",
        since, until, list(user_ids) if user_ids is not None else None, campaign_id)
    return [(r["agent_id"], r["campaign_id"], r["connected_at"]) for r in rows]


@dataclass(frozen=True, slots=True)
class Sheet:
    """What the time sheet page shows for a period."""

    zone: str
    days: list[DaySheet]
    agents: list[timesheets.Totals]
    teams: list[timesheets.Totals]
    corrections: list[Correction]                       # every one, newest first (the trail)
    latest: dict[tuple[int, date, str], Correction]     # the one that counts per agent, day and figure


async def read_sheet(pool: Any, *, zone: str, day_from: date, day_to: date, now: datetime,
                     user_ids: Sequence[int] | None = None, campaign_id: int | None = None) -> Sheet:
    since, until = period_bounds(day_from, day_to, zone)
    spans = await read_spans(pool, since=since, until=until, now=now, user_ids=user_ids, campaign_id=campaign_id)
    calls = await read_calls(pool, since=since, until=until, user_ids=user_ids, campaign_id=campaign_id)
    days = timesheets.day_sheets(spans, [(u, at) for u, _, at in calls], zone)
    corrections = await list_corrections(pool, day_from=day_from, day_to=day_to, user_ids=user_ids)
    return Sheet(zone, days, timesheets.agent_totals(days), timesheets.team_totals(spans, calls, zone),
                 corrections, dict(timesheets.latest_corrections(corrections)))


async def list_corrections(pool: Any, *, day_from: date, day_to: date,
                           user_ids: Sequence[int] | None = None) -> list[Correction]:
    rows = await pool.fetch(
        "SELECT c.user_id, c.day, c.figure, c.original, c.corrected, c.note, c.corrected_at,"
        " COALESCE(NULLIF(u.display_name, ''), u.username) AS by_name FROM timesheet_corrections c"
        " JOIN users u ON u.id = c.corrected_by WHERE c.day BETWEEN $1 AND $2"
        " AND ($3::bigint[] IS NULL OR c.user_id = ANY($3::bigint[])) ORDER BY c.corrected_at DESC, c.id DESC",
        day_from, day_to, list(user_ids) if user_ids is not None else None)
    return [Correction(r["user_id"], r["day"], r["figure"], r["original"], r["corrected"], r["note"], r["by_name"],
                       r["corrected_at"]) for r in rows]


async def add_correction(pool: Any, *, user_id: int, day: date, zone: str, figure: str, corrected: int, note: str,
                         by: int, at: datetime) -> int | None:
    """Keep a team lead's correction beside the original (the figure as the history gives it now, stored with
    it); returns the original. Raises ValueError for an unknown figure or an empty note."""
    if figure not in timesheets.FIGURES:
        raise ValueError(f"no figure {figure!r}")
    if not note.strip():
        raise ValueError("a correction needs a note saying why")
    sheet = await read_sheet(pool, zone=zone, day_from=day, day_to=day, now=at, user_ids=[user_id])
    original = next((s.figure(figure) for s in sheet.days if s.day == day), None)
    await pool.execute(
        "INSERT INTO timesheet_corrections (user_id, day, zone, figure, original, corrected, note, corrected_by,"
        " corrected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        user_id, day, zone, figure, original, corrected, note.strip(), by, at)
    return original
