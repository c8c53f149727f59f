"""Admin, compliance and team-lead pages in Debian's chromium: what people see, in both languages, and
the clear messages for bad forms, bad uploads and expired sessions."""

from __future__ import annotations

import pytest

from dialer import users
from dialer.users import Role

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


async def test_the_first_admin_creates_an_agent_and_switches_to_vietnamese(new_page, ui, services) -> None:
    page = await new_page()
    await page.goto("/")
    assert "/login" in page.url
    await ui.shot(page, "login")
    await ui.sign_in(page, "admin", ui.admin_password)
    assert await page.locator("h1").inner_text() == "Welcome, Administrator"
    assert await page.locator("#getting-started li").count() == 4
    await ui.shot(page, "home-admin-first-login")
    await page.click("text=Users")
    await page.fill("#new-user input[name=username]", "lan")
    await page.fill("#new-user input[name=display_name]", "Trần Thị Lan")
    await page.fill("#new-user input[name=password]", "mat khau rat dai")
    await page.select_option("#new-user select[name=language]", "vi")
    await page.fill("#new-user input[name=phone_dial_string]", "PJSIP/lan")
    await page.click("#new-user button[type=submit]")
    await page.wait_for_selector("text=The user was created.")
    assert await page.locator("tr[data-username=lan]").count() == 1
    await ui.shot(page, "users")
    async with page.expect_navigation():
        await page.select_option("#lang-select", "vi")
    assert await page.locator("h1").inner_text() == "Người dùng và vai trò"
    await ui.shot(page, "users-vi")
    created = await users.authenticate(services.pool, username="lan", password="mat khau rat dai")
    assert created is not None and created.language == "vi" and created.role is Role.AGENT
    agent_page = await new_page()
    await ui.sign_in(agent_page, "lan", "mat khau rat dai")
    assert await agent_page.locator("h1").inner_text() == "Xin chào, Trần Thị Lan"
    await agent_page.goto("/agent")
    await agent_page.wait_for_selector("body[data-ws=up]")
    assert "Bạn chưa được phân công" in await agent_page.locator("#login-box").inner_text()
    await ui.shot(agent_page, "agent-panel-vi-unassigned")
    assert page.errors == agent_page.errors == []


async def test_an_expired_session_sends_back_to_sign_in_with_a_message(new_page, ui, make_user, services) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    page = await new_page()
    await ui.sign_in(page, lead.username, PASSWORD)
    await page.goto("/campaigns")
    await users.set_password(services.pool, user_id=lead.id, password="a brand new password")  # ends its sessions
    await page.goto("/campaigns")
    assert "/login" in page.url
    assert "Your session has expired. Please sign in again." in await page.locator("p.error").inner_text()
    await ui.shot(page, "session-expired")
    await page.fill("input[name=username]", lead.username)
    await page.fill("input[name=password]", "a brand new password")
    await page.click("button[type=submit]")
    await page.wait_for_url("**/campaigns")        # back where the person was


async def test_bad_forms_and_uploads_give_clear_messages_and_never_a_traceback(new_page, ui, make_user, tmp_path) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    page = await new_page()
    await ui.sign_in(page, lead.username, PASSWORD)
    await page.goto("/campaigns/new")
    await page.fill("input[name=name]", "Mùa xuân")
    await page.fill("input[name=schedule_mon]", "9h to 5h")
    await page.fill("input[name=timezone]", "Asia/Ho_Chi_Minh")
    await page.click("#campaign-form button[type=submit]")
    problem = page.locator("p.notice.error")
    assert "schedule, mon: bad hours '9h to 5h'" in await problem.inner_text()
    assert await page.locator("input[name=name]").input_value() == "Mùa xuân"
    await ui.shot(page, "campaign-form-error")
    await page.fill("input[name=schedule_mon]", "09:00-17:00")
    await page.click("#campaign-form button[type=submit]")
    await page.wait_for_selector("text=The campaign was created.")
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n not a list")
    await page.set_input_files("#upload-form input[type=file]", str(picture))
    await page.click("#upload-form button[type=submit]")
    assert "Upload a CSV, TXT or Excel (.xlsx) file." in await page.locator("p.notice.error").inner_text()
    await ui.shot(page, "upload-error")
    no_phone = tmp_path / "names.csv"
    no_phone.write_text("name,city\nAn,Huế\n")
    await page.set_input_files("#upload-form input[type=file]", str(no_phone))
    await page.click("#upload-form button[type=submit]")
    await page.click("#start-import")
    assert "Choose the column that holds the phone number." in await page.locator("p.notice.error").inner_text()
    await page.goto("/campaigns/424242")
    # the 404 page says it in the reader's language and keeps the navigation (issue 13)
    assert "This page does not exist." in await page.locator("main").inner_text()
    assert "Use the menu above" in await page.locator("p.error").inner_text()
    assert await page.locator("nav a[href='/campaigns']").count() >= 1
    await ui.shot(page, "not-found")
    body = await page.content()
    assert "Traceback" not in body and page.errors == []


