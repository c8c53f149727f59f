"""The estimated wait: position, agents and learnt handle times, not a running average; and its own error."""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass, replace

import numpy as np
import pytest
from scipy import stats

from dialer.agents import Agent, AgentState
from dialer.calls import Call, CallPolicy, CallState, Pool, PoolKind
from dialer.routing import QueueRule
from dialer.wait_model import BusyAgent, Patience, QueueView, WaitErrors, WaitModel, queue_view
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


def test_the_view_of_a_caller_is_built_from_what_the_router_sees() -> None:
    """Hotline caller 12: agents 1, 2, 3 and 6 serve the hotline (1 reserved for a caller 1 s ago, 2 on an
    outbound call for 40 s, 3 in wrap-up of an inbound call connected 100 s ago, 6 ready but kept from this
    caller: it already failed to reach it); agent 4 serves only another queue; agent 5 is paused. Ahead of
    it: the VIP caller (priority 30 s) and the earlier hotline caller, not the other queue's caller nobody of
    the hotline serves, nor the later one."""
    sales, hotline, vip, other = (Pool(PoolKind.CAMPAIGN, 1), Pool(PoolKind.QUEUE, 2), Pool(PoolKind.QUEUE, 3),
                                  Pool(PoolKind.QUEUE, 4))
    queues = {hotline: QueueRule(), vip: QueueRule(priority=30), other: QueueRule()}

    def caller(call_id: int, pool: Pool, ready_at: float) -> Call:
        return Call(call_id, f"dl-{call_id}", pool, CallPolicy(safe_harbor_s=None), state=CallState.WAITING,
                    ready_at=ready_at, inbound=True)
    now = 500.0
    outbound_call = Call(20, "dl-20", sales, state=CallState.CONNECTED, connected_at=460.0, agent_id=2)
    inbound_done = Call(21, "dl-21", hotline, state=CallState.WRAP_UP, connected_at=400.0, agent_id=3, inbound=True)
    connecting = Call(16, "dl-16", hotline, state=CallState.CONNECTING, ready_at=450.0, agent_id=1, inbound=True)
    me = replace(caller(12, hotline, 480.0), agents_lost=frozenset({6}))
    calls = [me, caller(11, hotline, 470.0), caller(13, vip, 495.0), caller(14, other, 400.0),
             caller(15, hotline, 490.0), outbound_call, inbound_done, connecting]
    works = frozenset({sales, hotline, vip})
    agents = [Agent(1, pools=works, state=AgentState.RESERVED, state_since=499.0, call_id=16),
              Agent(2, pools=works, state=AgentState.ON_CALL, state_since=461.0, call_id=20),
              Agent(3, pools=works, state=AgentState.WRAP_UP, state_since=490.0, call_id=21),
              Agent(4, pools=frozenset({other}), state=AgentState.READY, ready_since=300.0),
              Agent(5, pools=works, state=AgentState.PAUSED, state_since=0.0),
              Agent(6, pools=works, state=AgentState.READY, ready_since=450.0)]
    view = queue_view(me, calls, agents, queues, now)
    assert (view.ahead, view.idle) == (2, 0)
    assert sorted((b.elapsed_s, b.outbound) for b in view.busy) == [(1.0, False), (40.0, True), (100.0, False)]


# --- against a running average on a simulated M/G/n queue --------------------------------------------------
@dataclass
class Outcome:
    errors: dict[str, WaitErrors]      # per estimator; queue 1: every answered caller, 2: those who queued
    waited: int
    abandoned: int
    callers: int
    patience: Patience

    def line(self, name: str) -> str:
        every, queued = self.errors[name].stats(1), self.errors[name].stats(2)
        return (f"{name}: MAE {every.mae_s:.1f} s p90 {every.p90_abs_s:.1f} s (callers who queued: MAE"
                f" {queued.mae_s:.1f} s p90 {queued.p90_abs_s:.1f} s)")


