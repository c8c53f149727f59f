"""Blending: the pacer contract's inbound names, the reserve kept for inbound callers, and the budgets it keeps."""

from __future__ import annotations

import hashlib
import random
import re

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from scipy import special

from pacing import (
    CallHandled,
    DialOutcome,
    InboundAbandoned,
    InboundAnswered,
    InboundArrived,
    PredictivePacer,
    Snapshot,
    make_pacer,
)
from pacing.blending import InboundBlend
from pacing.inbound_load import ArrivalRate, ServiceLevelWindows
from simulations.blend_sim import BlendScenario, InboundLoad, Policy, route, simulate_day
from simulations.call_model import CustomerModel, LogNormal
from simulations.campaign_sim.engine import simulate
from simulations.campaign_sim.scenario import Inbound, Scenario


class _Recorder:
    """Passes everything to a pacer and keeps each decision's number of calls."""

    def __init__(self, inner: PredictivePacer) -> None:
        self.inner, self.name, self.calls = inner, inner.name, []

    def observe(self, event: object) -> None:
        self.inner.observe(event)  # type: ignore[arg-type]

    def decide(self, snap: Snapshot):  # type: ignore[no-untyped-def]
        decision = self.inner.decide(snap)
        self.calls.append(decision.calls)
        return decision


def _trained_blend(seed: int = 7, inbound_per_min: float = 1.0, now: float = 3600.0) -> PredictivePacer:
    """A blended pacer after an hour: 500 dial outcomes (30 % live), handled calls and steady inbound traffic."""
    rng = random.Random(seed)
    pacer = make_pacer("predictive", target_abandon=0.03, service_level=(0.90, 15.0))
    assert isinstance(pacer, PredictivePacer)
    pacer.decide(Snapshot(now=0.0, agents_ready=0, agents_busy=(1.0,)))       # the exposure starts at 0
    for i in range(500):
        t = now * i / 500
        live = rng.random() < 0.3
        pacer.observe(DialOutcome(now=t, connected=live, ring_s=rng.uniform(3, 15) if live else 25.0))
        pacer.observe(CallHandled(now=t, handle_s=rng.expovariate(1 / 140)))
    t = 0.0
    while True:
        t += rng.expovariate(inbound_per_min / 60.0)
        if t >= now:
            break
        pacer.observe(InboundArrived(now=t))
        pacer.observe(InboundAnswered(now=t, waited_s=0.0))
        pacer.observe(CallHandled(now=t, handle_s=200.0, inbound=True))
    return pacer


def test_the_contract_names_and_their_defaults() -> None:
    snap = Snapshot(now=5.0, agents_ready=2, agents_busy=(30.0,), dialing=(1.0,), waiting=0, lines_free=None,
                    inbound_waiting=(12.0, 3.1))
    assert snap.inbound_waiting == (12.0, 3.1)
    assert Snapshot(now=5.0, agents_ready=2).inbound_waiting == ()     # existing callers keep working
    assert CallHandled(now=1.0, handle_s=200.0).inbound is False
    assert CallHandled(now=1.0, handle_s=200.0, inbound=True).inbound is True
    pacer = make_pacer("predictive", target_abandon=0.03, service_level=(0.90, 15.0))
    pacer.observe(InboundArrived(now=1.0))
    pacer.observe(InboundAnswered(now=2.0, waited_s=4.0))
    pacer.observe(InboundAbandoned(now=3.0, waited_s=40.0))
    pacer.observe(CallHandled(now=4.0, handle_s=200.0, inbound=True))
    decision = pacer.decide(snap)
    assert decision.calls >= 0
    assert "inbound" in decision.why and "2 waiting" in decision.why and "\n" not in decision.why


def test_only_the_predictive_pacer_blends_and_service_level_none_is_the_same_as_leaving_it_out() -> None:
    with pytest.raises(ValueError, match="service_level"):
        make_pacer("progressive", service_level=(0.9, 15.0))
    with pytest.raises(ValueError, match="service_level"):
        make_pacer("predictive", service_level=(1.5, 15.0))
    assert make_pacer("predictive", service_level=None).blend is None  # type: ignore[attr-defined]
    assert make_pacer("power", service_level=None).name == "power"


