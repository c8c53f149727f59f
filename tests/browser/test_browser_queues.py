"""A team lead creates an inbound queue in Debian's chromium: DIDs, business hours and overflow to another
queue; an overflow back to it is refused naming the loop; the page reads in Vietnamese too."""

from __future__ import annotations

import pytest

from campaigns import queue_repository as repo
from campaigns.queues import OverflowAction, Queue
from dialer.users import Role

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


async def test_a_team_lead_creates_a_queue_with_dids_hours_and_overflow(new_page, ui, make_user, services) -> None:  # type: ignore[no-untyped-def]
    backup = await repo.save_queue(services.pool, queue=Queue.from_dict({"name": "Backup", "timezone": "Asia/Ho_Chi_Minh"}))
    lead = await make_user(Role.TEAM_LEAD, "thu")
    page = await new_page()
    await ui.sign_in(page, lead.username, PASSWORD)
    await page.click("nav >> text=Queues")
    assert await page.locator("h1").inner_text() == "Inbound queues"
    await page.click("#new-queue")
    await page.fill("input[name=name]", "Hotline")
    await page.fill("textarea[name=dids]", "+84 28 7300 1234\n+84 28 7300 1235")
    await page.fill("input[name=timezone]", "Asia/Ho_Chi_Minh")
    for day in ("mon", "tue", "wed", "thu", "fri"):
        await page.fill(f"input[name=hours_{day}]", "08:00-12:00, 13:30-17:30")
    await page.fill("input[name=hours_sat]", "08:00-12:00")
    await page.select_option("select[name=holiday_calendar]", "US")
    await page.fill("input[name=max_waiting]", "15")
    await page.fill("input[name=max_wait_s]", "120")
    await page.select_option("select[name=overflow_action]", "queue")
    await page.select_option("select[name=overflow_queue_id]", label="Backup")
    await page.fill("input[name=sl_target_pct]", "90")
    await page.fill("input[name=sl_threshold_s]", "15")
    await ui.shot(page, "queue-form")
    async with page.expect_navigation():
        await page.click("#save-queue")
    assert "The queue was created." in await page.locator("p.notice.ok").inner_text()
    queue = next(q for q in await repo.list_queues(services.pool) if q.name == "Hotline")
    assert queue.dids == ("+842873001234", "+842873001235")
    assert queue.weekly[0] == ((480, 720), (810, 1050)) and queue.weekly[6] == ()
    assert (queue.overflow_action, queue.overflow_queue_id, queue.max_wait_s) == (OverflowAction.QUEUE, backup.id, 120)
    assert (queue.holiday_calendar, queue.sl_target, queue.sl_threshold_s) == ("US", 0.9, 15)

    # Backup overflowing back to Hotline would make a loop: refused, naming it, and the field is marked
    await page.goto(f"/queues/{backup.id}/edit")
    await page.fill("input[name=max_wait_s]", "60")
    await page.select_option("select[name=overflow_action]", "queue")
    await page.select_option("select[name=overflow_queue_id]", label="Hotline")
    await page.click("#save-queue")
    problem = await page.locator("p.notice.error").inner_text()
    assert problem == ("The queue was not saved. Overflow to queue: overflowing to 'Hotline' makes a loop: "
                       "Backup → Hotline → Backup")
    assert await page.locator("select[name=overflow_queue_id]").get_attribute("aria-invalid") == "true"
    await ui.shot(page, "queue-overflow-loop")

    await page.goto("/queues")
    row = page.locator("tr[data-queue=Hotline]")
    assert await row.locator(".dids").inner_text() == "+842873001234, +842873001235"
    async with page.expect_navigation():
        await page.select_option("#lang-select", "vi")
    assert await page.locator("h1").inner_text() == "Hàng đợi cuộc gọi đến"
    assert await row.locator(".open-now").inner_text() in ("đang mở", "đang đóng")
    await ui.shot(page, "queues-vi")
    assert page.errors == []
