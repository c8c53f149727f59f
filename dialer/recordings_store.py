"""Call recordings in PostgreSQL (migration ``dialer/0370``): policies, recording rows, the audit of plays and
downloads, the search behind ``/recordings``, and the retention job's deletions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from dialer.recordings import RecordingPolicy

Db = asyncpg.Connection | asyncpg.Pool


async def policy_of(db: Db, target: str, target_id: int) -> RecordingPolicy | None:
    row = await db.fetchrow("SELECT mode, share_percent, retention_days FROM recording_policies"
                            " WHERE target=$1 AND target_id=$2", target, target_id)
    if row is None:
        return None
    return RecordingPolicy(row["mode"], row["share_percent"], row["retention_days"])


async def save_policy(db: Db, target: str, target_id: int, policy: RecordingPolicy) -> None:
    """Saving replaces the target's setting."""
    await db.execute(
        "INSERT INTO recording_policies (target, target_id, mode, share_percent, retention_days, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (target, target_id) DO UPDATE SET mode=EXCLUDED.mode,"
        " share_percent=EXCLUDED.share_percent, retention_days=EXCLUDED.retention_days, updated_at=now()",
        target, target_id, policy.mode, policy.share_percent, policy.retention_days)


async def start(db: Db, *, call_record_id: int, file_path: str, started_at: datetime) -> int:
    """The recording's row, when MixMonitor has started (one per call record)."""
    value = await db.fetchval(
        "INSERT INTO recordings (call_record_id, file_path, started_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (call_record_id) DO UPDATE SET file_path=EXCLUDED.file_path RETURNING id",
        call_record_id, file_path, started_at)
    await db.execute("UPDATE call_records SET recording_file=$2 WHERE id=$1", call_record_id, file_path)
    return int(value)


async def add_pause_event(db: Db, recording_id: int, event: dict[str, Any]) -> None:
    await db.execute("UPDATE recordings SET pauses = pauses || $2::jsonb WHERE id=$1", recording_id, [event])


async def finish(db: Db, recording_id: int, *, ended_at: datetime, size_bytes: int | None) -> None:
    await db.execute("UPDATE recordings SET ended_at=$2, duration_s=EXTRACT(EPOCH FROM ($2 - started_at)),"
                     " size_bytes=COALESCE($3, size_bytes) WHERE id=$1", recording_id, ended_at, size_bytes)


async def set_size(db: Db, recording_id: int, size_bytes: int, duration_s: float | None) -> None:
    await db.execute("UPDATE recordings SET size_bytes=$2, duration_s=COALESCE($3, duration_s) WHERE id=$1",
                     recording_id, size_bytes, duration_s)


_SELECT = (
    "SELECT r.id, r.call_record_id, r.file_path, r.started_at, r.ended_at, r.duration_s, r.size_bytes, r.pauses,"
    " r.created_at, c.phone_e164, c.agent_id, u.username AS agent, COALESCE(u.display_name, '') AS agent_name,"
    " c.campaign_id, cp.name AS campaign, c.queue_id, q.name AS queue, c.disposition, c.direction,"
    " COALESCE(cp.site_id, q.site_id) AS site_id"
    " FROM recordings r JOIN call_records c ON c.id = r.call_record_id"
    " LEFT JOIN users u ON u.id = c.agent_id LEFT JOIN campaigns cp ON cp.id = c.campaign_id"
    " LEFT JOIN inbound_queues q ON q.id = c.queue_id")


@dataclass(frozen=True, slots=True)
class Search:
    number: str = ""
    agent_id: int | None = None
    campaign_id: int | None = None
    queue_id: int | None = None
    disposition: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None        # exclusive
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    only_agent_id: int | None = None       # an agent sees only their own calls
    site_id: int | None = None             # a team lead's site (dialer.sites): its campaigns' and queues' calls
    limit: int = 200


