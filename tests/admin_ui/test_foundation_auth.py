"""Sign-in, roles, sessions, CSRF and the login rate limiter, through the real app and database."""

from __future__ import annotations

import httpx
import pytest

from dialer import users
from dialer.users import Role

PASSWORD = "correct horse battery"


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    form = (await client.get("/login")).text  # the login form carries its own CSRF token
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    return await client.post("/login", data={"username": username, "password": password, "next": "/",
                                             "csrf_token": token})


async def test_signing_in_sets_a_session_and_shows_what_the_role_can_do(browser_client, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    response = await sign_in(browser_client, lead.username)
    assert response.status_code == 303
    home = await browser_client.get("/")
    assert home.status_code == 200
    assert "Welcome, Lena" in home.text
    assert "Create and run campaigns" in home.text
    assert "Manage users and roles" not in home.text


async def test_a_wrong_password_is_refused_with_a_message(browser_client, make_user) -> None:
    agent = await make_user(Role.AGENT)
    response = await sign_in(browser_client, agent.username, "not the password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert (await browser_client.get("/")).status_code == 303  # still signed out: sent to /login


async def test_pages_redirect_to_login_when_signed_out(browser_client) -> None:
    response = await browser_client.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/")


async def test_guessing_passwords_is_slowed_down(browser_client, make_user, services) -> None:
    agent = await make_user(Role.AGENT)
    free = services.settings.login_failures_before_delay
    for _ in range(free):
        assert (await sign_in(browser_client, agent.username, "guess-guess-guess")).status_code == 401
    blocked = await sign_in(browser_client, agent.username)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    assert int(blocked.headers["retry-after"]) >= 1


async def test_the_api_enforces_roles(api_client) -> None:
    async with api_client(Role.AGENT) as client:
        assert (await client.get("/api/jobs/nonexistent")).status_code == 404  # signed in: route reached
    transport = httpx.ASGITransport(app=client._transport.app)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as anonymous:
        assert (await anonymous.get("/api/jobs/nonexistent")).status_code == 401


async def test_a_cookie_session_must_echo_its_csrf_token_to_change_anything(browser_client, make_user) -> None:
    user = await make_user(Role.ADMIN)
    await sign_in(browser_client, user.username)
    refused = await browser_client.post("/logout", data={})
    assert refused.status_code == 403
    home = await browser_client.get("/")
    token = home.text.split('name="csrf-token" content="')[1].split('"')[0]
    accepted = await browser_client.post("/logout", data={"csrf_token": token})
    assert accepted.status_code == 303


async def test_changing_a_users_role_ends_their_sessions(browser_client, make_user, services) -> None:
    user = await make_user(Role.TEAM_LEAD)
    await sign_in(browser_client, user.username)
    assert (await browser_client.get("/")).status_code == 200
    await users.update_user(services.pool, user_id=user.id, role=Role.AGENT)
    response = await browser_client.get("/")
    assert response.status_code == 303
    assert "expired=1" in response.headers["location"]


async def test_the_first_start_creates_one_admin_with_a_random_password(services) -> None:
    first = await users.ensure_admin(services.pool, password=None)
    second = await users.ensure_admin(services.pool, password=None)
    assert first is not None and len(first) >= 12
    assert second is None
    admin = await users.authenticate(services.pool, username="admin", password=first)
    assert admin is not None and admin.role is Role.ADMIN


async def test_two_first_starts_get_different_admin_passwords(db_pool, database_url) -> None:
    first = await users.ensure_admin(db_pool, password=None)
    await db_pool.execute("DELETE FROM users")
    second = await users.ensure_admin(db_pool, password=None)
    assert first != second


async def test_a_short_password_is_refused() -> None:
    with pytest.raises(users.UserError, match="at least"):
        users.hash_password("short")


async def test_healthz_reports_postgres_and_redis(browser_client) -> None:
    response = await browser_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["postgres"] == "ok" and body["redis"] == "ok"
