"""Sessions that really end, and a login limiter that never locks a real user out.

Everything goes through the real app and PostgreSQL. The app runs on a virtual clock, so "an hour later"
is one call; each client has its own network address (the ASGI peer), as browsers on different machines.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from admin_ui.app import create_app
from admin_ui.auth import COOKIE_NAME, forwarded_client
from dialer import password_cost, users
from dialer.aio import wait_within
from dialer.clock import VirtualClock
from dialer.errors import SettingsError
from dialer.services import Services
from dialer.settings import load_settings
from dialer.users import LoginLimits, Role, login_wait_s

PASSWORD = "correct horse battery"
IDLE_S, MAX_AGE_S, PER_ADDRESS = 600, 3600, 8
PROXY = "10.0.0.7"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=datetime.now(timezone.utc))


@pytest.fixture
def svc(services: Services, clock: VirtualClock) -> Services:
    settings = services.settings.model_copy(update={
        "session_idle_s": IDLE_S, "session_max_age_s": MAX_AGE_S, "login_attempts_per_15min": PER_ADDRESS,
        "trusted_proxies": ["10.0.0.0/24"]})
    return dataclasses.replace(services, settings=settings, clock=clock)


@pytest.fixture
def browser(svc: Services) -> Callable[..., Any]:
    """``async with browser("198.51.100.7") as b:`` a cookie-keeping client connecting from that address."""
    app = create_app(svc)

    @asynccontextmanager
    async def open_browser(address: str = "198.51.100.7", **headers: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                     headers={"accept": "text/html", **headers}) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client

    return open_browser


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD,
                headers: dict[str, str] | None = None) -> httpx.Response:
    """The login form as a browser sends it: fetch the page, echo its token."""
    form = (await client.get("/login")).text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    return await client.post("/login", data={"username": username, "password": password, "next": "/",
                                             "csrf_token": token}, headers=headers or {})


def csrf_of(page: httpx.Response) -> str:
    return page.text.split('name="csrf-token" content="')[1].split('"')[0]


async def signed_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/")
    return response.status_code == 200


# --- sessions end on the server -------------------------------------------------------------------

async def test_a_cookie_used_after_logout_gets_401_from_the_api_and_the_login_page_from_pages(browser, make_user) -> None:
    agent = await make_user(Role.AGENT)
    async with browser() as b:
        assert (await login(b, agent.username)).status_code == 303
        stolen = b.cookies[COOKIE_NAME]
        assert (await b.post("/logout", data={"csrf_token": csrf_of(await b.get("/"))})).status_code == 303
    async with browser("192.0.2.99") as thief:
        thief.cookies.set(COOKIE_NAME, stolen)
        assert (await thief.get("/api/jobs/anything", headers={"accept": "application/json"})).status_code == 401
        page = await thief.get("/")
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=/&expired=1")


async def test_the_cookie_holds_only_a_signed_session_id(browser, make_user, svc) -> None:
    admin = await make_user(Role.ADMIN, "cookie-admin", display_name="Quỳnh Admin")
    async with browser() as b:
        await login(b, admin.username)
        value = b.cookies[COOKIE_NAME]
    content = URLSafeTimedSerializer(svc.settings.session_secret(), salt="dialer-session-id").loads(value)
    assert isinstance(content, str) and len(content) >= 40      # a random id, no user id, role or CSRF token
    assert "cookie-admin" not in content
    # the session row knows the user; the cookie alone, re-signed or altered, is nothing
    async with browser() as forger:
        forger.cookies.set(COOKIE_NAME, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
        assert not await signed_in(forger)


async def test_after_an_admin_resets_a_password_the_old_cookie_is_refused(browser, make_user, services) -> None:
    admin, lead = await make_user(Role.ADMIN), await make_user(Role.TEAM_LEAD)
    async with browser("198.51.100.20") as lead_browser, browser("198.51.100.21") as admin_browser:
        await login(lead_browser, lead.username)
        assert await signed_in(lead_browser)
        await login(admin_browser, admin.username)
        csrf = csrf_of(await admin_browser.get("/"))
        reset = await admin_browser.post(f"/admin/users/{lead.id}/password",
                                         data={"csrf_token": csrf, "new_password": "a fresh long password"})
        assert reset.status_code == 303 and reset.headers["location"] == "/admin/users?done=password_was_reset"
        page = await admin_browser.get("/admin/users?done=password_was_reset")
        assert "The password was reset and the user was signed out everywhere." in page.text
        assert not await signed_in(lead_browser)
        assert await signed_in(admin_browser)  # the admin's own session is untouched
        assert (await login(lead_browser, lead.username, "a fresh long password")).status_code == 303
        assert await signed_in(lead_browser)


async def test_a_password_change_anywhere_ends_the_sessions_opened_before_it(browser, make_user, services) -> None:
    agent = await make_user(Role.AGENT)
    async with browser() as b:
        await login(b, agent.username)
        await users.set_password(services.pool, user_id=agent.id, password="another long password")
        assert not await signed_in(b)


async def test_a_too_short_reset_password_is_refused_and_changes_nothing(browser, make_user) -> None:
    admin, agent = await make_user(Role.ADMIN), await make_user(Role.AGENT)
    async with browser("198.51.100.30") as a, browser("198.51.100.31") as b:
        await login(b, agent.username)
        await login(a, admin.username)
        refused = await a.post(f"/admin/users/{agent.id}/password",
                               data={"csrf_token": csrf_of(await a.get("/")), "new_password": "short"})
        assert refused.status_code == 400 and "at least 10 characters" in refused.text
        assert await signed_in(b)


async def test_an_idle_session_ends_and_an_active_one_keeps_working(browser, make_user, clock) -> None:
    idle, busy = await make_user(Role.AGENT), await make_user(Role.AGENT)
    async with browser("198.51.100.40") as idle_b, browser("198.51.100.41") as busy_b:
        await login(idle_b, idle.username)
        await login(busy_b, busy.username)
        for _ in range(4):                       # 4 x 500 s: far past the idle time, but used all along
            await clock.advance(IDLE_S - 100)
            assert await signed_in(busy_b)
        assert not await signed_in(idle_b)       # unused for 2000 s > 600 s
        response = await idle_b.get("/")
        assert "expired=1" in response.headers["location"]


async def test_a_session_ends_at_the_absolute_maximum_even_when_used(browser, make_user, clock) -> None:
    agent = await make_user(Role.AGENT)
    async with browser() as b:
        await login(b, agent.username)
        used_until = 0
        while used_until + 500 < MAX_AGE_S:
            await clock.advance(500)
            used_until += 500
            assert await signed_in(b)
        await clock.advance(MAX_AGE_S - used_until + 1)
        assert not await signed_in(b)


async def test_an_admin_signs_a_user_out_everywhere_from_the_users_page(browser, make_user) -> None:
    admin, agent = await make_user(Role.ADMIN), await make_user(Role.AGENT, "everywhere-agent")
    async with (browser("198.51.100.50") as desk, browser("198.51.100.51") as laptop,
                browser("198.51.100.52") as a):
        await login(desk, agent.username)
        await login(laptop, agent.username)
        await login(a, admin.username)
        page = await a.get("/admin/users")
        row = page.text.split('data-username="everywhere-agent"')[1].split("</tr>")[0]
        assert '<span class="num">2</span>' in row and "Sign out everywhere" in row
        response = await a.post(f"/admin/users/{agent.id}/signout", data={"csrf_token": csrf_of(page)})
        assert response.status_code == 303
        page = await a.get(response.headers["location"])
        assert "The user was signed out everywhere." in page.text
        row = page.text.split('data-username="everywhere-agent"')[1].split("</tr>")[0]
        assert '<span class="num">0</span>' in row
        assert not await signed_in(desk) and not await signed_in(laptop)
        assert await signed_in(a)


async def test_the_users_page_speaks_vietnamese_for_the_new_buttons(browser, make_user) -> None:
    admin = await make_user(Role.ADMIN, language="vi")
    async with browser() as a:
        await login(a, admin.username)
        page = (await a.get("/admin/users")).text
    assert "Đăng xuất mọi nơi" in page and "Đặt lại mật khẩu" in page and "Phiên" in page


async def test_the_api_signs_a_user_out_and_resets_a_password(browser, api_client, make_user) -> None:
    agent = await make_user(Role.AGENT)
    async with browser("198.51.100.60") as one, browser("198.51.100.61") as two:
        await login(one, agent.username)
        await login(two, agent.username)
        async with api_client(Role.ADMIN) as admin_api:
            listed = {u["id"]: u for u in (await admin_api.get("/api/users")).json()}
            assert listed[agent.id]["open_sessions"] == 2
            out = await admin_api.post(f"/api/users/{agent.id}/signout")
            assert out.status_code == 200 and out.json()["revoked"] == 2
            assert not await signed_in(one) and not await signed_in(two)
            await login(one, agent.username)
            bad = await admin_api.post(f"/api/users/{agent.id}/password", json={"password": "short"})
            assert bad.status_code == 422 and "at least 10 characters" in bad.json()["detail"]
            reset = await admin_api.post(f"/api/users/{agent.id}/password", json={"password": "new and long enough"})
            assert reset.status_code == 200 and reset.json()["revoked"] == 1
            assert not await signed_in(one)
            assert (await admin_api.post("/api/users/999999/signout")).status_code == 404
        async with api_client(Role.TEAM_LEAD) as lead_api:
            assert (await lead_api.post(f"/api/users/{agent.id}/signout")).status_code == 403


class _Socket:
    """Just enough of a websocket client to drive the ASGI app on the test's own event loop."""

    def __init__(self, app: Any, path: str, query: str, cookie: str) -> None:
        self.scope = {"type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": path,
                      "raw_path": path.encode(), "query_string": query.encode(), "subprotocols": [], "state": {},
                      "headers": [(b"host", b"testserver"), (b"origin", b"http://testserver"),
                                  (b"cookie", f"{COOKIE_NAME}={cookie}".encode())],
                      "client": ("198.51.100.70", 50000), "server": ("testserver", 80)}
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task = asyncio.create_task(app(self.scope, self.inbox.get, self.outbox.put))

    async def accepted(self) -> bool:
        await self.inbox.put({"type": "websocket.connect"})
        return (await wait_within(self.outbox.get(), 5))["type"] == "websocket.accept"

    async def send(self, message: dict[str, Any]) -> None:
        await self.inbox.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def until_closed(self) -> tuple[int, list[str]]:
        kinds: list[str] = []
        while True:
            event = await wait_within(self.outbox.get(), 5)
            if event["type"] == "websocket.close":
                return event.get("code", 1000), kinds
            kinds.append(json.loads(event["text"])["type"])

    async def close(self) -> None:
        await self.inbox.put({"type": "websocket.disconnect", "code": 1000})
        try:
            await wait_within(self.task, 5)
        except (TimeoutError, asyncio.CancelledError):
            self.task.cancel()


