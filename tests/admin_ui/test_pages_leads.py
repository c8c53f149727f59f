"""Leads for team leads, over HTTP with a real PostgreSQL: search, edit, export (formulas neutralised), list
operations on the campaign page; agents and compliance officers are kept out."""

from __future__ import annotations

import io
import zipfile

import asyncpg
import pytest
from python_calamine import CalamineWorkbook

from campaigns import repository
from campaigns.model import Campaign, CampaignState
from dialer.users import Role
from dnc import repository as dnc_repo
from dnc.lists import ListKind
from tests.admin_ui.test_pages_campaigns import sign_in


async def _campaign(pool: asyncpg.Pool, name: str = "Tết") -> Campaign:
    return await repository.create_campaign(pool, campaign=Campaign(
        id=0, name=name, trunk_template="PJSIP/{number}@carrier", default_region="VN", timezone="Asia/Ho_Chi_Minh",
        state=CampaignState.RUNNING))


async def _lead(pool: asyncpg.Pool, campaign_id: int, phone: str, first: str = "", last: str = "", *,
                list_id: int | None = None, status: str = "new", outcome: str | None = None,
                fields: dict[str, str] | None = None) -> int:
    return await pool.fetchval(
        "INSERT INTO leads (campaign_id, list_id, phone_e164, first_name, last_name, status, last_outcome, fields,"
        " timezones) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{Asia/Ho_Chi_Minh}') RETURNING id",
        campaign_id, list_id, phone, first, last, status, outcome, fields or {})


