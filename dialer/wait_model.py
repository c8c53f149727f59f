"""Estimated wait of an inbound caller from its position, the agents serving its queue and the learnt
handle times; and the model's own error, per queue.

``WaitModel.estimate(view)`` answers for a caller with ``view.ahead`` callers before it (position k = ahead)
in a queue whose agents are ``view.idle`` ready ones and ``view.busy`` busy ones:
- ready agents take the first callers at once (the router never leaves a caller beside a free agent able
  to take it), so a caller with ahead < idle waits 0;
- otherwise it needs ``ahead + 1 - idle`` releases of agents that then take a caller of this queue. Each
  busy agent frees after its *residual* handle time: a draw from the learnt handle-time distribution
  (``pacing.estimators.HandleTimeModel``: Kaplan-Meier over recent calls, the calls in progress as
  censored observations) conditioned on being longer than the ``elapsed_s`` it has already spent,
  P(H > e + r | H > e) = S(e + r) / S(e). A release goes to this queue with the agent's ``share`` (1 for an
  agent serving only this queue; less for one shared with other queues or an outbound campaign, which the
  shell sets from where that agent's releases went); either way the agent starts a fresh call (a draw of
  the inbound model if it took our caller, else of ``other_handle``, the outbound or all-calls model);
- with ``patience_s`` (the callers' mean patience, measured by ``Patience``), callers ahead hang up as the
  race runs: between two releases dt apart each one still waiting leaves with chance 1 - exp(-dt / patience)
  (exponential patience, as Erlang A assumes), so fewer releases are needed;
- a Monte Carlo of ``samples`` (400) runs of that race, with a fixed seed (the same view always gives the
  same answer), gives the median as the point estimate (the median minimises the mean absolute error)
  and the 90th percentile. For exponential handle times, dedicated agents and no patience this is Erlang's
  result, a Gamma(need, n / h) wait; for other distributions it keeps the residual times a running
  average or Erlang C's mean forgets. Not modelled: callers of higher priority who arrive later (the
  estimate errs short); the error accumulator measures it.

``queue_view(call, calls, agents, queues, now)`` builds the view from the router's own inputs: the agents
serving the caller (signed in, working its queue, with the skills it needs), the ready ones among them, the
busy ones with the time since their call connected (outbound or not), and the callers ahead: those the
router serves first (``routing.blended_order``) that one of these agents could take. Shares are left at 1:
callers of other queues competing for the same agents are counted among those ahead instead (a caller
ahead whom other agents may serve too makes the estimate err long).

``Patience`` learns the mean patience from waits that ended in an answer (censored: the caller would
have waited longer) and in a hang-up: the exponential maximum likelihood, total waited seconds / hang-ups,
with a prior worth a few callers.

``WaitErrors`` keeps, per queue, the absolute error of the estimate given at each caller's arrival
against its actual wait (answered callers; an abandoned caller's actual wait is unknown): the mean
absolute error and the 90th percentile of the absolute error in seconds, over the last ``window`` callers.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dialer.agents import Agent, AgentState
from dialer.calls import Call, Pool
from dialer.routing import QueueRule, blended_order, eligible
from pacing.estimators import HandleTimeModel

FloatArray = NDArray[np.float64]
GRID_POINTS = 2000


@dataclass(frozen=True, slots=True)
class BusyAgent:
    """An agent on a call who may take this queue's next caller when it frees."""

    elapsed_s: float              # seconds into its current call (talk + wrap-up so far)
    share: float = 1.0            # chance a release of this agent goes to this queue
    outbound: bool = False        # on an outbound call: its residual comes from ``other_handle``

    def __post_init__(self) -> None:
        if self.elapsed_s < 0 or not 0 < self.share <= 1:
            raise ValueError(f"elapsed_s must be >= 0 and share in (0, 1], got {self.elapsed_s}, {self.share}")


@dataclass(frozen=True, slots=True)
class QueueView:
    """The queue as one caller sees it at one moment."""

    ahead: int                                  # callers to be served before this one
    idle: int = 0                               # ready agents who would take this queue's caller now
    busy: tuple[BusyAgent, ...] = ()

    def __post_init__(self) -> None:
        if self.ahead < 0 or self.idle < 0:
            raise ValueError(f"ahead and idle must be >= 0, got {self.ahead}, {self.idle}")


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    point_s: float                # the median of the wait
    p90_s: float
    mean_s: float
    why: str


