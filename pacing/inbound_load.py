"""Inbound load learnt online: the arrival rate over a short and a long horizon, and the service level kept.

- ``ArrivalRate``: arrivals per second with exponential forgetting over a horizon tau (seconds):
  on each arrival c <- c e^(-dt/tau) + 1; the rate is c / (tau (1 - e^(-(t - t0 + prior_s)/tau))), the
  decayed count over the decayed exposure since the estimator started (so the first minutes are not
  read as a lull). Two of them (5 and 30 minutes by default) follow a time-varying rate: the short one
  sees a surge within minutes, the long one keeps the level through a short lull.
- ``ServiceLevelWindows``: inbound callers counted and the late ones over the rolling 24 hours and the
  last hour, by the README's rule ("Inbound queues"): SL = answered within T / (answered + hung up after
  waiting more than T); a caller who hangs up within T is not counted, one who hangs up later is late, each with its own cap on the late share
  (``1 - target`` for the day, ``1 - (target - hour_slack)`` for any hour, each times the share of it
  the pacer plans to use, ``spend`` and ``hour_spend``). ``remaining`` is the number
  of late callers still allowed, the least over the windows, as ``AbandonmentWindows`` does for abandons;
  ``clock_hour`` counts the callers and late ones of the current clock hour (``windows.ClockHour``).
- ``InboundForecast``: the arrival rate the queues' history expects per interval ahead, and its peak over a
  look-ahead.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable

from pacing.windows import DAY_S, HOUR_S, AbandonmentWindows, ClockHour


class ArrivalRate:
    """Arrivals per second, exponentially weighted over ``horizon_s`` seconds."""

    __slots__ = ("_count", "_last", "_start", "arrivals", "horizon_s", "prior_s")

    def __init__(self, horizon_s: float, *, prior_s: float = 60.0) -> None:
        if horizon_s <= 0 or prior_s < 0:
            raise ValueError(f"need horizon_s > 0 and prior_s >= 0, got {horizon_s}, {prior_s}")
        self.horizon_s = horizon_s
        self.prior_s = prior_s
        self._count = 0.0
        self._last: float | None = None
        self._start: float | None = None
        self.arrivals = 0

    def start(self, now: float) -> None:
        """Begin the exposure at ``now`` (the first decision), if not begun yet."""
        if self._start is None:
            self._start = now
            self._last = now

    def observe(self, now: float) -> None:
        """One arrival at ``now``."""
        self.start(now)
        assert self._last is not None
        dt = max(0.0, now - self._last)
        self._count = self._count * math.exp(-dt / self.horizon_s) + 1.0
        self._last = max(self._last, now)
        self.arrivals += 1

    def rate(self, now: float) -> float:
        """Arrivals per second at ``now`` (0 before anything was seen)."""
        if self._start is None or self._last is None:
            return 0.0
        tau = self.horizon_s
        count = self._count * math.exp(-max(0.0, now - self._last) / tau)
        exposure = tau * -math.expm1(-(max(0.0, now - self._start) + self.prior_s) / tau)
        return count / exposure if exposure > 0 else 0.0


class ServiceLevelWindows:
    """Inbound callers resolved and late over 24 h and the last hour, and the late callers still allowed."""

    def __init__(self, target: float, answer_s: float, *, hour_slack: float = 0.10, spend: float = 1.0,
                 hour_spend: float = 1.0, initial_allowance: float = 1.0) -> None:
        if not 0 < target < 1 or answer_s <= 0:
            raise ValueError(f"need 0 < target < 1 and answer_s > 0, got {target}, {answer_s}")
        self.target = target
        self.answer_s = answer_s
        self._windows = AbandonmentWindows(
            {DAY_S: (1.0 - target) * spend, HOUR_S: min(1.0, (1.0 - (target - hour_slack)) * hour_spend)},
            initial_allowance=initial_allowance)
        self.hour_floor = target - hour_slack
        self.clock = ClockHour()           # callers counted and late ones in the current clock hour

    def clock_hour(self, now: float) -> tuple[int, int, float]:
        """(callers counted, late ones) in the clock hour of ``now``, and the seconds left in it."""
        return self.clock.counts(now)

    def answered(self, now: float, waited_s: float) -> None:
        self._windows.answer(now)
        if waited_s > self.answer_s:
            self._windows.abandon(now)
        self.clock.add(now, 1, waited_s > self.answer_s)

    def abandoned(self, now: float, waited_s: float) -> None:
        """A caller hung up unanswered after ``waited_s``: late if past the answer time, else not counted."""
        if waited_s > self.answer_s:
            self._windows.answer(now)
            self._windows.abandon(now)
            self.clock.add(now, 1, 1)

    def remaining(self, now: float) -> float:
        """Late callers still allowed now before a window falls under its target."""
        return self._windows.remaining(now)

    def today(self, now: float) -> tuple[int, int]:
        """(counted, late) over the last 24 hours."""
        day = self._windows.counts(now)[-1]
        return day.answers, day.abandons

    @property
    def resolved(self) -> int:
        return self._windows.total_answers


class InboundForecast:
    """Inbound arrivals per second expected ahead, from the queues' history (the staffing forecast).

    Piecewise constant over intervals on the pacer's clock: ``(start_s, end_s, rate_per_s)``, e.g. the
    same weekday's 15-minute intervals over the last weeks (``campaigns.staffing.forecast``). ``peak``
    is the highest rate over the intervals that overlap ``[now, now + ahead_s]``: an outbound call placed
    now holds its agent for about a handle time, so a peak that starts within it needs its agents now.
    """

    __slots__ = ("_ends", "_rates", "_starts")

    def __init__(self, intervals: Iterable[tuple[float, float, float]] = ()) -> None:
        rows = sorted((float(a), float(b), float(r)) for a, b, r in intervals)
        for a, b, r in rows:
            if not (b > a and r >= 0 and math.isfinite(r)):
                raise ValueError(f"a forecast interval needs end > start and a rate >= 0, got {(a, b, r)}")
        self._starts = [a for a, _, _ in rows]
        self._ends = [b for _, b, _ in rows]
        self._rates = [r for _, _, r in rows]

    def __len__(self) -> int:
        return len(self._rates)

    def peak(self, now: float, ahead_s: float) -> float:
        """The highest forecast rate over ``[now, now + ahead_s]`` (0 where there is no forecast)."""
        hi = now + max(0.0, ahead_s)
        best = 0.0
        for i in range(max(0, bisect.bisect_right(self._starts, now) - 1), len(self._starts)):
            if self._starts[i] > hi:
                break
            if self._ends[i] > now:
                best = max(best, self._rates[i])
        return best
