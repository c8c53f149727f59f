"""is_open(queue, at): a queue's hours read on its own wall clock, holidays and closed days, across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.holidays import holidays_for
from campaigns.queue_hours import Reason, is_open
from campaigns.queues import Queue
from campaigns.windows import DAY_NAMES

ZONES = ["UTC", "Asia/Ho_Chi_Minh", "Europe/Paris", "America/New_York", "America/Los_Angeles",
         "Australia/Sydney", "Pacific/Chatham", "Asia/Kolkata", "America/St_Johns"]
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31),
                        timezones=st.just(UTC))
minutes = st.integers(0, 1440)
intervals = st.lists(st.tuples(minutes, minutes).filter(lambda iv: iv[0] < iv[1]), max_size=3)


def queue(zone: str = "Europe/Paris", hours: dict[str, str] | None = None, **settings_: object) -> Queue:
    return Queue.from_dict({"name": "Q", "timezone": zone, "hours": hours or {}, **settings_})


def hours_text(ivs: list[tuple[int, int]]) -> str:
    return ", ".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in ivs)


def test_open_within_the_weekday_hours_on_the_queue_s_wall_clock() -> None:
    q = queue("Asia/Ho_Chi_Minh", {"mon": "08:00-12:00, 13:30-17:30"})
    # Monday 2026-03-02 08:00 in Ho Chi Minh City is 01:00 UTC
    assert is_open(q, datetime(2026, 3, 2, 1, 0, tzinfo=UTC)).open
    lunch = is_open(q, datetime(2026, 3, 2, 5, 0, tzinfo=UTC))
    assert (lunch.open, lunch.reason) == (False, Reason.OUTSIDE_HOURS)
    assert lunch.why == "closed: 2026-03-02 12:00 Asia/Ho_Chi_Minh is outside 08:00-12:00, 13:30-17:30"
    assert not is_open(q, datetime(2026, 3, 2, 10, 30, tzinfo=UTC)).open            # 17:30: end excluded
    sunday = is_open(q, datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    assert (sunday.open, sunday.reason) == (False, Reason.NO_HOURS)


def test_closed_all_day_on_a_holiday_and_on_a_closed_date_of_the_queue() -> None:
    q = queue("Europe/Paris", {d: "00:00-24:00" for d in DAY_NAMES}, holiday_calendar="FR",
              closed_days=["2026-12-24"])
    bastille = is_open(q, datetime(2026, 7, 14, 10, 0, tzinfo=UTC))
    assert (bastille.open, bastille.reason) == (False, Reason.HOLIDAY)
    # 23:30 UTC on the 13th is already the 14th in Paris
    assert is_open(q, datetime(2026, 7, 13, 22, 30, tzinfo=UTC)).reason is Reason.HOLIDAY
    assert is_open(q, datetime(2026, 7, 13, 21, 30, tzinfo=UTC)).open
    assert is_open(q, datetime(2026, 12, 24, 12, 0, tzinfo=UTC)).reason is Reason.CLOSED_DAY


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        is_open(queue(), datetime(2026, 3, 2, 9, 0))


def test_dst_days_open_23_and_25_hours_for_a_queue_open_all_day() -> None:
    q = queue("Europe/Paris", {d: "00:00-24:00" for d in ("sun",)})
    for day, hours in ((date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 4, 5), 24)):
        start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
        open_minutes = sum(is_open(q, start - timedelta(hours=2) + timedelta(minutes=m)).open
                           for m in range(30 * 60))
        assert open_minutes == hours * 60, day


def test_the_skipped_hour_of_spring_forward_is_never_reached_and_the_repeated_one_counts_twice() -> None:
    q = queue("America/New_York", {"sun": "02:00-03:00"})
    spring = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)        # 01:00 EST, then 03:00 EDT an hour later
    assert not any(is_open(q, spring + timedelta(minutes=m)).open for m in range(180))
    q = queue("America/New_York", {"sun": "01:00-02:00"})
    fall = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)          # 00:00 EDT; 01:00-02:00 happens twice
    assert sum(is_open(q, fall + timedelta(minutes=m)).open for m in range(240)) == 120


@settings(max_examples=300, deadline=None)
@given(instants, st.sampled_from(ZONES), st.lists(intervals, min_size=7, max_size=7),
       st.sampled_from([None, "FR", "US"]), st.sampled_from(ZONES))
def test_the_answer_is_the_wall_clock_rule_whatever_zone_at_is_given_in(
        at: datetime, zone: str, weekly: list[list[tuple[int, int]]], calendar: str | None, other: str) -> None:
    q = queue(zone, {d: hours_text(weekly[i]) for i, d in enumerate(DAY_NAMES)}, holiday_calendar=calendar)
    state = is_open(q, at)
    assert is_open(q, at.astimezone(ZoneInfo(other))) == state        # one instant, one answer
    local = at.astimezone(ZoneInfo(zone))
    assert state.local == local
    holiday = calendar is not None and local.date() in holidays_for(calendar, local.year)
    minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6
    inside = any(a <= minute < b for a, b in weekly[local.weekday()])
    assert state.open == (inside and not holiday)
    assert state.open == (state.reason is Reason.OPEN) and state.why.startswith("open" if state.open else "closed")
    if holiday:
        assert state.reason is Reason.HOLIDAY


@settings(max_examples=200, deadline=None)
@given(instants, st.sampled_from(ZONES), st.integers(-14 * 60, 14 * 60))
def test_a_queue_open_around_the_clock_is_open_at_every_instant_and_offset(
        at: datetime, zone: str, offset_min: int) -> None:
    q = queue(zone, {d: "00:00-24:00" for d in DAY_NAMES})
    assert is_open(q, at.astimezone(timezone(timedelta(minutes=offset_min)))).open


@settings(max_examples=200, deadline=None)
@given(instants, st.sampled_from(ZONES))
def test_a_closed_day_closes_exactly_that_local_date(at: datetime, zone: str) -> None:
    local_day = at.astimezone(ZoneInfo(zone)).date()
    q = queue(zone, {d: "00:00-24:00" for d in DAY_NAMES}, closed_days=[local_day.isoformat()])
    assert is_open(q, at).reason is Reason.CLOSED_DAY
    assert is_open(q, at + timedelta(hours=49)).open and is_open(q, at - timedelta(hours=49)).open
