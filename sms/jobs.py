"""rq entry points for sending text messages (run by ``dialer worker``; see ``dialer.jobs``).

* ``send_message_job(database_url, redis_url, message_id)``: hand one stored message over (the agent panel).
* ``drain_job(database_url, redis_url, send_id=None)``: hand over every due message of a send (or every due
  message) until none is due within the wait horizon; several may run at once on several workers (claims
  never overlap). Progress: the send's messages that are no longer pending, of all (``sms.bulk.progress``).
* ``prepare_send_job`` / ``estimate_job`` / ``scheduler_tick_job``: ``sms.bulk`` and ``sms.scheduler``.

A job is safe to run twice or to be killed at any moment: what is sent is decided by the rows (``sms.outbox``),
never by the job. Providers come from the worker's settings (``DIALER_SMS_PROVIDERS``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import redis
import redis.asyncio

from dialer.clock import Clock, RealClock
from sms.rate_limit import Rate, RedisRateLimit
from sms.sending import Sender, SenderOptions


@asynccontextmanager
async def open_sender(database_url: str, redis_url: str, *, clock: Clock | None = None,
                      settings: Any = None, options: dict[str, Any] | None = None) -> AsyncIterator[Sender]:
    """A ``Sender`` over the configured providers, with a pool, one httpx client and the shared rate limits."""
    from dialer import db
    from dialer.settings import load_settings
    from sms.providers.registry import providers_from_settings

    settings = settings or load_settings()
    clock = clock or RealClock()
    opts = dataclasses.replace(SenderOptions(), **(options or {}))
    configs = {c.name: c for c in settings.sms_providers}
    pool = await db.create_pool(database_url, min_size=1, max_size=4)
    limits_conn = redis.asyncio.Redis.from_url(redis_url)
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=opts.concurrency * 2,
                                                   max_keepalive_connections=opts.concurrency * 2))
    try:
        limits = {name: RedisRateLimit(limits_conn, provider=name, clock=clock,
                                       rate=Rate(c.rate_per_s, max(1, round(c.rate_per_s / 10))))
                  for name, c in configs.items()}
        yield Sender(pool=pool, providers=providers_from_settings(settings, client), configs=configs,
                     limits=limits, clock=clock, rng=random.Random(), options=opts)
    finally:
        await client.aclose()
        await limits_conn.aclose()
        await pool.close()


def _report(send_id: int | None, database_url: str) -> Any:
    """A progress callback reporting the send's own figures (every worker's), or this worker's counts."""
    from dialer.jobs import report_progress

    async def report(counts: Counter[str]) -> None:
        if send_id is None:
            report_progress(sum(counts.values()), None, ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            return
        from dialer import db
        from sms.bulk import progress

        conn = await db.connect(database_url)
        try:
            p = await progress(conn, send_id=send_id)
        finally:
            await conn.close()
        report_progress(p.done, p.total, p.summary())

    return report


DRAIN_KEY = "dialer:sms:drain:{send}:{slot}"
QUEUED_TTL_S = 600       # a drain job waiting in the queue this long is assumed lost (another may be started)
RUNNING_TTL_S = 15       # a running drain job renews its key every RUNNING_TTL_S / 3 s; a killed one's expires


def drain_key(send_id: int | None, slot: int = 0) -> str:
    return DRAIN_KEY.format(send="any" if send_id is None else send_id, slot=slot)


def ensure_draining(connection: redis.Redis, database_url: str, redis_url: str, send_id: int | None, *,
                    slots: int = 1, options: dict[str, Any] | None = None) -> bool:
    """Enqueue a drain job for the send in each of ``slots`` unless one is queued or running there (its Redis
    key, set here and renewed by the running job); returns whether any was enqueued. Safe from any process:
    an extra drain job would only find nothing to claim."""
    from dialer.jobs import enqueue

    started = False
    for slot in range(slots):
        key = drain_key(send_id, slot)
        if connection.set(key, "queued", nx=True, ex=QUEUED_TTL_S):
            enqueue(connection, drain_job, database_url, redis_url, send_id=send_id, lock_key=key, options=options,
                    description=f"SMS send {send_id}" if send_id is not None else "SMS messages")
            started = True
    return started


async def _keep_key(conn: redis.asyncio.Redis, key: str, clock: Clock) -> None:
    while True:
        await conn.set(key, "running", ex=RUNNING_TTL_S)
        await clock.sleep(RUNNING_TTL_S / 3)


def drain_job(database_url: str, redis_url: str, *, send_id: int | None = None,
              message_ids: Sequence[int] | None = None, options: dict[str, Any] | None = None,
              lock_key: str | None = None) -> dict[str, int]:
    """rq entry point: hand over the due messages of ``send_id`` (or of ``message_ids``, or all); returns
    this worker's counts (queued, refused, deferred, retried, failed). ``lock_key``: the Redis key that says
    this drain is queued or running (``ensure_draining``), renewed while it runs and removed at its end."""

    async def go() -> Counter[str]:
        clock = RealClock()
        keeper_conn = redis.asyncio.Redis.from_url(redis_url)
        keeper = asyncio.create_task(_keep_key(keeper_conn, lock_key, clock)) if lock_key else None
        try:
            async with open_sender(database_url, redis_url, options=options, clock=clock) as sender:
                counts = await sender.drain(send_id=send_id, message_ids=message_ids,
                                            progress=_report(send_id, database_url))
            if send_id is not None:
                await _finish(database_url, send_id, clock)
            return counts
        finally:
            if keeper is not None:
                keeper.cancel()
                await asyncio.gather(keeper, return_exceptions=True)
                await keeper_conn.delete(lock_key)   # type: ignore[arg-type]
            await keeper_conn.aclose()

    return dict(asyncio.run(go()))


async def _finish(database_url: str, send_id: int, clock: Clock) -> None:
    from dialer import db
    from sms.bulk import finish_if_drained

    pool = await db.create_pool(database_url, min_size=1, max_size=1)
    try:
        await finish_if_drained(pool, send_id=send_id, now=clock.now())
    finally:
        await pool.close()


def prepare_send_job(database_url: str, redis_url: str, send_id: int, *, drains: int = 2,
                     options: dict[str, Any] | None = None) -> dict[str, int]:
    """rq entry point: make every message of a confirmed bulk send (progress: messages prepared), then start
    ``drains`` drain jobs for it. Run twice, it makes nothing twice (``sms.bulk.materialise``)."""
    from dialer import db
    from dialer.jobs import report_progress
    from dialer.runtime import connect_redis
    from sms.bulk import materialise_all

    async def go() -> int:
        pool = await db.create_pool(database_url, min_size=1, max_size=2)
        try:
            return await materialise_all(pool, send_id=send_id, now=RealClock().now(), report=report_progress)
        finally:
            await pool.close()

    made = asyncio.run(go())
    ensure_draining(connect_redis(redis_url, configured=True), database_url, redis_url, send_id, slots=drains,
                    options=options)
    return {"made": made}


def start_send(connection: redis.Redis, database_url: str, redis_url: str, send_id: int, *, drains: int = 2,
               options: dict[str, Any] | None = None) -> str:
    """After ``sms.bulk.confirm`` of a bulk send: enqueue its preparation (which starts its drains); returns the
    job id whose progress a page shows. Scheduled sends need nothing: the scheduler makes their messages."""
    from dialer.jobs import enqueue

    job = enqueue(connection, prepare_send_job, database_url, redis_url, send_id, drains=drains, options=options,
                  description=f"SMS send {send_id}: prepare")
    return str(job.id)


def scheduler_tick(connection: redis.Redis, database_url: str, redis_url: str, *,
                   settings: Any = None, clock: Clock | None = None) -> Any:
    """One scheduler pass (``sms.scheduler.tick``) with drains started through ``ensure_draining``."""
    from dialer import db
    from dialer.settings import load_settings
    from sms.scheduler import tick

    settings = settings or load_settings()
    dedup = [c.name for c in settings.sms_providers if c.deduplicates]

    async def go() -> Any:
        pool = await db.create_pool(database_url, min_size=1, max_size=2)
        try:
            return await tick(pool, now=(clock or RealClock()).now(), deduplicating=dedup,
                              enqueue=lambda send_id: ensure_draining(connection, database_url, redis_url, send_id))
        finally:
            await pool.close()

    return asyncio.run(go())


@asynccontextmanager
async def running_scheduler(services: Any, *, every_s: float = 30.0) -> AsyncIterator[asyncio.Task[None]]:
    """The SMS scheduler (``sms.scheduler.run``) as a task of this process (``dialer serve``) on its pool and
    clock, for as long as the block runs. Several processes may run it: a Redis lock that lasts the period
    lets one tick per period."""
    from sms.scheduler import run

    database_url, redis_url = services.extras["database_url"], services.extras["redis_url"]
    dedup = [c.name for c in services.settings.sms_providers if c.deduplicates]

    def may_tick() -> bool:
        return bool(services.redis.set("dialer:sms:scheduler-tick", "1", nx=True, ex=max(1, int(every_s * 0.9))))

    task = asyncio.create_task(run(
        services.pool, clock=services.clock, deduplicating=dedup, every_s=every_s, may_tick=may_tick,
        enqueue=lambda send_id: ensure_draining(services.redis, database_url, redis_url, send_id)),
        name="sms-scheduler")
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
