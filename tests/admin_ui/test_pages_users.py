"""Admin pages for users and roles, and each user's language, through the real app and database."""

from __future__ import annotations

import httpx

from dialer import users
from dialer.users import Role

PASSWORD = "correct horse battery"


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    """Sign in and return the session's CSRF token."""
    form = (await client.get("/login")).text  # the login form carries its CSRF token
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                      "csrf_token": token})
    home = await client.get("/")
    return home.text.split('name="csrf-token" content="')[1].split('"')[0]


async def test_an_admin_creates_a_user_who_can_then_sign_in(browser_client, make_user, services) -> None:
    admin = await make_user(Role.ADMIN)
    csrf = await sign_in(browser_client, admin.username)
    response = await browser_client.post("/admin/users", data={
        "csrf_token": csrf, "username": "tuan", "display_name": "Tuấn", "password": "mat khau dai du",
        "role": "agent", "language": "vi", "phone_dial_string": "PJSIP/tuan"})
    assert response.status_code == 303
    page = await browser_client.get("/admin/users?done=user_created")
    assert "The user was created." in page.text and "tuan" in page.text
    created = await users.authenticate(services.pool, username="tuan", password="mat khau dai du")
    assert created is not None and created.role is Role.AGENT and created.language == "vi"


async def test_a_bad_new_user_is_refused_with_a_clear_message_and_the_form_kept(browser_client, make_user) -> None:
    admin = await make_user(Role.ADMIN)
    csrf = await sign_in(browser_client, admin.username)
    response = await browser_client.post("/admin/users", data={
        "csrf_token": csrf, "username": "x y", "password": "short", "role": "agent", "language": "en"})
    assert response.status_code == 400
    assert "Not saved:" in response.text and "at least 10 characters" in response.text
    assert "Traceback" not in response.text


async def test_an_admin_changes_a_role_and_deactivates_a_user(browser_client, make_user, services) -> None:
    admin = await make_user(Role.ADMIN)
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, admin.username)
    response = await browser_client.post(f"/admin/users/{lead.id}", data={
        "csrf_token": csrf, "role": "compliance", "language": "en", "active": "0"})
    assert response.status_code == 303
    changed = await users.get_user(services.pool, lead.id)
    assert changed is not None and changed.role is Role.COMPLIANCE and not changed.active
    assert await users.authenticate(services.pool, username=lead.username, password=PASSWORD) is None


async def test_an_admin_cannot_deactivate_themselves(browser_client, make_user) -> None:
    admin = await make_user(Role.ADMIN)
    csrf = await sign_in(browser_client, admin.username)
    response = await browser_client.post(f"/admin/users/{admin.id}", data={"csrf_token": csrf, "active": "0"})
    assert response.status_code == 400
    assert "cannot deactivate yourself" in response.text


async def test_only_admins_reach_the_users_page(browser_client, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    await sign_in(browser_client, lead.username)
    response = await browser_client.get("/admin/users")
    assert response.status_code == 403
    assert "You do not have access to this page." in response.text


async def test_changing_users_without_the_csrf_token_is_refused(browser_client, make_user, services) -> None:
    admin = await make_user(Role.ADMIN)
    await sign_in(browser_client, admin.username)
    response = await browser_client.post("/admin/users", data={
        "username": "mallory", "password": "long enough pw", "role": "admin", "language": "en"})
    assert response.status_code == 403
    assert await users.authenticate(services.pool, username="mallory", password="long enough pw") is None


async def test_a_user_switches_the_interface_to_vietnamese(browser_client, make_user) -> None:
    agent = await make_user(Role.AGENT, display_name="Lan")
    csrf = await sign_in(browser_client, agent.username)
    response = await browser_client.post("/me/language", data={"csrf_token": csrf, "language": "vi"},
                                         headers={"referer": "http://testserver/"})
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = await browser_client.get("/")
    assert "Xin chào, Lan" in home.text and '<html lang="vi">' in home.text
