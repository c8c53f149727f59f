"""The recordings' retention job: files and rows older than their retention go, with a report.

A recording is kept for its campaign's or queue's ``retention_days`` (``recording_policies``), else the global
row's, else ``DIALER_RECORDING_RETENTION_DAYS``; none of them: kept. ``sweep`` deletes each expired file (under
the recordings folder this process reads) and its row in one transaction with a ``recording_deletions`` row (the
report: which, recorded when, kept how long, whether the file was still there), and logs one line per run. It runs
as one of the engine's periodic tasks (``run``, every hour on the engine's clock, like the engine-watch task).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from dialer import recordings_store as store
from dialer.clock import Clock

log = logging.getLogger(__name__)
EVERY_S = 3600.0
LOCK_SPACE = 0x72656364   # "recd": the advisory lock space of the retention run


@dataclass(frozen=True, slots=True)
class SweepResult:
    deleted: int
    files_deleted: int
    bytes_freed: int


async def sweep(pool: asyncpg.Pool, *, folder: Path, now: datetime, global_days: int | None) -> SweepResult:
    """One run; with several engines, one runs at a time (an advisory lock), the others find nothing to do."""
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1::int4, hashtext('recording-retention'))",
                                   LOCK_SPACE):
            log.info("recording retention: another process is running it")
            return SweepResult(0, 0, 0)
        try:
            return await _sweep(pool, folder=folder, now=now, global_days=global_days)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1::int4, hashtext('recording-retention'))", LOCK_SPACE)


async def _sweep(pool: asyncpg.Pool, *, folder: Path, now: datetime, global_days: int | None) -> SweepResult:
    deleted = files = freed = 0
    for item in await store.expired(pool, now=now, global_days=global_days):
        path = folder / item["file_path"]
        if folder.resolve() not in path.resolve().parents:
            log.error("recording %s: file %r is outside the recordings folder; row kept", item["id"], item["file_path"])
            continue
        try:
            size = path.stat().st_size
            await asyncio.to_thread(path.unlink)
            file_deleted = True
            freed += size
        except FileNotFoundError:
            file_deleted = False
        except OSError as exc:
            log.error("recording %s: cannot delete %s (%s); row kept for the next run", item["id"], path, exc)
            continue
        await store.delete_expired(pool, item, run_at=now, file_deleted=file_deleted)
        deleted += 1
        files += file_deleted
    log.info("recording retention: %d recordings deleted (%d files, %d bytes) at %s", deleted, files, freed,
             now.isoformat())
    return SweepResult(deleted, files, freed)


async def run(pool: asyncpg.Pool, *, clock: Clock, folder: Path, global_days: int | None,
              every_s: float = EVERY_S) -> None:
    """``sweep`` every ``every_s`` seconds on ``clock`` for ever; a failed run is logged, the next one tries again."""
    while True:
        try:
            await sweep(pool, folder=folder, now=clock.now(), global_days=global_days)
        except (OSError, asyncpg.PostgresError):
            log.exception("recording retention run failed")
        await clock.sleep(every_s)
