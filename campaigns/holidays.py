"""Public holidays by calendar name: FR, US, VN, CN, RU, CZ (``CALENDARS``), computed for any year.

France's (Easter-based included), US federal (observed dates), Vietnam's and China's (lunar ones from
``campaigns.lunar``), Russia's and the Czech Republic's. Pure and cached per year.
``holidays_for(calendar, year)`` returns a frozenset of ``date``; an unknown calendar name raises
``KeyError`` so a typo never silently opens a window.

Only the days fixed by law are computed. What the government announces each year is not: in Vietnam the
day next to National Day (1 or 3 Sep) and the compensatory days for a holiday on a weekend; in China the
adjusted days off and working days (调休); in Russia the transfers of days off. Enter those as the queue's
(or the schedule's) other closed days.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from campaigns import lunar


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def france(year: int) -> frozenset[date]:
    """The eleven French public holidays (metropolitan; Alsace-Moselle extras not included)."""
    easter = easter_sunday(year)
    return frozenset({
        date(year, 1, 1),                 # Jour de l'an
        easter + timedelta(days=1),       # Lundi de Pâques
        date(year, 5, 1),                 # Fête du travail
        date(year, 5, 8),                 # Victoire 1945
        easter + timedelta(days=39),      # Ascension
        easter + timedelta(days=50),      # Lundi de Pentecôte
        date(year, 7, 14),                # Fête nationale
        date(year, 8, 15),                # Assomption
        date(year, 11, 1),                # Toussaint
        date(year, 11, 11),               # Armistice
        date(year, 12, 25),               # Noël
    })


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def united_states(year: int) -> frozenset[date]:
    """US federal holidays as observed (Saturday -> Friday, Sunday -> Monday), in ``year``: a New Year's Day on a
    Saturday is observed on the Friday before, 31 December of the year before."""
    fixed = [date(y, m, d) for y in (year, year + 1)
             for m, d in ((1, 1), (6, 19), (7, 4), (11, 11), (12, 25))]
    floating = [
        _nth_weekday(year, 1, 0, 3),      # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),      # Washington's Birthday
        _last_weekday(year, 5, 0),        # Memorial Day
        _nth_weekday(year, 9, 0, 1),      # Labor Day
        _nth_weekday(year, 10, 0, 2),     # Columbus Day
        _nth_weekday(year, 11, 3, 4),     # Thanksgiving
    ]
    return frozenset([o for o in map(_observed, fixed) if o.year == year] + floating)


def vietnam(year: int) -> frozenset[date]:
    """Vietnam's public holidays fixed by the Labour Code 2019, art. 112 (10 of its 11 days; lunar at UTC+7).

    Tết is the last day of the lunar year and the first 4 of the next; National Day is 2 Sep only: the
    adjacent day (1 or 3 Sep) and the compensatory days for a holiday on a weekend are announced each year.
    """
    tet = lunar.new_year(year, lunar.VIETNAM)
    return frozenset({
        date(year, 1, 1),                                       # Tết Dương lịch
        *(tet + timedelta(days=n) for n in range(-1, 4)),       # Tết Nguyên Đán: 30 (or 29) Tết to mùng 4
        lunar.from_lunar(year, 3, 10, zone=lunar.VIETNAM),      # Giỗ Tổ Hùng Vương, 10/3 âm lịch
        date(year, 4, 30),                                      # Ngày Chiến thắng
        date(year, 5, 1),                                       # Quốc tế Lao động
        date(year, 9, 2),                                       # Quốc khánh
    })


def china(year: int) -> frozenset[date]:
    """China's public holidays by the State Council rules in force in 2025 (13 days; lunar ones at UTC+8).

    The adjusted days off and working days (调休) are announced each year and are not included.
    """
    spring = lunar.new_year(year, lunar.CHINA)
    return frozenset({
        date(year, 1, 1),                                       # 元旦
        *(spring + timedelta(days=n) for n in range(-1, 3)),    # 春节: 除夕 and the first 3 days
        lunar.solar_term_day(15, lunar.CHINA, date(year, 4, 5)),  # 清明: the sun at 15°, 4 or 5 April
        date(year, 5, 1), date(year, 5, 2),                     # 劳动节
        lunar.from_lunar(year, 5, 5, zone=lunar.CHINA),         # 端午节
        lunar.from_lunar(year, 8, 15, zone=lunar.CHINA),        # 中秋节
        date(year, 10, 1), date(year, 10, 2), date(year, 10, 3),  # 国庆节
    })


def russia(year: int) -> frozenset[date]:
    """Russia's non-working public holidays, Labour Code art. 112 (14 days; yearly transfers not included)."""
    return frozenset({
        *(date(year, 1, d) for d in range(1, 9)),   # New Year holidays 1-6, 8 Jan; Orthodox Christmas 7 Jan
        date(year, 2, 23),                          # Defender of the Fatherland Day
        date(year, 3, 8),                           # International Women's Day
        date(year, 5, 1),                           # Spring and Labour Day
        date(year, 5, 9),                           # Victory Day
        date(year, 6, 12),                          # Russia Day
        date(year, 11, 4),                          # Unity Day
    })


def czechia(year: int) -> frozenset[date]:
    """The Czech Republic's public holidays and other holidays (státní svátky and ostatní svátky, 13 days)."""
    easter = easter_sunday(year)
    return frozenset({
        date(year, 1, 1),                   # Den obnovy samostatného českého státu, Nový rok
        easter - timedelta(days=2),         # Velký pátek
        easter + timedelta(days=1),         # Velikonoční pondělí
        date(year, 5, 1),                   # Svátek práce
        date(year, 5, 8),                   # Den vítězství
        date(year, 7, 5),                   # Cyril a Metoděj
        date(year, 7, 6),                   # Jan Hus
        date(year, 9, 28),                  # Den české státnosti
        date(year, 10, 28),                 # Vznik samostatného československého státu
        date(year, 11, 17),                 # Den boje za svobodu a demokracii
        date(year, 12, 24),                 # Štědrý den
        date(year, 12, 25),                 # 1. svátek vánoční
        date(year, 12, 26),                 # 2. svátek vánoční
    })


_BY_NAME = {"FR": france, "US": united_states, "VN": vietnam, "CN": china, "RU": russia, "CZ": czechia}
CALENDARS = tuple(_BY_NAME)       # the names a queue or a campaign may choose


@lru_cache(maxsize=256)
def holidays_for(calendar: str, year: int) -> frozenset[date]:
    """The holidays of ``calendar`` (one of ``CALENDARS``) in ``year``."""
    if calendar not in _BY_NAME:
        raise KeyError(f"unknown holiday calendar {calendar!r}; known: {', '.join(CALENDARS)}")
    return _BY_NAME[calendar](year)


def is_holiday(calendar: str | None, day: date) -> bool:
    """True when ``day`` is a holiday in ``calendar`` (None: no holidays)."""
    return calendar is not None and day in holidays_for(calendar, day.year)
