"""A blended contact-centre day on virtual time: outbound calls paced by any pacer, inbound callers on the same agents.

Pure Python on one ``heapq`` of events, seeded, no wall clock (like ``simulations.campaign_sim.engine``,
which it does not replace). What it adds is the inbound side that blending needs:
- inbound callers arrive as a Poisson process whose rate is constant within each hour of the day
  (``InboundLoad.calls_per_hour``, one value per hour; exact piecewise generation, memoryless at the
  hour's edge), wait with exponential patience, and are handled for a lognormal talk plus wrap-up;
- one router (``route``) sends each ready agent to the next call: an answered outbound call that has
  waited ``urgent_s`` or more (it has under a second left of its 2 s before the safe-harbor message)
  first, then the inbound caller who has waited longest, then the oldest answered outbound call;
- agents are blended by default; a policy may dedicate some agents to inbound only (a static split),
  the others then take outbound calls only;
- the pacer is driven only through the pacer contract: a ``Snapshot`` every ``decide_every_s`` with
  ``inbound_waiting`` and every busy agent in ``agents_busy``, and ``DialOutcome``, ``Abandoned``,
  ``CallHandled(inbound=...)``, ``InboundArrived``, ``InboundAnswered``, ``InboundAbandoned``.
  A policy may hide a fixed reserve of ready agents from the pacer, or stop dialling while any
  inbound caller waits (VICIdial's rule).
The day ends at ``hours``: no call is placed and no caller arrives after it; calls in progress finish,
and only time inside the day is counted. Service level, the README's rule ("Inbound queues"), which the
pacer's ``ServiceLevelWindows`` keeps too: callers answered within ``answer_s`` over callers answered plus
callers who hung up after waiting more than ``answer_s`` (a caller who hangs up within it is not counted),
callers who arrived in the day, per hour of arrival. Outbound abandonment: abandoned live answers over
live answers.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pacing.contract import (
    Abandoned,
    CallHandled,
    DialOutcome,
    InboundAbandoned,
    InboundAnswered,
    InboundArrived,
    Pacer,
    Snapshot,
)
from simulations.call_model import CustomerModel, LogNormal, Outcome

SAFE_HARBOR_S = 1.5    # dialer.calls.SAFE_HARBOR_S: an agent within 2 s of answer, less the Redirect's margin
URGENT_S = 1.0         # an answered outbound call this old goes before inbound callers


@dataclass(frozen=True, slots=True)
class InboundLoad:
    """Inbound traffic: calls per hour for each hour of the day (the last value repeats), handle and patience."""

    calls_per_hour: tuple[float, ...] = (0.0,)
    talk: LogNormal = field(default_factory=lambda: LogNormal(200.0, 0.9))
    wrap: LogNormal = field(default_factory=lambda: LogNormal(20.0, 0.5))
    patience_mean_s: float = 120.0

    def rate_at(self, t_s: float) -> float:
        """Arrivals per second at ``t_s``."""
        hour = min(int(t_s // 3600.0), len(self.calls_per_hour) - 1)
        return self.calls_per_hour[hour] / 3600.0

    @property
    def handle_mean_s(self) -> float:
        return self.talk.mean_s + self.wrap.mean_s


@dataclass(frozen=True, slots=True)
class BlendScenario:
    """One blended team for one day."""

    name: str
    agents: int
    customers: CustomerModel
    inbound: InboundLoad
    hours: float = 8.0
    service_level: tuple[float, float] = (0.90, 15.0)
    grace_s: float = SAFE_HARBOR_S
    urgent_s: float = URGENT_S
    decide_every_s: float = 1.0


@dataclass(frozen=True, slots=True)
class Policy:
    """How a team is run: the pacer, agents dedicated to inbound, a reserve hidden from the pacer, VICIdial's rule.

    ``blended_snapshot``: the pacer reads ``inbound_waiting`` itself (a blending pacer); otherwise the
    harness counts waiting inbound callers as answered calls waiting, so a plain pacer leaves them agents.
    """

    label: str
    make_pacer: Callable[[], Pacer]
    inbound_only: int = 0
    reserve: int = 0
    hold_while_inbound_waits: bool = False
    blended_snapshot: bool = False
    forecast_days: int = 0       # give the pacer the staffing forecast of this many earlier days' callers


FORECAST_INTERVAL_S = 900.0      # campaigns.staffing.INTERVAL_S


def earlier_arrivals(load: InboundLoad, hours: float, seed: int, day: int) -> list[float]:
    """Arrival times (seconds into the day) of the inbound callers of an earlier day ``day`` (1, 2, ...) of the
    same load: the same piecewise Poisson process as ``simulate_day``'s, on its own random stream."""
    rng = random.Random(seed * 1_000_003 + 7919 * day + 1)
    out: list[float] = []
    end_s = hours * 3600.0
    for hour in range(math.ceil(hours)):
        rate = load.rate_at(hour * 3600.0)
        t, edge = hour * 3600.0, min((hour + 1) * 3600.0, end_s)
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= edge:
                break
            out.append(t)
    return out


