"""May this lead be dialled now? One pure function, used by the hopper and by the dial-time check.

``check_eligibility`` fails closed: an unknown DNC status (``dnc_blocked=None``), a lead without any
usable zone and a zone the window cannot evaluate all say no. When the answer is no because of time
(window, schedule, retry or callback not due, attempt cap, abandon cool-down), ``next_allowed_at``
is the first instant at which every time rule is satisfied together (None when it never is).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from campaigns.model import DIALABLE_STATUSES, Campaign, CampaignState, Lead, LeadStatus
from campaigns.retry_policy import abandon_cooldown_until
from campaigns.windows import (
    WindowError,
    attempts_reopen_at,
    is_open_everywhere,
    next_open,
    schedule_is_open,
    schedule_next_open,
)


class Reason(str, enum.Enum):
    OK = "ok"
    LEAD_STATUS = "lead_status"
    DNC = "dnc"
    DNC_UNKNOWN = "dnc_unknown"
    CAMPAIGN_STATE = "campaign_state"
    ATTEMPTS = "attempts"
    ABANDON_COOLDOWN = "abandon_cooldown"
    CALLBACK_NOT_DUE = "callback_not_due"
    RETRY_NOT_DUE = "retry_not_due"
    CAMPAIGN_SCHEDULE = "campaign_schedule"
    WINDOW = "window"
    NO_ZONE = "no_zone"


@dataclass(frozen=True, slots=True)
class Eligibility:
    ok: bool
    reason: Reason
    detail: str = ""
    next_allowed_at: datetime | None = None


def _earliest_common(lead: Lead, campaign: Campaign, zones: tuple[str, ...], start: datetime) -> datetime | None:
    """First instant >= ``start`` where the schedule and the window are both open (bounded search)."""
    t: datetime | None = start
    for _ in range(50):
        assert t is not None
        s = schedule_next_open(campaign.schedule, campaign.timezone, t)
        if s is None:
            return None
        w = next_open(campaign.window, zones, s)
        if w is None:
            return None
        if w == s or schedule_is_open(campaign.schedule, campaign.timezone, w):
            return w
        t = w
    return None


def check_eligibility(lead: Lead, campaign: Campaign, *, now: datetime, dnc_blocked: bool | None,
                      dnc_list: str = "", ignore_state: bool = False) -> Eligibility:
    """Whether ``lead`` may be dialled at ``now`` for ``campaign``, and if not why and from when.

    ``dnc_blocked`` is the DNC answer for the lead's number (None: unknown -> not eligible).
    ``ignore_state`` skips the campaign-state rule (a preview or manual call from a paused campaign).
    """
    if lead.status not in DIALABLE_STATUSES:
        return Eligibility(False, Reason.LEAD_STATUS, f"lead is {lead.status.value}")
    if dnc_blocked is None:
        return Eligibility(False, Reason.DNC_UNKNOWN, "DNC status unknown: refusing to dial")
    if dnc_blocked:
        return Eligibility(False, Reason.DNC, f"number on DNC list {dnc_list}".strip())
    if not ignore_state and campaign.state is not CampaignState.RUNNING:
        return Eligibility(False, Reason.CAMPAIGN_STATE, f"campaign is {campaign.state.value}")
    zones = lead.zones_or(campaign.timezone)
    try:
        window = campaign.window
        blocks: list[tuple[Reason, str, datetime]] = []
        reopen = attempts_reopen_at(window, lead.attempt_times, now)
        if reopen is not None:
            blocks.append((Reason.ATTEMPTS, f"{window.max_attempts} attempts in {window.period_days} days", reopen))
        cooldown = abandon_cooldown_until(campaign.retry_policy, lead.last_abandoned_at)
        if cooldown is not None and cooldown > now:
            blocks.append((Reason.ABANDON_COOLDOWN, "abandoned call cool-down", cooldown))
        if lead.next_attempt_at is not None and lead.next_attempt_at > now:
            reason = Reason.CALLBACK_NOT_DUE if lead.status is LeadStatus.CALLBACK else Reason.RETRY_NOT_DUE
            blocks.append((reason, f"due at {lead.next_attempt_at.isoformat()}", lead.next_attempt_at))
        if blocks:
            reason, detail, _ = blocks[0]
            start = max(b[2] for b in blocks)
            return Eligibility(False, reason, detail, _earliest_common(lead, campaign, zones, start))
        if not schedule_is_open(campaign.schedule, campaign.timezone, now):
            return Eligibility(False, Reason.CAMPAIGN_SCHEDULE, "outside the campaign schedule",
                               _earliest_common(lead, campaign, zones, now))
        if not is_open_everywhere(window, zones, now):
            return Eligibility(False, Reason.WINDOW, f"outside the {window.name} window in {', '.join(zones)}",
                               _earliest_common(lead, campaign, zones, now))
    except WindowError as exc:
        return Eligibility(False, Reason.NO_ZONE, str(exc))
    return Eligibility(True, Reason.OK)