def test_without_service_level_the_pacer_decides_exactly_as_before_blending_existed() -> None:
    # The digest of every decision of this hour was recorded with the pacer before blending was added.
    day = Scenario(name="fixed", duration_s=3600.0, agents=((0.0, 12),), inbound=Inbound(calls_per_hour=40.0))
    plain = _Recorder(make_pacer("predictive", target_abandon=0.03))  # type: ignore[arg-type]
    simulate(day, plain, 11)
    assert (sum(plain.calls), len(plain.calls)) == (808, 3601)
    assert hashlib.sha256(bytes(plain.calls)).hexdigest()[:16] == "5c6269448bee77b1"
    explicit = _Recorder(make_pacer("predictive", target_abandon=0.03, service_level=None))  # type: ignore[arg-type]
    simulate(day, explicit, 11)
    assert explicit.calls == plain.calls


def test_a_pacer_without_service_level_ignores_the_inbound_observations() -> None:
    fed, plain = _trained_blend(), make_pacer("predictive")
    rng = random.Random(7)
    for i in range(500):
        live = rng.random() < 0.3
        plain.observe(DialOutcome(now=3600.0 * i / 500, connected=live, ring_s=rng.uniform(3, 15) if live else 25.0))
    unblended = PredictivePacer()
    for event in (InboundArrived(now=1.0), InboundAnswered(now=2.0, waited_s=3.0), InboundAbandoned(now=3.0, waited_s=9.0)):
        unblended.observe(event)
    snap = Snapshot(now=10.0, agents_ready=3, inbound_waiting=(30.0, 20.0))
    assert unblended.decide(snap) == PredictivePacer().decide(snap)
    assert fed.blend is not None


def test_a_surge_of_inbound_callers_waiting_makes_the_pacer_dial_less_and_say_why() -> None:
    calm = _trained_blend(inbound_per_min=1.0)
    surge = _trained_blend(inbound_per_min=1.0)
    for k in range(40):                         # 40 callers in the last two minutes: 20 a minute
        surge.observe(InboundArrived(now=3480.0 + 3 * k))
    busy = tuple(float(10 * k) for k in range(15))
    quiet = Snapshot(now=3600.0, agents_ready=5, agents_busy=busy, dialing=(2.0,))
    crowded = Snapshot(now=3600.0, agents_ready=5, agents_busy=busy, dialing=(2.0,),
                       inbound_waiting=(9.0, 6.0, 4.0))
    before = calm.decide(quiet)
    after = surge.decide(crowded)
    assert after.calls < before.calls
    assert "3 waiting" in after.why and "reserve" in after.why and "idle agents" in after.why
    assert surge.blend is not None and calm.blend is not None
    assert surge.blend.rate(3600.0) > 5 * calm.blend.rate(3600.0)


def test_the_reserve_grows_with_the_inbound_rate_and_when_the_service_level_falls_behind() -> None:
    def reserve(per_min: float, late: int) -> int:
        blend = InboundBlend((0.90, 15.0))
        t = 0.0
        blend.plan(Snapshot(now=0.0, agents_ready=20), 180.0)
        rng = random.Random(3)
        while t < 1800.0:
            t += rng.expovariate(per_min / 60.0)
            blend.observe(InboundArrived(now=t))
        for i in range(late):
            blend.observe(InboundAbandoned(now=1800.0 + i, waited_s=60.0))
        return blend.plan(Snapshot(now=1800.0 + late, agents_ready=5, agents_busy=(60.0,) * 15), 180.0).reserve

    assert reserve(0.5, 0) <= reserve(3.0, 0) <= reserve(6.0, 0)
    assert reserve(6.0, 0) >= 1
    assert reserve(3.0, 30) > reserve(3.0, 0)


