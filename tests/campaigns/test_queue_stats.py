"""A queue's figures from its own call records: offered, answered, abandoned before and after T, the service
level by the README rule, ASA, AHT and the longest wait, per 15-minute interval of the queue's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns import queue_repository, queue_stats
from campaigns.queue_stats import InboundRecord
from campaigns.queues import Queue

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)          # Monday 09:00 in Ho Chi Minh City
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


async def add_inbound(pool: Any, *, queue_id: int, at: datetime, outcome: str | None, waited_s: float | None,
                      talk_s: float = 0, wrap_s: float = 0, agent_id: int | None = None,
                      wait_error_s: float | None = None, n: list[int] = [0]) -> None:  # noqa: B006
    """One inbound call record as the engine writes it (dialer.inbound: direction, queue, DID, waited_s)."""
    n[0] += 1
    connected = at + timedelta(seconds=waited_s) if outcome == "handled" and waited_s is not None else None
    ended = (connected + timedelta(seconds=talk_s) if connected else
             at + timedelta(seconds=waited_s) if waited_s is not None and outcome else None)
    await pool.execute(
        "INSERT INTO call_records (agent_id, engine_id, leg_id, direction, phone_e164, originated_at, ready_at,"
        " connected_at, ended_at, wrap_end_at, outcome, queue_id, did, waited_s, wait_error_s)"
        " VALUES ($1, 'e', $2, 'inbound', '+84987654321', $3, $3, $4, $5, $6, $7, $8, '+842873001234', $9, $10)",
        agent_id, f"in-{n[0]}-{at.timestamp()}", at, connected, ended,
        ended + timedelta(seconds=wrap_s) if connected else None, outcome, queue_id,
        waited_s if outcome else None, wait_error_s)


def rec(minute: float, outcome: str | None, waited: float | None, handle: float | None = None) -> InboundRecord:
    return InboundRecord(T0 + timedelta(minutes=minute), outcome, waited, handle)


def test_service_level_counts_answered_within_t_over_answered_and_abandoned_after_t() -> None:
    records = [rec(0, "handled", 5, 200), rec(1, "handled", 15, 100), rec(2, "handled", 40, 300),   # 15 s is within
               rec(3, "abandoned", 10), rec(4, "abandoned", 25), rec(5, "abandoned", 60),
               rec(6, None, None)]                                  # still waiting: not counted yet
    f = queue_stats.figures(records, threshold_s=15, start=T0)
    assert (f.offered, f.answered, f.answered_within, f.abandoned_short, f.abandoned_late) == (6, 3, 2, 1, 2)
    assert f.service_level == pytest.approx(2 / 5)                 # the caller who left at 10 s is excluded
    assert f.asa_s == pytest.approx(20.0) and f.aht_s == pytest.approx(200.0) and f.longest_wait_s == 60
    assert f.abandoned == 3


def test_nobody_counted_has_no_service_level_rather_than_a_perfect_one() -> None:
    f = queue_stats.figures([rec(0, "abandoned", 3)], threshold_s=15, start=T0)
    assert f.offered == 1 and f.service_level is None and f.asa_s is None and f.aht_s is None


def test_callers_fall_in_the_15_minute_interval_of_their_arrival_on_the_queues_wall_clock() -> None:
    records = [rec(0, "handled", 5, 100), rec(14.9, "handled", 30, 100), rec(15, "abandoned", 20)]
    rows = queue_stats.per_interval(records, threshold_s=15, zone=HCM)
    assert [(r.start.strftime("%H:%M"), r.offered, r.service_level) for r in rows] == [
        ("09:00", 2, 0.5), ("09:15", 1, 0.0)]


def test_patience_is_the_censored_mean_all_waiting_over_callers_who_abandoned() -> None:
    records = [rec(0, "handled", 10), rec(1, "handled", 30), rec(2, "abandoned", 20), rec(3, "abandoned", 60)]
    assert queue_stats.patience_s(records) == pytest.approx((10 + 30 + 20 + 60) / 2)
    assert queue_stats.patience_s(records[:2]) is None             # nobody abandoned: patience not measured


async def test_figures_from_the_queues_records_in_postgresql(db_pool: asyncpg.Pool) -> None:
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Hotline", "timezone": "Asia/Ho_Chi_Minh", "sl_target_pct": 90, "sl_threshold_s": 15}))
    other = await queue_repository.save_queue(db_pool, queue=Queue.from_dict({"name": "VIP"}))
    for minute, outcome, waited, talk in ((0, "handled", 4, 180), (2, "handled", 20, 120), (5, "abandoned", 8, 0),
                                          (7, "abandoned", 30, 0), (16, "handled", 12, 240), (20, None, None, 0)):
        await add_inbound(db_pool, queue_id=queue.id, at=T0 + timedelta(minutes=minute), outcome=outcome,
                          waited_s=waited, talk_s=talk, wrap_s=10)
    await add_inbound(db_pool, queue_id=other.id, at=T0, outcome="abandoned", waited_s=99)
    records = await queue_stats.load_records(db_pool, queue_id=queue.id, since=T0, until=T0 + timedelta(hours=1))
    assert len(records) == 6
    first, second = queue_stats.per_interval(records, threshold_s=queue.sl_threshold_s, zone=HCM)
    assert (first.offered, first.answered, first.answered_within, first.abandoned_short, first.abandoned_late) == (
        4, 2, 1, 1, 1)
    assert first.service_level == pytest.approx(1 / 3) and first.asa_s == pytest.approx(12.0)
    assert first.aht_s == pytest.approx((190 + 130) / 2) and first.longest_wait_s == pytest.approx(30.0)
    assert (second.start.strftime("%H:%M"), second.offered, second.service_level) == ("09:15", 1, 1.0)


def test_the_estimated_wait_error_of_an_interval_is_over_its_answered_callers_with_an_estimate() -> None:
    def answered(minute: float, error: float | None) -> InboundRecord:
        return InboundRecord(T0 + timedelta(minutes=minute), "handled", 10, 100, wait_error_s=error)

    # errors -30, +10, +20, 0 s (abs 30, 10, 20, 0); one answered caller had no estimate; an abandoned one
    # carries none whatever its record says (its actual wait is unknown)
    records = [answered(0, -30.0), answered(1, 10.0), answered(2, 20.0), answered(3, 0.0), answered(4, None),
               InboundRecord(T0 + timedelta(minutes=5), "abandoned", 50, wait_error_s=99.0)]
    f = queue_stats.figures(records, threshold_s=15, start=T0)
    assert f.estimated == 4
    assert f.wait_error_mae_s == pytest.approx(15.0)
    assert f.wait_error_p90_s == pytest.approx(27.0)           # numpy's linear p90 of 0, 10, 20, 30
    assert queue_stats.quantile([0.0, 10.0, 20.0, 30.0], 0.9) == pytest.approx(float(np.quantile([0, 10, 20, 30], 0.9)))
    nobody = queue_stats.figures([answered(0, None)], threshold_s=15, start=T0)
    assert nobody.estimated == 0 and nobody.wait_error_mae_s is None and nobody.wait_error_p90_s is None


async def test_the_estimated_wait_error_is_read_from_the_records(db_pool: asyncpg.Pool) -> None:
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict({"name": "Hotline"}))
    await add_inbound(db_pool, queue_id=queue.id, at=T0, outcome="handled", waited_s=40, wait_error_s=-12.0)
    await add_inbound(db_pool, queue_id=queue.id, at=T0, outcome="abandoned", waited_s=40, wait_error_s=5.0)
    records = await queue_stats.load_records(db_pool, queue_id=queue.id, since=T0, until=T0 + timedelta(hours=1))
    assert sorted((r.outcome, r.wait_error_s) for r in records) == [("abandoned", None), ("handled", -12.0)]


@given(st.lists(st.tuples(st.sampled_from(["handled", "abandoned", None]), st.floats(0, 600), st.floats(0, 900)),
                max_size=60), st.integers(1, 120))
def test_every_finished_caller_counts_once_and_the_service_level_is_a_share(rows: list, threshold: int) -> None:
    records = [rec(i, outcome, waited if outcome else None, handle) for i, (outcome, waited, handle) in enumerate(rows)]
    f = queue_stats.figures(records, threshold_s=threshold, start=T0)
    finished = [r for r in records if r.finished]
    assert f.offered == len(finished) == f.answered + f.abandoned_short + f.abandoned_late
    assert f.answered_within <= f.answered
    if f.service_level is not None:
        assert 0.0 <= f.service_level <= 1.0 and f.answered + f.abandoned_late > 0
    assert sum(i.offered for i in queue_stats.per_interval(records, threshold_s=threshold, zone=HCM)) == f.offered
