"""A report in Debian's chromium: a team lead opens the reports, sees the chart, filters to one queue per agent, and
downloads the CSV and the XLSX of what is on the screen (a disposition typed as a formula stays text in both)."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import python_calamine

from dialer.users import Role
from tests.admin_ui.test_report_figures import NOW, floor, record

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
FORMULA = '=HYPERLINK("http://evil.example","x")'


async def test_a_report_with_its_chart_a_filter_and_its_exports(open_page, live_server, make_user, services, ui,
                                                                 tmp_path: Path) -> None:
    spring, _, support, hoa, _ = await floor(services, make_user)
    await record(services.pool, leg="q-formula", at=NOW - timedelta(minutes=30), outcome="handled", agent_id=hoa.id,
                 queue_id=support.id, disposition=FORMULA, talk_s=40)
    await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    page = await open_page(live_server.url)
    await ui.sign_in(page, "lena", PASSWORD)
    await page.goto("/reports?days=1")
    chart = page.locator("#report-figures svg.chart")
    assert await chart.is_visible() and await chart.locator("rect.bar").count() == 2      # Spring and Autumn
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    assert await page.locator("#figures tbody tr").all_inner_texts() == [
        "Spring\t4\t2\t1\t33.3%\t2:30\t0:30\t1:30\t1", "Autumn\t1\t1\t0\t0.0%\t1:01\t0:00\t1:01\t0"]

    # the filter: the Support queue, per agent
    await page.locator("#report-filters select[name=queue]").select_option(str(support.id))
    await page.click("#report-show")
    await page.click("#report-groupings >> text=Per agent")
    await page.wait_for_url("**by=agent**")
    assert f"queue={support.id}" in page.url
    assert await page.locator("#figures tbody tr").all_inner_texts() == ["Hoa\t2\t2\t0\t0.0%\t1:10\t0:05\t0:37\t0"]
    assert await page.locator("#report-figures svg.chart rect.bar").count() == 1
    dispositions = await page.locator("#report-dispositions tbody tr td:first-child").all_inner_texts()
    assert FORMULA in dispositions and "resolved" in dispositions
    await ui.shot(page, "report-queue-per-agent")

    async with page.expect_download() as info:
        await page.click("#export-csv")
    csv_file = await info.value
    assert csv_file.suggested_filename == "agents-all-1d.csv"
    path = tmp_path / csv_file.suggested_filename
    await csv_file.save_as(path)
    assert path.read_text().splitlines() == [
        "agent,attempts,connects,handled,abandoned,abandon_rate,talk_s,wrap_s,average_handle_s,conversions",
        "Hoa,2,2,2,0,0.0,70,5,38,0"]

    async with page.expect_download() as info:
        await page.click("#report-dispositions >> text=Download XLSX")
    xlsx_file = await info.value
    path = tmp_path / xlsx_file.suggested_filename
    await xlsx_file.save_as(path)
    data = path.read_bytes()
    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["result", "label", "is_disposition", "conversion", "calls", "talk_s"]
    assert [FORMULA, FORMULA, True, False, 1.0, 40.0] in rows
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and 's="1"><is><t>=HYPERLINK(' in sheet         # text with Excel's quote prefix
    assert page.errors == []
