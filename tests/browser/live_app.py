"""The whole dialer in one process for the browser tests: web app, engine, simulated PBX.

Run as ``python tests/browser/live_app.py`` with the usual ``DIALER_*`` variables. The simulated
customers answer quickly and talk for a long time (so the agent in the browser hangs up), and every
agent phone is a virtual phone that answers at once.
"""

from __future__ import annotations

import asyncio
import logging
import os

import uvicorn

from admin_ui.app import create_app
from dialer.runtime import open_services
from dialer.settings import load_settings
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig

CUSTOMERS = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0, invalid_rate=0.0,
                          ring=LogNormal(1.5, 0.1), talk=LogNormal(900.0, 0.05), patience=LogNormal(60.0, 0.1))


async def main() -> None:
    settings = load_settings(None)
    async with open_services(settings) as services:
        sim = PbxConfig(speed=settings.speed, seed=7, customer_model=CUSTOMERS)
        async with run_system(services, sim_config=sim, engine_id="browser-e2e", tick_s=0.5):
            app = create_app(services)
            # the browser's panel websocket is still open when the fixture stops this process: without a
            # graceful-shutdown limit uvicorn waits for it until the fixture's kill, 10 s per test
            config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", lifespan="off",
                                    timeout_graceful_shutdown=1)
            await uvicorn.Server(config).serve()


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("LIVE_APP_LOG", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(main())
