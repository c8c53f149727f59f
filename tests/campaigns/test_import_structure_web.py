"""Through the web upload, as a team lead does it: the header row proposed under a title row and changed,
duplicate columns shown by position and mapped, and one file that mixes every structural problem (also
through ``dialer list import``): every row is either a lead or a line of the rejects report."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest

from campaigns import repository
from dialer.cli import main
from dialer.users import Role
from tests.admin_ui.test_pages_campaigns import campaign_form, run_worker_burst, sign_in


def _options(page: str, select_id: str) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of a select on the page."""
    block = page.split(f'id="{select_id}"')[1].split("</select>")[0]
    found = []
    for part in block.split("<option ")[1:]:
        value = part.split('value="')[1].split('"')[0]
        label = unescape(part.split(">", 1)[1].split("</option")[0]).strip()
        found.append((value, label, "selected" in part.split(">", 1)[0]))
    return found


async def _campaign(browser_client, make_user, services, database_url, region: str = "VN") -> tuple[str, int]:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    created = await browser_client.post("/campaigns/new", data=campaign_form(
        csrf, name="Danh sách", default_region=region, timezone="Asia/Ho_Chi_Minh"))
    return csrf, int(created.headers["location"].split("/")[2].split("?")[0])


async def test_the_mapping_page_proposes_the_row_under_a_title_and_the_team_lead_can_change_it(
        browser_client, make_user, services, database_url, redis_url,
        xlsx_file: Callable[[list[list[object]]], Path]) -> None:
    csrf, campaign_id = await _campaign(browser_client, make_user, services, database_url)
    path = xlsx_file([["Khách hàng quý 1", None, None, None],
                      ["SĐT", "Họ và tên", "SĐT", None],
                      ["0912345678", "Nguyễn Văn An", "0987654321", "vip"],
                      ["0912345679", "Trần Thị Bình", None, None]])
    page = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                     files={"file": ("khach.xlsx", path.read_bytes(), "application/octet-stream")})
    assert page.status_code == 200
    text = unescape(page.text)
    assert "Row 2 is proposed as the header row: the row above it looks like a title." in text
    assert _options(page.text, "header-row") == [
        ("1", "Row 1: Khách hàng quý 1", False), ("2", "Row 2: SĐT | Họ và tên | SĐT", True),
        ("3", "Row 3: 0912345678 | Nguyễn Văn An | 0987654321 | vip", False),
        ("4", "Row 4: 0912345679 | Trần Thị Bình", False), ("none", "None: the first row is data", False)]
    columns = [(v, label, chosen) for v, label, chosen in _options(page.text, "map-phone") if v]
    assert columns == [("#1", "SĐT (column 1)", True), ("#2", "Họ và tên", False), ("#3", "SĐT (column 3)", False),
                       ("#4", "Column 4", False)]
    assert [v for v, _, chosen in _options(page.text, "map-full_name") if chosen] == ["#2"]
    upload = page.text.split('name="upload" value="')[1].split('"')[0]

    first = await browser_client.post(f"/campaigns/{campaign_id}/mapping", data={
        "csrf_token": csrf, "upload": upload, "filename": "khach.xlsx", "header_row": "1"})
    assert [label for v, label, _ in _options(first.text, "map-phone") if v] == [
        "Khách hàng quý 1", "Column 2", "Column 3", "Column 4"]
    assert 'id="header-note"' not in first.text
    none = await browser_client.post(f"/campaigns/{campaign_id}/mapping", data={
        "csrf_token": csrf, "upload": upload, "filename": "khach.xlsx", "header_row": "none"})
    assert [v for v, _, chosen in _options(none.text, "header-row") if chosen] == ["none"]
    assert 'name="header_row" value="none"' in none.text

    started = await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "khach.xlsx", "list_name": "Quý 1", "header_row": "2",
        "map_phone": "#1", "map_alt_phones": "#3", "map_full_name": "#2"})
    assert started.status_code == 303, started.text
    await run_worker_burst(database_url, redis_url)
    (call_list,) = await repository.list_lists(services.pool, campaign_id=campaign_id)
    assert call_list.status == "ready" and call_list.counts["imported"] == 2 and call_list.counts["rejected"] == 0
    leads = await repository.search_leads(services.pool, campaign_id=campaign_id)
    assert [(x.phone_e164, x.alt_phones, x.first_name, dict(x.fields)) for x in leads] == [
        ("+84912345678", ("+84987654321",), "Nguyễn Văn An", {"column_4": "vip"}),
        ("+84912345679", (), "Trần Thị Bình", {})]


