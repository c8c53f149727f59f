"""Sending stored messages through the simulated provider on a real port: each at most once, faults retried
by the rules of sms.sending, consent checked at hand-off. Real PostgreSQL, real Redis, real HTTP."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from dnc import repository as dnc_repo
from sms import store
from sms.jobs import open_sender
from sms.providers.base import PermanentError, TransientError
from sms.sending import RetryPolicy, after_error, backoff_s
from sms.sim.state import SimConfig
from tests.sms.sending_helpers import (
    duplicates,
    make_campaign,
    make_leads,
    phone,
    set_faults,
    settings_with,
    sim_config,
    sim_log,
)
from tests.sms.sms_sim_helpers import running_sim

FAST = {"policy": RetryPolicy(max_attempts=12, base_s=0.05, cap_s=0.5), "wait_horizon_s": 10.0}


async def _messages(pool: asyncpg.Pool, *, campaign_id: int, lead_ids: list[int], provider: str,
                    start: int = 0) -> list[int]:
    now = datetime.now(UTC)
    ids = []
    for i, lead_id in enumerate(lead_ids):
        row, _ = await store.insert_outgoing(pool, key=f"test:{lead_id}", phone=phone(start + i),
                                             body=f"Xin chao {start + i}", now=now, lead_id=lead_id,
                                             campaign_id=campaign_id, provider=provider, encoding="GSM-7", parts=1)
        ids.append(row.id)
    return ids


async def _statuses(pool: asyncpg.Pool) -> Counter[str]:
    return Counter({r["status"]: r["n"] for r in await pool.fetch(
        "SELECT status, count(*) AS n FROM sms_messages GROUP BY status")})


# --- the pure rules ----------------------------------------------------------------------------------------

def test_backoff_grows_exponentially_with_jitter_and_honours_retry_after() -> None:
    policy, rng = RetryPolicy(base_s=1.0, cap_s=60.0), random.Random(7)
    for attempts in range(1, 10):
        ceiling = min(60.0, 2.0 ** (attempts - 1))
        delays = [backoff_s(attempts, policy, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1                        # jittered
    assert backoff_s(1, policy, rng, retry_after_s=30.0) == 30.0


@pytest.mark.parametrize(("status", "dedup", "retried"), [
    (429, False, True), (503, False, False), (None, False, False),     # Twilio: only a 429 is surely not taken
    (429, True, True), (503, True, True), (None, True, True),          # the key makes a second hand-off safe
])
def test_a_transient_error_is_retried_only_when_a_second_hand_off_cannot_duplicate(
        status: int | None, dedup: bool, retried: bool) -> None:
    exc = TransientError("boom", status_code=status, retry_after_s=2.0 if status == 429 else None)
    after = after_error(exc, attempts=1, deduplicates=dedup, policy=RetryPolicy(), rng=random.Random(1),
                        provider="p")
    assert (after.retry_in_s is not None) is retried
    if not retried:
        assert after.why.code == "sms_outcome_unknown"
    if status == 429:
        assert after.hold_s == 2.0 and after.retry_in_s is not None and after.retry_in_s >= 2.0


def test_a_permanent_error_and_the_last_attempt_end_the_message() -> None:
    policy = RetryPolicy(max_attempts=3)
    refused = after_error(PermanentError("HTTP 400 bad number"), attempts=1, deduplicates=True, policy=policy,
                          rng=random.Random(1), provider="p")
    assert refused.retry_in_s is None and refused.why.code == "sms_provider_refused"
    last = after_error(TransientError("HTTP 503", status_code=503), attempts=3, deduplicates=True, policy=policy,
                       rng=random.Random(1), provider="p")
    assert last.retry_in_s is None and last.why.code == "sms_retries_exhausted"


# --- against the simulated provider -------------------------------------------------------------------------

async def test_every_message_reaches_the_provider_exactly_once_through_429_5xx_and_timeouts(
        db_pool: asyncpg.Pool, database_url: str, redis_url: str) -> None:
    async with running_sim(SimConfig(report_delay_s=0.05)) as sim:
        await set_faults(sim.url, http_429=0.1, http_5xx=0.1, timeout=0.1, retry_after_s=0.2, timeout_delay_s=None)
        config = sim_config(sim, name="fdup", rate_per_s=500.0, timeout_s=0.5)
        campaign = await make_campaign(db_pool)
        leads = await make_leads(db_pool, campaign_id=campaign, count=300)
        await _messages(db_pool, campaign_id=campaign, lead_ids=leads, provider=config.name)
        async with open_sender(database_url, redis_url, settings=settings_with(config), options=FAST) as sender:
            counts = await sender.drain()
        log = await sim_log(sim.url)
        assert counts["retried"] > 0, "the faults were not met"
        assert duplicates(log) == []
        assert sorted(m["key"] for m in log) == sorted(f"test:{lead}" for lead in leads)
        assert await _statuses(db_pool) == Counter({"queued": 300})
        stats = sim.state.stats
        assert stats.deduplicated > 0, "no timeout was followed by a second hand-off with the same key"
        ids = await db_pool.fetch("SELECT provider_message_id FROM sms_messages")
        assert len({r["provider_message_id"] for r in ids}) == 300


async def test_a_provider_that_does_not_deduplicate_never_gets_a_message_twice_after_a_timeout(
        db_pool: asyncpg.Pool, database_url: str, redis_url: str) -> None:
    async with running_sim() as sim:
        await set_faults(sim.url, next_timeout=1, next_429=1, retry_after_s=0.1, timeout_delay_s=None)
        config = sim_config(sim, kind="twilio", name="tw", deduplicates=False, timeout_s=0.5)
        campaign = await make_campaign(db_pool)
        leads = await make_leads(db_pool, campaign_id=campaign, count=2)
        first, second = await _messages(db_pool, campaign_id=campaign, lead_ids=leads, provider="tw")
        async with open_sender(database_url, redis_url, settings=settings_with(config),
                               options={**FAST, "concurrency": 1}) as sender:
            await sender.drain()
        rows = {r["id"]: r for r in await db_pool.fetch("SELECT * FROM sms_messages")}
        log = await sim_log(sim.url)
    # one hand-off met the 429 (the provider did not take it: retried), one the timeout (the provider took it,
    # but nobody can know): that message ends failed with the reason and is never handed over again
    outcomes = sorted((rows[i]["status"], rows[i]["reason_code"], rows[i]["attempts"]) for i in (first, second))
    assert outcomes == [("failed", "sms_outcome_unknown", 1), ("queued", "", 2)]
    assert Counter(m["key"] for m in log) == Counter({f"test:{leads[0]}": 1, f"test:{leads[1]}": 1})


async def test_a_refusal_by_the_provider_ends_the_message_failed_with_its_reason(
        db_pool: asyncpg.Pool, database_url: str, redis_url: str) -> None:
    async with running_sim() as sim:
        config = sim_config(sim, name="badcreds", credentials={"api_token": "wrong", "webhook_secret": "x"})
        campaign = await make_campaign(db_pool)
        leads = await make_leads(db_pool, campaign_id=campaign, count=1)
        [message] = await _messages(db_pool, campaign_id=campaign, lead_ids=leads, provider="badcreds")
        async with open_sender(database_url, redis_url, settings=settings_with(config), options=FAST) as sender:
            await sender.drain()
        row = await db_pool.fetchrow("SELECT * FROM sms_messages WHERE id = $1", message)
    assert row["status"] == "failed" and row["reason_code"] == "sms_provider_refused" and row["attempts"] == 1
    assert "401" in row["reason"] or "403" in row["reason"]


async def test_a_429_holds_every_hand_off_for_its_retry_after(db_pool: asyncpg.Pool, database_url: str,
                                                              redis_url: str) -> None:
    async with running_sim() as sim:
        await set_faults(sim.url, next_429=1, retry_after_s=1.5)
        config = sim_config(sim, name="hold")
        campaign = await make_campaign(db_pool)
        leads = await make_leads(db_pool, campaign_id=campaign, count=5)
        await _messages(db_pool, campaign_id=campaign, lead_ids=leads, provider="hold")
        started = time.time()
        async with open_sender(database_url, redis_url, settings=settings_with(config),
                               options={**FAST, "concurrency": 1}) as sender:
            await sender.drain()
        log = await sim_log(sim.url)
    assert len(log) == 5
    assert min(m["accepted_at"] for m in log) >= started + 1.4, "a message went before Retry-After had passed"


async def test_the_rate_limit_paces_the_hand_offs(db_pool: asyncpg.Pool, database_url: str, redis_url: str) -> None:
    async with running_sim() as sim:
        config = sim_config(sim, name="slow", rate_per_s=40.0)
        campaign = await make_campaign(db_pool)
        leads = await make_leads(db_pool, campaign_id=campaign, count=120)
        await _messages(db_pool, campaign_id=campaign, lead_ids=leads, provider="slow")
        async with open_sender(database_url, redis_url, settings=settings_with(config), options=FAST) as sender:
            await sender.drain()
        times = sorted(m["accepted_at"] for m in await sim_log(sim.url))
    assert len(times) == 120
    assert 2.6 <= times[-1] - times[0] <= 4.5       # 120 at 40/s with a burst of 4: about 2.9 s


async def test_consent_at_hand_off_refuses_opted_out_numbers_and_defers_quiet_hours(
        db_pool: asyncpg.Pool, database_url: str, redis_url: str) -> None:
    now = datetime.now(UTC)
    async with running_sim() as sim:
        config = sim_config(sim, name="consent")
        local = now.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh"))
        # a window that is closed right now in Ho Chi Minh City: it opens in two hours, every day
        opens = (local.hour * 60 + local.minute + 120) % 1440
        hours = f"{opens // 60:02d}:{opens % 60:02d}-{(opens // 60 + 1) % 24 or 24:02d}:{opens % 60:02d}"
        if opens // 60 + 1 >= 24:
            hours = f"{opens // 60:02d}:{opens % 60:02d}-24:00"
        quiet = {"name": "custom", "hours": {d: [hours] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
        open_campaign = await make_campaign(db_pool, name="open")
        closed_campaign = await make_campaign(db_pool, name="closed", window=quiet)
        leads = await make_leads(db_pool, campaign_id=open_campaign, count=3)
        night = await make_leads(db_pool, campaign_id=closed_campaign, count=1, start=100)
        async with db_pool.acquire() as conn:
            await dnc_repo.add_entry(conn, list_name="sms_optout", number=phone(1), actor="test", reason="STOP",
                                     now=now)
        ids = await _messages(db_pool, campaign_id=open_campaign, lead_ids=leads, provider="consent")
        [deferred] = await _messages(db_pool, campaign_id=closed_campaign, lead_ids=night, provider="consent",
                                     start=100)
        async with open_sender(database_url, redis_url, settings=settings_with(config), options=FAST) as sender:
            counts = await sender.drain()
        rows = {r["id"]: r for r in await db_pool.fetch("SELECT * FROM sms_messages")}
        sent_to = {m["to"] for m in await sim_log(sim.url)}
    assert counts["refused"] == 1 and counts["deferred"] == 1
    assert sent_to == {phone(0), phone(2)}
    assert rows[ids[1]]["status"] == "refused" and rows[ids[1]]["reason_code"] == "sms_opted_out"
    assert rows[deferred]["status"] == "pending" and rows[deferred]["reason_code"] == "sms_quiet_hours"
    assert rows[deferred]["scheduled_for"] > now + timedelta(minutes=100)
    assert rows[deferred]["claim_token"] is None and rows[deferred]["attempts"] == 0


async def test_a_timeout_then_a_duplicate_request_id_answer_records_the_message_as_handed_over_once(
        db_pool: asyncpg.Pool, database_url: str, redis_url: str) -> None:
    async with running_sim() as sim:
        await set_faults(sim.url, next_timeout=1, timeout_delay_s=None)
        config = sim_config(sim, kind="esms", name="es", timeout_s=0.5)
        campaign = await make_campaign(db_pool)
        leads = await make_leads(db_pool, campaign_id=campaign, count=1)
        [message] = await _messages(db_pool, campaign_id=campaign, lead_ids=leads, provider="es")
        async with open_sender(database_url, redis_url, settings=settings_with(config), options=FAST) as sender:
            await sender.drain()
        row = await db_pool.fetchrow("SELECT * FROM sms_messages WHERE id = $1", message)
        log = await sim_log(sim.url)
    # the first hand-off timed out (eSMS took it), the second was answered "RequestId already accepted" (124)
    assert row["status"] == "queued" and row["attempts"] == 2 and row["provider_message_id"] is None
    assert [m["key"] for m in log] == [f"test:{leads[0]}"]
