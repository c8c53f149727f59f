"""Bulk sends: the estimate renders every recipient's message; confirm, progress and cancel with a real rq worker
process and the simulated provider on a real port."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
import redis

from dialer.clock import RealClock
from dnc import repository as dnc_repo
from sms import bulk
from sms.jobs import start_send
from sms.segments import count_segments
from tests.sms.sending_helpers import make_campaign, make_leads, phone, providers_json, sim_config, sim_log
from tests.sms.sms_sim_helpers import running_sim

ROOT = Path(__file__).resolve().parents[2]
BODY = "Chúc {{ lead.first_name }} {{ lead.last_name }}: {{ lead.note }}"


def worker(database_url: str, redis_url: str, providers: str, *, burst: bool = True) -> subprocess.Popen[bytes]:
    """A real ``dialer worker`` process (its own process group, so a test can kill it and its job's child)."""
    env = {**os.environ, "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url,
           "DIALER_SMS_PROVIDERS": providers}
    return subprocess.Popen([sys.executable, "-m", "dialer.cli", "worker", *(["--burst"] if burst else [])],
                            env=env, cwd=ROOT, start_new_session=True)


async def test_the_estimate_renders_every_recipient_and_says_who_consent_refuses(db_pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    campaign = await make_campaign(db_pool)
    short = await make_leads(db_pool, campaign_id=campaign, count=5, fields={"note": "ok"})
    long_note = "x" * 200
    long = await make_leads(db_pool, campaign_id=campaign, count=3, start=10, fields={"note": long_note})
    await make_leads(db_pool, campaign_id=campaign, count=1, start=20)                      # no note: cannot render
    await make_leads(db_pool, campaign_id=campaign, count=1, start=30, zones=("Mars/Base",), fields={"note": "ok"})
    async with db_pool.acquire() as conn:
        await dnc_repo.add_entry(conn, list_name="sms_optout", number=phone(0), actor="t", reason="STOP", now=now)
    send = await bulk.create_send(db_pool, bulk.SendSpec(kind="bulk", campaign_id=campaign, body=BODY,
                                                         provider="sim"), now=now)
    estimate = await bulk.estimate(db_pool, send_id=send.id, now=now, price_per_part=0.02)
    texts = [f"Chúc Lead {i}: ok" for i in range(1, 5)] + [f"Chúc Lead {10 + i}: {long_note}" for i in range(3)]
    parts = [count_segments(t).parts for t in texts]
    assert (estimate.recipients, estimate.sendable, estimate.render_failed) == (10, 7, 1)
    assert estimate.worst_parts == max(parts) == 4           # "ú" makes it UCS-2: 214 units in 67-unit parts
    assert estimate.total_parts == sum(parts)
    assert estimate.cost == pytest.approx(sum(parts) * 0.02)
    assert estimate.refused == {"sms_opted_out": 1, "sms_no_zone": 1}
    assert estimate.encodings == {"UCS-2": 7}
    assert "note" in estimate.failures[0]
    assert len(short) + len(long) == 8
    stored = await bulk.get_send(db_pool, send_id=send.id)
    assert stored.estimate is not None and stored.estimate["total_parts"] == estimate.total_parts


async def test_a_send_is_confirmed_only_after_an_estimate_and_a_cancelled_one_cannot_restart(
        db_pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    campaign = await make_campaign(db_pool)
    send = await bulk.create_send(db_pool, bulk.SendSpec(kind="bulk", campaign_id=campaign, body="hi",
                                                         provider="sim"), now=now)
    with pytest.raises(bulk.SendError, match="estimate"):
        await bulk.confirm(db_pool, send_id=send.id, now=now)
    await bulk.estimate(db_pool, send_id=send.id, now=now, price_per_part=0.0)
    assert (await bulk.confirm(db_pool, send_id=send.id, now=now)).state == "active"
    await bulk.cancel(db_pool, send_id=send.id, clock=RealClock(), wait_s=0)
    with pytest.raises(bulk.SendError, match="a cancelled send cannot become active"):
        await bulk.confirm(db_pool, send_id=send.id, now=now)
    with pytest.raises(bulk.SendError, match="bad lead filter"):
        bulk.SendSpec(kind="bulk", campaign_id=campaign, body="hi", provider="sim", lead_filter={"colour": "red"})


def test_message_keys_are_one_per_recipient_once_a_year_for_birthdays() -> None:
    assert bulk.message_key(7, lead_id=3) == "send:7:lead:3"
    assert bulk.message_key(7, lead_id=3, year=2026) == "send:7:lead:3:2026"
    assert bulk.message_key(7, callback_id=9) == "send:7:callback:9"


async def test_a_bulk_send_to_a_lead_search_goes_through_a_worker_with_progress_to_the_end(
        db_pool: asyncpg.Pool, database_url: str, redis_url: str) -> None:
    now = datetime.now(UTC)
    async with running_sim() as sim:
        config = sim_config(sim, name="bulk1", rate_per_s=200.0)
        campaign = await make_campaign(db_pool)
        gold = await make_leads(db_pool, campaign_id=campaign, count=40, fields={"plan": "gold", "note": "hi"})
        await make_leads(db_pool, campaign_id=campaign, count=20, start=100, fields={"plan": "basic", "note": "hi"})
        send = await bulk.create_send(db_pool, bulk.SendSpec(kind="bulk", campaign_id=campaign, body=BODY,
                                                             provider="bulk1", lead_filter={"fields": {"plan": "gold"}}),
                                      now=now)
        await bulk.estimate(db_pool, send_id=send.id, now=now, price_per_part=0.0)
        await bulk.confirm(db_pool, send_id=send.id, now=now)
        connection = redis.Redis.from_url(redis_url)
        job_id = start_send(connection, database_url, redis_url, send.id, drains=1)
        proc = worker(database_url, redis_url, providers_json(config))
        try:
            while proc.poll() is None:
                await asyncio.sleep(0.1)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0
        log = await sim_log(sim.url)
        progress = await bulk.progress(db_pool, send_id=send.id)
    assert {m["to"] for m in log} == {phone(i) for i in range(40)}
    assert progress.by_status == {"queued": 40} and progress.percent == 100.0
    assert (await bulk.get_send(db_pool, send_id=send.id)).state == "done"
    from dialer.jobs import job_status

    status = job_status(connection, job_id)
    assert status is not None and status.status == "finished" and status.result == {"made": 40}
    assert len(gold) == 40


async def test_cancel_stops_a_send_under_way_and_nothing_of_it_goes_afterwards(
        db_pool: asyncpg.Pool, database_url: str, redis_url: str) -> None:
    now = datetime.now(UTC)
    async with running_sim() as sim:
        config = sim_config(sim, name="cancel1", rate_per_s=25.0)
        campaign = await make_campaign(db_pool)
        await make_leads(db_pool, campaign_id=campaign, count=300, fields={"note": "hi"})
        send = await bulk.create_send(db_pool, bulk.SendSpec(kind="bulk", campaign_id=campaign, body=BODY,
                                                             provider="cancel1"), now=now)
        await bulk.estimate(db_pool, send_id=send.id, now=now, price_per_part=0.0)
        await bulk.confirm(db_pool, send_id=send.id, now=now)
        start_send(redis.Redis.from_url(redis_url), database_url, redis_url, send.id, drains=1)
        proc = worker(database_url, redis_url, providers_json(config))
        try:
            deadline = time.monotonic() + 60
            while len(await sim_log(sim.url)) < 40 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            result = await bulk.cancel(db_pool, send_id=send.id, clock=RealClock(), wait_s=10)
            sent_at_cancel = len(await sim_log(sim.url))
            await asyncio.sleep(2.0)
            sent_later = len(await sim_log(sim.url))
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            if proc.poll() is None:
                proc.kill()
        progress = await bulk.progress(db_pool, send_id=send.id)
    assert result.still_in_flight == 0
    assert sent_later == sent_at_cancel, "a message of the send went after cancel returned"
    assert progress.by_status.get("queued", 0) == sent_at_cancel
    assert progress.by_status.get("cancelled", 0) == 300 - sent_at_cancel > 100
    assert progress.state == "cancelled" and progress.pending == 0
