"""The campaign simulator: determinism, record invariants, queueing theory and the pacers' compliance."""

from __future__ import annotations

from collections import defaultdict

import pytest

from pacing import erlang_a, erlang_c, make_pacer
from simulations.call_model import CustomerModel, LogNormal
from simulations.campaign_sim.engine import simulate
from simulations.campaign_sim.metrics import hourly, summarize
from simulations.campaign_sim.scenario import Inbound, Scenario, ramp_schedule


def _scenario(agents: int = 10, hours: float = 0.5, **kw: object) -> Scenario:
    return Scenario(name="test", duration_s=hours * 3600, agents=((0.0, agents),), **kw)  # type: ignore[arg-type]


def test_the_same_seed_gives_the_same_records() -> None:
    scen = _scenario()
    a = simulate(scen, make_pacer("predictive"), 11)
    b = simulate(scen, make_pacer("predictive"), 11)
    c = simulate(scen, make_pacer("predictive"), 12)
    assert a.calls == b.calls
    assert a.calls != c.calls


def test_progressive_never_abandons_and_agents_take_one_call_at_a_time() -> None:
    res = simulate(_scenario(agents=8, hours=1.0), make_pacer("progressive"), 3)
    assert not any(c.abandoned for c in res.calls)
    by_agent = defaultdict(list)
    for c in res.calls:
        if c.agent_id is not None:
            by_agent[c.agent_id].append((c.connected_s, c.ended_s))
    assert by_agent
    for spans in by_agent.values():
        spans.sort()
        assert all(prev_end <= start + 1e-9 for (_, prev_end), (start, _) in zip(spans, spans[1:]))


def test_every_outbound_call_ends_in_exactly_one_outcome() -> None:
    res = simulate(_scenario(agents=6, amd=True), make_pacer("power", ratio=2.5), 5)
    for c in res.calls:
        connected = c.connected_s is not None
        assert connected + c.abandoned + c.amd_hangup + (c.presented_s is None and not c.amd_hangup) == 1
        assert c.ended_s >= c.placed_s


def test_summary_figures_stay_within_their_ranges() -> None:
    for seed in (1, 2):
        s = summarize(simulate(_scenario(agents=5), make_pacer("vicidial", max_level=3.0), seed))
        assert 0.0 <= s.abandon_rate <= s.worst_hour_rate + 1e-12 or s.live_answers == 0
        assert 0.0 < s.occupancy <= 1.0
        assert 0.0 < s.talk_min_per_agent_hour <= 60.0
        assert s.idle_s_between_calls >= 0.0


def test_waiting_probability_matches_erlang_c_for_poisson_inbound_calls() -> None:
    agents, handle_s, erlangs = 5, 180.0, 4.0
    scen = Scenario(
        name="m/m/5", duration_s=80 * 3600, agents=((0.0, agents),), decide_every_s=600.0,
        inbound=Inbound(calls_per_hour=erlangs / handle_s * 3600, handle_mean_s=handle_s),
    )
    res = simulate(scen, make_pacer("preview"), 2024)
    assert summarize(res).inbound_wait_share == pytest.approx(float(erlang_c(agents, erlangs)), abs=0.04)


def test_abandonment_matches_erlang_a_for_impatient_inbound_callers() -> None:
    agents, handle_s, erlangs, patience_s = 5, 180.0, 5.0, 90.0
    scen = Scenario(
        name="m/m/5+m", duration_s=80 * 3600, agents=((0.0, agents),), decide_every_s=600.0,
        inbound=Inbound(calls_per_hour=erlangs / handle_s * 3600, handle_mean_s=handle_s,
                        patience_mean_s=patience_s),
    )
    res = simulate(scen, make_pacer("preview"), 7)
    inbound = [c for c in res.calls if c.direction == "in"]
    share = sum(c.abandoned for c in inbound) / len(inbound)
    assert share == pytest.approx(float(erlang_a(agents, erlangs, handle_s, patience_s)[1][0]), abs=0.03)


@pytest.mark.parametrize(("agents", "connect", "seed"), [(1, 0.3, 1), (3, 0.3, 2), (5, 0.12, 3), (20, 0.55, 4)])
def test_predictive_keeps_abandonment_under_the_cap_for_small_and_mid_teams(
    agents: int, connect: float, seed: int
) -> None:
    scen = _scenario(agents=agents, hours=1.5, customers=CustomerModel(connect_rate=connect))
    s = summarize(simulate(scen, make_pacer("predictive"), seed))
    assert s.live_answers > 0
    assert s.abandon_rate <= 0.03


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_predictive_brings_an_overspent_rate_down_without_leaving_its_agents_idle(seed: int) -> None:
    # The hour before the run ended with 8 abandons in 100 live answers (8%). The pacer must pull the
    # 24-hour rate back toward the cap, and keep dialling ahead of its agents meanwhile.
    scen = _scenario(agents=5, hours=2.0, customers=CustomerModel(connect_rate=0.12))
    pacer = make_pacer("predictive")
    pacer.seed_history(answers=[-3600.0 + 36 * i for i in range(100)], abandons=[-1800.0 + 200 * i for i in range(8)])
    assert pacer.windows.remaining(0.0) < 0
    s = summarize(simulate(scen, pacer, seed))
    progressive = summarize(simulate(scen, make_pacer("progressive"), seed))
    assert (8 + s.abandons) / (100 + s.live_answers) < 0.055
    assert s.occupancy > progressive.occupancy + 0.10


def test_predictive_stays_under_the_cap_while_the_team_grows_and_shrinks() -> None:
    schedule = ramp_schedule(2, 12, 1200.0) + ((2400.0, 4), (3000.0, 10))
    scen = Scenario(name="churn", duration_s=3600.0, agents=schedule,
                    customers=CustomerModel(connect_rate=0.4, talk=LogNormal(90.0, 0.8)))
    res = simulate(scen, make_pacer("predictive"), 8)
    assert summarize(res).abandon_rate <= 0.03
    logged = sum(s.logout_s - s.login_s for s in res.shifts)
    expected = sum(scen.agents_at(t + 0.5) for t in range(3600))
    assert logged == pytest.approx(expected, rel=0.03)


def test_hourly_series_cover_the_day() -> None:
    res = simulate(_scenario(agents=4, hours=2.0), make_pacer("progressive"), 1)
    series = hourly(res)
    assert len(series["start_s"]) == 2
    assert all(0.0 < o <= 1.0 for o in series["occupancy"])
    assert series["answers"].sum() == summarize(res).live_answers
