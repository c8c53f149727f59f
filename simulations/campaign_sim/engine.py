"""The discrete-event campaign simulator: any pacer, driven only through the pacer contract, on virtual time.

Events sit in one ``heapq`` (time, sequence, kind, payload); there is no asyncio and no wall clock in
the loop. Each ``decide_every_s`` the pacer sees a ``Snapshot`` and the simulator originates that many
calls, each with a ``CustomerFate`` drawn from ``simulations.call_model``. Answered calls go through AMD
if the scenario enables it, then to the longest-idle ready agent, or wait; a waiting call is abandoned
(safe-harbor message) when no agent frees within ``grace_s`` or the caller hangs up first (patience).
Inbound calls (Poisson) join the same agents with priority. Agents log in and out on the scenario's
schedule; an agent scheduled off finishes its call first. The trunk limits calls ringing, waiting or
talking. Randomness comes only from the ``seed`` given.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import deque
from collections.abc import Callable

from pacing.contract import Abandoned, CallHandled, DialOutcome, Pacer, Snapshot
from simulations.call_model import CustomerFate, Outcome
from simulations.campaign_sim.records import AgentShift, CallRecord, SimResult
from simulations.campaign_sim.scenario import Scenario

_TICK, _RESOLVE, _PRESENT, _GIVE_UP, _FREE, _SHIFT, _INBOUND = range(7)


class _Call:
    """Mutable working state of one call while the run lasts (frozen into a ``CallRecord`` at its end)."""

    __slots__ = ("call_id", "direction", "placed_s", "fate", "presented_s", "connected_s", "agent_id",
                 "abandoned", "amd_hangup", "talk_s", "wrap_s", "ended_s")

    def __init__(self, call_id: int, direction: str, placed_s: float, fate: CustomerFate | None) -> None:
        self.call_id = call_id
        self.direction = direction
        self.placed_s = placed_s
        self.fate = fate
        self.presented_s: float | None = None
        self.connected_s: float | None = None
        self.agent_id: int | None = None
        self.abandoned = False
        self.amd_hangup = False
        self.talk_s = 0.0
        self.wrap_s = 0.0
        self.ended_s = placed_s

    def freeze(self) -> CallRecord:
        fate = self.fate
        return CallRecord(
            call_id=self.call_id,
            direction=self.direction,
            placed_s=self.placed_s,
            outcome=fate.outcome.value if fate else "inbound",
            ring_s=fate.ring_s if fate else 0.0,
            amd_result=fate.amd_result if fate else "",
            presented_s=self.presented_s,
            connected_s=self.connected_s,
            agent_id=self.agent_id,
            abandoned=self.abandoned,
            amd_hangup=self.amd_hangup,
            waited_s=(self.connected_s if self.connected_s is not None else self.ended_s)
            - (self.presented_s if self.presented_s is not None else self.ended_s),
            talk_s=self.talk_s,
            wrap_s=self.wrap_s,
            ended_s=self.ended_s,
        )


def simulate(
    scenario: Scenario,
    pacer: Pacer,
    seed: int,
    *,
    pacer_label: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> SimResult:
    """Run one campaign day of ``scenario`` with ``pacer``; the same seed gives the same records."""
    wall0 = time.perf_counter()
    rng = random.Random(seed)
    inbound_rng = random.Random(seed * 7919 + 17)
    model = scenario.customers
    grace = scenario.grace_s
    end_s = scenario.duration_s
    heap: list[tuple[float, int, int, object]] = []
    seq = 0

    def push(t: float, kind: int, payload: object = None) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(heap, (t, seq, kind, payload))

    ready: deque[int] = deque()          # agent ids, longest idle first
    busy: dict[int, float] = {}          # agent id -> start of its current call
    dialing: dict[int, float] = {}       # call id -> originate time (until presented or resolved)
    waiting_out: deque[_Call] = deque()
    waiting_in: deque[_Call] = deque()
    login_at: dict[int, float] = {}
    shifts: list[AgentShift] = []
    finished: list[_Call] = []
    pending_logouts = 0
    next_agent = 0
    next_call = 0
    lines_used = 0
    decisions = 0
    trunk = scenario.trunk_lines

    def log_in(now: float) -> None:
        nonlocal next_agent
        agent = next_agent
        next_agent += 1
        login_at[agent] = now
        ready.append(agent)
        serve(now)

    def log_out(agent: int, now: float) -> None:
        shifts.append(AgentShift(agent, login_at.pop(agent), now))

    def end_call(call: _Call, now: float) -> None:
        call.ended_s = now
        finished.append(call)

    def report_answer(call: _Call, now: float, known: bool) -> None:
        # An agent tells a machine from a person; an abandoned call counts as live (the safe side).
        machine = known and call.fate.outcome is Outcome.MACHINE
        ring = (call.presented_s if call.presented_s is not None else now) - call.placed_s
        pacer.observe(DialOutcome(now=now, connected=True, ring_s=ring, machine=machine, routed=True))

    def connect(call: _Call, agent: int, now: float) -> None:
        if call.fate is not None:
            report_answer(call, now, known=True)
        call.connected_s = now
        call.agent_id = agent
        busy[agent] = now
        if call.fate is None:
            call.talk_s = inbound_rng.expovariate(1.0 / scenario.inbound.handle_mean_s)
            call.wrap_s = 0.0
        else:
            call.talk_s = call.fate.talk_s
            call.wrap_s = call.fate.wrap_s
        push(now + call.talk_s, _FREE, (agent, call, True))

    def serve(now: float) -> None:
        while ready and (waiting_in or waiting_out):
            queue = waiting_in if waiting_in else waiting_out
            call = queue.popleft()
            connect(call, ready.popleft(), now)

    def present(call: _Call, now: float) -> None:
        call.presented_s = now
        if ready and not waiting_in and not waiting_out:
            connect(call, ready.popleft(), now)
            return
        (waiting_out if call.direction == "out" else waiting_in).append(call)
        if call.fate is not None:
            limit = min(grace, call.fate.patience_s) if call.fate.outcome is Outcome.HUMAN else grace
        else:
            pat = scenario.inbound.patience_mean_s
            limit = inbound_rng.expovariate(1.0 / pat) if math.isfinite(pat) else math.inf
        if math.isfinite(limit):
            push(now + limit, _GIVE_UP, call)

    for t, count in scenario.agents:
        push(t, _SHIFT, count)
    push(0.0, _TICK)
    if scenario.inbound.calls_per_hour > 0:
        push(inbound_rng.expovariate(scenario.inbound.calls_per_hour / 3600.0), _INBOUND)
    progress_step = end_s / 100.0
    next_progress = progress_step

    while heap:
        now, _, kind, payload = heapq.heappop(heap)
        if now > end_s and kind in (_TICK, _INBOUND, _SHIFT):
            continue
        if on_progress is not None and now >= next_progress:
            on_progress(min(now, end_s))
            next_progress += progress_step
        if kind == _TICK:
            decisions += 1
            lines_free = None if trunk is None else max(0, trunk - lines_used)
            snap = Snapshot(
                now=now,
                agents_ready=len(ready),
                agents_busy=tuple([now - s for s in busy.values()]),
                dialing=tuple([now - s for s in dialing.values()]),
                waiting=len(waiting_out) + len(waiting_in),
                lines_free=lines_free,
            )
            calls = pacer.decide(snap).calls
            if lines_free is not None:
                calls = min(calls, lines_free)
            for _ in range(calls):
                fate = model.draw(rng, now)
                call = _Call(next_call, "out", now, fate)
                next_call += 1
                dialing[call.call_id] = now
                lines_used += 1
                push(now + fate.ring_s, _RESOLVE, call)
            push(now + scenario.decide_every_s, _TICK)
        elif kind == _RESOLVE:
            call = payload  # type: ignore[assignment]
            fate = call.fate
            if not fate.answered:
                del dialing[call.call_id]
                lines_used -= 1
                pacer.observe(DialOutcome(now=now, connected=False, ring_s=fate.ring_s))
                end_call(call, now)
            elif scenario.amd:
                push(now + fate.amd_s, _PRESENT, call)
            else:                            # without AMD a machine reaches an agent like a person
                push(now, _PRESENT, call)
        elif kind == _PRESENT:
            call = payload  # type: ignore[assignment]
            fate = call.fate
            del dialing[call.call_id]
            ring_seen = now - call.placed_s
            if scenario.amd and fate.amd_result == "MACHINE":
                call.amd_hangup = True
                lines_used -= 1
                pacer.observe(DialOutcome(now=now, connected=True, ring_s=ring_seen, machine=True, routed=False))
                end_call(call, now)
            else:                            # reported once an agent hears who it is, or on abandon
                present(call, now)
        elif kind == _GIVE_UP:
            call = payload  # type: ignore[assignment]
            if call.connected_s is None and not call.abandoned:
                queue = waiting_out if call.direction == "out" else waiting_in
                queue.remove(call)
                call.abandoned = True
                if call.direction == "out":
                    lines_used -= 1
                    report_answer(call, now, known=False)
                    waited = now - (call.presented_s if call.presented_s is not None else now)
                    pacer.observe(Abandoned(now=now, waited_s=waited))
                end_call(call, now)
        elif kind == _FREE:
            agent, call, talking = payload  # type: ignore[misc]
            if talking:                      # talk ended: line freed, wrap-up begins
                if call.direction == "out":
                    lines_used -= 1
                push(now + call.wrap_s, _FREE, (agent, call, False))
                continue
            start = busy.pop(agent)
            if call.direction == "out":
                pacer.observe(CallHandled(now=now, handle_s=now - start))
            end_call(call, now)
            if pending_logouts > 0:
                pending_logouts -= 1
                log_out(agent, now)
            else:
                ready.append(agent)
                serve(now)
        elif kind == _SHIFT:
            target = int(payload)  # type: ignore[call-overload]
            logged = len(ready) + len(busy) - pending_logouts
            while logged < target:
                if pending_logouts > 0:
                    pending_logouts -= 1
                else:
                    log_in(now)
                logged += 1
            while logged > target:
                if ready:
                    log_out(ready.pop(), now)
                else:
                    pending_logouts += 1
                logged -= 1
        elif kind == _INBOUND:
            call = _Call(next_call, "in", now, None)
            next_call += 1
            present(call, now)
            push(now + inbound_rng.expovariate(scenario.inbound.calls_per_hour / 3600.0), _INBOUND)

    last = max([end_s] + [c.ended_s for c in finished])
    for agent in list(login_at):
        log_out(agent, min(last, max(end_s, login_at[agent])))
    calls_out = tuple(c.freeze() for c in sorted(finished, key=lambda c: c.call_id))
    return SimResult(
        scenario=scenario.name,
        pacer=pacer_label or getattr(pacer, "name", type(pacer).__name__),
        seed=seed,
        duration_s=end_s,
        calls=calls_out,
        shifts=tuple(sorted(shifts, key=lambda s: (s.agent_id, s.login_s))),
        decisions=decisions,
        wall_s=time.perf_counter() - wall0,
    )