def test_the_reserve_is_a_threshold_on_idle_agents_that_answered_calls_may_still_take() -> None:
    # Bhulai and Koole's threshold: calls may be placed while the idle agents expected after their answers stay
    # at the reserve R. The R idle agents are not hidden from the abandon model (an answered call that meets
    # one takes it), so with 6 ready and R >= 2 the pacer dials ahead of more than the agents over R.
    pacer = _trained_blend(inbound_per_min=3.0)
    for i in range(10):                                   # ten callers waited past 15 s: the hour is behind
        pacer.observe(InboundAbandoned(now=3500.0 + i, waited_s=40.0))
    busy = tuple(float(10 * k) for k in range(14))
    decision = pacer.decide(Snapshot(now=3600.0, agents_ready=6, agents_busy=busy))
    reserve = int(re.search(r"reserve (\d+) idle agents", decision.why).group(1))          # type: ignore[union-attr]
    assert reserve >= 2
    assert decision.calls > 6 - reserve
    allowed = int(re.search(r"the reserve allows (\d+) calls", decision.why).group(1))     # type: ignore[union-attr]
    assert decision.calls <= allowed


def test_a_team_far_behind_its_service_level_keeps_a_reserve_for_98_percent_not_every_agent() -> None:
    # 40 late callers put the day far behind; holding every agent idle would stop outbound calls for hours and
    # answer the next callers no sooner than a reserve sized for 98 % in 15 s does.
    blend = InboundBlend((0.90, 15.0))
    blend.plan(Snapshot(now=0.0, agents_ready=20), 180.0)
    rng, t = random.Random(3), 0.0
    while t < 3600.0:
        t += rng.expovariate(1.0 / 60.0)
        blend.observe(InboundArrived(now=t))
    for i in range(40):
        blend.observe(InboundAbandoned(now=3600.0 + i, waited_s=60.0))
    plan = blend.plan(Snapshot(now=3640.0, agents_ready=12, agents_busy=(60.0,) * 8), 180.0)
    assert 1 <= plan.reserve <= 4                     # a floor of 0.01 % late held 7 of the 12 ready
    assert "behind: the reserve aims at 98% in time" in plan.why


def test_the_arrival_rate_follows_a_surge_faster_over_the_short_horizon() -> None:
    short, long_ = ArrivalRate(300.0), ArrivalRate(1800.0)
    rng = random.Random(1)
    t = 0.0
    seen = {}
    for rate_per_s, until in ((1 / 60, 3600.0), (5 / 60, 3900.0)):
        while True:
            t += rng.expovariate(rate_per_s)
            if t >= until:
                t = until
                break
            short.observe(t)
            long_.observe(t)
        seen[until] = (short.rate(until) * 60, long_.rate(until) * 60)
    assert 0.7 < seen[3600.0][1] < 1.4                    # one a minute before the surge
    assert seen[3900.0][0] > 2.5                          # five a minute for the last five minutes
    assert seen[3900.0][0] > 1.5 * seen[3900.0][1]        # the short horizon sees it first


def test_service_level_windows_follow_the_readme_rule_a_caller_leaving_within_the_answer_time_is_not_counted() -> None:
    # README "Inbound queues": SL = answered within T / (answered + hung up after waiting more than T)
    sl = ServiceLevelWindows(0.90, 15.0, initial_allowance=0.0)
    for i in range(18):
        sl.answered(float(i), waited_s=3.0)
    sl.answered(18.0, waited_s=20.0)
    sl.abandoned(19.0, waited_s=40.0)          # left after T: late
    sl.abandoned(19.5, waited_s=6.0)           # left within T: not counted at all
    assert sl.today(20.0) == (20, 2)
    assert sl.remaining(20.0) == pytest.approx(0.10 * 20 - 2)


