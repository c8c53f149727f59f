"""Staffing: the forecast from the same weekday's intervals, and the agents needed for the service level by
Erlang C (checked against the textbook case) and Erlang A with the measured patience."""

from __future__ import annotations

import heapq
import random
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaigns import staffing
from campaigns.staffing import SlotHistory
from pacing.erlang import erlang_a


def test_erlang_c_textbook_case_50_calls_a_quarter_of_an_hour_of_180_s_need_14_agents_for_80_in_20() -> None:
    # 10 Erlangs: 13 agents answer 79.6 % within 20 s (C = 0.2853), 14 agents 88.8 % (C = 0.1741)
    assert staffing.agents_erlang_c(50, 180, target=0.80, threshold_s=20) == 14
    assert staffing.agents_erlang_c(50, 180, target=0.795, threshold_s=20) == 13
    assert staffing.agents_erlang_c(0, 180, target=0.80, threshold_s=20) == 0


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    for agents, level in ((11, 0.3896), (12, 0.6402), (13, 0.7956), (14, 0.8884)):
        assert staffing.erlang_a_service_level(agents, 10.0, 180.0, 1e7, 20.0) == pytest.approx(level, abs=2e-4)


def test_erlang_a_waiting_probability_matches_the_closed_form() -> None:
    for agents, load in ((9, 10.0), (12, 10.0), (5, 8.0)):
        free, _ = staffing._stationary_queue(agents, load, 180.0, 120.0)
        p_wait, _, _ = erlang_a(agents, load, 180.0, 120.0)
        assert 1 - free == pytest.approx(float(p_wait[0]), rel=1e-9)


def test_impatient_callers_need_fewer_agents_and_the_rule_leaves_out_those_who_leave_early() -> None:
    # patience 120 s: callers who would wait long leave; 12 agents reach 85.5 % where Erlang C says 64 %
    assert staffing.erlang_a_service_level(12, 10.0, 180.0, 120.0, 20.0) == pytest.approx(0.8546, abs=1e-3)
    assert staffing.agents_erlang_a(50, 180, target=0.80, threshold_s=20, patience_s=120) == 12
    assert staffing.agents_erlang_a(50, 180, target=0.80, threshold_s=20, patience_s=1e7) == 14
    assert staffing.agents_erlang_a(0, 180, target=0.80, threshold_s=20, patience_s=60) == 0


def test_callers_who_almost_never_leave_are_staffed_as_erlang_c_in_well_under_a_second() -> None:
    # a queue whose measured patience is days long: thousands of queue depths, of which only those a caller
    # can still be answered from within T need the matrix (the staffing page took 100 s before)
    started = time.process_time()
    assert staffing.agents_erlang_a(50, 180, target=0.80, threshold_s=20, patience_s=1e7) == 14
    assert staffing.agents_erlang_a(400, 240, target=0.90, threshold_s=15, patience_s=1e6) == \
        staffing.agents_erlang_c(400, 240, target=0.90, threshold_s=15)
    assert time.process_time() - started < 1.0


def simulated_service_level(agents: int, per_s: float, aht_s: float, patience_s: float, threshold_s: float,
                            callers: int, seed: int) -> float:
    """M/M/n+M served first come first served, caller by caller: each agent's next free time; a caller whose
    patience runs out before an agent frees leaves (and takes no agent). The README rule on the outcome."""
    rng = random.Random(seed)
    free = [0.0] * agents
    now = 0.0
    within = answered = late = 0
    for _ in range(callers):
        now += rng.expovariate(per_s)
        wait = max(0.0, free[0] - now)
        patience = rng.expovariate(1 / patience_s)
        if patience < wait:
            late += patience > threshold_s
            continue
        answered += 1
        within += wait <= threshold_s
        heapq.heapreplace(free, now + wait + rng.expovariate(1 / aht_s))
    return within / (answered + late)


@pytest.mark.parametrize(("agents", "patience_s", "threshold_s"), [(12, 120.0, 20.0), (9, 60.0, 15.0)])
def test_erlang_a_service_level_matches_a_simulation_of_impatient_callers(agents: int, patience_s: float,
                                                                          threshold_s: float) -> None:
    # 10 Erlangs (50 calls a quarter hour, 180 s); 400,000 callers: seeds spread the simulation by about 0.002
    simulated = simulated_service_level(agents, 50 / 900, 180.0, patience_s, threshold_s, 400_000, seed=1)
    assert staffing.erlang_a_service_level(agents, 10.0, 180.0, patience_s, threshold_s) == pytest.approx(
        simulated, abs=0.006)


def test_a_target_of_100_percent_is_read_as_99_9() -> None:
    assert staffing.agents_erlang_c(50, 180, target=1.0, threshold_s=20) == staffing.agents_erlang_c(
        50, 180, target=0.999, threshold_s=20)


