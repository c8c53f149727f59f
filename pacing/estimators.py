"""Online estimators a pacer learns from the campaign's own outcomes, each starting from a prior.

- ``DiscountedRate``: a Beta-Bernoulli share with exponential forgetting (recent attempts weigh more):
  after each trial a <- d a + x, b <- d b + (1 - x) with d = 2^(-1/half_life); the estimate is
  a / (a + b) (West and Harrison, "Bayesian Forecasting and Dynamic Models", 1997, ch. 10, power
  discounting). Used for the live connect rate and the answering-machine share of answers.
- ``RingTimeModel``: the time from originate to answer over the last attempts. Attempts that end
  unanswered (busy, failure, ring-out at the timeout) censor the time to answer: the Kaplan-Meier
  estimate S(t) = prod_{t_i <= t} (1 - d_i/r_i) of "not answered by t" (Kaplan and Meier, JASA 53,
  1958). For pacing, the chance a call ringing for e seconds is answered before it ends is the
  cumulative incidence #(answered, t > e) / #(t > e) (competing risks: Aalen and Johansen, Scand. J.
  Statist. 5, 1978). Times in seconds.
- ``HandleTimeModel``: talk + wrap-up seconds; the Kaplan-Meier survival S(x) of recent finished calls
  with the calls in progress as censored observations, a thin exponential tail, and the chance a call
  already ``e`` seconds old ends within ``h`` more seconds, (S(e) - S(e + h)) / S(e).
Until a model has ``min_samples`` observations it answers from its prior (lognormal quantiles).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]


def lognormal_quantiles(mean_s: float, cv: float, count: int) -> FloatArray:
    """``count`` evenly spaced quantiles of a lognormal with mean ``mean_s`` and coefficient of variation."""
    sigma = math.sqrt(math.log1p(cv * cv))
    mu = math.log(mean_s) - sigma * sigma / 2
    probs = (np.arange(count) + 0.5) / count
    return np.exp(mu + sigma * special.ndtri(probs))


class DiscountedRate:
    """A share in [0, 1] learnt with exponential forgetting, starting from ``prior`` worth ``prior_weight`` trials."""

    __slots__ = ("_a", "_b", "_decay", "trials")

    def __init__(self, prior: float, *, prior_weight: float = 10.0, half_life: float = 300.0) -> None:
        if not 0 <= prior <= 1 or prior_weight <= 0 or half_life <= 0:
            raise ValueError("need 0 <= prior <= 1, prior_weight > 0 and half_life > 0")
        self._a = prior * prior_weight
        self._b = (1 - prior) * prior_weight
        self._decay = 0.5 ** (1.0 / half_life)
        self.trials = 0

    def observe(self, success: bool) -> None:
        self._a = self._decay * self._a + (1.0 if success else 0.0)
        self._b = self._decay * self._b + (0.0 if success else 1.0)
        self.trials += 1

    @property
    def rate(self) -> float:
        return self._a / (self._a + self._b)

    @property
    def weight(self) -> float:
        """Effective number of trials behind the estimate."""
        return self._a + self._b


class RingTimeModel:
    """Kaplan-Meier time to answer over the last ``window`` attempts; unanswered attempts are censored.

    Summaries are rebuilt every ``refresh_every`` observations (a sliding window barely moves in between).
    """

    def __init__(
        self,
        *,
        prior_mean_s: float = 9.0,
        prior_cv: float = 0.5,
        prior_answer_share: float = 0.35,
        timeout_s: float = 30.0,
        window: int = 400,
        min_samples: int = 20,
        step_s: float = 0.5,
        refresh_every: int = 10,
    ) -> None:
        self._recent: deque[tuple[float, bool]] = deque(maxlen=window)
        n_prior = 40
        n_ans = max(1, round(prior_answer_share * n_prior))
        self._prior = [(float(t), True) for t in lognormal_quantiles(prior_mean_s, prior_cv, n_ans)]
        self._prior += [(timeout_s, False)] * (n_prior - n_ans)
        self.min_samples = min_samples
        self.step_s = step_s
        self.grid_max_s = 4 * timeout_s
        self._surv: FloatArray | None = None
        self._ends: tuple[FloatArray, FloatArray] | None = None
        self._counts: tuple[FloatArray, FloatArray] | None = None
        self._stale = 0
        self.refresh_every = refresh_every

    def observe(self, ring_s: float, answered: bool) -> None:
        self._recent.append((max(0.0, ring_s), answered))
        self._stale += 1
        if self._stale >= self.refresh_every or len(self._recent) <= self.min_samples:
            self._stale = 0
            self._surv = None
            self._ends = None
            self._counts = None

    @property
    def samples(self) -> int:
        return len(self._recent)

    def _survival(self) -> FloatArray:
        """S(t) on the grid 0, step, 2 step, ... (probability of not being answered by t)."""
        if self._surv is not None:
            return self._surv
        data = list(self._recent) if len(self._recent) >= self.min_samples else self._prior
        arr = np.array(data, dtype=np.float64)
        order = np.lexsort((1 - arr[:, 1], arr[:, 0]))    # by time, answers before censorings at ties
        times, events = arr[order, 0], arr[order, 1]
        at_risk = len(times) - np.arange(len(times))
        with np.errstate(divide="ignore"):
            log_s = np.cumsum(np.log1p(-events / at_risk))
        grid = np.arange(0.0, self.grid_max_s + self.step_s, self.step_s)
        idx = np.searchsorted(times, grid, side="right")
        log_s_full = np.concatenate(([0.0], log_s))
        self._surv = np.exp(log_s_full[idx])
        return self._surv

    def _at(self, t: FloatArray) -> FloatArray:
        surv = self._survival()
        idx = np.minimum((np.asarray(t) / self.step_s).astype(np.int64), len(surv) - 1)
        return surv[idx]

    def time_to_answer_survival(self, t_s: FloatArray) -> FloatArray:
        """Kaplan-Meier P(not answered by t) treating unanswered attempts as censored at their end."""
        return self._at(t_s)

    def _resolved(self) -> tuple[FloatArray, FloatArray]:
        """Sorted end times of all recent attempts and of the answered ones (cached)."""
        if self._ends is None:
            data = list(self._recent) if len(self._recent) >= self.min_samples else self._prior
            times = np.array([t for t, _ in data], dtype=np.float64)
            answered = np.array([t for t, a in data if a], dtype=np.float64)
            self._ends = (np.sort(times), np.sort(answered))
        return self._ends

    @property
    def answer_share(self) -> float:
        """Share of recent attempts answered (before the ring timeout)."""
        ends, answered = self._resolved()
        return len(answered) / len(ends)

    def p_answer_after(self, elapsed_s: FloatArray) -> FloatArray:
        """Chance a call still ringing after ``elapsed_s`` seconds is answered before it ends.

        The empirical cumulative incidence of answering among attempts still unresolved at ``elapsed_s``
        (Aalen-Johansen with every attempt observed to its end), smoothed by one prior-weighted pseudo-attempt.
        """
        ends, answered = self._resolved()
        e = np.asarray(elapsed_s)
        n_ans = len(answered) - np.searchsorted(answered, e, side="right")
        n_all = len(ends) - np.searchsorted(ends, e, side="right")
        return (n_ans + 0.5 * self.answer_share) / (n_all + 0.5)

    def _count_grid(self) -> tuple[FloatArray, FloatArray]:
        """#answered with end <= t and #attempts with end > t on the grid t = 0, step, 2 step, ... (cached)."""
        if self._counts is None:
            ends, answered = self._resolved()
            grid = np.arange(0.0, self.grid_max_s + self.step_s, self.step_s)
            ans_le = np.searchsorted(answered, grid, side="right").astype(np.float64)
            all_gt = (len(ends) - np.searchsorted(ends, grid, side="right")).astype(np.float64)
            self._counts = (ans_le, all_gt)
        return self._counts

    def p_answer_within(self, elapsed_s: FloatArray, within_s: FloatArray) -> FloatArray:
        """Chance a call ringing for ``elapsed_s`` is answered within ``within_s`` more seconds (broadcast).

        #(answered, e < t <= e + w) / #(t > e) over recent attempts, on a ``step_s`` grid.
        """
        ans_le, all_gt = self._count_grid()
        last = len(ans_le) - 1
        e = np.asarray(elapsed_s)
        i_e = np.minimum((e * (1.0 / self.step_s)).astype(np.int64), last)
        i_h = np.minimum(((e + np.asarray(within_s)) * (1.0 / self.step_s)).astype(np.int64), last)
        return (ans_le[i_h] - ans_le[i_e]) / (all_gt[i_e] + 0.5)

    def answered_cdf(self, t_s: FloatArray) -> FloatArray:
        """P(ring time <= t | the call is answered)."""
        _, answered = self._resolved()
        if len(answered) == 0:
            return np.ones_like(np.asarray(t_s, dtype=np.float64))
        return np.searchsorted(answered, t_s, side="right") / len(answered)

    def quantile_answer_s(self, q: float) -> float:
        """The ``q`` quantile of the ring time of answered calls."""
        _, answered = self._resolved()
        if len(answered) == 0:
            return 9.0
        return float(np.quantile(answered, q))


