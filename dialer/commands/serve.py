"""``dialer serve``: the web server and the dialer engine, on embedded or configured backends.

With no Asterisk configured (``DIALER_AMI_SERVERS``), the engine dials the in-process simulated PBX.
``--no-engine`` runs only the web app (for extra web processes beside one engine process).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

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
    p.set_defaults(func=run)


async def serve_web(services: Services, settings: Settings, args: argparse.Namespace) -> None:
    from admin_ui.app import create_app

    app = create_app(services)
    config = uvicorn.Config(app, host=args.host or settings.host, port=args.port or settings.port,
                            log_level="info", lifespan="off")
    log.info("serving on http://%s:%s", config.host, config.port)
    await uvicorn.Server(config).serve()


async def serve(args: argparse.Namespace, *, before: Callable[[Services], Awaitable[object]] | None = None,
                **system_options: object) -> None:
    """Open the services, start the engine (unless ``--no-engine``), and serve until stopped."""
    from dialer.system import run_system

    settings = settings_from(args)
    async with open_services(settings) as services:
        if getattr(args, "no_engine", False):
            await serve_web(services, settings, args)
            return
        async with contextlib.AsyncExitStack() as stack:
            system = await stack.enter_async_context(run_system(services, **system_options))  # type: ignore[arg-type]
            if before is not None:
                await before(services)
            log.info("engine %s running; PBX: %s", system.engine.engine_id, system.health())
            await serve_web(services, settings, args)


def run(args: argparse.Namespace) -> int:
    settings_from(args)  # validate before starting anything
    asyncio.run(serve(args))
    return 0
