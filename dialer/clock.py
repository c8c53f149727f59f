"""One clock for the whole engine: wall time, monotonic time and waiting, real or virtual.

The engine never calls ``asyncio.sleep`` or ``datetime.now`` itself; it is handed a ``Clock``.
``RealClock`` follows the machine (optionally sped up), ``VirtualClock`` is advanced by a test
or by the simulator, so 450 virtual seconds pass in well under one real second.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    """What the engine needs of time."""

    def now(self) -> datetime:
        """Current wall-clock time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""

    async def sleep_until(self, deadline: float) -> None:
        """Wait until ``monotonic() >= deadline``."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""


class RealClock:
    """The machine's clock, optionally running ``speed`` times faster than real time.

    With ``speed > 1`` both ``now()`` and ``monotonic()`` advance ``speed`` seconds per real second
    from the moment the clock was made, so an accelerated demo or test keeps one consistent timeline.
    """

    def __init__(self, *, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = speed
        self._wall0 = datetime.now(timezone.utc)
        self._mono0 = time.monotonic()

    def monotonic(self) -> float:
        return self._mono0 + (time.monotonic() - self._mono0) * self.speed

    def now(self) -> datetime:
        if self.speed == 1.0:
            return datetime.now(timezone.utc)
        return self._wall0 + timedelta(seconds=self.monotonic() - self._mono0)

    async def sleep_until(self, deadline: float) -> None:
        remaining = deadline - self.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining / self.speed)

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self.monotonic() + seconds)


class VirtualClock:
    """A clock that moves only when told to: ``advance(s)`` or ``run_until_idle``-style stepping.

    Sleepers are woken in deadline order as the clock passes their deadline.
    """

    def __init__(self, *, start: datetime | None = None, monotonic_start: float = 0.0) -> None:
        self._wall0 = start or datetime(2026, 1, 5, 14, 0, tzinfo=timezone.utc)
        if self._wall0.tzinfo is None:
            raise ValueError("VirtualClock start must be timezone-aware")
        self._mono0 = monotonic_start
        self._mono = monotonic_start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self._mono

    def now(self) -> datetime:
        return self._wall0 + timedelta(seconds=self._mono - self._mono0)

    async def sleep_until(self, deadline: float) -> None:
        if deadline <= self._mono:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._seq), fut))
        await fut

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._mono + seconds)

    def next_deadline(self) -> float | None:
        """The earliest deadline anyone is sleeping until, or None."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking each sleeper at its own deadline in order."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        target = self._mono + seconds
        while True:
            nxt = self.next_deadline()
            if nxt is None or nxt > target:
                break
            self._mono = max(self._mono, nxt)
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)
            # let the woken task run before the clock moves again
            for _ in range(3):
                await asyncio.sleep(0)
        self._mono = target
        await asyncio.sleep(0)
