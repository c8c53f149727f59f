"""The estimated wait: position, agents and learnt handle times, not a running average; and its own error."""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from dialer.wait_model import BusyAgent, QueueView, WaitErrors, WaitModel
from pacing.estimators import HandleTimeModel


def learnt(handle_s: list[float] | np.ndarray) -> HandleTimeModel:
    model = HandleTimeModel(prior_mean_s=150.0)
    for h in handle_s:
        model.observe(float(h))
    return model


def exponential_model(mean_s: float, n: int = 1000) -> HandleTimeModel:
    return learnt(stats.expon(scale=mean_s).ppf((np.arange(n) + 0.5) / n))


def test_a_caller_with_fewer_callers_ahead_than_ready_agents_waits_nothing() -> None:
    estimate = WaitModel(exponential_model(100.0)).estimate(QueueView(ahead=1, idle=2))
    assert (estimate.point_s, estimate.p90_s) == (0.0, 0.0)


def test_with_exponential_handle_times_the_wait_is_erlangs_gamma() -> None:
    """n dedicated busy agents, memoryless handle time h: the (k+1)-th release is Gamma(k+1, scale h/n)."""
    n, ahead, h = 4, 5, 100.0
    view = QueueView(ahead=ahead, busy=tuple(BusyAgent(elapsed_s=e) for e in (10.0, 80.0, 200.0, 30.0)))
    estimate = WaitModel(exponential_model(h), samples=4000).estimate(view)
    gamma = stats.gamma(a=ahead + 1, scale=h / n)
    assert estimate.point_s == pytest.approx(gamma.median(), rel=0.08)
    assert estimate.p90_s == pytest.approx(gamma.ppf(0.9), rel=0.08)
    assert estimate.mean_s == pytest.approx(gamma.mean(), rel=0.08)


def test_residual_handle_times_count_an_agent_near_the_end_of_a_fixed_length_call_frees_soon() -> None:
    """Every call lasts 300 s: the agent 290 s in frees in about 10 s, one 10 s in in about 290 s."""
    model = learnt([300.0] * 500)
    near_end = WaitModel(model).estimate(QueueView(ahead=0, busy=(BusyAgent(290.0), BusyAgent(10.0))))
    assert near_end.point_s == pytest.approx(10.0, abs=3.0)
    both_needed = WaitModel(model).estimate(QueueView(ahead=1, busy=(BusyAgent(290.0), BusyAgent(10.0))))
    assert both_needed.point_s == pytest.approx(290.0, abs=3.0)


def test_an_agent_shared_with_other_work_serves_the_queue_only_in_its_share() -> None:
    model = exponential_model(100.0)
    busy = tuple(BusyAgent(elapsed_s=50.0) for _ in range(3))
    dedicated = WaitModel(model).estimate(QueueView(ahead=3, busy=busy))
    shared = WaitModel(model).estimate(QueueView(ahead=3, busy=tuple(BusyAgent(50.0, share=0.5) for _ in range(3))))
    assert shared.point_s == pytest.approx(2 * dedicated.point_s, rel=0.15)
    assert "3 shared" in shared.why


def test_the_same_view_always_gives_the_same_estimate_and_nobody_serving_means_no_estimate() -> None:
    model = exponential_model(100.0)
    view = QueueView(ahead=2, busy=(BusyAgent(1.0), BusyAgent(2.0, outbound=True)))
    assert WaitModel(model, other_handle=learnt([30.0] * 50)).estimate(view) == \
        WaitModel(model, other_handle=learnt([30.0] * 50)).estimate(view)
    assert math.isinf(WaitModel(model).estimate(QueueView(ahead=0)).point_s)


def test_wait_errors_are_kept_per_queue_as_mean_absolute_error_and_p90() -> None:
    errors = WaitErrors(window=10)
    for actual in range(1, 11):
        errors.observe(7, estimate_s=0.0, actual_s=float(actual))
    errors.observe(8, estimate_s=math.inf, actual_s=3.0)        # no estimate was given: not counted
    errors.observe(8, estimate_s=5.0, actual_s=3.0)
    seven = errors.stats(7)
    assert (seven.callers, seven.mae_s, seven.p90_abs_s) == (10, 5.5, pytest.approx(9.1))
    assert errors.stats(8).mae_s == 2.0 and errors.stats(9).callers == 0
    errors.observe(7, estimate_s=0.0, actual_s=100.0)              # the window forgets the oldest
    assert errors.stats(7).callers == 10 and errors.stats(7).mae_s == pytest.approx(6.4 + 9.0)