def test_the_simulated_day_counts_the_service_level_by_the_readme_rule() -> None:
    scen = BlendScenario("sl rule", 4, CustomerModel(connect_rate=0.2, machine_rate=0.0),
                         InboundLoad((120.0,), patience_mean_s=10.0), hours=1.0)
    day = simulate_day(scen, Policy("vici", lambda: make_pacer("progressive"), hold_while_inbound_waits=True), 3)
    quick_leavers = day.inbound_offered - day.inbound_counted
    assert day.inbound_abandoned > quick_leavers > 0          # some left within T, some after
    assert day.service_level == pytest.approx(day.inbound_in_time / day.inbound_counted)
    assert day.service_level > day.inbound_in_time / day.inbound_offered


def test_a_simulated_day_names_each_target_it_misses_with_its_clock_hour() -> None:
    scen = BlendScenario("faults", 4, CustomerModel(connect_rate=0.3, machine_rate=0.0),
                         InboundLoad((60.0, 240.0)), hours=2.0)
    day = simulate_day(scen, Policy("pred", lambda: make_pacer("predictive", target_abandon=0.03)), 5)
    strict = day.faults(service_level=0.999, hour_slack=0.0, abandon_day=0.0, abandon_hour=0.0)
    loose = day.faults(service_level=0.01, hour_slack=0.0, abandon_day=1.0, abandon_hour=1.0)
    assert loose == []
    assert day.abandons > 0 and day.hourly_sl[1] < 0.999
    assert f"day SL {day.service_level:.1%}" in strict and f"hour 2 SL {day.hourly_sl[1]:.1%}" in strict
    worst = max(range(2), key=lambda h: day.hourly_abandon[h])
    assert (f"hour {worst + 1} abandoned {day.hourly_abandon[worst]:.2%} of {day.hourly_answers[worst]} answers"
            in strict)
    assert sum(day.hourly_answers) == day.live_answers


def test_the_router_serves_an_urgent_answered_call_then_the_longest_waiting_caller() -> None:
    from collections import deque

    from simulations.blend_sim import _Call

    def call(direction: str, presented_s: float) -> _Call:
        c = _Call(direction, presented_s)
        c.presented_s = presented_s
        return c

    young, old, caller = call("out", 9.6), call("out", 8.8), call("in", 2.0)
    assert route(10.0, deque([young]), deque([caller]), 1.0) is not None
    assert route(10.0, deque([young]), deque([caller]), 1.0)[0] is caller          # type: ignore[index]
    assert route(10.0, deque([old]), deque([caller]), 1.0)[0] is old              # type: ignore[index]
    assert route(10.0, deque([young]), deque(), 1.0)[0] is young                  # type: ignore[index]
    assert route(10.0, deque([old]), deque([caller]), 1.0, takes_out=False)[0] is caller  # type: ignore[index]
    assert route(10.0, deque(), deque(), 1.0) is None


def _blend_policy() -> Policy:
    return Policy("blend", lambda: make_pacer("predictive", target_abandon=0.03, service_level=(0.90, 15.0)),
                  blended_snapshot=True)


