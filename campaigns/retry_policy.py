"""Retry policy, pure: an attempt's outcome and the lead's attempt count -> when to call again, or never.

Each outcome (busy, no answer, answering machine, abandoned, failed, cut by the PBX, and each disposition
code) has a ``RetryRule`` (delay and maximum attempts). A call the PBX cut by shutting down or restarting
(``pbx_cut``) is retried soon under a rule of its own: it says nothing about the callee, so it is never
taken for a no-answer. With ``no_recall_after_abandon_h`` set (72 by default), a lead
whose call was abandoned is not re-called before that many hours have passed. A disposition marked
final ends the lead whatever its rule says.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from campaigns.errors import CampaignError


class Outcome(str, enum.Enum):
    """What the network or the agent made of one attempt."""

    BUSY = "busy"
    NO_ANSWER = "no_answer"
    MACHINE = "machine"
    ABANDONED = "abandoned"
    FAILED = "failed"
    PBX_CUT = "pbx_cut"        # the PBX shut down or restarted under the call: not the callee's doing
    ANSWERED = "answered"      # connected to an agent; the disposition decides what follows


@dataclass(frozen=True, slots=True)
class RetryRule:
    """Wait ``delay_s`` before the next attempt; stop once the lead has had ``max_attempts`` attempts."""

    delay_s: int
    max_attempts: int

    def __post_init__(self) -> None:
        if self.delay_s < 0 or self.max_attempts < 1:
            raise CampaignError(f"bad retry rule: delay {self.delay_s}s, max attempts {self.max_attempts}")


@dataclass(frozen=True, slots=True)
class Disposition:
    """What an agent records at the end of a call: ``final`` ends the lead; else its retry rule applies."""

    code: str
    label: str
    final: bool = True
    retry: RetryRule | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "final": self.final,
                "retry": {"delay_s": self.retry.delay_s, "max_attempts": self.retry.max_attempts}
                if self.retry else None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Disposition:
        retry = data.get("retry")
        return cls(str(data["code"]), str(data.get("label") or data["code"]), bool(data.get("final", True)),
                   RetryRule(int(retry["delay_s"]), int(retry["max_attempts"])) if retry else None)


DEFAULT_RULES: dict[str, RetryRule] = {
    Outcome.BUSY.value: RetryRule(delay_s=15 * 60, max_attempts=5),
    Outcome.NO_ANSWER.value: RetryRule(delay_s=2 * 3600, max_attempts=5),
    Outcome.MACHINE.value: RetryRule(delay_s=4 * 3600, max_attempts=4),
    Outcome.ABANDONED.value: RetryRule(delay_s=3600, max_attempts=5),
    Outcome.FAILED.value: RetryRule(delay_s=30 * 60, max_attempts=3),
    Outcome.PBX_CUT.value: RetryRule(delay_s=5 * 60, max_attempts=8),
}

DEFAULT_DISPOSITIONS: tuple[Disposition, ...] = (
    Disposition("sale", "Sale"),
    Disposition("not_interested", "Not interested"),
    Disposition("wrong_number", "Wrong number"),
    Disposition("do_not_call", "Do not call"),
    Disposition("call_back", "Call back later", final=False, retry=RetryRule(24 * 3600, 6)),
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Rules by outcome or disposition code; ``fallback`` for anything unlisted."""

    rules: Mapping[str, RetryRule] = field(default_factory=lambda: dict(DEFAULT_RULES))
    fallback: RetryRule = RetryRule(delay_s=3600, max_attempts=3)
    no_recall_after_abandon_h: int | None = 72

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules": {k: {"delay_s": r.delay_s, "max_attempts": r.max_attempts} for k, r in self.rules.items()},
            "fallback": {"delay_s": self.fallback.delay_s, "max_attempts": self.fallback.max_attempts},
            "no_recall_after_abandon_h": self.no_recall_after_abandon_h,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RetryPolicy:
        if not data:
            return cls()
        rules = dict(DEFAULT_RULES)
        rules.update({k: RetryRule(int(v["delay_s"]), int(v["max_attempts"])) for k, v in data.get("rules", {}).items()})
        fb = data.get("fallback")
        hours = data.get("no_recall_after_abandon_h", 72)
        return cls(rules, RetryRule(int(fb["delay_s"]), int(fb["max_attempts"])) if fb else cls().fallback,
                   None if hours is None else int(hours))


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """``final`` ends the lead; otherwise call again no earlier than ``next_attempt_at``."""

    final: bool
    next_attempt_at: datetime | None
    reason: str


def abandon_cooldown_until(policy: RetryPolicy, last_abandoned_at: datetime | None) -> datetime | None:
    """The end of the no-re-call period after an abandoned call, or None when there is none."""
    if last_abandoned_at is None or policy.no_recall_after_abandon_h is None:
        return None
    return last_abandoned_at + timedelta(hours=policy.no_recall_after_abandon_h)


def decide_retry(policy: RetryPolicy, *, outcome: Outcome, attempts: int, at: datetime,
                 disposition: Disposition | None = None,
                 last_abandoned_at: datetime | None = None) -> RetryDecision:
    """The lead's fate after an attempt at ``at``; ``attempts`` counts attempts made so far, this one included."""
    if outcome is Outcome.ANSWERED and disposition is None:
        raise CampaignError("an answered call needs a disposition to decide a retry")
    if disposition is not None:
        if disposition.final:
            return RetryDecision(True, None, f"disposition {disposition.code} is final")
        key = disposition.code
        rule = policy.rules.get(key) or disposition.retry or policy.fallback
    else:
        key = outcome.value
        rule = policy.rules.get(key, policy.fallback)
    if attempts >= rule.max_attempts:
        return RetryDecision(True, None, f"{key}: {attempts} attempts reached the maximum of {rule.max_attempts}")
    next_at = at + timedelta(seconds=rule.delay_s)
    abandoned_at = at if outcome is Outcome.ABANDONED else last_abandoned_at
    cooldown = abandon_cooldown_until(policy, abandoned_at)
    if cooldown is not None and cooldown > next_at:
        return RetryDecision(False, cooldown, f"{key}: no re-call within {policy.no_recall_after_abandon_h} h of an abandon")
    return RetryDecision(False, next_at, f"{key}: retry in {rule.delay_s} s")