async def test_signing_an_agent_out_everywhere_closes_their_open_panel(browser, make_user, services) -> None:
    agent = await make_user(Role.AGENT)
    async with browser() as b:
        await login(b, agent.username)
        csrf = csrf_of(await b.get("/"))
        socket = _Socket(b.app, "/agent/ws", f"csrf={csrf}", b.cookies[COOKIE_NAME])  # type: ignore[attr-defined]
        try:
            assert await socket.accepted()
            await users.revoke_user_sessions(services.pool, user_id=agent.id)
            await socket.send({"type": "ping"})          # the panel pings every 25 s
            code, kinds = await socket.until_closed()
            assert code == 4401 and "expired" in kinds and "pong" not in kinds
        finally:
            await socket.close()


async def test_logging_out_in_one_tab_closes_the_panel_of_that_session(browser, make_user) -> None:
    agent = await make_user(Role.AGENT)
    async with browser() as b:
        await login(b, agent.username)
        csrf = csrf_of(await b.get("/"))
        socket = _Socket(b.app, "/agent/ws", f"csrf={csrf}", b.cookies[COOKIE_NAME])  # type: ignore[attr-defined]
        try:
            assert await socket.accepted()
            await b.post("/logout", data={"csrf_token": csrf})
            await socket.send({"type": "ping"})
            code, _ = await socket.until_closed()
            assert code == 4401
        finally:
            await socket.close()


