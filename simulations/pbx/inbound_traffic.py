"""Inbound traffic for the simulated PBX: callers arriving at DIDs at a rate per hour of the day.

Each ``InboundStream`` is one kind of caller: the DID dialled, a rate (callers per hour) for each of the 24
hours of the day, how long a caller waits before hanging up (patience), how long it talks with an agent, the
numbers it calls from (VIP numbers, say) and the share of callers who press 1 ("call me back") after a while on
hold. ``arrivals`` draws one day's (or one window's) callers up front, a non-homogeneous Poisson process by
thinning, from a seed: the same seed gives the same callers. ``InboundTraffic`` injects them into the running
PBX (``Switch.inject_inbound``, the shipped ``dialer-inbound`` runs) on its accelerated clock, and keeps the log.

Turned on with ``PbxConfig.inbound_traffic`` (and ``PbxConfig.inbound_start_hour``, the hour of the day at the
PBX's start); ``SimulatedPbx.start`` runs it and ``SimulatedPbx.inbound_traffic`` holds it.

A press of 1 is sent as Asterisk sends a caller's key: ``DTMFBegin`` then ``DTMFEnd`` (``Digit: 1``,
``Direction: Received``, class dtmf, which the shipped manager user does not read) on the caller's channel while
it still holds in ``dialer-inbound``, and the shipped dialplan's ``WaitDigit`` takes it: when the engine offers
"press 1 to be called back" to the caller's queue (``DIALER_PRESS1=1``) the caller goes to ``callback``
(``UserEvent(DialerCallbackRequest)``, a "thank you", hang-up); otherwise it keeps holding.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from simulations.call_model import LogNormal

log = logging.getLogger(__name__)
HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class InboundStream:
    """One kind of inbound caller. ``rate_per_hour``: 24 values (callers per hour in each hour of the day) or
    one value for every hour. ``callers``: the numbers they call from, drawn at random (empty: made-up numbers
    ``+1555<did digits><n>``). ``press_1_share`` of callers press 1 after ``press_1_after`` on hold."""

    did: str
    rate_per_hour: Sequence[float]
    patience: LogNormal = field(default_factory=lambda: LogNormal(90.0, 0.8))
    talk: LogNormal = field(default_factory=lambda: LogNormal(180.0, 0.6))
    callers: Sequence[str] = ()
    press_1_share: float = 0.0
    press_1_after: LogNormal = field(default_factory=lambda: LogNormal(30.0, 0.5))

    def __post_init__(self) -> None:
        rates = tuple(float(r) for r in self.rate_per_hour)
        if len(rates) == 1:
            rates *= 24
        if len(rates) != 24 or any(r < 0 for r in rates):
            raise ValueError(f"rate_per_hour needs 1 or 24 values >= 0, got {self.rate_per_hour!r}")
        if not 0.0 <= self.press_1_share <= 1.0:
            raise ValueError(f"press_1_share must be within 0..1, got {self.press_1_share}")
        object.__setattr__(self, "rate_per_hour", rates)
        object.__setattr__(self, "callers", tuple(self.callers))

    def rate_at(self, hour_of_day: float) -> float:
        """Callers per hour at ``hour_of_day`` (0 <= h, taken modulo 24): a step per hour."""
        return self.rate_per_hour[int(hour_of_day % 24)]


@dataclass(frozen=True, slots=True)
class InboundArrival:
    """One caller: arrives ``at`` simulated seconds after the traffic's start."""

    at: float
    did: str
    caller: str
    patience_s: float
    talk_s: float
    press_1_after_s: float | None     # None: never presses 1


def arrivals(streams: Sequence[InboundStream], *, duration_s: float, start_hour: float = 0.0,
             seed: int = 1) -> list[InboundArrival]:
    """Every caller of ``streams`` in ``duration_s`` simulated seconds from ``start_hour`` (hour of the day),
    in time order: a Poisson process per stream whose rate follows its hour of the day (thinning)."""
    rng = random.Random(seed)
    out: list[InboundArrival] = []
    for index, stream in enumerate(streams):
        peak = max(stream.rate_per_hour)
        if peak <= 0:
            continue
        t, n = 0.0, 0
        while True:
            t += rng.expovariate(peak / HOUR_S)
            if t >= duration_s:
                break
            if rng.random() * peak >= stream.rate_at(start_hour + t / HOUR_S):
                continue
            n += 1
            caller = (rng.choice(stream.callers) if stream.callers
                      else f"+1555{''.join(ch for ch in stream.did if ch.isdigit())[-4:]}{index}{n:05d}")
            press = stream.press_1_after.sample(rng) if rng.random() < stream.press_1_share else None
            out.append(InboundArrival(at=t, did=stream.did, caller=caller, patience_s=stream.patience.sample(rng),
                                      talk_s=stream.talk.sample(rng), press_1_after_s=press))
    out.sort(key=lambda a: a.at)
    return out


@dataclass(frozen=True, slots=True)
class InjectedCaller:
    """A caller put on the PBX: its arrival and its channel (name, uniqueid)."""

    arrival: InboundArrival
    channel: str
    uniqueid: str


class InboundTraffic:
    """Injects ``arrivals`` into a running ``SimulatedPbx`` on its clock; ``injected`` logs them in order,
    ``pressed_1`` the uniqueids of callers who pressed 1 while holding."""

    def __init__(self, pbx: object, streams: Sequence[InboundStream], *, duration_s: float,
                 start_hour: float = 0.0, seed: int = 1) -> None:
        self.pbx = pbx
        self.plan = arrivals(streams, duration_s=duration_s, start_hour=start_hour, seed=seed)
        self.injected: list[InjectedCaller] = []
        self.pressed_1: list[str] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="sim-inbound-traffic")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    @property
    def done(self) -> bool:
        """Every planned caller has arrived."""
        return len(self.injected) == len(self.plan)

    async def run(self) -> None:
        switch = self.pbx.switch  # type: ignore[attr-defined]
        speed = switch.config.speed
        origin = switch.now()
        for arrival in self.plan[len(self.injected):]:
            delay = (origin + arrival.at - switch.now()) / speed
            if delay > 0:
                await asyncio.sleep(delay)
            self.inject(arrival)

    def inject(self, arrival: InboundArrival) -> InjectedCaller:
        switch = self.pbx.switch  # type: ignore[attr-defined]
        ch = switch.inject_inbound(arrival.caller, arrival.did, patience_s=arrival.patience_s, talk_s=arrival.talk_s)
        caller = InjectedCaller(arrival, ch.name, ch.uniqueid)
        self.injected.append(caller)
        if arrival.press_1_after_s is not None and arrival.press_1_after_s < arrival.patience_s:
            switch.loop.call_later(arrival.press_1_after_s / switch.config.speed, self._press_1, ch)
        return caller

    def _press_1(self, ch: object) -> None:
        """The caller presses 1, if it still holds in ``dialer-inbound`` (not with an agent, not gone)."""
        from dialer.pbx_port import CTX_INBOUND
        from simulations.pbx.actions import press_key

        switch = self.pbx.switch  # type: ignore[attr-defined]
        leg = getattr(ch, "leg", None)
        if switch.channels.get(ch.name) is not ch or leg is None or leg.done:  # type: ignore[attr-defined]
            return
        if ch.context != CTX_INBOUND:  # type: ignore[attr-defined]
            return
        press_key(switch, ch, "1")  # type: ignore[arg-type]
        self.pressed_1.append(ch.uniqueid)  # type: ignore[attr-defined]