def history_forecast(load: InboundLoad, hours: float, seed: int, days: int) -> list[tuple[float, float, float]]:
    """The staffing forecast a queue with ``days`` earlier days of records would have: per 15-minute interval,
    the mean offered calls of those days, as ``(start_s, end_s, arrivals per second)``."""
    slots = math.ceil(hours * 3600.0 / FORECAST_INTERVAL_S)
    counts = [0] * slots
    for day in range(1, days + 1):
        for t in earlier_arrivals(load, hours, seed, day):
            counts[min(int(t // FORECAST_INTERVAL_S), slots - 1)] += 1
    return [(i * FORECAST_INTERVAL_S, (i + 1) * FORECAST_INTERVAL_S, c / days / FORECAST_INTERVAL_S)
            for i, c in enumerate(counts)]


@dataclass(frozen=True, slots=True)
class DayResult:
    """The figures of one simulated day."""

    scenario: str
    policy: str
    seed: int
    agents: int
    hours: float
    inbound_offered: int                     # callers who arrived in the day
    inbound_in_time: int                     # ... answered within the answer time
    inbound_abandoned: int                   # ... who hung up unanswered (at any wait)
    hourly_sl: tuple[float, ...]             # service level per hour of arrival (nan: no caller counted)
    inbound_counted: int                     # callers the service level counts: answered + hung up after T
    live_answers: int
    abandons: int
    hourly_abandon: tuple[float, ...]        # outbound abandonment per hour of answer
    hourly_answers: tuple[int, ...]          # live answers per hour (the abandonment's denominator)
    talk_out_s: float                        # outbound talk inside the day
    handle_in_s: float                       # inbound talk + wrap-up inside the day
    talk_share_out: float                    # outbound talk / (talk + wrap-up) of handled outbound calls

    @property
    def service_level(self) -> float:
        """Answered within T / (answered + hung up after waiting more than T), the README's rule."""
        return self.inbound_in_time / self.inbound_counted if self.inbound_counted else 1.0

    @property
    def abandon_rate(self) -> float:
        return self.abandons / self.live_answers if self.live_answers else 0.0

    @property
    def agent_hours(self) -> float:
        return self.agents * self.hours

    @property
    def talk_min_per_agent_hour(self) -> float:
        """Outbound talk minutes per logged-in agent hour."""
        return self.talk_out_s / 60.0 / self.agent_hours

    @property
    def limit_min_per_agent_hour(self) -> float:
        """The physical limit: all agent time not handling inbound spent on outbound calls (talk share of it)."""
        free_s = self.agent_hours * 3600.0 - self.handle_in_s
        return free_s * self.talk_share_out / 60.0 / self.agent_hours

    @property
    def worst_hour_sl(self) -> float:
        vals = [v for v in self.hourly_sl if not math.isnan(v)]
        return min(vals) if vals else 1.0

    @property
    def worst_hour_abandon(self) -> float:
        vals = [v for v in self.hourly_abandon if not math.isnan(v)]
        return max(vals) if vals else 0.0

    def faults(self, *, service_level: float, hour_slack: float, abandon_day: float,
               abandon_hour: float) -> list[str]:
        """The targets this day misses, in words (clock hours from 1); empty when it meets them all."""
        out = []
        if self.service_level < service_level:
            out.append(f"day SL {self.service_level:.1%}")
        out += [f"hour {h} SL {v:.1%}" for h, v in enumerate(self.hourly_sl, start=1)
                if not math.isnan(v) and v < service_level - hour_slack]
        if self.abandon_rate > abandon_day:
            out.append(f"day abandoned {self.abandon_rate:.2%}")
        out += [f"hour {h} abandoned {v:.2%} of {n} answers" for h, (v, n) in
                enumerate(zip(self.hourly_abandon, self.hourly_answers, strict=True), start=1)
                if not math.isnan(v) and v > abandon_hour]
        return out


def route(now: float, waiting_out: deque[_Call], waiting_in: deque[_Call], urgent_s: float,
          takes_in: bool = True, takes_out: bool = True) -> deque[_Call] | None:
    """The queue a ready agent serves next (its head is the call), or None.

    Urgent answered outbound call (waited >= ``urgent_s``) first, then the longest-waiting inbound caller,
    then the oldest answered outbound call; an agent dedicated to one direction sees only that queue.
    """
    if takes_out and waiting_out and now - waiting_out[0].presented_s >= urgent_s:
        return waiting_out
    if takes_in and waiting_in:
        return waiting_in
    if takes_out and waiting_out:
        return waiting_out
    return None


class _Call:
    __slots__ = ("abandoned", "agent", "direction", "fate", "patience_s", "placed_s", "presented_s", "talk_s",
                 "wrap_s")

    def __init__(self, direction: str, placed_s: float) -> None:
        self.direction = direction
        self.placed_s = placed_s
        self.presented_s = placed_s
        self.fate = None
        self.agent: int | None = None
        self.abandoned = False
        self.talk_s = 0.0
        self.wrap_s = 0.0
        self.patience_s = math.inf


_TICK, _RESOLVE, _GIVE_UP, _TALK_END, _FREE, _ARRIVE = range(6)


def simulate_day(scenario: BlendScenario, policy: Policy, seed: int) -> DayResult:
    """Run one day of ``scenario`` under ``policy``; the same seed gives the same day."""
    rng = random.Random(seed)
    in_rng = random.Random(seed * 7919 + 17)
    pacer = policy.make_pacer()
    if policy.forecast_days and hasattr(pacer, "forecast_inbound"):
        pacer.forecast_inbound(history_forecast(scenario.inbound, scenario.hours, seed, policy.forecast_days))
    model = scenario.customers
    load = scenario.inbound
    end_s = scenario.hours * 3600.0
    t_sl = scenario.service_level[1]
    hours = math.ceil(scenario.hours)
    heap: list[tuple[float, int, int, object]] = []
    seq = 0

    def push(t: float, kind: int, payload: object = None) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(heap, (t, seq, kind, payload))

    n_in = min(policy.inbound_only, scenario.agents)
    role = ["in"] * n_in + ["blend" if n_in == 0 else "out"] * (scenario.agents - n_in)
    ready: dict[str, deque[int]] = {"in": deque(), "out": deque(), "blend": deque()}
    for agent, r in enumerate(role):
        ready[r].append(agent)
    busy: dict[int, float] = {}
    dialing: dict[int, float] = {}
    waiting_out: deque[_Call] = deque()
    waiting_in: deque[_Call] = deque()
    call_ids = 0
    # figures
    offered = [0] * hours
    in_time = [0] * hours
    counted = [0] * hours      # answered + hung up after waiting more than the answer time
    in_abandoned = 0
    answers = [0] * hours
    drops = [0] * hours
    talk_out = 0.0
    handle_in = 0.0
    out_talk_sum = 0.0
    out_handle_sum = 0.0

    def hour_of(t: float) -> int:
        return min(int(t // 3600.0), hours - 1)

    def inside(a: float, b: float) -> float:
        return max(0.0, min(b, end_s) - max(a, 0.0))

    def connect(call: _Call, agent: int, now: float) -> None:
        nonlocal talk_out, handle_in, out_talk_sum, out_handle_sum
        call.agent = agent
        busy[agent] = now
        if call.direction == "out":
            pacer.observe(DialOutcome(now=now, connected=True, ring_s=call.presented_s - call.placed_s, routed=True))
            call.talk_s, call.wrap_s = call.fate.talk_s, call.fate.wrap_s
            talk_out += inside(now, now + call.talk_s)
            out_talk_sum += call.talk_s
            out_handle_sum += call.talk_s + call.wrap_s
        else:
            waited = now - call.presented_s
            if call.presented_s < end_s:
                counted[hour_of(call.presented_s)] += 1
                in_time[hour_of(call.presented_s)] += waited <= t_sl
            pacer.observe(InboundAnswered(now=now, waited_s=waited))
            handle_in += inside(now, now + call.talk_s + call.wrap_s)
        push(now + call.talk_s + call.wrap_s, _FREE, (agent, call))

    def agent_ready(agent: int, now: float) -> None:
        r = role[agent]
        queue = route(now, waiting_out, waiting_in, scenario.urgent_s, r != "out", r != "in")
        if queue is None:
            ready[r].append(agent)
        else:
            connect(queue.popleft(), agent, now)

    def take(direction: str) -> int | None:
        own = ready["out" if direction == "out" else "in"]
        if own:
            return own.popleft()
        if ready["blend"]:
            return ready["blend"].popleft()
        return None

    def inbound_snapshot_waits(now: float) -> tuple[float, ...]:
        return tuple([now - c.presented_s for c in waiting_in])

    push(0.0, _TICK)
    first = load.rate_at(0.0)
    push(in_rng.expovariate(first) if first > 0 else 3600.0, _ARRIVE, first > 0)

    while heap:
        now, _, kind, payload = heapq.heappop(heap)
        if kind == _TICK:
            if now >= end_s:
                continue
            if policy.inbound_only:
                pool = [a for a in busy if role[a] != "in"]
                snap_ready = len(ready["out"])
                snap_busy = tuple([now - busy[a] for a in pool])
            else:
                snap_ready = len(ready["blend"])
                snap_busy = tuple([now - s for s in busy.values()])
            waits = inbound_snapshot_waits(now) if not policy.inbound_only else ()
            if policy.blended_snapshot:
                snap = Snapshot(now=now, agents_ready=snap_ready, agents_busy=snap_busy,
                                dialing=tuple([now - s for s in dialing.values()]), waiting=len(waiting_out),
                                inbound_waiting=waits)
            else:
                snap = Snapshot(now=now, agents_ready=max(0, snap_ready - policy.reserve), agents_busy=snap_busy,
                                dialing=tuple([now - s for s in dialing.values()]),
                                waiting=len(waiting_out) + len(waits))
            calls = 0 if (policy.hold_while_inbound_waits and waiting_in) else pacer.decide(snap).calls
            for _ in range(calls):
                call = _Call("out", now)
                call.fate = model.draw(rng, now)
                call_ids += 1
                dialing[id(call)] = now
                push(now + call.fate.ring_s, _RESOLVE, call)
            push(now + scenario.decide_every_s, _TICK)
        elif kind == _RESOLVE:
            call = payload  # type: ignore[assignment]
            del dialing[id(call)]
            fate = call.fate
            if fate.outcome is not Outcome.HUMAN:
                pacer.observe(DialOutcome(now=now, connected=fate.answered, ring_s=fate.ring_s,
                                          machine=fate.outcome is Outcome.MACHINE, routed=False))
                continue
            call.presented_s = now
            answers[hour_of(now)] += 1
            agent = take("out")
            if agent is not None and not waiting_out:
                connect(call, agent, now)
            else:
                waiting_out.append(call)
                push(now + min(scenario.grace_s, fate.patience_s), _GIVE_UP, call)
        elif kind == _GIVE_UP:
            call = payload  # type: ignore[assignment]
            if call.agent is not None or call.abandoned:
                continue
            call.abandoned = True
            waited = now - call.presented_s
            if call.direction == "out":
                waiting_out.remove(call)
                drops[hour_of(call.presented_s)] += 1
                pacer.observe(DialOutcome(now=now, connected=True, ring_s=call.presented_s - call.placed_s))
                pacer.observe(Abandoned(now=now, waited_s=waited))
            else:
                waiting_in.remove(call)
                in_abandoned += call.presented_s < end_s
                if call.presented_s < end_s and waited > t_sl:
                    counted[hour_of(call.presented_s)] += 1
                pacer.observe(InboundAbandoned(now=now, waited_s=waited))
        elif kind == _FREE:
            agent, call = payload  # type: ignore[misc]
            start = busy.pop(agent)
            if role[agent] != "in":      # a pacer of a static split's outbound pool never sees its inbound agents
                pacer.observe(CallHandled(now=now, handle_s=now - start, inbound=call.direction == "in"))
            agent_ready(agent, now)
        elif kind == _ARRIVE:
            if now >= end_s:
                continue
            real = bool(payload)
            if real:
                call = _Call("in", now)    # drawn in arrival order: every policy meets the same callers
                call.patience_s = in_rng.expovariate(1.0 / load.patience_mean_s)
                call.talk_s, call.wrap_s = load.talk.sample(in_rng), load.wrap.sample(in_rng)
                offered[hour_of(now)] += 1
                pacer.observe(InboundArrived(now=now))
                agent = take("in")
                if agent is not None and not waiting_in:
                    connect(call, agent, now)
                else:
                    waiting_in.append(call)
                    push(now + call.patience_s, _GIVE_UP, call)
            # next arrival: exponential at this hour's rate; past the hour's edge, start again there
            rate = load.rate_at(now)
            edge = (math.floor(now / 3600.0) + 1) * 3600.0
            nxt = now + in_rng.expovariate(rate) if rate > 0 else math.inf
            if nxt < edge:
                push(nxt, _ARRIVE, True)
            else:
                push(edge, _ARRIVE, False)

    def ratio(num: list[int], den: list[int], empty: float) -> tuple[float, ...]:
        return tuple(n / d if d else empty for n, d in zip(num, den, strict=True))

    return DayResult(
        scenario=scenario.name, policy=policy.label, seed=seed, agents=scenario.agents, hours=scenario.hours,
        inbound_offered=sum(offered), inbound_in_time=sum(in_time), inbound_abandoned=in_abandoned,
        hourly_sl=ratio(in_time, counted, math.nan), inbound_counted=sum(counted), live_answers=sum(answers),
        abandons=sum(drops),
        hourly_abandon=ratio(drops, answers, math.nan), hourly_answers=tuple(answers), talk_out_s=talk_out,
        handle_in_s=handle_in,
        talk_share_out=out_talk_sum / out_handle_sum if out_handle_sum else 0.0,
    )
