"""Helpers for the SMS tests: the simulated provider and the dialer's web app, each on a real port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from dialer.services import Services
from dialer.settings import load_settings
from sms.provider_settings import SmsProviderConfig
from sms.sim.server import SmsSimulator, sim_provider_settings
from sms.sim.state import SimConfig


def bound_socket() -> socket.socket:
    """A socket bound to a free port on 127.0.0.1 (so its URL is known before the server starts)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def running_sim(config: SimConfig | None = None, **kwargs: Any) -> AsyncIterator[SmsSimulator]:
    sim = SmsSimulator(config or SimConfig(report_delay_s=0.05, stop_delay_s=0.05), **kwargs)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def sim_configs(sim: SmsSimulator, *, callback_base_url: str | None) -> dict[str, SmsProviderConfig]:
    """The three providers pointed at ``sim``, by kind: generic (``sim``), twilio, esms."""
    entries = sim_provider_settings(sim.url, sim.config, callback_base_url=callback_base_url)
    configs = [SmsProviderConfig(**{**e, "timeout_s": 2.0}) for e in entries]
    return {c.kind: c for c in configs}


def with_providers(services: Services, providers: list[SmsProviderConfig]) -> Services:
    """``services`` whose settings name ``providers`` (validated as at start)."""
    values = services.settings.model_dump()
    values["sms_providers"] = [p.model_dump() | {"credentials": {k: v.get_secret_value()
                                                                 for k, v in p.credentials.items()}}
                               for p in providers]
    settings = load_settings(None, **values)
    return Services(settings=settings, pool=services.pool, redis=services.redis, clock=services.clock,
                    extras=services.extras)


@asynccontextmanager
async def live_dialer(services: Services, sock: socket.socket) -> AsyncIterator[str]:
    """The dialer's web app served on ``sock``; yields its URL."""
    from admin_ui.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(services), log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        await task
