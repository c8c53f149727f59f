"""Blending: how many agents the predictive pacer leaves for inbound callers right now.

A pacer built with ``service_level=(target, answer_s)`` (e.g. 90 % answered within 15 s) owns an
``InboundBlend``. It learns the inbound arrival rate (``ArrivalRate`` over 2 and 30 minutes; the larger
one is used, so a surge counts within minutes and a short lull does not drop the guard), the inbound
handle time (Kaplan-Meier, ``HandleTimeModel``) and how many agents are on inbound calls now (answered
minus handled), and keeps the service level kept so far (``ServiceLevelWindows``: day and hour).

Each decision it sets a reserve R of agents that outbound calls must leave idle, a threshold policy
(Bhulai and Koole, "A queueing model for call blending in call centers", IEEE TAC 48(8), 2003; Gans
and Zhou, "A call-routing problem with service-level constraints", OR 51(2), 2003; Pang and Perry,
"A logarithmic safety staffing rule for contact centers with call blending", Mgmt Sci 61(1), 2015):
- the pacer keeps x = idle agents - inbound callers waiting near R; an agent freeing from any call
  (rate nu = (N - R) / h, N agents logged in, h the mean handle time of all calls) goes to a waiting
  caller first, refills the reserve next, and only then to outbound; callers arrive at rate lambda.
  Below R this is a birth-death chain, pi(R - j) = (1 - rho) rho^j with rho = lambda / nu, and a caller
  arriving at x <= 0 waits for 1 - x completions, so the chance a caller waits over T is
  q(R) = rho^R exp(-(nu - lambda) T) (the M/M/1 waiting tail, shifted by the reserve);
- the model ignores the idle time pacing leaves anyway (which serves callers at once), so it is
  calibrated on this team as the predictive pacer calibrates its abandons: kappa = (late callers seen +
  3) / (q summed over the callers who arrived + 3), both forgetting with a half-life of 300 callers;
- R is the least whole number with kappa q(R) <= q*, the late share allowed: ``spend`` (0.92) of the
  (1 - target) late share of the callers expected over the next ``plan_s`` (15 min), plus what the
  service-level windows have in hand: the late callers still allowed over 24 h (at ``spend`` of 1 - target)
  and over the last hour (at ``hour_spend`` = 0.7 of 1 - (target - 10 points)); negative when behind,
  which raises the reserve;
- q* never falls below ``least_late_share`` (a fifth) of 1 - target: a team far behind (a surge's late
  callers count for hours in the day's window) keeps a reserve sized for 98 % in time, not every agent,
  which would stop outbound calls for hours and recover the day no faster than the agents freeing do;
- R never exceeds what a dedicated pool would keep idle: Erlang C agents for the same late share on the
  learnt load a = lambda h_in, less the agents already on inbound calls.
What it plans for, beyond that:
- the arrival rate is the largest of the two learnt ones and the ``forecast`` (``forecast_inbound``: the
  queues' staffing forecast, the same weekday's 15-minute intervals over the last weeks) at its peak within
  one handle time ahead (``forecast_ahead``): an outbound call placed now holds its agent that long, so a
  peak takes its agents before its first caller arrives, not minutes into it;
- the late share allowed is also count-aware over the clock hour (``ServiceLevelWindows.clock_hour``): an
  hour of n callers may have floor(20 % n) late (10 points under a 90 % target), less those it had, and the
  rest of the hour plans the Poisson mean that goes over with chance ``clock_hour_alpha`` (2 %), so a
  quiet hour of 30 callers plans far fewer than a fifth late;
- a team that barely covers the inbound load keeps every agent for it: when Erlang C says the whole team on
  inbound would answer under target + ``capacity_margin`` (5 points) in time, R is every agent (10 agents
  on 6.4 erlangs answer 88.9 % within 15 s: any agent on an outbound call in that hour misses the hour).
The predictive pacer uses R as a threshold on idle agents, as Bhulai and Koole's optimal policy does:
new calls may take agents only while the idle agents expected at each look-ahead stay at R or above
(after the answers of the calls in flight and the agents freeing), and nothing is placed ahead of agents
freeing while inbound callers wait (they are theirs). The reserve is not hidden from its abandon model:
an answered call that meets a reserve agent takes it (the router serves whoever comes first, and an
answered call within 0.5 s of its safe harbor before any caller), so the expected abandons count every
idle agent, with half the inbound arrivals expected within each look-ahead (Poisson, lambda t) served
first (arrivals and answers meet idle agents in time order). ``why`` says all of it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from scipy import special

from pacing.contract import CallHandled, Event, InboundAbandoned, InboundAnswered, InboundArrived, Snapshot
from pacing.erlang import agents_for_service_level, service_level
from pacing.estimators import HandleTimeModel
from pacing.inbound_load import ArrivalRate, InboundForecast, ServiceLevelWindows


@functools.lru_cache(maxsize=4096)
def poisson_mean_within(k: int, alpha: float) -> float:
    """The largest Poisson mean m with P(X > k) <= ``alpha``: how many late callers to plan on when k more are
    the most an hour can take (count-aware: an hour of 30 callers may plan far fewer than a fifth late)."""
    if k < 0:
        return 0.0
    lo, hi = 0.0, k + 10.0 * math.sqrt(k + 1.0) + 10.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if special.pdtr(k, mid) >= 1.0 - alpha:
            lo = mid
        else:
            hi = mid
    return lo


@dataclass(frozen=True, slots=True)
class BlendPlan:
    """What inbound needs now: agents kept idle, the arrival rate planned for, and why."""

    reserve: int
    inbound_waiting: int
    rate_per_s: float
    why: str


class InboundBlend:
    """The inbound side of a blended pacer: learns the inbound load and sets the reserve of idle agents."""

    def __init__(
        self,
        service_level: tuple[float, float],
        *,
        short_s: float = 120.0,        # 5 min left a 10-agent team's first peak-hour minutes late
        long_s: float = 1800.0,
        plan_s: float = 900.0,
        spend: float = 0.92,
        hour_spend: float = 0.7,
        hour_slack: float = 0.10,
        prior_handle_s: float = 180.0,
        calibration_half_life: float = 300.0,
        least_late_share: float = 0.2,
        forecast_ahead: float = 1.0,
        clock_hour_alpha: float = 0.02,
        capacity_margin: float = 0.05,
    ) -> None:
        target, answer_s = service_level
        if not 0 < target < 1 or answer_s <= 0:
            raise ValueError(f"service_level must be (share in (0, 1), seconds > 0), got {service_level}")
        self.target = float(target)
        self.answer_s = float(answer_s)
        self.plan_s = plan_s
        self.spend = spend
        self.least_late_share = least_late_share
        self.short = ArrivalRate(short_s)
        self.long = ArrivalRate(long_s)
        self.forecast = InboundForecast()
        self.forecast_ahead = forecast_ahead
        self.clock_hour_alpha = clock_hour_alpha
        self.capacity_margin = capacity_margin
        self.handle = HandleTimeModel(prior_mean_s=prior_handle_s)
        self.windows = ServiceLevelWindows(self.target, self.answer_s, hour_slack=hour_slack, spend=spend,
                                           hour_spend=hour_spend)
        self.on_inbound = 0
        self.abandons = 0
        self.wait_total_s = 0.0
        self.late_seen = 0.0            # late callers, discounted per arrival
        self.late_predicted = 0.0       # q(R) summed over arrivals, discounted the same way
        self._decay = 0.5 ** (1.0 / calibration_half_life)
        self._q_now = 0.0
        self._erlang_cache: dict[tuple[float, float, float], int] = {}
        self._whole_cache: dict[tuple[int, float, float], float] = {}

    def observe(self, event: Event) -> None:
        if isinstance(event, InboundArrived):
            self.short.observe(event.now)
            self.long.observe(event.now)
            self.late_seen *= self._decay
            self.late_predicted = self.late_predicted * self._decay + self._q_now
        elif isinstance(event, InboundAnswered):
            self.on_inbound += 1
            self.wait_total_s += event.waited_s
            self.windows.answered(event.now, event.waited_s)
            self.late_seen += event.waited_s > self.answer_s
        elif isinstance(event, InboundAbandoned):
            self.abandons += 1
            self.wait_total_s += event.waited_s
            self.windows.abandoned(event.now, event.waited_s)
            self.late_seen += event.waited_s > self.answer_s
        elif isinstance(event, CallHandled) and event.inbound:
            self.on_inbound = max(0, self.on_inbound - 1)
            self.handle.observe(event.handle_s)

    @property
    def patience_s(self) -> float:
        """Mean patience (exponential, censored by answers): total waiting per abandon; inf without any."""
        return self.wait_total_s / self.abandons if self.abandons else math.inf

    @property
    def calibration(self) -> float:
        """Late callers seen per late caller the threshold model predicted (prior 1, worth 3 callers)."""
        return min(max((self.late_seen + 3.0) / (self.late_predicted + 3.0), 0.05), 20.0)

    def rate(self, now: float, ahead_s: float = 0.0) -> float:
        """Inbound arrivals per second planned for: the largest of the short- and long-horizon estimates and
        the forecast's peak over the next ``ahead_s`` seconds."""
        return max(self.short.rate(now), self.long.rate(now), self.forecast.peak(now, ahead_s))

    def _erlang_idle(self, rate: float, handle_s: float, late_share: float, busy_inbound: int) -> int:
        """Idle agents a dedicated inbound pool keeps: Erlang C agents for the target less those on calls."""
        erlangs = rate * handle_s
        key = (round(erlangs, 1), round(handle_s, -1), round(late_share, 2))
        need = self._erlang_cache.get(key)
        if need is None:
            target = min(max(1.0 - late_share, 0.05), 0.999)
            need = agents_for_service_level(max(erlangs, 1e-6), handle_s, self.answer_s, target)
            if len(self._erlang_cache) > 4096:
                self._erlang_cache.clear()
            self._erlang_cache[key] = need
        return max(0, need - busy_inbound)

    def _whole_team_sl(self, agents: int, rate: float, handle_s: float) -> float:
        """Erlang C service level of the whole team on inbound only (cached on rounded load)."""
        key = (agents, round(rate * handle_s, 1), round(handle_s, -1))
        sl = self._whole_cache.get(key)
        if sl is None:
            sl = float(service_level(agents, max(key[1], 1e-6), handle_s, self.answer_s))
            if len(self._whole_cache) > 4096:
                self._whole_cache.clear()
            self._whole_cache[key] = sl
        return sl

    def plan(self, snap: Snapshot, mean_handle_s: float) -> BlendPlan:
        """The reserve for this decision; ``mean_handle_s`` is the mean handle time of all calls."""
        now = snap.now
        self.short.start(now)
        self.long.start(now)
        waiting = len(snap.inbound_waiting)
        longest = max(snap.inbound_waiting, default=0.0)
        ahead = self.forecast_ahead * mean_handle_s
        lam = self.rate(now, ahead)
        logged = snap.agents_logged_in
        busy_inbound = min(self.on_inbound, len(snap.agents_busy))
        in_hand = self.windows.remaining(now)
        resolved, late = self.windows.today(now)
        sl_today = f"{1 - late / resolved:.1%} of {resolved}" if resolved else "none yet"
        head = (f"inbound {lam * 60:.1f}/min (2 min {self.short.rate(now) * 60:.1f}, 30 min "
                f"{self.long.rate(now) * 60:.1f}"
                + (f", forecast {self.forecast.peak(now, ahead) * 60:.1f} within {ahead:.0f}s" if self.forecast else "")
                + f"), handle {self.handle.mean_s:.0f}s, "
                f"{busy_inbound} on inbound, "
                f"{waiting} waiting (longest {longest:.0f}s)"
                + (f", patience ~{self.patience_s:.0f}s" if self.abandons >= 5 else "")
                + f"; SL today {sl_today}, {in_hand:+.1f} late in hand")
        if lam <= 0 or logged == 0:
            return BlendPlan(0, waiting, lam, f"{head}; reserve 0 idle agents (no inbound traffic seen)")
        if self.capacity_margin > 0:
            whole = self._whole_team_sl(logged, lam, self.handle.mean_s)
            if whole < self.target + self.capacity_margin:
                return BlendPlan(logged, waiting, lam, f"{head}; reserve {logged} idle agents: the whole team would "
                                 f"answer {whole:.0%} of {lam * self.handle.mean_s:.1f} erlangs in "
                                 f"{self.answer_s:.0f}s, under {self.target + self.capacity_margin:.0%}")
        expected = lam * self.plan_s
        least = self.least_late_share * (1.0 - self.target)
        asked = ((1.0 - self.target) * self.spend * expected + in_hand) / expected
        counted, late_hour, left = self.windows.clock_hour(now)
        rest = max(lam * left, 1.0)          # callers expected in the rest of this clock hour
        room = math.floor((1.0 - self.windows.hour_floor) * (counted + rest) + 1e-9) - late_hour
        hour_asked = poisson_mean_within(room, self.clock_hour_alpha) / rest if room >= 0 else 0.0
        if hour_asked < asked:
            asked = hour_asked
            head += (f"; clock hour {late_hour} late of {counted}, ~{rest:.0f} to come, {room} more late allowed: "
                     f"plan {hour_asked:.0%} late")
        q_allowed = min(max(asked, least), 1.0)
        if asked < least:
            head += f"; behind: the reserve aims at {1 - least:.0%} in time, not every agent"
        h = max(mean_handle_s, 1.0)
        kappa = self.calibration
        # r* with kappa q(r*) = q* (q falls geometrically in r), nu counting the agents not held in reserve
        level, found = 0.0, True
        for _ in range(3):
            nu = max(logged - math.ceil(level), 1) / h
            rho = lam / nu
            if rho >= 1.0:
                level, found = float(logged), False
                break
            q0 = kappa * math.exp(-(nu - lam) * self.answer_s)
            level = min(float(logged), math.log(q_allowed / q0) / math.log(rho)) if q0 > q_allowed else 0.0
        q = 1.0 if not found else rho ** level * math.exp(-(nu - lam) * self.answer_s)
        self._q_now = q
        reserve = math.ceil(level - 1e-9)      # whole agents: the least reserve with kappa q(R) <= q*
        risk = (f"late risk {q:.1%} x{kappa:.2f} = allowed {q_allowed:.1%}" if found and level > 0 else
                f"late risk {q:.1%} x{kappa:.2f} <= allowed {q_allowed:.1%}" if found else
                f"no reserve keeps the late risk under {q_allowed:.1%}")
        if reserve == 0 and level == 0:
            return BlendPlan(0, waiting, lam, f"{head}; reserve 0 idle agents ({risk})")
        cap = min(logged, self._erlang_idle(lam, self.handle.mean_s, q_allowed, busy_inbound))
        if cap < reserve:
            why = (f"{head}; reserve {cap} idle agents: Erlang C on {lam * self.handle.mean_s:.1f} erlangs "
                   f"needs {cap + busy_inbound} for {1 - q_allowed:.0%} in {self.answer_s:.0f}s "
                   f"(threshold asked {level:.1f})")
            reserve = cap
        else:
            why = f"{head}; reserve {reserve} idle agents (threshold {level:.2f}, {risk}, Erlang C cap {cap})"
        return BlendPlan(reserve, waiting, lam, why)
