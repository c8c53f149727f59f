"""How a simulated customer answers a survey in ``dialer-survey``, pure: the scenario's answer distribution, slow or
missing input, hang-ups halfway.

The dialplan asks one step at a time (``Read`` for keys, ``Record`` for a spoken answer) with ``DIALER_SV_STEP`` set
by the engine to ``<question id>.<n>`` (``dialer.survey_ivr.step_token``), so the customer knows which question it
hears. For each step it draws, from a generator seeded by the scenario's seed, the number called (an outbound
customer; else the channel) and the step: to hang up somewhere in the step (``hangup_p``, or ``hangup_at`` for a
question named there), to say nothing (``silent_p``: Read ends with ``TIMEOUT``), or to answer after ``think_s``
seconds (during the prompt: a key stops it, as Read lets it) with keys drawn from ``answers`` (by question id; ``"*"``
for any other question; a value of several keys is typed one key every ``key_gap_s`` and ended with ``#`` when
shorter than the step's maximum). A spoken answer lasts ``speak_s``. The keys a customer finished typing are logged
in the switch's ``survey_keys``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_KEYS: Mapping[str, float] = {"1": 0.2, "2": 0.2, "3": 0.2, "4": 0.2, "5": 0.2}


@dataclass(frozen=True, slots=True)
class SurveyCustomer:
    """The scenario's survey-taker (``PbxConfig.survey_customer``)."""

    answers: Mapping[str, Mapping[str, float]] = field(default_factory=dict)   # question id -> {keys: weight}
    hangup_p: float = 0.0          # chance to hang up during any one step
    hangup_at: Mapping[str, float] = field(default_factory=dict)   # question id -> chance to hang up there
    silent_p: float = 0.0          # chance to press nothing at a step
    think_s: tuple[float, float] = (0.5, 2.0)    # uniform delay from the step's start to the first key
    key_gap_s: float = 0.3
    speak_s: tuple[float, float] = (2.0, 8.0)    # a spoken answer's length


@dataclass(frozen=True, slots=True)
class Reaction:
    """What the customer does at one step: ``keys`` (maybe "") after ``after_s``, or hang up at ``after_s``."""

    hang_up: bool
    keys: str
    after_s: float
    speak_s: float = 0.0


def question_of(step_token: str) -> str:
    return step_token.rsplit(".", 1)[0]


def react(customer: SurveyCustomer, rng: random.Random, step_token: str, max_digits: int,
          step_s: float) -> Reaction:
    """The customer's reaction to the step ``step_token`` that lasts about ``step_s`` (prompt and wait)."""
    question = question_of(step_token)
    hang = customer.hangup_at.get(question, customer.hangup_p)
    if rng.random() < hang:
        return Reaction(True, "", rng.uniform(0.1, max(step_s, 0.2)))
    if rng.random() < customer.silent_p:
        return Reaction(False, "", 0.0)
    think = rng.uniform(*customer.think_s)
    weights = customer.answers.get(question) or customer.answers.get("*") or DEFAULT_KEYS
    values = sorted(weights)
    keys = rng.choices(values, weights=[weights[v] for v in values])[0]
    if keys and 0 < len(keys) < max_digits:
        keys += "#"
    return Reaction(False, keys, think, rng.uniform(*customer.speak_s))
