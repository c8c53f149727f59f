"""Erlang B, C and A against published values and an independent birth-death computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pacing.erlang import (
    agents_for_abandonment,
    agents_for_service_level,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    service_level,
)


def _birth_death(n: int, lam: float, mu: float, theta: float, cap: int = 400) -> tuple[float, float, float]:
    """P(wait), P(abandon), E[wait] of M/M/n+M from its truncated stationary distribution (independent check)."""
    log_p = [0.0]
    for k in range(1, n + cap):
        death = min(k, n) * mu + max(k - n, 0) * theta
        log_p.append(log_p[-1] + math.log(lam) - math.log(death))
    p = np.exp(np.array(log_p) - max(log_p))
    p /= p.sum()
    p_wait = p[n:].sum()
    queue = np.arange(len(p)) - n
    mean_q = (p[n:] * queue[n:]).sum()
    p_ab = theta * mean_q / lam
    return float(p_wait), float(p_ab), float(mean_q / lam)


@pytest.mark.parametrize(
    ("agents", "erlangs", "published"),
    [(1, 1.0, 0.5), (2, 1.0, 0.2), (10, 5.0, 0.01838), (5, 2.0, 0.03670), (20, 15.0, 0.04561)],
)
def test_erlang_b_matches_the_published_loss_table(agents: int, erlangs: float, published: float) -> None:
    assert erlang_b(agents, erlangs) == pytest.approx(published, abs=5e-5)


def test_erlang_c_matches_the_textbook_examples() -> None:
    # Two servers' worth of traffic on three servers: C = 4/9 (Kleinrock, Queueing Systems I, M/M/m).
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9, rel=1e-12)
    # 10 Erlangs on 14 agents, 180 s calls: P(wait) 17.4%, 88.8% answered in 20 s, ASA 7.8 s.
    assert erlang_c(14, 10.0) == pytest.approx(0.1741, abs=1e-4)
    assert service_level(14, 10.0, 180.0, 20.0) == pytest.approx(0.888, abs=1e-3)
    assert average_speed_of_answer(14, 10.0, 180.0) == pytest.approx(7.84, abs=0.01)


def test_erlang_c_is_one_when_the_load_reaches_the_agents() -> None:
    assert np.all(erlang_c([5, 10], [5.0, 12.0]) == 1.0)
    assert np.isinf(average_speed_of_answer(5, 5.0, 100.0))


def test_erlang_formulas_stay_finite_at_5000_agents_and_5000_erlangs() -> None:
    b = erlang_b(5000, 5000.0)
    c = erlang_c([5000, 5000], [4900.0, 4999.0])
    p_wait, p_ab, wait = erlang_a(5000, 5000.0, 180.0, 60.0)
    values = np.concatenate(([b], c, p_wait, p_ab, wait))
    assert np.all(np.isfinite(values))
    assert 0 < b < 0.02 and 0 < c[0] < c[1] < 1
    assert 0 < p_ab[0] < p_wait[0] < 1


def test_erlang_c_is_vectorised_and_decreases_with_agents() -> None:
    c = erlang_c(np.arange(11, 30), 10.0)
    assert c.shape == (19,)
    assert np.all(np.diff(c) < 0)


@pytest.mark.parametrize(("n", "lam", "mu", "theta"),
                         [(1, 0.8, 1.0, 0.5), (5, 4.0, 1.0, 1.0), (10, 12.0, 1.0, 0.5), (50, 48.0, 1 / 3, 0.2)])
def test_erlang_a_agrees_with_the_birth_death_chain(n: int, lam: float, mu: float, theta: float) -> None:
    p_wait, p_ab, wait = erlang_a(n, lam / mu, 1 / mu, 1 / theta)
    exp_wait, exp_ab, exp_w = _birth_death(n, lam, mu, theta)
    assert p_wait[0] == pytest.approx(exp_wait, rel=1e-6)
    assert p_ab[0] == pytest.approx(exp_ab, rel=1e-6)
    assert wait[0] == pytest.approx(exp_w, rel=1e-6)


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    p_wait, p_ab, _ = erlang_a(14, 10.0, 180.0, 1e9)
    assert p_wait[0] == pytest.approx(float(erlang_c(14, 10.0)), rel=1e-4)
    assert p_ab[0] < 1e-5


def test_erlang_a_garnett_mandelbaum_reiman_qed_example() -> None:
    # The quality-and-efficiency-driven regime of GMR 2002: n = R = 100, mean patience = mean service.
    # Their diffusion limit puts P(Ab) near 4% and P(W > 0) near one half at beta = 0.
    p_wait, p_ab, _ = erlang_a(100, 100.0, 1.0, 1.0)
    exp_wait, exp_ab, _ = _birth_death(100, 100.0, 1.0, 1.0)
    assert p_ab[0] == pytest.approx(exp_ab, rel=1e-6)
    assert p_wait[0] == pytest.approx(exp_wait, rel=1e-6)
    assert 0.03 < p_ab[0] < 0.05 and 0.45 < p_wait[0] < 0.6


def test_staffing_for_service_level_is_the_fewest_agents_that_reach_it() -> None:
    n = agents_for_service_level(10.0, 180.0, 20.0, 0.8)
    assert service_level(n, 10.0, 180.0, 20.0) >= 0.8 > service_level(n - 1, 10.0, 180.0, 20.0)


def test_staffing_for_abandonment_is_the_fewest_agents_that_reach_it() -> None:
    n = agents_for_abandonment(50.0, 180.0, 60.0, 0.03)
    assert erlang_a(n, 50.0, 180.0, 60.0)[1][0] <= 0.03 < erlang_a(n - 1, 50.0, 180.0, 60.0)[1][0]
