"""What an import job says while it runs and when it ends is in the reader's language (issue 14).

The progress bar's message, the result and the error of ``GET /api/jobs/{id}``, the API list's ``error``,
the header row a web upload used, the file name in every error (the team lead's, never the stored
``list-xxxx.csv``), and a lead's time zone flag with the leads filter that finds flagged leads. A Vietnamese
team lead reads Vietnamese, an English one English; rows stored before codes show their stored text.
Real app, real PostgreSQL, the real ``dialer worker``.
"""

from __future__ import annotations

import html

from campaigns import repository
from dialer.users import Role
from tests.admin_ui.test_import_reasons_vi import LIST, REGISTRY, _campaign
from tests.admin_ui.test_pages_dnc import run_worker_burst, sign_in


async def _start(client, csrf: str, campaign_id: int, content: bytes, **form: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Upload ``khach-hang.csv`` through the web and start its import: (stored upload name, job id)."""
    mapping = await client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                files={"file": ("khach-hang.csv", content, "text/csv")})
    assert mapping.status_code == 200, mapping.text
    upload = mapping.text.split('name="upload" value="')[1].split('"')[0]
    started = await client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "khach-hang.csv", "map_phone": "#1", **form})
    assert started.status_code == 303, started.text
    return upload, started.headers["location"].split("job=")[1].split("#")[0]


async def test_a_list_imports_progress_and_result_are_in_the_readers_language(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    csrf = await sign_in(browser_client, lead.username)
    campaign_id = await _campaign(browser_client, csrf)
    _, job_id = await _start(browser_client, csrf, campaign_id, LIST.encode())
    await run_worker_burst(database_url, redis_url)
    job = (await browser_client.get(f"/api/jobs/{job_id}")).json()
    assert job["status"] == "finished", job
    assert job["message"] == "xong: đã nhập 1, bị từ chối 5"
    assert job["result"]["summary"] == "xong: đã nhập 1, bị từ chối 5"      # what the progress box shows
    assert (job["result"]["imported"], job["result"]["rejected"]) == (1, 5)      # the counts are still there
    # an English team lead reads the same job in English
    english = await make_user(Role.TEAM_LEAD, language="en")
    await sign_in(browser_client, english.username)
    job = (await browser_client.get(f"/api/jobs/{job_id}")).json()
    assert (job["message"], job["result"]["summary"]) == ("done: 1 imported, 5 rejected",) * 2


async def test_a_failed_list_import_says_why_in_vietnamese_naming_the_uploaded_file(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    csrf = await sign_in(browser_client, lead.username)
    campaign_id = await _campaign(browser_client, csrf)
    upload, job_id = await _start(browser_client, csrf, campaign_id, LIST.encode(), header_row="1")
    # the stored upload changes before the job reads it: its header row is now empty
    (services.settings.data_dir / "uploads" / upload).write_text(",,\n0912345678,Nguyễn,An\n", encoding="utf-8")
    await run_worker_burst(database_url, redis_url)
    why = "khach-hang.csv: dòng 1 trống nên không chứa tên cột"
    job = (await browser_client.get(f"/api/jobs/{job_id}")).json()
    assert (job["status"], job["error"]) == ("failed", why)
    (call_list,) = await repository.list_lists(services.pool, campaign_id=campaign_id)
    assert call_list.error == "khach-hang.csv: row 1 is empty, so it holds no column names"   # stored English
    shown = (await browser_client.get(f"/api/campaigns/{campaign_id}/lists/{call_list.id}")).json()
    assert shown["error"] == why
    assert [x["error"] for x in (await browser_client.get(f"/api/campaigns/{campaign_id}/lists")).json()] == [why]
    # a list that failed before reasons had codes shows its stored text
    await services.pool.execute("UPDATE lists SET error_code = '', error_params = '', error = 'disk full'"
                                " WHERE id = $1", call_list.id)
    shown = (await browser_client.get(f"/api/campaigns/{campaign_id}/lists/{call_list.id}")).json()
    assert shown["error"] == "disk full"


async def test_a_web_upload_records_the_header_row_it_was_read_with(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    lead = await make_user(Role.TEAM_LEAD, language="en")
    csrf = await sign_in(browser_client, lead.username)
    campaign_id = await _campaign(browser_client, csrf)
    titled = "Khách hàng quý 1,,\nSố điện thoại,Họ,Tên\n0912345678,Nguyễn,An\n".encode()
    await _start(browser_client, csrf, campaign_id, titled)                      # the proposed row: 2
    await _start(browser_client, csrf, campaign_id, b"0912345679,Chi\n0912345680,Dung\n", header_row="none")
    await run_worker_burst(database_url, redis_url)
    lists = (await browser_client.get(f"/api/campaigns/{campaign_id}/lists")).json()
    assert sorted((x["status"], str(x["header_row"])) for x in lists) == [("ready", "2"), ("ready", "none")]


async def test_a_registry_imports_progress_is_in_vietnamese(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    officer = await make_user(Role.COMPLIANCE, language="vi")
    csrf = await sign_in(browser_client, officer.username)
    response = await browser_client.post(
        "/dnc/import", data={"csrf_token": csrf, "list_name": "quoc-gia", "kind": "national"},
        files={"file": ("danh-ba.txt", REGISTRY.encode(), "text/plain")})
    job_id = response.headers["location"].split("job=")[1]
    await run_worker_burst(database_url, redis_url)
    job = (await browser_client.get(f"/api/jobs/{job_id}")).json()
    assert (job["status"], job["message"]) == ("finished", "đã đọc 5 dòng, 2 dòng không hợp lệ")


ZONED = "Số điện thoại,Tên,Múi giờ\n0912345678,An,Sao Hỏa/Olympus\n0912345679,Bình,Asia/Ho_Chi_Minh\n"


async def test_a_leads_time_zone_flag_is_shown_in_vietnamese_and_flagged_leads_can_be_filtered(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    csrf = await sign_in(browser_client, lead.username)
    campaign_id = await _campaign(browser_client, csrf)
    await _start(browser_client, csrf, campaign_id, ZONED.encode(), map_first_name="#2", map_timezone="#3")
    await run_worker_burst(database_url, redis_url)
    leads = {x.first_name: x for x in await repository.search_leads(services.pool, campaign_id=campaign_id)}
    assert set(leads) == {"An", "Bình"}
    page = html.unescape((await browser_client.get(f"/leads/{leads['An'].id}")).text)
    flag = page.split('id="lead-zone-flag"')[1].split("</td>")[0]
    assert "múi giờ 'Sao Hỏa/Olympus' không phải là múi giờ đã biết; dùng múi giờ" in flag, flag
    assert 'id="lead-zone-flag"' not in (await browser_client.get(f"/leads/{leads['Bình'].id}")).text
    # the leads list: only the flagged lead with the filter, both without it
    flagged = html.unescape((await browser_client.get(f"/leads?campaign={campaign_id}&flagged=1")).text)
    assert f'href="/leads/{leads["An"].id}"' in flagged and f'href="/leads/{leads["Bình"].id}"' not in flagged
    assert 'id="f-flagged" checked' in flagged
    every = (await browser_client.get(f"/leads?campaign={campaign_id}")).text
    assert f'href="/leads/{leads["An"].id}"' in every and f'href="/leads/{leads["Bình"].id}"' in every
    # a lead flagged before reasons had codes shows its stored text
    await services.pool.execute("UPDATE leads SET timezone_flag = 'time zone ''PST'' was not used',"
                                " timezone_flag_code = '', timezone_flag_params = '' WHERE id = $1", leads["An"].id)
    page = html.unescape((await browser_client.get(f"/leads/{leads['An'].id}")).text)
    assert "time zone 'PST' was not used</td>" in page


async def test_numbers_a_dnc_import_added_say_so_in_vietnamese_on_every_dnc_page(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    officer = await make_user(Role.COMPLIANCE, language="vi")
    csrf = await sign_in(browser_client, officer.username)
    response = await browser_client.post(
        "/dnc/import", data={"csrf_token": csrf, "list_name": "internal", "kind": "internal"},
        files={"file": ("tu-choi.txt", b"+84912345678\n+84912345679\n", "text/plain")})
    assert response.status_code == 303
    await run_worker_burst(database_url, redis_url)
    said = "nhập từ tệp tu-choi.txt"
    checked = html.unescape((await browser_client.get("/dnc?number=%2B84912345678")).text)
    assert f"<td>{said}</td>" in checked.split('id="dnc-entries"')[1]
    listed = html.unescape((await browser_client.get("/dnc/lists/internal")).text)
    assert listed.count(f"<td>{said}</td>") == 2 and "import of" not in listed
    trail = html.unescape((await browser_client.get("/dnc/audit")).text)
    assert f"<td>{said}</td>" in trail and "import of" not in trail
    # the CLI and the export keep the English text; a reason typed later replaces the import's
    assert await services.pool.fetchval("SELECT reason FROM dnc_entries WHERE number = '+84912345678'") \
        == "import of tu-choi.txt"
    added = await browser_client.post("/dnc/add", data={
        "csrf_token": csrf, "number": "+84912345679", "list_name": "internal", "reason": "khách gọi lên từ chối"})
    assert added.status_code == 303
    listed = html.unescape((await browser_client.get("/dnc/lists/internal")).text)
    assert listed.count(f"<td>{said}</td>") == 1 and "<td>khách gọi lên từ chối</td>" in listed


async def test_a_failed_dnc_import_says_why_in_vietnamese(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    officer = await make_user(Role.COMPLIANCE, language="vi")
    csrf = await sign_in(browser_client, officer.username)
    started = []
    for form in ({"list_name": "tu-choi", "kind": "internal", "column": "so_dien_thoai"},
                 {"list_name": "internal", "kind": "national"}):
        response = await browser_client.post("/dnc/import", data={"csrf_token": csrf, **form},
                                             files={"file": ("tu-choi.csv", b"phone\n+84912345678\n", "text/csv")})
        started.append(response.headers["location"].split("job=")[1])
    await run_worker_burst(database_url, redis_url)
    said = [(await browser_client.get(f"/api/jobs/{job_id}")).json() for job_id in started]
    assert [(job["status"], job["error"]) for job in said] == [
        ("failed", "không có cột tên 'so_dien_thoai' trong dòng tiêu đề ['phone']"),
        ("failed", "danh sách DNC 'internal' thuộc loại internal, không phải loại national")]