def simulate_mgn(*, agents: int, load: float, handle_mean_s: float, handle_cv: float, callers: int, seed: int,
                 patience_mean_s: float | None = None) -> Outcome:
    """An M/G/n (+M with ``patience_mean_s``) queue, first come first served (pure, seeded). At each arrival
    the model estimates from the caller's position, the idle agents, the busy agents' elapsed times and the
    handle times (and patience) learnt so far; the baseline announces the average wait of the last 20
    callers answered. Errors count answered callers (an abandoned caller's wait is unknown)."""
    rng = np.random.default_rng(seed)
    sigma = math.sqrt(math.log1p(handle_cv ** 2))
    mu = math.log(handle_mean_s) - sigma ** 2 / 2
    rate = load * agents / handle_mean_s
    handle, patience = HandleTimeModel(prior_mean_s=150.0), Patience()
    names = ["model", "running average", "(k+1) h / n"] + (["model without patience"] if patience_mean_s else [])
    errors = {name: WaitErrors(window=callers) for name in names}
    busy_since: dict[int, float] = {}                   # agent -> start of its call
    ends: list[tuple[float, int]] = []                   # (end time, agent)
    queue: deque[tuple[int, float, float]] = deque()     # (caller, arrival, hangs up at)
    recent: deque[float] = deque(maxlen=20)
    announced: dict[int, tuple[dict[str, float], bool]] = {}
    t, waited, abandoned = 0.0, 0, 0

    def start(agent: int, caller: int, arrived: float, now: float) -> None:
        busy_since[agent] = now
        heapq.heappush(ends, (now + float(rng.lognormal(mu, sigma)), agent))
        wait = now - arrived
        recent.append(wait)
        patience.observe(wait, abandoned=False)
        estimates, queued = announced.pop(caller)
        for name, estimate in estimates.items():
            for queue_id in (1, 2) if queued else (1,):
                errors[name].observe(queue_id, estimate_s=estimate, actual_s=wait)

    def hang_up_until(now: float) -> None:
        nonlocal abandoned
        for caller, arrived, leaves in [q for q in queue if q[2] <= now]:
            patience.observe(leaves - arrived, abandoned=True)
            announced.pop(caller)
            abandoned += 1
        kept = [q for q in queue if q[2] > now]
        queue.clear()
        queue.extend(kept)

    for caller in range(callers):
        t += float(rng.exponential(1.0 / rate))
        while ends and ends[0][0] <= t:                  # calls that ended before this arrival
            end, agent = heapq.heappop(ends)
            handle.observe(end - busy_since.pop(agent))
            hang_up_until(end)
            if queue:
                waiting_caller, arrived, _ = queue.popleft()
                start(agent, waiting_caller, arrived, end)
        hang_up_until(t)
        idle = [a for a in range(agents) if a not in busy_since]
        view = QueueView(ahead=len(queue), idle=len(idle), busy=tuple(BusyAgent(t - s) for s in busy_since.values()))
        estimates = {"model": WaitModel(handle, patience_s=patience.mean_s if patience_mean_s else None,
                                        samples=300).estimate(view).point_s,
                     "running average": float(np.mean(recent)) if recent else 0.0,
                     # the memoryless (Erlang) mean: k + 1 - idle releases at n / h each, no residuals
                     "(k+1) h / n": max(0, len(queue) + 1 - len(idle)) * handle.mean_s / agents}
        if patience_mean_s:
            estimates["model without patience"] = WaitModel(handle, samples=300).estimate(view).point_s
        announced[caller] = (estimates, not idle)
        if idle:
            start(idle[0], caller, t, t)
        else:
            waited += 1
            leaves = t + float(rng.exponential(patience_mean_s)) if patience_mean_s else math.inf
            queue.append((caller, t, leaves))
    return Outcome(errors, waited, abandoned, callers, patience)