@pytest.fixture
async def shop(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    pool = services.pool
    c = await _campaign(pool)
    lst = await repository.create_list(pool, campaign_id=c.id, name="khach-hang.csv", source_filename="k.csv")
    await pool.execute("UPDATE lists SET status = 'ready' WHERE id = $1", lst.id)
    return {
        "campaign": c.id, "list": lst.id,
        "an": await _lead(pool, c.id, "+84987654321", "Văn An", "Nguyễn", list_id=lst.id, status="done",
                          outcome="no_answer", fields={"city": "Hà Nội"}),
        "evil": await _lead(pool, c.id, "+84912345678", "=HYPERLINK(\"http://x\")", "@SUM(A1)", list_id=lst.id,
                            fields={"note": "-2+3", "city": "Huế"}),
    }


async def test_a_team_lead_finds_a_lead_by_any_number_format_or_a_name_without_accents(api_client, shop) -> None:
    async with api_client(Role.TEAM_LEAD) as client:
        for typed in ("0987 654 321", "+84987654321", "84-987-654-321", "nguyen van", "NGUYỄN"):
            found = (await client.get("/api/leads", params={"q": typed})).json()
            assert [lead["id"] for lead in found["leads"]] == [shop["an"]], typed
        page = (await client.get("/api/leads", params={"campaign": shop["campaign"], "status": "done",
                                                       "outcome": "no_answer", "list": shop["list"],
                                                       "tz": "Asia/Ho_Chi_Minh", "field": "city=hà"})).json()
        assert [lead["id"] for lead in page["leads"]] == [shop["an"]] and page["total"] == 1
        assert page["leads"][0]["campaign"] == "Tết" and page["leads"][0]["list"] == "khach-hang.csv"
        first = (await client.get("/api/leads", params={"limit": 1})).json()
        assert first["next_after"] == shop["an"] and first["total"] == 2
        rest = (await client.get("/api/leads", params={"limit": 1, "after": first["next_after"]})).json()
        assert [lead["id"] for lead in rest["leads"]] == [shop["evil"]]
        assert (await client.get("/api/leads", params={"q": "50%"})).json()["leads"] == []
        assert (await client.get("/api/leads", params={"status": "nope"})).status_code == 422


async def test_an_agent_or_a_compliance_officer_cannot_browse_edit_export_or_manage(api_client, shop) -> None:
    for role in (Role.AGENT, Role.COMPLIANCE):
        async with api_client(role) as client:
            for response in (
                await client.get("/api/leads"),
                await client.get(f"/api/leads/{shop['an']}"),
                await client.get("/api/leads/export.csv"),
                await client.get("/api/leads/export.xlsx"),
                await client.patch(f"/api/leads/{shop['an']}", json={"first_name": "x"}),
                await client.get("/api/lists", params={"campaign": shop["campaign"]}),
                await client.post(f"/api/lists/{shop['list']}/disable"),
                await client.post(f"/api/lists/{shop['list']}/reset", json={"statuses": ["done"]}),
                await client.delete(f"/api/lists/{shop['list']}"),
            ):
                assert response.status_code == 403, (role, response.request.url, response.text)


async def test_an_agent_signed_in_in_a_browser_gets_no_leads_page(browser_client, make_user, shop) -> None:
    agent = await make_user(Role.AGENT)
    await sign_in(browser_client, agent.username)
    for path in ("/leads", f"/leads/{shop['an']}", "/api/leads/export.csv"):
        response = await browser_client.get(path)
        assert response.status_code == 403, path
        assert "Nguyễn" not in response.text


async def test_an_edit_is_checked_like_an_import_and_audited_with_who(api_client, services, shop) -> None:
    async with services.pool.acquire() as conn:
        await dnc_repo.ensure_list(conn, name="internal", kind=ListKind.INTERNAL, actor="t", now=services.clock.now())
        await dnc_repo.add_entry(conn, list_name="internal", number="+84901234567", actor="t", reason="asked",
                                 now=services.clock.now())
    async with api_client(Role.TEAM_LEAD, "lan") as client:
        refused = await client.patch(f"/api/leads/{shop['an']}", json={"phone": "090 123 4567"})
        assert refused.status_code == 409 and refused.json()["detail"]["code"] == "dnc_phone"
        bad = await client.patch(f"/api/leads/{shop['an']}", json={"phone": "12"})
        assert bad.status_code == 409 and bad.json()["detail"]["code"] == "bad_phone"
        saved = await client.patch(f"/api/leads/{shop['an']}", json={"phone": "0912 000 111", "last_name": "Trần"})
        assert saved.status_code == 200, saved.text
        assert saved.json()["phone"] == "+84912000111" and saved.json()["last_name"] == "Trần"
        detail = (await client.get(f"/api/leads/{shop['an']}")).json()
        assert [(e["action"], e["actor"]) for e in detail["audit"]] == [("lead_edit", "lan")]
        assert detail["audit"][0]["detail"]["changes"]["last_name"] == ["Nguyễn", "Trần"]
        assert (await client.get("/api/leads/999999")).status_code == 404


async def test_a_leads_page_shows_its_calls_newest_first_with_the_agent(api_client, browser_client, make_user,
                                                                        services, shop) -> None:
    agent = await make_user(Role.AGENT, "mai", display_name="Mai")
    for leg, outcome, disposition, minute in (("l1", "no_answer", None, 1), ("l2", "handled", "sale", 5)):
        await services.pool.execute(
            "INSERT INTO call_records (campaign_id, lead_id, agent_id, engine_id, leg_id, direction, phone_e164,"
            " outcome, disposition, notes, originated_at) VALUES ($1, $2, $3, 'e', $4, 'outbound', '+84987654321',"
            " $5, $6, 'hẹn tuần sau', now() - make_interval(mins => 10 - $7))",
            shop["campaign"], shop["an"], agent.id if disposition else None, leg, outcome, disposition, minute)
    async with api_client(Role.TEAM_LEAD) as client:
        calls = (await client.get(f"/api/leads/{shop['an']}")).json()["calls"]
    assert [(c["outcome"], c["disposition"], c["agent"]) for c in calls] == [("handled", "sale", "Mai"),
                                                                             ("no_answer", None, "")]
    lead_user = await make_user(Role.TEAM_LEAD)
    await sign_in(browser_client, lead_user.username)
    page = (await browser_client.get(f"/leads/{shop['an']}")).text
    page = page[page.index('id="lead-calls"'):]
    assert page.index("Handled") < page.index("No answer") and "Mai" in page and "hẹn tuần sau" in page


async def test_exports_neutralise_formulas_in_csv_and_xlsx(api_client, shop) -> None:
    async with api_client(Role.TEAM_LEAD) as client:
        csv_response = await client.get("/api/leads/export.csv", params={"campaign": shop["campaign"]})
        assert csv_response.status_code == 200 and csv_response.headers["x-leads-total"] == "2"
        text = csv_response.content.decode("utf-8")
        assert text.startswith("\ufeffid,campaign,list,phone,first_name,last_name")
        assert text.splitlines()[0].endswith(",city,note")
        assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'-2+3" in text and "'+84912345678" in text
        assert "\n=" not in text and ",=" not in text and ",@" not in text
        assert "Hà Nội" in text and "Nguyễn" in text
        xlsx = await client.get("/api/leads/export.xlsx", params={"campaign": shop["campaign"]})
        assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
        sheet = zipfile.ZipFile(io.BytesIO(xlsx.content)).read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet, "no cell is a formula"
        rows = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0).to_python()
        assert rows[0][:4] == ["id", "campaign", "list", "phone"]
        evil = next(r for r in rows[1:] if r[0] == shop["evil"])
        assert evil[4] == '=HYPERLINK("http://x")' and evil[3] == "+84912345678", "kept as text, shown as written"