async def test_a_mapping_by_an_ambiguous_name_is_refused_on_the_page_before_any_job(
        browser_client, make_user, services, database_url) -> None:
    csrf, campaign_id = await _campaign(browser_client, make_user, services, database_url)
    page = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf}, files={
        "file": ("dup.csv", b"Phone,Phone\n0912345678,0987654321\n", "text/csv")})
    upload = page.text.split('name="upload" value="')[1].split('"')[0]
    refused = await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "dup.csv", "header_row": "1", "map_phone": "Phone"})
    assert refused.status_code == 400
    assert "2 columns named &#39;Phone&#39;: choose one by position (#1 or #2)" in refused.text
    assert await repository.list_lists(services.pool, campaign_id=campaign_id) == []


MIXED = ("Danh sách khách hàng;;;;\n"                 # 1 a title row above the header
         "SĐT;Họ;Tên;SĐT;\n"                          # 2 the header: a repeated name, an empty cell
         "0912345601;Nguyễn;An;0987000001;vip\n"      # 3 imported
         "0912345602;Trần;Bình\n"                     # 4 too few fields
         "0912345603;Lê;Chi;;;extra\n"                # 5 too many fields
         "0912345604;Phạm;Dung;;;\n"                  # 6 empty fields after the last column: imported
         '0912345605;"Hoàng;Em;;\n'                   # 7 a quote that opens ...
         "0912345606;Vũ;Giang;;\n"                    # 8 swallowed
         "0912345607;Đặng;Hà;;\n"                     # 9 swallowed
         '0912345608;Bùi";Khánh;;\n'                  # 10 ... and closes here
         "not a phone;Đỗ;Lan;;\n"                     # 11 invalid
         "0912345609;Hồ;Minh;;\n"                     # 12 imported
         "0912345609;Hồ;Minh;;\n"                     # 13 duplicate in the file
         '0912345610;Ngô;"Nam;;\n'                    # 14 a quote the file ends inside
         "0912345611;Dương;Oanh;;\n")                 # 15 swallowed
EXPECTED_REJECTS = [("1", "above_header"), ("4", "malformed"), ("5", "malformed"), ("7", "unterminated_quote"),
                    ("8", "unterminated_quote"), ("9", "unterminated_quote"), ("10", "unterminated_quote"),
                    ("11", "invalid"), ("13", "duplicate_file"), ("14", "unterminated_quote"),
                    ("15", "unterminated_quote")]
EXPECTED_LEADS = [("+84912345601", "An", "Nguyễn", ("+84987000001",), {"column_5": "vip"}),
                  ("+84912345604", "Dung", "Phạm", (), {}), ("+84912345609", "Minh", "Hồ", (), {})]


def _report_kinds(text: str) -> list[tuple[str, str]]:
    return [(r["line"], r["kind"]) for r in csv.DictReader(io.StringIO(text))]


