"""The model-based predictive pacer: dial ahead of agents freeing up, within a hard abandonment budget.

Each decision looks at a grid of moments t_k (1 to 28 s ahead, seconds):
- supply: K = ready - waiting agents now, plus F_k = sum of Bernoulli(f_ik), f_ik the chance busy agent i
  (``e_i`` seconds into its call) is free by ``supply_trust`` * t_k + the 2 s grace, from the handle-time
  survival (S(e) - S(e+h)) / S(e) (Kaplan-Meier, calls in progress censored);
- demand: C_k = sum of Bernoulli(c_jk), c_jk the chance ringing call j (``e_j`` seconds old) is answered
  by t_k and offered to agents (all answers without AMD), plus N_k(n) ~ Binomial(n, p G(t_k)) for n new
  calls at the learnt offered-connect rate p with ring-time distribution G.
Calls finding no agent by t are sup_{s <= t} (D(s) - S(s))^+, so the expected abandons of placing n calls
are bounded below by E_n = max_k E[(C_k + N_k(n) - F_k - K)^+], computed exactly (dynamic programming
over the Bernoulli sums) for small teams and with a normal approximation for large ones. The pacer
multiplies E_n by a calibration kappa >= 1, realized abandons over the abandons it predicted for the
calls it placed (blending: down to ``blend_calibration_floor``, since the share of inbound arrivals
counted first is an estimate), and places the largest n such that every call beyond
the risk-free progressive ones (one per free agent) keeps (1) kappa E_n within the budget: what is left of
it now, the least over 24 h and 30 d of spend * 3% * live answers - abandons (and spend * 4.5% over the
last hour), plus spend * 3% of the live answers expected from the calls in flight and the n new ones (each
live answer widens the budget). When chance has overspent the budget, the calls may still risk ``recover``
(a half) of what their own answers pay for: the rate then comes down, where stalling on progressive dialling
would cut the answers it is measured on and leave agents idle for the rest of the day; and (2) the
marginal abandon chance per offered connect, kappa (E_n - E_{n-1}) / p, under ``marginal_limit``
(scaled up by remaining budget / ``slack_reserve``, up to ``slack_max``, so unspent budget is spent
smoothly). Until the estimators hold evidence (``warmup_*``) it stays progressive.

Blending (``service_level=(target, answer_s)``, see ``pacing.blending``): the agents also serve inbound
callers. Each decision an ``InboundBlend`` sets a reserve R of idle agents from the learnt inbound load
(a threshold policy, Bhulai and Koole 2003). The pacer counts every waiting inbound caller as taken,
places nothing ahead of agents freeing while inbound callers wait, and holds R as a threshold: the
progressive calls are K - R (K = ready - waiting - inbound waiting) and any call beyond them must keep
the idle agents expected at every look-ahead at R or more, n g_k <= K - R + E[F_k] - E[C_k] (less
``blend_reserve_z`` standard deviations). Its abandon model does not hide the reserve: an answered call
takes a reserve agent when it meets one, so E_n counts all K idle agents, and adds a share
``blend_inbound_share`` (a half: arrivals and answers meet idle agents in time order) of the inbound
arrivals expected by t_k (Poisson, as Bernoulli items) to the demand ahead of the answered calls:
E_n becomes E[(C_k + N_k(n) + A_k - F_k - K)^+] less E[(A_k - F_k - K)^+] per look-ahead. Handle times of
all calls feed the supply model (busy agents may be on either) and kappa may fall to
``blend_calibration_floor`` (a half). The hour cap counts clock hours (``align_hours``; the reports' hours)
and the answers each holds (``hour_budget``): an hour of n answers may take floor(5 % n) abandons, and the
rest of the hour plans the Poisson mean that goes over with chance ``blend_hour_alpha`` (0.5 %), so an
hour of 400 answers spends the day's rate while one of 20 (a 10-agent team whose agents went to an inbound
peak) plans almost none; an hour that affords under a quarter of the day's pace, or one more abandon at
most, places progressive calls only (a fixed 3 % cap had put such hours at 6-10 % with one or two
abandons, and held 50-agent hours under what they could take). Blending leans to the safe side of the budget: the
progressive calls are outside it, yet not risk-free (an inbound caller arriving while one rings takes its
agent), and the budget left hovers near zero as the pacer spends it, so a 20-agent half hour ended over 3 %
(12/383). While the budget is overspent the progressive calls keep ``blend_overspent_reserve`` (1) idle
agent for inbound callers (the reserve when the service level asks for none), and every call, the progressive
ones included, must keep the recovery allowance (``recover`` of what its answers pay): placed regardless, they
had lost their agents to inbound callers at 5 % of their answers while the budget stayed overspent, carrying
clock hours of 20 agents to 5.2 % (the seventh hour of three days in six). (Planning 80 % of the budget
instead cost talk time and left a 10-agent hour at 6.7 %.) Without ``service_level`` nothing changes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy import special

from pacing.blending import InboundBlend, poisson_mean_within
from pacing.contract import Abandoned, CallHandled, Decision, DialOutcome, Event, Snapshot, cap_to_lines
from pacing.estimators import DiscountedRate, HandleTimeModel, RingTimeModel
from pacing.inbound_load import InboundForecast
from pacing.windows import DAY_S, HOUR_S, MONTH_S, AbandonmentWindows, ClockHour

FloatArray = NDArray[np.float64]
RECENT_S = 600.0          # blending: the pace of live answers is read over the last 10 minutes
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True, slots=True)
class PredictiveSettings:
    """Tuning of the predictive pacer; the defaults are the ones benchmarked in ``benchmarks/``."""

    target_abandon: float = 0.03      # legal cap: abandons per live answer (24 h and 30 d)
    spend: float = 0.95               # share of the legal budget the pacer plans to use
    hour_cap: float = 0.045           # cap over the last rolling hour
    marginal_limit: float = 0.03      # max chance a marginal call's live connect is abandoned
    initial_allowance: float = 0.0    # abandons allowed before any answer
    grace_s: float = 1.5              # an answered call may wait this long for an agent (the engine's
                                      # deadline, dialer.calls.SAFE_HARBOR_S: 2 s less the Redirect's margin)
    supply_trust: float = 0.5         # scales how far ahead agents are counted as freeing (1: fully)
    grid_s: tuple[float, ...] = (1.0, 3.0, 6.0, 9.0, 13.0, 18.0, 26.0)  # look-aheads, seconds
    warmup_attempts: int = 20         # progressive until this many dial outcomes ...
    warmup_handled: int = 10          # ... and this many handled calls
    max_ratio: float = 4.0            # never more calls in flight than this per logged-in agent
    exact_limit: int = 60             # exact distribution up to this many busy + ringing items
    prior_connect: float = 0.15       # live answers per attempt, before data
    connect_half_life: float = 200.0  # attempts
    prior_machine: float = 0.15       # machine share of answers, before data
    prior_handle_s: float = 150.0
    prior_ring_s: float = 9.0
    calibration_prior: float = 1.2    # realized abandons per predicted one, before evidence
    calibration_weight: float = 5.0   # how many predicted abandons the prior is worth
    blend_calibration_floor: float = 0.5   # blending: kappa may fall this low (half the inbound arrivals counted
                                           # ahead of answered calls, by time of arrival, is still an estimate)
    blend_reserve_z: float = 0.0      # blending: standard deviations of margin kept above the reserve
    blend_inbound_share: float = 0.5  # blending: share of the inbound arrivals counted ahead of answered calls
    blend_hour_cap: float = 0.045     # blending: cap over the last rolling hour (a backstop: the clock hour's
                                      # count-aware cap is the one that binds on small teams)
    blend_hour_limit: float = 0.05    # blending: every clock hour stays under this (``hour_budget``) ...
    blend_hour_alpha: float = 0.005   # ... but for this chance, if abandons were Poisson; an hour that affords
    blend_hour_strict: float = 0.25   # less than this share of the day's pace, or that may take no more than
    blend_hour_last: int = 1          # this many abandons, is held as overspent: progressive calls only
    blend_rest_z: float = 1.0         # the hour's answers to come are counted this many Poisson deviations low
    blend_overspent_reserve: int = 1  # blending, budget overspent: idle agents kept from progressive calls
    slack_reserve: float = 3.0        # >0: scale marginal_limit by remaining budget / reserve (in abandons)
    slack_max: float = 6.0            # ... up to this factor
    recover: float = 0.5              # overspent: calls may risk this share of what their answers pay

    def __post_init__(self) -> None:
        if not 0 < self.target_abandon < 1 or not 0 < self.spend <= 1 or not 0 < self.marginal_limit <= 1:
            raise ValueError("target_abandon, spend and marginal_limit must lie in (0, 1]")


def _excess_normal(
    mu0: FloatArray, var0: FloatArray, g: FloatArray, n_max: int,
    stop_above: float = math.inf, stop_step: float = math.inf, min_n: int = 0, chunk: int = 12,
    base: FloatArray | None = None,
) -> FloatArray:
    """max over the grid rows of E[(X_k + N_k(n))^+] for n = 0..n_max, X_k ~ N(mu0_k, var0_k) integer-valued,
    N_k(n) ~ Binomial(n, g_k); normal: sum_{j>=1} P(X >= j) ~ int_0^inf P(Z > z) dz = mu Phi(mu/s) + s phi(mu/s).
    Evaluated ``chunk`` columns at a time, stopping (not before ``min_n``) as ``_excess_exact`` does."""
    parts: list[FloatArray] = []
    prev = -math.inf
    start = 0
    while start <= n_max:
        stop = min(n_max, max(start + chunk, min_n)) + 1
        ns = np.arange(start, stop, dtype=np.float64)
        mu = mu0[:, None] + g[:, None] * ns[None, :]
        var = var0[:, None] + (g * (1.0 - g))[:, None] * ns[None, :]
        sd = np.sqrt(np.maximum(var, 1e-12))
        z = mu / sd
        each = np.maximum(mu * special.ndtr(z) + sd * _INV_SQRT_2PI * np.exp(-0.5 * z * z), 0.0)
        part = (each if base is None else each - base[:, None]).max(axis=0)
        parts.append(part)
        steps = part.copy()
        steps[0] -= prev
        steps[1:] -= part[:-1]
        late = ns >= min_n
        if np.any(late & ((part > stop_above) | (steps > stop_step))):
            break
        prev = float(part[-1])
        start = stop
    return np.concatenate(parts)


def _excess_exact(
    supply: FloatArray, demand: FloatArray, ready: int, g: FloatArray, n_max: int,
    stop_above: float = math.inf, stop_step: float = math.inf, min_n: int = 0, base: FloatArray | None = None,
) -> FloatArray:
    """Exact E[(C_k + N_k(n) - F_k - ready)^+] (less ``base``, one value per grid row, when given) by dynamic
    programming over the Bernoulli sums, all grid rows at once. ``supply`` is (busy, grid), ``demand``
    (ringing, grid), ``g`` (grid,)."""
    rows = len(g)
    items = np.concatenate((1.0 - supply, demand), axis=0)
    width = len(items) + n_max + 2
    pmf = np.zeros((rows, width))
    pmf[:, 0] = 1.0
    # X' = (busy - F) + C + N counts "agent still busy" as +1, so X = X' - busy - ready.
    for k, q in enumerate(items):
        moved = pmf[:, : k + 1] * q[:, None]
        pmf[:, : k + 1] *= (1.0 - q)[:, None]
        pmf[:, 1 : k + 2] += moved
    offset = len(supply) + ready
    values = np.maximum(np.arange(width, dtype=np.float64) - offset, 0.0)
    out = np.empty((rows, n_max + 1))
    prev = -math.inf
    top = len(items)
    g_col, stay_col = g[:, None], (1.0 - g)[:, None]
    for n in range(n_max + 1):
        out[:, n] = pmf @ values
        if base is not None:
            out[:, n] -= base
        worst = float(out[:, n].max())
        if n >= min_n and (worst > stop_above or (n > 0 and worst - prev > stop_step)):
            return out[:, : n + 1]
        prev = worst
        moved = pmf[:, : top + 1] * g_col
        pmf[:, : top + 1] *= stay_col
        pmf[:, 1 : top + 2] += moved
        top += 1
    return out


def expected_abandons(
    supply: FloatArray, demand: FloatArray, ready: int, g: FloatArray, n_max: int, *, exact_limit: int = 60,
    stop_above: float = math.inf, stop_step: float = math.inf, min_n: int = 0, base: FloatArray | None = None,
) -> FloatArray:
    """Expected live answers finding no agent when placing n = 0..n_max calls now (a lower bound).

    For each look-ahead t_k (grid rows): F_k agents free by t_k + grace (``supply``, busy x grid),
    C_k ringing calls answered live by t_k (``demand``, ringing x grid), N_k(n) ~ Binomial(n, g_k) new
    calls answered live by t_k. Calls lost by t are sup_{s <= t} (D(s) - S(s))^+ (each answer needs an
    agent already free); its expectation is bounded below by max_k E[(C_k + N_k - F_k - ready)^+].
    Both paths may stop (not before ``min_n``) once the value passes ``stop_above`` or grows by more than
    ``stop_step``, so the result may be shorter than n_max + 1. ``base`` (one value per grid row) is
    subtracted before the maximum over the rows (blending: the shortfall of inbound callers alone).
    """
    if supply.shape[0] + demand.shape[0] <= exact_limit:
        return _excess_exact(supply, demand, ready, g, n_max, stop_above, stop_step, min_n, base).max(axis=0)
    mu0 = demand.sum(axis=0) - supply.sum(axis=0) - ready
    var0 = (demand * (1 - demand)).sum(axis=0) + (supply * (1 - supply)).sum(axis=0)
    return _excess_normal(mu0, var0, g, n_max, stop_above, stop_step, min_n, base=base)


def shortfall_rows(supply: FloatArray, demand: FloatArray, ready: int, *, exact: bool) -> FloatArray:
    """E[(C_k - F_k - ready)^+] for each grid row: demand items finding no agent, with no new call (exactly,
    or with the normal approximation, as ``expected_abandons`` would for the whole demand)."""
    zeros = np.zeros(demand.shape[1])
    if exact:
        return _excess_exact(supply, demand, ready, zeros, 0)[:, 0]
    mu = demand.sum(axis=0) - supply.sum(axis=0) - ready
    sd = np.sqrt(np.maximum((demand * (1 - demand)).sum(axis=0) + (supply * (1 - supply)).sum(axis=0), 1e-12))
    z = mu / sd
    return np.maximum(mu * special.ndtr(z) + sd * _INV_SQRT_2PI * np.exp(-0.5 * z * z), 0.0)


class PredictivePacer:
    """Model-based pacing with the abandonment cap as a budget: it risks only what is left and what its calls
    will bring."""

    name = "predictive"

    def __init__(self, settings: PredictiveSettings | None = None, *,
                 service_level: tuple[float, float] | None = None, **overrides: float) -> None:
        self.settings = replace(settings or PredictiveSettings(), **overrides)
        s = self.settings
        self.blend = InboundBlend(service_level) if service_level is not None else None
        self.connect = DiscountedRate(s.prior_connect, prior_weight=20.0, half_life=s.connect_half_life)
        self.machine = DiscountedRate(s.prior_machine, prior_weight=20.0, half_life=500.0)
        self.ring = RingTimeModel(prior_mean_s=s.prior_ring_s, prior_answer_share=s.prior_connect + 0.1)
        self.handle = HandleTimeModel(prior_mean_s=s.prior_handle_s)
        self.rate = s.target_abandon * s.spend   # abandons per live answer the pacer plans to spend
        self.windows = AbandonmentWindows(
            {DAY_S: self.rate, MONTH_S: self.rate,
             HOUR_S: min((s.hour_cap if service_level is None else s.blend_hour_cap) * s.spend, 1.0)},
            initial_allowance=s.initial_allowance,
        )
        # blending: the hour's cap depends on how many answers the hour holds (``hour_budget``): those of the
        # clock hour so far, and the pace of the last minutes
        self.recent = AbandonmentWindows({RECENT_S: 1.0}) if service_level is not None else None
        self.clock = ClockHour()          # live answers and abandons in the current clock hour
        self._first_now: float | None = None
        self.handled = 0
        self.predicted_added = 0.0        # model's expected abandons of the calls placed so far
        self.abandons_seen = 0
        self._grid = np.array(s.grid_s, dtype=np.float64)

    def seed_history(self, *, answers: Iterable[float] = (), abandons: Iterable[float] = ()) -> None:
        """Load the campaign's past live answers and abandons (times on the pacer's clock) at start."""
        answers, abandons = list(answers), list(abandons)
        self.windows.seed(answers=answers, abandons=abandons)
        if self.recent is not None:
            self.recent.seed(answers=answers, abandons=abandons)
            if answers:
                self._first_now = -math.inf      # the last minutes are known: their pace needs no projection

    def forecast_inbound(self, intervals: Iterable[tuple[float, float, float]]) -> None:
        """Blending: the inbound arrivals expected ahead, ``(start_s, end_s, arrivals per second)`` on the pacer's
        clock (the queues' staffing forecast); replaces the previous forecast. Without blending, ignored."""
        if self.blend is not None:
            self.blend.forecast = InboundForecast(intervals)

    def observe(self, event: Event) -> None:
        if self.blend is not None:
            self.blend.observe(event)
            if self._first_now is None:
                self._first_now = event.now
        if isinstance(event, DialOutcome):
            self.connect.observe(event.offered)
            self.ring.observe(event.ring_s, event.connected)
            if event.connected:
                self.machine.observe(not event.offered)
            if event.live:
                self.windows.answer(event.now)
                if self.recent is not None:
                    self.recent.answer(event.now)
                    self.clock.add(event.now, 1, 0)
        elif isinstance(event, CallHandled):
            self.handle.observe(event.handle_s)
            self.handled += 1
        elif isinstance(event, Abandoned):
            self.windows.abandon(event.now)
            if self.recent is not None:
                self.recent.abandon(event.now)
                self.clock.add(event.now, 0, 1)
            self.abandons_seen += 1

    def align_hours(self, origin_s: float) -> None:
        """Blending: clock hours start at ``origin_s`` on the pacer's clock (mod 1 h), for the hour caps of
        abandons and of late inbound callers (reports count clock hours)."""
        self.clock.origin_s = origin_s
        if self.blend is not None:
            self.blend.windows.clock.origin_s = origin_s

    @property
    def hour_origin_s(self) -> float:
        return self.clock.origin_s

    def hour_budget(self, now: float) -> tuple[float, float, str]:
        """Blending: abandons the clock hour allows beyond the day's pace, the rate answers pay, and why.

        Count-aware: the hour will hold n live answers (those so far, and the last 10 minutes' pace to its
        end counted ``blend_rest_z`` Poisson deviations low: an inbound surge that takes the agents slows the
        pace, and abandons allowed on the faster count would overspend the hour), so it may take
        k = floor(``blend_hour_limit`` n) abandons less those it had; the rest of the hour plans the Poisson
        mean m with P(X > k) <= ``blend_hour_alpha``. While m covers the day's rate on the answers to come, the difference may be spent now; otherwise answers pay m per answer to come
        (an hour of 15 answers plans almost no risk, one of 400 all the day's rate): a fixed hourly cap
        over-risks small teams' hours (one abandon in 17 answers is 6 %) and holds back large ones'. An hour
        that may take ``blend_hour_last`` more abandons or fewer, or whose m is under ``blend_hour_strict`` of
        the day's pace, is held as overspent (negative budget), and ``decide`` places progressive calls only."""
        s = self.settings
        assert self.recent is not None
        if self._first_now is None:
            self._first_now = now
        (recent,) = self.recent.counts(now)
        answers, abandons, left = self.clock.counts(now)
        pace = recent.answers / min(RECENT_S, max(now - self._first_now, 60.0))
        rest = pace * left
        rest = max(0.0, rest - s.blend_rest_z * math.sqrt(rest))
        k = math.floor(s.blend_hour_limit * (answers + rest) + 1e-9) - abandons
        m = poisson_mean_within(k, s.blend_hour_alpha)
        why = f"clock hour: {abandons} abandons of {answers} answers, ~{rest:.0f} to come, {k} more allowed"
        if k <= s.blend_hour_last or m < s.blend_hour_strict * self.rate * rest:
            # the hour affords little: as overspent, every call keeps the recovery allowance
            return min(m - self.rate * rest, -1e-9), min(self.rate, m / max(rest, 1.0)), why + ", held as overspent"
        if m >= self.rate * rest:
            return m - self.rate * rest, self.rate, why
        return 0.0, m / rest, why + f": plan {m / rest:.1%}"

    @property
    def calibration(self) -> float:
        """Realized abandons per abandon the model predicted, learnt from this campaign; never below 1."""
        s = self.settings
        w = s.calibration_weight
        floor = 1.0 if self.blend is None else s.blend_calibration_floor
        return max(floor, (self.abandons_seen + s.calibration_prior * w) / (self.predicted_added + w))

    def decide(self, snap: Snapshot) -> Decision:
        s = self.settings
        logged = snap.agents_logged_in
        if logged == 0:
            return Decision(0, "predictive: no agent logged in")
        plan = self.blend.plan(snap, self.handle.mean_s) if self.blend is not None else None
        free = snap.agents_ready - snap.waiting
        budget = self.windows.remaining(snap.now)
        pay_rate = self.rate
        blended = hour_note = ""
        hour_held = False      # blending: the clock hour affords almost no abandon (``hour_budget`` < 0)
        if self.recent is not None:
            hour_budget, pay_rate, hour_note = self.hour_budget(snap.now)
            budget, hour_held = min(budget, hour_budget), hour_budget < 0
        idle = free            # agents an answered call can take now (blending: the reserve too)
        if plan is not None:
            idle -= plan.inbound_waiting
            held = plan.reserve
            if budget < 0 and held < s.blend_overspent_reserve:
                held = s.blend_overspent_reserve   # overspent: the progressive calls leave an agent for inbound
            free = idle - held
            blended = f" (blended: {plan.why}" + (f"; budget overspent, {held} idle kept)" if held > plan.reserve
                                                   else ")")
        ringing = len(snap.dialing)
        safe = max(0, free - ringing)
        cap = cap_to_lines(math.floor(s.max_ratio * logged) - ringing, snap)
        if self.connect.trials < s.warmup_attempts or self.handled < s.warmup_handled:
            calls = min(safe, cap)
            return Decision(calls, f"predictive (warming up, progressive): {free} free agents, "
                                   f"{ringing} ringing -> {calls}{blended}")
        if cap <= safe:
            return Decision(cap, f"predictive: progressive calls fill the cap -> {cap}{blended}")
        if hour_held:
            # the clock hour affords almost no abandon: no call ahead of an agent (the model's risk is an
            # average, and a batch placed on it can lose several answers at once)
            return Decision(safe, f"predictive: {hour_note}, progressive only -> {safe}{blended}")
        if plan is not None and plan.inbound_waiting:
            # inbound callers are waiting: the agents freeing are theirs, so no call is placed ahead of them
            return Decision(safe, f"predictive: {plan.inbound_waiting} inbound callers waiting, no calls "
                                  f"ahead of agents freeing -> {safe}{blended}")
        p = self.connect.rate
        grid = self._grid
        busy = np.fromiter(snap.agents_busy, dtype=np.float64, count=len(snap.agents_busy))
        dialing = np.fromiter(snap.dialing, dtype=np.float64, count=ringing)
        supply = self.handle.p_end_within(busy[:, None], s.supply_trust * grid[None, :] + s.grace_s, busy)
        offered_share = 1.0 - self.machine.rate
        demand = self.ring.p_answer_within(dialing[:, None], grid[None, :]) * offered_share
        ringing_live = float(demand[:, -1].sum())
        base = None
        reserve_cap = None
        if plan is not None:
            # the reserve is a threshold on idle agents (Bhulai and Koole): new calls may take agents only
            # while the idle agents expected at each look-ahead stay at R or above, after the answers of the
            # calls in flight and of the new ones and the agents freeing: n g_k <= free + F_k - C_k
            head = free + supply.sum(axis=0) - demand.sum(axis=0)
            head -= s.blend_reserve_z * np.sqrt((supply * (1 - supply)).sum(axis=0)
                                                + (demand * (1 - demand)).sum(axis=0))
            g_live = p * self.ring.answered_cdf(grid)
            per = np.where(g_live > 1e-9, np.maximum(head, 0.0) / np.maximum(g_live, 1e-9), math.inf)
            reserve_cap = max(safe, math.floor(float(per.min()) + 1e-9))
        if plan is not None and plan.rate_per_s > 0:
            # inbound arrivals by t_k, Poisson(lambda t_k), as m Bernoulli items of lambda t_k / m each;
            # they go first, so the answered calls lose what all demand loses less what the inbound callers
            # alone lose
            mean_in = s.blend_inbound_share * plan.rate_per_s * grid
            m = min(12, max(2, math.ceil(1.5 * float(mean_in[-1]))))
            arrivals = np.tile(np.minimum(mean_in / m, 1.0), (m, 1))
            exact = len(busy) + ringing + m <= s.exact_limit
            base = shortfall_rows(supply, arrivals, idle, exact=exact)
            demand = np.vstack((demand, arrivals))
        g = p * self.ring.answered_cdf(grid)
        n_max = min(cap, safe + max(10, logged))
        if reserve_cap is not None:
            n_max = max(safe, min(n_max, reserve_cap))
        kappa = self.calibration
        # Calls in flight and new calls bring live answers, each widening the budget (module docstring).
        live = float(self.ring.p_answer_within(dialing, 1e6).sum()) * offered_share
        pay = pay_rate * (live + p * np.arange(n_max + 1))
        allowed = budget + pay if budget >= 0 else s.recover * pay
        limit = s.marginal_limit * p
        if s.slack_reserve > 0:
            limit *= min(max(budget / s.slack_reserve, 1.0), s.slack_max)
        raw = expected_abandons(supply, demand, idle if plan is not None else free, g, n_max,
                                exact_limit=s.exact_limit, stop_above=allowed[-1] / kappa, stop_step=limit / kappa,
                                min_n=safe, base=base)
        excess = kappa * raw
        steps = excess.copy()
        steps[1:] -= excess[:-1]
        ok = (excess <= allowed[: len(excess)]) & (steps <= limit)
        # progressive calls are outside the budget; blending and overspent, they must keep it too (an inbound
        # caller arriving while one rings takes its agent, so they are not free of risk)
        ok[: (0 if plan is not None and budget < 0 else safe) + 1] = True
        bad = np.nonzero(~ok)[0]
        calls = int(bad[0] - 1) if bad.size else len(excess) - 1
        self.predicted_added += float(raw[calls] - raw[0])
        why = (f"predictive: {snap.agents_ready} ready, {len(busy)} busy (~{supply[:, -1].sum():.1f} free in "
               f"{grid[-1] + s.grace_s:.0f}s), {ringing} ringing (~{ringing_live:.1f} live), "
               f"connect {p:.1%}; {calls} calls risk {excess[calls]:.2f} abandons (model x{kappa:.2f}) "
               f"allowed {allowed[calls]:.2f} (budget left {budget:.2f}" + (f"; {hour_note}" if hour_note else "") + ")"
               + (f"; the reserve allows {reserve_cap} calls (idle agents expected to stay >= the reserve)"
                  if reserve_cap is not None else "") + blended)
        return Decision(calls, why)
