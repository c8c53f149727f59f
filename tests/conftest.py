"""Shared fixtures: one real embedded PostgreSQL and one real embedded Valkey per test session.

Each test that asks for ``database_url`` or ``db_pool`` gets its own fresh database, cloned from a
template that has every migration applied (cloning takes a few tens of milliseconds).
"""

from __future__ import annotations

import os

# argon2's cheapest parameters for the users the tests create and sign in by the thousand (the recommended
# cost is 0.1-0.3 s of CPU a hash: half the run of the page and panel tests). Set before dialer.users is
# imported, and inherited by the servers, engines and command lines the tests start. Tests of hashing itself
# use the recommended cost (tests/admin_ui/test_sessions.py, tests/dialer/test_password_cost.py).
os.environ["DIALER_PASSWORD_COST"] = "cheapest-for-tests"     # dialer.password_cost

import asyncio  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from dialer import db
from dialer.embedded import EmbeddedPostgres, EmbeddedRedis

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TEMPLATE_DB = "dialer_template"


def pg_data_dir() -> Path:
    """A fresh directory for a test PostgreSQL, outside pytest's private temp tree: the server runs as
    its own system user, which must reach it even while another pytest session resets that tree's rights.

    In memory (``/dev/shm``) when the machine has one with room: each test's database is a copy of the
    template's 600 files, and on the CI machine's disk (ext4 mounted with ``discard``) opening a file for the
    copy took half a millisecond: 0.55 s a test, against a few milliseconds in memory."""
    return Path(tempfile.mkdtemp(prefix="dialer-test-pg-", dir=_memory_dir())) / "data"


def _memory_dir() -> str | None:
    """``/dev/shm`` if it is a writable file system in memory with 4 GiB free (each test server's WAL may grow
    to ``max_wal_size``, set below), else None (the system's temporary directory)."""
    shm = "/dev/shm"
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    return shm if os.access(shm, os.W_OK) and stats.f_bavail * stats.f_frsize >= 4 * 2**30 else None


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    data = pg_data_dir()
    server = EmbeddedPostgres(data)
    url = server.start()
    yield url
    server.stop()
    shutil.rmtree(data.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("valkey"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture(scope="session")
async def template_database(pg_server_url: str) -> str:
    admin = await db.connect(pg_server_url)
    try:
        # A throwaway server for tests: no flush to disk on commit, at checkpoints or for each test's database
        # (a test's database cost 0.30 s to create and drop, 0.04 s without; 600 tests make one). Durability
        # against a machine crash is all this gives up; the tests kill processes, never the machine.
        for setting in ("fsync", "full_page_writes", "synchronous_commit"):
            await admin.execute(f"ALTER SYSTEM SET {setting} = off")
        await admin.execute("ALTER SYSTEM SET max_wal_size = '256MB'")    # the WAL may live in memory
        await admin.execute("SELECT pg_reload_conf()")
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    finally:
        await admin.close()
    conn = await db.connect(db.with_database(pg_server_url, TEMPLATE_DB))
    try:
        await db.migrate(conn)
    finally:
        await conn.close()
    return TEMPLATE_DB


@pytest.fixture
async def database_url(pg_server_url: str, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = await db.connect(pg_server_url)
    try:
        # FILE_COPY: a copy of the template's files (and a checkpoint, cheap without fsync) instead of writing
        # every page of it to the WAL
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template_database} STRATEGY FILE_COPY")
    finally:
        await admin.close()
    yield db.with_database(pg_server_url, name)
    admin = await db.connect(pg_server_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def db_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    # the size `dialer serve` runs with (runtime.open_services): a whole engine (campaign control's lock
    # connection, runners, presence, leg keeper, records) shares it; a smaller pool stalled tests on acquire
    pool = await db.create_pool(database_url, min_size=1, max_size=10)
    yield pool
    try:
        await wait_within(pool.close(), 30)
    except TimeoutError:
        logging.getLogger(__name__).error("a test left a PostgreSQL connection acquired; pool terminated")
        pool.terminate()


HANG_DUMP_AFTER_S = float(os.environ.get("DIALER_TEST_HANG_DUMP_S", "240"))  # before the 300 s timeout


@pytest.fixture(autouse=True)
async def hang_watchdog(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """If a test is still running after ``HANG_DUMP_AFTER_S``, print every asyncio task's stack (the
    timeout's own dump shows only threads, and an awaiting coroutine is invisible there)."""
    import io
    import sys

    async def dump() -> None:
        await asyncio.sleep(HANG_DUMP_AFTER_S)
        out = io.StringIO()
        out.write(f"\n===== {request.node.nodeid} still running after {HANG_DUMP_AFTER_S:.0f} s: asyncio tasks =====\n")
        for task in asyncio.all_tasks():
            if task is asyncio.current_task():
                continue
            out.write(f"--- {task.get_name()}: {task.get_coro()!r}\n")
            task.print_stack(limit=30, file=out)
        sys.stderr.write(out.getvalue())

    watchdog = asyncio.create_task(dump(), name="hang-watchdog")
    try:
        yield
    finally:
        watchdog.cancel()
        await asyncio.gather(watchdog, return_exceptions=True)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout: AMI recordings and configs (present in CI as in development)."""
    assert SHARED.is_dir(), f"expected the shared folder at {SHARED}"
    return SHARED


# --- web ---------------------------------------------------------------------------------------
import httpx  # noqa: E402
import redis as redis_lib  # noqa: E402

from dialer import users as users_mod  # noqa: E402
from dialer.aio import wait_within
from dialer.clock import RealClock  # noqa: E402
from dialer.services import Services  # noqa: E402
from dialer.settings import load_settings  # noqa: E402
from dialer.users import Role  # noqa: E402

TEST_PASSWORD = "correct horse battery"


@pytest.fixture
async def services(db_pool: asyncpg.Pool, redis_url: str, tmp_path: Path) -> Services:
    settings = load_settings(None, mode="development", secret_key="test-secret-key-0123456789",
                             data_dir=tmp_path / "data", database_url=None, redis_url=redis_url)
    svc = Services(settings=settings, pool=db_pool, redis=redis_lib.Redis.from_url(redis_url), clock=RealClock())
    return svc


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    from admin_ui.app import create_app

    return create_app(services)


@pytest.fixture
async def make_user(services: Services):  # type: ignore[no-untyped-def]
    """``await make_user(Role.AGENT, "ann")`` creates a user with TEST_PASSWORD."""

    async def make(role: Role, username: str | None = None, **kwargs: object) -> users_mod.User:
        name = username or f"{role.value}-{uuid.uuid4().hex[:6]}"
        return await users_mod.create_user(services.pool, username=name, password=TEST_PASSWORD, role=role, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
async def api_client(app, services: Services, make_user):  # type: ignore[no-untyped-def]
    """``async with api_client(Role.TEAM_LEAD) as client:`` an httpx client with that role's bearer token."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def make(role: Role, username: str | None = None):  # type: ignore[no-untyped-def]
        user = await make_user(role, username)
        token = await users_mod.create_api_token(services.pool, user_id=user.id, label="test")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            client.user = user  # type: ignore[attr-defined]
            yield client

    return make


@pytest.fixture
async def browser_client(app):  # type: ignore[no-untyped-def]
    """An httpx client with cookies, as a browser would be (sign in with ``POST /login``)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                 headers={"accept": "text/html"}) as client:
        yield client
