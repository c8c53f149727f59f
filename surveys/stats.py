"""Survey statistics, pure: responses, completion, drop-off per question, distributions, means with 95 %
intervals, NPS with its interval, nonresponse, and the offer rate per agent.

Input is plain data (``ResponseRow``: one per survey offered, with its answers by question id, a skipped
question mapping to None; ``surveys.repository.response_rows`` gives them) and the ``SurveyDefinition``
whose questions are reported (answers of older versions count under the same question id).

Figures and their sources:

- **Mean of a rating, NPS score or typed number**, 95 % interval from Student's t with n-1 degrees of
  freedom: ``mean ± t(0.975, n-1) · s/√n`` (``s`` the sample standard deviation); none below 2 answers.
- **NPS** = 100 · (share of 9-10 − share of 0-6). Its interval is the *adjusted Wald* interval of Sauro &
  Lewis (Quantifying the User Experience, 2nd ed., 2016, ch. 5; MeasuringU, "Confidence intervals for Net
  Promoter Scores"): add 3 pseudo-answers, 3/4 promoter, 3/4 detractor, 3/2 passive (n' = n + 3,
  p' = (P + 3/4)/n', d' = (D + 3/4)/n'), take the variance of the difference of two shares of one
  multinomial, ``Var = (p' + d' − (p' − d')²)/n'``, and ``NPS' ± 1.96·√Var`` (×100, clipped to ±100).
  It covers about 95 % from n ≈ 10 upward, where the plain Wald interval is too narrow.
- **Shares** (completion, offer rate): Wilson's score interval (Wilson 1927), 95 %.
- **Drop-off per question**: a response that started and ended without completing is counted at the
  question it stood at when the customer left: the first question on its path (the survey's flow followed
  through its answers) that it has no answer for (ended by a hang-up, by nothing (a crash), or, in the
  agent panel, by the disposition before the last question: ``disposed``). **Nonresponse**: questions
  reached and skipped (no input or invalid input after the repeats).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from scipy.special import stdtrit  # the t quantile; scipy.stats cost every process start 1.1 s

from surveys.model import END, Kind, SurveyDefinition

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class ResponseRow:
    id: int
    answers: Mapping[str, str | None]
    completed: bool = False
    started: bool = True
    ended_reason: str | None = None
    campaign_id: int | None = None
    queue_id: int | None = None
    agent_id: int | None = None
    version_id: int | None = None
    offered_at: datetime | None = None

    @classmethod
    def from_record(cls, row: Mapping[str, Any]) -> ResponseRow:
        return cls(id=row["id"], answers=dict(row["answers"]), completed=row["completed"],
                   started=row["started_at"] is not None, ended_reason=row["ended_reason"],
                   campaign_id=row["campaign_id"], queue_id=row["queue_id"], agent_id=row["agent_id"],
                   version_id=row["version_id"], offered_at=row["offered_at"])


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Mean:
    n: int
    mean: float
    sd: float
    ci: Interval | None          # 95 %, t; None below 2 values


@dataclass(frozen=True, slots=True)
class Nps:
    n: int
    promoters: int
    passives: int
    detractors: int
    score: float                 # -100..100
    ci: Interval                 # 95 %, adjusted Wald


@dataclass(frozen=True, slots=True)
class Share:
    k: int
    n: int
    share: float | None
    ci: Interval | None          # 95 %, Wilson


@dataclass(frozen=True, slots=True)
class QuestionStats:
    question_id: str
    kind: Kind
    reached: int                 # answered or skipped
    answered: int
    skipped: int                 # nonresponse
    dropped_here: int            # left the survey at this question
    distribution: tuple[tuple[str, int], ...]   # value -> count, in the question's order
    mean: Mean | None
    nps: Nps | None

    @property
    def nonresponse(self) -> Share:
        return share(self.skipped, self.reached)


@dataclass(frozen=True, slots=True)
class SurveyStats:
    offered: int
    started: int
    completed: int
    completion: Share            # completed / started
    questions: tuple[QuestionStats, ...]


def mean_ci(values: Sequence[float] | np.ndarray) -> Mean | None:
    """Mean, sample sd and the 95 % t interval; None for no values."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return None
    mean = float(x.mean())
    if n < 2:
        return Mean(n, mean, 0.0, None)
    sd = float(x.std(ddof=1))
    half = float(stdtrit(n - 1, 0.975)) * sd / math.sqrt(n)
    return Mean(n, mean, sd, Interval(mean - half, mean + half))


