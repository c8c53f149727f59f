"""VICIdial's adaptive dial-level controller (ADAPT_* dial methods), rebuilt for comparison.

As described by VICIdial's ``AST_VDadapt.pl`` and ``AST_VDauto_dial.pl``: every second sample ready
agents R, answered calls waiting W and logged-in agents T, keeping the last 15 samples; every 15 s set
m = (mean(R) - mean(W) + diff_target) / mean(T) and multiply the dial level by 1 + m (scaled by the
intensity factor, here 1 + intensity/100), clamped to [1, max_level]; halve the level when more than
half of the last minute's live answers (over 20) were dropped; once the day has over 50 answers and its
drop rate is above target, cut the level (HARD_LIMIT: to 1.0, AVERAGE: halve, TAPERED: shrink the
overdial by the share of the day left). Every 2.5 s place round(level * agents) - calls in flight, where
agents are the ready agents (``available_only_ratio_tally``) or ready plus in-call agents; calls in
flight are ringing plus waiting calls, plus calls with agents when in-call agents are counted. Drop
counts reset at each day boundary. It has no model of talk times or answer rates.
"""

from __future__ import annotations

from collections import deque

from pacing.contract import Abandoned, Decision, DialOutcome, Event, Snapshot, cap_to_lines
from pacing.windows import DAY_S

DROP_METHODS = ("HARD_LIMIT", "AVERAGE", "TAPERED")


class VicidialPacer:
    """Feedback dial-level controller with no model, protecting the drop rate only after 50 answers a day."""

    name = "vicidial"

    def __init__(
        self,
        *,
        max_level: float = 3.0,
        target_abandon: float = 0.03,
        diff_target: float = 0.0,
        intensity: float = 0.0,
        available_only: bool = True,
        drop_method: str = "HARD_LIMIT",
        day_length_s: float = 8 * 3600.0,
        day_start_s: float = 0.0,
        initial_level: float = 1.0,
    ) -> None:
        if drop_method not in DROP_METHODS:
            raise ValueError(f"drop_method must be one of {DROP_METHODS}, got {drop_method!r}")
        if max_level < 1:
            raise ValueError(f"max_level must be >= 1, got {max_level}")
        self.max_level = max_level
        self.target_abandon = target_abandon
        self.diff_target = diff_target
        self.intensity = intensity
        self.available_only = available_only
        self.drop_method = drop_method
        self.day_length_s = day_length_s
        self.day_start_s = day_start_s
        self.level = min(max(initial_level, 1.0), max_level)
        self._samples: deque[tuple[int, int, int]] = deque(maxlen=15)
        self._next_sample: float | None = None
        self._next_adjust: float | None = None
        self._next_place: float | None = None
        self._minute: deque[tuple[float, bool]] = deque()   # (time, dropped) of recent live answers
        self._day = 0
        self._day_answers = 0
        self._day_drops = 0

    def _roll_day(self, now: float) -> None:
        day = int((now - self.day_start_s) // DAY_S)
        if day != self._day:
            self._day, self._day_answers, self._day_drops = day, 0, 0

    def observe(self, event: Event) -> None:
        self._roll_day(event.now)
        if isinstance(event, DialOutcome) and event.live:
            self._day_answers += 1
            self._minute.append((event.now, False))
        elif isinstance(event, Abandoned):
            self._day_drops += 1
            self._minute.append((event.now, True))

    def _adjust(self, now: float) -> str:
        note = ""
        if self._samples:
            n = len(self._samples)
            ready = sum(s[0] for s in self._samples) / n
            waiting = sum(s[1] for s in self._samples) / n
            total = sum(s[2] for s in self._samples) / n
            if total > 0:
                m = (ready - waiting + self.diff_target) / total
                self.level *= 1.0 + m * (1.0 + self.intensity / 100.0)
        self.level = min(max(self.level, 1.0), self.max_level)
        while self._minute and self._minute[0][0] < now - 60.0:
            self._minute.popleft()
        drops = sum(1 for _, d in self._minute if d)
        answers = len(self._minute) - drops
        if answers > 20 and drops > answers / 2:
            self.level = max(1.0, self.level / 2)
            note = "; halved: over half the last minute dropped"
        if self._day_answers > 50 and self._day_drops / self._day_answers > self.target_abandon:
            if self.drop_method == "HARD_LIMIT":
                self.level = 1.0
            elif self.drop_method == "AVERAGE":
                self.level = max(1.0, self.level / 2)
            else:
                day_pos = (now - self.day_start_s) % DAY_S
                left = min(max(1.0 - day_pos / self.day_length_s, 0.0), 1.0)
                self.level = 1.0 + (self.level - 1.0) * left
            note = f"; {self.drop_method} cut: day drop rate {self._day_drops / self._day_answers:.1%}"
        return note

    def decide(self, snap: Snapshot) -> Decision:
        now = snap.now
        self._roll_day(now)
        if self._next_sample is None:
            self._next_sample = self._next_place = now
            self._next_adjust = now + 15.0
        total = snap.agents_ready + len(snap.agents_busy)
        if now >= self._next_sample:   # type: ignore[operator]
            self._samples.append((snap.agents_ready, snap.waiting, total))
            self._next_sample = max(self._next_sample + 1.0, now - 1.0)   # type: ignore[operator]
        note = ""
        if now >= self._next_adjust:   # type: ignore[operator]
            note = self._adjust(now)
            self._next_adjust = now + 15.0
        if now < self._next_place:   # type: ignore[operator]
            return Decision(0, f"vicidial: level {self.level:.2f}, between 2.5 s placing cycles{note}")
        self._next_place = now + 2.5
        agents = snap.agents_ready if self.available_only else total
        flight = len(snap.dialing) + snap.waiting + (0 if self.available_only else len(snap.agents_busy))
        goal = round(self.level * agents)
        calls = cap_to_lines(goal - flight, snap)
        return Decision(calls, f"vicidial: level {self.level:.2f} x {agents} agents = {goal}, "
                               f"{flight} in flight -> {calls}{note}")
