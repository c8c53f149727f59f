"""The dial-time checker: answers from memory, sees an added number within a second, fails closed."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import asyncpg
import numpy as np
import pytest

from dialer import db
from dialer.aio import wait_within
from dialer.clock import RealClock, VirtualClock
from dnc import registry_files, repository
from dnc.checker import DncChecker, connector
from dnc.errors import DncError, DncUnavailable
from dnc.lists import ListKind
from dnc.snapshot import Change


async def test_an_unloaded_checker_refuses_to_answer() -> None:
    checker = DncChecker(clock=VirtualClock())
    with pytest.raises(DncUnavailable, match="dnc check unavailable"):
        checker.is_blocked("+33612345678", campaign_id=1, now=VirtualClock().now())
    with pytest.raises(DncUnavailable):
        checker.blocked_many(["+33612345678"], campaign_id=1, now=VirtualClock().now())


async def test_data_not_confirmed_for_longer_than_the_limit_fails_closed(db_pool: asyncpg.Pool) -> None:
    clock = VirtualClock()
    checker = DncChecker(clock=clock, max_stale_s=10)
    async with db_pool.acquire() as conn:
        await checker.reload(conn)
    assert checker.is_blocked("+33612345678", campaign_id=1, now=clock.now()) is None
    await clock.advance(11)
    with pytest.raises(DncUnavailable, match="not confirmed"):
        checker.is_blocked("+33612345678", campaign_id=1, now=clock.now())
    assert not checker.status().fresh


async def test_a_loaded_checker_names_the_blocking_list_per_campaign(db_pool: asyncpg.Pool, tmp_path) -> None:
    clock = VirtualClock()
    now = clock.now()
    path = tmp_path / "reg.npy"
    sha = registry_files.write_keys(np.array([33655555555], dtype=np.int64), path)
    async with db_pool.acquire() as conn:
        nat = await repository.create_list(conn, name="bloctel", kind=ListKind.NATIONAL, actor="c", now=now)
        await repository.register_registry_file(
            conn, list_id=nat.id, path=str(path), count=1, sha256=sha, actor="c", now=now, details={}
        )
        await repository.create_list(
            conn, name="camp3", kind=ListKind.CAMPAIGN, campaign_id=3, actor="c", now=now
        )
        await repository.add_entry(
            conn, list_name="camp3", number="+33611111111", actor="c", reason="r", now=now
        )
        await repository.add_entry(
            conn,
            list_name="internal",
            number="+33622222222",
            actor="c",
            reason="r",
            now=now,
            expires_at=now + timedelta(days=1),
        )
        await repository.add_entry(
            conn, list_name="sms_optout", number="+33633333333", actor="c", reason="r", now=now
        )
        checker = DncChecker(clock=clock)
        await checker.reload(conn)
    hit = checker.is_blocked("+33611111111", campaign_id=3, now=now)
    assert hit is not None and hit.list_name == "camp3" and hit.kind is ListKind.CAMPAIGN
    assert checker.is_blocked("+33611111111", campaign_id=4, now=now) is None
    assert checker.is_blocked("+33622222222", campaign_id=4, now=now).list_name == "internal"  # type: ignore[union-attr]
    assert checker.is_blocked("+33622222222", campaign_id=4, now=now + timedelta(days=1)) is None  # expired
    assert checker.is_blocked("+33655555555", campaign_id=4, now=now).list_name == "bloctel"  # type: ignore[union-attr]
    assert checker.is_blocked("+33633333333", campaign_id=4, now=now) is None  # SMS only
    assert checker.is_blocked("+33633333333", campaign_id=4, now=now, channel="sms") is not None
    batch = checker.blocked_many(
        ["+33611111111", "+33622222222", "+33655555555", "+33699999999"], campaign_id=3, now=now
    )
    assert {n: h.list_name for n, h in batch.items()} == {
        "+33611111111": "camp3",
        "+33622222222": "internal",
        "+33655555555": "bloctel",
    }


async def test_an_added_number_is_blocked_within_a_second_through_listen_notify(
    database_url: str, db_pool: asyncpg.Pool
) -> None:
    clock = RealClock()
    checker = DncChecker(clock=clock, heartbeat_s=0.2)
    task = asyncio.create_task(checker.run(connector(database_url)))
    try:
        await wait_within(checker.wait_loaded(), timeout=10)
        assert checker.is_blocked("+33612345678", campaign_id=1, now=clock.now()) is None
        async with db_pool.acquire() as conn:
            await repository.add_entry(
                conn, list_name="internal", number="+33612345678", actor="c", reason="r", now=clock.now()
            )
        added = time.monotonic()
        while checker.is_blocked("+33612345678", campaign_id=1, now=clock.now()) is None:
            assert time.monotonic() - added < 1.0, "the added number was not visible within one second"
            await asyncio.sleep(0.002)
        async with db_pool.acquire() as conn:
            await repository.remove_entry(
                conn, list_name="internal", number="+33612345678", actor="c", reason="r", now=clock.now()
            )
        removed = time.monotonic()
        while checker.is_blocked("+33612345678", campaign_id=1, now=clock.now()) is not None:
            assert time.monotonic() - removed < 1.0
            await asyncio.sleep(0.002)
        async with db_pool.acquire() as conn:  # a new list asks for a full reload, in the background
            await repository.create_list(
                conn, name="c9", kind=ListKind.CAMPAIGN, campaign_id=9, actor="c", now=clock.now()
            )
            await repository.add_entry(
                conn, list_name="c9", number="+33687654321", actor="c", reason="r", now=clock.now()
            )
        start = time.monotonic()
        while checker.is_blocked("+33687654321", campaign_id=9, now=clock.now()) is None:
            assert time.monotonic() - start < 2.0
            await asyncio.sleep(0.005)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_lost_database_link_makes_checks_fail_closed(
    database_url: str, db_pool: asyncpg.Pool
) -> None:
    clock = RealClock()
    checker = DncChecker(clock=clock, heartbeat_s=0.1, max_stale_s=0.5, retry_s=0.1)
    connected: list[asyncpg.Connection] = []

    async def connect_once() -> asyncpg.Connection:
        if connected:
            raise OSError("database down")
        conn = await db.connect(database_url)
        connected.append(conn)
        return conn

    task = asyncio.create_task(checker.run(connect_once))
    try:
        while not checker.status().loaded:
            await asyncio.sleep(0.01)
        assert checker.is_blocked("+33612345678", campaign_id=1, now=clock.now()) is None
        await db_pool.execute("SELECT pg_terminate_backend($1)", connected[0].get_server_pid())
        await asyncio.sleep(0.8)
        with pytest.raises(DncUnavailable):
            checker.is_blocked("+33612345678", campaign_id=1, now=clock.now())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_registry_file_that_does_not_match_its_checksum_is_not_loaded(
    db_pool: asyncpg.Pool, tmp_path
) -> None:
    clock = VirtualClock()
    path = tmp_path / "reg.npy"
    registry_files.write_keys(np.array([33655555555], dtype=np.int64), path)
    async with db_pool.acquire() as conn:
        nat = await repository.create_list(
            conn, name="bloctel", kind=ListKind.NATIONAL, actor="c", now=clock.now()
        )
        await repository.register_registry_file(
            conn,
            list_id=nat.id,
            path=str(path),
            count=1,
            sha256="0" * 64,
            actor="c",
            now=clock.now(),
            details={},
        )
        checker = DncChecker(clock=clock)
        with pytest.raises(DncError, match="sha256"):
            await checker.reload(conn)
    with pytest.raises(DncUnavailable):
        checker.is_blocked("+33655555555", campaign_id=1, now=clock.now())


async def test_a_change_applied_in_process_is_visible_at_once(db_pool: asyncpg.Pool) -> None:
    clock = VirtualClock()
    checker = DncChecker(clock=clock)
    async with db_pool.acquire() as conn:
        await checker.reload(conn)
        internal = await repository.get_list(conn, name="internal")
    checker.apply(Change("add", internal.id, 33612345678))
    assert checker.is_blocked("+33612345678", campaign_id=None, now=clock.now()) is not None
