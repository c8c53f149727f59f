"""Small things a first day finds (issue 13): the 404 page, the campaign page's schedule, retry policy and
actions, the simulations page's inputs and day count, callbacks in the customer's zone, no server paths."""

from __future__ import annotations

from typing import Any

from dialer.users import Role

PASSWORD = "correct horse battery"


async def sign_in(client: Any, username: str) -> str:
    """Sign in through the login form (echoing its token when it has one); returns the session's CSRF token."""
    form = (await client.get("/login")).text
    token = form.split('name="csrf_token" value="')[1].split('"')[0] if 'name="csrf_token"' in form else ""
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/", "csrf_token": token})
    home = await client.get("/")
    return str(home.text.split('name="csrf-token" content="')[1].split('"')[0])


async def test_the_404_page_speaks_the_readers_language_and_keeps_the_menu(browser_client, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    await sign_in(browser_client, lead.username)
    for path in ("/no-such-page", "/campaigns/999999"):
        page = await browser_client.get(path)
        assert page.status_code == 404, path
        assert "Trang này không tồn tại." in page.text and "Hãy dùng menu phía trên" in page.text
        assert "Not Found" not in page.text and "there is no such campaign" not in page.text
        assert 'href="/campaigns"' in page.text and 'href="/wallboard"' in page.text   # the signed-in menu
        assert 'href="/"' in page.text


async def test_the_404_page_for_a_visitor_offers_home_and_sign_in(browser_client) -> None:
    page = await browser_client.get("/nothing-here", headers={"accept-language": "vi-VN,vi", "accept": "text/html"})
    assert page.status_code == 404
    assert "Trang này không tồn tại." in page.text and 'href="/login"' in page.text
