"""Staffing for an inbound queue: a forecast of offered calls per 15-minute interval and the agents needed.

Pure functions (no I/O). ``campaigns.queue_stats`` gives the measured figures; here:

- **Forecast** (``forecast``): for each interval of a coming day, the mean offered calls of the same
  interval on the same weekday of the last ``weeks`` weeks of history (a day of history with no call in an
  interval counts 0), and the handle time of those intervals (total handle / answered; the queue's overall
  AHT where they had none).
- **Agents needed** for the service level (answered within T / (answered + abandoned after T), at least
  the target share), with load a = offered / 900 s x AHT:
  - **Erlang C** (M/M/n, nobody abandons): ``pacing.erlang.agents_for_service_level``.
  - **Erlang A** (M/M/n+M, exponential patience with the measured mean): ``erlang_a_service_level`` below.
    A tagged caller who finds all n agents busy and m callers ahead moves up at rate n mu + m theta and
    abandons at rate theta; over [0, T] (a small absorbing chain, ``scipy.linalg.expm``) that gives
    P(answered by T) and P(abandoned by T), so SL = P(answered by T) / (1 - P(abandoned by T)) (callers
    who abandon within T are not counted). The arrival's view is the stationary M/M/n+M state (PASTA).
  A target of 100 % cannot be met by any finite team; it is read as 99.9 %.
- **Agents logged in** per interval (``agents_per_interval``), beside the agents needed: from the segments of
  ``agent_history`` (``dialer.agent_history``: signed in, and of that time paused), the agent-seconds each
  interval holds over its 900 s, i.e. agent-hours / 0.25 h: the average number signed in over the interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from scipy.linalg import expm

from pacing.erlang import agents_for_service_level

INTERVAL_S = 900
SLOTS_PER_DAY = 24 * 3600 // INTERVAL_S
MAX_TARGET = 0.999


@dataclass(frozen=True, slots=True)
class SlotHistory:
    """One interval of one past day: offered calls, answered calls and their total handle time (s)."""

    offered: int
    answered: int = 0
    handle_total_s: float = 0.0


@dataclass(frozen=True, slots=True)
class SlotForecast:
    day: date
    slot: int                  # 0..95: the interval starting at slot * 15 min on the queue's wall clock
    offered: float
    aht_s: float | None
    days_seen: int             # same-weekday days of history the mean is over


def forecast(history: Mapping[date, Mapping[int, SlotHistory]], *, days: Sequence[date], observed: Sequence[date],
             weeks: int = 4, fallback_aht_s: float | None = None) -> list[SlotForecast]:
    """Per interval of each of ``days``: the mean of the same weekday's intervals over the last ``weeks``
    weeks among ``observed`` (the past days the queue had records for, or was open: those count 0 where
    ``history`` has nothing). Only intervals with some history are returned."""
    out = []
    for day in days:
        same = sorted((d for d in observed if d < day and d.weekday() == day.weekday()
                       and (day - d).days <= 7 * weeks), reverse=True)
        if not same:
            continue
        for slot in range(SLOTS_PER_DAY):
            cells = [history.get(d, {}).get(slot) for d in same]
            offered = sum(c.offered for c in cells if c is not None)
            if offered == 0:
                continue
            answered = sum(c.answered for c in cells if c is not None)
            handle = sum(c.handle_total_s for c in cells if c is not None)
            aht = handle / answered if answered and handle > 0 else fallback_aht_s
            out.append(SlotForecast(day, slot, offered / len(same), aht, len(same)))
    return out


def arrival_forecast(arrivals: Iterable[datetime], *, zone: ZoneInfo, now: datetime, weeks: int = 4,
                     hours_ahead: float = 26.0) -> list[tuple[datetime, datetime, float]]:
    """The inbound arrivals per second a queue expects in each 15-minute interval from ``now`` for ``hours_ahead``
    hours: ``forecast`` (the same weekday's interval, mean over the last ``weeks`` weeks; whole past days since
    the first arrival count, a day without calls as 0) of the arrival times of its past callers. A blending
    pacer keeps agents for a peak before its callers arrive (``pacing.inbound_load.InboundForecast``).
    ``(start, end, arrivals per second)``; empty without history of the same weekday."""
    history: dict[date, dict[int, SlotHistory]] = {}
    for at in arrivals:
        local = at.astimezone(zone)
        slot = (local.hour * 3600 + local.minute * 60 + local.second) // INTERVAL_S
        day = history.setdefault(local.date(), {})
        day[slot] = SlotHistory(day[slot].offered + 1 if slot in day else 1)
    if not history:
        return []
    today = now.astimezone(zone).date()
    first = min(history)
    observed = [first + timedelta(days=i) for i in range((today - first).days)]
    end = now + timedelta(hours=hours_ahead)
    days = [today + timedelta(days=i) for i in range(math.ceil(hours_ahead / 24.0) + 1)]
    out = []
    for fc in forecast(history, days=days, observed=observed, weeks=weeks):
        start = datetime.combine(fc.day, datetime.min.time(), zone) + timedelta(seconds=fc.slot * INTERVAL_S)
        stop = start + timedelta(seconds=INTERVAL_S)
        if stop > now and start < end:
            out.append((start, stop, fc.offered / INTERVAL_S))
    return out


def erlangs(offered: float, aht_s: float, interval_s: int = INTERVAL_S) -> float:
    return offered * aht_s / interval_s


def _target(target: float) -> float:
    return min(target, MAX_TARGET)


def agents_erlang_c(offered: float, aht_s: float, *, target: float, threshold_s: float,
                    interval_s: int = INTERVAL_S) -> int:
    """Fewest agents for the service level without abandonment (Erlang C); 0 with no load."""
    load = erlangs(offered, aht_s, interval_s)
    if load <= 0:
        return 0
    return agents_for_service_level(load, aht_s, threshold_s, _target(target))


def _stationary_queue(agents: int, load: float, aht_s: float, patience_s: float) -> tuple[float, np.ndarray]:
    """M/M/n+M at arrival (PASTA): P(an agent is free), and P(all busy with m callers waiting) for m = 0..K."""
    mu, theta = 1.0 / aht_s, 1.0 / patience_s
    lam = load * mu
    log_p = [0.0]          # log of unnormalised p_j, j = 0..n (in system)
    for j in range(1, agents + 1):
        log_p.append(log_p[-1] + math.log(lam) - math.log(j * mu))
    queue = [log_p[-1]]    # j = n + m, m = 0..
    peak = max(log_p)
    m = 0
    while m < 5000:
        m += 1
        queue.append(queue[-1] + math.log(lam) - math.log(agents * mu + m * theta))
        peak = max(peak, queue[-1])
        if queue[-1] < peak - 30 and queue[-1] < queue[-2]:
            break
    all_logs = np.array(log_p[:-1] + queue)
    top = all_logs.max()
    weights = np.exp(all_logs - top)
    weights /= weights.sum()
    return float(weights[:agents].sum()), weights[agents:]


def _unreachable_depth(serving_rate: float, theta: float, threshold_s: float, states: int) -> int:
    """The number of queue depths worth a matrix: the first m where m + 1 advances within T are out of reach
    (above the Poisson mean of the advances at that depth by 12 standard deviations and 30), else all."""
    if theta * threshold_s >= 0.5:       # impatient callers: the others ahead leave fast, keep every state
        return states
    for m in range(states):
        mean = (serving_rate + m * theta) * threshold_s
        if m + 1 > mean + 12 * math.sqrt(mean) + 30:
            return m
    return states


@lru_cache(maxsize=4096)
def erlang_a_service_level(agents: int, load: float, aht_s: float, patience_s: float, threshold_s: float) -> float:
    """Service level (README rule) of M/M/n+M: answered within T / (answered + abandoned after T)."""
    if load <= 0:
        return 1.0
    if agents < 1:
        return 0.0
    mu, theta = 1.0 / aht_s, 1.0 / patience_s
    free, waiting = _stationary_queue(agents, load, aht_s, patience_s)
    # A caller with m ahead needs m + 1 advances within T; past the depth where even the fastest advance rate
    # almost surely cannot give that many (a Poisson tail under 1e-12), the caller is answered late or leaves
    # on its own patience. The chain only moves down, so the states below that depth need nothing above it, and
    # those above count as not answered in time (an error under 1e-12): without the cut, a queue whose callers
    # barely abandon needs thousands of states (100 s).
    size = _unreachable_depth(agents * mu, theta, threshold_s, len(waiting))
    # states 0..size-1: callers ahead; size: answered; size + 1: abandoned
    q = np.zeros((size + 2, size + 2))
    for m in range(size):
        advance = agents * mu + m * theta
        q[m, m - 1 if m else size] = advance
        q[m, size + 1] = theta
        q[m, m] = -(advance + theta)
    moved = expm(q * threshold_s)
    answered_by_t = free + float(waiting[:size] @ moved[:size, size])
    abandoned_by_t = float(waiting[:size] @ moved[:size, size + 1])
    abandoned_by_t += float(waiting[size:].sum()) * -math.expm1(-theta * threshold_s)
    return answered_by_t / (1.0 - abandoned_by_t) if abandoned_by_t < 1.0 else 0.0


def agents_erlang_a(offered: float, aht_s: float, *, target: float, threshold_s: float, patience_s: float,
                    interval_s: int = INTERVAL_S, max_agents: int = 2000) -> int:
    """Fewest agents for the service level with callers abandoning after the measured mean patience."""
    load = erlangs(offered, aht_s, interval_s)
    if load <= 0:
        return 0
    goal = _target(target)
    load_key, aht_key, pat_key = round(load, 6), round(aht_s, 3), round(patience_s, 3)

    def meets(n: int) -> bool:
        return erlang_a_service_level(n, load_key, aht_key, pat_key, float(threshold_s)) >= goal

    low, high = 1, min(max_agents, agents_erlang_c(offered, aht_s, target=target, threshold_s=threshold_s,
                                                   interval_s=interval_s))
    if not meets(high):            # abandonment only helps the service level; never reached in practice
        raise ValueError("service level target not reachable with the Erlang C staffing")
    while low < high:              # the service level grows with the agents: the first n that meets it
        mid = (low + high) // 2
        if meets(mid):
            high = mid
        else:
            low = mid + 1
    return low


@dataclass(frozen=True, slots=True)
class IntervalAgents:
    """Agents over one interval: the average number signed in, and of them paused (agent-seconds / 900 s)."""

    logged_in: float
    paused: float


def slot_of(local_start: datetime, interval_s: int = INTERVAL_S) -> int:
    return (local_start.hour * 3600 + local_start.minute * 60) // interval_s


def agents_per_interval(spans: Iterable[tuple[datetime, datetime, bool]], zone: ZoneInfo,
                        interval_s: int = INTERVAL_S, *,
                        until: datetime | None = None) -> dict[tuple[date, int], IntervalAgents]:
    """Per (day, slot) on ``zone``'s wall clock: the average agents signed in, from ``spans`` (start, end,
    paused) of signed-in time. The intervals are cut on the hour's quarters, which are the same instants in
    every zone whose offset is a multiple of 15 minutes (all of today's). The interval holding ``until`` (now)
    is averaged over its part gone by."""
    seconds: dict[tuple[date, int], list[float]] = {}
    current: tuple[date, int] | None = None
    elapsed = float(interval_s)
    if until is not None:
        begun = datetime.fromtimestamp(until.timestamp() // interval_s * interval_s, UTC)
        local_now = begun.astimezone(zone)
        current = (local_now.date(), (local_now.hour * 3600 + local_now.minute * 60) // interval_s)
        elapsed = max(1.0, (until - begun).total_seconds())
    for start, end, paused in spans:
        t = start
        while t < end:
            boundary = datetime.fromtimestamp((t.timestamp() // interval_s + 1) * interval_s, UTC)
            stop = min(end, boundary)
            local = t.astimezone(zone)
            cell = seconds.setdefault((local.date(), (local.hour * 3600 + local.minute * 60) // interval_s),
                                      [0.0, 0.0])
            dt = (stop - t).total_seconds()
            cell[0] += dt
            if paused:
                cell[1] += dt
            t = stop
    return {key: IntervalAgents(v[0] / (elapsed if key == current else interval_s),
                                v[1] / (elapsed if key == current else interval_s)) for key, v in seconds.items()}


def slot_label(slot: int) -> str:
    start = timedelta(seconds=slot * INTERVAL_S)
    return f"{start.seconds // 3600:02d}:{start.seconds % 3600 // 60:02d}"
