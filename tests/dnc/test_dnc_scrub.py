"""Scrubbing a campaign takes its still-dialable leads on DNC out of dialling, audited."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from dnc import repository
from dnc.lists import ListKind
from dnc.scrub import scrub_campaign

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def make_campaign(conn: asyncpg.Connection, name: str) -> int:
    return int(
        await conn.fetchval(
            "INSERT INTO campaigns (name, trunk_template) VALUES ($1, 'PJSIP/{number}@t') RETURNING id", name
        )
    )


async def add_lead(conn: asyncpg.Connection, campaign_id: int, phone: str, status: str = "new") -> int:
    return int(
        await conn.fetchval(
            "INSERT INTO leads (campaign_id, phone_e164, status) VALUES ($1, $2, $3) RETURNING id",
            campaign_id,
            phone,
            status,
        )
    )


async def test_scrub_marks_blocked_dialable_leads_dnc_and_reports_them(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        camp = await make_campaign(conn, "spring")
        other = await make_campaign(conn, "autumn")
        await repository.create_list(
            conn, name="spring-dnc", kind=ListKind.CAMPAIGN, campaign_id=camp, actor="c", now=NOW
        )
        await repository.add_entry(
            conn, list_name="internal", number="+33611111111", actor="c", reason="r", now=NOW
        )
        await repository.add_entry(
            conn, list_name="spring-dnc", number="+33622222222", actor="c", reason="r", now=NOW
        )
        await repository.add_entry(
            conn, list_name="sms_optout", number="+33633333333", actor="c", reason="r", now=NOW
        )
        blocked_new = await add_lead(conn, camp, "+33611111111")
        blocked_retry = await add_lead(conn, camp, "+33622222222", "retry")
        await repository.add_entry(
            conn, list_name="internal", number="+33644444444", actor="c", reason="r", now=NOW
        )
        done = await add_lead(conn, camp, "+33644444444", "done")  # final: left alone
        sms_only = await add_lead(conn, camp, "+33633333333")
        clean = await add_lead(conn, camp, "+33655555555", "callback")
        elsewhere = await add_lead(conn, other, "+33622222222")  # the campaign list is not the other's

        report = await scrub_campaign(conn, campaign_id=camp, actor="olga", now=NOW)

        statuses = dict(await conn.fetch("SELECT id, status FROM leads"))
        audit = (await repository.audit_page(conn, limit=1))[0]
    assert report.checked == 4 and report.removed == 2
    assert report.removed_numbers == ("+33611111111", "+33622222222")
    assert dict(report.by_list) == {"internal": 1, "spring-dnc": 1}
    assert statuses[blocked_new] == statuses[blocked_retry] == "dnc"
    assert statuses[done] == "done" and statuses[sms_only] == "new"
    assert statuses[clean] == "callback" and statuses[elsewhere] == "new"
    assert (audit.action, audit.actor, audit.details["removed"]) == ("scrub", "olga", 2)


async def test_a_second_scrub_removes_nothing_more(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        camp = await make_campaign(conn, "c")
        await repository.add_entry(
            conn, list_name="internal", number="+33611111111", actor="c", reason="r", now=NOW
        )
        await add_lead(conn, camp, "+33611111111")
        first = await scrub_campaign(conn, campaign_id=camp, actor="a", now=NOW)
        second = await scrub_campaign(conn, campaign_id=camp, actor="a", now=NOW)
    assert (first.removed, second.removed, second.checked) == (1, 0, 0)
