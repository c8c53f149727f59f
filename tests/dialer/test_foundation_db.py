"""Migrations and the embedded PostgreSQL."""

from __future__ import annotations

import asyncpg

from dialer import db


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
