"""Erlang B, C and A queueing formulas in log space, vectorised over numpy arrays, with staffing helpers.

Units: ``agents`` is a count (integer >= 0), ``erlangs`` is offered load a = lambda * mean handle time
(dimensionless), times (``handle_s``, ``patience_s``, ``wait_s``) are seconds.

Sources:
- Erlang B by the stable recursion 1/B(k) = 1 + k / (a B(k-1)), B(0) = 1 (Jagerman, "Some properties of
  the Erlang loss function", Bell System Technical Journal 53, 1974), carried out on log(1/B) with
  ``logaddexp`` so that 5,000 agents and 5,000 Erlangs neither overflow nor underflow.
- Erlang C from Erlang B: C = n B / (n - a (1 - B)) for a < n, else 1 (Cooper, "Introduction to Queueing
  Theory", 2nd ed., 1981, eq. 5.4.8); average speed of answer ASA = C h / (n - a); service level
  SL(t) = 1 - C exp(-(n - a) t / h).
- Erlang A (M/M/n+M, exponential patience with mean 1/theta): Garnett, Mandelbaum and Reiman,
  "Designing a call center with impatient customers", MSOM 4(3), 2002, in the closed form of
  Mandelbaum and Zeltyn ("The M/M/n+G queue: summary of performance measures", 2004):
  with x = n mu / theta, y = lambda / theta, A(x, y) = 1F1(1; x + 1; y) = x e^y y^-x gamma(x, y),
  E = B(n, lambda/mu):  P(W > 0) = A E / (1 + (A - 1) E),  P(Ab | W > 0) = 1/(rho A) + 1 - 1/rho,
  P(Ab) = P(Ab | W > 0) P(W > 0),  E[W] = P(Ab) / theta (Little's law on the abandoning flow).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

FloatArray = NDArray[np.float64]


def _log_inv_erlang_b(agents: ArrayLike, erlangs: ArrayLike) -> FloatArray:
    """log(1 / B(n, a)) for broadcast arrays of agents n and offered loads a (Jagerman's recursion)."""
    n = np.asarray(agents, dtype=np.int64)
    a = np.asarray(erlangs, dtype=np.float64)
    n, a = np.broadcast_arrays(n, a)
    if np.any(n < 0) or np.any(a < 0):
        raise ValueError("agents and erlangs must be non-negative")
    out = np.zeros(n.shape, dtype=np.float64)
    if n.size == 0:
        return out
    with np.errstate(divide="ignore"):
        log_a = np.log(a)
    top = int(n.max())
    for k in range(1, top + 1):
        active = n >= k
        # log(1/B_k) = log(1 + k/a * 1/B_{k-1}) = logaddexp(0, log k - log a + log(1/B_{k-1}))
        step = np.logaddexp(0.0, np.log(k) - log_a + out)
        out = np.where(active, step, out)
    return out


def erlang_b(agents: ArrayLike, erlangs: ArrayLike) -> FloatArray:
    """Blocking probability B(n, a) of the M/M/n/n loss system, elementwise (0 <= B <= 1)."""
    return np.exp(-_log_inv_erlang_b(agents, erlangs))


def erlang_b_all(max_agents: int, erlangs: float) -> FloatArray:
    """B(k, a) for every k = 0..max_agents in one pass of the recursion (for staffing searches)."""
    if max_agents < 0 or erlangs < 0:
        raise ValueError("max_agents and erlangs must be non-negative")
    log_inv = np.zeros(max_agents + 1)
    log_a = np.log(erlangs) if erlangs > 0 else -np.inf
    k = np.arange(1, max_agents + 1, dtype=np.float64)
    acc = 0.0
    for i in range(max_agents):
        acc = float(np.logaddexp(0.0, np.log(k[i]) - log_a + acc))
        log_inv[i + 1] = acc
    return np.exp(-log_inv)


def _log_erlang_c_from_b(n: FloatArray, a: FloatArray, log_inv_b: FloatArray) -> FloatArray:
    b = np.exp(-log_inv_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_c = np.log(n) - log_inv_b - np.log(n - a + a * b)
    return np.where(a < n, np.minimum(log_c, 0.0), 0.0)


def erlang_c(agents: ArrayLike, erlangs: ArrayLike) -> FloatArray:
    """Probability of waiting P(W > 0) in M/M/n (1 when a >= n), elementwise."""
    n = np.asarray(agents, dtype=np.float64)
    a = np.asarray(erlangs, dtype=np.float64)
    n, a = np.broadcast_arrays(n, a)
    return np.exp(_log_erlang_c_from_b(n, a, _log_inv_erlang_b(n.astype(np.int64), a)))


def average_speed_of_answer(agents: ArrayLike, erlangs: ArrayLike, handle_s: ArrayLike) -> FloatArray:
    """Mean wait E[W] in seconds of M/M/n: C h / (n - a); infinite when a >= n."""
    n = np.asarray(agents, dtype=np.float64)
    a = np.asarray(erlangs, dtype=np.float64)
    h = np.asarray(handle_s, dtype=np.float64)
    c = erlang_c(n, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = c * h / (n - a)
    return np.where(a < n, asa, np.inf)


def service_level(agents: ArrayLike, erlangs: ArrayLike, handle_s: ArrayLike, answer_s: ArrayLike) -> FloatArray:
    """Share of calls answered within ``answer_s`` seconds in M/M/n: 1 - C exp(-(n - a) t / h)."""
    n = np.asarray(agents, dtype=np.float64)
    a = np.asarray(erlangs, dtype=np.float64)
    h = np.asarray(handle_s, dtype=np.float64)
    t = np.asarray(answer_s, dtype=np.float64)
    c = erlang_c(n, a)
    sl = 1.0 - c * np.exp(-(n - a) * t / h)
    return np.where(a < n, sl, 0.0)


def _log_kummer_a(x: FloatArray, y: FloatArray) -> FloatArray:
    """log A(x, y) with A = 1F1(1; x+1; y) = x e^y y^-x gamma(x, y) (lower incomplete gamma)."""
    with np.errstate(divide="ignore"):
        p = special.gammainc(x, y)
        log_a = np.log(x) + y - x * np.log(y) + special.gammaln(x) + np.log(p)
    # Where the regularised gamma underflows (x >> y), sum the series 1 + y/(x+1) + y^2/((x+1)(x+2)) + ...
    small = ~np.isfinite(log_a) | (p < 1e-250)
    if np.any(small):
        xs, ys = x[small], y[small]
        term = np.ones_like(xs)
        total = np.ones_like(xs)
        for k in range(1, 400):
            term = term * ys / (xs + k)
            total = total + term
            if np.all(term < 1e-17 * total):
                break
        log_a = log_a.copy()
        log_a[small] = np.log(total)
    return log_a


def erlang_a(
    agents: ArrayLike, erlangs: ArrayLike, handle_s: ArrayLike, patience_s: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """M/M/n+M (Erlang A): (probability of waiting, probability of abandoning, mean wait in seconds).

    ``erlangs`` = lambda * handle_s; ``patience_s`` is the mean of the exponential patience (1/theta).
    Stable for any load, including a >= n (the queue is always stable with abandonment).
    """
    n = np.asarray(agents, dtype=np.float64)
    a = np.asarray(erlangs, dtype=np.float64)
    h = np.asarray(handle_s, dtype=np.float64)
    pat = np.asarray(patience_s, dtype=np.float64)
    n, a, h, pat = (np.atleast_1d(v) for v in np.broadcast_arrays(n, a, h, pat))
    if np.any(n < 1) or np.any(a <= 0) or np.any(h <= 0) or np.any(pat <= 0):
        raise ValueError("erlang_a needs agents >= 1 and positive erlangs, handle_s and patience_s")
    x = n * pat / h            # n mu / theta
    y = a * pat / h            # lambda / theta
    rho = a / n
    log_a_fn = _log_kummer_a(x, y)
    log_inv_b = _log_inv_erlang_b(n.astype(np.int64), a)
    log_ae = log_a_fn - log_inv_b                        # log(A E)
    e = np.exp(-log_inv_b)
    with np.errstate(divide="ignore"):
        p_wait = np.exp(-np.logaddexp(0.0, np.log1p(-e) - log_ae))  # A E / (1 + (A - 1) E)
    p_ab_given_wait = np.exp(-log_a_fn) / rho + 1.0 - 1.0 / rho
    p_ab = np.clip(p_ab_given_wait, 0.0, 1.0) * p_wait
    mean_wait = p_ab * pat
    return p_wait, p_ab, mean_wait


def agents_for_service_level(
    erlangs: float, handle_s: float, answer_s: float, target: float, *, max_agents: int = 20_000
) -> int:
    """Fewest agents n with Erlang C service level SL(answer_s) >= target (0 < target < 1)."""
    if not 0 < target < 1:
        raise ValueError(f"target must lie in (0, 1), got {target}")
    lo = int(np.floor(erlangs)) + 1
    top = min(max_agents, lo + int(10 * np.sqrt(erlangs + 1)) + 50)
    n = np.arange(lo, top + 1)
    b = erlang_b_all(top, erlangs)[lo:]
    c = n * b / (n - erlangs * (1 - b))
    sl = 1.0 - c * np.exp(-(n - erlangs) * answer_s / handle_s)
    ok = np.nonzero(sl >= target)[0]
    if ok.size == 0:
        raise ValueError("service level target not reachable within max_agents")
    return int(n[ok[0]])


def agents_for_abandonment(
    erlangs: float, handle_s: float, patience_s: float, target: float, *, max_agents: int = 20_000
) -> int:
    """Fewest agents n with Erlang A abandonment probability P(Ab) <= target (0 < target < 1)."""
    if not 0 < target < 1:
        raise ValueError(f"target must lie in (0, 1), got {target}")
    top = min(max_agents, int(erlangs + 10 * np.sqrt(erlangs + 1)) + 50)
    n = np.arange(1, top + 1)
    _, p_ab, _ = erlang_a(n, erlangs, handle_s, patience_s)
    ok = np.nonzero(p_ab <= target)[0]
    if ok.size == 0:
        raise ValueError("abandonment target not reachable within max_agents")
    return int(n[ok[0]])