# --- the login form --------------------------------------------------------------------------------

async def test_a_login_post_without_the_forms_csrf_token_is_refused(browser, make_user) -> None:
    agent = await make_user(Role.AGENT)
    async with browser() as b:
        bare = await b.post("/login", data={"username": agent.username, "password": PASSWORD, "next": "/"})
        assert bare.status_code == 403 and "The sign-in form expired" in bare.text
        assert COOKIE_NAME not in b.cookies
        await b.get("/login")                                     # a token cookie, but the form echoes another
        forged = await b.post("/login", data={"username": agent.username, "password": PASSWORD,
                                              "csrf_token": "made-up"})
        assert forged.status_code == 403 and COOKIE_NAME not in b.cookies
        assert (await login(b, agent.username)).status_code == 303  # the real form works


async def test_a_token_from_another_browser_does_not_sign_in_this_one(browser, make_user) -> None:
    agent = await make_user(Role.AGENT)
    async with browser("198.51.100.80") as attacker, browser("198.51.100.81") as victim:
        form = (await attacker.get("/login")).text
        token = form.split('name="csrf_token" value="')[1].split('"')[0]
        await victim.get("/login")                                # the victim has a token cookie of their own
        response = await victim.post("/login", data={"username": agent.username, "password": PASSWORD,
                                                     "csrf_token": token})
        assert response.status_code == 403


