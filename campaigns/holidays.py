"""Public holidays by calendar name: France's computed (Easter-based included) and US federal (observed dates).

Pure and cached per year. ``holidays_for(calendar, year)`` returns a frozenset of ``date``;
an unknown calendar name raises ``KeyError`` so a typo never silently opens a window.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

CALENDARS = ("FR", "US")


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
    """US federal holidays as observed (Saturday -> Friday, Sunday -> Monday)."""
    fixed = [date(year, 1, 1), date(year, 6, 19), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
    floating = [
        _nth_weekday(year, 1, 0, 3),      # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),      # Washington's Birthday
        _last_weekday(year, 5, 0),        # Memorial Day
        _nth_weekday(year, 9, 0, 1),      # Labor Day
        _nth_weekday(year, 10, 0, 2),     # Columbus Day
        _nth_weekday(year, 11, 3, 4),     # Thanksgiving
    ]
    return frozenset([_observed(d) for d in fixed] + floating)


@lru_cache(maxsize=256)
def holidays_for(calendar: str, year: int) -> frozenset[date]:
    """The holidays of ``calendar`` ("FR" or "US") in ``year``."""
    if calendar == "FR":
        return france(year)
    if calendar == "US":
        return united_states(year)
    raise KeyError(f"unknown holiday calendar {calendar!r}; known: {', '.join(CALENDARS)}")


def is_holiday(calendar: str | None, day: date) -> bool:
    """True when ``day`` is a holiday in ``calendar`` (None: no holidays)."""
    return calendar is not None and day in holidays_for(calendar, day.year)
