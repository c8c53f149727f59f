"""``dialer serve``: the web server (and, once configured, the engine) on embedded or configured backends."""

from __future__ import annotations

import argparse
import asyncio
import logging

import uvicorn

from dialer.commands._common import settings_from
from dialer.runtime import open_services

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="run the web server on embedded or configured PostgreSQL and Redis")
    p.add_argument("--host", help="listen address (default: settings, 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default: settings, 8000)")
    p.set_defaults(func=run)


async def serve(settings_host: str, settings_port: int, args: argparse.Namespace) -> None:
    from admin_ui.app import create_app

    settings = settings_from(args)
    async with open_services(settings) as services:
        app = create_app(services)
        config = uvicorn.Config(app, host=args.host or settings.host, port=args.port or settings.port,
                                log_level="info", lifespan="off")
        server = uvicorn.Server(config)
        log.info("serving on http://%s:%s", config.host, config.port)
        await server.serve()


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)  # validate before starting anything
    asyncio.run(serve(settings.host, settings.port, args))
    return 0