# --- the login limiter -----------------------------------------------------------------------------

def test_delays_grow_per_username_and_address_after_three_free_failures() -> None:
    limits, now = LoginLimits(), datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)

    def wait(failures: int) -> float:
        return login_wait_s(pair_failures=failures, last_pair_failure=now, address_full_since=None, now=now,
                            limits=limits)

    assert [wait(n) for n in range(8)] == [0, 0, 0, 2, 4, 8, 16, 32]
    assert wait(40) == 900                               # capped at 15 minutes
    later = login_wait_s(pair_failures=4, last_pair_failure=now - timedelta(seconds=3), address_full_since=None,
                         now=now, limits=limits)
    assert later == 1                                    # the delay runs from the last failure
    full = login_wait_s(pair_failures=0, last_pair_failure=None, address_full_since=now - timedelta(minutes=5),
                        now=now, limits=limits)
    assert full == 600                                   # a full address waits until the window frees it


async def test_after_three_failures_even_the_right_password_waits_and_the_wait_grows(browser, make_user, clock) -> None:
    agent = await make_user(Role.AGENT)
    async with browser() as b:
        for _ in range(3):
            assert (await login(b, agent.username, "wrong guess here")).status_code == 401
        slowed = await login(b, agent.username)
        assert slowed.status_code == 429 and slowed.headers["retry-after"] == "2"
        assert "Too many failed sign-ins. Wait 2 seconds" in slowed.text
        await clock.advance(2)
        assert (await login(b, agent.username, "wrong again here")).status_code == 401
        assert (await login(b, agent.username)).headers["retry-after"] == "4"
        await clock.advance(4)
        assert (await login(b, agent.username)).status_code == 303


async def test_a_flood_of_wrong_passwords_from_one_address_does_not_lock_out_the_user_elsewhere(
        browser, make_user, clock) -> None:
    victim = await make_user(Role.AGENT, "victim")
    async with browser("203.0.113.66") as attacker, browser("198.51.100.7") as office:
        refused = [(await login(attacker, "victim", f"guess number {i}")).status_code for i in range(12)]
        for name in ("admin", "root", "victim2", "boss", "lan", "tuan", "mai"):   # then across usernames
            await login(attacker, name, "guess guess guess")
        assert (await login(office, victim.username)).status_code == 303    # the real user is not locked out
        assert await signed_in(office)
        assert refused[:3] == [401, 401, 401] and set(refused[3:]) == {429}  # the attacker is slowed down
        assert (await login(attacker, "someone-new", "guess guess guess")).status_code == 429  # address full
        await clock.advance(15 * 60 + 1)                  # the attacker's address is free again after 15 min
        assert (await login(attacker, "someone-new", "guess guess guess")).status_code == 401


def test_x_forwarded_for_is_read_only_from_trusted_proxies() -> None:
    trusted = ["10.0.0.0/24", "2001:db8::1"]
    assert forwarded_client("203.0.113.9", "1.2.3.4", trusted) == "203.0.113.9"        # untrusted peer
    assert forwarded_client("10.0.0.7", "1.2.3.4", trusted) == "1.2.3.4"
    assert forwarded_client("10.0.0.7", "6.6.6.6, 1.2.3.4", trusted) == "1.2.3.4"      # left part is forgeable
    assert forwarded_client("10.0.0.7", "1.2.3.4, 10.0.0.8", trusted) == "1.2.3.4"     # two proxies
    assert forwarded_client("2001:db8::1", "2001:db8::99", trusted) == "2001:db8::99"
    assert forwarded_client("10.0.0.7", "not-an-ip", trusted) == "10.0.0.7"
    assert forwarded_client("10.0.0.7", "", trusted) == "10.0.0.7"


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(browser, make_user) -> None:
    agent = await make_user(Role.AGENT)
    async with browser("203.0.113.9") as b:
        for i in range(3):
            response = await login(b, agent.username, "wrong guess here", headers={"x-forwarded-for": f"192.0.2.{i}"})
            assert response.status_code == 401
        # a fresh forged address does not buy a fresh set of tries: the peer's address is what counts
        again = await login(b, agent.username, "wrong guess here", headers={"x-forwarded-for": "192.0.2.200"})
        assert again.status_code == 429