def test_forecast_is_the_mean_of_the_same_weekday_and_interval_over_the_last_weeks() -> None:
    mondays = [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30)]
    tuesday = date(2026, 12, 1)
    history = {mondays[0]: {36: SlotHistory(100, 100, 100 * 300.0)},           # five weeks back: left out
               mondays[1]: {36: SlotHistory(10, 10, 10 * 200.0)},
               mondays[2]: {36: SlotHistory(20, 18, 18 * 100.0), 37: SlotHistory(3, 3, 3 * 60.0)},
               tuesday: {36: SlotHistory(500, 500, 500 * 50.0)}}                  # another weekday
    observed = [*mondays, tuesday]                                               # Monday 30/11: no calls, counts 0
    rows = staffing.forecast(history, days=[date(2026, 12, 7)], observed=observed, weeks=3)
    assert [(r.slot, r.offered, r.days_seen) for r in rows] == [(36, pytest.approx(10.0), 3), (37, 1.0, 3)]
    assert rows[0].aht_s == pytest.approx((2000 + 1800) / 28) and rows[1].aht_s == pytest.approx(60.0)
    assert staffing.slot_label(36) == "09:00"
    assert staffing.forecast(history, days=[date(2026, 12, 9)], observed=observed) == []   # no Wednesday yet


def test_agents_logged_in_per_interval_are_agent_seconds_over_the_interval_on_the_queues_wall_clock() -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    hcm = ZoneInfo("Asia/Ho_Chi_Minh")          # 02:00 UTC is 09:00 there
    t0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    spans = [
        (t0, t0 + timedelta(minutes=30), False),                                     # a whole half hour
        (t0 + timedelta(minutes=5), t0 + timedelta(minutes=10), True),               # 5 min paused
        (t0 + timedelta(minutes=10), t0 + timedelta(minutes=20), False),             # back, across 09:15
    ]
    per = staffing.agents_per_interval(spans, hcm)
    day = date(2026, 12, 7)
    nine, quarter = per[(day, 36)], per[(day, 37)]          # 09:00 and 09:15 are slots 36 and 37
    assert nine.logged_in == pytest.approx((15 + 5 + 5) / 15)   # 1 agent all along, 1 more for 10 of 15 min
    assert nine.paused == pytest.approx(5 / 15)
    assert quarter.logged_in == pytest.approx((15 + 5) / 15) and quarter.paused == 0
    assert set(per) == {(day, 36), (day, 37)}
    # 8 agent-hours over a 2-hour span spread evenly: 4 agents in each of its 8 intervals
    even = staffing.agents_per_interval([(t0, t0 + timedelta(hours=2), False)] * 4, hcm)
    assert len(even) == 8 and all(v.logged_in == pytest.approx(4.0) for v in even.values())
    assert staffing.slot_of(t0.astimezone(hcm)) == 36
    # the interval going on now is averaged over its part gone by: 2 agents for the 6 minutes since 09:15
    now = t0 + timedelta(minutes=21)
    ongoing = staffing.agents_per_interval([(t0 + timedelta(minutes=10), now, False)] * 2, hcm, until=now)
    assert ongoing[(day, 37)].logged_in == pytest.approx(2.0) and ongoing[(day, 36)].logged_in == pytest.approx(2 / 3)


def test_an_interval_of_a_zone_a_quarter_off_the_hour_is_cut_at_its_own_quarters() -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    kathmandu = ZoneInfo("Asia/Kathmandu")      # UTC+05:45
    start = datetime(2026, 12, 7, 3, 15, tzinfo=UTC)    # 09:00 there
    per = staffing.agents_per_interval([(start, start + timedelta(minutes=15), False)], kathmandu)
    assert per == {(date(2026, 12, 7), 36): staffing.IntervalAgents(1.0, 0.0)}


def test_the_arrival_forecast_is_each_intervals_same_weekday_mean_on_the_queues_wall_clock() -> None:
    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    now = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)                       # Monday 08:00 in Ho Chi Minh City
    nine = datetime(2026, 12, 7, 9, 0, tzinfo=hcm)
    arrivals = ([nine - timedelta(weeks=1) + timedelta(seconds=20 * i) for i in range(30)]      # 30 at 09:00
                + [nine - timedelta(weeks=2) + timedelta(seconds=20 * i) for i in range(10)]    # 10 at 09:00
                + [nine - timedelta(days=1) + timedelta(seconds=5 * i) for i in range(99)])     # a Sunday
    forecast = staffing.arrival_forecast(arrivals, zone=hcm, now=now, hours_ahead=6)
    assert forecast == [(nine, nine + timedelta(minutes=15), 20 / 900)]       # the mean of two Mondays
    # a Monday with no history of its own kind, and an empty history, expect nothing
    assert staffing.arrival_forecast(arrivals[60:], zone=hcm, now=now) == []
    assert staffing.arrival_forecast([], zone=hcm, now=now) == []
    # intervals already over are left out; those within the horizon kept
    assert staffing.arrival_forecast(arrivals, zone=hcm, now=nine + timedelta(minutes=16)) == []
