"""Rolling abandonment windows per campaign: live answers and abandons over 24 hours, 30 days (and 1 hour).

Feed it the time of each live answer and each abandon (seconds on the pacer's clock); it keeps counts in
one-minute buckets, so 30 days of a busy campaign cost about 43,200 small buckets. ``remaining`` is the
abandonment budget: the least, over the windows, of ``rate * answers - abandons`` plus an initial
allowance (in abandons). Rates follow the US TSR (16 CFR 310.4(b)(4)(i): 3% of live answers per campaign
over 30 days) and UK Ofcom practice (3% over 24 hours).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

DAY_S = 86_400.0
MONTH_S = 30 * DAY_S
HOUR_S = 3_600.0


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Live answers and abandons inside one window (a snapshot)."""

    span_s: float
    answers: int
    abandons: int

    @property
    def rate(self) -> float:
        """Abandons per live answer (0 with no answers)."""
        return self.abandons / self.answers if self.answers else 0.0


class _Window:
    __slots__ = ("span_s", "bucket_s", "buckets", "answers", "abandons")

    def __init__(self, span_s: float, bucket_s: float) -> None:
        self.span_s = span_s
        self.bucket_s = bucket_s
        self.buckets: deque[list[int]] = deque()  # [bucket index, answers, abandons]
        self.answers = 0
        self.abandons = 0

    def add(self, t: float, answers: int, abandons: int) -> None:
        idx = int(t // self.bucket_s)
        if self.buckets and self.buckets[-1][0] >= idx:   # same bucket, or a late event: keep it with the newest
            self.buckets[-1][1] += answers
            self.buckets[-1][2] += abandons
        else:
            self.buckets.append([idx, answers, abandons])
        self.answers += answers
        self.abandons += abandons

    def expire(self, now: float) -> None:
        first_kept = int((now - self.span_s) // self.bucket_s)   # a bucket overlapping the window stays
        while self.buckets and self.buckets[0][0] < first_kept:
            _, ans, ab = self.buckets.popleft()
            self.answers -= ans
            self.abandons -= ab


class AbandonmentWindows:
    """Counts of live answers and abandons over rolling windows, and the budget they leave.

    ``spans`` maps a window length in seconds to its cap (abandons per live answer); the default is
    3% over 24 hours and over 30 days. Seed it from the call records at start with ``seed``.
    """

    def __init__(
        self,
        spans: dict[float, float] | None = None,
        *,
        initial_allowance: float = 0.0,
        bucket_s: float = 60.0,
    ) -> None:
        self.spans = dict(spans) if spans is not None else {DAY_S: 0.03, MONTH_S: 0.03}
        if not self.spans or any(s <= 0 or not 0 <= r <= 1 for s, r in self.spans.items()):
            raise ValueError(f"spans must map positive lengths to rates in [0, 1], got {self.spans}")
        self.initial_allowance = initial_allowance
        self._windows = {span: _Window(span, bucket_s) for span in self.spans}
        self.total_answers = 0
        self.total_abandons = 0

    def seed(self, *, answers: Iterable[float] = (), abandons: Iterable[float] = ()) -> None:
        """Load past live-answer and abandon times (seconds on this clock, may be negative)."""
        events = [(t, 1, 0) for t in answers] + [(t, 0, 1) for t in abandons]
        for t, ans, ab in sorted(events):
            self._add(t, ans, ab)

    def answer(self, t: float) -> None:
        """Record one live answer at time ``t``."""
        self._add(t, 1, 0)

    def abandon(self, t: float) -> None:
        """Record one abandoned call at time ``t``."""
        self._add(t, 0, 1)

    def _add(self, t: float, answers: int, abandons: int) -> None:
        self.total_answers += answers
        self.total_abandons += abandons
        for w in self._windows.values():
            w.add(t, answers, abandons)

    def counts(self, now: float) -> tuple[WindowCounts, ...]:
        """Answers and abandons in each window ending at ``now``, shortest window first."""
        out = []
        for span in sorted(self._windows):
            w = self._windows[span]
            w.expire(now)
            out.append(WindowCounts(span, w.answers, w.abandons))
        return tuple(out)

    def remaining(self, now: float, *, scale: float = 1.0) -> float:
        """Abandons still allowed now: min over windows of ``scale * rate * answers - abandons`` + allowance.

        ``scale`` < 1 spends only part of the legal budget (a safety margin for chance).
        """
        best = float("inf")
        for span, rate in self.spans.items():
            w = self._windows[span]
            w.expire(now)
            best = min(best, scale * rate * w.answers - w.abandons)
        return best + self.initial_allowance


class ClockHour:
    """Two counts over the current clock hour (hours start at ``origin_s`` on the pacer's clock, mod 1 h), e.g.
    live answers and abandons, or callers counted and late ones: the hour caps count clock hours, as reports do."""

    __slots__ = ("_counts", "origin_s")

    def __init__(self, origin_s: float = 0.0) -> None:
        self.origin_s = origin_s
        self._counts = [-1, 0, 0]          # [clock hour, first count, second count]

    def _hour(self, now: float) -> int:
        return math.floor((now - self.origin_s) / HOUR_S)

    def add(self, now: float, first: int, second: int) -> None:
        hour = self._hour(now)
        if hour != self._counts[0]:
            self._counts = [hour, 0, 0]
        self._counts[1] += first
        self._counts[2] += second

    def counts(self, now: float) -> tuple[int, int, float]:
        """(first count, second count) in the clock hour of ``now``, and the seconds left in it."""
        hour = self._hour(now)
        left = self.origin_s + (hour + 1) * HOUR_S - now
        return (self._counts[1], self._counts[2], left) if hour == self._counts[0] else (0, 0, left)
