"""The Vietnamese and Chinese lunisolar calendars: a Gregorian date to a lunar date and back, and solar terms.

Pure, no I/O. The algorithm is Hồ Ngọc Đức's public one ("Thuật toán tính âm lịch",
https://www.informatik.uni-leipzig.de/~duc/amlich/calrules.html, code in amlich.js / AmLich.java), itself
built on the low-precision formulas of Jean Meeus, *Astronomical Algorithms* (Willmann-Bell, 1998): the
instants of new moon (ch. 49) and the sun's longitude (ch. 25). Rules of the calendar it implements:

- a lunar month starts on the day (civil date in the calendar's time zone) of a new moon;
- the 11th month is the one containing the winter solstice (sun longitude 270°);
- a year from one 11th month to the next with 13 months has a leap month: the first month after the
  11th in which the sun enters no new 30° segment (no "major solar term", trung khí / 中气); it takes the
  number of the month before it.

The time zone is the only difference between the two calendars: +7 (UTC+7) for Vietnam's âm lịch, +8
(Beijing time, 120°E) for China's 农历. The two differ when a new moon or a solar term falls between 16:00
and 17:00 UTC: by a day (New Year 2007: 17 Feb in Vietnam, 18 Feb in China) or a month (1985: 21 Jan, 20 Feb).
Accurate for the Gregorian years 1900-2100 (new moons and the sun's longitude are good to a few minutes);
dates are proleptic Gregorian, as ``datetime.date``. One change from the published code: ``to_lunar`` looks
for the month's new moon on both sides of the mean estimate (the original gave day 0 on a few days, e.g.
2054-05-07).
"""

from __future__ import annotations

from datetime import date, timedelta
from math import floor, pi, sin
from typing import NamedTuple

VIETNAM = 7.0
CHINA = 8.0

_DR = pi / 180
_SYNODIC = 29.530588853
_K0_JD = 2415021.076998695                      # the new moon of 1900-01-01 13:52 UTC, k = 0
_JD_OF_ORDINAL = 1721425                        # the Julian day number of date.fromordinal(n) is n + this


class LunarDate(NamedTuple):
    year: int
    month: int                                  # 1-12
    day: int                                    # 1-30
    leap: bool = False                          # the leap month repeating ``month``


def julian_day_number(day: date) -> int:
    """The Julian day number of a (proleptic Gregorian) date: 2451545 for 2000-01-01."""
    return day.toordinal() + _JD_OF_ORDINAL


def from_julian_day_number(jdn: int) -> date:
    return date.fromordinal(jdn - _JD_OF_ORDINAL)


def new_moon(k: int) -> float:
    """The Julian day (UT, fractional) of the k-th new moon after the one of 1900-01-01 (Meeus, ch. 49)."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * sin((166.56 + 132.87 * t - 0.009173 * t2) * _DR)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3            # sun's mean anomaly
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3         # moon's mean anomaly
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3            # moon's argument of latitude
    c1 = (0.1734 - 0.000393 * t) * sin(m * _DR) + 0.0021 * sin(2 * _DR * m)
    c1 += -0.4068 * sin(mpr * _DR) + 0.0161 * sin(_DR * 2 * mpr) - 0.0004 * sin(_DR * 3 * mpr)
    c1 += 0.0104 * sin(_DR * 2 * f) - 0.0051 * sin(_DR * (m + mpr))
    c1 += -0.0074 * sin(_DR * (m - mpr)) + 0.0004 * sin(_DR * (2 * f + m))
    c1 += -0.0004 * sin(_DR * (2 * f - m)) - 0.0006 * sin(_DR * (2 * f + mpr))
    c1 += 0.0010 * sin(_DR * (2 * f - mpr)) + 0.0005 * sin(_DR * (2 * mpr + m))
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - delta_t


def sun_longitude(jd: float) -> float:
    """The sun's true longitude in radians, 0 to 2π, at Julian day ``jd`` (Meeus, ch. 25, low accuracy)."""
    t = (jd - 2451545.0) / 36525
    t2 = t * t
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2     # mean anomaly, degrees
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2                          # mean longitude, degrees
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * sin(_DR * m)
    dl += (0.019993 - 0.000101 * t) * sin(_DR * 2 * m) + 0.000290 * sin(_DR * 3 * m)
    longitude = (l0 + dl) * _DR
    return longitude - 2 * pi * floor(longitude / (2 * pi))


def apparent_sun_longitude_degrees(jd: float) -> float:
    """The sun's apparent longitude in degrees, 0 to 360 (with nutation and aberration; Meeus, ch. 25)."""
    omega = 125.04 - 1934.136 * (jd - 2451545.0) / 36525
    return (sun_longitude(jd) / _DR - 0.00569 - 0.00478 * sin(omega * _DR)) % 360


def _new_moon_day(k: int, zone: float) -> int:
    """The Julian day number of the civil date, in UTC+``zone``, of the k-th new moon."""
    return floor(new_moon(k) + 0.5 + zone / 24)


