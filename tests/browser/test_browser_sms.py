"""SMS in Debian's chromium: an agent texts the customer from the panel after the call (the template filled in
for the call's lead, sent through the worker to the simulated provider, whose own log shows it once, and the
pop lists it); a team lead schedules a birthday send (estimated by the worker, confirm, listed as active)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout

from campaigns import repository
from campaigns.model import Campaign, CampaignState
from campaigns.windows import WindowProfile
from dialer import users
from dialer.users import Role
from simulations.virtual_agents import virtual_phone
from sms.sim.server import SmsSimulator, sim_provider_settings
from sms.sim.state import SimConfig
from tests.browser.conftest import ROOT, LiveServer, start_server, start_worker, stop_server, stop_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
ALL_DAY = WindowProfile("custom", tuple(((0, 1440),) for _ in range(7)))
TEMPLATE = "Chào {{ lead.first_name }}, {{ agent_name }} gửi anh/chị thông tin gói {{ lead.plan }}."


@pytest.fixture
async def sms_sim() -> AsyncIterator[SmsSimulator]:
    sim = SmsSimulator(SimConfig(report_delay_s=0.2))
    await sim.start()
    yield sim
    await sim.stop()


def _providers(sim: SmsSimulator) -> str:
    return json.dumps(sim_provider_settings(sim.url, sim.config, callback_base_url=None)[:1])


@pytest.fixture
def sms_system(database_url: str, redis_url: str, tmp_path: Path, sms_sim: SmsSimulator) -> LiveServer:
    """The live system (web, engine, simulated PBX: ``live_app.py``) and a worker, both with the simulated SMS
    provider configured."""
    env = {"PYTHONPATH": str(ROOT), "DIALER_SMS_PROVIDERS": _providers(sms_sim)}
    server = start_server(database_url, redis_url, tmp_path / "system",
                          command=[sys.executable, str(Path(__file__).with_name("live_app.py"))], extra_env=env)
    worker = start_worker({**os.environ, **env, "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url,
                           "DIALER_DATA_DIR": str(tmp_path / "system")}, tmp_path / "worker.log")
    yield server
    stop_worker(worker)
    stop_server(server)


async def test_an_agent_texts_the_customer_from_the_panel_after_the_call(open_page, sms_system, sms_sim, make_user,
                                                                        services, ui) -> None:
    agent = await make_user(Role.AGENT, "an", display_name="An")
    await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Chăm sóc", trunk_template="Local/{number}@from-dialer", default_region="VN",
        timezone="Asia/Ho_Chi_Minh", window_profile="custom", custom_window=ALL_DAY))
    async with services.pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[agent.id])
        await repository.set_campaign_state(conn, campaign_id=campaign.id, target=CampaignState.RUNNING)
    await services.pool.execute(
        "INSERT INTO sms_templates (name, body, campaign_id) VALUES ('Thông tin gói', $1, $2)", TEMPLATE, campaign.id)
    await services.pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, fields, timezones)"
        " VALUES ($1, '+84912345678', 'Lan', 'Nguyễn', $2, ARRAY['Asia/Ho_Chi_Minh'])", campaign.id,
        {"plan": "gia đình"})

    desk = await open_page(sms_system.url)
    await ui.sign_in(desk, "an", PASSWORD)
    await desk.goto("/agent")
    await desk.wait_for_selector("body[data-ws=up]")
    for _ in range(10):       # the engine takes up a campaign just started within its next sync (2 s)
        if await desk.get_attribute("body", "data-state") in (None, "logged_out"):
            await desk.click("#btn-login")
        try:
            await desk.wait_for_selector("body[data-state=ready], body[data-state=on_call]", timeout=2_000)
            break
        except PlaywrightTimeout:
            continue
    await desk.wait_for_selector("body[data-state=on_call]", timeout=20_000)
    await desk.click("#btn-hangup")
    await desk.wait_for_selector("body[data-state=wrap_up]", timeout=10_000)

    # --- after the call: pick the template, see it filled in for Lan, send it ---------------------------
    await desk.click("#sms-box summary")
    await desk.wait_for_selector("#sms-template option:nth-child(2)", state="attached")
    await desk.select_option("#sms-template", label="Thông tin gói")
    await desk.wait_for_selector("#btn-sms-send:not([disabled])")
    expected = "Chào Lan, An gửi anh/chị thông tin gói gia đình."
    assert await desk.locator("#sms-preview").inner_text() == expected
    assert "1 part(s), UCS-2" in await desk.locator("#sms-count").inner_text()
    await ui.shot(desk, "agent-panel-sms-preview")
    await desk.click("#btn-sms-send")
    await desk.wait_for_selector("#sms-result.ok")

    async def at_the_provider() -> bool:      # the provider's own log (it runs in this test's event loop)
        return [m.body for m in sms_sim.state.messages] == [expected]

    await ui.eventually(at_the_provider, timeout_s=15, what="the message in the simulated provider's log")
    await desk.wait_for_selector("#pop-sms tr[data-status=queued], #pop-sms tr[data-status=sent], "
                                 "#pop-sms tr[data-status=delivered]", timeout=10_000)
    await ui.shot(desk, "agent-panel-sms-sent")
    row = await services.pool.fetchrow("SELECT agent_id, status, provider FROM sms_messages WHERE body = $1", expected)
    assert row["agent_id"] == agent.id and row["provider"] == "sim" and row["status"] in ("queued", "sent", "delivered")
    assert desk.errors == []


@pytest.fixture
def sms_server(database_url: str, redis_url: str, tmp_path: Path) -> LiveServer:
    """The plain live server (no engine) with a provider configured (nothing is sent in this test)."""
    providers = json.dumps([{"name": "sim", "kind": "generic", "base_url": "http://127.0.0.1:9",
                             "credentials": {"api_token": "t", "webhook_secret": "w"}, "price_per_part": 0.02}])
    server = start_server(database_url, redis_url, tmp_path / "server", extra_env={"DIALER_SMS_PROVIDERS": providers})
    yield server
    stop_server(server)


async def test_a_team_lead_schedules_a_birthday_send(open_page, sms_server, worker, make_user, services, ui) -> None:
    await make_user(Role.TEAM_LEAD, "lena", display_name="Lena", language="vi")
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Sinh nhật", trunk_template="PJSIP/{number}@t", default_region="VN", timezone="Asia/Ho_Chi_Minh",
        window_profile="custom", custom_window=ALL_DAY))
    for phone, first in (("+84912345678", "Lan"), ("+84912345679", "Minh")):
        await services.pool.execute("INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, fields)"
                                    " VALUES ($1, $2, $3, '', $4)", campaign.id, phone, first, {"ngay_sinh": "17/05"})
    await services.pool.execute("INSERT INTO sms_templates (name, body, campaign_id) VALUES ('Chúc mừng', $1, $2)",
                                "Chúc mừng sinh nhật {{ lead.first_name }}!", campaign.id)

    page = await open_page(sms_server.url, "vi")
    await ui.sign_in(page, "lena", PASSWORD)
    await page.goto("/sms/sends")
    await page.select_option("select[name=template_id]", label="Chúc mừng")
    await page.select_option("select[name=campaign_id]", label="Sinh nhật")
    await page.fill("input[name=name]", "Sinh nhật khách hàng")
    await page.check("input[name=kind][value=birthday]")
    await page.fill("input[name=date_field]", "ngay_sinh")
    await page.fill("input[name=local_time]", "09:00")
    await page.click("#btn-estimate")
    await page.wait_for_selector("#sms-estimate", timeout=15_000)      # estimated by the worker, then shown
    assert await page.locator("#est-total").inner_text() == "2"           # two recipients, one part each
    assert await page.locator("#est-sample").inner_text() == "Chúc mừng sinh nhật Lan!"
    await ui.shot(page, "sms-birthday-estimate")
    await page.click("#btn-confirm")
    await page.wait_for_selector("#sms-send[data-state=active]")
    await page.goto("/sms/sends")
    row = page.locator("#sms-sends tr[data-state=active]")
    assert "ngay_sinh, 09:00" in await row.inner_text()
    await ui.shot(page, "sms-birthday-scheduled")
    send = await services.pool.fetchrow("SELECT kind, state, date_field, local_minute FROM sms_sends")
    assert tuple(send) == ("birthday", "active", "ngay_sinh", 9 * 60)
    assert page.errors == []
