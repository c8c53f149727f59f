"""Campaign health, pure: when a campaign's calls fail for our own reasons, it must stop and say why.

A call our PBX refuses (``CallOutcome.REJECTED``: the Originate action refused, its context or extension
missing, its channel technology unknown: ``dialer.ami.causes`` classifies these as ``FailReason.REJECTED``)
says nothing about the callee and everything about the campaign's settings or the dialplan. ``observe``
counts such calls in a row, and calls that failed without reaching anyone (rejected, congestion, other
failures) in a row; past a limit it returns the ``HealthPause`` that pauses the campaign. Any call that
reached the network (answered, busy, no answer, invalid number) starts the count again. The runner
carries the pause out; ``dialer.lead_store`` gives the leads of refused calls their attempt back.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.calls import Call, CallOutcome

REJECTED_LIMIT = 3          # refused originates in a row: the settings or the dialplan are wrong
FAILED_LIMIT = 20           # failures in a row with nobody reached: the trunk or the PBX is wrong
_REACHED_NOBODY = frozenset({CallOutcome.REJECTED, CallOutcome.CONGESTION, CallOutcome.FAILED})
_NEUTRAL = frozenset({CallOutcome.CANCELLED, CallOutcome.PBX_CUT})   # never dialled, or the PBX restarting

# reason codes (admin_ui/i18n.py has "health_<code>" in English and Vietnamese)
ORIGINATE_REJECTED = "originate_rejected"
FAILURES_IN_A_ROW = "failures_in_a_row"


@dataclass(frozen=True, slots=True)
class HealthPause:
    """Why a campaign paused itself: a reason code, how many calls in a row, the PBX's last word."""

    code: str
    count: int
    detail: str

    def describe(self) -> str:
        """One English line for logs and the runner's hold (pages translate ``code`` instead)."""
        what = {ORIGINATE_REJECTED: "the PBX refused", FAILURES_IN_A_ROW: "reached nobody on"}[self.code]
        return f"paused by the dialer: {what} {self.count} calls in a row ({self.detail})"

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "count": self.count, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Health:
    """Calls in a row that the PBX refused, and that reached nobody, for one campaign."""

    rejected_in_a_row: int = 0
    failed_in_a_row: int = 0
    last_detail: str = ""


def observe(health: Health, call: Call) -> tuple[Health, HealthPause | None]:
    """The campaign's health after ``call`` ended, and the pause it calls for (None: keep dialling)."""
    outcome = call.outcome
    if outcome is None or outcome in _NEUTRAL:
        return health, None
    if outcome not in _REACHED_NOBODY or call.answered_at is not None:
        return Health(), None
    detail = (call.detail or outcome.value)[:300]
    rejected = health.rejected_in_a_row + 1 if outcome is CallOutcome.REJECTED else 0
    after = Health(rejected_in_a_row=rejected, failed_in_a_row=health.failed_in_a_row + 1, last_detail=detail)
    if after.rejected_in_a_row >= REJECTED_LIMIT:
        return after, HealthPause(ORIGINATE_REJECTED, after.rejected_in_a_row, detail)
    if after.failed_in_a_row >= FAILED_LIMIT:
        return after, HealthPause(FAILURES_IN_A_ROW, after.failed_in_a_row, detail)
    return after, None
