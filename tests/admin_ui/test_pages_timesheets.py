"""The time sheet page: a team lead reads every agent's days and corrects one (kept beside the original, with who
and why), exports CSV and XLSX with no cell a spreadsheet would run; an agent reads only their own sheet."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import python_calamine

from dialer.users import Role
from tests.admin_ui.test_pages_reports import sign_in

DAY = "2026-11-02"
Q = f"from={DAY}&to={DAY}&tz=Asia/Ho_Chi_Minh"
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)            # 08:00 in Ho Chi Minh City


async def a_day(pool, user_id: int) -> None:  # type: ignore[no-untyped-def]
    """08:00 ready 1 h, talk 20 min, wrap-up 5 min, lunch 35 min, ready 2 h; signed out at 12:00 local."""
    at = T0
    for activity, minutes, reason in (("ready", 60, None), ("on_call", 20, None), ("wrap_up", 5, None),
                                      ("paused", 35, "lunch"), ("ready", 120, None)):
        await pool.execute(
            "INSERT INTO agent_history (user_id, engine_id, state, pause_reason, activity, started_at, ended_at)"
            " VALUES ($1, 'e', $2, $3, $4, $5, $6)", user_id, "paused" if activity == "paused" else "working",
            reason, activity, at, at + timedelta(minutes=minutes))
        at += timedelta(minutes=minutes)
    await pool.execute(
        "INSERT INTO call_records (agent_id, engine_id, leg_id, direction, phone_e164, originated_at, connected_at,"
        " ended_at, outcome) VALUES ($1, 'e', $2, 'outbound', '+84987654321', $3, $3, $4, 'handled')",
        user_id, f"leg-{user_id}", T0 + timedelta(minutes=60), T0 + timedelta(minutes=80))


def csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


async def test_a_team_lead_reads_corrects_and_exports_a_day(browser_client, make_user, services) -> None:  # type: ignore[no-untyped-def]
    ann = await make_user(Role.AGENT, "ts-ann", display_name="Ann")
    await a_day(services.pool, ann.id)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD, "ts-lead", display_name="Lena")).username)
    page = (await browser_client.get(f"/timesheets?{Q}")).text
    assert f'data-agent="{ann.id}" data-day="{DAY}"' in page
    for shown in ("08:00:00", "12:00:00", "4:00:00", "3:00:00", "0:20:00", "0:05:00", "0:35:00"):
        assert shown in page          # first login, last logout, logged in, ready, talk, wrap-up, lunch
    assert "lunch" in page and "Asia/Ho_Chi_Minh" in page

    # Ann forgot to sign out: she left at 11:30; the lead corrects the day, a note says why
    answer = await browser_client.post(f"/timesheets/corrections?{Q}", data={
        "csrf_token": csrf(page), "agent": str(ann.id), "day": DAY, "figure": "logged_in", "value": "3:30",
        "note": "=forgot to sign out, left 11:30"})
    assert answer.status_code == 303
    page = (await browser_client.get(answer.headers["location"])).text
    assert "Correction saved beside the original" in page
    assert '<span class="ts-original">4:00:00</span> → <strong class="ts-corrected"' in page and "3:30:00" in page
    assert "=forgot to sign out, left 11:30" in page and "Lena" in page
    assert 'class="num ts-logged-in-corrected">3:30:00<' in page     # the period's total a lead pays by
    assert await services.pool.fetchval("SELECT count(*) FROM agent_history WHERE user_id = $1", ann.id) == 5
    refused = await browser_client.post(f"/timesheets/corrections?{Q}", data={
        "csrf_token": csrf(page), "agent": str(ann.id), "day": DAY, "figure": "logged_in", "value": "3:75",
        "note": "typo"})
    assert refused.status_code == 400 and "not valid" in refused.text

    csv = await browser_client.get(f"/timesheets.csv?{Q}")
    assert csv.headers["content-type"].startswith("text/csv")
    head, row = csv.text.splitlines()[:2]
    assert head.startswith("agent,day,first_login (Asia/Ho_Chi_Minh),last_logout (Asia/Ho_Chi_Minh),logged_in_s,")
    assert row.startswith(f"Ann,{DAY},08:00:00,12:00:00,14400,10800,0,0,1200,300,0,2100,2100,1,yes,")
    assert "logged_in=3:30:00" in row and "'=forgot" not in row.split(",")[0]
    assert "logged_in: 4:00:00 -> 3:30:00 (=forgot" in row            # inside the text, not at a cell start
    xlsx = await browser_client.get(f"/timesheets.xlsx?{Q}")
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    assert book.sheet_names == ["Agent days", "Teams", "Corrections"]
    trail = book.get_sheet_by_name("Corrections").to_python()
    assert trail[1][:6] == ["Ann", DAY, "logged_in", "4:00:00", "3:30:00", "=forgot to sign out, left 11:30"]
    days = book.get_sheet_by_name("Agent days").to_python()
    assert days[1][4] == 14400


async def test_an_agent_reads_only_their_own_sheet_and_cannot_correct_it(browser_client, make_user,
                                                                         services) -> None:  # type: ignore[no-untyped-def]
    ann, bob = await make_user(Role.AGENT, "ts-ann2"), await make_user(Role.AGENT, "ts-bob2")
    await a_day(services.pool, ann.id)
    await a_day(services.pool, bob.id)
    await sign_in(browser_client, bob.username)
    page = (await browser_client.get(f"/timesheets?{Q}&agent={ann.id}")).text   # asking for Ann's: Bob's shown
    assert f'data-agent="{bob.id}"' in page and f'data-agent="{ann.id}"' not in page
    assert 'id="ts-correct"' not in page and "read only" in page
    answer = await browser_client.post(f"/timesheets/corrections?{Q}", data={
        "csrf_token": csrf(page), "agent": str(bob.id), "day": DAY, "figure": "logged_in", "value": "9:00",
        "note": "more"})
    assert answer.status_code == 403
    rows = (await browser_client.get(f"/timesheets.csv?{Q}&agent={ann.id}")).text.splitlines()
    assert len(rows) == 2 and rows[1].startswith("ts-bob2,")


async def test_compliance_officers_have_no_time_sheets_and_the_page_speaks_vietnamese(browser_client, make_user,
                                                                                      services) -> None:  # type: ignore[no-untyped-def]
    await sign_in(browser_client, (await make_user(Role.COMPLIANCE)).username)
    assert (await browser_client.get(f"/timesheets?{Q}")).status_code == 403
    await browser_client.post("/logout")
    browser_client.cookies.clear()
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD, language="vi")).username)
    page = (await browser_client.get(f"/timesheets?{Q}")).text
    assert "Bảng chấm công" in page and "Điều chỉnh một ngày" in page
