"""A time sheet in Debian's chromium: a team lead opens an agent's day, corrects it (a forgotten sign-out) with a
note, sees the original beside the corrected figure, and exports the sheet as CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.users import Role
from tests.admin_ui.test_pages_timesheets import DAY, Q, a_day

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


async def test_a_team_lead_corrects_a_day_and_exports_the_sheet(open_page, live_server, make_user, services, ui,
                                                                 tmp_path: Path) -> None:
    await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    ann = await make_user(Role.AGENT, "ann", display_name="Ann")
    await a_day(services.pool, ann.id)            # 08:00-12:00 in Ho Chi Minh City, 35 min lunch
    page = await open_page(live_server.url)
    await ui.sign_in(page, "lena", PASSWORD)
    await page.goto(f"/timesheets?{Q}")
    row = page.locator(f"#ts-days tr[data-agent='{ann.id}'][data-day='{DAY}']")
    assert "4:00:00" in await row.locator(".ts-logged-in").inner_text()

    form = page.locator("#ts-correct")
    await form.locator("select[name=agent]").select_option(str(ann.id))
    await form.locator("input[name=day]").fill(DAY)
    await form.locator("select[name=figure]").select_option("last_logout")
    await form.locator("input[name=value]").fill("11:30")
    await form.locator("input[name=note]").fill("forgot to sign out")
    await form.locator("button[type=submit]").click()
    await page.wait_for_selector("p.notice[role=status]")
    corrected = row.locator(".ts-corrected")
    assert await corrected.inner_text() == "11:30:00"
    assert await corrected.get_attribute("title") == "forgot to sign out (Lena)"
    assert await row.locator(".ts-original").first.inner_text() == "12:00:00"     # the original stays beside it
    trail = page.locator("#ts-corrections tbody tr")
    assert await trail.count() == 1 and "forgot to sign out" in await trail.inner_text()

    async with page.expect_download() as info:
        await page.click("#ts-export-csv")
    download = await info.value
    path = tmp_path / download.suggested_filename
    await download.save_as(path)
    lines = path.read_text().splitlines()
    assert download.suggested_filename == f"timesheets-all-{DAY}-{DAY}.csv"
    assert lines[1].startswith(f"Ann,{DAY},08:00:00,12:00:00,14400,") and "last_logout=11:30:00" in lines[1]
    assert page.errors == []
