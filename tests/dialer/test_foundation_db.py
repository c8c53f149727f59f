"""Migrations and the embedded PostgreSQL."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from dialer import db
from dialer.aio import wait_within


async def test_every_migration_is_applied_once_and_recorded(db_pool: asyncpg.Pool) -> None:
    names = [r["name"] for r in await db_pool.fetch("SELECT name FROM schema_migrations ORDER BY name")]
    expected = sorted(m.name for m in db.discover_migrations())
    assert sorted(names) == expected
    async with db_pool.acquire() as conn:
        assert await db.migrate(conn) == []  # a second run applies nothing


async def test_migrations_are_ordered_by_number_across_packages() -> None:
    numbers = [m.number for m in db.discover_migrations()]
    assert numbers == sorted(numbers)
    assert numbers[0] == 1


async def test_users_table_rejects_an_unknown_role(db_pool: asyncpg.Pool) -> None:
    try:
        await db_pool.execute(
            "INSERT INTO users (username, role, password_hash) VALUES ('bob', 'superuser', 'x')"
        )
    except asyncpg.CheckViolationError:
        pass
    else:
        raise AssertionError("a role outside the four known ones was accepted")


async def test_a_pool_whose_connections_are_all_held_fails_the_next_wait_clearly_instead_of_hanging(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """asyncpg waits for a free connection forever: one leak too many froze the engine with no word. The
    project's pool gives every wait a deadline and says what happened."""
    monkeypatch.setattr(db, "ACQUIRE_TIMEOUT_S", 0.5)
    pool = await db.create_pool(database_url, min_size=1, max_size=2)
    held = [await pool.acquire(), await pool.acquire()]
    started = time.monotonic()
    with pytest.raises(db.PoolExhausted, match="all 2 of the pool are in use"):
        await wait_within(pool.fetchval("SELECT 1"), 10)
    assert time.monotonic() - started < 5
    with pytest.raises(OSError):        # what the engine's I/O handlers catch
        await pool.fetchval("SELECT 1")
    await pool.release(held.pop())
    assert await pool.fetchval("SELECT 1") == 1        # a connection given back serves the next wait
    async with pool.acquire(timeout=5) as conn:        # a caller's own deadline still applies
        assert await conn.fetchval("SELECT 2") == 2
    await pool.release(held.pop())
    await pool.close()


async def test_an_engine_lock_wait_that_is_cancelled_or_refused_gives_its_connection_back(database_url: str) -> None:
    """Waiting for another engine's lock holds a connection; a stop (cancellation) or a refusal during the
    wait must return it, or each such start leaks one connection of the pool for good."""
    from dialer import takeover

    pool = await db.create_pool(database_url, min_size=1, max_size=3)
    other = await takeover.hold_engine_lock(pool, "engine-a")      # engine-a runs
    waiting = asyncio.create_task(takeover.hold_engine_lock(pool, "engine-a", wait_s=30))
    await asyncio.sleep(0.5)
    assert pool.get_idle_size() + (pool.get_max_size() - pool.get_size()) == 1    # the waiter holds one
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    with pytest.raises(takeover.DialerError, match="already running"):
        await takeover.hold_engine_lock(pool, "engine-a", wait_s=0.3)
    assert pool.get_idle_size() + (pool.get_max_size() - pool.get_size()) == 2     # both came back
    await pool.release(other)
    await pool.close()
