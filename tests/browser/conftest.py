"""A live server and Debian's chromium for the browser tests.

``live_server`` runs the real ``dialer serve`` in a subprocess on a free port against this test's own
database and the session's Valkey (asyncpg pools are bound to one event loop, so the server gets its
own process and loop). ``browser`` is Debian's ``/usr/bin/chromium`` driven by Playwright's async API;
no browser is ever downloaded. ``shot(page, name)`` saves a screenshot under ``artifacts/screenshots/``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.environment import without_dialer_settings

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADMIN_PASSWORD = "admin password for tests"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: BinaryIO

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(database_url: str, redis_url: str, data_dir: Path, *, extra_env: dict[str, str] | None = None,
                 timeout_s: float = 30.0, command: list[str] | None = None) -> LiveServer:
    """``dialer serve`` (or ``command``) on a free port; returns when ``/healthz`` answers."""
    port = _free_port()
    env = {**without_dialer_settings(),
           "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url, "DIALER_PORT": str(port),
           "DIALER_HOST": "127.0.0.1", "DIALER_DATA_DIR": str(data_dir), "DIALER_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "DIALER_SECRET_KEY": "browser-test-secret-0123456789", "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "server.log"
    log_file = log_path.open("wb")
    # The tests start their own ``dialer worker`` (fixture ``worker``) and stop it before the next test, so
    # no job of a later test (they share one Redis) is ever taken by a worker left over from this one.
    process = subprocess.Popen(command or [sys.executable, "-m", "dialer.cli", "serve", "--no-worker"], cwd=ROOT, env=env,
                               stdout=log_file, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path, log_file)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dialer serve exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1.0).status_code in (200, 503):
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"dialer serve did not answer within {timeout_s}s:\n{server.log()}")


def stop_server(server: LiveServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(5)
    server.log_file.close()


@pytest.fixture
def live_server(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(database_url, redis_url, tmp_path / "server")
    yield server
    stop_server(server)


@pytest.fixture
def live_system(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The web app with the engine and the simulated PBX (``live_app.py``), plus a ``dialer worker``."""
    server = start_server(database_url, redis_url, tmp_path / "system",
                          command=[sys.executable, str(Path(__file__).with_name("live_app.py"))],
                          extra_env={"PYTHONPATH": str(ROOT)})
    env = {**os.environ, "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url,
           "DIALER_DATA_DIR": str(tmp_path / "system")}
    worker = start_worker(env, tmp_path / "worker.log")
    yield server
    stop_worker(worker)
    stop_server(server)


def start_worker(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], BinaryIO]:
    out = log.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "dialer.cli", "worker"], cwd=ROOT, env=env, stdout=out,
                               stderr=subprocess.STDOUT)
    return process, out


def stop_worker(worker: tuple[subprocess.Popen[bytes], BinaryIO]) -> None:
    process, out = worker
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    out.close()


@pytest.fixture
def worker(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[None]:
    """A ``dialer worker`` for the plain live server's background jobs."""
    env = {**os.environ, "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url,
           "DIALER_DATA_DIR": str(tmp_path / "server")}
    running = start_worker(env, tmp_path / "worker.log")
    yield
    stop_worker(running)


@pytest.fixture(scope="session")
async def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run ./scripts/test.sh (it installs it) or apt-get install chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        await chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
async def open_page(browser, request):  # type: ignore[no-untyped-def]
    """``page = await open_page(base_url, lang="en")``: a fresh browser context (its own cookies).

    When the test fails, every page it opened is saved as ``failed-<test>-<n>.png``.
    """
    contexts = []

    async def make(base_url: str, lang: str = "en"):  # type: ignore[no-untyped-def]
        context = await browser.new_context(base_url=base_url, locale=lang, viewport={"width": 1280, "height": 860})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = await context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
        return page

    yield make
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for n, context in enumerate(contexts):
            for page in context.pages:
                await shot(page, f"failed-{request.node.name[:60]}-{n}")
    for context in contexts:
        await context.close()


@pytest.fixture
def new_page(live_server: LiveServer, open_page):  # type: ignore[no-untyped-def]
    """``page = await new_page(lang="en")`` on the plain live server (no engine). The server comes first, so it is
    stopped after the pages close (``dialer serve`` gives open pages 3 s to close: test_browser_stop.py)."""
    return lambda lang="en": open_page(live_server.url, lang)


async def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot as ``artifacts/screenshots/NAME.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def sign_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto("/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_load_state("domcontentloaded")


async def agent_ready(page) -> None:  # type: ignore[no-untyped-def]
    """An agent already signed in opens the panel, signs in to its campaign and waits until ready."""
    await page.goto("/agent")
    await page.wait_for_selector("body[data-ws=up]")
    await page.click("#btn-login")
    await page.wait_for_selector("body[data-state=ready]", timeout=15_000)


async def agent_ready_once_taken_up(page) -> None:  # type: ignore[no-untyped-def]
    """``agent_ready`` for a campaign started moments ago: the engine takes it up within its next sync (2 s), so
    the panel's sign-in is pressed again while the panel still shows the agent signed out."""
    await page.goto("/agent")
    await page.wait_for_selector("body[data-ws=up]")
    for _ in range(10):
        if await page.get_attribute("body", "data-state") in (None, "logged_out"):
            await page.click("#btn-login")
        try:
            await page.wait_for_selector("body[data-state=ready]", timeout=3_000)
            break
        except PlaywrightTimeout:
            continue
    await page.wait_for_selector("body[data-state=ready]", timeout=5_000)


async def start_campaign(page, campaign_id: int) -> None:  # type: ignore[no-untyped-def]
    """A team lead already signed in starts the campaign from its page."""
    await page.goto(f"/campaigns/{campaign_id}")
    await page.click("#btn-start")
    await page.wait_for_selector("text=The campaign's state was changed.")


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout_s: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.1)


class CrmServer:
    """A stand-in external CRM: ``GET /customers?...`` answers a JSON object after ``delay_s``."""

    def __init__(self, delay_s: float = 0.5) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                time.sleep(delay_s)
                body = json.dumps({"customer_tier": "Gold", "open_tickets": 1}).encode()
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def crm() -> Iterator[CrmServer]:
    server = CrmServer()
    yield server
    server.close()


@dataclass(frozen=True)
class Ui:
    """The helpers above, handed to tests as the ``ui`` fixture (conftest modules are not importable)."""

    shot: Callable[..., Awaitable[Path]] = shot
    sign_in: Callable[..., Awaitable[None]] = sign_in
    agent_ready: Callable[..., Awaitable[None]] = agent_ready
    agent_ready_once_taken_up: Callable[..., Awaitable[None]] = agent_ready_once_taken_up
    start_campaign: Callable[..., Awaitable[None]] = start_campaign
    eventually: Callable[..., Awaitable[None]] = eventually
    admin_password: str = ADMIN_PASSWORD


@pytest.fixture
def ui() -> Ui:
    return Ui()


__all__ = ["AsyncIterator", "LiveServer", "Ui", "start_server", "stop_server"]
