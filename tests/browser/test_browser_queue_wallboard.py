"""The wallboard in Debian's chromium shows each inbound queue's service level (the README rule, from the
queue's call records), its agents by state from the running engine, and links to the per-interval report
and the staffing page; in Vietnamese too."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from campaigns import queue_repository, repository
from campaigns.model import Campaign, DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer import users
from dialer.users import Role
from simulations.virtual_agents import virtual_phone
from tests.admin_ui.test_pages_queue_reports import five_callers, zone_away_from_midnight
from tests.browser.conftest import ROOT, LiveServer, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


async def test_the_wallboard_shows_the_queues_service_level(open_page, live_system, make_user, services, ui) -> None:
    base = live_system.url
    now = datetime.now(UTC)
    lena = await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    agent = await make_user(Role.AGENT, "an", display_name="An Pham")
    await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Hotline", "timezone": zone_away_from_midnight(now), "sl_target_pct": 80, "sl_threshold_s": 15}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={agent.id: 7})
    await five_callers(services, queue, now - timedelta(minutes=3))      # service level 2 / (3 + 1) = 50 %
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Blend", trunk_template="Local/{number}@from-dialer", dial_mode=DialMode.PREVIEW))
    async with services.pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[agent.id])

    lead = await open_page(base)
    await ui.sign_in(lead, "lena", PASSWORD)
    await ui.start_campaign(lead, campaign.id)
    desk = await open_page(base)
    await ui.sign_in(desk, "an", PASSWORD)
    await ui.agent_ready(desk)

    await lead.goto("/wallboard")
    tile = lead.locator(f"#wb-queues .wb-queue[data-queue='{queue.id}']")
    await tile.wait_for(timeout=10_000)
    assert "Hotline" in await tile.locator("h3").inner_text()
    assert await tile.locator("[data-q=sl_today]").inner_text() == "50.0%"
    assert await tile.locator("[data-q=sl_15]").inner_text() == "50.0%"
    assert await tile.locator("[data-q=abandoned_today]").inner_text() == "2"
    assert await tile.locator("[data-q=waiting_now]").inner_text() == "0"          # the engine runs: nobody holds
    assert await tile.locator("[data-q=agents] [data-state=ready]").inner_text() == "1"
    # the engine's estimate for a caller arriving now: the ready agent would take it at once
    assert await tile.locator("[data-q=estimated_wait]").inner_text() == "0:00"
    assert "Service level" in await tile.inner_text() and "Estimated wait" in await tile.inner_text()
    await ui.shot(lead, "wallboard-queue-service-level")

    await lead.click(f"#wb-queues a[href='/reports/queues/{queue.id}']")
    await lead.wait_for_selector("#queue-intervals")
    assert "50.0%" in await lead.locator("#queue-intervals tbody").inner_text()
    await ui.shot(lead, "queue-interval-report")
    await lead.goto(f"/queues/{queue.id}/staffing")
    await lead.wait_for_selector("#staffing-measured")
    assert "Agents logged in" in await lead.locator("#staffing-measured thead").inner_text()
    # the interval going on now: An has been signed in (agent_history) since a moment ago, so a number, not —
    now_cell = await lead.locator("#staffing-measured td[data-col=logged_in]").last.inner_text()
    assert re.fullmatch(r"\d+\.\d\d", now_cell), now_cell
    await ui.shot(lead, "queue-staffing")

    vi = await open_page(base, lang="vi")
    await users.update_user(services.pool, user_id=lena.id, language="vi")
    await ui.sign_in(vi, "lena", PASSWORD)
    await vi.goto("/wallboard")
    await vi.locator(f"#wb-queues .wb-queue[data-queue='{queue.id}']").wait_for(timeout=10_000)
    assert "Mức phục vụ hôm nay" in await vi.locator("#wb-queues").inner_text()
    assert "Thời gian chờ ước tính" in await vi.locator("#wb-queues").inner_text()
    await vi.goto(f"/queues/{queue.id}/staffing")
    assert "Nhân viên đăng nhập" in await vi.locator("#staffing-measured thead").inner_text()


@pytest.fixture
def inbound_system(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The web app, engine and simulated PBX with a trunk the test can call in through (live_inbound_app.py)."""
    server = start_server(database_url, redis_url, tmp_path / "system",
                          command=[sys.executable, str(Path(__file__).with_name("live_inbound_app.py"))],
                          extra_env={"PYTHONPATH": str(ROOT)})
    yield server
    stop_server(server)


async def test_a_caller_holding_shows_as_waiting_now_with_its_longest_wait(open_page, inbound_system, make_user,
                                                                          services, ui) -> None:
    did = "+842873001299"
    await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    agent = await make_user(Role.AGENT, "an", display_name="An Pham")     # serves the queue, not signed in
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Hotline", "dids": [did], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={agent.id: 5})
    lead = await open_page(inbound_system.url)
    await ui.sign_in(lead, "lena", PASSWORD)
    async with httpx.AsyncClient() as client:
        answer = await client.post(inbound_system.url + "/test/inbound",
                                   params={"caller": "84987654321", "did": did[1:]})
    assert answer.status_code == 200, answer.text
    tile = lead.locator(f"#wb-queues .wb-queue[data-queue='{queue.id}']")
    for _ in range(20):       # the engine hears of the caller within a moment; the page is read again
        await lead.goto("/wallboard")
        if await tile.locator("[data-q=waiting_now]").inner_text() == "1":
            break
        await lead.wait_for_timeout(500)
    assert await tile.locator("[data-q=waiting_now]").inner_text() == "1"
    await lead.wait_for_timeout(2_000)
    await lead.goto("/wallboard")
    longest = await tile.locator("[data-q=longest_wait]").inner_text()
    minutes, seconds = longest.split(":")
    assert 2 <= int(minutes) * 60 + int(seconds) < 120, longest
    assert await tile.locator("[data-q=agents] [data-state=logged_out]").inner_text() == "1"
    assert await tile.locator("[data-q=estimated_wait]").inner_text() == "no agent"   # nobody serves it now
    await ui.shot(lead, "wallboard-queue-caller-waiting")
