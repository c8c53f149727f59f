"""``dialer serve``: the web server and the dialer engine, on embedded or configured backends.

With no Asterisk configured (``DIALER_AMI_SERVERS``), the engine dials the in-process simulated PBX.
A ``dialer worker`` child runs the background jobs (list and DNC imports) on the same backends, unless
``--no-worker`` (run workers yourself). ``--no-engine`` runs only the web app (for extra web processes
beside one engine process).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator

import uvicorn

from dialer.commands._common import settings_from
from dialer.runtime import open_services
from dialer.services import Services
from dialer.settings import Settings

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="run the web server and the dialer engine")
    p.add_argument("--host", help="listen address (default: settings, 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default: settings, 8000)")
    p.add_argument("--no-engine", action="store_true", help="web only: do not run campaigns in this process")
    p.add_argument("--no-worker", action="store_true", help="do not start a background job worker")
    p.add_argument("--site", help="the site this engine works for (default: settings, DIALER_SITE; none: every site)")
    p.set_defaults(func=run)


GRACEFUL_STOP_S = 3      # seconds open responses (event streams, panels) get to end when the server stops


async def serve_web(services: Services, settings: Settings, args: argparse.Namespace) -> None:
    from admin_ui.app import create_app

    app = create_app(services)
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 on its own; the app
    # believes it only from settings.trusted_proxies (admin_ui.auth.client_address)
    # timeout_graceful_shutdown: a wallboard on the floor's TV holds its event stream (/wallboard/live) open for
    # good, and uvicorn waits for every open response before it stops: without a limit an operator's stop hung
    # until systemd's kill, and the engine's clean-up after the web server never ran
    config = uvicorn.Config(app, host=args.host or settings.host, port=args.port or settings.port,
                            log_level="info", lifespan="off", proxy_headers=False,
                            timeout_graceful_shutdown=GRACEFUL_STOP_S)
    log.info("serving on http://%s:%s", config.host, config.port)
    await uvicorn.Server(config).serve()


@contextlib.contextmanager
def worker_process(services: Services, *, enabled: bool) -> Iterator[subprocess.Popen[bytes] | None]:
    """A ``dialer worker`` child on this process's PostgreSQL and Redis, stopped on exit."""
    if not enabled:
        yield None
        return
    env = {**os.environ, "DIALER_DATABASE_URL": services.extras["database_url"],
           "DIALER_REDIS_URL": services.extras["redis_url"]}
    process = subprocess.Popen([sys.executable, "-m", "dialer.cli", "worker", "--parent-pid", str(os.getpid())],
                               env=env)
    log.info("background job worker started (pid %s)", process.pid)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


async def serve(args: argparse.Namespace, *, before: Callable[[Services], Awaitable[object]] | None = None,
                **system_options: object) -> None:
    """Open the services, start the engine (unless ``--no-engine``) and a worker, and serve until stopped."""
    settings = settings_from(args)
    if getattr(args, "site", None):
        settings.site = args.site        # dialer.sites: this engine runs that site's campaigns only
    from admin_ui.report_schedules import running_report_scheduler
    from sms.jobs import running_scheduler

    async with open_services(settings) as services:
        with worker_process(services, enabled=not getattr(args, "no_worker", False)):
            async with running_scheduler(services), running_report_scheduler(services):   # SMS; report files
                await _serve(services, settings, args, before, system_options)


async def _serve(services: Services, settings: Settings, args: argparse.Namespace,
                 before: Callable[[Services], Awaitable[object]] | None, system_options: dict[str, object]) -> None:
    from dialer.system import run_system

    if getattr(args, "no_engine", False):
        await serve_web(services, settings, args)
        return
    async with run_system(services, **system_options) as system:  # type: ignore[arg-type]
        if before is not None:
            await before(services)
        log.info("engine %s running; PBX: %s", system.engine.engine_id, system.health())
        await serve_web(services, settings, args)


def run(args: argparse.Namespace) -> int:
    settings_from(args)  # validate before starting anything
    asyncio.run(serve(args))
    return 0
