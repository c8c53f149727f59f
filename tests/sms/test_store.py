"""The SMS message store: one row per idempotency key, statuses that only move forwards, every report logged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms import store
from sms.store import DeliveryReport

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def report(status: str, key: str, *, pid: str | None = "SM1", provider: str = "sim",
           idem: str | None = None) -> DeliveryReport:
    return DeliveryReport(provider=provider, provider_message_id=pid, status=status, report_key=key,
                          idempotency_key=idem)


async def queued_message(pool: asyncpg.Pool, key: str = "k1", pid: str = "SM1") -> store.SmsMessage:
    msg, _ = await store.insert_outgoing(pool, key=key, phone="+84901234567", body="Xin chào", now=T0, lead_id=7)
    assert await store.begin_attempt(pool, message_id=msg.id, provider="sim", now=T0) is not None
    after = await store.mark_queued(pool, message_id=msg.id, provider="sim", provider_message_id=pid, now=T0)
    assert after is not None and after.status == "queued"
    return after


async def test_the_same_key_twice_returns_the_first_row_and_changes_nothing(db_pool: asyncpg.Pool) -> None:
    first, created = await store.insert_outgoing(db_pool, key="bulk:1:42", phone="+84901234567", body="A", now=T0)
    again, created_again = await store.insert_outgoing(db_pool, key="bulk:1:42", phone="+84909999999", body="B",
                                                       now=T0 + timedelta(minutes=1))
    assert created and not created_again
    assert again == first and again.body == "A" and again.status == "pending"
    assert await db_pool.fetchval("SELECT count(*) FROM sms_messages") == 1


async def test_concurrent_inserts_of_one_key_make_one_row(db_pool: asyncpg.Pool) -> None:
    results = await asyncio.gather(*(store.insert_outgoing(db_pool, key="same", phone="+84901234567", body="x",
                                                           now=T0) for _ in range(8)))
    assert sum(created for _, created in results) == 1
    assert len({m.id for m, _ in results}) == 1


async def test_a_message_handed_over_is_never_attempted_again(db_pool: asyncpg.Pool) -> None:
    msg = await queued_message(db_pool)
    assert msg.handed_over and msg.attempts == 1
    assert await store.begin_attempt(db_pool, message_id=msg.id, provider="sim", now=T0) is None


async def test_reports_move_the_status_forwards_and_set_times(db_pool: asyncpg.Pool) -> None:
    msg = await queued_message(db_pool)
    t1, t2 = T0 + timedelta(seconds=2), T0 + timedelta(seconds=9)
    assert await store.apply_report(db_pool, report("sent", "r1"), now=t1) == "applied"
    assert await store.apply_report(db_pool, report("delivered", "r2"), now=t2) == "applied"
    after = await store.get_message(db_pool, msg.id)
    assert after is not None
    assert (after.status, after.sent_at, after.final_at) == ("delivered", t1, t2)


async def test_a_late_sent_after_delivered_is_stale_and_changes_nothing(db_pool: asyncpg.Pool) -> None:
    msg = await queued_message(db_pool)
    assert await store.apply_report(db_pool, report("delivered", "r2"), now=T0) == "applied"
    assert await store.apply_report(db_pool, report("sent", "r1"), now=T0) == "stale"
    assert await store.apply_report(db_pool, report("failed", "r3"), now=T0) == "stale"
    after = await store.get_message(db_pool, msg.id)
    assert after is not None and after.status == "delivered"


async def test_a_replayed_report_is_a_duplicate_and_changes_nothing(db_pool: asyncpg.Pool) -> None:
    msg = await queued_message(db_pool)
    assert await store.apply_report(db_pool, report("sent", "r1"), now=T0) == "applied"
    before = await store.get_message(db_pool, msg.id)
    assert await store.apply_report(db_pool, report("sent", "r1"), now=T0 + timedelta(seconds=5)) == "duplicate"
    assert await store.get_message(db_pool, msg.id) == before


async def test_two_copies_of_a_report_at_once_apply_once(db_pool: asyncpg.Pool) -> None:
    await queued_message(db_pool)
    outcomes = await asyncio.gather(*(store.apply_report(db_pool, report("delivered", "r9"), now=T0)
                                      for _ in range(6)))
    assert sorted(outcomes) == ["applied"] + ["duplicate"] * 5


async def test_a_report_for_an_unknown_message_is_logged_and_changes_nothing(db_pool: asyncpg.Pool) -> None:
    msg = await queued_message(db_pool)
    assert await store.apply_report(db_pool, report("delivered", "x", pid="SM-nobody"), now=T0) == "unknown_message"
    # the same provider id from another provider is another message
    assert await store.apply_report(db_pool, report("delivered", "y", provider="twilio"), now=T0) == "unknown_message"
    after = await store.get_message(db_pool, msg.id)
    assert after is not None and after.status == "queued"


async def test_every_report_is_logged_with_its_outcome(db_pool: asyncpg.Pool) -> None:
    msg = await queued_message(db_pool)
    for r in (report("sent", "a"), report("sent", "a"), report("queued", "b"), report("sent", "c", pid="nope")):
        await store.apply_report(db_pool, r, now=T0)
    await store.log_refused_report(db_pool, provider="sim", now=T0, detail="bad signature")
    rows = await db_pool.fetch("SELECT outcome, message_id FROM sms_delivery_reports ORDER BY id")
    assert [(r["outcome"], r["message_id"]) for r in rows] == [
        ("applied", msg.id), ("duplicate", msg.id), ("stale", msg.id), ("unknown_message", None),
        ("bad_signature", None)]


async def test_a_report_can_find_its_message_by_the_echoed_key_when_the_send_timed_out(db_pool: asyncpg.Pool) -> None:
    """The provider took the message but the client timed out before reading its id: the report carries our key."""
    msg, _ = await store.insert_outgoing(db_pool, key="k-timeout", phone="+84901234567", body="x", now=T0)
    await store.begin_attempt(db_pool, message_id=msg.id, provider="sim", now=T0)
    r = report("delivered", "r1", pid="SIM-77", idem="k-timeout")
    assert await store.apply_report(db_pool, r, now=T0) == "applied"
    after = await store.get_message(db_pool, msg.id)
    assert after is not None and (after.status, after.provider_message_id) == ("delivered", "SIM-77")
    assert after.handed_over


async def test_handing_over_after_a_report_does_not_move_the_status_back(db_pool: asyncpg.Pool) -> None:
    msg, _ = await store.insert_outgoing(db_pool, key="k", phone="+84901234567", body="x", now=T0)
    await store.apply_report(db_pool, report("delivered", "r1", pid="P1", idem="k"), now=T0)
    after = await store.mark_queued(db_pool, message_id=msg.id, provider="sim", provider_message_id="P1", now=T0)
    assert after is not None and after.status == "delivered"


async def test_mark_final_ends_only_an_unfinished_message(db_pool: asyncpg.Pool) -> None:
    msg, _ = await store.insert_outgoing(db_pool, key="k", phone="+84901234567", body="x", now=T0)
    failed = await store.mark_final(db_pool, message_id=msg.id, status="failed", reason="HTTP 400", now=T0)
    assert failed is not None and (failed.status, failed.reason, failed.final_at) == ("failed", "HTTP 400", T0)
    again = await store.mark_final(db_pool, message_id=msg.id, status="cancelled", reason="later", now=T0)
    assert again is not None and again.status == "failed"


async def test_an_incoming_message_is_stored_once_and_linked_to_the_lead_by_number(db_pool: asyncpg.Pool) -> None:
    await queued_message(db_pool)   # lead 7 was texted at +84901234567
    msg, created = await store.record_incoming(db_pool, provider="sim", provider_message_id="IN1",
                                               phone="+84901234567", body="STOP", now=T0)
    again, created_again = await store.record_incoming(db_pool, provider="sim", provider_message_id="IN1",
                                                       phone="+84901234567", body="STOP", now=T0)
    assert created and not created_again and again.id == msg.id
    assert (msg.direction, msg.status, msg.lead_id) == ("in", "received", 7)
    history = await store.messages_for_lead(db_pool, lead_id=7)
    assert [m.direction for m in history] == ["in", "out"]


async def test_an_unknown_status_is_refused(db_pool: asyncpg.Pool) -> None:
    with pytest.raises(store.StoreError):
        await store.apply_report(db_pool, report("read", "r"), now=T0)


async def test_a_coded_reason_is_stored_with_its_code(db_pool: asyncpg.Pool) -> None:
    from dialer.reasons import Reason

    msg, _ = await store.insert_outgoing(db_pool, key="k", phone="+84901234567", body="x", now=T0)
    why = Reason("invalid_number")     # any code of dialer.reasons
    after = await store.mark_final(db_pool, message_id=msg.id, status="refused", reason=why, now=T0)
    assert after is not None and (after.reason, after.reason_code) == (str(why), "invalid_number")


async def test_an_incoming_message_from_a_number_never_texted_is_linked_to_its_lead(db_pool: asyncpg.Pool) -> None:
    campaign = await db_pool.fetchval(
        "INSERT INTO campaigns (name, trunk_template) VALUES ('c', 'Local/{digits}@x') RETURNING id")
    lead = await db_pool.fetchval("INSERT INTO leads (campaign_id, phone_e164) VALUES ($1, '+84908888888') RETURNING id",
                                  campaign)
    msg, _ = await store.record_incoming(db_pool, provider="sim", provider_message_id="IN9", phone="+84908888888",
                                         body="Cho hỏi giá", now=T0)
    assert (msg.lead_id, msg.campaign_id) == (lead, campaign)
    stranger, _ = await store.record_incoming(db_pool, provider="sim", provider_message_id="IN10",
                                              phone="+84907777777", body="hi", now=T0)
    assert stranger.lead_id is None


@given(st.lists(st.sampled_from(store.REPORT_STATUSES), max_size=12),
       st.sampled_from(["pending", "queued", "sent"]))
def test_reports_in_any_order_only_move_a_message_forwards_and_never_out_of_a_final_status(
        reports: list[str], start: str) -> None:
    status, seen = start, [start]
    for reported in reports:
        if store.report_moves(status, reported):
            status = reported
        seen.append(status)
    ranks = [store.STATUS_RANK[s] for s in seen]
    assert ranks == sorted(ranks)
    finals = [s for s in seen if s in store.FINAL_STATUSES]
    assert len(set(finals)) <= 1                 # the first final status is the last word
