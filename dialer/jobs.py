"""Background jobs on rq: enqueue, report progress from inside a job, and read a job's status.

Job functions are plain synchronous functions importable by the worker (``dialer worker``); long ones
call ``report_progress(done, total, message)`` every so often, which pages poll through
``GET /api/jobs/{id}`` and show as a progress bar. A job that needs PostgreSQL opens its own
connection from ``settings_for_job()`` (the worker has the same settings as the server).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
import rq
from rq.job import Job

QUEUE_NAME = "dialer"


def queue(connection: redis.Redis, *, is_async: bool = True) -> rq.Queue:
    return rq.Queue(QUEUE_NAME, connection=connection, is_async=is_async, default_timeout=3600)


def enqueue(connection: redis.Redis, func: Callable[..., Any], *args: Any, description: str = "",
            is_async: bool = True, **kwargs: Any) -> Job:
    """Put ``func(*args, **kwargs)`` on the dialer queue; ``description`` is what pages show."""
    q = queue(connection, is_async=is_async)
    return q.enqueue(func, *args, description=description or func.__name__, result_ttl=7 * 86400,
                     failure_ttl=7 * 86400, **kwargs)


def report_progress(done: int, total: int | None, message: str = "") -> None:
    """Record progress of the current job (no-op outside a job, so job code runs in tests directly)."""
    job = rq.get_current_job()
    if job is None:
        return
    job.meta["progress"] = {"done": done, "total": total, "message": message}
    job.save_meta()


@dataclass(frozen=True, slots=True)
class JobStatus:
    id: str
    status: str            # queued, started, finished, failed, ...
    description: str
    done: int
    total: int | None
    message: str
    result: Any
    error: str

    @property
    def percent(self) -> float | None:
        if not self.total:
            return 100.0 if self.status == "finished" else None
        return min(100.0, 100.0 * self.done / self.total)


def job_status(connection: redis.Redis, job_id: str) -> JobStatus | None:
    try:
        job = Job.fetch(job_id, connection=connection)
    except rq.exceptions.NoSuchJobError:
        return None
    progress = job.meta.get("progress", {})
    status = job.get_status(refresh=True)
    error = ""
    if status == "failed":
        result = job.latest_result()
        error = (result.exc_string or "").strip().splitlines()[-1] if result and result.exc_string else "failed"
    return JobStatus(
        id=job.id, status=str(status.value if hasattr(status, "value") else status),
        description=job.description or "", done=int(progress.get("done", 0)), total=progress.get("total"),
        message=str(progress.get("message", "")), result=job.return_value() if status == "finished" else None,
        error=error,
    )
