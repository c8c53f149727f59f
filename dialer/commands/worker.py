"""``dialer worker``: an rq worker for list imports, DNC imports, exports and simulations."""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time

from dialer.commands._common import settings_from
from dialer.runtime import connect_redis, start_backends


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("worker", help="run a background job worker (rq)")
    p.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    p.add_argument("--parent-pid", type=int, default=None,
                   help="stop when this process ends (set by `dialer serve` for its own worker)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rq import Worker

    from dialer.jobs import queue

    settings = settings_from(args)
    backends = start_backends(settings)
    try:
        # jobs read the backends from the environment, so they reach the same servers as this worker
        os.environ.setdefault("DIALER_DATABASE_URL", backends.database_url)
        os.environ.setdefault("DIALER_REDIS_URL", backends.redis_url)
        connection = connect_redis(backends.redis_url, configured=settings.redis_url is not None)
        worker = Worker([queue(connection)], connection=connection)
        if args.parent_pid:
            watch_parent(args.parent_pid)
        worker.work(burst=args.burst, with_scheduler=False)
    finally:
        backends.stop()
    return 0


def watch_parent(parent_pid: int, *, every_s: float = 1.0) -> threading.Thread:
    """Stop this worker (SIGTERM: rq finishes the job in hand, then exits) once ``parent_pid`` is gone,
    so a ``dialer serve`` killed with ``kill -9`` leaves no worker behind."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(every_s)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread
