"""Calling windows and campaign schedules evaluated in local time with zoneinfo (DST-safe), pure.

A ``WindowProfile`` holds, for each weekday (Monday = 0), the local intervals during which calls are
allowed, a holiday calendar on whose days it is closed, and an optional attempt cap per rolling period.
For a lead with several possible zones the most restrictive wins: it may be called only when the window
is open in *every* zone (``is_open_everywhere``), and ``next_open`` returns the first instant at which
that intersection opens. Intervals are half-open ``[start, end)`` in minutes of the local day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigns.errors import CampaignError
from campaigns.holidays import CALENDARS, is_holiday

Interval = tuple[int, int]          # minutes of the local day, [start, end)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
HORIZON_DAYS = 400


class WindowError(CampaignError):
    """A window, schedule or zone is malformed."""


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; an unknown name raises ``WindowError``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise WindowError(f"unknown time zone {name!r}") from exc


def is_zone(name: str) -> bool:
    try:
        zone(name)
    except WindowError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class WindowProfile:
    """Weekly local hours, holiday closures and an attempt cap (``max_attempts`` per ``period_days``)."""

    name: str
    weekly: tuple[tuple[Interval, ...], ...]
    holiday_calendar: str | None = None
    closed_days: frozenset[date] = field(default_factory=frozenset)
    max_attempts: int | None = None
    period_days: int = 30

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise WindowError("a window needs hours for each of the 7 weekdays (possibly none)")
        for intervals in self.weekly:
            for start, end in intervals:
                if not 0 <= start < end <= 1440:
                    raise WindowError(f"bad interval {start}-{end} minutes")
        if self.holiday_calendar is not None and self.holiday_calendar not in CALENDARS:
            raise WindowError(f"unknown holiday calendar {self.holiday_calendar!r}")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise WindowError("max_attempts must be at least 1")

    def closed_on(self, day: date) -> bool:
        return day in self.closed_days or is_holiday(self.holiday_calendar, day)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hours": {DAY_NAMES[i]: [format_interval(iv) for iv in ivs] for i, ivs in enumerate(self.weekly)},
            "holiday_calendar": self.holiday_calendar,
            "closed_days": sorted(d.isoformat() for d in self.closed_days),
            "max_attempts": self.max_attempts,
            "period_days": self.period_days,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WindowProfile:
        hours = data.get("hours") or {}
        unknown = set(hours) - set(DAY_NAMES)
        if unknown:
            raise WindowError(f"unknown weekday(s) {sorted(unknown)}; use {', '.join(DAY_NAMES)}")
        return cls(
            name=str(data.get("name", "custom")),
            weekly=tuple(tuple(parse_interval(s) for s in hours.get(d, ())) for d in DAY_NAMES),
            holiday_calendar=data.get("holiday_calendar"),
            closed_days=frozenset(date.fromisoformat(d) for d in data.get("closed_days", ())),
            max_attempts=data.get("max_attempts"),
            period_days=int(data.get("period_days", 30)),
        )


def parse_interval(text: str) -> Interval:
    """``"10:00-13:00"`` -> ``(600, 780)``; ``24:00`` is allowed as an end."""
    match = _HOURS.match(text)
    if not match:
        raise WindowError(f"bad hours {text!r}; expected HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or not 0 <= start < end <= 1440:
        raise WindowError(f"bad hours {text!r}")
    return start, end


def format_interval(interval: Interval) -> str:
    (h1, m1), (h2, m2) = divmod(interval[0], 60), divmod(interval[1], 60)
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


def every_day(*intervals: Interval) -> tuple[tuple[Interval, ...], ...]:
    return tuple(tuple(intervals) for _ in range(7))


US = WindowProfile("us", every_day((8 * 60, 21 * 60)))
FRANCE = WindowProfile(
    "france",
    tuple(((600, 780), (840, 1200)) if d < 5 else () for d in range(7)),
    holiday_calendar="FR", max_attempts=4, period_days=30,
)
PROFILES: dict[str, WindowProfile] = {"us": US, "france": FRANCE}


def profile_named(name: str, custom: WindowProfile | None = None) -> WindowProfile:
    """The built-in profile ``name`` ("us", "france") or the given custom one for "custom"."""
    if name == "custom":
        if custom is None:
            raise WindowError("the custom window profile has no hours")
        return custom
    try:
        return PROFILES[name]
    except KeyError:
        raise WindowError(f"unknown window profile {name!r}; known: us, france, custom") from None


def _minute_of_day(local: datetime) -> float:
    return local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6


def is_open(profile: WindowProfile, zone_name: str, at: datetime) -> bool:
    """True when ``at`` (aware) falls inside the profile's hours in ``zone_name``'s local time."""
    local = at.astimezone(zone(zone_name))
    if profile.closed_on(local.date()):
        return False
    minute = _minute_of_day(local)
    return any(start <= minute < end for start, end in profile.weekly[local.weekday()])


def is_open_everywhere(profile: WindowProfile, zones: Iterable[str], at: datetime) -> bool:
    """Most restrictive wins: open only if open in every zone (and there is at least one zone)."""
    names = list(zones)
    return bool(names) and all(is_open(profile, z, at) for z in names)


def local_to_utc(day: date, minute: int, zone_name: str) -> datetime:
    """The UTC instant of ``minute`` past local midnight of ``day`` (first occurrence when ambiguous)."""
    extra, minute = divmod(minute, 1440)
    moment = datetime.combine(day + timedelta(days=extra), time(minute // 60, minute % 60),
                              tzinfo=zone(zone_name))
    return moment.astimezone(UTC)


def _next_open_in_zone(profile: WindowProfile, zone_name: str, at: datetime, horizon_days: int) -> datetime | None:
    first = at.astimezone(zone(zone_name)).date() - timedelta(days=1)
    for offset in range(horizon_days + 2):
        day = first + timedelta(days=offset)
        if profile.closed_on(day):
            continue
        for start, end in profile.weekly[day.weekday()]:
            if local_to_utc(day, end, zone_name) > at:
                return max(local_to_utc(day, start, zone_name), at)
    return None


def next_open(profile: WindowProfile, zones: Sequence[str], at: datetime, *,
              horizon_days: int = HORIZON_DAYS) -> datetime | None:
    """The first instant >= ``at`` at which the window is open in every zone, or None within the horizon."""
    if not zones:
        return None
    limit = at + timedelta(days=horizon_days)
    t = at
    for _ in range(2000):
        if t > limit:
            return None
        latest = t
        for name in zones:
            candidate = _next_open_in_zone(profile, name, t, horizon_days)
            if candidate is None:
                return None
            latest = max(latest, candidate)
        if latest == t:
            if is_open_everywhere(profile, zones, t):
                return t
            t += timedelta(minutes=1)   # a DST gap swallowed the start: step past it
        else:
            t = latest
    return None


def attempts_reopen_at(profile: WindowProfile, attempt_times: Sequence[datetime], now: datetime) -> datetime | None:
    """When the attempt cap blocks a call at ``now``: the instant it frees up; None when under the cap."""
    if profile.max_attempts is None:
        return None
    period = timedelta(days=profile.period_days)
    recent = sorted(t for t in attempt_times if now - period < t <= now)
    if len(recent) < profile.max_attempts:
        return None
    return recent[len(recent) - profile.max_attempts] + period


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a campaign runs, in the campaign's own zone: weekly hours, a date range and holidays."""

    window: WindowProfile
    start_date: date | None = None
    end_date: date | None = None

    def as_dict(self) -> dict[str, Any]:
        data = self.window.as_dict()
        data.pop("name"), data.pop("max_attempts"), data.pop("period_days")
        data["start_date"] = self.start_date.isoformat() if self.start_date else None
        data["end_date"] = self.end_date.isoformat() if self.end_date else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Schedule:
        if not data:
            return ALWAYS
        window = WindowProfile.from_dict({**data, "name": "schedule", "max_attempts": None})
        start, end = data.get("start_date"), data.get("end_date")
        schedule = cls(window, date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None)
        if schedule.start_date and schedule.end_date and schedule.end_date < schedule.start_date:
            raise WindowError("the schedule ends before it starts")
        return schedule


ALWAYS = Schedule(WindowProfile("schedule", every_day((0, 1440))))


def schedule_is_open(schedule: Schedule, zone_name: str, at: datetime) -> bool:
    """True when the campaign's schedule allows calling at ``at``."""
    day = at.astimezone(zone(zone_name)).date()
    if schedule.start_date and day < schedule.start_date:
        return False
    if schedule.end_date and day > schedule.end_date:
        return False
    return is_open(schedule.window, zone_name, at)


def schedule_next_open(schedule: Schedule, zone_name: str, at: datetime) -> datetime | None:
    """The first instant >= ``at`` inside the schedule, or None if it never opens again."""
    t = at
    if schedule.start_date:
        t = max(t, local_to_utc(schedule.start_date, 0, zone_name))
    found = next_open(schedule.window, [zone_name], t)
    if found is None or (schedule.end_date and found.astimezone(zone(zone_name)).date() > schedule.end_date):
        return None
    return found


def local_time_to_utc(local: datetime, zone_name: str) -> datetime:
    """A naive local time in ``zone_name`` as an aware UTC instant.

    A time in a DST gap moves forward by the gap (02:30 -> 03:30); an ambiguous one is its first occurrence.
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=zone(zone_name), fold=0).astimezone(UTC)
