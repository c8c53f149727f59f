"""Online estimators a pacer learns from the campaign's own outcomes, each starting from a prior.

- ``DiscountedRate``: a Beta-Bernoulli share with exponential forgetting (recent attempts weigh more):
  after each trial a <- d a + x, b <- d b + (1 - x) with d = 2^(-1/half_life); the estimate is
  a / (a + b) (West and Harrison, "Bayesian Forecasting and Dynamic Models", 1997, ch. 10, power
  discounting). Used for the live connect rate and the answering-machine share of answers.
- ``RingTimeModel``: the time from originate to answer, censored by every attempt that ends unanswered
  (busy, failure, ring-out): the Kaplan-Meier product-limit estimate S(t) = prod_{t_i <= t} (1 - d_i/r_i)
  of "not answered by t" over the last attempts (Kaplan and Meier, JASA 53, 1958). Times in seconds.
- ``HandleTimeModel``: talk + wrap-up seconds; the empirical survival S(x) of recent calls with a thin
  exponential tail, and the chance a call already ``e`` seconds old ends within ``h`` more seconds,
  (S(e) - S(e + h)) / S(e).
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
    """Kaplan-Meier time to answer over the last ``window`` attempts; unanswered attempts are censored."""

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

    def observe(self, ring_s: float, answered: bool) -> None:
        self._recent.append((max(0.0, ring_s), answered))
        self._surv = None

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

    @property
    def answer_share(self) -> float:
        """Probability an attempt is answered at all (by the end of the grid)."""
        return float(1.0 - self._survival()[-1])

    def p_answer_after(self, elapsed_s: FloatArray) -> FloatArray:
        """Chance a call still ringing after ``elapsed_s`` seconds is answered eventually."""
        s_e = self._at(elapsed_s)
        end = self._survival()[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(s_e > 0, 1.0 - end / s_e, 0.0)
        return np.clip(p, 0.0, 1.0)

    def quantile_answer_s(self, q: float) -> float:
        """The ``q`` quantile of the ring time of answered calls."""
        surv = self._survival()
        answered = 1.0 - surv
        total = answered[-1]
        if total <= 0:
            return self.step_s * 18
        idx = int(np.searchsorted(answered, q * total))
        return float(min(idx, len(surv) - 1) * self.step_s)


class HandleTimeModel:
    """Empirical handle-time (talk + wrap-up) survival over the last ``window`` calls, with a prior."""

    def __init__(
        self, *, prior_mean_s: float = 150.0, prior_cv: float = 1.0, window: int = 1000, min_samples: int = 20
    ) -> None:
        self._recent: deque[float] = deque(maxlen=window)
        self._prior = lognormal_quantiles(prior_mean_s, prior_cv, 40)
        self.min_samples = min_samples
        self._sorted: FloatArray | None = None

    def observe(self, handle_s: float) -> None:
        self._recent.append(max(0.0, handle_s))
        self._sorted = None

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
        return float(self._data().mean())

    def survival(self, x_s: FloatArray) -> FloatArray:
        """P(handle time > x), empirical with a one-sample exponential tail so it never reaches 0."""
        data = self._data()
        n = len(data)
        above = n - np.searchsorted(data, x_s, side="right")
        return (above + np.exp(-np.asarray(x_s) / max(self.mean_s, 1e-9))) / (n + 1.0)

    def p_end_within(self, elapsed_s: FloatArray, horizon_s: float) -> FloatArray:
        """Chance a call already ``elapsed_s`` old ends within ``horizon_s`` more seconds."""
        s_e = self.survival(elapsed_s)
        s_h = self.survival(np.asarray(elapsed_s) + horizon_s)
        return np.clip(1.0 - s_h / s_e, 0.0, 1.0)