def _sun_segment(jdn: int, zone: float) -> int:
    """Which 30° segment (0-11) the sun is in at the start (local midnight) of day ``jdn``."""
    return floor(sun_longitude(jdn - 0.5 - zone / 24) / pi * 6)


def _month_11_start(year: int, zone: float) -> int:
    """The Julian day number of the first day of the 11th lunar month (holding the solstice of ``year``)."""
    k = floor((julian_day_number(date(year, 12, 31)) - 2415021) / _SYNODIC)
    start = _new_moon_day(k, zone)
    if _sun_segment(start, zone) >= 9:          # that new moon is after the solstice: take the one before
        start = _new_moon_day(k - 1, zone)
    return start


def _leap_month_offset(a11: int, zone: float) -> int:
    """How many months after the 11th month starting on ``a11`` the leap month is (in a 13-month year)."""
    k = floor((a11 - _K0_JD) / _SYNODIC + 0.5)
    i = 1
    arc = _sun_segment(_new_moon_day(k + i, zone), zone)
    while True:
        last = arc
        i += 1
        arc = _sun_segment(_new_moon_day(k + i, zone), zone)
        if arc == last or i >= 14:
            return i - 1


def to_lunar(day: date, zone: float = VIETNAM) -> LunarDate:
    """The lunar date of ``day`` in the calendar of time zone ``zone`` (VIETNAM: +7, CHINA: +8)."""
    jdn = julian_day_number(day)
    k = floor((jdn - _K0_JD) / _SYNODIC) + 1   # the mean estimate; the true new moon can be ~14 h either side
    while _new_moon_day(k, zone) > jdn:
        k -= 1
    while _new_moon_day(k + 1, zone) <= jdn:
        k += 1
    month_start = _new_moon_day(k, zone)
    a11 = b11 = _month_11_start(day.year, zone)
    if a11 >= month_start:
        lunar_year = day.year
        a11 = _month_11_start(day.year - 1, zone)
    else:
        lunar_year = day.year + 1
        b11 = _month_11_start(day.year + 1, zone)
    months_after_11 = (month_start - a11) // 29
    month, leap = months_after_11 + 11, False
    if b11 - a11 > 365:
        leap_offset = _leap_month_offset(a11, zone)
        if months_after_11 >= leap_offset:
            month = months_after_11 + 10
            leap = months_after_11 == leap_offset
    if month > 12:
        month -= 12
    if month >= 11 and months_after_11 < 4:
        lunar_year -= 1
    return LunarDate(lunar_year, month, jdn - month_start + 1, leap)


def from_lunar(year: int, month: int, day: int, leap: bool = False, zone: float = VIETNAM) -> date:
    """The Gregorian date of lunar ``day``/``month``/``year`` (``leap``: in the leap month after ``month``).

    Raises ``ValueError`` for a leap month the year does not have. Day 30 of a 29-day month gives the next
    month's first day: ask for day 1 of the next month and subtract one for "the last day of the month".
    """
    if not (1 <= month <= 12 and 1 <= day <= 30):
        raise ValueError(f"no lunar month {month} day {day}")
    if month < 11:
        a11, b11 = _month_11_start(year - 1, zone), _month_11_start(year, zone)
    else:
        a11, b11 = _month_11_start(year, zone), _month_11_start(year + 1, zone)
    k = floor(0.5 + (a11 - _K0_JD) / _SYNODIC)
    offset = (month - 11) % 12
    if b11 - a11 > 365:
        leap_offset = _leap_month_offset(a11, zone)
        leap_month = (leap_offset + 9) % 12 + 1          # the number of the month it repeats
        if leap and month != leap_month:
            raise ValueError(f"lunar year {year} has no leap month {month}")
        if leap or offset >= leap_offset:
            offset += 1
    elif leap:
        raise ValueError(f"lunar year {year} has no leap month")
    return from_julian_day_number(_new_moon_day(k + offset, zone) + day - 1)


def new_year(year: int, zone: float = VIETNAM) -> date:
    """The first day of lunar ``year`` (Tết Nguyên Đán at +7, 春节 at +8), in January or February."""
    return from_lunar(year, 1, 1, zone=zone)


def solar_term_day(longitude: float, zone: float, near: date) -> date:
    """The civil date, in UTC+``zone``, on which the sun's apparent longitude reaches ``longitude`` degrees.

    ``near`` is a date within a few days of it (the search looks 10 days either side), e.g. 5 April for
    Qingming (15°).
    """
    def past(jd: float) -> bool:
        return (apparent_sun_longitude_degrees(jd) - longitude + 180) % 360 - 180 >= 0

    for offset in range(-10, 11):
        day = near + timedelta(days=offset)
        end_of_day = julian_day_number(day) + 0.5 - zone / 24      # the next local midnight, as a Julian day
        if not past(end_of_day - 1) and past(end_of_day):
            return day
    raise ValueError(f"the sun does not reach {longitude}° within 10 days of {near}")
