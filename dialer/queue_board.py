"""The inbound queues on the engine's live board (``Engine.live_state()["queues"]``), and each caller's estimated
wait kept on its call record (issue 15).

Per queue (keyed by its id as text, as JSON keys are), from the engine's own state:

- ``waiting`` and ``longest_wait_s``: callers waiting for an agent now, and the longest of their waits;
- ``called_back``: the places kept by callers who pressed 1 (``dialer.callback_places``), not yet given an agent:
  not on a line, but waiting for an agent as much as those holding (the wallboard shows "3 + 2 called back");
- ``estimated_wait_s`` (and ``estimated_wait_p90_s``): the wait of a caller arriving now (an ordinary one, not
  a VIP), by ``dialer.wait_model``: the caller's place among the callers (and kept places) the router serves
  first, the agents serving the queue (ready, and busy with how long they have been on their call) and the
  handle times and patience the engine learnt for that queue; the same model the engine uses for each caller
  as it joins.
  ``None`` when no agent serves the queue now (the wait is unbounded; ``agents_serving`` is 0);
- ``wait_error``: the model's error as the engine measures it (``Engine.wait_errors``): for each answered
  caller, the estimate given as it joined against the wait it then had; ``callers``, ``mae_s`` (mean absolute
  error) and ``p90_s`` (90th percentile of the absolute error), over the last 1000 answered callers.

The estimates are Monte Carlo runs: one per queue per second at most (``QueueBoard`` keeps the last). The
first time a queue is on the board, its errors measured before this engine started (the records'
``wait_error_s`` of callers answered before then, the last 1000) are put before those measured since, so a
restart does not wipe the measure.

``write_estimate`` puts a finished inbound call's arrival estimate on its record (``estimated_wait_s``) and,
for an answered caller, the error (``wait_error_s`` = actual wait since the estimate - estimate), so the
per-interval queue report measures the error per interval from the records (``campaigns.queue_stats``).
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING, Any

import asyncpg

from dialer.agents import AgentState
from dialer.calls import Call, CallPolicy, CallState, Pool, PoolKind
from dialer.wait_model import Patience, WaitModel, queue_view
from pacing.estimators import HandleTimeModel

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)
PROBE_CALL_ID = 2**62          # the caller who would arrive now: after every real caller of its priority
REFRESH_S = 1.0


def _finite(value: float) -> float | None:
    return round(value, 1) if math.isfinite(value) else None


def newcomer(pool: Pool, priority: int, now: float) -> Call:
    """An ordinary caller joining ``pool`` at ``now`` (never stored: only the wait model sees it)."""
    return Call(call_id=PROBE_CALL_ID, leg_id="", pool=pool, policy=CallPolicy(safe_harbor_s=None),
                state=CallState.WAITING, inbound=True, priority=priority, answered_at=now, ready_at=now)


class QueueBoard:
    """The queues' part of the live board (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[int, tuple[float, dict[str, Any]]] = {}
        self.started_at = engine.clock.now()
        self.seeded: set[int] = set()        # queues whose earlier errors were read from the records

    def _seed(self, queue_id: int) -> None:
        if queue_id in self.seeded:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:                 # read outside the engine's loop: no records read
            return
        self.seeded.add(queue_id)
        self.engine.spawn(self._read_errors(queue_id), name=f"wait-errors-{queue_id}")

    async def _read_errors(self, queue_id: int) -> None:
        errors = self.engine.wait_errors
        try:
            rows = await self.engine.pool.fetch(
                "SELECT wait_error_s FROM call_records WHERE queue_id = $1 AND wait_error_s IS NOT NULL"
                " AND connected_at < $2 ORDER BY connected_at DESC LIMIT $3", queue_id, self.started_at,
                errors.window)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("earlier estimated-wait errors of queue %s not read: %s", queue_id, exc)
            self.seeded.discard(queue_id)
            return
        errors.seed(queue_id, [float(r["wait_error_s"]) for r in reversed(rows)])

    def queue_ids(self) -> set[int]:
        """The queues the engine knows now: its routing rules, the queues signed-in agents serve, live callers."""
        engine = self.engine
        pools = set(engine.queue_rules)
        for agent in engine.agents.values():
            if agent.state is not AgentState.LOGGED_OUT:
                pools |= agent.pools
        pools |= {c.pool for c in engine.calls.values() if c.inbound and not c.terminal}
        return {p.id for p in pools if p.kind is PoolKind.QUEUE}

    def snapshot(self) -> dict[str, dict[str, Any]]:
        queue_ids = sorted(self.queue_ids())
        for queue_id in queue_ids:
            self._seed(queue_id)
        return {str(queue_id): self.queue(queue_id) for queue_id in queue_ids}

    def queue(self, queue_id: int) -> dict[str, Any]:
        now = self.engine.clock.monotonic()
        cached = self._cache.get(queue_id)
        if cached is not None and 0 <= now - cached[0] < REFRESH_S:
            return cached[1]
        figures = self._figures(queue_id, now)
        self._cache[queue_id] = (now, figures)
        return figures

    def _figures(self, queue_id: int, now: float) -> dict[str, Any]:
        engine = self.engine
        pool = Pool(PoolKind.QUEUE, queue_id)
        waits = [now - c.ready_at for c in engine.calls.values()
                 if c.pool == pool and c.state is CallState.WAITING and c.ready_at is not None]
        rule = engine.queue_rules.get(pool)
        probe = newcomer(pool, rule.priority if rule is not None else 0, now)
        places = engine.inbound.callbacks.waiting()      # callers who pressed 1, ahead of a newcomer as if holding
        view = queue_view(probe, [*engine.calls.values(), *places, probe], engine.agents.values(), engine.queue_rules,
                          now)
        desk = engine.inbound
        model = WaitModel(handle=desk.handle.get(queue_id) or HandleTimeModel(),
                          patience_s=(desk.patience.get(queue_id) or Patience()).mean_s)
        estimate = model.estimate(view)
        errors = engine.wait_errors.stats(queue_id)
        return {
            "waiting": len(waits), "longest_wait_s": round(max(waits), 1) if waits else 0.0,
            "called_back": sum(1 for p in places if p.pool == pool),
            "agents_serving": view.idle + len(view.busy), "callers_ahead": view.ahead,
            "estimated_wait_s": _finite(estimate.point_s), "estimated_wait_p90_s": _finite(estimate.p90_s),
            "wait_error": {"callers": errors.callers, "mae_s": _finite(errors.mae_s) if errors.callers else None,
                           "p90_s": _finite(errors.p90_abs_s) if errors.callers else None},
        }


async def write_estimate(engine: Engine, call: Call) -> None:
    """A finished inbound call's arrival estimate on its record, and its error when answered."""
    made = engine.inbound.estimates.get(call.call_id)
    if made is None or not math.isfinite(made[0]):
        return
    estimate, at = made
    error = call.connected_at - at - estimate if call.connected_at is not None else None
    await engine.pool.execute("UPDATE call_records SET estimated_wait_s = $2, wait_error_s = $3 WHERE id = $1",
                              call.call_id, estimate, error)
