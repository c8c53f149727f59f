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


def drain_job(database_url: str, redis_url: str, *, send_id: int | None = None,
              message_ids: Sequence[int] | None = None, options: dict[str, Any] | None = None) -> dict[str, int]:
    """rq entry point: hand over the due messages of ``send_id`` (or of ``message_ids``, or all); returns
    this worker's counts (queued, refused, deferred, retried, failed)."""

    async def go() -> Counter[str]:
        async with open_sender(database_url, redis_url, options=options) as sender:
            return await sender.drain(send_id=send_id, message_ids=message_ids,
                                      progress=_report(send_id, database_url))

    return dict(asyncio.run(go()))


def send_message_job(database_url: str, redis_url: str, message_id: int) -> dict[str, int]:
    """rq entry point: hand over one stored message (waiting out its retries within the wait horizon)."""
    return drain_job(database_url, redis_url, message_ids=[message_id])
