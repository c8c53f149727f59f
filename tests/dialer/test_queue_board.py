"""The engine's live board carries, per inbound queue, the estimated wait of a caller arriving now (the wait model
on the router's own inputs: its place, the agents serving the queue and how long they have been on their calls,
the learnt handle times and patience) and the model's error as the engine measures it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dialer.agents import Agent, AgentState
from dialer.calls import Call, CallPolicy, CallState, Pool, PoolKind
from dialer.clock import VirtualClock
from dialer.routing import QueueRule
from pacing.estimators import HandleTimeModel
from tests.dialer.test_agent_history import idle_engine

QUEUE = Pool(PoolKind.QUEUE, 5)


def caller(call_id: int, ready_at: float, priority: int = 0) -> Call:
    return Call(call_id=call_id, leg_id=f"leg-{call_id}", pool=QUEUE, policy=CallPolicy(safe_harbor_s=None),
                state=CallState.WAITING, inbound=True, priority=priority, answered_at=ready_at, ready_at=ready_at)


async def test_a_caller_arriving_now_waits_for_the_residual_handle_time_of_the_agents_serving_the_queue(
        db_pool) -> None:  # type: ignore[no-untyped-def]
    clock = VirtualClock(start=datetime(2026, 12, 7, 2, 0, tzinfo=UTC), monotonic_start=1000.0)
    engine = idle_engine(db_pool, clock)
    engine.queue_rules = {QUEUE: QueueRule(levels={7: 5})}
    board = engine.board.queues

    figures = engine.live_state()["queues"]["5"]
    assert figures["estimated_wait_s"] is None and figures["agents_serving"] == 0     # nobody serves it: no wait
    assert figures["wait_error"] == {"callers": 0, "mae_s": None, "p90_s": None}

    handle = HandleTimeModel()
    for _ in range(200):
        handle.observe(60.0)                         # every call of this queue lasts 60 s
    engine.inbound.handle[5] = handle
    engine.agents[7] = Agent(agent_id=7, pools=frozenset({QUEUE}), state=AgentState.READY, state_since=990.0,
                             ready_since=990.0)
    await clock.advance(1.0)
    assert board.queue(5)["estimated_wait_s"] == 0.0                                # a ready agent takes it at once

    engine.agents[7] = Agent(agent_id=7, pools=frozenset({QUEUE}), state=AgentState.ON_CALL,
                             state_since=clock.monotonic() - 10.0)                  # 10 s into a 60 s call
    await clock.advance(1.0)
    alone = board.queue(5)
    assert alone["estimated_wait_s"] == pytest.approx(49.0, abs=1.5)               # the call's remaining 50 s, less 1
    assert alone["agents_serving"] == 1 and alone["callers_ahead"] == 0

    engine.calls[1] = caller(1, clock.monotonic() - 5.0)                            # one caller already holding
    await clock.advance(1.0)
    behind = board.queue(5)
    assert behind["waiting"] == 1 and behind["callers_ahead"] == 1 and behind["longest_wait_s"] == 6.0
    # two releases of that agent: 48 s then 60 s, less the chance the caller ahead hangs up (patience 120 s)
    assert 48.0 < behind["estimated_wait_s"] < 108.0
    assert behind["estimated_wait_p90_s"] >= behind["estimated_wait_s"]

    for estimate, actual in ((30.0, 40.0), (30.0, 10.0), (60.0, 60.0)):
        engine.wait_errors.observe(5, estimate_s=estimate, actual_s=actual)
    assert board.queue(5)["wait_error"]["callers"] == 0          # the same second: the last figures are kept
    await clock.advance(1.0)
    state = engine.live_state()
    assert state["queues"]["5"]["wait_error"] == {"callers": 3, "mae_s": 10.0, "p90_s": 18.0}
    json.dumps(state, allow_nan=False)                           # what the wallboard's stream sends is JSON


async def test_a_vip_holding_is_ahead_of_the_newcomer_and_the_queues_of_signed_in_agents_are_on_the_board(
        db_pool) -> None:  # type: ignore[no-untyped-def]
    clock = VirtualClock(start=datetime(2026, 12, 7, 2, 0, tzinfo=UTC), monotonic_start=1000.0)
    engine = idle_engine(db_pool, clock)
    other = Pool(PoolKind.QUEUE, 6)        # not in the rules yet (created after the engine started)
    engine.agents[7] = Agent(agent_id=7, pools=frozenset({QUEUE, other}), state=AgentState.ON_CALL,
                             state_since=clock.monotonic())
    engine.queue_rules = {QUEUE: QueueRule(levels={7: 5})}
    engine.calls[1] = caller(1, clock.monotonic(), priority=100)    # arrived at the same moment, but a VIP
    figures = engine.live_state()["queues"]
    assert set(figures) == {"5", "6"}
    assert figures["5"]["callers_ahead"] == 1
    assert figures["6"]["callers_ahead"] == 1      # its one agent also serves queue 5, whose caller goes first
    assert figures["6"]["agents_serving"] == 1 and figures["6"]["estimated_wait_s"] is not None


async def test_a_restarted_engine_keeps_measuring_from_the_errors_its_records_kept(db_pool) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    from datetime import timedelta

    from campaigns import queue_repository
    from campaigns.queues import Queue
    from tests.campaigns.test_queue_stats import add_inbound

    start = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict({"name": "Hotline"}))
    for minutes, error in ((50, -30.0), (40, 10.0), (30, 20.0)):       # answered before this engine started
        await add_inbound(db_pool, queue_id=queue.id, at=start - timedelta(minutes=minutes), outcome="handled",
                          waited_s=20, wait_error_s=error)
    await add_inbound(db_pool, queue_id=queue.id, at=start + timedelta(minutes=1), outcome="handled", waited_s=20,
                      wait_error_s=99.0)          # answered since: this engine measured it itself (below)
    clock = VirtualClock(start=start + timedelta(minutes=2))
    engine = idle_engine(db_pool, clock)
    engine.board.queues.started_at = start
    engine.queue_rules = {Pool(PoolKind.QUEUE, queue.id): QueueRule()}
    engine.wait_errors.observe(queue.id, estimate_s=0.0, actual_s=99.0)
    engine.live_state()
    for _ in range(100):
        if engine.wait_errors.stats(queue.id).callers == 4:
            break
        await asyncio.sleep(0.02)
    stats = engine.wait_errors.stats(queue.id)
    assert stats.callers == 4 and stats.mae_s == pytest.approx((30 + 10 + 20 + 99) / 4)
    assert list(engine.wait_errors._errors[queue.id]) == [30.0, 10.0, 20.0, 99.0]     # oldest first
    await clock.advance(1.0)
    assert engine.live_state()["queues"][str(queue.id)]["wait_error"]["callers"] == 4
    engine.live_state()
    await asyncio.sleep(0.1)
    assert engine.wait_errors.stats(queue.id).callers == 4                            # read once


def test_earlier_errors_fill_only_the_room_the_window_has_left_newest_of_them_kept() -> None:
    from dialer.wait_model import WaitErrors

    errors = WaitErrors(window=4)
    errors.observe(1, estimate_s=10.0, actual_s=15.0)             # measured since the start: 5
    errors.seed(1, [-1.0, 2.0, -3.0, 4.0, float("nan")])        # older, oldest first: room for 3, the newest
    assert list(errors._errors[1]) == [2.0, 3.0, 4.0, 5.0]
    errors.seed(2, [])
    assert errors.stats(2).callers == 0
