"""The holds of a call in PostgreSQL (``call_holds``): when its agent put the customer on hold, to talk to
whom, and how the hold ended. One row per hold; ``ended_at`` NULL while the customer is on hold.

``end_reason``: ``back`` (the agent took the customer back: consult cancelled), ``transferred`` (the customer
went to the receiving agent), ``three_way`` (all three together), ``hung_up`` (the customer hung up on hold),
``recovered`` (a restarted engine brought the customer back), ``dialplan`` (the dialplan's own time limit
sent the customer back to its agent's conference).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

END_REASONS = ("back", "transferred", "three_way", "hung_up", "recovered", "dialplan")


async def start(conn: asyncpg.Connection | asyncpg.Pool, *, call_id: int, agent_id: int | None,
                consult_agent_id: int | None, at: datetime) -> int:
    """Open the hold of ``call_id``; returns its id."""
    return int(await conn.fetchval(
        "INSERT INTO call_holds (call_id, agent_id, consult_agent_id, started_at) VALUES ($1,$2,$3,$4) RETURNING id",
        call_id, agent_id, consult_agent_id, at))


async def end(conn: asyncpg.Connection | asyncpg.Pool, *, call_id: int, at: datetime, reason: str) -> None:
    """Close every open hold of ``call_id`` (the customer is no longer on hold) with ``reason``."""
    assert reason in END_REASONS, reason
    await conn.execute("UPDATE call_holds SET ended_at=$2, end_reason=$3 WHERE call_id=$1 AND ended_at IS NULL",
                       call_id, at, reason)


async def open_holds(conn: asyncpg.Connection | asyncpg.Pool, *, call_ids: list[int]) -> dict[int, asyncpg.Record]:
    """The open hold of each of ``call_ids`` that has one, by call id."""
    rows = await conn.fetch("SELECT * FROM call_holds WHERE call_id = ANY($1::bigint[]) AND ended_at IS NULL"
                            " ORDER BY id", call_ids)
    return {int(r["call_id"]): r for r in rows}


async def timeline(conn: asyncpg.Connection | asyncpg.Pool, *, call_id: int) -> list[asyncpg.Record]:
    """Every hold of ``call_id``, oldest first."""
    return await conn.fetch("SELECT * FROM call_holds WHERE call_id = $1 ORDER BY started_at, id", call_id)
