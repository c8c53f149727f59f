"""Scheduled sends: birthdays in the lead's zone once a year, N hours before a callback, at a date and time; the
scheduler tick makes each due message exactly once and starts a drain for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from hypothesis import given
from hypothesis import strategies as st

from sms import bulk
from sms.scheduler import due_before_callback, due_birthday, parse_day, tick
from tests.sms.sending_helpers import make_campaign, make_leads


def test_dates_are_read_in_the_formats_of_a_lead_file() -> None:
    assert parse_day("1990-12-06") == (12, 6)
    assert parse_day("06/12/1990") == (12, 6)          # day first, as Vietnamese and French files write it
    assert parse_day("6.12") == (12, 6)
    assert parse_day("2000-02-29") == (2, 29)
    for bad in ("", "31/02/1990", "1990-13-01", "tomorrow", "12/31/1990"):
        assert parse_day(bad) is None


def test_a_birthday_is_due_from_the_chosen_local_time_to_the_end_of_the_local_day() -> None:
    # 09:00 in Ho Chi Minh City (UTC+7) on 6 December is 02:00 UTC
    at_nine = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    assert due_birthday("1990-12-06", "Asia/Ho_Chi_Minh", 9 * 60, at_nine) == 2026
    assert due_birthday("1990-12-06", "Asia/Ho_Chi_Minh", 9 * 60, at_nine - timedelta(minutes=1)) is None
    assert due_birthday("1990-12-06", "Asia/Ho_Chi_Minh", 9 * 60, datetime(2026, 12, 6, 16, 59, tzinfo=UTC)) == 2026
    assert due_birthday("1990-12-06", "Asia/Ho_Chi_Minh", 9 * 60, datetime(2026, 12, 6, 17, 0, tzinfo=UTC)) is None
    # the same instant is still 5 December in New York: not yet
    assert due_birthday("1990-12-06", "America/New_York", 9 * 60, at_nine) is None
    assert due_birthday("1990-12-06", "Nowhere/Unknown", 0, at_nine) is None


def test_a_29_february_birthday_is_kept_on_28_february_in_a_common_year() -> None:
    assert due_birthday("2000-02-29", "UTC", 0, datetime(2027, 2, 28, 12, tzinfo=UTC)) == 2027
    assert due_birthday("2000-02-29", "UTC", 0, datetime(2028, 2, 28, 12, tzinfo=UTC)) is None
    assert due_birthday("2000-02-29", "UTC", 0, datetime(2028, 2, 29, 12, tzinfo=UTC)) == 2028


@given(now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
       due_in_min=st.integers(-3000, 3000), hours=st.integers(1, 48))
def test_a_callback_reminder_is_due_only_in_the_hours_before_the_callback(now: datetime, due_in_min: int,
                                                                         hours: int) -> None:
    due_at = now + timedelta(minutes=due_in_min)
    assert due_before_callback(due_at, hours, now) == (0 < due_in_min <= hours * 60)


class Enqueued:
    def __init__(self) -> None:
        self.sends: list[int | None] = []

    def __call__(self, send_id: int | None) -> bool:
        self.sends.append(send_id)
        return True


async def test_birthday_messages_are_made_once_a_year_per_lead_whatever_the_ticks(db_pool: asyncpg.Pool) -> None:
    campaign = await make_campaign(db_pool)
    born_today = await make_leads(db_pool, campaign_id=campaign, count=3, fields={"ngày sinh": "06/12/1985"})
    await make_leads(db_pool, campaign_id=campaign, count=2, start=10, fields={"ngày sinh": "07/12/1985"})
    await make_leads(db_pool, campaign_id=campaign, count=1, start=20, fields={"ngày sinh": "not a date"})
    now = datetime(2026, 12, 6, 2, 30, tzinfo=UTC)                        # 09:30 in Ho Chi Minh City
    send = await bulk.create_send(db_pool, bulk.SendSpec(
        kind="birthday", campaign_id=campaign, body="Chúc mừng sinh nhật {{ lead.first_name }}!", provider="sim",
        date_field="ngày sinh", local_minute=9 * 60), now=now)
    await bulk.estimate(db_pool, send_id=send.id, now=now, price_per_part=0.0)
    await bulk.confirm(db_pool, send_id=send.id, now=now)
    enqueue = Enqueued()
    first = await tick(db_pool, now=now, enqueue=enqueue, deduplicating=["sim"])
    again = await tick(db_pool, now=now + timedelta(hours=3), enqueue=enqueue, deduplicating=["sim"])
    next_year = await tick(db_pool, now=now.replace(year=2027), enqueue=enqueue, deduplicating=["sim"])
    keys = sorted(r["idempotency_key"] for r in await db_pool.fetch("SELECT idempotency_key FROM sms_messages"))
    assert (first.made, again.made, next_year.made) == (3, 0, 3)
    assert keys == sorted([f"send:{send.id}:lead:{lead}:2026" for lead in born_today]
                          + [f"send:{send.id}:lead:{lead}:2027" for lead in born_today])
    assert enqueue.sends[0] == send.id
    assert (await bulk.get_send(db_pool, send_id=send.id)).state == "active"      # a birthday send goes on


async def test_a_reminder_is_made_n_hours_before_each_open_callback_with_its_time_in_the_customers_zone(
        db_pool: asyncpg.Pool) -> None:
    campaign = await make_campaign(db_pool)
    soon, later, done = await make_leads(db_pool, campaign_id=campaign, count=3)
    now = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    for lead, due, finished in ((soon, now + timedelta(hours=2), None), (later, now + timedelta(hours=30), None),
                                (done, now + timedelta(hours=1), now)):
        await db_pool.execute("INSERT INTO callbacks (lead_id, campaign_id, due_at, done_at) VALUES ($1, $2, $3, $4)",
                              lead, campaign, due, finished)
    send = await bulk.create_send(db_pool, bulk.SendSpec(
        kind="before_callback", campaign_id=campaign, body="Hẹn gọi lại lúc {{ callback.time }} {{ callback.date }}",
        provider="sim", hours_before=3), now=now)
    await bulk.estimate(db_pool, send_id=send.id, now=now, price_per_part=0.0)
    await bulk.confirm(db_pool, send_id=send.id, now=now)
    result = await tick(db_pool, now=now, enqueue=Enqueued(), deduplicating=["sim"])
    await tick(db_pool, now=now + timedelta(minutes=30), enqueue=Enqueued(), deduplicating=["sim"])
    rows = await db_pool.fetch("SELECT lead_id, body, idempotency_key FROM sms_messages")
    assert result.made == 1 and len(rows) == 1
    assert rows[0]["lead_id"] == soon
    assert rows[0]["body"] == "Hẹn gọi lại lúc 11:00 06/12/2026"                    # 04:00 UTC = 11:00 at UTC+7
    assert rows[0]["idempotency_key"].startswith(f"send:{send.id}:callback:")


async def test_a_send_at_a_date_and_time_is_made_once_when_its_time_comes_and_ends_when_drained(
        db_pool: asyncpg.Pool) -> None:
    campaign = await make_campaign(db_pool)
    leads = await make_leads(db_pool, campaign_id=campaign, count=4)
    now = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    send = await bulk.create_send(db_pool, bulk.SendSpec(kind="at", campaign_id=campaign, body="Khuyến mãi!",
                                                         provider="sim", send_at=now + timedelta(hours=1)), now=now)
    await bulk.estimate(db_pool, send_id=send.id, now=now, price_per_part=0.0)
    await bulk.confirm(db_pool, send_id=send.id, now=now)
    early = await tick(db_pool, now=now, enqueue=Enqueued(), deduplicating=["sim"])
    enqueue = Enqueued()
    due = await tick(db_pool, now=now + timedelta(hours=1), enqueue=enqueue, deduplicating=["sim"])
    again = await tick(db_pool, now=now + timedelta(hours=1, minutes=1), enqueue=Enqueued(), deduplicating=["sim"])
    assert (early.made, due.made, again.made) == (0, len(leads), 0)
    assert enqueue.sends == [send.id]
    await db_pool.execute("UPDATE sms_messages SET status = 'queued' WHERE send_id = $1", send.id)
    finished = await tick(db_pool, now=now + timedelta(hours=2), enqueue=Enqueued(), deduplicating=["sim"])
    assert finished.finished == [send.id]
    assert (await bulk.get_send(db_pool, send_id=send.id)).state == "done"