@pytest.mark.parametrize(("agents", "load", "cv"), [(5, 0.9, 1.0), (10, 0.95, 0.6)])
def test_on_an_mgn_queue_the_model_errs_far_less_than_a_running_average(agents: int, load: float, cv: float) -> None:
    out = simulate_mgn(agents=agents, load=load, handle_mean_s=180.0, handle_cv=cv, callers=2500, seed=15)
    m, b = out.errors["model"].stats(1), out.errors["running average"].stats(1)
    mq, bq = out.errors["model"].stats(2), out.errors["running average"].stats(2)
    report = (f"M/G/{agents}, load {load}, handle 180 s cv {cv}, {out.callers} callers ({out.waited} queued): "
              f"{out.line('model')}; {out.line('running average')}; {out.line('(k+1) h / n')}")
    print(report)
    assert m.callers > 0.95 * out.callers and out.waited > 0.3 * out.callers, report
    assert m.mae_s <= 0.7 * b.mae_s, report               # at least 30 % lower, over every caller
    assert mq.mae_s <= 0.8 * bq.mae_s, report             # and at least 20 % lower over those who queued
    assert m.p90_abs_s <= b.p90_abs_s, report


@pytest.mark.parametrize(("agents", "cv"), [(3, 0.3), (5, 0.2)])
def test_when_handle_times_are_not_memoryless_the_residual_times_beat_erlangs_mean(agents: int, cv: float) -> None:
    """With exponential handle times (cv 1) the busy agents' elapsed times say nothing and the model ties
    with (k + 1 - idle) h / n; with regular calls (cv 0.2-0.3) they matter."""
    out = simulate_mgn(agents=agents, load=0.9, handle_mean_s=180.0, handle_cv=cv, callers=2000, seed=17)
    m, e = out.errors["model"].stats(2), out.errors["(k+1) h / n"].stats(2)
    report = f"M/G/{agents}, load 0.9, handle cv {cv}: {out.line('model')}; {out.line('(k+1) h / n')}"
    print(report)
    assert m.mae_s <= 0.85 * e.mae_s, report


def test_with_impatient_callers_the_measured_patience_makes_the_estimate_better() -> None:
    """M/G/n+M, overloaded (load 1.1) so the queue is long and many hang up: callers ahead who will hang up
    shorten the wait, and the model counting them (patience learnt from the waits) errs less."""
    out = simulate_mgn(agents=5, load=1.1, handle_mean_s=180.0, handle_cv=1.0, callers=2500, seed=16,
                       patience_mean_s=90.0)
    m, flat, b = (out.errors[name].stats(2) for name in ("model", "model without patience", "running average"))
    m_all, b_all = out.errors["model"].stats(1), out.errors["running average"].stats(1)
    report = (f"M/G/5+M, load 1.1, patience 90 s (learnt {out.patience.mean_s:.0f} s), {out.callers} callers"
              f" ({out.waited} queued, {out.abandoned} hung up): {out.line('model')};"
              f" {out.line('model without patience')}; {out.line('running average')}")
    print(report)
    assert out.abandoned > 0.1 * out.callers and 70 < out.patience.mean_s < 115, report
    assert m.mae_s <= 0.85 * flat.mae_s and m.p90_abs_s <= 0.85 * flat.p90_abs_s, report
    # answered callers are those whose patience outlasted their wait, a bias the running average (built from
    # their waits) shares: the margin over it is smaller among callers who queued than over every caller
    assert m_all.mae_s <= 0.7 * b_all.mae_s and m.mae_s <= 0.9 * b.mae_s, report


def test_patience_is_the_exponential_maximum_likelihood_over_answered_and_abandoned_waits() -> None:
    patience = Patience(prior_s=100.0, prior_callers=2.0)
    assert patience.mean_s == 100.0
    for waited in (10.0, 30.0):
        patience.observe(waited, abandoned=False)        # answered: censored, adds time, no hang-up
    patience.observe(60.0, abandoned=True)
    assert patience.mean_s == pytest.approx((100.0 + 200.0) / 3)
