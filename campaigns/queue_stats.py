"""An inbound queue's figures from its call records: per 15-minute interval and over any span.

Pure functions over ``InboundRecord`` (one finished or waiting inbound caller) plus one loader from
``call_records``. How callers count (README "Inbound queues", service level):

- **answered**: the call reached an agent (outcome ``handled``); **answered within T**: it waited at most
  ``threshold_s`` seconds.
- **abandoned**: any other final outcome (hung up, overflowed, voicemail, callback); split into those who
  left within T (**abandoned short**, not counted in the service level) and after T (**abandoned late**).
- **offered** = answered + abandoned (short and late); callers still waiting are not counted yet.
- **service level** = answered within T / (answered + abandoned late); ``None`` when nobody counts.
- **ASA**: mean wait of the answered; **AHT**: mean talk + wrap-up of the answered (connected to wrap end);
  **longest wait**: the longest any counted caller waited.
- **estimated-wait error**: for the answered callers whose record has one (``wait_error_s``: the wait after the
  engine's estimate at arrival less that estimate, ``dialer.queue_board.write_estimate``), the mean absolute
  error and the 90th percentile of the absolute error (linear interpolation, as numpy's default), in seconds.
- **patience** (for Erlang A): the mean of exponential patience by its censored maximum likelihood: all the
  waiting time (answered callers' waits are censored patiences) over the number who abandoned.

A caller belongs to the interval (of the queue's time zone) in which it arrived.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

INTERVAL_S = 900
HANDLED = "handled"


@dataclass(frozen=True, slots=True)
class InboundRecord:
    arrived_at: datetime               # aware
    outcome: str | None                # None: still waiting or talking
    waited_s: float | None             # arrival to answer, or to leaving
    handle_s: float | None = None      # talk + wrap-up of an answered call
    agent_id: int | None = None
    wait_error_s: float | None = None  # answered: actual wait since the arrival estimate - the estimate

    @property
    def finished(self) -> bool:
        return self.outcome is not None and self.waited_s is not None

    @property
    def answered(self) -> bool:
        return self.outcome == HANDLED


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """The figures of one interval (``start`` in the queue's zone) or one span (``start`` its beginning)."""

    start: datetime
    offered: int
    answered: int
    answered_within: int
    abandoned_short: int
    abandoned_late: int
    service_level: float | None
    asa_s: float | None
    aht_s: float | None
    longest_wait_s: float | None
    wait_total_s: float
    handle_total_s: float
    handled_with_time: int
    estimated: int = 0                     # answered callers with an estimate's error on their record
    wait_error_mae_s: float | None = None
    wait_error_p90_s: float | None = None

    @property
    def abandoned(self) -> int:
        return self.abandoned_short + self.abandoned_late


def figures(records: Iterable[InboundRecord], *, threshold_s: float, start: datetime) -> QueueFigures:
    """The figures of ``records`` (finished callers only are counted)."""
    answered = within = short = late = handled_with_time = 0
    answered_wait = wait_total = handle_total = 0.0
    longest: float | None = None
    errors: list[float] = []
    for r in records:
        if not r.finished:
            continue
        waited = max(0.0, float(r.waited_s))  # type: ignore[arg-type]
        wait_total += waited
        longest = waited if longest is None else max(longest, waited)
        if r.answered:
            answered += 1
            answered_wait += waited
            within += waited <= threshold_s
            if r.wait_error_s is not None:
                errors.append(abs(r.wait_error_s))
            if r.handle_s is not None:
                handle_total += r.handle_s
                handled_with_time += 1
        elif waited <= threshold_s:
            short += 1
        else:
            late += 1
    counted = answered + late
    return QueueFigures(
        start=start, offered=answered + short + late, answered=answered, answered_within=within,
        abandoned_short=short, abandoned_late=late, service_level=within / counted if counted else None,
        asa_s=answered_wait / answered if answered else None,
        aht_s=handle_total / handled_with_time if handled_with_time else None,
        longest_wait_s=longest, wait_total_s=wait_total, handle_total_s=handle_total,
        handled_with_time=handled_with_time, estimated=len(errors),
        wait_error_mae_s=sum(errors) / len(errors) if errors else None, wait_error_p90_s=quantile(errors, 0.9))


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of ``values`` by linear interpolation (numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def interval_start(at: datetime, zone: ZoneInfo, interval_s: int = INTERVAL_S) -> datetime:
    """The start, on the queue's wall clock, of the interval holding ``at``."""
    local = at.astimezone(zone)
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    floor = seconds - seconds % interval_s
    return local.replace(hour=floor // 3600, minute=floor % 3600 // 60, second=0, microsecond=0)


def per_interval(records: Iterable[InboundRecord], *, threshold_s: float, zone: ZoneInfo,
                 interval_s: int = INTERVAL_S) -> list[QueueFigures]:
    """One ``QueueFigures`` per interval that had a finished caller, in time order."""
    buckets: dict[datetime, list[InboundRecord]] = {}
    for r in records:
        if r.finished:
            buckets.setdefault(interval_start(r.arrived_at, zone, interval_s), []).append(r)
    return [figures(rows, threshold_s=threshold_s, start=start) for start, rows in sorted(buckets.items())]


def patience_s(records: Iterable[InboundRecord]) -> float | None:
    """Mean patience (s), exponential, censored MLE: total wait of finished callers / abandoned callers."""
    total = 0.0
    abandoned = 0
    for r in records:
        if r.finished:
            total += max(0.0, float(r.waited_s))  # type: ignore[arg-type]
            abandoned += not r.answered
    return total / abandoned if abandoned and total > 0 else None


def day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of ``now``'s day on the queue's wall clock."""
    local = now.astimezone(zone)
    return datetime.combine(local.date(), datetime.min.time(), zone)


def span(records: Sequence[InboundRecord], *, threshold_s: float, since: datetime, until: datetime) -> QueueFigures:
    """The figures of the callers who arrived in [since, until)."""
    return figures((r for r in records if since <= r.arrived_at < until), threshold_s=threshold_s, start=since)


def local_date(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else max(0.0, (b - a).total_seconds())


def record_of(row: Any) -> InboundRecord:
    """An ``InboundRecord`` from a ``call_records`` row (``waited_s`` written at the outcome; before that,
    or on older rows, from the times: arrival to connection, or to the end)."""
    waited = row["waited_s"]
    if waited is None and row["outcome"] is not None:
        waited = _seconds(row["originated_at"], row["connected_at"] or row["ended_at"])
    handle = _seconds(row["connected_at"], row["wrap_end_at"] or row["ended_at"])
    answered = row["outcome"] == HANDLED
    return InboundRecord(arrived_at=row["originated_at"], outcome=row["outcome"], waited_s=waited,
                         handle_s=handle if answered else None, agent_id=row["agent_id"],
                         wait_error_s=row["wait_error_s"] if answered else None)


async def load_records(conn: Any, *, queue_id: int, since: datetime, until: datetime) -> list[InboundRecord]:
    """The inbound records of ``queue_id`` that arrived in [since, until), oldest first."""
    rows = await conn.fetch(
        "SELECT originated_at, outcome, waited_s, connected_at, ended_at, wrap_end_at, agent_id, wait_error_s"
        " FROM call_records"
        " WHERE queue_id = $1 AND direction = 'inbound' AND originated_at >= $2 AND originated_at < $3"
        " ORDER BY originated_at", queue_id, since, until)
    return [record_of(r) for r in rows]


def round_or_none(value: float | None, digits: int = 1) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def last_interval(now: datetime, interval_s: int = INTERVAL_S) -> tuple[datetime, datetime]:
    """The last ``interval_s`` seconds up to ``now`` (a rolling window, not the wall-clock interval)."""
    return now - timedelta(seconds=interval_s), now + timedelta(microseconds=1)