@settings(max_examples=5, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(agents=st.integers(5, 25), connect=st.floats(0.10, 0.45), load=st.floats(0.0, 0.6),
       seed=st.integers(0, 10**6))
@pytest.mark.slow
def test_a_blended_team_keeps_the_outbound_abandonment_budget_but_for_chance(agents: int, connect: float,
                                                                             load: float, seed: int) -> None:
    # Two hours from a cold start. The pacer plans 95 % of 3 %, and each clock hour the Poisson mean that goes
    # over 5 % with chance 0.5 %; what it cannot plan away is chance, so the day may not exceed its plan by more
    # than the 0.5 % Poisson tail, and an hour of 100 answers or more stays under 5 %. (A flat "3 % + 1" failed
    # on seeds for 5- and 9-agent teams with the code before the count-aware hour too: 9 abandons of 188 with
    # 5 agents at 11 % live answers, the handle time learnt from the first short calls.) No shrinking: a
    # counterexample of a chance constraint is a seed, and hunting for the smallest one took five minutes.
    per_hour = load * agents / 220.0 * 3600.0
    scen = BlendScenario("property", agents, CustomerModel(connect_rate=connect, machine_rate=0.0),
                         InboundLoad((per_hour,)), hours=2.0)
    day = simulate_day(scen, _blend_policy(), seed)
    planned = 0.03 * 0.95 * day.live_answers
    assert day.abandons <= poisson_mean_bound(planned), (day.abandons, day.live_answers)
    for answers, rate in zip(day.hourly_answers, day.hourly_abandon, strict=True):
        assert answers < 100 or rate <= 0.05, (day.hourly_answers, day.hourly_abandon)


def poisson_mean_bound(mean: float, tail: float = 0.005) -> int:
    """The least k with P(Poisson(mean) > k) <= ``tail``."""
    k = 0
    while 1.0 - special.pdtr(k, mean) > tail:
        k += 1
    return k


def test_a_blended_pacer_over_its_abandonment_budget_leaves_its_last_idle_agent_to_inbound_callers() -> None:
    # The one ready agent gets a progressive call while the budget holds; once chance has overspent it, an
    # inbound caller arriving while that call rings would take the agent, so the agent is kept idle.
    for abandons, calls in ((0, 1), (8, 0)):
        pacer = _trained_blend(inbound_per_min=0.5)
        pacer.seed_history(abandons=[3000.0 + i for i in range(abandons)])
        decision = pacer.decide(Snapshot(now=3599.0, agents_ready=1, agents_busy=(1.0,) * 10))
        assert decision.calls == calls, decision.why
        assert ("budget overspent, 1 idle kept" in decision.why) == (abandons > 0)


@pytest.mark.slow
def test_a_small_blended_team_ends_a_half_hour_within_3_percent_keeping_an_agent_idle_once_overspent() -> None:
    # The end-to-end test's team in the simulator: 20 agents, 45 % live answers ringing ~5 s, 8 inbound callers a
    # minute taking agents as they come. The pacer ended some half hours over 3 % (seed 5: 12 of 364): its
    # progressive calls, outside the budget, lose their agent to an inbound caller arriving while they ring,
    # and the budget left hovers near zero; overspent, it now keeps an idle agent from those calls.
    model = CustomerModel(connect_rate=0.45, machine_rate=0.06, busy_rate=0.10, congestion_rate=0.02,
                          invalid_rate=0.02, ring=LogNormal(5.0, 0.4), talk=LogNormal(40.0, 0.5),
                          patience=LogNormal(6.0, 0.5), no_answer_s=15.0)
    scen = BlendScenario("e2e team", 20, model, InboundLoad((480.0,), talk=LogNormal(50.0, 0.5),
                                                           wrap=LogNormal(4.0, 0.3), patience_mean_s=70.0),
                         hours=0.5, service_level=(0.90, 20.0))
    policy = Policy("blend", lambda: make_pacer("predictive", target_abandon=0.03, service_level=(0.90, 20.0)),
                    blended_snapshot=True)
    for seed in range(6):
        day = simulate_day(scen, policy, seed)
        assert day.live_answers > 300
        assert day.abandons <= 0.03 * day.live_answers, (seed, day.abandons, day.live_answers)


@pytest.mark.slow
def test_a_blended_20_agent_day_keeps_every_clock_hour_under_5_percent_once_chance_has_overspent_the_budget() -> None:
    # bench_blending's flat 20-agent day (35 % live answers, inbound 40 % of the team's time), seed 1. The
    # pacer's progressive calls were outside the budget; overspent, they went on losing their agents to
    # inbound callers arriving while they rang (5 % of their answers), and the seventh hour ended at 5.19 %.
    # Overspent, every call now keeps the recovery allowance, progressive ones included.
    per_hour = 0.40 * 20 / InboundLoad().handle_mean_s * 3600.0
    scen = BlendScenario("flat 20", 20, CustomerModel(connect_rate=0.35, machine_rate=0.0),
                         InboundLoad((per_hour,)), hours=8.0)
    day = simulate_day(scen, _blend_policy(), 1)
    assert day.live_answers > 2000
    assert day.abandon_rate <= 0.03
    assert day.worst_hour_abandon <= 0.05, [f"{v:.2%}" for v in day.hourly_abandon]
