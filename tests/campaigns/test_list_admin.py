"""List management and lead edits: a disabled list is not dialled, resets, no-answer recycling, deleting a
list keeps the call history, edits re-validate the number and are audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from campaigns import list_admin, repository
from campaigns.errors import CampaignError
from campaigns.list_admin import Actor, LeadEditRefused
from campaigns.model import Campaign, CampaignState, LeadStatus
from campaigns.retry_policy import Outcome, RetryPolicy
from dialer.calls import CallOutcome
from dialer.lead_store import PgLeadStore
from dnc import repository as dnc_repo
from dnc.lists import ListKind

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
BOSS = Actor(None, "lan")


async def _campaign(pool: asyncpg.Pool) -> Campaign:
    return await repository.create_campaign(pool, campaign=Campaign(
        id=0, name="Tết", trunk_template="PJSIP/{number}@carrier", default_region="VN", timezone="Asia/Ho_Chi_Minh",
        state=CampaignState.RUNNING))


async def _list_with_leads(pool: asyncpg.Pool, campaign_id: int, name: str, count: int, *, start: int,
                           status: str = "new", outcome: str | None = None, attempts: int = 0) -> int:
    made = await repository.create_list(pool, campaign_id=campaign_id, name=name, source_filename=name)
    await pool.execute("UPDATE lists SET status = 'ready' WHERE id = $1", made.id)
    await pool.execute(
        "INSERT INTO leads (campaign_id, list_id, phone_e164, timezones, status, last_outcome, attempts, last_attempt_at,"
        " next_attempt_at) SELECT $1, $2, '+8490' || lpad(g::text, 7, '0'), '{Asia/Ho_Chi_Minh}', $5, $6, $7,"
        " CASE WHEN $6::text IS NULL THEN NULL ELSE $8::timestamptz END,"
        " CASE WHEN $5 = 'retry' THEN $8::timestamptz + interval '2 hours' END"
        " FROM generate_series($3::int, $4::int) g",
        campaign_id, made.id, start, start + count - 1, status, outcome, attempts, NOW - timedelta(minutes=30))
    return made.id


async def test_the_hopper_never_claims_leads_of_a_disabled_list(db_pool: asyncpg.Pool) -> None:
    c = await _campaign(db_pool)
    off = await _list_with_leads(db_pool, c.id, "off.csv", 5, start=0)
    on = await _list_with_leads(db_pool, c.id, "on.csv", 5, start=100)
    async with db_pool.acquire() as conn:
        assert await list_admin.set_list_active(conn, list_id=off, active=False, actor=BOSS, now=NOW) == 5
    claimed = await repository.claim_leads(db_pool, campaign_id=c.id, limit=50, engine_id="e1", now=NOW)
    assert {lead.list_id for lead in claimed} == {on} and len(claimed) == 5
    async with db_pool.acquire() as conn:
        await list_admin.set_list_active(conn, list_id=off, active=True, actor=BOSS, now=NOW)
    again = await repository.claim_leads(db_pool, campaign_id=c.id, limit=50, engine_id="e1", now=NOW)
    assert {lead.list_id for lead in again} == {off} and len(again) == 5
    trail = await list_admin.audit_trail(db_pool, campaign_id=c.id)
    assert [(e["action"], e["affected"], e["actor"]) for e in trail] == [("list_enable", 5, "lan"),
                                                                          ("list_disable", 5, "lan")]


async def test_leads_without_a_list_and_other_campaigns_are_not_affected(db_pool: asyncpg.Pool) -> None:
    c = await _campaign(db_pool)
    off = await _list_with_leads(db_pool, c.id, "off.csv", 2, start=0)
    await db_pool.execute("INSERT INTO leads (campaign_id, phone_e164, timezones) VALUES ($1, '+84912345678',"
                          " '{Asia/Ho_Chi_Minh}')", c.id)
    async with db_pool.acquire() as conn:
        await list_admin.set_list_active(conn, list_id=off, active=False, actor=BOSS, now=NOW)
    claimed = await repository.claim_leads(db_pool, campaign_id=c.id, limit=50, engine_id="e1", now=NOW)
    assert [lead.phone_e164 for lead in claimed] == ["+84912345678"]


async def test_a_reset_gives_chosen_leads_another_pass_and_never_touches_dnc_or_claimed(db_pool: asyncpg.Pool) -> None:
    c = await _campaign(db_pool)
    lst = await _list_with_leads(db_pool, c.id, "a.csv", 4, start=0, status="done", outcome="no_answer", attempts=5)
    await db_pool.execute("UPDATE leads SET last_outcome = 'sale' WHERE phone_e164 = '+84900000000'")
    await db_pool.execute("UPDATE leads SET status = 'dnc' WHERE phone_e164 = '+84900000001'")
    await db_pool.execute("UPDATE leads SET status = 'claimed' WHERE phone_e164 = '+84900000002'")
    async with db_pool.acquire() as conn:
        count = await list_admin.reset_leads(conn, list_id=lst, outcomes=["no_answer"], actor=BOSS, now=NOW)
        assert count == 1
        rows = {r["phone_e164"]: (r["status"], r["attempts"]) for r in
                await conn.fetch("SELECT phone_e164, status, attempts FROM leads WHERE list_id = $1", lst)}
        assert rows == {"+84900000000": ("done", 5), "+84900000001": ("dnc", 5), "+84900000002": ("claimed", 5),
                        "+84900000003": ("new", 0)}
        assert await list_admin.reset_leads(conn, list_id=lst, statuses=[LeadStatus.DONE], actor=BOSS, now=NOW) == 1
        with pytest.raises(CampaignError, match="cannot be reset"):
            await list_admin.reset_leads(conn, list_id=lst, statuses=[LeadStatus.DNC], actor=BOSS, now=NOW)
    entry = (await list_admin.audit_trail(db_pool, campaign_id=c.id))[-1]
    assert entry["action"] == "list_reset" and entry["detail"]["outcomes"] == ["no_answer"] and entry["affected"] == 1


async def test_a_list_recycles_its_no_answers_after_its_own_delay(db_pool: asyncpg.Pool) -> None:
    c = await _campaign(db_pool)
    lst = await _list_with_leads(db_pool, c.id, "a.csv", 2, start=0, status="retry", outcome="no_answer", attempts=1)
    busy = await _list_with_leads(db_pool, c.id, "b.csv", 1, start=50, status="retry", outcome="busy", attempts=1)
    async with db_pool.acquire() as conn:
        assert await list_admin.set_recycle(conn, list_id=lst, delay_s=600, actor=BOSS, now=NOW) == 2
        await list_admin.set_recycle(conn, list_id=busy, delay_s=600, actor=BOSS, now=NOW)
    # the waiting no-answers are due 10 minutes after their attempt (30 minutes ago): now, not in 1.5 h
    claimed = await repository.claim_leads(db_pool, campaign_id=c.id, limit=10, engine_id="e1", now=NOW)
    assert sorted(lead.list_id for lead in claimed) == [lst, lst], "a busy lead keeps the campaign's delay"
    # the next no-answer of a lead of the list waits the list's delay, with the campaign's attempt cap
    store = PgLeadStore(db_pool, engine_id="e1")
    await store.settle_outcome(lead_id=claimed[0].id, campaign=c, outcome=CallOutcome.NO_ANSWER,
                               disposition_code=None, callback=None, agent_id=None, at=NOW)
    lead = await repository.get_lead(db_pool, lead_id=claimed[0].id)
    assert lead.status is LeadStatus.RETRY and lead.next_attempt_at == NOW + timedelta(minutes=10)
    async with db_pool.acquire() as conn:
        await list_admin.set_recycle(conn, list_id=lst, delay_s=None, actor=BOSS, now=NOW)
    await store.settle_outcome(lead_id=claimed[1].id, campaign=c, outcome=CallOutcome.NO_ANSWER,
                               disposition_code=None, callback=None, agent_id=None, at=NOW)
    lead = await repository.get_lead(db_pool, lead_id=claimed[1].id)
    assert lead.next_attempt_at == NOW + timedelta(hours=2), "back to the campaign's no-answer rule"


def test_a_recycled_policy_changes_only_the_no_answer_delay() -> None:
    policy = RetryPolicy()
    recycled = list_admin.recycled_policy(policy, 900)
    assert recycled.rules[Outcome.NO_ANSWER.value].delay_s == 900
    assert recycled.rules[Outcome.NO_ANSWER.value].max_attempts == policy.rules[Outcome.NO_ANSWER.value].max_attempts
    assert recycled.rules[Outcome.BUSY.value] == policy.rules[Outcome.BUSY.value]
    assert list_admin.recycled_policy(policy, None) is policy
    with pytest.raises(CampaignError):
        list_admin.recycled_policy(policy, -5)


async def test_deleting_a_list_removes_its_leads_and_keeps_their_call_records(db_pool: asyncpg.Pool) -> None:
    c = await _campaign(db_pool)
    lst = await _list_with_leads(db_pool, c.id, "old.csv", 3, start=0)
    keep = await _list_with_leads(db_pool, c.id, "keep.csv", 1, start=10)
    lead_id = await db_pool.fetchval("SELECT min(id) FROM leads WHERE list_id = $1", lst)
    await db_pool.execute(
        "INSERT INTO call_records (campaign_id, lead_id, engine_id, leg_id, direction, phone_e164, outcome,"
        " originated_at) VALUES ($1, $2, 'e1', 'leg-1', 'outbound', '+84900000000', 'no_answer', $3)",
        c.id, lead_id, NOW)
    await db_pool.execute("INSERT INTO callbacks (lead_id, campaign_id, due_at) VALUES ($1, $2, $3)", lead_id, c.id, NOW)
    await db_pool.execute("UPDATE leads SET status = 'claimed' WHERE id = $1", lead_id)
    async with db_pool.acquire() as conn:
        with pytest.raises(LeadEditRefused, match="being dialled"):
            await list_admin.delete_list(conn, list_id=lst, actor=BOSS, now=NOW)
        await conn.execute("UPDATE leads SET status = 'done' WHERE id = $1", lead_id)
        assert await list_admin.delete_list(conn, list_id=lst, actor=BOSS, now=NOW) == 3
    assert await db_pool.fetchval("SELECT count(*) FROM leads WHERE list_id = $1", lst) == 0
    assert await db_pool.fetchval("SELECT count(*) FROM leads WHERE list_id = $1", keep) == 1
    assert await db_pool.fetchval("SELECT count(*) FROM lists WHERE id = $1", lst) == 0
    record = await db_pool.fetchrow("SELECT lead_id, outcome FROM call_records WHERE leg_id = 'leg-1'")
    assert (record["lead_id"], record["outcome"]) == (lead_id, "no_answer"), "the history stays"
    entry = (await list_admin.audit_trail(db_pool, campaign_id=c.id))[0]
    assert entry["action"] == "list_delete" and entry["affected"] == 3 and entry["detail"]["list"] == "old.csv"


async def test_a_lead_edit_is_audited_and_a_new_number_is_read_as_at_import(db_pool: asyncpg.Pool) -> None:
    c = await _campaign(db_pool)
    lst = await _list_with_leads(db_pool, c.id, "a.csv", 2, start=0)
    lead_id, other = [r[0] for r in await db_pool.fetch("SELECT id FROM leads WHERE list_id = $1 ORDER BY id", lst)]
    async with db_pool.acquire() as conn:
        lead = await list_admin.edit_lead(conn, lead_id=lead_id, actor=Actor(None, "lan"), now=NOW, changes={
            "phone": "0987 654 321", "first_name": " An ", "last_name": "Nguye\u0302\u0303n", "fields": {"city": "Huế"}})
        assert lead.phone_e164 == "+84987654321" and lead.first_name == "An"
        assert lead.last_name == "Nguyễn", "stored in NFC"
        with pytest.raises(LeadEditRefused, match="invalid phone number") as bad:
            await list_admin.edit_lead(conn, lead_id=lead_id, changes={"phone": "0987 654"}, actor=BOSS, now=NOW)
        assert bad.value.code == "bad_phone"
        with pytest.raises(LeadEditRefused) as taken:
            await list_admin.edit_lead(conn, lead_id=other, changes={"phone": "+84987654321"}, actor=BOSS, now=NOW)
        assert taken.value.code == "duplicate_phone"
        await dnc_repo.ensure_list(conn, name="internal", kind=ListKind.INTERNAL, actor="test", now=NOW)
        await dnc_repo.add_entry(conn, list_name="internal", number="+84912345678", actor="test", reason="asked",
                                 now=NOW)
        with pytest.raises(LeadEditRefused, match="do-not-call") as dnc:
            await list_admin.edit_lead(conn, lead_id=other, changes={"phone": "0912345678"}, actor=BOSS, now=NOW)
        assert dnc.value.code == "dnc_phone"
        with pytest.raises(LeadEditRefused) as zone:
            await list_admin.edit_lead(conn, lead_id=other, changes={"timezones": "Asia/Hanoi City"}, actor=BOSS,
                                       now=NOW)
        assert zone.value.code == "bad_zone"
    trail = await list_admin.audit_trail(db_pool, lead_id=lead_id)
    assert len(trail) == 1, "refused edits change nothing and leave no entry"
    changes = trail[0]["detail"]["changes"]
    assert changes["phone_e164"] == ["+84900000000", "+84987654321"] and trail[0]["actor"] == "lan"
    assert changes["fields"] == [{}, {"city": "Huế"}] and "postal_code" not in changes


async def test_a_lists_own_region_reads_typed_numbers_in_search_and_edit(db_pool: asyncpg.Pool) -> None:
    from campaigns.lead_search import LeadQuery

    c = await _campaign(db_pool)                                     # Vietnamese campaign
    french = await _list_with_leads(db_pool, c.id, "fr.csv", 1, start=0)
    await db_pool.execute("UPDATE lists SET region = 'FR' WHERE id = $1", french)
    lead_id = await db_pool.fetchval("SELECT id FROM leads WHERE list_id = $1", french)
    async with db_pool.acquire() as conn:
        lead = await list_admin.edit_lead(conn, lead_id=lead_id, changes={"phone": "06 12 34 56 78"}, actor=BOSS,
                                          now=NOW)
    assert lead.phone_e164 == "+33612345678", "read as the import read the file: in France"
    found = await list_admin.search_page(db_pool, LeadQuery(campaign_ids=(c.id,), text="06 12 34 56 78"))
    assert [r.lead.id for r in found] == [lead_id]


async def test_a_list_still_importing_cannot_be_disabled_or_deleted(db_pool: asyncpg.Pool) -> None:
    c = await _campaign(db_pool)
    importing = await repository.create_list(db_pool, campaign_id=c.id, name="big.csv", source_filename="big.csv")
    async with db_pool.acquire() as conn:
        with pytest.raises(LeadEditRefused) as refused:
            await list_admin.set_list_active(conn, list_id=importing.id, active=False, actor=BOSS, now=NOW)
    assert refused.value.code == "list_importing"
    async with db_pool.acquire() as conn:
        with pytest.raises(LeadEditRefused, match="still being imported"):
            await list_admin.delete_list(conn, list_id=importing.id, actor=BOSS, now=NOW)


async def test_held_leads_are_out_of_the_hoppers_index(db_pool: asyncpg.Pool) -> None:
    """A claim never scans past a disabled list's leads, however many there are ahead of the others."""
    c = await _campaign(db_pool)
    off = await _list_with_leads(db_pool, c.id, "off.csv", 3000, start=0)
    await _list_with_leads(db_pool, c.id, "on.csv", 5, start=5000)
    async with db_pool.acquire() as conn:
        await list_admin.set_list_active(conn, list_id=off, active=False, actor=BOSS, now=NOW)
        await conn.execute("ANALYZE leads")
        plan = "\n".join(r[0] for r in await conn.fetch(
            "EXPLAIN (ANALYZE, COSTS OFF) SELECT id FROM leads WHERE campaign_id = $1 AND status = 'new'"
            " AND NOT list_held ORDER BY priority DESC, id LIMIT 5", c.id))
    assert "leads_hopper" in plan and "Rows Removed by Filter" not in plan, plan
    held = await db_pool.fetchval("SELECT count(*) FROM leads WHERE list_id = $1 AND list_held", off)
    assert held == 3000
