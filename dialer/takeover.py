"""Engines watch each other, so work held by an engine that died for good is not stuck with it.

Each engine holds a PostgreSQL advisory lock named after its engine id for as long as it runs (on a
connection of its own: the lock goes when the process or its connection dies). An engine id that still
has claimed leads, attempts in flight or signed-in agents while nobody holds its lock belongs to a dead
engine; a live engine takes that lock and recovers the work exactly as a restart of the dead engine would
(``dialer.system.recover``), then lets the lock go. A second engine started with an id that is running
is refused, since two engines with one id would take each other's calls for orphans.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from dialer.errors import DialerError

LOCK_SPACE = 0x6469616C  # "dial": the advisory lock space of engine ids (campaign locks use another)


async def try_lock(conn: asyncpg.Connection, engine_id: str) -> bool:
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1::int4, hashtext($2))", LOCK_SPACE, engine_id))


async def unlock(conn: asyncpg.Connection, engine_id: str) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1::int4, hashtext($2))", LOCK_SPACE, engine_id)


@asynccontextmanager
async def holding_engine_lock(pool: asyncpg.Pool, engine_id: str) -> AsyncIterator[None]:
    """This engine's lock for the life of the block (it goes with the connection's reset on release)."""
    conn = await hold_engine_lock(pool, engine_id)
    try:
        yield
    finally:
        await pool.release(conn)


async def hold_engine_lock(pool: asyncpg.Pool, engine_id: str, *, wait_s: float = 15.0) -> asyncpg.Connection:
    """Take this engine's lock on a connection kept for the engine's life (release it to let go).

    Waits up to ``wait_s`` (an engine being recovered by another, or a backend that has not yet noticed
    its killed client, holds it for a moment), then refuses with a clear error."""
    conn = await pool.acquire()
    deadline = time.monotonic() + wait_s
    try:
        while not await try_lock(conn, engine_id):
            if time.monotonic() >= deadline:
                raise DialerError(f"an engine with id {engine_id!r} is already running on this database; "
                                  "give each engine its own DIALER_ENGINE_ID")
            await asyncio.sleep(0.2)
    except BaseException:       # refused, failed or cancelled while waiting: the connection goes back
        await pool.release(conn)
        raise
    return conn


async def engines_with_work(conn: asyncpg.Connection | asyncpg.Pool, *, besides: str) -> list[str]:
    """Engine ids other than ``besides`` that hold leads, attempts in flight or agent sessions."""
    rows = await conn.fetch(
        "SELECT claimed_by AS id FROM leads WHERE status = 'claimed' AND claimed_by IS NOT NULL"
        " UNION SELECT engine_id FROM call_records WHERE outcome IS NULL"
        " UNION SELECT engine_id FROM agent_sessions")
    return sorted({r["id"] for r in rows} - {besides})