# --- against a running average on a simulated M/G/n queue --------------------------------------------------
@dataclass
class Outcome:
    model_errors: WaitErrors
    baseline_errors: WaitErrors
    waited: int
    callers: int


def simulate_mgn(*, agents: int, load: float, handle_mean_s: float, handle_cv: float, callers: int,
                 seed: int) -> Outcome:
    """An M/G/n queue, first come first served, no abandonment (pure, seeded). At each arrival the model
    estimates from the caller's position, the idle agents, the busy agents' elapsed times and the handle
    times learnt so far; the baseline announces the average wait of the last 20 callers answered."""
    rng = np.random.default_rng(seed)
    sigma = math.sqrt(math.log1p(handle_cv ** 2))
    mu = math.log(handle_mean_s) - sigma ** 2 / 2
    rate = load * agents / handle_mean_s
    handle = HandleTimeModel(prior_mean_s=150.0)
    model, model_err, base_err = WaitModel(handle, samples=300), WaitErrors(window=callers), WaitErrors(window=callers)
    busy_since: dict[int, float] = {}                   # agent -> start of its call
    ends: list[tuple[float, int]] = []                   # (end time, agent)
    queue: deque[tuple[int, float]] = deque()            # (caller, arrival)
    recent: deque[float] = deque(maxlen=20)
    announced: dict[int, tuple[float, float, bool]] = {}
    t, waited = 0.0, 0

    def start(agent: int, caller: int, arrived: float, now: float) -> None:
        h = float(rng.lognormal(mu, sigma))
        busy_since[agent] = now
        heapq.heappush(ends, (now + h, agent))
        wait = now - arrived
        recent.append(wait)
        est, base, queued = announced.pop(caller)
        for queue_id in (1, 2) if queued else (1,):     # 1: every caller; 2: callers who found no idle agent
            model_err.observe(queue_id, estimate_s=est, actual_s=wait)
            base_err.observe(queue_id, estimate_s=base, actual_s=wait)

    for caller in range(callers):
        t += float(rng.exponential(1.0 / rate))
        while ends and ends[0][0] <= t:                  # calls that ended before this arrival
            end, agent = heapq.heappop(ends)
            handle.observe(end - busy_since.pop(agent))
            if queue:
                waiting_caller, arrived = queue.popleft()
                start(agent, waiting_caller, arrived, end)
        idle = [a for a in range(agents) if a not in busy_since]
        view = QueueView(ahead=len(queue), idle=len(idle),
                         busy=tuple(BusyAgent(t - s) for s in busy_since.values()))
        announced[caller] = (model.estimate(view).point_s, float(np.mean(recent)) if recent else 0.0, not idle)
        if idle:
            start(idle[0], caller, t, t)
        else:
            waited += 1
            queue.append((caller, t))
    return Outcome(model_err, base_err, waited, callers)


@pytest.mark.parametrize(("agents", "load", "cv"), [(5, 0.9, 1.0), (10, 0.95, 0.6)])
def test_on_an_mgn_queue_the_model_errs_far_less_than_a_running_average(agents: int, load: float, cv: float) -> None:
    out = simulate_mgn(agents=agents, load=load, handle_mean_s=180.0, handle_cv=cv, callers=2500, seed=15)
    m, b = out.model_errors.stats(1), out.baseline_errors.stats(1)
    mq, bq = out.model_errors.stats(2), out.baseline_errors.stats(2)
    report = (f"{agents} agents, load {load}, handle cv {cv}, {out.callers} callers ({out.waited} waited):"
              f" all callers: model MAE {m.mae_s:.1f} s p90 {m.p90_abs_s:.1f} s, running average MAE"
              f" {b.mae_s:.1f} s p90 {b.p90_abs_s:.1f} s; callers who queued: model MAE {mq.mae_s:.1f} s p90"
              f" {mq.p90_abs_s:.1f} s, running average MAE {bq.mae_s:.1f} s p90 {bq.p90_abs_s:.1f} s")
    print(report)
    assert m.callers > 0.95 * out.callers and out.waited > 0.3 * out.callers, report
    assert m.mae_s <= 0.7 * b.mae_s, report               # at least 30 % lower, over every caller
    assert mq.mae_s <= 0.8 * bq.mae_s, report             # and at least 20 % lower over those who queued
    assert m.p90_abs_s <= b.p90_abs_s, report