class HandleTimeModel:
    """Handle-time (talk + wrap-up) survival: Kaplan-Meier over the last ``window`` finished calls plus the
    calls still in progress (right-censored at their elapsed time), with a prior until data arrive.

    Counting the calls in progress removes the survivorship bias of a campaign's first minutes, when only
    the short calls have ended.
    """

    def __init__(
        self, *, prior_mean_s: float = 150.0, prior_cv: float = 1.0, window: int = 1000, min_samples: int = 1,
        refresh_every: int = 5,
    ) -> None:
        self._recent: deque[float] = deque(maxlen=window)
        self._prior = lognormal_quantiles(prior_mean_s, prior_cv, 40)
        self.min_samples = min_samples
        self._sorted: FloatArray | None = None
        self._mean: float | None = None
        self._stale = 0
        self.refresh_every = refresh_every

    def observe(self, handle_s: float) -> None:
        self._recent.append(max(0.0, handle_s))
        self._stale += 1
        if self._stale >= self.refresh_every or len(self._recent) <= 2 * self.min_samples:
            self._stale = 0
            self._sorted = None
            self._mean = None

    @property
    def samples(self) -> int:
        return len(self._recent)

    def _data(self) -> FloatArray:
        if self._sorted is None:
            src = self._recent if len(self._recent) >= self.min_samples else self._prior
            self._sorted = np.sort(np.fromiter(src, dtype=np.float64))
        return self._sorted

    @property
    def mean_s(self) -> float:
        if self._mean is None:
            self._mean = float(self._data().mean())
        return self._mean

    def survival_function(self, in_progress_s: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
        """Kaplan-Meier steps (event times, S just after each) from finished calls and calls in progress.

        At-risk counts come from the two sorted samples, r_i = #finished >= t_i + #in progress >= t_i.
        """
        done = self._data()
        n = len(done)
        if in_progress_s is None or len(in_progress_s) == 0 or len(self._recent) < self.min_samples:
            return done, 1.0 - np.arange(1, n + 1) / n
        cens = np.sort(np.asarray(in_progress_s, dtype=np.float64))
        at_risk = (n - np.arange(n)) + (len(cens) - np.searchsorted(cens, done, side="left"))
        with np.errstate(divide="ignore"):
            surv = np.exp(np.cumsum(np.log1p(-1.0 / at_risk)))
        return done, surv

    def _survival_at(self, km: tuple[FloatArray, FloatArray], x_s: FloatArray) -> FloatArray:
        times, surv = km
        n = len(times)
        padded = np.empty(n + 1)
        padded[0] = 1.0
        padded[1:] = surv
        s_km = padded[np.searchsorted(times, x_s, side="right")]
        return (n * s_km + np.exp(np.asarray(x_s) * (-1.0 / max(self.mean_s, 1e-9)))) / (n + 1.0)

    def survival(self, x_s: FloatArray, in_progress_s: FloatArray | None = None) -> FloatArray:
        """P(handle time > x): Kaplan-Meier with a one-sample exponential tail so it never reaches 0."""
        return self._survival_at(self.survival_function(in_progress_s), x_s)

    def p_end_within(
        self, elapsed_s: FloatArray, horizon_s: FloatArray | float, in_progress_s: FloatArray | None = None
    ) -> FloatArray:
        """Chance a call already ``elapsed_s`` old ends within ``horizon_s`` more seconds: 1 - S(e+h)/S(e).

        ``in_progress_s`` (usually the same elapsed times) adds the open calls as censored observations.
        """
        km = self.survival_function(in_progress_s)
        e = np.asarray(elapsed_s)
        s_e = self._survival_at(km, e)
        s_h = self._survival_at(km, e + horizon_s)
        return np.clip(1.0 - s_h / s_e, 0.0, 1.0)
