"""Calling windows and schedules in the callee's local time, holidays and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.holidays import easter_sunday, france, holidays_for, united_states
from campaigns.windows import (
    FRANCE,
    US,
    Schedule,
    WindowError,
    WindowProfile,
    attempts_reopen_at,
    is_open,
    is_open_everywhere,
    local_time_to_utc,
    next_open,
    parse_interval,
    schedule_is_open,
    schedule_next_open,
)

ZONES = ["Europe/Paris", "America/New_York", "America/Los_Angeles", "America/Chicago", "Asia/Tokyo",
         "Australia/Sydney", "America/Phoenix", "Pacific/Honolulu", "Asia/Kolkata", "America/St_Johns"]


def test_easter_and_the_french_movable_holidays_are_computed() -> None:
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2025) == date(2025, 4, 20)
    fr = france(2025)
    assert date(2025, 4, 21) in fr      # Easter Monday
    assert date(2025, 5, 29) in fr      # Ascension
    assert date(2025, 6, 9) in fr       # Whit Monday
    assert date(2025, 7, 14) in fr and len(fr) == 11


def test_us_federal_holidays_move_to_the_observed_weekday() -> None:
    us = united_states(2026)
    assert date(2026, 7, 3) in us                 # July 4th 2026 is a Saturday
    assert date(2026, 11, 26) in us               # Thanksgiving
    assert date(2026, 5, 25) in us                # Memorial Day
    with pytest.raises(KeyError):
        holidays_for("XX", 2026)


def test_us_window_is_8_to_21_in_the_callee_zone() -> None:
    # 2026-01-05 13:30 UTC is 08:30 in New York and 05:30 in Los Angeles
    at = datetime(2026, 1, 5, 13, 30, tzinfo=UTC)
    assert is_open(US, "America/New_York", at)
    assert not is_open(US, "America/Los_Angeles", at)
    assert not is_open(US, "America/New_York", datetime(2026, 1, 6, 2, 0, tzinfo=UTC))  # 21:00 NY: closed


def test_france_window_has_a_lunch_break_and_no_weekends_or_holidays() -> None:
    monday = datetime(2026, 1, 5, tzinfo=UTC)          # Paris is UTC+1 in January
    assert is_open(FRANCE, "Europe/Paris", monday.replace(hour=9, minute=0))      # 10:00
    assert not is_open(FRANCE, "Europe/Paris", monday.replace(hour=12, minute=30))  # 13:30 lunch
    assert is_open(FRANCE, "Europe/Paris", monday.replace(hour=13, minute=0))     # 14:00
    assert not is_open(FRANCE, "Europe/Paris", monday.replace(hour=19, minute=0))  # 20:00
    assert not is_open(FRANCE, "Europe/Paris", datetime(2026, 1, 10, 10, tzinfo=UTC))  # Saturday
    assert not is_open(FRANCE, "Europe/Paris", datetime(2026, 4, 6, 10, tzinfo=UTC))   # Easter Monday 2026


def test_next_open_skips_lunch_weekend_and_whit_monday() -> None:
    friday_evening = datetime(2026, 5, 22, 18, 30, tzinfo=UTC)   # 20:30 Paris, Friday before Whit Monday
    opens = next_open(FRANCE, ["Europe/Paris"], friday_evening)
    assert opens == datetime(2026, 5, 26, 8, 0, tzinfo=UTC)       # Tuesday 10:00 CEST
    lunch = datetime(2026, 5, 26, 11, 15, tzinfo=UTC)             # 13:15 Paris
    assert next_open(FRANCE, ["Europe/Paris"], lunch) == datetime(2026, 5, 26, 12, 0, tzinfo=UTC)


def test_window_follows_daylight_saving_in_new_york() -> None:
    # 2026-03-08: New York springs forward; 08:00 local is 13:00 UTC the day before and 12:00 UTC after.
    assert next_open(US, ["America/New_York"], datetime(2026, 3, 7, 2, tzinfo=UTC)) == \
        datetime(2026, 3, 7, 13, tzinfo=UTC)
    assert next_open(US, ["America/New_York"], datetime(2026, 3, 8, 2, tzinfo=UTC)) == \
        datetime(2026, 3, 8, 12, tzinfo=UTC)
    assert not is_open(US, "America/New_York", datetime(2026, 3, 8, 11, 59, tzinfo=UTC))


def test_window_follows_daylight_saving_in_paris() -> None:
    # 2026-10-25: Paris falls back; 10:00 on Monday 26th is 09:00 UTC (was 08:00 UTC on Friday 23rd).
    assert next_open(FRANCE, ["Europe/Paris"], datetime(2026, 10, 23, 19, tzinfo=UTC)) == \
        datetime(2026, 10, 26, 9, tzinfo=UTC)
    assert is_open(FRANCE, "Europe/Paris", datetime(2026, 10, 23, 8, 0, tzinfo=UTC))


def test_a_lead_with_several_zones_gets_the_most_restrictive_window() -> None:
    zones = ["America/New_York", "America/Los_Angeles"]
    at = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)        # 09:00 NY, 06:00 LA
    assert is_open(US, zones[0], at) and not is_open_everywhere(US, zones, at)
    opens = next_open(US, zones, at)
    assert opens == datetime(2026, 1, 5, 16, 0, tzinfo=UTC)   # 08:00 LA
    # it closes when New York reaches 21:00
    assert not is_open_everywhere(US, zones, datetime(2026, 1, 6, 2, 0, tzinfo=UTC))


def test_zones_with_no_common_hours_never_open() -> None:
    narrow = WindowProfile("narrow", tuple(((600, 660),) for _ in range(7)))
    assert next_open(narrow, ["Europe/Paris", "Asia/Tokyo"], datetime(2026, 1, 5, tzinfo=UTC),
                     horizon_days=10) is None
    assert not is_open_everywhere(narrow, [], datetime(2026, 1, 5, tzinfo=UTC))


@settings(max_examples=200, deadline=None)
@given(
    at=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True),
    profile=st.sampled_from([US, FRANCE]),
)
def test_next_open_is_open_everywhere_and_nothing_earlier_is(at: datetime, zones: list[str],
                                                              profile: WindowProfile) -> None:
    opens = next_open(profile, zones, at, horizon_days=30)
    if opens is None:
        return
    assert opens >= at
    assert is_open_everywhere(profile, zones, opens)
    probe = at
    while probe < opens:   # every 15 minutes before the answer, it was closed somewhere
        assert not is_open_everywhere(profile, zones, probe)
        probe += timedelta(minutes=15)


def test_attempt_cap_reopens_thirty_days_after_the_oldest_counted_attempt() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    times = [now - timedelta(days=d) for d in (1, 5, 10, 20)]
    assert attempts_reopen_at(FRANCE, times, now) == now - timedelta(days=20) + timedelta(days=30)
    assert attempts_reopen_at(FRANCE, times[:3], now) is None
    assert attempts_reopen_at(US, times * 3, now) is None


def test_schedule_limits_days_hours_and_dates_in_the_campaign_zone() -> None:
    schedule = Schedule.from_dict({"hours": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]},
                                   "start_date": "2026-01-05", "end_date": "2026-01-13",
                                   "closed_days": ["2026-01-06"]})
    zone = "Europe/Paris"
    assert schedule_is_open(schedule, zone, datetime(2026, 1, 5, 9, tzinfo=UTC))
    assert not schedule_is_open(schedule, zone, datetime(2026, 1, 6, 9, tzinfo=UTC))   # closed day
    assert schedule_next_open(schedule, zone, datetime(2026, 1, 1, tzinfo=UTC)) == datetime(2026, 1, 5, 8, tzinfo=UTC)
    assert schedule_next_open(schedule, zone, datetime(2026, 1, 13, 17, tzinfo=UTC)) is None   # after the end


def test_bad_hours_are_refused() -> None:
    with pytest.raises(WindowError):
        parse_interval("21:00-08:00")
    with pytest.raises(WindowError):
        WindowProfile.from_dict({"hours": {"monday": ["08:00-09:00"]}})


def test_local_callback_time_in_a_dst_gap_moves_forward() -> None:
    # 02:30 on 2026-03-08 does not exist in New York
    utc = local_time_to_utc(datetime(2026, 3, 8, 2, 30), "America/New_York")
    assert utc == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert local_time_to_utc(datetime(2026, 1, 5, 10, 0), "Europe/Paris") == datetime(2026, 1, 5, 9, tzinfo=UTC)
