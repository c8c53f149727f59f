"""Campaigns in PostgreSQL, the hopper's claims (SKIP LOCKED, priorities, recovery), attempts and callbacks."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from campaigns import repository
from campaigns.errors import CampaignError, IllegalTransition
from campaigns.model import Campaign, CampaignState, LeadStatus
from campaigns.retry_policy import Outcome, decide_retry
from campaigns.windows import Schedule, WindowProfile
from dialer.aio import wait_within

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


async def _add_leads(pool: asyncpg.Pool, campaign_id: int, count: int, *, start: int = 0) -> None:
    await pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, timezones)"
        " SELECT $1, '+336' || lpad(g::text, 8, '0'), '{Europe/Paris}' FROM generate_series($2::int, $3::int) g",
        campaign_id, start, start + count - 1,
    )


async def test_campaign_settings_round_trip_through_postgres(db_pool: asyncpg.Pool) -> None:
    custom = WindowProfile.from_dict({"name": "custom", "hours": {"mon": ["09:00-12:00"]}, "max_attempts": 3})
    created = await repository.create_campaign(db_pool, campaign=Campaign(
        id=0, name="Custom", trunk_template="Local/{number}@from-dialer", default_region="US",
        timezone="America/Chicago", window_profile="custom", custom_window=custom,
        schedule=Schedule.from_dict({"hours": {"tue": ["10:00-16:00"]}, "end_date": "2026-12-31"}),
        crm_url_template="https://crm/{phone}", amd_enabled=True))
    again = await repository.get_campaign(db_pool, campaign_id=created.id)
    assert again == created and again.window == custom
    assert (await repository.find_campaign(db_pool, ref="Custom")).id == created.id
    renamed = await repository.update_campaign(db_pool, campaign=replace(again, name="Renamed", caller_id="+15550100"))
    assert (renamed.name, renamed.caller_id) == ("Renamed", "+15550100")
    with pytest.raises(CampaignError, match="already exists"):
        await repository.create_campaign(db_pool, campaign=replace(created, name="Renamed"))
    with pytest.raises(CampaignError, match="trunk template"):
        await repository.create_campaign(db_pool, campaign=replace(created, name="x", trunk_template="PJSIP/x"))


async def test_state_changes_follow_the_state_machine(db_pool: asyncpg.Pool, fr_campaign: Campaign) -> None:
    async with db_pool.acquire() as conn:
        paused = await repository.set_campaign_state(conn, campaign_id=fr_campaign.id, target=CampaignState.PAUSED)
        assert paused.state is CampaignState.PAUSED
        await repository.set_campaign_state(conn, campaign_id=fr_campaign.id, target=CampaignState.FINISHED)
        with pytest.raises(IllegalTransition):
            await repository.set_campaign_state(conn, campaign_id=fr_campaign.id, target=CampaignState.RUNNING)


async def test_two_engines_claiming_at_once_never_get_the_same_lead(db_pool: asyncpg.Pool,
                                                                   fr_campaign: Campaign) -> None:
    await _add_leads(db_pool, fr_campaign.id, 400)

    async def engine(name: str) -> list[int]:
        got: list[int] = []
        async with db_pool.acquire() as conn:
            for _ in range(10):
                async with conn.transaction():
                    leads = await repository.claim_leads(conn, campaign_id=fr_campaign.id, limit=25,
                                                         engine_id=name, now=NOW)
                    await asyncio.sleep(0)
                got.extend(lead.id for lead in leads)
        return got

    first, second = await asyncio.gather(engine("a"), engine("b"))
    assert not set(first) & set(second)
    assert len(first) + len(second) == 400 == len(set(first) | set(second))
    assert await repository.claim_leads(db_pool, campaign_id=fr_campaign.id, limit=5, engine_id="c", now=NOW) == []


async def test_a_locked_lead_is_skipped_not_waited_for(db_pool: asyncpg.Pool, fr_campaign: Campaign) -> None:
    await _add_leads(db_pool, fr_campaign.id, 3)
    async with db_pool.acquire() as one, db_pool.acquire() as two, one.transaction():
        held = await repository.claim_leads(one, campaign_id=fr_campaign.id, limit=2, engine_id="a", now=NOW)
        other = await wait_within(
            repository.claim_leads(two, campaign_id=fr_campaign.id, limit=3, engine_id="b", now=NOW), 5)
    assert len(held) == 2 and len(other) == 1 and other[0].id not in {lead.id for lead in held}


async def test_claims_take_due_callbacks_then_due_retries_then_new_leads(
        db_pool: asyncpg.Pool, fr_campaign: Campaign) -> None:
    await _add_leads(db_pool, fr_campaign.id, 6)
    ids = [r["id"] for r in await db_pool.fetch("SELECT id FROM leads ORDER BY id")]
    await db_pool.execute("UPDATE leads SET status = 'retry', next_attempt_at = $2 WHERE id = $1", ids[0],
                          NOW - timedelta(minutes=1))
    await db_pool.execute("UPDATE leads SET status = 'retry', next_attempt_at = $2 WHERE id = $1", ids[1],
                          NOW + timedelta(hours=1))                       # not due yet
    await db_pool.execute("UPDATE leads SET priority = 5 WHERE id = $1", ids[5])
    async with db_pool.acquire() as conn:
        await repository.create_callback(conn, lead_id=ids[4], due_at=NOW - timedelta(seconds=1), agent_id=None,
                                         created_by=None, note="rappeler")
    claimed = await repository.claim_leads(db_pool, campaign_id=fr_campaign.id, limit=4, engine_id="e", now=NOW)
    assert [lead.id for lead in claimed] == [ids[4], ids[0], ids[5], ids[2]]
    assert all(lead.status is LeadStatus.CLAIMED and lead.claimed_by == "e" for lead in claimed)


async def test_released_and_stale_claims_go_back_with_their_status(db_pool: asyncpg.Pool,
                                                                   fr_campaign: Campaign) -> None:
    await _add_leads(db_pool, fr_campaign.id, 4)
    ids = [r["id"] for r in await db_pool.fetch("SELECT id FROM leads ORDER BY id")]
    async with db_pool.acquire() as conn:
        await repository.create_callback(conn, lead_id=ids[0], due_at=NOW, agent_id=None, created_by=None)
    await repository.claim_leads(db_pool, campaign_id=fr_campaign.id, limit=2, engine_id="dead", now=NOW)
    await repository.claim_leads(db_pool, campaign_id=fr_campaign.id, limit=2, engine_id="live",
                                 now=NOW + timedelta(minutes=10))
    assert await repository.recover_stale_claims(db_pool, older_than=NOW + timedelta(minutes=5)) == 2
    assert (await repository.get_lead(db_pool, lead_id=ids[0])).status is LeadStatus.CALLBACK
    assert await repository.release_leads(db_pool, campaign_id=fr_campaign.id, engine_id="live") == 2
    statuses = await repository.count_leads(db_pool, campaign_id=fr_campaign.id)
    assert statuses == {"callback": 1, "new": 3}


async def test_an_attempt_result_applies_the_retry_decision(db_pool: asyncpg.Pool, fr_campaign: Campaign) -> None:
    await _add_leads(db_pool, fr_campaign.id, 1)
    [lead] = await repository.claim_leads(db_pool, campaign_id=fr_campaign.id, limit=1, engine_id="e", now=NOW)
    decision = decide_retry(fr_campaign.retry_policy, outcome=Outcome.ABANDONED, attempts=lead.attempts + 1, at=NOW)
    after = await repository.record_attempt_result(db_pool, lead_id=lead.id, outcome="abandoned", at=NOW,
                                                   next_attempt_at=decision.next_attempt_at, final=decision.final,
                                                   abandoned=True)
    assert (after.status, after.attempts, after.attempt_times) == (LeadStatus.RETRY, 1, (NOW,))
    assert after.next_attempt_at == NOW + timedelta(hours=72) and after.last_abandoned_at == NOW
    assert await repository.claim_leads(db_pool, campaign_id=fr_campaign.id, limit=1, engine_id="e",
                                        now=NOW + timedelta(hours=71)) == []
    done = await repository.record_attempt_result(db_pool, lead_id=lead.id, outcome="sale", at=NOW, final=True,
                                                  next_attempt_at=None, abandoned=False)
    assert done.status is LeadStatus.DONE and done.attempts == 2


async def test_personal_and_campaign_callbacks_are_listed_for_the_agent(db_pool: asyncpg.Pool,
                                                                        fr_campaign: Campaign) -> None:
    await _add_leads(db_pool, fr_campaign.id, 2)
    ids = [r["id"] for r in await db_pool.fetch("SELECT id FROM leads ORDER BY id")]
    agent = await db_pool.fetchval(
        "INSERT INTO users (username, role, password_hash) VALUES ('ana', 'agent', 'x') RETURNING id")
    async with db_pool.acquire() as conn:
        mine = await repository.create_callback(conn, lead_id=ids[0], due_at=NOW, agent_id=agent, created_by=agent)
        shared = await repository.create_callback(conn, lead_id=ids[1], due_at=NOW + timedelta(hours=1),
                                                  agent_id=None, created_by=agent)
    assert [c.id for c in await repository.list_callbacks(db_pool, campaign_id=fr_campaign.id, agent_id=agent)] == \
        [mine.id, shared.id]
    lead = await repository.get_lead(db_pool, lead_id=ids[0])
    assert (lead.status, lead.next_attempt_at, lead.callback_agent_id) == (LeadStatus.CALLBACK, NOW, agent)
