"""The audit trail of what team leads do to agents from the wallboard: pause, sign out, and live supervision
(``dialer.live_supervision``: listen, whisper, barge on the agent's call; a message to its panel).

One row per request, written whether the engine accepted it or not (``result`` holds its refusal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

ACTIONS = ("pause", "sign_out", "listen", "whisper", "barge", "message")


@dataclass(frozen=True, slots=True)
class SupervisorAction:
    id: int
    at: datetime
    actor_id: int
    actor: str
    agent_id: int
    agent: str
    action: str
    reason: str
    result: str
    call_id: int | None = None      # the call listened to, whispered or barged into
    detail: str = ""                # a message's text


async def record_action(conn: asyncpg.Connection | asyncpg.Pool, *, at: datetime, actor_id: int, agent_id: int,
                        action: str, reason: str = "", result: str = "", call_id: int | None = None,
                        detail: str = "") -> int:
    """Keep one supervisor action; ``result`` is "" when it was done, else why the engine refused it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown supervisor action {action!r}")
    return int(await conn.fetchval(
        "INSERT INTO supervisor_actions (at, actor_id, agent_id, action, reason, result, call_id, detail)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id", at, actor_id, agent_id, action, reason, result,
        call_id, detail))


async def recent_actions(conn: asyncpg.Connection | asyncpg.Pool, *, limit: int = 20) -> list[SupervisorAction]:
    """The newest supervisor actions first, with the names of who did it and to whom."""
    rows = await conn.fetch(
        "SELECT s.id, s.at, s.actor_id, a.display_name AS actor, s.agent_id, g.display_name AS agent,"
        " s.action, s.reason, s.result, s.call_id, s.detail FROM supervisor_actions s"
        " JOIN users a ON a.id = s.actor_id JOIN users g ON g.id = s.agent_id"
        " ORDER BY s.at DESC, s.id DESC LIMIT $1", limit)
    return [SupervisorAction(**dict(r)) for r in rows]


async def display_names(conn: asyncpg.Connection | asyncpg.Pool, user_ids: list[int]) -> dict[int, str]:
    """The display names of these users (for the wallboard's rows)."""
    rows = await conn.fetch("SELECT id, display_name FROM users WHERE id = ANY($1::int[])", user_ids)
    return {r["id"]: r["display_name"] for r in rows}
