"""``live_app.py`` plus a way in for a caller: the browser tests of inbound calls run this instead.

``POST /test/inbound?caller=...&did=...`` makes the simulated PBX's trunk deliver a call into the shipped
``dialer-inbound`` (as a carrier would), the caller staying on the line for ``talk_s`` once with an agent.
Only this test app has that route; the real app has nothing of the kind.
"""

from __future__ import annotations

import asyncio
import logging
import os

import uvicorn
from fastapi import FastAPI

from admin_ui.app import create_app
from dialer.runtime import open_services
from dialer.settings import load_settings
from dialer.system import run_system
from simulations.pbx import PbxConfig
from tests.browser.live_app import CUSTOMERS


async def main() -> None:
    settings = load_settings(None)
    async with open_services(settings) as services:
        sim = PbxConfig(speed=settings.speed, seed=7, customer_model=CUSTOMERS)
        async with run_system(services, sim_config=sim, engine_id="browser-inbound", tick_s=0.5) as system:
            app = create_app(services)
            outer = FastAPI()

            @outer.post("/test/inbound")
            async def inbound(caller: str, did: str, talk_s: float = 900.0) -> dict[str, str]:
                return {"channel": system.sim.inject_inbound(caller=caller, did=did, patience_s=600.0, talk_s=talk_s)}

            outer.mount("/", app)
            # the browser's panel websocket is still open when the fixture stops this process: without a
            # graceful-shutdown limit uvicorn waits for it until the fixture's kill, 10 s per test
            config = uvicorn.Config(outer, host=settings.host, port=settings.port, log_level="warning", lifespan="off",
                                    timeout_graceful_shutdown=1)
            await uvicorn.Server(config).serve()


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("LIVE_APP_LOG", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(main())
