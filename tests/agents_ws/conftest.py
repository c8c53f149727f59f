"""Fixtures for the agent panel: an in-loop websocket client for the real app, campaigns with leads,
a stand-in engine that records what the panel asks and lets a test move the agent's state, and a
small CRM web server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from campaigns import repository as campaigns_repo
from campaigns.model import Campaign
from dialer.aio import wait_within
from dialer.engine_api import EngineError

PASSWORD = "correct horse battery"


class Closed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"websocket closed with {code}")
        self.code = code


class AsgiSocket:
    """A websocket client that drives the ASGI app on the test's own event loop (asyncpg needs that)."""

    def __init__(self, app: Any, path: str, *, query: str = "", cookies: dict[str, str] | None = None,
                 origin: str | None = "http://testserver") -> None:
        headers = [(b"host", b"testserver")]
        if cookies:
            headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
        if origin:
            headers.append((b"origin", origin.encode()))
        self.scope = {"type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": path,
                      "raw_path": path.encode(), "query_string": query.encode(), "headers": headers,
                      "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "subprotocols": [],
                      "state": {}}
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.closed_with: int | None = None

    async def __aenter__(self) -> AsgiSocket:  # noqa: PYI034
        self.task = asyncio.create_task(self.app(self.scope, self.inbox.get, self.outbox.put))
        await self.inbox.put({"type": "websocket.connect"})
        first = await wait_within(self.outbox.get(), 5)
        if first["type"] != "websocket.accept":
            raise Closed(first.get("code", 1000))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.inbox.put({"type": "websocket.disconnect", "code": 1000})
        assert self.task is not None
        try:
            await wait_within(self.task, 5)
        except (TimeoutError, asyncio.CancelledError):
            self.task.cancel()

    async def send(self, message: dict[str, Any]) -> None:
        await self.inbox.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive(self, timeout_s: float = 5.0) -> dict[str, Any]:
        event = await wait_within(self.outbox.get(), timeout_s)
        if event["type"] == "websocket.close":
            self.closed_with = event.get("code", 1000)
            raise Closed(self.closed_with)
        return json.loads(event["text"])  # type: ignore[no-any-return]

    async def expect_close(self, timeout_s: float = 5.0) -> tuple[int, list[dict[str, Any]]]:
        """Read until the server closes; returns the close code and the messages before it."""
        seen: list[dict[str, Any]] = []
        try:
            while True:
                seen.append(await self.receive(timeout_s))
        except Closed as closed:
            return closed.code, seen

    async def receive_type(self, kind: str, timeout_s: float = 5.0) -> dict[str, Any]:
        """The next message of type ``kind`` (others are skipped)."""
        deadline = time.monotonic() + timeout_s
        while True:
            message = await self.receive(max(0.01, deadline - time.monotonic()))
            if message["type"] == kind:
                return message


class FakeEngine:
    """Stands in for ``dialer.engine.Engine`` behind ``EngineApi``: records calls, lets the test set state."""

    def __init__(self) -> None:
        self.requests: list[tuple[Any, ...]] = []
        self.views: dict[int, dict[str, Any]] = {}
        self.queues: dict[int, list[asyncio.Queue[dict[str, Any]]]] = defaultdict(list)
        self.refuse: dict[str, str] = {}
        self.next_preview: dict[str, Any] | None = None

    def agent_state(self, user_id: int) -> dict[str, Any]:
        return self.views.get(user_id, {"type": "state", "state": "logged_out", "in_state_s": 0, "calls_today": 0,
                                        "talk_s": 0, "campaign_id": None, "call": None, "pause_reason": None})

    async def subscribe_agent(self, user_id: int) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.queues[user_id].append(queue)
        try:
            yield self.agent_state(user_id)
            while True:
                yield await queue.get()
        finally:
            self.queues[user_id].remove(queue)

    def push(self, user_id: int, **changes: Any) -> None:
        view = {**self.agent_state(user_id), **changes}
        self.views[user_id] = view
        for queue in self.queues[user_id]:
            queue.put_nowait(view)

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        if name in self.refuse:
            raise EngineError(self.refuse[name])
        self.requests.append((name, *args, *(f"{k}={v}" for k, v in kwargs.items())))

    async def agent_login(self, user_id: int, campaign_id: int) -> None:
        self._record("agent_login", user_id, campaign_id)
        self.push(user_id, state="ready", campaign_id=campaign_id)

    async def agent_ready(self, user_id: int) -> None:
        self._record("agent_ready", user_id)
        self.push(user_id, state="ready")

    async def agent_pause(self, user_id: int, reason: str) -> None:
        self._record("agent_pause", user_id, reason)
        self.push(user_id, state="paused", pause_reason=reason)

    async def agent_logout(self, user_id: int) -> None:
        self._record("agent_logout", user_id)
        self.push(user_id, state="logged_out", campaign_id=None)

    async def hangup(self, user_id: int) -> None:
        self._record("hangup", user_id)

    async def set_disposition(self, user_id: int, disposition: Any) -> None:
        self._record("set_disposition", user_id, disposition)
        self.push(user_id, state="ready", call=None)

    async def manual_dial(self, user_id: int, lead_id: int) -> str:
        self._record("manual_dial", user_id, lead_id)
        return "77"

    async def transfer(self, user_id: int, *, to_agent_id: int | None = None, to_number: str | None = None) -> None:
        self._record("transfer", user_id, to_agent_id=to_agent_id, to_number=to_number)

    async def preview_next(self, user_id: int) -> dict[str, Any] | None:
        self._record("preview_next", user_id)
        return self.next_preview

    async def preview_dial(self, user_id: int, lead_id: int) -> str:
        self._record("preview_dial", user_id, lead_id)
        return "78"

    async def preview_skip(self, user_id: int, lead_id: int) -> None:
        self._record("preview_skip", user_id, lead_id)


