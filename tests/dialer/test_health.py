"""With Asterisk down the dialer says so: /healthz answers 503, the campaigns pages and the wallboard show a
banner, and every runner holds its campaign with "no PBX connected" as its why (issue 12, defect 5); a
campaign whose safe-harbor message the PBX lacks is refused at save and start, and held at engine start
with the reason shown (defect 1). On the engine with the simulated PBX over TCP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from campaigns import repository as campaigns_repo
from campaigns.model import CampaignState, DialMode
from dialer.engine_api import EngineError
from dialer.system import run_system
from dialer.users import Role
from simulations.pbx import PbxConfig

SPEED = 20.0
PASSWORD = "correct horse battery"


async def until(predicate: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    form = (await client.get("/login")).text  # the login form carries its CSRF token
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                      "csrf_token": token})
    home = await client.get("/")
    return home.text.split('name="csrf-token" content="')[1].split('"')[0]


@pytest.fixture
async def scenario(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    from dialer.clock import RealClock

    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    return await build_scenario(db_pool, leads=20, agents=2, now=services.clock.now(), mode=DialMode.PROGRESSIVE,
                                dnc_share=0.0, outside_share=0.0)


def _why(engine, campaign_id: int) -> str:  # type: ignore[no-untyped-def]
    word = engine.board.pacer.get(campaign_id)
    return word.why if word is not None else ""


async def test_with_asterisk_stopped_healthz_is_503_pages_say_so_and_campaigns_hold_visibly(
        services, scenario, browser_client, make_user) -> None:
    cid = scenario.campaign.id
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3), engine_id="health-test",
                          tick_s=0.2) as system:
        engine = system.engine
        await until(lambda: _why(engine, cid) != "")
        up = await browser_client.get("/healthz")
        assert up.status_code == 200 and up.json()["status"] == "ok" and up.json()["pbx"]["status"] == "ok"
        assert "no PBX connected" not in _why(engine, cid)

        assert system.sim is not None
        await system.sim.faults.stop()                         # Asterisk stopped: the AMI link drops
        await until(lambda: "no PBX connected" in _why(engine, cid))
        down = await browser_client.get("/healthz")
        assert down.status_code == 503
        body = down.json()
        assert body["status"] == "degraded" and body["pbx"]["status"] == "down"
        assert body["pbx"]["up"] == [] and body["pbx"]["down"] == ["simulated-pbx"]
        assert engine.control.hold_of(cid).startswith("no PBX connected")
        dialled = engine.control.runners[cid][0].dialled

        await sign_in(browser_client, lead.username)             # a Vietnamese team lead
        page = (await browser_client.get(f"/campaigns/{cid}")).text
        assert 'id="pbx-banner"' in page and "Không có tổng đài (PBX) nào kết nối" in page
        assert 'id="campaign-hold"' in page and "no PBX connected" in page
        assert 'id="pbx-banner"' in (await browser_client.get("/campaigns")).text
        assert "Không có tổng đài (PBX) nào kết nối" in (await browser_client.get("/wallboard")).text

        await system.sim.faults.boot()                          # Asterisk back: dialling resumes by itself
        await until(lambda: not engine.control.hold_of(cid), timeout_s=30.0)
        again = await browser_client.get("/healthz")
        assert again.status_code == 200 and again.json()["status"] == "ok"
        assert "Không có tổng đài" not in (await browser_client.get(f"/campaigns/{cid}")).text
        assert engine.control.runners[cid][0].dialled >= dialled


async def test_a_campaign_whose_safe_harbor_message_the_pbx_lacks_is_refused_and_held_visibly(
        services, scenario, browser_client, api_client, make_user) -> None:
    cid = scenario.campaign.id
    missing = replace(scenario.campaign, safe_harbor_message="acme/welcome")
    await campaigns_repo.update_campaign(services.pool, campaign=missing)     # saved while no engine ran
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=4), engine_id="sound-test",
                          tick_s=0.2) as system:
        engine = system.engine
        # engine start: the running campaign is held, with the reason on its page and the wallboard
        await until(lambda: "safe-harbor message missing" in _why(engine, cid))
        assert "safe_harbor_message: sound 'acme/welcome' not found on simulated-pbx" in _why(engine, cid)
        assert engine.control.runners[cid][0].dialled == 0
        assert engine.live_state()["campaigns"][str(cid)]["pacer"]["why"] == _why(engine, cid)
        lead = await make_user(Role.TEAM_LEAD)
        csrf = await sign_in(browser_client, lead.username)
        page = (await browser_client.get(f"/campaigns/{cid}")).text
        assert 'id="campaign-hold"' in page and "sound &#39;acme/welcome&#39; not found on simulated-pbx" in page

        # start: refused with the field named
        await engine.campaign_pause(cid)
        with pytest.raises(EngineError, match="safe_harbor_message: sound 'acme/welcome' not found"):
            await engine.campaign_start(cid)
        refused = await browser_client.post(f"/campaigns/{cid}/state", data={"csrf_token": csrf, "action": "start"})
        assert refused.status_code == 409 and "acme/welcome" in refused.text
        campaign = await campaigns_repo.get_campaign(services.pool, campaign_id=cid)
        assert campaign.state is CampaignState.PAUSED

        # save: refused in the API and on the page, naming the field, the sound and the server
        async with api_client(Role.TEAM_LEAD) as api:
            bad = await api.patch(f"/api/campaigns/{cid}", json={"safe_harbor_message": "acme/welcome"})
            assert bad.status_code == 422
            assert bad.json()["detail"] == "safe_harbor_message: sound 'acme/welcome' not found on simulated-pbx"
            good = await api.patch(f"/api/campaigns/{cid}", json={"safe_harbor_message": ""})
            assert good.status_code == 200 and good.json()["warnings"] == []
        await engine.campaign_start(cid)                    # the default message: every Asterisk has it
        assert system.sim is not None
        await system.sim.faults.stop()
        await until(lambda: "no PBX connected" in _why(engine, cid))
        async with api_client(Role.TEAM_LEAD) as api:
            unchecked = await api.patch(f"/api/campaigns/{cid}", json={"safe_harbor_message": "acme/welcome"})
            assert unchecked.status_code == 200
            assert "could not be checked" in unchecked.json()["warnings"][0]
            assert "no PBX connected" in unchecked.json()["warnings"][0]


async def test_with_one_of_two_asterisks_down_healthz_is_200_degraded_and_the_banner_names_it(
        services, browser_client, make_user) -> None:
    from dialer.ami.adapter import AmiAdapter
    from dialer.ami.config import AmiServerConfig
    from dialer.clock import RealClock
    from dialer.engine import Engine
    from simulations.pbx import SimulatedPbx

    pbxes = [SimulatedPbx(PbxConfig(seed=n)) for n in (1, 2)]
    for pbx in pbxes:
        await pbx.start(host="127.0.0.1", port=0)
    adapter = AmiAdapter([AmiServerConfig(name=f"pbx{n}", host="127.0.0.1", port=pbx.port, username="dialer",
                                          secret="dialer-secret", max_channels=10, backoff_initial_s=0.05,
                                          backoff_max_s=0.3)
                          for n, pbx in enumerate(pbxes, start=1)], clock=RealClock())
    await adapter.start()
    services.extras["engine"] = Engine(pool=services.pool, pbx=adapter, clock=RealClock(), engine_id="two-pbx")
    try:
        await pbxes[1].faults.stop()
        await until(lambda: [s.up for s in adapter.statistics()] == [True, False])
        health = await browser_client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["pbx"] | {"detail": ""} == {"status": "degraded", "up": ["pbx1"], "down": ["pbx2"],
                                                         "detail": ""}
        lead = await make_user(Role.TEAM_LEAD)
        await sign_in(browser_client, lead.username)
        page = (await browser_client.get("/campaigns")).text
        assert "Some PBX servers are down; calls go through the others" in page and "pbx2 down" in page
    finally:
        services.extras.pop("engine", None)
        await adapter.close()
        for pbx in pbxes:
            await pbx.stop()
