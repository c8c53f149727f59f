"""What a blending campaign's pacer is told ahead of time: the inbound callers its queues expect.

The pacer learns the inbound arrival rate online, but a rate learnt from the last minutes sees a peak only
once it has begun, while the outbound calls placed before it hold their agents into it for a handle time.
The queues' own records say when the peaks come: ``campaigns.staffing.arrival_forecast`` (the staffing
page's forecast: per 15-minute interval, the mean of the same weekday over the last four weeks), summed over
the queues the campaign's agents serve, is given to the pacer on its own clock
(``PredictivePacer.forecast_inbound``), with the start of the clock hour (``align_hours``: the hour caps count
clock hours, as the reports do). The runner refreshes it when its queues change and every 15 minutes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from campaigns import queue_repository, staffing
from campaigns.queues import Queue
from dialer.call_records import WallTime

WEEKS = 4
REFRESH_S = 900.0


async def expected_arrivals(pool: Any, queues: Sequence[Queue], *, now: datetime,
                            weeks: int = WEEKS) -> list[tuple[datetime, datetime, float]]:
    """Arrivals per second the ``queues`` expect together, per 15-minute interval from ``now``."""
    if not queues:
        return []
    rows = await pool.fetch(
        "SELECT queue_id, originated_at FROM call_records WHERE direction = 'inbound' AND queue_id = ANY($1::bigint[])"
        " AND originated_at >= $2 AND originated_at < $3",
        [q.id for q in queues], now - timedelta(weeks=weeks, days=1), now)
    by_queue: dict[int, list[datetime]] = {}
    for r in rows:
        by_queue.setdefault(r["queue_id"], []).append(r["originated_at"])
    total: dict[datetime, list[Any]] = {}
    for q in queues:
        for start, stop, rate in staffing.arrival_forecast(by_queue.get(q.id, ()), zone=ZoneInfo(q.timezone),
                                                            now=now, weeks=weeks):
            cell = total.setdefault(start, [stop, 0.0])
            cell[1] += rate
    return [(start, stop, rate) for start, (stop, rate) in sorted(total.items())]


async def tell_pacer(pacer: Any, pool: Any, queue_ids: Collection[int], *, wall: WallTime) -> int:
    """Give a blending ``pacer`` the expected arrivals of the queues ``queue_ids`` and the clock hours of the
    first one's time zone, on the pacer's (monotonic) clock; returns the number of intervals given (0 for a
    pacer that does not blend)."""
    forecast_inbound = getattr(pacer, "forecast_inbound", None)
    if forecast_inbound is None or getattr(pacer, "blend", None) is None:
        return 0
    queues = sorted((q for q in await queue_repository.list_queues(pool) if q.id in queue_ids), key=lambda q: q.id)
    now = wall.clock.now()
    local = now.astimezone(ZoneInfo(queues[0].timezone if queues else "UTC"))
    pacer.align_hours(wall.mono(local.replace(minute=0, second=0, microsecond=0)))
    intervals = await expected_arrivals(pool, queues, now=now)
    forecast_inbound([(wall.mono(a), wall.mono(b), rate) for a, b, rate in intervals])
    return len(intervals)