async def search(db: Db, s: Search) -> list[dict[str, Any]]:
    where: list[str] = []
    args: list[Any] = []

    def add(sql: str, value: Any) -> None:
        args.append(value)
        where.append(sql.replace("?", f"${len(args)}"))

    if s.number.strip():
        digits = "".join(ch for ch in s.number if ch.isdigit())
        add("regexp_replace(c.phone_e164, '[^0-9]', '', 'g') LIKE '%' || ? || '%'", digits or s.number.strip())
    if s.agent_id is not None:
        add("c.agent_id = ?", s.agent_id)
    if s.only_agent_id is not None:
        add("c.agent_id = ?", s.only_agent_id)
    if s.campaign_id is not None:
        add("c.campaign_id = ?", s.campaign_id)
    if s.queue_id is not None:
        add("c.queue_id = ?", s.queue_id)
    if s.disposition.strip():
        add("c.disposition = ?", s.disposition.strip())
    if s.date_from is not None:
        add("r.started_at >= ?", s.date_from)
    if s.date_to is not None:
        add("r.started_at < ?", s.date_to)
    if s.site_id is not None:
        add("COALESCE(cp.site_id, q.site_id, ?) = ?", s.site_id)   # no campaign nor queue: every site's
    if s.min_duration_s is not None:
        add("r.duration_s >= ?", s.min_duration_s)
    if s.max_duration_s is not None:
        add("r.duration_s <= ?", s.max_duration_s)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY r.started_at DESC LIMIT {int(s.limit)}"
    return [_row(r) for r in await db.fetch(sql, *args)]


async def get(db: Db, recording_id: int) -> dict[str, Any] | None:
    row = await db.fetchrow(_SELECT + " WHERE r.id=$1", recording_id)
    return _row(row) if row is not None else None


def _row(row: asyncpg.Record) -> dict[str, Any]:
    data = dict(row)
    pauses = data.get("pauses")
    data["pauses"] = json.loads(pauses) if isinstance(pauses, str) else (pauses or [])
    return data


async def audit(db: Db, *, recording: dict[str, Any], user_id: int, username: str, action: str) -> None:
    await db.execute("INSERT INTO recording_access (recording_id, call_record_id, user_id, username, action)"
                     " VALUES ($1, $2, $3, $4, $5)", recording["id"], recording["call_record_id"], user_id,
                     username, action)


async def access_log(db: Db, recording_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch("SELECT username, action, at FROM recording_access WHERE recording_id=$1 ORDER BY at, id",
                          recording_id)
    return [dict(r) for r in rows]


async def expired(db: Db, *, now: datetime, global_days: int | None) -> list[dict[str, Any]]:
    """Recordings older than their retention: the campaign's or queue's days, else the global row's, else
    ``global_days`` (the setting); with ``retention_days`` to say which applied."""
    rows = await db.fetch(
        "SELECT r.id, r.call_record_id, r.file_path, r.size_bytes, r.created_at, r.started_at,"
        " COALESCE(pc.retention_days, pq.retention_days, pg.retention_days, $2::int) AS retention_days"
        " FROM recordings r JOIN call_records c ON c.id = r.call_record_id"
        " LEFT JOIN recording_policies pc ON pc.target='campaign' AND pc.target_id = c.campaign_id"
        " LEFT JOIN recording_policies pq ON pq.target='queue' AND pq.target_id = c.queue_id"
        " LEFT JOIN recording_policies pg ON pg.target='global' AND pg.target_id = 0"
        " WHERE r.created_at < $1::timestamptz - make_interval(days =>"
        "   COALESCE(pc.retention_days, pq.retention_days, pg.retention_days, $2::int))"
        " ORDER BY r.id", now, global_days)
    return [dict(r) for r in rows]


async def delete_expired(pool: asyncpg.Pool, item: dict[str, Any], *, run_at: datetime, file_deleted: bool) -> None:
    """The row goes, the call record forgets its file, and the deletion is reported (one transaction)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO recording_deletions (run_at, recording_id, call_record_id, file_path, file_deleted,"
            " size_bytes, recorded_at, retention_days) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            run_at, item["id"], item["call_record_id"], item["file_path"], file_deleted, item["size_bytes"],
            item["started_at"], item["retention_days"])
        await conn.execute("DELETE FROM recordings WHERE id=$1", item["id"])
        await conn.execute("UPDATE call_records SET recording_file=NULL WHERE id=$1 AND recording_file=$2",
                           item["call_record_id"], item["file_path"])


async def deletions(db: Db, *, limit: int = 500) -> list[dict[str, Any]]:
    rows = await db.fetch("SELECT * FROM recording_deletions ORDER BY run_at DESC, id DESC LIMIT $1", limit)
    return [dict(r) for r in rows]
