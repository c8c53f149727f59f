"""The team lead's leads page and list management in Debian's chromium: filter and search, edit a lead,
export what is shown (no formula in the file), give a list's no-answers another pass, disable a list."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from campaigns import repository
from campaigns.model import Campaign, CampaignState
from dialer.users import Role

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


async def _seed(pool) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    campaign = await repository.create_campaign(pool, campaign=Campaign(
        id=0, name="Tết 2027", trunk_template="PJSIP/{number}@carrier", default_region="VN",
        timezone="Asia/Ho_Chi_Minh", state=CampaignState.PAUSED))
    lst = await repository.create_list(pool, campaign_id=campaign.id, name="khach-hang.xlsx", source_filename="k.xlsx")
    await pool.execute("UPDATE lists SET status = 'ready' WHERE id = $1", lst.id)
    rows = [("+84987654321", "Văn An", "Nguyễn", "done", "no_answer", 5, {"city": "Hà Nội"}),
            ("+84912345678", "=HYPERLINK(\"http://evil\")", "Lê", "done", "no_answer", 5, {"city": "Huế"}),
            ("+84903000001", "Thị Ánh", "Trần", "done", "sale", 1, {"city": "Huế"}),
            ("+84903000002", "Minh", "Phạm", "new", None, 0, {"city": "Đà Nẵng"})]
    for phone, first, last, status, outcome, attempts, fields in rows:
        await pool.execute(
            "INSERT INTO leads (campaign_id, list_id, phone_e164, first_name, last_name, status, last_outcome, attempts,"
            " fields, timezones) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '{Asia/Ho_Chi_Minh}')",
            campaign.id, lst.id, phone, first, last, status, outcome, attempts, fields)
    return campaign.id, lst.id


async def test_a_team_lead_filters_edits_and_exports_leads(new_page, ui, make_user, services, tmp_path: Path) -> None:
    campaign_id, _ = await _seed(services.pool)
    await make_user(Role.TEAM_LEAD, "lan", display_name="Lan")
    page = await new_page()
    await ui.sign_in(page, "lan", PASSWORD)
    await page.click("nav.main-nav a[href='/leads']")
    await page.select_option("#f-campaign", str(campaign_id))
    await page.fill("#f-q", "0987 654 321")
    async with page.expect_navigation():
        await page.click("#f-submit")
    assert await page.locator("#lead-table tbody tr").count() == 1
    assert "Nguyễn" in await page.locator("#lead-table").inner_text()
    # accents, case and the other filters
    await page.fill("#f-q", "")
    await page.select_option("#f-status", "done")
    await page.select_option("#f-outcome", "no_answer")
    async with page.expect_navigation():
        await page.click("#f-submit")
    assert await page.locator("#lead-total").inner_text() == "2 leads"
    await page.fill("#f-q", "NGUYEN van")
    async with page.expect_navigation():
        await page.click("#f-submit")
    assert await page.locator("#lead-table tbody tr").count() == 1
    await ui.shot(page, "leads-filtered")
    # one lead: its page, an edit refused, then saved and in its history
    async with page.expect_navigation():
        await page.click("#lead-table tbody tr a")
    await page.fill("#e-phone", "0987 654")
    async with page.expect_navigation():
        await page.click("#e-save")
    assert "This is not a valid phone number." in await page.locator("p.notice.error").inner_text()
    await page.fill("#e-phone", "0987 654 321")
    await page.fill("#e-first", "Văn Bình")
    await page.fill("#e-fields", "city = Hải Phòng")
    async with page.expect_navigation():
        await page.click("#e-save")
    assert "The lead was saved." in await page.locator("p.notice.ok").inner_text()
    history = await page.locator("#lead-audit").inner_text()
    assert "Văn An → Văn Bình" in history and "lan" in history and "Hải Phòng" in history
    await ui.shot(page, "lead-edited")
    # the export of what the filters select: the whole campaign, a formula neutralised
    await page.goto(f"/leads?campaign={campaign_id}")
    async with page.expect_download() as download_info:
        await page.click("#export-csv")
    download = await download_info.value
    saved = tmp_path / "leads.csv"
    await download.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows[0][:6] == ["id", "campaign", "list", "phone", "first_name", "last_name"] and len(rows) == 5
    firsts = {r[4] for r in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\")" in firsts and "Văn Bình" in firsts
    async with page.expect_download() as xlsx_info:
        await page.click("#export-xlsx")
    xlsx = tmp_path / "leads.xlsx"
    await (await xlsx_info.value).save_as(xlsx)
    sheet = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
    assert len(sheet) == 5 and {r[3] for r in sheet[1:]} >= {"+84987654321", "+84912345678"}
    assert page.errors == []


async def test_a_team_lead_gives_a_lists_no_answers_another_pass_and_disables_it(new_page, ui, make_user,
                                                                                 services) -> None:
    campaign_id, list_id = await _seed(services.pool)
    await make_user(Role.TEAM_LEAD, "quang", language="vi")
    page = await new_page(lang="vi")
    await ui.sign_in(page, "quang", PASSWORD)
    await page.goto(f"/campaigns/{campaign_id}")
    row = page.locator(f"#list-admin-table tr[data-list='{list_id}']")
    assert "xong: 3" in await row.locator(".list-counts").inner_text()
    page.on("dialog", lambda dialog: dialog.accept())
    await row.locator("select[name=outcome]").select_option("no_answer")
    async with page.expect_navigation():
        await row.locator("form.list-reset button").click()
    assert "Đã đặt lại khách hàng" in await page.locator("p.notice.ok").inner_text()
    counts = await page.locator(f"#list-admin-table tr[data-list='{list_id}'] .list-counts").inner_text()
    assert "mới: 3" in counts and "xong: 1" in counts, counts
    reset_row = page.locator("#list-audit tr[data-action=list_reset]")
    assert "quang" in await reset_row.inner_text() and (await reset_row.locator("td.num").inner_text()) == "2"
    async with page.expect_navigation():
        await page.locator(f"#list-admin-table tr[data-list='{list_id}'] .list-toggle").click()
    assert await page.locator(f"#list-admin-table tr[data-list='{list_id}'] .list-active").inner_text() == "đã tắt"
    await ui.shot(page, "list-management-vi")
    claimed = await repository.claim_leads(services.pool, campaign_id=campaign_id, limit=10, engine_id="e",
                                           now=services.clock.now())
    assert claimed == [], "a disabled list is not dialled"
    assert page.errors == []
