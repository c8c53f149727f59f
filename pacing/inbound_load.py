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
  of late callers still allowed, the least over the windows, as ``AbandonmentWindows`` does for abandons.
"""

from __future__ import annotations

import math

from pacing.windows import DAY_S, HOUR_S, AbandonmentWindows


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

    def answered(self, now: float, waited_s: float) -> None:
        self._windows.answer(now)
        if waited_s > self.answer_s:
            self._windows.abandon(now)

    def abandoned(self, now: float, waited_s: float) -> None:
        """A caller hung up unanswered after ``waited_s``: late if past the answer time, else not counted."""
        if waited_s > self.answer_s:
            self._windows.answer(now)
            self._windows.abandon(now)

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
