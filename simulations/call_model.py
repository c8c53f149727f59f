"""How called customers behave: one seeded model shared by the campaign simulator and the simulated PBX.

A ``CustomerModel`` holds the parameters of a population (answer mix, ring times, patience, talk and
wrap-up times, answering machines and AMD accuracy); ``draw(rng, elapsed_s)`` returns the ``CustomerFate``
of one dial attempt. Distributions are lognormal with the given mean and coefficient of variation,
the usual fit for call-centre ring, talk and wrap-up times (Brown et al., "Statistical analysis of a
telephone call center", JASA 2005). Times are in seconds.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass, field


class Outcome(enum.Enum):
    """What the far end does with one attempt."""

    HUMAN = "human"            # a person answers
    MACHINE = "machine"        # an answering machine / voicemail answers
    BUSY = "busy"              # line busy (cause 17)
    NO_ANSWER = "no_answer"    # rings until the originate timeout (cause 19)
    CONGESTION = "congestion"  # network congestion / all circuits busy (cause 34)
    INVALID = "invalid"        # unallocated number (cause 1)


@dataclass(frozen=True, slots=True)
class LogNormal:
    """A lognormal distribution given by its mean and coefficient of variation (sd / mean)."""

    mean_s: float
    cv: float = 0.5

    def __post_init__(self) -> None:
        if self.mean_s <= 0 or self.cv < 0:
            raise ValueError(f"lognormal needs mean_s > 0 and cv >= 0, got {self.mean_s}, {self.cv}")

    def sample(self, rng: random.Random) -> float:
        if self.cv == 0:
            return self.mean_s
        sigma2 = math.log1p(self.cv * self.cv)
        mu = math.log(self.mean_s) - sigma2 / 2
        return rng.lognormvariate(mu, math.sqrt(sigma2))


@dataclass(frozen=True, slots=True)
class CustomerFate:
    """The fate of one attempt, drawn before it is placed; the PBX or simulator plays it out."""

    outcome: Outcome
    ring_s: float            # seconds from originate to answer (HUMAN/MACHINE) or to the failure
    patience_s: float        # HUMAN: seconds of silence after answer before hanging up
    talk_s: float            # HUMAN: length of the conversation once with an agent; MACHINE: greeting length
    wrap_s: float            # the agent's wrap-up after this call
    amd_s: float             # seconds answering-machine detection takes after answer
    amd_result: str          # what AMD reports: HUMAN, MACHINE or NOTSURE (may be wrong)

    @property
    def answered(self) -> bool:
        return self.outcome in (Outcome.HUMAN, Outcome.MACHINE)


@dataclass(frozen=True, slots=True)
class CustomerModel:
    """Parameters of a called population.

    ``connect_rate`` is the share of attempts a person answers; it moves linearly to
    ``connect_rate_end`` over ``decay_s`` seconds of campaign time (lists get worked out).
    ``machine_rate``, ``busy_rate``, ``congestion_rate`` and ``invalid_rate`` are shares of all
    attempts; the rest ring out (no answer).
    """

    connect_rate: float = 0.30
    connect_rate_end: float | None = None
    decay_s: float = 8 * 3600.0
    machine_rate: float = 0.10
    busy_rate: float = 0.08
    congestion_rate: float = 0.02
    invalid_rate: float = 0.02
    ring: LogNormal = field(default_factory=lambda: LogNormal(9.0, 0.5))
    fail_ring: LogNormal = field(default_factory=lambda: LogNormal(3.0, 0.4))
    no_answer_s: float = 25.0
    patience: LogNormal = field(default_factory=lambda: LogNormal(4.0, 0.6))
    talk: LogNormal = field(default_factory=lambda: LogNormal(120.0, 0.8))
    wrap: LogNormal = field(default_factory=lambda: LogNormal(15.0, 0.5))
    machine_greeting: LogNormal = field(default_factory=lambda: LogNormal(20.0, 0.3))
    amd_human_s: float = 3.0
    amd_machine_s: float = 3.5
    amd_false_machine: float = 0.03   # humans AMD calls MACHINE
    amd_false_human: float = 0.10     # machines AMD calls HUMAN
    amd_notsure: float = 0.02         # either, reported NOTSURE after the full analysis (5 s)

    def __post_init__(self) -> None:
        shares = (self.connect_rate, self.machine_rate, self.busy_rate, self.congestion_rate, self.invalid_rate)
        if any(s < 0 or s > 1 for s in shares):
            raise ValueError(f"rates must lie in [0, 1], got {shares}")
        if self.connect_rate_end is not None and not 0 <= self.connect_rate_end <= 1:
            raise ValueError(f"connect_rate_end must lie in [0, 1], got {self.connect_rate_end}")
        peak = max(self.connect_rate, self.connect_rate_end or 0.0)
        if peak + sum(shares[1:]) > 1 + 1e-9:
            raise ValueError("connect, machine, busy, congestion and invalid rates add up to more than 1")

    def connect_rate_at(self, elapsed_s: float) -> float:
        """The human answer rate ``elapsed_s`` seconds into the campaign."""
        if self.connect_rate_end is None or self.decay_s <= 0:
            return self.connect_rate
        frac = min(max(elapsed_s / self.decay_s, 0.0), 1.0)
        return self.connect_rate + (self.connect_rate_end - self.connect_rate) * frac

    def draw(self, rng: random.Random, elapsed_s: float = 0.0) -> CustomerFate:
        """Draw the fate of one attempt placed ``elapsed_s`` seconds into the campaign."""
        u = rng.random()
        human = self.connect_rate_at(elapsed_s)
        bounds = (
            (human, Outcome.HUMAN),
            (human + self.machine_rate, Outcome.MACHINE),
            (human + self.machine_rate + self.busy_rate, Outcome.BUSY),
            (human + self.machine_rate + self.busy_rate + self.congestion_rate, Outcome.CONGESTION),
            (human + self.machine_rate + self.busy_rate + self.congestion_rate + self.invalid_rate, Outcome.INVALID),
        )
        outcome = next((o for b, o in bounds if u < b), Outcome.NO_ANSWER)
        if outcome in (Outcome.HUMAN, Outcome.MACHINE):
            ring_s = self.ring.sample(rng)
        elif outcome is Outcome.NO_ANSWER:
            ring_s = self.no_answer_s
        else:
            ring_s = self.fail_ring.sample(rng)
        amd_result, amd_s = self._amd(rng, outcome)
        talk_s = self.talk.sample(rng) if outcome is Outcome.HUMAN else self.machine_greeting.sample(rng)
        return CustomerFate(
            outcome=outcome,
            ring_s=ring_s,
            patience_s=self.patience.sample(rng),
            talk_s=talk_s,
            wrap_s=self.wrap.sample(rng),
            amd_s=amd_s,
            amd_result=amd_result,
        )

    def _amd(self, rng: random.Random, outcome: Outcome) -> tuple[str, float]:
        if outcome not in (Outcome.HUMAN, Outcome.MACHINE):
            return "", 0.0
        u = rng.random()
        if u < self.amd_notsure:
            return "NOTSURE", 5.0
        if outcome is Outcome.HUMAN:
            wrong = u < self.amd_notsure + self.amd_false_machine
            return ("MACHINE", self.amd_machine_s) if wrong else ("HUMAN", self.amd_human_s)
        wrong = u < self.amd_notsure + self.amd_false_human
        return ("HUMAN", self.amd_human_s) if wrong else ("MACHINE", self.amd_machine_s)
