"""The simple pacers: progressive (one call per ready agent), power (a ratio, within the abandonment
budget) and preview (none).

Progressive and preview read only the ``Snapshot`` (``observe`` is accepted and ignored); power also
learns the connect rate and keeps the campaign's abandonment budget as the predictive pacer does, so any
runner drives them all through the same contract.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from pacing.contract import Abandoned, Decision, DialOutcome, Event, Snapshot, cap_to_lines
from pacing.estimators import DiscountedRate, RingTimeModel
from pacing.predictive import expected_abandons
from pacing.windows import DAY_S, HOUR_S, MONTH_S, AbandonmentWindows


class ProgressivePacer:
    """Keep one call in flight per ready agent: calls = ready - waiting - ringing. Never abandons."""

    name = "progressive"

    def observe(self, event: Event) -> None:
        return None

    def decide(self, snap: Snapshot) -> Decision:
        free = snap.agents_ready - snap.waiting
        calls = cap_to_lines(free - len(snap.dialing), snap)
        return Decision(calls, f"progressive: {snap.agents_ready} ready, {snap.waiting} waiting, "
                               f"{len(snap.dialing)} ringing -> {calls}")


class PowerPacer:
    """Keep ``ratio`` calls in flight per free agent, within the campaign's abandonment budget.

    Without a budget limit: calls = ceil(ratio * (ready - waiting)) - ringing. Calls beyond one per free
    agent can be abandoned, so the pacer keeps the same budget as the predictive pacer (an
    ``AbandonmentWindows`` over 24 h, 30 d and the last hour at ``target_abandon * spend``, seeded from the
    call records with ``seed_history``). It places the largest n up to that ratio such that every call
    beyond the progressive ones (one per free agent, always allowed) keeps (1) kappa * E_n within what is
    left of the budget plus ``target_abandon * spend`` of the live answers in flight and to come (once
    chance has overspent the budget, ``recover`` of that: by default nothing, so it dials progressive
    until its answers earn the budget back), and (2) the marginal abandon chance per offered connect,
    kappa * (E_n - E_{n-1}) / p, under ``marginal_limit`` (scaled up by budget left / ``slack_reserve``,
    up to ``slack_max``, as the predictive pacer does). E_n = E[(L + Binomial(n, p) - free)^+] is computed
    exactly by ``pacing.predictive.expected_abandons``: L the live answers still to come from the calls in
    flight, p the learnt offered-connect rate; busy agents are not counted as freeing up (that can only
    overstate the risk); kappa >= 1 is realized abandons over predicted ones. ``why`` says when the
    budget slowed it down.
    """

    name = "power"

    def __init__(self, *, ratio: float = 1.5, target_abandon: float = 0.03, spend: float = 0.95,
                 hour_cap: float = 0.045, recover: float = 0.0, initial_allowance: float = 0.0,
                 marginal_limit: float = 0.03, slack_reserve: float = 3.0, slack_max: float = 6.0,
                 exact_limit: int = 60) -> None:
        if ratio <= 0:
            raise ValueError(f"ratio must be positive, got {ratio}")
        if not 0 < target_abandon < 1 or not 0 < spend <= 1:
            raise ValueError(f"target_abandon and spend must lie in (0, 1], got {target_abandon}, {spend}")
        self.ratio = ratio
        self.recover = recover
        self.marginal_limit = marginal_limit
        self.slack_reserve = slack_reserve
        self.slack_max = slack_max
        self.exact_limit = exact_limit
        self.rate = target_abandon * spend      # abandons per live answer the pacer plans to spend
        self.windows = AbandonmentWindows(
            {DAY_S: self.rate, MONTH_S: self.rate, HOUR_S: min(hour_cap * spend, 1.0)},
            initial_allowance=initial_allowance)
        self.connect = DiscountedRate(0.15, prior_weight=20.0, half_life=200.0)
        self.machine = DiscountedRate(0.15, prior_weight=20.0, half_life=500.0)
        self.ring = RingTimeModel(prior_mean_s=9.0, prior_answer_share=0.25)
        self.predicted_added = 0.0        # expected abandons of the calls placed beyond one per free agent
        self.abandons_seen = 0

    def seed_history(self, *, answers: Iterable[float] = (), abandons: Iterable[float] = ()) -> None:
        """Load the campaign's past live answers and abandons (times on the pacer's clock) at start."""
        self.windows.seed(answers=answers, abandons=abandons)

    def observe(self, event: Event) -> None:
        if isinstance(event, DialOutcome):
            self.connect.observe(event.offered)
            self.ring.observe(event.ring_s, event.connected)
            if event.connected:
                self.machine.observe(not event.offered)
            if event.live:
                self.windows.answer(event.now)
        elif isinstance(event, Abandoned):
            self.windows.abandon(event.now)
            self.abandons_seen += 1

    @property
    def calibration(self) -> float:
        """Realized abandons per predicted one (prior: 1.2, worth 5 predicted abandons); never below 1."""
        return max(1.0, (self.abandons_seen + 1.2 * 5.0) / (self.predicted_added + 5.0))

    def decide(self, snap: Snapshot) -> Decision:
        free = snap.agents_ready - snap.waiting
        ringing = len(snap.dialing)
        want = math.ceil(self.ratio * max(0, free) - 1e-9)
        target = cap_to_lines(want - ringing, snap)
        safe = min(target, max(0, free - ringing))
        head = f"power x{self.ratio:g}: {max(0, free)} free agents want {want} in flight, {ringing} ringing"
        if target <= safe:
            return Decision(target, f"{head} -> {target}")
        p = self.connect.rate
        offered_share = 1.0 - self.machine.rate
        dialing = np.fromiter(snap.dialing, dtype=np.float64, count=ringing)
        in_flight = self.ring.p_answer_within(dialing, 1e6) * offered_share
        raw = expected_abandons(np.zeros((0, 1)), in_flight[:, None], free, np.array([p]), target,
                                exact_limit=self.exact_limit)
        kappa = self.calibration
        budget = self.windows.remaining(snap.now)
        pay = self.rate * (float(in_flight.sum()) + p * np.arange(len(raw)))
        allowed = budget + pay if budget >= 0 else self.recover * pay
        steps = kappa * np.diff(raw, prepend=raw[0])
        limit = self.marginal_limit * p * min(max(budget / self.slack_reserve, 1.0), self.slack_max)
        ok = (kappa * raw <= allowed) & (steps <= limit)
        ok[: safe + 1] = True
        bad = np.nonzero(~ok)[0]
        calls = int(bad[0] - 1) if bad.size else len(raw) - 1
        self.predicted_added += float(raw[calls] - raw[0])
        risk = (f"risk {kappa * raw[calls]:.2f} abandons, allowed {allowed[calls]:.2f}, "
                f"budget left {budget:.2f}")
        if calls < target:
            why = f"{head}; slowed to {calls} (not {target}) by the abandonment budget: {risk}"
            return Decision(calls, why)
        return Decision(calls, f"{head} -> {calls} ({risk})")


class PreviewPacer:
    """Place nothing by itself: the agent previews the lead and chooses when to dial."""

    name = "preview"

    def observe(self, event: Event) -> None:
        return None

    def decide(self, snap: Snapshot) -> Decision:
        return Decision(0, "preview: agents dial by hand")