async def test_a_file_mixing_every_problem_through_the_web_upload(
        browser_client, make_user, services, database_url, redis_url) -> None:
    csrf, campaign_id = await _campaign(browser_client, make_user, services, database_url)
    page = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                     files={"file": ("mixed.csv", MIXED.encode("utf-8"), "text/csv")})
    assert page.status_code == 200
    assert [v for v, _, chosen in _options(page.text, "header-row") if chosen] == ["2"]
    assert [label for v, label, _ in _options(page.text, "map-phone") if v] == [
        "SĐT (column 1)", "Họ", "Tên", "SĐT (column 4)", "Column 5"]
    upload = page.text.split('name="upload" value="')[1].split('"')[0]
    started = await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "mixed.csv", "header_row": "2",
        "map_phone": "#1", "map_alt_phones": "#4", "map_last_name": "#2", "map_first_name": "#3"})
    assert started.status_code == 303
    await run_worker_burst(database_url, redis_url)
    (call_list,) = await repository.list_lists(services.pool, campaign_id=campaign_id)
    counts = call_list.counts
    assert (counts["rows"], counts["imported"], counts["rejected"]) == (13, 3, 10)
    assert (counts["malformed"], counts["unterminated_quote"], counts["invalid"]) == (2, 6, 1)
    leads = await repository.search_leads(services.pool, campaign_id=campaign_id)
    assert [(x.phone_e164, x.first_name, x.last_name, x.alt_phones, dict(x.fields)) for x in leads] == EXPECTED_LEADS
    report = await browser_client.get(f"/campaigns/{campaign_id}/lists/{call_list.id}/rejects.csv")
    assert _report_kinds(report.text) == EXPECTED_REJECTS


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    monkeypatch.setenv("DIALER_REDIS_URL", redis_url)
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIALER_ADMIN_PASSWORD", "admin-password-123")
    return tmp_path / "data"


async def test_the_same_file_through_the_command_line(cli_env: Path, tmp_path: Path, db_pool,  # type: ignore[no-untyped-def]
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert await asyncio.to_thread(main, ["campaign", "create", "Mixed", "--trunk", "PJSIP/{number}@carrier",
                                          "--region", "VN", "--timezone", "Asia/Ho_Chi_Minh"]) == 0
    path = tmp_path / "mixed.csv"
    path.write_text(MIXED, encoding="utf-8")
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["list", "import", "Mixed", str(path),
                                          "--map", "phone=#1,alt_phones=#4"]) == 0
    out = capsys.readouterr().out
    assert "row 2 holds the column names" in out and "13 rows, 3 leads imported, 10 rejected" in out
    report = (cli_env / "rejects" / "list-1-rejects.csv").read_text(encoding="utf-8")
    assert _report_kinds(report) == EXPECTED_REJECTS
    campaign = await repository.find_campaign(db_pool, ref="Mixed")
    leads = await repository.search_leads(db_pool, campaign_id=campaign.id)
    assert [(x.phone_e164, x.first_name, x.last_name, x.alt_phones, dict(x.fields)) for x in leads] == EXPECTED_LEADS


async def test_a_file_without_column_names_is_read_without_a_header_and_its_number_column_proposed(
        browser_client, make_user, services, database_url, redis_url) -> None:
    csrf, campaign_id = await _campaign(browser_client, make_user, services, database_url)
    content = "Nguyễn An;0912345678;Huế\nTrần Bình;091 234 5679;Hà Nội\n".encode()
    page = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                     files={"file": ("bare.csv", content, "text/csv")})
    assert page.status_code == 200
    assert "The first row looks like data, so the file is read without a header row" in unescape(page.text)
    assert [v for v, _, chosen in _options(page.text, "header-row") if chosen] == ["none"]
    assert [(v, label) for v, label, chosen in _options(page.text, "map-phone") if chosen] == [("#2", "Column 2")]
    upload = page.text.split('name="upload" value="')[1].split('"')[0]
    started = await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "bare.csv", "header_row": "none",
        "map_phone": "#2", "map_full_name": "#1"})
    assert started.status_code == 303
    await run_worker_burst(database_url, redis_url)
    leads = await repository.search_leads(services.pool, campaign_id=campaign_id)
    assert [(x.phone_e164, x.first_name, dict(x.fields)) for x in leads] == [
        ("+84912345678", "Nguyễn An", {"column_3": "Huế"}), ("+84912345679", "Trần Bình", {"column_3": "Hà Nội"})]
