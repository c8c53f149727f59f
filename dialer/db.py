"""PostgreSQL access: the asyncpg pool and ordered SQL migrations.

Migrations are plain SQL files named ``NNNN_description.sql`` in the ``migrations/`` folder of each
package that owns tables (``dialer``, ``campaigns``, ``dnc``, ``sms``, ``surveys``). They run in the order of their
number across packages, each in its own transaction, and each once: applied names are kept in
``schema_migrations``. Number ranges: 0001-0099 dialer core (users), 0100-0199 campaigns,
0200-0299 dnc, 0300-0399 dialer engine (call records), 0400-0499 sms, 0500-0599 surveys.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from dialer.errors import ServiceUnavailable

log = logging.getLogger(__name__)

MIGRATION_PACKAGES = ("dialer", "campaigns", "dnc", "sms", "surveys")
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str        # e.g. "campaigns/0100_campaigns.sql"
    sql: str


def discover_migrations(packages: tuple[str, ...] = MIGRATION_PACKAGES) -> list[Migration]:
    """Every migration file of ``packages``, sorted by number; duplicate numbers are an error."""
    found: list[Migration] = []
    for package in packages:
        folder = importlib.resources.files(package) / "migrations"
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            match = _NAME.match(entry.name)
            if match:
                found.append(Migration(int(match.group(1)), f"{package}/{entry.name}", entry.read_text()))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    dupes = {n for n in numbers if numbers.count(n) > 1}
    if dupes:
        raise RuntimeError(f"two migrations share the number(s) {sorted(dupes)}")
    return found


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply the migrations not yet applied; returns their names. Serialised by an advisory lock."""
    await conn.execute("SELECT pg_advisory_lock(7201001)")
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        done: list[str] = []
        for migration in discover_migrations():
            if migration.name in applied:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", migration.name)
            log.info("applied migration %s", migration.name)
            done.append(migration.name)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock(7201001)")


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(typename, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


@asynccontextmanager
async def transaction(conn: asyncpg.Connection | asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on ``conn``, or on a connection taken from it when it is a pool."""
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as c, c.transaction():
            yield c
    else:
        async with conn.transaction():
            yield conn


ACQUIRE_TIMEOUT_S = 30.0


class PoolExhausted(TimeoutError):
    """No connection came free in time: every one is held (a leak, or far more work than the pool)."""


class BoundedPool(asyncpg.Pool):
    """asyncpg's pool, except that waiting for a connection has a deadline (``ACQUIRE_TIMEOUT_S`` unless the
    caller gives one). asyncpg waits forever by default: a pool whose connections are all held froze the
    engine silently; now the waiting task fails with ``PoolExhausted``, a ``TimeoutError`` (and so an
    ``OSError``, which the engine's I/O handlers already expect), saying so."""

    async def _acquire(self, timeout: float | None) -> asyncpg.pool.PoolConnectionProxy:
        limit = ACQUIRE_TIMEOUT_S if timeout is None else timeout
        try:
            return await super()._acquire(limit)
        except TimeoutError:
            raise PoolExhausted(f"no PostgreSQL connection came free in {limit:g} s: all {self.get_max_size()}"
                                " of the pool are in use") from None


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool with JSON codecs and a deadline on every connection wait; an unreachable server raises
    ``ServiceUnavailable`` naming the URL."""
    try:
        pool = await BoundedPool(
            url, min_size=min_size, max_size=max_size, max_queries=50000, max_inactive_connection_lifetime=300.0,
            init=_init_connection, loop=None, connection_class=asyncpg.Connection, record_class=asyncpg.Record,
            timeout=10, command_timeout=60,
        )
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ServiceUnavailable(f"cannot reach PostgreSQL at {_redact(url)}: {exc}") from None
    assert pool is not None
    return pool


async def connect(url: str) -> asyncpg.Connection:
    """A single connection with the same codecs as the pool."""
    try:
        conn = await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ServiceUnavailable(f"cannot reach PostgreSQL at {_redact(url)}: {exc}") from None
    await _init_connection(conn)
    return conn


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))
