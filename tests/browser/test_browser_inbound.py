"""An agent takes an inbound call in Debian's chromium: a customer calls the Hotline's number (the simulated PBX's
trunk delivers it into the shipped ``dialer-inbound``), the engine routes it to the agent, whose Vietnamese panel
pops the queue, the time waited, the number the customer dialled, the customer's lead (found from a caller id
without its '+') with its history, and offers the queue's dispositions; the agent hangs up and sets one."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from admin_ui.i18n import MESSAGES
from campaigns import queue_repository, repository
from campaigns.model import Campaign, CampaignState, DialMode
from campaigns.queues import DAY_NAMES, Queue
from campaigns.windows import WindowProfile
from dialer import users
from dialer.users import Role
from simulations.virtual_agents import virtual_phone
from tests.browser.conftest import LiveServer, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
ALL_DAY = WindowProfile("custom", tuple(((0, 1440),) for _ in range(7)))
DID = "+842873001234"
ROOT = Path(__file__).resolve().parents[2]


def vi(key: str, **values: str) -> str:
    return MESSAGES[key]["vi"].format(**values)


@pytest.fixture
def inbound_system(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The web app, engine and simulated PBX (``live_inbound_app.py``: a trunk the test can call in through)."""
    server = start_server(database_url, redis_url, tmp_path / "system",
                          command=[sys.executable, str(Path(__file__).with_name("live_inbound_app.py"))],
                          extra_env={"PYTHONPATH": str(ROOT)})
    yield server
    stop_server(server)


async def test_an_agent_takes_an_inbound_call_with_its_pop(open_page, inbound_system, make_user, services, ui) -> None:
    agent = await make_user(Role.AGENT, "binh", display_name="Bình", language="vi")
    await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Khách hàng", trunk_template="Local/{number}@from-dialer", default_region="VN",
        timezone="Asia/Ho_Chi_Minh", window_profile="custom", custom_window=ALL_DAY, dial_mode=DialMode.PREVIEW))
    async with services.pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[agent.id])
        await repository.set_campaign_state(conn, campaign_id=campaign.id, target=CampaignState.RUNNING)
    lead_id = await services.pool.fetchval(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, timezones)"
        " VALUES ($1, '+84987654321', 'Lan', 'Nguyễn', ARRAY['Asia/Ho_Chi_Minh']) RETURNING id", campaign.id)
    await services.pool.execute(
        "INSERT INTO call_records (campaign_id, lead_id, agent_id, engine_id, leg_id, direction, phone_e164,"
        " dial_string, caller_id, originated_at, outcome, disposition, notes)"
        " VALUES ($1,$2,$3,'old','old-1','outbound','+84987654321','','',$4,'handled','sale','muốn gói xanh')",
        campaign.id, lead_id, agent.id, services.clock.now() - timedelta(days=3))
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES},
         "dispositions": [{"code": "resolved", "label": "Đã giải quyết"}, {"code": "escalated", "label": "Chuyển cấp"}]}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={agent.id: 5})

    page = await open_page(inbound_system.url, "vi")
    await ui.sign_in(page, "binh", PASSWORD)
    await ui.agent_ready_once_taken_up(page)

    # the carrier presents the caller id without its '+'
    async with httpx.AsyncClient() as http:
        answer = await http.post(inbound_system.url + "/test/inbound", params={"caller": "84987654321",
                                                                               "did": DID[1:]})
    assert answer.status_code == 200, answer.text
    await page.wait_for_selector("#pop:not([hidden])", timeout=15_000)
    await page.wait_for_selector("body[data-state=on_call]", timeout=15_000)
    assert await page.locator("#pop-name").inner_text() == "Lan Nguyễn"
    inbound = await page.locator("#pop-inbound").inner_text()
    assert vi("inbound_call_from_queue", queue="Hotline") in inbound
    assert vi("inbound_dialled", did=DID) in inbound and "đã chờ" in inbound
    assert "muốn gói xanh" in await page.locator("#pop-history").inner_text()
    assert await page.locator("#dispo-codes label").all_inner_texts() == ["Đã giải quyết", "Chuyển cấp"]
    assert await page.locator("#new-contact-form").is_hidden()

    await page.click("#btn-hangup")
    await page.wait_for_selector("body[data-state=wrap_up]", timeout=10_000)
    await page.check("#dispo-codes input[value=resolved]")
    await page.fill("#dispo-notes", "đã đổi gói")
    await page.click("#btn-dispose")
    await page.wait_for_selector("body[data-state=ready]", timeout=10_000)
    assert page.errors == []
    record = await services.pool.fetchrow(
        "SELECT direction, queue_id, did, agent_id, disposition, notes FROM call_records WHERE direction='inbound'")
    assert dict(record) == {"direction": "inbound", "queue_id": queue.id, "did": DID, "agent_id": agent.id,
                            "disposition": "resolved", "notes": "đã đổi gói"}


async def _ready_panel(open_page, base: str, username: str, lang: str, ui):  # type: ignore[no-untyped-def]
    page = await open_page(base, lang)
    await ui.sign_in(page, username, PASSWORD)
    await ui.agent_ready_once_taken_up(page)
    return page


async def test_an_agent_sends_its_customer_to_a_queue_and_the_queues_agent_sees_who_sent_it(
        open_page, inbound_system, make_user, services, ui) -> None:
    an = await make_user(Role.AGENT, "an", display_name="An")
    binh = await make_user(Role.AGENT, "binh", display_name="Bình", language="vi")
    for agent in (an, binh):
        await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Sales", trunk_template="Local/{number}@from-dialer", default_region="VN",
        timezone="Asia/Ho_Chi_Minh", window_profile="custom", custom_window=ALL_DAY, dial_mode=DialMode.PREVIEW))
    async with services.pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[an.id, binh.id])
        await repository.set_campaign_state(conn, campaign_id=campaign.id, target=CampaignState.RUNNING)
    await services.pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, timezones)"
        " VALUES ($1, '+84987654322', 'Minh', 'Trần', ARRAY['Asia/Ho_Chi_Minh'])", campaign.id)
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Support", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={binh.id: 5})

    sender = await _ready_panel(open_page, inbound_system.url, "an", "en", ui)
    receiver = await _ready_panel(open_page, inbound_system.url, "binh", "vi", ui)
    await receiver.select_option("#pause-reason", index=0)
    await receiver.click("#btn-pause")                 # Bình is away: the customer will hold in the queue
    await receiver.wait_for_selector("body[data-state=paused]")
    await sender.fill("#manual-number", "0987 654 322")
    await sender.click("#btn-manual")
    await sender.wait_for_selector("body[data-state=on_call]", timeout=15_000)
    assert await sender.locator("#pop-name").inner_text() == "Minh Trần"

    await sender.click("#transfer-box summary")
    await sender.wait_for_selector("#transfer-queue option:has-text('Support')", state="attached")
    await sender.select_option("#transfer-queue", label="Support")
    await sender.click("#btn-transfer-queue")
    await sender.wait_for_selector("body[data-state=wrap_up]", timeout=10_000)

    await receiver.click("#btn-ready")
    await receiver.wait_for_selector("body[data-state=on_call]", timeout=15_000)
    assert await receiver.locator("#pop-name").inner_text() == "Minh Trần"
    inbound = await receiver.locator("#pop-inbound").inner_text()
    assert vi("inbound_call_from_queue", queue="Support") in inbound and vi("inbound_sent_by", name="An") in inbound
    assert sender.errors == [] and receiver.errors == []
