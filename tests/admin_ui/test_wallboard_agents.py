"""The wallboard's row per signed-in agent, and a team lead's pause or sign-out of an agent from it,
on the real engine and the simulated PBX over TCP; every such action is kept in the audit trail."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from campaigns.model import DialMode
from dialer import supervision, users
from dialer.clock import RealClock
from dialer.system import run_system
from dialer.users import Role
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone

PASSWORD = "correct horse battery"
SPEED = 20.0


async def until(predicate, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def sign_in(client: Any, username: str) -> str:
    """Sign in through the login form (echoing its token when it has one); returns the session's CSRF token."""
    form = (await client.get("/login")).text
    token = form.split('name="csrf_token" value="')[1].split('"')[0] if 'name="csrf_token"' in form else ""
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/", "csrf_token": token})
    home = await client.get("/")
    return str(home.text.split('name="csrf-token" content="')[1].split('"')[0])


@pytest.fixture
async def preview_campaign(db_pool, services):  # type: ignore[no-untyped-def]
    from tests.dialer.conftest import build

    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    return await build(db_pool, leads=5, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)


async def test_a_team_lead_sees_each_agent_and_pauses_then_signs_one_out(
        services, preview_campaign, app, browser_client, make_user) -> None:
    scenario = preview_campaign
    agent_id = scenario.agent_ids[0]
    await users.update_user(services.pool, user_id=agent_id, display_name="Hoa Tran")
    await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2), engine_id="wb-test",
                          tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        await engine.agent_login(agent_id, scenario.campaign.id, phone_dial_string=virtual_phone(agent_id))
        await until(lambda: engine.agent_state(agent_id)["state"] == "ready")

        csrf = await sign_in(browser_client, "lena")
        page = await browser_client.get("/wallboard")
        assert page.status_code == 200
        live = json.loads(page.text.split("window.WALL = ")[1].split(";</script>")[0])["live"]
        (row,) = live["agent_rows"]
        assert row["name"] == "Hoa Tran" and row["state"] == "ready" and row["campaign"] == scenario.campaign.name
        assert row["calls_today"] == 0 and row["talk_s"] == 0 and row["call"] is None and row["in_state_s"] >= 0

        paused = await browser_client.post(f"/wallboard/agents/{agent_id}/pause", data={"csrf_token": csrf})
        assert paused.status_code == 200 and paused.json()["done"] is True
        state = engine.agent_state(agent_id)
        assert state["state"] == "paused" and state["pause_reason"] == "team lead"
        assert engine.live_state()["agent_rows"][0]["pause_reason"] == "team lead"

        signed_out = await browser_client.post(f"/wallboard/agents/{agent_id}/sign-out", headers={"x-csrf-token": csrf})
        assert signed_out.status_code == 200
        await until(lambda: engine.agent_state(agent_id)["state"] == "logged_out")
        assert engine.live_state()["agent_rows"] == []

        # an agent who is no longer signed in: refused with the reason, and the refusal is kept too
        again = await browser_client.post(f"/wallboard/agents/{agent_id}/pause",
                                          headers={"x-csrf-token": csrf, "accept": "application/json"})
        assert again.status_code == 409 and "not signed in" in again.json()["detail"]
        # without the form's token the request is refused before it reaches the engine
        forged = await browser_client.post(f"/wallboard/agents/{agent_id}/pause")
        assert forged.status_code == 403

    trail = await supervision.recent_actions(services.pool)
    assert [(a.action, a.actor, a.agent, a.reason, a.result) for a in trail] == [
        ("pause", "Lena", "Hoa Tran", "team lead", "this agent is not signed in."),
        ("sign_out", "Lena", "Hoa Tran", "", ""), ("pause", "Lena", "Hoa Tran", "team lead", "")]
    page = await browser_client.get("/wallboard")
    audit = page.text.split('id="wb-audit"')[1]
    assert "Lena" in audit and "Hoa Tran" in audit and "Sign out" in audit


async def test_agents_cannot_pause_or_sign_out_another_agent(browser_client, make_user) -> None:
    other = await make_user(Role.AGENT)
    agent = await make_user(Role.AGENT)
    csrf = await sign_in(browser_client, agent.username)
    for action in ("pause", "sign-out"):
        answer = await browser_client.post(f"/wallboard/agents/{other.id}/{action}", headers={"x-csrf-token": csrf})
        assert answer.status_code == 403


async def test_the_wallboard_speaks_vietnamese_and_names_each_agent(browser_client, make_user, services) -> None:
    agent = await make_user(Role.AGENT, display_name="Nguyễn Thị Hoa")
    row = {"agent_id": agent.id, "state": "paused", "in_state_s": 75.0, "pause_reason": "họp", "pending_pause": None,
           "pending_logout": False, "campaign_id": 1, "campaign": "Tết", "call": None, "calls_today": 12,
           "talk_s": 2710}

    class Board:
        def live_state(self) -> dict[str, Any]:
            return {"agents": {"paused": 1}, "agents_logged_in": 1, "agent_rows": [dict(row)], "calls": {},
                    "campaigns": {}, "at": "2026-01-01T10:00:00+00:00"}

    services.extras["engine"] = Board()
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    await sign_in(browser_client, lead.username)
    page = (await browser_client.get("/wallboard")).text
    assert "Mã tạm dừng" in page and "Thời gian đàm thoại hôm nay" in page and "Trưởng nhóm" in page
    wall = json.loads(page.split("window.WALL = ")[1].split(";</script>")[0])
    assert wall["live"]["agent_rows"][0]["name"] == "Nguyễn Thị Hoa"
    assert wall["t"]["st_paused"] == "Tạm dừng" and wall["t"]["wb_pause"] == "Tạm dừng"
