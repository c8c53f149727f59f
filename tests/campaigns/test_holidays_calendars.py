"""The VN, CN, RU and CZ holiday calendars, and the lunar calendar (campaigns.lunar) of the VN and CN ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns import holidays, lunar
from campaigns.holidays import CALENDARS, china, czechia, holidays_for, russia, vietnam
from campaigns.queue_hours import Reason, is_open
from campaigns.queues import Queue, QueueError
from campaigns.windows import DAY_NAMES, WindowError, WindowProfile

TET = [date(2020, 1, 25), date(2021, 2, 12), date(2022, 2, 1), date(2023, 1, 22), date(2024, 2, 10),
       date(2025, 1, 29), date(2026, 2, 17)]
lunar_years = st.integers(1901, 2099)
zones = st.sampled_from([lunar.VIETNAM, lunar.CHINA])


@pytest.mark.parametrize("tet", TET, ids=str)
def test_the_first_day_of_the_vietnamese_lunar_year_is_the_known_tet(tet: date) -> None:
    assert lunar.new_year(tet.year, lunar.VIETNAM) == tet
    assert lunar.to_lunar(tet, lunar.VIETNAM) == lunar.LunarDate(tet.year, 1, 1, False)
    assert lunar.to_lunar(tet - timedelta(days=1), lunar.VIETNAM)[:2] == (tet.year - 1, 12)


@pytest.mark.parametrize("first", [date(2023, 1, 22), date(2024, 2, 10), date(2025, 1, 29)], ids=str)
def test_the_first_day_of_the_chinese_lunar_year_is_the_known_spring_festival(first: date) -> None:
    assert lunar.new_year(first.year, lunar.CHINA) == first


def test_vietnam_and_china_differ_when_the_new_moon_falls_between_midnight_at_plus_7_and_at_plus_8() -> None:
    # the new moon of 2007-02-17 16:14 UTC: 23:14 in Hanoi, 00:14 the next day in Beijing
    assert (lunar.new_year(2007, lunar.VIETNAM), lunar.new_year(2007, lunar.CHINA)) == (date(2007, 2, 17),
                                                                                      date(2007, 2, 18))
    # 1985: the 11th month differs, so Vietnam's Tết came a month before China's Spring Festival
    assert (lunar.new_year(1985, lunar.VIETNAM), lunar.new_year(1985, lunar.CHINA)) == (date(1985, 1, 21),
                                                                                      date(1985, 2, 20))


def test_a_leap_month_repeats_the_month_before_it() -> None:
    # 2023 had a leap 2nd month (22 Mar - 19 Apr) in both calendars, so the 3rd month began on 20 Apr
    for zone in (lunar.VIETNAM, lunar.CHINA):
        assert lunar.to_lunar(date(2023, 3, 22), zone) == lunar.LunarDate(2023, 2, 1, True)
        assert lunar.from_lunar(2023, 2, 1, leap=True, zone=zone) == date(2023, 3, 22)
        assert lunar.from_lunar(2023, 3, 1, zone=zone) == date(2023, 4, 20)
    with pytest.raises(ValueError, match="no leap month"):
        lunar.from_lunar(2023, 3, 1, leap=True)
    with pytest.raises(ValueError, match="no leap month"):
        lunar.from_lunar(2024, 2, 1, leap=True)


@settings(max_examples=150, deadline=None)
@given(lunar_years, zones)
def test_consecutive_lunar_new_years_are_353_to_385_days_apart_between_21_january_and_20_february(
        year: int, zone: float) -> None:
    this, following = lunar.new_year(year, zone), lunar.new_year(year + 1, zone)
    assert date(year, 1, 21) <= this <= date(year, 2, 20)
    assert 353 <= (following - this).days <= 385
    assert lunar.to_lunar(following - timedelta(days=1), zone)[:2] == (year, 12)


@settings(max_examples=300, deadline=None)
@given(st.dates(date(1900, 3, 1), date(2100, 11, 30)), zones)
def test_every_day_converts_to_a_lunar_date_and_back(day: date, zone: float) -> None:
    moment = lunar.to_lunar(day, zone)
    assert 1 <= moment.month <= 12 and 1 <= moment.day <= 30
    assert lunar.from_lunar(*moment, zone=zone) == day
    following = lunar.to_lunar(day + timedelta(days=1), zone)
    assert following.day == moment.day + 1 or (following.day == 1 and moment.day in (29, 30))


@pytest.mark.parametrize(("year", "tet_eve", "hung_kings"), [
    (2023, date(2023, 1, 21), date(2023, 4, 29)),
    (2024, date(2024, 2, 9), date(2024, 4, 18)),
    (2025, date(2025, 1, 28), date(2025, 4, 7)),
])
def test_vietnam_has_five_days_of_tet_and_the_hung_kings_day(
        year: int, tet_eve: date, hung_kings: date) -> None:
    vn = vietnam(year)
    assert {tet_eve + timedelta(days=n) for n in range(5)} <= vn
    assert tet_eve - timedelta(days=1) not in vn and tet_eve + timedelta(days=5) not in vn
    assert hung_kings in vn
    assert {date(year, 1, 1), date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)} <= vn
    assert len(vn) == 10


def test_vietnam_leaves_the_day_next_to_national_day_and_the_compensatory_days_to_the_closed_days() -> None:
    vn = vietnam(2025)               # 2025: 1 Sep was the extra day; 30 Apr and 1 May on weekdays
    assert date(2025, 9, 1) not in vn and date(2025, 9, 3) not in vn
    assert date(2026, 5, 4) not in vietnam(2026)    # 2 May 2026 is a Saturday: no compensation computed


def test_china_has_the_state_council_holidays_of_2025() -> None:
    assert sorted(china(2025)) == [
        date(2025, 1, 1),
        date(2025, 1, 28), date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31),  # New Year's Eve + 3 days
        date(2025, 4, 4),                                                             # Qingming
        date(2025, 5, 1), date(2025, 5, 2),
        date(2025, 5, 31),                                                            # Dragon Boat
        date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3),
        date(2025, 10, 6),                                                            # Mid-Autumn
    ]


@pytest.mark.parametrize(("year", "spring", "qingming", "dragon_boat", "mid_autumn"), [
    (2023, date(2023, 1, 22), date(2023, 4, 5), date(2023, 6, 22), date(2023, 9, 29)),
    (2024, date(2024, 2, 10), date(2024, 4, 4), date(2024, 6, 10), date(2024, 9, 17)),
    (2025, date(2025, 1, 29), date(2025, 4, 4), date(2025, 5, 31), date(2025, 10, 6)),
])
def test_china_places_the_lunar_and_solar_term_holidays(
        year: int, spring: date, qingming: date, dragon_boat: date, mid_autumn: date) -> None:
    cn = china(year)
    assert {spring - timedelta(days=1), spring, spring + timedelta(days=2)} <= cn
    assert spring + timedelta(days=3) not in cn
    assert {qingming, dragon_boat, mid_autumn} <= cn
    assert ({date(year, 4, 4), date(year, 4, 5)} - {qingming}).isdisjoint(cn)
    assert len(cn) == 13 or mid_autumn in {date(year, 10, d) for d in (1, 2, 3)}


def test_qingming_is_the_day_the_sun_reaches_15_degrees_in_beijing_time() -> None:
    days = [lunar.solar_term_day(15, lunar.CHINA, date(year, 4, 5)) for year in range(2019, 2031)]
    assert [d.day for d in days] == [5, 4, 4, 5, 5, 4, 4, 5, 5, 4, 4, 5]
    # 2026: 5 April 02:3x in Beijing is still 4 April in UTC, so the day depends on the time zone
    assert lunar.solar_term_day(15, 0, date(2026, 4, 5)) == date(2026, 4, 4)


def test_russia_has_the_labour_code_holidays() -> None:
    assert sorted(russia(2026)) == [*(date(2026, 1, d) for d in range(1, 9)), date(2026, 2, 23),
                                    date(2026, 3, 8), date(2026, 5, 1), date(2026, 5, 9), date(2026, 6, 12),
                                    date(2026, 11, 4)]


def test_czechia_has_good_friday_easter_monday_and_the_fixed_holidays() -> None:
    cz = czechia(2025)                               # Easter Sunday 2025: 20 April
    assert {date(2025, 4, 18), date(2025, 4, 21)} <= cz
    assert date(2025, 4, 20) not in cz
    assert {date(2025, 7, 5), date(2025, 7, 6), date(2025, 9, 28), date(2025, 10, 28), date(2025, 11, 17),
            date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26)} <= cz
    assert len(cz) == 13 and len(czechia(2024)) == 13


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["VN", "CN", "RU", "CZ"]), st.integers(1950, 2099))
def test_each_new_calendar_gives_distinct_days_of_the_asked_year_and_the_same_answer_twice(
        calendar: str, year: int) -> None:
    days = holidays_for(calendar, year)
    assert all(d.year == year for d in days)
    mid_autumn = lunar.from_lunar(year, 8, 15, zone=lunar.CHINA)
    mid_autumn_on_national_day = calendar == "CN" and (mid_autumn.month, mid_autumn.day) <= (10, 3) \
        and mid_autumn.month == 10
    assert len(days) == {"VN": 10, "CN": 13, "RU": 14, "CZ": 13}[calendar] - mid_autumn_on_national_day
    assert holidays_for(calendar, year) == days


def test_the_new_calendars_are_accepted_by_queues_and_calling_windows_and_others_still_refused() -> None:
    for calendar in ("VN", "CN", "RU", "CZ"):
        assert calendar in CALENDARS
        assert WindowProfile("custom", ((),) * 7, holiday_calendar=calendar).holiday_calendar == calendar
        queue = Queue.from_dict({"name": "Q", "timezone": "UTC", "holiday_calendar": calendar})
        assert queue.holiday_calendar == calendar
    with pytest.raises(WindowError):
        WindowProfile("custom", ((),) * 7, holiday_calendar="JP")
    with pytest.raises(QueueError):
        Queue.from_dict({"name": "Q", "timezone": "UTC", "holiday_calendar": "JP"})
    with pytest.raises(KeyError, match="VN, CN, RU, CZ"):
        holidays_for("JP", 2026)


def test_a_vietnamese_queue_is_closed_on_tet_and_on_the_extra_national_day_entered_as_a_closed_day() -> None:
    q = Queue.from_dict({"name": "Q", "timezone": "Asia/Ho_Chi_Minh", "holiday_calendar": "VN",
                         "hours": {d: "08:00-17:00" for d in DAY_NAMES}, "closed_days": ["2025-09-01"]})
    at_ten = datetime(2025, 1, 29, 3, 0, tzinfo=UTC)                 # 10:00 in Ho Chi Minh City, mùng 1 Tết
    assert is_open(q, at_ten).reason is Reason.HOLIDAY
    assert is_open(q, at_ten + timedelta(days=5)).open               # mùng 6: open again
    assert not is_open(q, datetime(2025, 9, 1, 3, 0, tzinfo=UTC)).open
    assert is_open(q, datetime(2025, 9, 3, 3, 0, tzinfo=UTC)).open


def test_a_us_new_years_day_on_a_saturday_is_observed_on_the_friday_before_in_the_old_year() -> None:
    assert holidays.is_holiday("US", date(2021, 12, 31))          # 1 Jan 2022 was a Saturday
    assert not holidays.is_holiday("US", date(2022, 1, 1)) and not holidays.is_holiday("US", date(2023, 1, 1))
    assert holidays.is_holiday("US", date(2023, 1, 2))            # 1 Jan 2023, a Sunday: Monday off
    assert all(d.year == 2021 for d in holidays.holidays_for("US", 2021))
    assert len(holidays.holidays_for("US", 2021)) == 12 and len(holidays.holidays_for("US", 2022)) == 10
