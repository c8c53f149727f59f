"""Every reason a team lead or compliance officer reads about an import is in their language (issue 14).

A Vietnamese team lead uploads a call list with a rounded number, a formula, a short row and an unterminated
quote, and reads why each row was refused in Vietnamese on the campaign page and in the rejects report;
a Vietnamese compliance officer imports a registry file with lines that are not numbers and reads the
summary and those lines in Vietnamese. Real app, real PostgreSQL, the real ``dialer worker``.
"""

from __future__ import annotations

import csv
import html
import io

from admin_ui.routes.pages_campaign_form import NEW_CAMPAIGN, form_values
from campaigns import repository
from dialer.users import Role
from tests.admin_ui.test_pages_dnc import run_worker_burst, sign_in

LIST = (
    "Số điện thoại,Họ,Tên\n"
    "0912345678,Nguyễn,An\n"
    "8.4971E+10,Trần,Bình\n"                                   # line 3: a spreadsheet rounded it
    '"=HYPERLINK(""tel:0912345679"")",Lê,Chi\n'                # line 4: a formula
    "0912345680,Phạm\n"                                        # line 5: a field short
    '0912345681,"Hoàng,Dũng\n'                                 # line 6: a quote never closed...
    "0912345682,Võ,Em\n"                                       # line 7: ...swallows this line
)
# what the Vietnamese team lead reads, line by line (the same in the report and on the page)
EXPECTED_VI = [
    (3, "invalid", "rounded_by_spreadsheet", "số đã bị bảng tính làm tròn: 8.4971E+10"),
    (4, "invalid", "formula", 'công thức không phải là số điện thoại: =HYPERLINK("tel:0912345679")'),
    (5, "malformed", "too_few_fields",
     "2 trường nhưng dòng tiêu đề có 3 (thiếu): mỗi dòng phải có số trường bằng dòng tiêu đề"),
    (6, "unterminated_quote", "unterminated_quote_eof",
     "dấu ngoặc kép mở ở dòng 6 không được đóng: tệp kết thúc khi dấu ngoặc vẫn mở; các dòng 6-7 không được nhập"),
    (7, "unterminated_quote", "swallowed_by_quote", "bị nuốt bởi dấu ngoặc kép không đóng mở ở dòng 6"),
]
ENGLISH_WORDS = ("number", "rounded", "formula", "fields", "quote", "line ", "swallowed", "imported")


async def _campaign(client, csrf: str) -> int:  # type: ignore[no-untyped-def]
    values = {k: ("1" if v is True else "" if v is False else str(v)) for k, v in form_values(NEW_CAMPAIGN).items()}
    values.update(name="Chăm sóc khách hàng", default_region="VN", timezone="Asia/Ho_Chi_Minh")
    created = await client.post("/campaigns/new", data={"csrf_token": csrf, **values})
    return int(created.headers["location"].split("/")[2].split("?")[0])


async def test_a_vietnamese_team_lead_reads_why_each_row_was_refused_in_vietnamese(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    csrf = await sign_in(browser_client, lead.username)
    campaign_id = await _campaign(browser_client, csrf)
    mapping = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                        files={"file": ("khach-hang.csv", LIST.encode(), "text/csv")})
    assert mapping.status_code == 200, mapping.text
    upload = mapping.text.split('name="upload" value="')[1].split('"')[0]
    started = await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "khach-hang.csv", "map_phone": "Số điện thoại",
        "map_last_name": "Họ", "map_first_name": "Tên"})
    assert started.status_code == 303
    await run_worker_burst(database_url, redis_url)
    (call_list,) = await repository.list_lists(services.pool, campaign_id=campaign_id)
    assert call_list.status == "ready", call_list.error
    assert (call_list.counts["imported"], call_list.counts["rejected"]) == (1, 5)

    # the rejects report: each reason in Vietnamese, its stable code in the last column
    report = await browser_client.get(f"/campaigns/{campaign_id}/lists/{call_list.id}/rejects.csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [(int(r["line"]), r["kind"], r["reason_code"], r["reason"]) for r in rows] == EXPECTED_VI
    assert not [r["reason"] for r in rows if any(word in r["reason"] for word in ENGLISH_WORDS)]

    # the campaign page: the same reasons under the list
    page = html.unescape((await browser_client.get(f"/campaigns/{campaign_id}")).text)
    shown = page.split('<details class="list-rejects"')[1].split("</details>")[0]
    for line, _, _, reason in EXPECTED_VI:
        assert f"dòng {line}: {reason}</li>" in shown, (line, shown)

    # a row stored before reasons had codes still shows its stored text
    await services.pool.execute("INSERT INTO import_rejects (list_id, line_no, kind, reason, raw)"
                                " VALUES ($1, 9, 'invalid', 'invalid phone number: 12', '12')", call_list.id)
    report = await browser_client.get(f"/campaigns/{campaign_id}/lists/{call_list.id}/rejects.csv")
    last = list(csv.DictReader(io.StringIO(report.text)))[-1]
    assert (last["line"], last["reason"], last["reason_code"]) == ("9", "invalid phone number: 12", "")


async def test_the_same_rejects_read_by_an_english_team_lead_are_in_english(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    lead = await make_user(Role.TEAM_LEAD, language="en")
    csrf = await sign_in(browser_client, lead.username)
    campaign_id = await _campaign(browser_client, csrf)
    mapping = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                        files={"file": ("list.csv", LIST.encode(), "text/csv")})
    upload = mapping.text.split('name="upload" value="')[1].split('"')[0]
    await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "list.csv", "map_phone": "#1"})
    await run_worker_burst(database_url, redis_url)
    (call_list,) = await repository.list_lists(services.pool, campaign_id=campaign_id)
    report = await browser_client.get(f"/campaigns/{campaign_id}/lists/{call_list.id}/rejects.csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [(r["reason_code"], r["reason"]) for r in rows[:3]] == [
        ("rounded_by_spreadsheet", "number was rounded by a spreadsheet: 8.4971E+10"),
        ("formula", 'a formula is not a phone number: =HYPERLINK("tel:0912345679")'),
        ("too_few_fields", ("2 fields but the header has 3 (too few): every row must have as many fields as the "
                            "header row"))]