class _Sampler:
    """Draws handle times from a ``HandleTimeModel``'s survival, conditioned on the time already spent."""

    def __init__(self, model: HandleTimeModel, in_progress_s: FloatArray, longest_s: float) -> None:
        self.mean_s = max(model.mean_s, 1e-6)
        top = max(10.0 * self.mean_s, 2.0 * longest_s, 1.0)
        self.x = np.linspace(0.0, top, GRID_POINTS)
        in_progress = in_progress_s if len(in_progress_s) else None
        surv = model.survival(self.x, in_progress)
        # Past the longest finished call the Kaplan-Meier curve knows nothing more: with calls in progress
        # (censored) it stays flat there, as if those calls never ended, which put every residual past the grid
        # (minutes of estimated wait in a queue's first minutes). There the tail is exponential with the
        # model's mean instead (memoryless: a call that outlived every one seen ends at the usual rate).
        times, _ = model.survival_function(in_progress)
        if len(times):
            last = float(times[-1])
            s_last = float(model.survival(np.array([last]), in_progress)[0])
            beyond = self.x > last
            surv = np.where(beyond, s_last * np.exp(-(self.x - last) / self.mean_s), surv)
        self.s = np.minimum.accumulate(np.clip(surv, 1e-300, 1.0))     # non-increasing for the inversion

    def residual(self, elapsed_s: FloatArray, u: FloatArray) -> FloatArray:
        """Remaining seconds of calls ``elapsed_s`` old, for uniforms ``u``: the x with S(x) = u S(e), less e."""
        s_e = np.interp(elapsed_s, self.x, self.s)
        target = u * s_e
        # S is non-increasing: search on -S (non-decreasing) for the first grid point at or under target
        i = np.searchsorted(-self.s, -target, side="left")
        inside = i < len(self.x)
        i_in = np.clip(i, 1, len(self.x) - 1)
        x0, x1 = self.x[i_in - 1], self.x[i_in]
        s0, s1 = self.s[i_in - 1], self.s[i_in]
        frac = np.where(s0 > s1, (s0 - target) / np.where(s0 > s1, s0 - s1, 1.0), 0.0)
        x = np.where(inside, x0 + np.clip(frac, 0.0, 1.0) * (x1 - x0), 0.0)
        # past the grid: the exponential tail of the model (mean ``mean_s``) beyond its end
        tail = self.x[-1] + self.mean_s * -np.log(np.clip(target / self.s[-1], 1e-300, 1.0))
        x = np.where(inside, x, tail)
        return np.maximum(x - elapsed_s, 0.0)


@dataclass
class WaitModel:
    """Estimates a caller's wait (see the module docstring); pure: the learnt models and a view in, a number out."""

    handle: HandleTimeModel                     # this queue's (inbound) handle times
    other_handle: HandleTimeModel | None = None  # calls of other work (outbound): the residuals of those agents
    patience_s: float | None = None             # callers' mean patience; None: nobody ahead hangs up
    samples: int = 400
    seed: int = 20150101
    max_steps: int = 20_000

    def estimate(self, view: QueueView) -> WaitEstimate:
        if view.ahead < view.idle:
            return WaitEstimate(0.0, 0.0, 0.0, f"{view.idle} ready agent(s) for {view.ahead + 1} caller(s)")
        need = view.ahead + 1 - view.idle
        if not view.busy:
            return WaitEstimate(math.inf, math.inf, math.inf, "no agent serves this queue now")
        rng = np.random.default_rng(self.seed)
        other = self.other_handle or self.handle
        elapsed = np.array([b.elapsed_s for b in view.busy])
        is_out = np.array([b.outbound for b in view.busy])
        share = np.array([b.share for b in view.busy])
        longest = float(elapsed.max())
        own = _Sampler(self.handle, elapsed[~is_out], longest)
        oth = _Sampler(other, elapsed[is_out], longest) if is_out.any() else own
        reps, n = self.samples, len(view.busy)
        u = rng.random((reps, n))
        release = np.where(is_out, oth.residual(np.broadcast_to(elapsed, (reps, n)), u),
                           own.residual(np.broadcast_to(elapsed, (reps, n)), u))
        ahead = np.full(reps, need - 1, dtype=np.int64)   # callers still to be served before this one
        wait = np.full(reps, np.nan)
        rows = np.arange(reps)
        zeros = np.zeros(reps)
        last_t = np.zeros(reps)
        for _ in range(self.max_steps):
            open_ = np.isnan(wait)
            if not open_.any():
                break
            j = release.argmin(axis=1)
            t = release[rows, j]
            if self.patience_s is not None and self.patience_s > 0:
                gone = rng.binomial(ahead, -np.expm1(-(t - last_t) / self.patience_s))
                ahead = np.where(open_, ahead - gone, ahead)
            last_t = t
            took = open_ & (rng.random(reps) < share[j])
            done = took & (ahead == 0)
            wait[done] = t[done]
            ahead = np.where(took & (ahead > 0), ahead - 1, ahead)
            fresh = np.where(took, own.residual(zeros, rng.random(reps)), oth.residual(zeros, rng.random(reps)))
            release[rows, j] = t + fresh
        finished = wait[~np.isnan(wait)]
        if len(finished) == 0:
            return WaitEstimate(math.inf, math.inf, math.inf, "no agent freed for this queue in the simulation")
        point, p90 = (float(v) for v in np.quantile(finished, [0.5, 0.9]))
        shared = sum(1 for b in view.busy if b.share < 1)
        return WaitEstimate(point, p90, float(finished.mean()),
                            f"{need} release(s) needed of {n} busy agent(s) ({shared} shared),"
                            f" handle time {self.handle.mean_s:.0f} s on average")