async def test_behind_a_trusted_proxy_each_client_address_is_limited_on_its_own(browser, make_user) -> None:
    agent = await make_user(Role.AGENT)
    async with browser(PROXY) as proxy:
        for _ in range(4):
            await login(proxy, agent.username, "wrong guess here", headers={"x-forwarded-for": "203.0.113.66"})
        assert (await login(proxy, agent.username, headers={"x-forwarded-for": "203.0.113.66"})).status_code == 429
        # the real user comes through the same proxy from another address
        assert (await login(proxy, agent.username, headers={"x-forwarded-for": "198.51.100.7"})).status_code == 303


# --- the command line --------------------------------------------------------------------------------

def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dialer.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


async def test_the_command_line_signs_a_user_out_everywhere_and_resets_a_password(
        browser, make_user, services, database_url, redis_url, tmp_path) -> None:
    agent = await make_user(Role.AGENT, "cli-agent")
    env = {"DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url, "DIALER_DATA_DIR": str(tmp_path),
           "DIALER_NEW_PASSWORD": "set from the terminal"}
    async with browser() as b:
        await login(b, agent.username)
        out = await asyncio.to_thread(run_cli, "user", "signout", "cli-agent", env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "cli-agent signed out everywhere; 1 session(s) ended"
        assert not await signed_in(b)
        await login(b, agent.username)
        reset = await asyncio.to_thread(run_cli, "user", "passwd", "cli-agent", env=env)
        assert reset.returncode == 0, reset.stderr
        assert reset.stdout.strip() == "password of cli-agent changed; 1 session(s) ended"
        assert not await signed_in(b)
    assert await users.authenticate(services.pool, username="cli-agent", password="set from the terminal")
    nobody = await asyncio.to_thread(run_cli, "user", "signout", "nobody-here", env=env)
    assert nobody.returncode == 1 and "no user named 'nobody-here'" in nobody.stderr


def test_the_session_and_proxy_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_SESSION_IDLE_S", "900")
    monkeypatch.setenv("DIALER_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1,2001:db8::/32")
    settings = load_settings(None)
    assert settings.session_idle_s == 900 and settings.session_max_age_s == 8 * 3600
    assert settings.trusted_proxies == ["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"]
    monkeypatch.setenv("DIALER_TRUSTED_PROXIES", "10.0.0.0/8, the-proxy")
    with pytest.raises(SettingsError, match="DIALER_TRUSTED_PROXIES: .*'the-proxy' is not an IP address or CIDR"):
        load_settings(None)


async def test_a_flood_of_logins_never_stalls_the_event_loop_the_engine_shares(
        browser, make_user, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 costs tens to hundreds of milliseconds: hashed on the loop, every login froze the engine's calls
    (the 2-second rule) for that long. The loop must stay responsive while passwords are checked. At the
    recommended cost, as in production (the suite's users are hashed at the cheapest)."""
    monkeypatch.delenv(password_cost.ENV)
    monkeypatch.setattr(users, "_hasher", users._password_hasher())
    monkeypatch.setattr(users, "_dummy_hash", functools.cache(users._dummy_hash.__wrapped__))  # at that cost
    await make_user(Role.AGENT, "busy-floor")
    checked_on: list[int] = []               # the thread each password check ran on
    verify = users.verify_password

    def watched_verify(password_hash: str, password: str) -> bool:
        checked_on.append(threading.get_ident())
        return verify(password_hash, password)

    monkeypatch.setattr(users, "verify_password", watched_verify)
    lags: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:               # how late a 5 ms sleep wakes up, again and again
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(0.005)
            lags.append(loop.time() - before - 0.005)

    watcher = asyncio.create_task(probe())
    one_hash = await asyncio.to_thread(lambda: timed(lambda: users._verify_against_dummy("x")))
    checked_on.clear()
    async with browser("198.51.100.9") as office:
        statuses = await asyncio.gather(*(login(office, "busy-floor", f"wrong {i}") for i in range(3)),
                                        login(office, "nobody-here", "wrong"))
    stop.set()
    await watcher
    assert {r.status_code for r in statuses} == {401}
    # every check (three wrong passwords and one unknown user) ran off the loop's thread
    assert len(checked_on) == 4 and threading.get_ident() not in checked_on
    # and the loop was never late by the four checks run back to back, which is how a loop hashing them
    # itself stalls when their database answers arrive together (the bound leaves room for a 2-core CI
    # machine whose scheduler once kept the loop's thread waiting 0.35 s while four hashes ran)
    assert max(lags) < max(0.5, 2 * one_hash), (max(lags), one_hash)


def timed(fn: Callable[[], object]) -> float:
    import time
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
