"""On a real Asterisk 22, the three faults of a working day: Asterisk restarts under live calls, the engine
is killed (``kill -9``) mid-conversation, Asterisk is stopped and started again.

What must hold each time: no live conversation is cut by us, nobody is re-dialled, every call ends with
a record that says what happened, the agents get back to work without signing in again, and a monitor
reading ``/healthz`` sees the outage.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from datetime import UTC, datetime

import asyncpg
import pytest

from dialer.aio import wait_within
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch
from tests.live_asterisk.conftest import ASTERISK_START, customer_number
from tests.live_asterisk.live_system import (
    DialerProcess,
    agents_working,
    campaign_on_test_network,
    wait_until_worked,
)

pytestmark = pytest.mark.slow


async def wait_sql(pool: asyncpg.Pool, sql: str, *args: object, timeout_s: float) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = await pool.fetchval(sql, *args)
        if value:
            return value
        await asyncio.sleep(0.2)
    raise TimeoutError(f"not true within {timeout_s} s: {sql}")


async def wait_health(dialer: DialerProcess, status: int, *, timeout_s: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    seen: tuple[int, dict[str, object]] = (0, {})
    while time.monotonic() < deadline:
        try:
            seen = await dialer.health()
        except OSError:
            pass
        if seen[0] == status:
            return seen[1]
        await asyncio.sleep(0.3)
    raise AssertionError(f"/healthz did not answer {status} within {timeout_s} s: {seen}")


async def reconnect(watch: AmiWatch, *, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            await watch.connect()
            return
        except (OSError, RuntimeError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.3)


async def test_an_asterisk_restart_under_live_calls_is_recorded_as_a_pbx_cut_and_agents_come_back(
        db_pool, database_url, redis_url, tmp_path, ami_target: AmiTarget, watch: AmiWatch) -> None:
    # persons who stay a long time, and numbers that ring for ever: some talk, some ring at the restart
    numbers = [customer_number(1, stay_s=90, serial=i) for i in range(3)]
    numbers += [customer_number(3, serial=10 + i) for i in range(3)]
    later = [customer_number(1, stay_s=5, serial=20 + i) for i in range(3)]
    live = await campaign_on_test_network(db_pool, numbers=numbers, agents=3, now=datetime.now(UTC),
                                          name="restart", amd=False)
    dialer = DialerProcess(database_url, redis_url, ami_target, tmp_path / "serve", engine_id="live-restart")
    await dialer.start()
    try:
        async with agents_working(dialer.base_url, live) as agents:
            await wait_sql(db_pool, "SELECT count(*) >= 2 FROM call_records WHERE campaign_id = $1"
                           " AND connected_at IS NOT NULL AND outcome IS NULL", live.campaign.id, timeout_s=60)
            before = [len(a.states) for a in agents]
            with contextlib.suppress(ConnectionError, TimeoutError):  # Asterisk closes before it answers
                await watch.command("core restart now", timeout_s=5)
            restarted_at = datetime.now(UTC)
            await reconnect(watch)
            # the engine reconnects, re-establishes the agents' phones by itself and dials again
            await db_pool.execute(
                "INSERT INTO leads (campaign_id, phone_e164, first_name, timezones)"
                " SELECT $1, n, 'After restart', (SELECT timezones FROM leads WHERE campaign_id = $1 LIMIT 1)"
                " FROM unnest($2::text[]) AS n", live.campaign.id, later)
            await wait_sql(db_pool, "SELECT count(*) = $2 FROM call_records WHERE campaign_id = $1"
                           " AND phone_e164 = ANY($3) AND outcome = 'handled'", live.campaign.id, len(later), later,
                           timeout_s=90)
            after = [a.states[n:] for a, n in zip(agents, before, strict=True)]
        left = await wait_until_worked(db_pool, live.campaign.id, timeout_s=30)
    finally:
        await dialer.stop()
    assert left == 0
    cut = await db_pool.fetch(
        "SELECT phone_e164, outcome, agent_id, connected_at FROM call_records WHERE campaign_id = $1"
        " AND originated_at < $2", live.campaign.id, restarted_at)
    outcomes = collections.Counter(r["outcome"] for r in cut)
    assert outcomes["no_answer"] == 0, f"calls cut by the restart were taken for no answer: {outcomes}"
    talking = [r for r in cut if r["connected_at"] is not None]
    assert len(talking) >= 2
    assert all(r["outcome"] == "handled" and r["agent_id"] in live.agents for r in talking), talking
    ringing = [r for r in cut if r["connected_at"] is None]
    assert all(r["outcome"] == "pbx_cut" for r in ringing), ringing
    # nobody had to sign in again: no agent was signed out by the restart, and each took calls after it
    assert all("logged_out" not in states for states in after), after
    assert sum("on_call" in states for states in after) >= 1, after


async def test_an_engine_killed_mid_conversation_cuts_nobody_and_redials_nobody(
        db_pool, database_url, redis_url, tmp_path, ami_target: AmiTarget, watch: AmiWatch) -> None:
    numbers = [customer_number(1, stay_s=25, serial=i) for i in range(4)]
    live = await campaign_on_test_network(db_pool, numbers=numbers, agents=2, now=datetime.now(UTC),
                                          name="kill9", amd=False)
    dialer = DialerProcess(database_url, redis_url, ami_target, tmp_path / "serve", engine_id="live-kill9")
    await dialer.start()
    async with agents_working(dialer.base_url, live) as agents:
        await wait_sql(db_pool, "SELECT count(*) >= 1 FROM call_records WHERE campaign_id = $1"
                       " AND connected_at IS NOT NULL AND outcome IS NULL", live.campaign.id, timeout_s=60)
        talking = await db_pool.fetch("SELECT leg_id, agent_id FROM call_records WHERE campaign_id = $1"
                                      " AND connected_at IS NOT NULL AND outcome IS NULL", live.campaign.id)
        await dialer.kill()
        killed_at = time.monotonic()
        await asyncio.sleep(3.0)   # an outage: the conversations go on in Asterisk without the engine
        alive = {c.get("Uniqueid") for c in await watch.channels()}
        assert {r["leg_id"] for r in talking} <= alive, "a conversation ended when the engine died"
        await dialer.start()
        left = await wait_until_worked(db_pool, live.campaign.id, timeout_s=120)
        panels = [list(a.pops) for a in agents]
    await dialer.stop()
    assert left == 0, dialer.log()[-3000:]
    records = await db_pool.fetch("SELECT leg_id, phone_e164, outcome, agent_id FROM call_records"
                                  " WHERE campaign_id = $1", live.campaign.id)
    # every number once: nobody re-dialled
    assert sorted(r["phone_e164"] for r in records) == sorted(numbers)
    for r in talking:
        record = next(x for x in records if x["leg_id"] == r["leg_id"])
        assert (record["outcome"], record["agent_id"]) == ("handled", r["agent_id"]), dict(record)
        # the customer hung up by themselves (25 s after answer), not when the engine came back
        hangup = next(e for e in watch.events if e.get("Event") == "Hangup" and e.get("Uniqueid") == r["leg_id"])
        assert hangup.at - killed_at > 5.0, "recovery hung up a live conversation"
    assert all(panels), "every agent's panel showed its calls"


@pytest.mark.skipif(not ASTERISK_START, reason="set DIALER_TEST_ASTERISK_START to the command that starts Asterisk")
async def test_asterisk_stopped_and_started_shows_degraded_health_then_dials_again(
        db_pool, database_url, redis_url, tmp_path, ami_target: AmiTarget, watch: AmiWatch) -> None:
    numbers = [customer_number(1, stay_s=3, serial=i) for i in range(2)]
    later = [customer_number(1, stay_s=3, serial=10 + i) for i in range(2)]
    live = await campaign_on_test_network(db_pool, numbers=numbers, agents=2, now=datetime.now(UTC),
                                          name="stopstart", amd=False)
    dialer = DialerProcess(database_url, redis_url, ami_target, tmp_path / "serve", engine_id="live-stop")
    await dialer.start()
    try:
        async with agents_working(dialer.base_url, live):
            assert await wait_until_worked(db_pool, live.campaign.id, timeout_s=60) == 0
            with contextlib.suppress(ConnectionError, TimeoutError):
                await watch.command("core stop now", timeout_s=5)
            await watch.close()
            body = await wait_health(dialer, 503, timeout_s=10)
            assert "down" in str(body).lower() or "degraded" in str(body).lower(), body
            page = await db_pool.fetchval("SELECT state FROM campaigns WHERE id = $1", live.campaign.id)
            assert page == "running"
            await asyncio.sleep(5)
            starting = await asyncio.create_subprocess_shell(ASTERISK_START)
            assert await wait_within(starting.wait(), 60) == 0
            await reconnect(watch)
            await wait_health(dialer, 200, timeout_s=30)
            await db_pool.execute(
                "INSERT INTO leads (campaign_id, phone_e164, first_name, timezones)"
                " SELECT $1, n, 'After start', (SELECT timezones FROM leads WHERE campaign_id = $1 LIMIT 1)"
                " FROM unnest($2::text[]) AS n", live.campaign.id, later)
            await wait_sql(db_pool, "SELECT count(*) = $2 FROM call_records WHERE campaign_id = $1"
                           " AND phone_e164 = ANY($3) AND outcome = 'handled'", live.campaign.id, len(later), later,
                           timeout_s=90)
    finally:
        await dialer.stop()