async def test_a_compliance_officer_manages_dnc_and_imports_a_registry_with_a_progress_bar(
        new_page, ui, make_user, worker, tmp_path) -> None:
    await make_user(Role.COMPLIANCE, "chi", display_name="Chi")
    page = await new_page()
    await ui.sign_in(page, "chi", PASSWORD)
    await page.goto("/dnc")
    await page.fill("#dnc-add input[name=number]", "0912 345 678")
    await page.fill("#dnc-add input[name=region]", "VN")
    await page.fill("#dnc-add input[name=reason]", "khách yêu cầu")
    await page.click("#dnc-add button[type=submit]")
    await page.wait_for_selector("text=+84912345678 may not be called: it is on internal.")
    await ui.shot(page, "dnc-check")
    await page.fill("#dnc-entries input[name=reason]", "added by mistake")
    await page.click("#dnc-entries button[type=submit]")
    await page.wait_for_selector("text=+84912345678 is on no do-not-call list.")
    await page.goto("/dnc/audit")
    actions = await page.locator("#audit tbody tr td:nth-child(3)").all_inner_texts()
    assert actions == ["removed", "added"]
    await ui.shot(page, "dnc-audit")
    registry = tmp_path / "registry.txt"
    registry.write_text("".join(f"+849{n:08d}\n" for n in range(5000)) + "garbage\n")
    await page.goto("/dnc/import")
    await page.set_input_files("#dnc-import input[type=file]", str(registry))
    await page.fill("#dnc-import input[name=list_name]", "national-vn")
    await page.click("#dnc-import button[type=submit]")
    await page.wait_for_selector("[data-job][data-status=finished]", timeout=60_000)
    result = await page.locator(".job-result").inner_text()
    assert "imported 5000 numbers into national-vn (National registry) from 5001 lines, 1 invalid" in result
    assert await page.locator(".progress > div").evaluate("e => e.style.width") == "100%"
    await ui.shot(page, "dnc-import-finished")
    assert page.errors == []


async def test_a_team_lead_simulates_a_campaign_and_reads_the_table_and_the_plot(
        new_page, ui, make_user, worker) -> None:
    await make_user(Role.TEAM_LEAD, "lan", display_name="Lan")
    page = await new_page()
    await ui.sign_in(page, "lan", PASSWORD)
    await page.click("nav.main-nav >> text=Simulations")
    await page.select_option("#sim-form select[name=scenario]", "agents5_connect12")
    await page.fill("#sim-form input[name=agents]", "6")
    await page.fill("#sim-form input[name=connect]", "zero")
    await page.click("#sim-form button[type=submit]")
    await page.wait_for_selector("text=the connect rate must be a number, got 'zero'")
    assert await page.locator("#sim-form input[name=agents]").input_value() == "6"
    await page.fill("#sim-form input[name=connect]", "15")
    await page.fill("#sim-form input[name=hours]", "2")
    await page.click("#sim-form button[type=submit]")
    await page.wait_for_selector("#sim-table", timeout=60_000)
    assert await page.locator("#sim-run h1").inner_text() == (
        "Simulation: 5 agents, 12% connect, changed to 6 agents, 15% connect")
    pacers = await page.locator("#sim-table tbody tr td:first-child").all_inner_texts()
    assert pacers == ["predictive", "progressive", "vicidial"]
    await page.wait_for_function("document.querySelector('#sim-plot').naturalWidth > 0")
    await ui.shot(page, "simulation-result")
    assert page.errors == []
