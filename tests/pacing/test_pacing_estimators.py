"""Online estimators: discounting, censored ring times, handle-time survival and abandonment windows."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from pacing.estimators import DiscountedRate, HandleTimeModel, RingTimeModel
from pacing.windows import DAY_S, MONTH_S, AbandonmentWindows


def test_connect_rate_starts_at_its_prior_and_follows_a_drop_in_the_list() -> None:
    rate = DiscountedRate(0.3, prior_weight=20, half_life=200)
    assert rate.rate == pytest.approx(0.3)
    rng = random.Random(1)
    for _ in range(1000):
        rate.observe(rng.random() < 0.35)
    before = rate.rate
    for _ in range(600):
        rate.observe(rng.random() < 0.10)
    assert before == pytest.approx(0.35, abs=0.06)
    assert rate.rate == pytest.approx(0.10, abs=0.05)


def test_kaplan_meier_recovers_answer_times_censored_by_failures() -> None:
    rng = random.Random(2)
    model = RingTimeModel(window=5000)
    mean = 8.0
    for _ in range(4000):
        answer = rng.expovariate(1 / mean)
        censor = rng.uniform(0, 30)
        model.observe(min(answer, censor), answered=answer <= censor)
    t = np.array([4.0, 8.0, 16.0])
    assert np.allclose(model.time_to_answer_survival(t), np.exp(-t / mean), atol=0.04)


def test_a_call_that_has_rung_longer_is_less_likely_to_be_answered() -> None:
    rng = random.Random(3)
    model = RingTimeModel()
    for _ in range(400):
        if rng.random() < 0.4:
            model.observe(rng.lognormvariate(2.1, 0.4), answered=True)
        else:
            model.observe(25.0, answered=False)
    p = model.p_answer_after(np.array([0.0, 8.0, 15.0, 24.0]))
    assert np.all(np.diff(p) < 0)
    assert p[0] == pytest.approx(model.answer_share, abs=0.02)
    within = model.p_answer_within(np.array([0.0]), np.array([100.0]))
    assert within[0] == pytest.approx(p[0], abs=0.02)


def test_memoryless_handle_times_give_the_same_chance_of_ending_at_any_age() -> None:
    rng = random.Random(4)
    model = HandleTimeModel()
    for _ in range(1000):
        model.observe(rng.expovariate(1 / 120))
    p = model.p_end_within(np.array([0.0, 60.0, 120.0]), 12.0)
    assert np.allclose(p, 1 - math.exp(-12 / 120), atol=0.035)


def test_calls_in_progress_correct_the_early_bias_toward_short_calls() -> None:
    model = HandleTimeModel()
    for h in (20.0, 25.0, 30.0, 35.0, 40.0):
        model.observe(h)                       # only the short calls have ended so far
    in_progress = np.full(50, 45.0)
    naive = model.p_end_within(np.array([45.0]), 15.0)
    censored = model.p_end_within(np.array([45.0]), 15.0, in_progress)
    assert censored[0] < naive[0]


def test_abandonment_windows_count_24_hours_and_30_days_separately() -> None:
    win = AbandonmentWindows()
    win.seed(answers=[-40 * DAY_S, -10 * DAY_S] + [-3600.0] * 98, abandons=[-10 * DAY_S, -60.0])
    day, month = win.counts(0.0)
    assert (day.span_s, day.answers, day.abandons) == (DAY_S, 98, 1)
    assert (month.span_s, month.answers, month.abandons) == (MONTH_S, 99, 2)
    assert win.remaining(0.0) == pytest.approx(min(0.03 * 98 - 1, 0.03 * 99 - 2))


def test_abandonment_budget_starts_near_zero_and_grows_with_live_answers() -> None:
    win = AbandonmentWindows()
    assert win.remaining(0.0) == 0.0
    for t in range(100):
        win.answer(float(t))
    assert win.remaining(100.0) == pytest.approx(3.0)
    win.abandon(101.0)
    assert win.remaining(101.0) == pytest.approx(2.0)
    # a day later the 24-hour window is empty again, so its budget binds: nothing left to spend
    assert win.remaining(DAY_S + 200.0) == pytest.approx(0.0)
    assert win.counts(DAY_S + 200.0)[1].answers == 100
