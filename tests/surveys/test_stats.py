"""Survey statistics against hand-computed figures, and intervals that cover the truth about 95 % of the time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.model import END, SurveyDefinition
from surveys.stats import ResponseRow, by, mean_ci, nps, offer_rates, share, stood_at, survey_stats

SOUND = [{"kind": "sound", "value": "vm-press"}]


def test_the_mean_interval_is_students_t_worked_by_hand() -> None:
    # 1..5: mean 3, s = √2.5 = 1.58114, t(0.975, 4) = 2.77645, half width = 2.77645 · 1.58114 / √5 = 1.96324
    result = mean_ci([1, 2, 3, 4, 5])
    assert result.mean == 3 and result.sd == pytest.approx(1.58114, abs=1e-5)
    assert (result.ci.low, result.ci.high) == pytest.approx((1.03676, 4.96324), abs=1e-5)
    assert mean_ci([4]).ci is None and mean_ci([]) is None


def test_nps_and_its_adjusted_wald_interval_worked_by_hand() -> None:
    # 5 promoters (9-10), 2 passives (7-8), 3 detractors (0-6) of 10: NPS = 100 · (5 - 3)/10 = 20.
    # Adjusted: n' = 13, p' = 5.75/13 = 0.442308, d' = 3.75/13 = 0.288462, p'-d' = 0.153846,
    # Var = (0.730769 - 0.023669)/13 = 0.054392, half = 1.96 · 0.233222 = 0.457107 -> (-30.33, 61.10)
    result = nps([10, 9, 9, 8, 7, 6, 0, 5, 10, 10])
    assert (result.promoters, result.passives, result.detractors, result.score) == (5, 2, 3, 20.0)
    assert (result.ci.low, result.ci.high) == pytest.approx((-30.326, 61.095), abs=1e-3)
    assert nps([10] * 3).ci.high == 100.0


def test_a_share_has_wilsons_interval() -> None:
    result = share(8, 10)          # Wilson (1927): 8/10 -> 0.4902 .. 0.9433
    assert (result.ci.low, result.ci.high) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert share(0, 0).share is None


def branching_survey() -> SurveyDefinition:
    return SurveyDefinition.from_dict({"name": "s", "intro": SOUND, "outro": SOUND, "questions": [
        {"id": "happy", "kind": "yes_no", "prompt": SOUND, "branches": {"no": "why"}},
        {"id": "score", "kind": "rating", "prompt": SOUND, "next": END},
        {"id": "why", "kind": "choice", "prompt": SOUND,
         "choices": [{"digit": "1", "label": "wait"}, {"digit": "2", "label": "price"}]}]})


ROWS = [
    ResponseRow(1, {"happy": "yes", "score": "5"}, completed=True, ended_reason="completed", agent_id=7,
                campaign_id=1),
    ResponseRow(2, {"happy": "yes", "score": "3"}, completed=True, ended_reason="completed", agent_id=7,
                campaign_id=1),
    ResponseRow(3, {"happy": "yes", "score": None}, completed=True, ended_reason="completed", agent_id=8,
                campaign_id=1),
    ResponseRow(4, {"happy": "yes"}, ended_reason="hangup", agent_id=8, campaign_id=2),     # left at score
    ResponseRow(5, {"happy": "no"}, ended_reason="hangup", agent_id=8, campaign_id=2),      # left at why
    ResponseRow(6, {}, ended_reason=None, agent_id=8, campaign_id=2),                        # crashed at happy
    ResponseRow(7, {}, started=False, agent_id=9, campaign_id=2),                            # offered only
]


def test_completion_drop_off_nonresponse_and_distribution_worked_by_hand() -> None:
    result = survey_stats(branching_survey(), ROWS)
    assert (result.offered, result.started, result.completed) == (7, 6, 3)
    assert result.completion.share == 0.5
    happy, score, why = result.questions
    assert (happy.reached, happy.answered, happy.dropped_here) == (5, 5, 1)
    assert happy.distribution == (("yes", 4), ("no", 1))
    assert (score.reached, score.answered, score.skipped, score.dropped_here) == (3, 2, 1, 1)
    assert score.nonresponse.share == pytest.approx(1 / 3)
    assert score.distribution == (("1", 0), ("2", 0), ("3", 1), ("4", 0), ("5", 1))
    assert score.mean.mean == 4.0 and score.mean.ci.low == pytest.approx(4 - 12.7062, abs=1e-3)
    assert (why.reached, why.dropped_here) == (0, 1)
    assert stood_at(branching_survey(), {"happy": "no", "why": "2"}) == END


def test_per_agent_and_per_campaign_groups_and_the_offer_rate() -> None:
    per_agent = by(branching_survey(), ROWS, lambda r: r.agent_id)
    assert {a: s.offered for a, s in per_agent.items()} == {7: 2, 8: 4, 9: 1}
    assert {c: s.completed for c, s in by(branching_survey(), ROWS, lambda r: r.campaign_id).items()} == {1: 3, 2: 0}
    rates = offer_rates(ROWS, {7: 10, 8: 4, 9: 20, 10: 5})
    assert {a: r.share for a, r in rates.items()} == {7: 0.2, 8: 1.0, 9: 0.05, 10: 0.0}


@given(st.lists(st.floats(0.1, 1.0), min_size=5, max_size=5), st.integers(30, 150), st.integers(0, 2**31))
@settings(max_examples=12, deadline=None, derandomize=True)
def test_the_mean_interval_covers_the_true_mean_about_95_percent_of_the_time(
        weights: list[float], n: int, seed: int) -> None:
    p = np.array(weights) / sum(weights)
    truth = float(np.dot(np.arange(1, 6), p))
    rng = np.random.default_rng(seed)
    trials = 1000
    covered = 0
    for sample in rng.choice(np.arange(1, 6), size=(trials, n), p=p):
        result = mean_ci(sample)
        if result.ci is None or (result.sd == 0 and result.mean == truth):
            covered += 1
            continue
        covered += result.ci.low <= truth <= result.ci.high
    assert 0.90 <= covered / trials <= 0.99, f"covered {covered / trials:.3f} for p={p.round(3)}, n={n}"


@given(st.lists(st.floats(0.1, 1.0), min_size=3, max_size=3), st.integers(20, 200), st.integers(0, 2**31))
@settings(max_examples=10, deadline=None, derandomize=True)
def test_the_nps_interval_covers_the_true_nps_about_95_percent_of_the_time(
        weights: list[float], n: int, seed: int) -> None:
    p = np.array(weights) / sum(weights)          # detractor, passive, promoter
    truth = 100 * (p[2] - p[0])
    rng = np.random.default_rng(seed)
    trials = 1000
    covered = 0
    for groups in rng.choice(3, size=(trials, n), p=p):
        scores = np.where(groups == 0, 3, np.where(groups == 1, 8, 10))
        result = nps(scores.tolist())
        covered += result.ci.low <= truth <= result.ci.high
    assert 0.90 <= covered / trials <= 0.995, f"covered {covered / trials:.3f} for p={p.round(3)}, n={n}"
