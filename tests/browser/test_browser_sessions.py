"""Sessions that really end, in Debian's chromium: signing out, an admin signing someone out everywhere
(their open agent panel included) and resetting a password from the users page."""

from __future__ import annotations

import pytest

from dialer.users import Role

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


async def test_a_copied_cookie_is_worthless_after_signing_out(new_page, ui, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    page = await new_page()
    await ui.sign_in(page, lead.username, PASSWORD)
    saved = await page.context.cookies()
    async with page.expect_navigation():
        await page.click("form[action='/logout'] button")
    assert "/login" in page.url
    await page.context.add_cookies(saved)           # as if someone had kept a copy of the cookie
    await page.goto("/campaigns")
    assert "/login" in page.url
    assert "Your session has expired" in await page.locator("p.error").inner_text()
    assert page.errors == []


async def test_an_admin_signs_an_agent_out_everywhere_and_the_open_panel_closes(new_page, ui, make_user) -> None:
    await make_user(Role.AGENT, "mai", display_name="Mai")
    await make_user(Role.ADMIN, "boss", display_name="Boss")
    agent_page = await new_page()
    await ui.sign_in(agent_page, "mai", PASSWORD)
    await agent_page.goto("/agent")
    await agent_page.wait_for_selector("body[data-ws=up]")
    admin_page = await new_page()
    await ui.sign_in(admin_page, "boss", PASSWORD)
    await admin_page.goto("/admin/users")
    row = admin_page.locator("tr[data-username=mai]")
    assert await row.locator("td.sessions .num").inner_text() == "1"
    await ui.shot(admin_page, "users-sessions")
    async with admin_page.expect_navigation():
        await row.locator("form.signout button").click()
    assert "The user was signed out everywhere." in await admin_page.locator("p.notice").inner_text()
    assert await admin_page.locator("tr[data-username=mai] td.sessions .num").inner_text() == "0"
    # the panel answers the server's next heartbeat, is told its session is over and goes to sign-in
    await agent_page.wait_for_url("**/login?**", timeout=15_000)
    assert "Your session has expired" in await agent_page.locator("p.error").inner_text()
    assert admin_page.errors == []


async def test_an_admin_resets_a_password_and_the_user_signs_in_with_the_new_one(new_page, ui, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD, "quang")
    await make_user(Role.ADMIN, "chief", language="vi")
    lead_page = await new_page()
    await ui.sign_in(lead_page, "quang", PASSWORD)
    admin_page = await new_page(lang="vi")
    await ui.sign_in(admin_page, "chief", PASSWORD)
    await admin_page.goto("/admin/users")
    row = admin_page.locator("tr[data-username=quang]")
    await row.locator("form.reset-password input[name=new_password]").fill("mat khau moi rat dai")
    async with admin_page.expect_navigation():
        await row.locator("form.reset-password button").click()
    assert "Đã đặt lại mật khẩu" in await admin_page.locator("p.notice").inner_text()
    await ui.shot(admin_page, "users-password-reset-vi")
    await lead_page.goto("/campaigns")
    assert "/login" in lead_page.url
    await ui.sign_in(lead_page, lead.username, "mat khau moi rat dai")
    assert "/login" not in lead_page.url
    assert lead_page.errors == admin_page.errors == []


async def test_dialer_serve_ignores_x_forwarded_for_from_a_peer_that_is_not_a_configured_proxy(live_server) -> None:
    """``dialer serve`` itself (uvicorn would believe the header from 127.0.0.1 by default)."""
    import httpx

    async with httpx.AsyncClient(base_url=live_server.url) as client:
        statuses = []
        for i in range(4):                           # a new forged address for every try
            form = (await client.get("/login")).text
            token = form.split('name="csrf_token" value="')[1].split('"')[0]
            response = await client.post("/login", headers={"x-forwarded-for": f"192.0.2.{i + 1}"}, data={
                "username": "admin", "password": "not the password", "csrf_token": token})
            statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429]          # all four counted against 127.0.0.1
