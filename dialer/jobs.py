"""Background jobs on rq: enqueue, report progress from inside a job, and read a job's status.

Job functions are plain synchronous functions importable by the worker (``dialer worker``); long ones
call ``report_progress(done, total, message)`` every so often, which pages poll through
``GET /api/jobs/{id}`` and show as a progress bar. A message or a failure (``report_failure``) that is a
``dialer.reasons.Reason`` is kept with its code, so ``/api/jobs`` says it in the reader's language. A job that
needs PostgreSQL opens its own connection from ``settings_for_job()`` (the worker has the same settings as the
server).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
import rq
from rq.job import Job

from dialer.reasons import code_of

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
    code, params = code_of(message)       # a dialer.reasons.Reason: said in the reader's language by /api/jobs
    job.meta["progress"] = {"done": done, "total": total, "message": str(message), "code": code, "params": params}
    job.save_meta()


def report_failure(exc: BaseException) -> None:
    """Record why the current job fails when the error carries a ``dialer.reasons.Reason`` (its first
    argument), so ``/api/jobs`` says it in the reader's language (no-op outside a job or for other errors)."""
    job = rq.get_current_job()
    code, params = code_of(exc.args[0]) if exc.args and isinstance(exc.args[0], str) else ("", "")
    if job is None or not code:
        return
    job.meta["error"] = {"code": code, "params": params}
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
    message_code: str = ""      # the message and error as dialer.reasons codes with their parameters (JSON)
    message_params: str = ""
    error_code: str = ""
    error_params: str = ""

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
    failure = job.meta.get("error", {})
    status = job.get_status(refresh=True)
    error = ""
    if status == "failed":
        result = job.latest_result()
        error = (result.exc_string or "").strip().splitlines()[-1] if result and result.exc_string else "failed"
    return JobStatus(
        id=job.id, status=str(status.value if hasattr(status, "value") else status),
        description=job.description or "", done=int(progress.get("done", 0)), total=progress.get("total"),
        message=str(progress.get("message", "")), result=job.return_value() if status == "finished" else None,
        error=error, message_code=str(progress.get("code", "")), message_params=str(progress.get("params", "")),
        error_code=str(failure.get("code", "")) if error else "", error_params=str(failure.get("params", "")),
    )
