"""In Debian's chromium: a team lead uploads an XLSX export whose first row is a title, sees the real
header row proposed (and said so), tries another row, comes back to the proposed one, confirms, and
finds the leads imported with the right fields."""

from __future__ import annotations

import pytest

from campaigns import repository
from dialer.safe_export import xlsx_bytes
from dialer.users import Role

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
EXPORT = [["Danh sách khách hàng tháng 1", None, None, None, None],
          ["Số điện thoại", "Họ", "Tên", "Số điện thoại", "Gói"],
          ["0912345678", "Nguyễn", "An", "0987654321", "Vàng"],
          ["0912345679", "Trần", "Bình", None, "Bạc"]]


async def test_the_header_row_under_a_title_is_proposed_confirmed_and_the_leads_imported(
        new_page, ui, make_user, services, worker, tmp_path) -> None:
    await make_user(Role.TEAM_LEAD, "linh", display_name="Linh")
    page = await new_page()
    await ui.sign_in(page, "linh", PASSWORD)
    await page.goto("/campaigns/new")
    await page.fill("input[name=name]", "Tháng 1")
    await page.fill("input[name=default_region]", "VN")
    await page.fill("input[name=timezone]", "Asia/Ho_Chi_Minh")
    await page.click("#campaign-form button[type=submit]")
    await page.wait_for_selector("text=The campaign was created.")
    campaign_id = int(page.url.split("/campaigns/")[1].split("?")[0])
    export = tmp_path / "khach-hang.xlsx"
    export.write_bytes(xlsx_bytes(EXPORT))
    await page.set_input_files("#upload-form input[type=file]", str(export))
    await page.click("#upload-form button[type=submit]")
    await page.wait_for_selector("#mapping-form")

    # the title row is recognised: row 2 is proposed, preselected, and the page says why
    assert "Row 2 is proposed as the header row: the row above it looks like a title." in \
        await page.locator("#header-note").inner_text()
    assert await page.locator("#header-row").input_value() == "2"
    assert await page.locator("#map-phone").input_value() == "#1"
    assert await page.locator("#map-last_name").input_value() == "#2"
    assert await page.locator("#map-first_name").input_value() == "#3"
    assert await page.locator("#map-phone option").all_inner_texts() == [
        "— not in the file —", "Số điện thoại (column 1)", "Họ", "Tên", "Số điện thoại (column 4)", "Gói"]
    await ui.shot(page, "list-header-proposed")

    # reading the columns from the title row instead finds no phone column; back to row 2
    await page.select_option("#header-row", "1")
    await page.click("#use-header-row")
    await page.wait_for_selector("#mapping-form")
    assert await page.locator("#map-phone").input_value() == ""
    assert await page.locator("#header-row").input_value() == "1"
    await page.select_option("#header-row", "2")
    await page.click("#use-header-row")
    await page.wait_for_selector("#mapping-form")
    assert await page.locator("#map-phone").input_value() == "#1"
    await page.select_option("#map-alt_phones", "#4")
    await ui.shot(page, "list-header-confirmed")
    await page.click("#start-import")
    await page.wait_for_selector("[data-job][data-status=finished]", timeout=60_000)

    (call_list,) = await repository.list_lists(services.pool, campaign_id=campaign_id)
    assert (call_list.counts["rows"], call_list.counts["imported"], call_list.counts["rejected"]) == (2, 2, 0)
    await page.goto(f"/leads?campaign={campaign_id}")
    table = await page.locator("#lead-table tbody").inner_text()
    assert "An Nguyễn" in table and "+84912345678" in table and "Bình Trần" in table and "+84912345679" in table
    await ui.shot(page, "list-header-leads")
    leads = await repository.search_leads(services.pool, campaign_id=campaign_id)
    assert [(x.phone_e164, x.first_name, x.last_name, x.alt_phones, dict(x.fields)) for x in leads] == [
        ("+84912345678", "An", "Nguyễn", ("+84987654321",), {"Gói": "Vàng"}),
        ("+84912345679", "Bình", "Trần", (), {"Gói": "Bạc"})]
    assert page.errors == []