REGISTRY = "+84912345678\nxin chào\n+8491\n+84912345679\n\n+84 91 234 5680\n"


async def test_a_vietnamese_compliance_officer_reads_a_registry_imports_bad_lines_in_vietnamese(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    officer = await make_user(Role.COMPLIANCE, language="vi")
    csrf = await sign_in(browser_client, officer.username)
    response = await browser_client.post(
        "/dnc/import", data={"csrf_token": csrf, "list_name": "quoc-gia", "kind": "national"},
        files={"file": ("danh-ba.txt", REGISTRY.encode(), "text/plain")})
    assert response.status_code == 303
    job_id = response.headers["location"].split("job=")[1]
    page = await browser_client.get(response.headers["location"])
    assert 'id="dnc-import-invalid"' in page.text            # where the page lists the lines the job reports
    await run_worker_burst(database_url, redis_url)
    status = (await browser_client.get(f"/api/jobs/{job_id}")).json()
    assert status["status"] == "finished", status
    result = status["result"]
    assert result["summary"].startswith("đã nhập 3 số vào quoc-gia (Danh bạ quốc gia) từ 5 dòng, "
                                        "2 dòng không hợp lệ; tệp danh bạ quoc-gia-"), result["summary"]
    assert result["examples"] == ["dòng 2: 'xin chào': không phải là số điện thoại", "dòng 3: '+8491': quá ngắn"]
    assert [(b["line"], b["code"]) for b in result["bad_lines"]] == [(2, "not_a_number"), (3, "too_short")]


async def test_the_mapping_page_says_why_a_choice_cannot_be_imported_in_vietnamese_naming_the_uploaded_file(
        browser_client, make_user, services) -> None:  # type: ignore[no-untyped-def]
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    csrf = await sign_in(browser_client, lead.username)
    campaign_id = await _campaign(browser_client, csrf)
    content = "Danh sách tháng 1,,\n,,\nSố điện thoại,Họ và tên,Tên\n0912345678,Nguyễn Văn An,An\n".encode()
    mapping = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                        files={"file": ("khach-hang.csv", content, "text/csv")})
    upload = mapping.text.split('name="upload" value="')[1].split('"')[0]
    # row 2 chosen as the header row: it is empty; row 40 is past the end. The errors name the file the team
    # lead uploaded, never the stored copy
    for header_row, said in (("2", "khach-hang.csv: dòng 2 trống nên không chứa tên cột"),
                             ("40", "khach-hang.csv: dòng 40 không thể là dòng tên cột")):
        page = await browser_client.post(f"/campaigns/{campaign_id}/mapping", data={
            "csrf_token": csrf, "upload": upload, "filename": "khach-hang.csv", "header_row": header_row})
        text = html.unescape(page.text)
        assert page.status_code == 400 and said in text, text
        assert f"{upload}:" not in text
    started = await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "khach-hang.csv", "header_row": "2", "map_phone": "#1"})
    text = html.unescape(started.text)
    assert started.status_code == 400 and "khach-hang.csv: dòng 2 trống" in text and f"{upload}:" not in text
    # the full name and the first name both mapped
    both = await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "khach-hang.csv", "header_row": "3",
        "map_phone": "#1", "map_full_name": "#2", "map_first_name": "#3"})
    assert both.status_code == 400
    assert "chỉ chọn cột họ và tên đầy đủ, hoặc cột họ và cột tên, không chọn cả hai" in html.unescape(both.text)


async def test_an_import_that_fails_in_its_job_says_why_in_vietnamese_on_the_campaign_page(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    csrf = await sign_in(browser_client, lead.username)
    campaign_id = await _campaign(browser_client, csrf)
    mapping = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                        files={"file": ("khach-hang.csv", LIST.encode(), "text/csv")})
    upload = mapping.text.split('name="upload" value="')[1].split('"')[0]
    started = await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "khach-hang.csv", "header_row": "1", "map_phone": "#1"})
    assert started.status_code == 303
    # the stored upload changes before the job reads it: its header row is now empty
    (services.settings.data_dir / "uploads" / upload).write_text(",,\n0912345678,Nguyễn,An\n", encoding="utf-8")
    await run_worker_burst(database_url, redis_url)
    (call_list,) = await repository.list_lists(services.pool, campaign_id=campaign_id)
    assert call_list.status == "failed" and "row 1 is empty" in call_list.error       # the stored English text
    page = html.unescape((await browser_client.get(f"/campaigns/{campaign_id}")).text)
    assert ": dòng 1 trống nên không chứa tên cột</div>" in page and "row 1 is empty" not in page
