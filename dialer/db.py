"""PostgreSQL access: the asyncpg pool and ordered SQL migrations.

Migrations are plain SQL files named ``NNNN_description.sql`` in the ``migrations/`` folder of each
package that owns tables (``dialer``, ``campaigns``, ``dnc``, ``sms``). They run in the order of their
number across packages, each in its own transaction, and each once: applied names are kept in
``schema_migrations``. Number ranges: 0001-0099 dialer core (users), 0100-0199 campaigns,
0200-0299 dnc, 0300-0399 dialer engine (call records), 0400-0499 sms.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import re
from dataclasses import dataclass

import asyncpg

from dialer.errors import ServiceUnavailable

log = logging.getLogger(__name__)

MIGRATION_PACKAGES = ("dialer", "campaigns", "dnc", "sms")
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


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """An asyncpg pool with JSON codecs; an unreachable server raises ``ServiceUnavailable`` naming the URL."""
    try:
        pool = await asyncpg.create_pool(
            url, min_size=min_size, max_size=max_size, init=_init_connection, timeout=10, command_timeout=60
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