@pytest.fixture
def engine(services) -> FakeEngine:  # type: ignore[no-untyped-def]
    fake = FakeEngine()
    services.extras["engine"] = fake
    return fake


async def sign_in(app: Any, username: str) -> tuple[dict[str, str], str]:
    """Sign in through the app; returns the session cookies and the CSRF token."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 headers={"accept": "text/html"}) as client:
        form = (await client.get("/login")).text  # the login form carries its CSRF token
        token = form.split('name="csrf_token" value="')[1].split('"')[0]
        await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                          "csrf_token": token})
        home = await client.get("/")
        csrf = home.text.split('name="csrf-token" content="')[1].split('"')[0]
        return dict(client.cookies), csrf


@pytest.fixture
def panel(app):  # type: ignore[no-untyped-def]
    """``async with panel(user) as ws:`` the agent panel's websocket, signed in as ``user``."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def open_panel(user: Any, *, csrf: str | None = None, origin: str | None = "http://testserver"):  # type: ignore[no-untyped-def]
        cookies, token = await sign_in(app, user.username)
        query = f"csrf={token if csrf is None else csrf}"
        async with AsgiSocket(app, "/agent/ws", query=query, cookies=cookies, origin=origin) as ws:
            yield ws

    return open_panel


@pytest.fixture
async def make_campaign(services):  # type: ignore[no-untyped-def]
    """``await make_campaign("Spring", agents=[user], leads=[("+33612345678", "An", "Nguyen", {...})])``."""

    async def make(name: str, *, agents: list[Any] = (), leads: list[tuple[str, str, str, dict[str, Any]]] = (),  # type: ignore[assignment]
                   **settings: Any) -> tuple[Campaign, list[int]]:
        campaign = await campaigns_repo.create_campaign(services.pool, campaign=Campaign(
            id=0, name=name, trunk_template="PJSIP/{number}@carrier", **settings))
        async with services.pool.acquire() as conn:
            await campaigns_repo.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[a.id for a in agents])
            lead_ids = [await conn.fetchval(
                "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, fields, timezones)"
                " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                campaign.id, phone, first, last, fields, ["Europe/Paris"]) for phone, first, last, fields in leads]
        return campaign, lead_ids

    return make


class CrmServer:
    """A tiny HTTP server standing in for an external CRM: answers JSON after ``delay_s``."""

    def __init__(self, *, delay_s: float = 0.0, status: int = 200, body: dict[str, Any] | None = None) -> None:
        self.delay_s, self.status, self.body = delay_s, status, body or {"tier": "gold", "balance": "120 EUR"}
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                time.sleep(outer.delay_s)
                data = json.dumps(outer.body).encode()
                try:
                    self.send_response(outer.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CrmServer:  # noqa: PYI034
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def crm_server() -> Iterator[type[CrmServer]]:
    yield CrmServer