async def test_a_large_export_streams_every_lead_once(api_client, services) -> None:
    c = await _campaign(services.pool, "Big")
    await services.pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, first_name) SELECT $1, '+8490' || lpad(g::text, 7, '0'),"
        " 'Khách ' || g FROM generate_series(1, 4500) g", c.id)
    async with api_client(Role.TEAM_LEAD) as client:
        async with client.stream("GET", "/api/leads/export.xlsx", params={"campaign": c.id}) as response:
            pieces = [piece async for piece in response.aiter_bytes()]
        assert response.headers["x-leads-total"] == "4500"
        rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(pieces))).get_sheet_by_index(0).to_python()
        assert len(rows) == 4501 and len({r[3] for r in rows[1:]}) == 4500
        csv_text = (await client.get("/api/leads/export.csv", params={"campaign": c.id})).text
        lines = csv_text.strip().splitlines()
        assert len(lines) == 4501
        # an interrupted download resumes after the last id it received
        resumed = await client.get("/api/leads/export.csv", params={"campaign": c.id, "after": lines[3000].split(",")[0]})
        assert resumed.headers["x-leads-total"] == "1500"
        assert resumed.text.strip().splitlines()[1:] == lines[3001:]


async def test_an_export_too_big_for_one_excel_sheet_is_refused_in_the_readers_words(api_client, services,
                                                                                     monkeypatch) -> None:
    from admin_ui.routes import api_leads

    monkeypatch.setattr(api_leads, "XLSX_MAX_ROWS", 1)      # a sheet of one row, instead of a million leads
    c = await _campaign(services.pool, "Big")
    for n in range(2):
        await _lead(services.pool, c.id, f"+8490000000{n}")
    async with api_client(Role.TEAM_LEAD) as client:
        await services.pool.execute("UPDATE users SET language = 'vi' WHERE id = $1", client.user.id)
        refused = await client.get("/api/leads/export.xlsx", params={"campaign": c.id})
        assert refused.status_code == 422 and "hãy xuất CSV" in refused.json()["detail"]
        assert (await client.get("/api/leads/export.csv", params={"campaign": c.id})).status_code == 200


async def test_list_operations_through_the_api_are_counted_and_audited(api_client, services, shop) -> None:
    async with api_client(Role.TEAM_LEAD, "lan") as client:
        assert (await client.post(f"/api/lists/{shop['list']}/disable")).json() == {"held": 1}
        claimed = await repository.claim_leads(services.pool, campaign_id=shop["campaign"], limit=10, engine_id="e",
                                               now=services.clock.now())
        assert claimed == [], "a disabled list is not dialled"
        assert (await client.post(f"/api/lists/{shop['list']}/enable")).json() == {"dialable": 1}
        reset = await client.post(f"/api/lists/{shop['list']}/reset", json={"outcomes": ["no_answer"]})
        assert reset.json() == {"reset": 1}
        assert (await client.post(f"/api/lists/{shop['list']}/reset", json={"statuses": ["dnc"]})).status_code == 422
        assert (await client.post(f"/api/lists/{shop['list']}/recycle", json={"delay_s": 1800})).status_code == 200
        overview = (await client.get("/api/lists", params={"campaign": shop["campaign"]})).json()
        assert overview["lists"][0]["recycle_no_answer_s"] == 1800 and overview["lists"][0]["leads"] == {"new": 2}
        assert [e["action"] for e in overview["audit"]] == ["list_recycle", "list_reset", "list_enable", "list_disable"]
        assert (await client.delete(f"/api/lists/{shop['list']}")).json() == {"deleted_leads": 2}
        assert (await client.delete(f"/api/lists/{shop['list']}")).status_code == 404


