"""Is an inbound queue open at an instant, and why (pure, DST-safe with zoneinfo).

``is_open(queue, at)`` reads ``at`` (aware) on the queue's own wall clock (``Queue.timezone``): the queue
is closed on a date of its holiday calendar or one of its closed dates (that local date, whatever the
hours), else open when the local time falls in one of that weekday's half-open intervals ``[start, end)``.
During a DST change the wall clock decides: a skipped local hour never happens, a repeated one is open (or
closed) both times. ``next_change`` is not here: the engine asks again when it needs to.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from campaigns.holidays import is_holiday
from campaigns.queues import Queue
from campaigns.windows import DAY_NAMES, format_interval, zone


class Reason(str, enum.Enum):
    OPEN = "open"
    HOLIDAY = "holiday"               # a date of the queue's holiday calendar
    CLOSED_DAY = "closed_day"         # one of the queue's own closed dates
    NO_HOURS = "no_hours"             # the weekday has no hours at all
    OUTSIDE_HOURS = "outside_hours"   # the weekday has hours, not at this time


@dataclass(frozen=True, slots=True)
class OpenState:
    """``open`` and its ``reason``; ``local`` is ``at`` on the queue's wall clock; ``why`` reads for a person."""

    open: bool
    reason: Reason
    local: datetime
    why: str


def is_open(queue: Queue, at: datetime) -> OpenState:
    """Whether ``queue`` takes callers at ``at`` (an aware datetime), with the reason."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("is_open needs an aware datetime (a naive one has no instant)")
    local = at.astimezone(zone(queue.timezone))
    day = local.date()
    stamp = f"{local:%Y-%m-%d %H:%M} {queue.timezone}"
    if is_holiday(queue.holiday_calendar, day):
        return OpenState(False, Reason.HOLIDAY, local, f"closed: {day} is a {queue.holiday_calendar} holiday")
    if day in queue.closed_days:
        return OpenState(False, Reason.CLOSED_DAY, local, f"closed: {day} is one of the queue's closed days")
    intervals = queue.weekly[local.weekday()]
    if not intervals:
        return OpenState(False, Reason.NO_HOURS, local, f"closed: no hours on {DAY_NAMES[local.weekday()]} ({stamp})")
    minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6
    hours = ", ".join(format_interval(iv) for iv in intervals)
    if any(start <= minute < end for start, end in intervals):
        return OpenState(True, Reason.OPEN, local, f"open: {stamp} is within {hours}")
    return OpenState(False, Reason.OUTSIDE_HOURS, local, f"closed: {stamp} is outside {hours}")