_SERVING = (AgentState.READY, AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)


def queue_view(call: Call, calls: Iterable[Call], agents: Iterable[Agent], queues: Mapping[Pool, QueueRule],
               now: float) -> QueueView:
    """The view of the WAITING inbound ``call`` (see the module docstring), from the router's inputs."""
    by_id = {c.call_id: c for c in calls}
    serving = [a for a in agents if a.state in _SERVING and call.pool in a.pools and call.skills <= a.skills]
    rule = queues.get(call.pool)
    floor = rule.floor(now - call.ready_at) if rule is not None and call.ready_at is not None else 1
    idle = sum(1 for a in serving if eligible(a, call) and (rule is None or rule.level(a.agent_id) >= floor))
    busy = []
    for a in serving:
        if a.state is AgentState.READY:
            continue
        current = by_id.get(a.call_id) if a.call_id is not None else None
        began = current.connected_at if current is not None and current.connected_at is not None else a.state_since
        busy.append(BusyAgent(max(0.0, now - began), outbound=current is not None and not current.inbound))
    ahead = 0
    for other in blended_order(by_id.values(), now, queues):
        if other.call_id == call.call_id:
            break
        if any(other.pool in a.pools and other.skills <= a.skills for a in serving):
            ahead += 1
    return QueueView(ahead=ahead, idle=idle, busy=tuple(busy))


@dataclass
class Patience:
    """Callers' mean patience (s): exponential MLE over answered (censored) and abandoned waits, with a prior."""

    prior_s: float = 120.0
    prior_callers: float = 3.0
    waited_s: float = 0.0
    abandoned: int = 0

    def observe(self, waited_s: float, *, abandoned: bool) -> None:
        self.waited_s += max(0.0, waited_s)
        self.abandoned += int(abandoned)

    @property
    def mean_s(self) -> float:
        return (self.waited_s + self.prior_s * self.prior_callers) / (self.abandoned + self.prior_callers)


@dataclass(frozen=True, slots=True)
class ErrorStats:
    callers: int
    mae_s: float
    p90_abs_s: float


@dataclass
class WaitErrors:
    """The estimate's measured error per queue: mean absolute error and p90 of the absolute error (s)."""

    window: int = 1000
    _errors: dict[int, deque[float]] = field(default_factory=dict)

    def observe(self, queue_id: int, *, estimate_s: float, actual_s: float) -> None:
        """An answered caller: what was announced (estimated at arrival) and how long it really waited."""
        if not math.isfinite(estimate_s) or actual_s < 0:
            return
        self._errors.setdefault(queue_id, deque(maxlen=self.window)).append(abs(estimate_s - actual_s))

    def seed(self, queue_id: int, older_abs_errors_s: Iterable[float]) -> None:
        """Errors measured before this engine started (oldest first, from the records), kept before those
        measured since, as far as the window has room."""
        errors = self._errors.setdefault(queue_id, deque(maxlen=self.window))
        room = self.window - len(errors)
        older = [abs(e) for e in older_abs_errors_s if math.isfinite(e)]
        if room > 0 and older:
            errors.extendleft(reversed(older[-room:]))

    def stats(self, queue_id: int) -> ErrorStats:
        errors = self._errors.get(queue_id)
        if not errors:
            return ErrorStats(0, math.nan, math.nan)
        data = np.fromiter(errors, dtype=np.float64)
        return ErrorStats(len(data), float(data.mean()), float(np.quantile(data, 0.9)))