async def test_the_pages_filter_edit_and_manage_lists_in_vietnamese(browser_client, make_user, services, shop) -> None:
    lead_user = await make_user(Role.TEAM_LEAD, "lan", language="vi")
    csrf = await sign_in(browser_client, lead_user.username)
    page = await browser_client.get("/leads", params={"campaign": shop["campaign"], "q": "0987654321"})
    assert page.status_code == 200 and "Nguyễn" in page.text and "=HYPERLINK" not in page.text
    assert "1 khách hàng" in page.text and "Xuất CSV" in page.text
    saved = await browser_client.post(f"/leads/{shop['an']}", data={
        "csrf_token": csrf, "phone": "+84987654321", "first_name": "An", "last_name": "Nguyễn", "postal_code": "",
        "timezones": "Asia/Ho_Chi_Minh", "fields": "city = Đà Nẵng"})
    assert saved.status_code == 303
    lead_page = await browser_client.get(saved.headers["location"])
    assert "Đã lưu thông tin khách hàng." in lead_page.text and "Đà Nẵng" in lead_page.text and "lan" in lead_page.text
    refused = await browser_client.post(f"/leads/{shop['an']}", data={"csrf_token": csrf, "phone": "12"})
    assert refused.status_code == 409 and "Đây không phải là số điện thoại hợp lệ." in refused.text
    forged = await browser_client.post(f"/leads/{shop['an']}", data={"first_name": "x"})
    assert forged.status_code == 403, "no CSRF token, no change"
    done = await browser_client.post(f"/campaigns/{shop['campaign']}/lists/{shop['list']}/manage",
                                     data={"csrf_token": csrf, "op": "reset", "outcome": "no_answer"})
    assert done.status_code == 303
    campaign_page = await browser_client.get(done.headers["location"])
    assert "Đã đặt lại khách hàng" in campaign_page.text and "Quản lý danh sách" in campaign_page.text
    assert 'data-action="list_reset"' in campaign_page.text and 'data-action="lead_edit"' in campaign_page.text


async def test_a_list_op_for_a_list_of_another_campaign_is_not_found(browser_client, make_user, services,
                                                                      shop) -> None:
    other = await _campaign(services.pool, "Other")
    lead_user = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead_user.username)
    response = await browser_client.post(f"/campaigns/{other.id}/lists/{shop['list']}/manage",
                                         data={"csrf_token": csrf, "op": "delete"})
    assert response.status_code == 404
    assert await services.pool.fetchval("SELECT count(*) FROM leads WHERE list_id = $1", shop["list"]) == 2


async def test_an_xlsx_download_given_up_half_way_stops_its_writer_thread(services) -> None:
    import asyncio
    import threading

    from admin_ui import lead_export
    from campaigns.lead_search import LeadQuery

    c = await _campaign(services.pool, "Big")
    await services.pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, first_name) SELECT $1, '+8490' || lpad(g::text, 7, '0'),"
        " repeat('x', 200) FROM generate_series(1, 20000) g", c.id)
    stream = lead_export.xlsx_chunks(services.pool, LeadQuery(campaign_ids=(c.id,)), [])
    first = await anext(stream)
    assert first.startswith(b"PK")
    await stream.aclose()                          # the browser went away
    for _ in range(40):
        if not any(t.name == "xlsx-export" for t in threading.enumerate()):
            break
        await asyncio.sleep(0.1)
    assert not any(t.name == "xlsx-export" for t in threading.enumerate())


def test_every_text_of_the_leads_pages_is_in_english_and_vietnamese() -> None:
    import re
    from pathlib import Path

    from admin_ui.i18n import MESSAGES
    from campaigns import list_admin

    templates = Path(__file__).resolve().parents[2] / "admin_ui" / "templates"
    keys: set[str] = set()
    for name in ("leads.html", "lead.html", "list_admin_panel.html"):
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", (templates / name).read_text()))
    refusals = set(re.findall(r'LeadEditRefused\(\s*"([a-z_]+)"', Path(list_admin.__file__).read_text()))
    refusals.add("bad_fields")                                   # the page's own (pages_leads._fields)
    keys |= {f"lead_refused_{code}" for code in refusals}
    keys |= {f"op_{action}" for action in ("lead_edit", "list_enable", "list_disable", "list_reset", "list_recycle",
                                           "list_delete")}
    keys |= {f"list_{op}" for op in ("enable", "disable", "reset", "recycle", "delete")}   # the notices
    missing = sorted(k for k in keys if not (MESSAGES.get(k, {}).get("en") and MESSAGES.get(k, {}).get("vi")))
    assert missing == []
    assert len(refusals) >= 9
