"""Bring the backing services up for a command: PostgreSQL (or the embedded one), Redis (or embedded Valkey).

``open_services(settings)`` is the one place that decides between configured URLs and embedded servers,
applies migrations, creates the first admin if there is none, and yields ``Services``. An unreachable
configured URL raises ``SettingsError`` naming the setting (the CLI prints it and exits 2).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import redis

from dialer import db, users
from dialer.clock import Clock, RealClock
from dialer.embedded import EmbeddedPostgres, EmbeddedRedis
from dialer.errors import ServiceUnavailable, SettingsError
from dialer.services import Services
from dialer.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Backends:
    """URLs in use and the embedded servers this process started (to stop at exit)."""

    database_url: str
    redis_url: str
    embedded: list[EmbeddedPostgres | EmbeddedRedis] = field(default_factory=list)

    def stop(self) -> None:
        for server in reversed(self.embedded):
            server.stop()


def start_backends(settings: Settings) -> Backends:
    """Configured URLs as they are; embedded servers under ``settings.data_dir`` for the missing ones."""
    embedded: list[EmbeddedPostgres | EmbeddedRedis] = []
    database_url = settings.database_url
    if database_url is None:
        pg = EmbeddedPostgres(settings.data_dir / "postgres")
        database_url = pg.start()
        embedded.append(pg)
    redis_url = settings.redis_url
    if redis_url is None:
        rd = EmbeddedRedis(settings.data_dir / "valkey")
        redis_url = rd.start()
        embedded.append(rd)
    return Backends(database_url, redis_url, embedded)


def connect_redis(url: str, *, configured: bool) -> redis.Redis:
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as exc:
        where = "DIALER_REDIS_URL" if configured else "embedded Valkey"
        raise SettingsError(f"{where}: cannot reach Redis at {url}: {exc}") from None
    return client


@asynccontextmanager
async def open_services(settings: Settings, *, clock: Clock | None = None, migrate: bool = True,
                        bootstrap_admin: bool = True, pool_size: int = 10) -> AsyncIterator[Services]:
    """Start or reach PostgreSQL and Redis, migrate, and yield ``Services``; stops what it started."""
    backends = start_backends(settings)
    try:
        try:
            pool = await db.create_pool(backends.database_url, max_size=pool_size)
        except ServiceUnavailable as exc:
            where = "DIALER_DATABASE_URL" if settings.database_url else "embedded PostgreSQL"
            raise SettingsError(f"{where}: {exc}") from None
        try:
            rds = connect_redis(backends.redis_url, configured=settings.redis_url is not None)
            if migrate:
                async with pool.acquire() as conn:
                    await db.migrate(conn)
            services = Services(settings=settings, pool=pool, redis=rds, clock=clock or RealClock(speed=settings.speed))
            services.extras["database_url"] = backends.database_url
            services.extras["redis_url"] = backends.redis_url
            if bootstrap_admin:
                password = await users.ensure_admin(pool, password=settings.admin_password)
                if password is not None:
                    shown = "(from DIALER_ADMIN_PASSWORD)" if settings.admin_password else password
                    print(f"Created the first admin account: username 'admin', password {shown}. "
                          "It is shown only this once.", flush=True)
            yield services
        finally:
            try:  # a connection still held by a task that failed to let go must not hang the exit
                async with asyncio.timeout(15):
                    await pool.close()
            except TimeoutError:
                log.warning("database connections still in use after 15 s; closing them")
                pool.terminate()
    finally:
        backends.stop()
