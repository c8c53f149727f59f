"""Done when (issue 18), its other half: the agent is told it is monitored only where its campaign asks for it.
The same call as in ``test_wallboard_supervision``, in a campaign that does not ask: the lead listens, whispers and
barges in on the simulated PBX (ChanSpy running on the agent's phone leg, each action audited), and the agent's
panel never says it is monitored."""

from __future__ import annotations

import asyncio
from typing import Any

from dialer import supervision
from dialer.system import run_system
from simulations.pbx import PbxConfig
from tests.admin_ui.test_wallboard_agents import sign_in
from tests.admin_ui.test_wallboard_supervision import (
    SPEED,
    STAYING,
    agent_ready,
    lead_on_a_phone,
    preview_call,
    preview_campaign,
    spies,
    until,
)

__all__ = ["preview_campaign"]       # the fixture, shared with the test that asks for the notice


async def test_a_campaign_that_does_not_ask_never_tells_the_agent(services, preview_campaign, app, browser_client,
                                                                 make_user) -> None:
    scenario = preview_campaign
    await services.pool.execute("UPDATE campaigns SET notify_monitored = false WHERE id = $1", scenario.campaign.id)
    agent_id = scenario.agent_ids[0]
    await lead_on_a_phone(services, make_user, display_name="Lena")
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=5, customer_model=STAYING),
                          engine_id="wb-sup-quiet", tick_s=0.5) as system:
        engine = system.engine
        seen: list[dict[str, Any]] = []

        async def panel() -> None:
            async for view in engine.subscribe_agent(agent_id):
                seen.append(dict(view))

        watcher = asyncio.create_task(panel())
        try:
            await agent_ready(engine, scenario.campaign.id, agent_id)
            call_id = await preview_call(engine, agent_id)
            csrf = await sign_in(browser_client, "lena")
            headers = {"x-csrf-token": csrf, "accept": "application/json"}
            for mode in ("listen", "whisper", "barge"):
                answer = await browser_client.post(f"/wallboard/agents/{agent_id}/{mode}", headers=headers)
                assert answer.status_code == 200
                await until(lambda m=mode: [s.spyer.exten for s in spies(system)] == [m])
                assert engine.supervision.monitored(agent_id)          # the lead is on the call...
                assert "monitored" not in engine.agent_state(agent_id)  # ...and the agent is not told
            assert (await browser_client.post("/wallboard/supervise/stop", headers=headers)).status_code == 200
            await until(lambda: spies(system) == [])
        finally:
            watcher.cancel()
        assert seen and not any(v.get("monitored") for v in seen)

    trail = await supervision.recent_actions(services.pool)
    assert [(a.action, a.call_id) for a in reversed(trail)] == [("listen", call_id), ("whisper", call_id),
                                                                 ("barge", call_id)]