def nps(scores: Iterable[int]) -> Nps | None:
    """NPS of 0-10 scores with the adjusted-Wald 95 % interval (see the module docstring)."""
    counts = Counter(int(s) for s in scores)
    n = sum(counts.values())
    if n == 0:
        return None
    promoters = counts[9] + counts[10]
    detractors = sum(counts[s] for s in range(7))
    passives = n - promoters - detractors
    n_adj = n + 3
    p, d = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    variance = (p + d - (p - d) ** 2) / n_adj
    centre, half = p - d, Z95 * math.sqrt(variance)
    ci = Interval(max(-100.0, 100 * (centre - half)), min(100.0, 100 * (centre + half)))
    return Nps(n, promoters, passives, detractors, 100.0 * (promoters - detractors) / n, ci)


def share(k: int, n: int) -> Share:
    """k of n with Wilson's 95 % score interval."""
    if n == 0:
        return Share(k, 0, None, None)
    p = k / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Share(k, n, p, Interval(max(0.0, centre - half), min(1.0, centre + half)))


def stood_at(definition: SurveyDefinition, answers: Mapping[str, str | None]) -> str:
    """The question a response stood at: the first on its path without an answer (``END`` if none)."""
    at = definition.questions[0].id
    known = {q.id for q in definition.questions}
    while at != END and at in answers and at in known:
        question = definition.question(at)
        value = answers[at]
        at = (dict(question.branches).get(value) if value is not None else None) or question.next or (
            definition.following(at))
    return at if at in known or at == END else END


def survey_stats(definition: SurveyDefinition, rows: Sequence[ResponseRow]) -> SurveyStats:
    started = [r for r in rows if r.started]
    completed = sum(r.completed for r in started)
    dropped: Counter[str] = Counter()
    for r in started:
        if not r.completed and r.ended_reason in (None, "hangup", "disposed"):
            dropped[stood_at(definition, r.answers)] += 1
    questions = tuple(_question_stats(q, started, dropped[q.id]) for q in definition.questions)
    return SurveyStats(offered=len(rows), started=len(started), completed=completed,
                       completion=share(completed, len(started)), questions=questions)


def _question_stats(question: Any, rows: Sequence[ResponseRow], dropped: int) -> QuestionStats:
    given = [r.answers[question.id] for r in rows if question.id in r.answers]
    values = [v for v in given if v is not None]
    order = question.accepted_values()
    counts = Counter(values)
    if order is not None:
        distribution = tuple((v, counts.get(v, 0)) for v in order)
    elif question.kind is Kind.NUMBER:
        distribution = tuple(sorted(counts.items(), key=lambda kv: (len(kv[0]), kv[0])))
    else:
        distribution = ()
    numeric: list[float] = []
    if question.kind in (Kind.RATING, Kind.NPS, Kind.NUMBER):
        numeric = [float(v) for v in values if v.lstrip("-").isdigit()]
    return QuestionStats(
        question_id=question.id, kind=question.kind, reached=len(given), answered=len(values),
        skipped=len(given) - len(values), dropped_here=dropped, distribution=distribution,
        mean=mean_ci(numeric) if numeric else None,
        nps=nps(int(v) for v in numeric) if question.kind is Kind.NPS and numeric else None)


def by(definition: SurveyDefinition, rows: Sequence[ResponseRow],
       key: Callable[[ResponseRow], int | None]) -> dict[int | None, SurveyStats]:
    """The statistics per group (e.g. ``lambda r: r.agent_id``; also campaign_id, queue_id)."""
    groups: dict[int | None, list[ResponseRow]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return {k: survey_stats(definition, v) for k, v in sorted(groups.items(), key=lambda kv: (kv[0] is None,
                                                                                              kv[0] or 0))}


def offer_rates(rows: Sequence[ResponseRow], calls_handled: Mapping[int, int]) -> dict[int, Share]:
    """Per agent: surveys offered after their calls / calls they handled (Wilson interval). An agent who
    handled calls and offered none shows 0; offers without handled calls count against max(offers, 0)."""
    offers = Counter(r.agent_id for r in rows if r.agent_id is not None)
    agents = set(offers) | set(calls_handled)
    return {a: share(offers.get(a, 0), max(calls_handled.get(a, 0), offers.get(a, 0))) for a in sorted(agents)}
