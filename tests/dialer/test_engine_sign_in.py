"""Signing in calls the agent's phone once, however many sign-ins arrive at the same moment."""

from __future__ import annotations

import asyncio
import time

from campaigns.model import DialMode
from dialer.engine_api import EngineError
from dialer.system import run_system
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_engine_restart import ENGINE, outliving_pbx


async def test_two_sign_ins_at_once_call_the_phone_once(services, db_pool, build_scenario) -> None:
    """Found on a real Asterisk: a panel that sent its sign-in twice got two phone legs; the engine followed
    one and the other stayed in the conference for good."""
    async with outliving_pbx(services, speed=20.0) as sim:
        scenario = await build_scenario(db_pool, leads=3, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                        dnc_share=0.0, outside_share=0.0)
        cid, agent_id = scenario.campaign.id, scenario.agent_ids[0]
        async with run_system(services, engine_id=ENGINE, tick_s=0.5) as system:
            engine = system.engine
            deadline = time.monotonic() + 30
            while cid not in engine.campaigns:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            results = await asyncio.gather(
                *(engine.agent_login(agent_id, cid, phone_dial_string=virtual_phone(agent_id)) for _ in range(3)),
                return_exceptions=True)
            while engine.agent_state(agent_id)["state"] != "ready":
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            phones = [o for o in sim.originate_log if o.context == "dialer-agent"]
        assert sum(r is None for r in results) == 1, results
        assert all(isinstance(r, EngineError) for r in results if r is not None), results
        assert len(phones) == 1
