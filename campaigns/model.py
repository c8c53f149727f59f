"""Campaigns, lists, leads and callbacks as immutable values, and the campaign state machine.

``transition(state, target)`` is the only way a campaign's state changes; an illegal change raises
``IllegalTransition`` naming both states. ``Campaign.validate_settings`` checks everything a team lead
types (trunk template, region, zone, window) so bad settings are refused before they are stored.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

import phonenumbers

from campaigns.errors import CampaignError, IllegalTransition
from campaigns.panel_settings import (
    DEFAULT_PAUSE_CODES,
    DISPOSITION_PREFIX,
    PauseCode,
    check_pause_codes,
    check_script,
    check_shortcuts,
    effective_shortcuts,
)
from campaigns.retry_policy import DEFAULT_DISPOSITIONS, Disposition, RetryPolicy
from campaigns.windows import ALWAYS, PROFILES, Schedule, WindowProfile, is_zone, profile_named
from dialer.sound_names import unplayable_part

# The safe-harbor message when a campaign names none: a core sound every Asterisk has ("Please try your
# call again later"). A campaign's own message is a sound name (or an ``a&b`` list) as Playback takes it,
# relative to Asterisk's sounds folder; the engine sets it on each customer leg as DIALER_SAFE_HARBOR.
DEFAULT_SAFE_HARBOR = "please-try-call-later"
# What reaches Asterisk is checked here, at save time, so a campaign never starts with a setting the PBX
# would refuse or cut (see dialer/ami/header_values.py for how values travel). The trunk template is an
# Originate Channel: Tech/resource with no blank, comma, quote, '|', '&' or non-ASCII character; the only
# placeholders are {number} and {digits}. A caller id is a number, "name" <number> or name <number>: the
# name may hold any text but a line break or '<' '>' (commas, quotes, '|' and Vietnamese arrive whole).
_TRUNK_TEMPLATE = re.compile(r"[A-Za-z][A-Za-z0-9_]*/[A-Za-z0-9_+.@:;=#*/{}~-]+")
_CALLER_ID = re.compile(r'\s*(?:"(?P<quoted>.*)"|(?P<bare>[^"<>]*?))\s*<(?P<number>[^<>]*)>\s*')
_CALLER_NUMBER = re.compile(r"\+?[0-9*#]{1,20}")


class DialMode(str, enum.Enum):
    PREDICTIVE = "predictive"
    PROGRESSIVE = "progressive"
    POWER = "power"
    PREVIEW = "preview"
    MANUAL = "manual"


class CampaignState(str, enum.Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"


TRANSITIONS: dict[CampaignState, frozenset[CampaignState]] = {
    CampaignState.DRAFT: frozenset({CampaignState.SCHEDULED, CampaignState.RUNNING, CampaignState.FINISHED}),
    CampaignState.SCHEDULED: frozenset({CampaignState.DRAFT, CampaignState.RUNNING, CampaignState.PAUSED,
                                        CampaignState.FINISHED}),
    CampaignState.RUNNING: frozenset({CampaignState.PAUSED, CampaignState.FINISHED}),
    CampaignState.PAUSED: frozenset({CampaignState.RUNNING, CampaignState.SCHEDULED, CampaignState.FINISHED}),
    CampaignState.FINISHED: frozenset(),
}


def transition(state: CampaignState, target: CampaignState) -> CampaignState:
    """``target`` if the state machine allows ``state -> target``, else ``IllegalTransition``."""
    if target not in TRANSITIONS[state]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[state])) or "nothing (it is final)"
        raise IllegalTransition(f"a {state.value} campaign cannot become {target.value}; it can become {allowed}")
    return target


class MachineAction(str, enum.Enum):
    HANGUP = "hangup"
    MESSAGE = "message"


class LeadStatus(str, enum.Enum):
    NEW = "new"
    CLAIMED = "claimed"
    RETRY = "retry"
    CALLBACK = "callback"
    DONE = "done"
    DNC = "dnc"
    INVALID = "invalid"


DIALABLE_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.RETRY, LeadStatus.CALLBACK, LeadStatus.CLAIMED})


@dataclass(frozen=True, slots=True)
class Pacing:
    """Pacer settings handed to ``pacing.make_pacer``."""

    ratio: float = 1.0               # power mode: lines per ready agent
    target_abandon: float = 0.03     # predictive and power modes: abandonment cap (fraction of live answers)

    def __post_init__(self) -> None:
        if not 0 < self.target_abandon < 1 or self.ratio <= 0:
            raise CampaignError("pacing needs 0 < target_abandon < 1 and a positive ratio")


@dataclass(frozen=True, slots=True)
class Campaign:
    """Everything that decides how, whom and when a campaign dials."""

    id: int
    name: str
    trunk_template: str
    state: CampaignState = CampaignState.DRAFT
    dial_mode: DialMode = DialMode.PROGRESSIVE
    pacing: Pacing = field(default_factory=Pacing)
    caller_id: str = ""
    default_region: str = "US"
    timezone: str = "UTC"
    schedule: Schedule = ALWAYS
    window_profile: str = "us"
    custom_window: WindowProfile | None = None
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    dispositions: tuple[Disposition, ...] = DEFAULT_DISPOSITIONS
    record_calls: bool = False
    amd_enabled: bool = False
    machine_action: MachineAction = MachineAction.HANGUP
    safe_harbor_message: str = ""
    crm_url_template: str = ""
    # the agent panel (campaigns.panel_settings): the lead's shortcut changes, pause codes, agent script
    shortcuts: Mapping[str, str] = field(default_factory=dict)
    pause_codes: tuple[PauseCode, ...] = DEFAULT_PAUSE_CODES
    agent_script: str = ""
    notify_monitored: bool = False   # live supervision: the agent's panel says so while a team lead listens in
    created_at: datetime | None = None

    @property
    def window(self) -> WindowProfile:
        return profile_named(self.window_profile, self.custom_window)

    @property
    def safe_harbor_sound(self) -> str:
        """The sound(s) played to an abandoned customer: the campaign's message, or ``DEFAULT_SAFE_HARBOR``."""
        return self.safe_harbor_message.strip() or DEFAULT_SAFE_HARBOR

    def disposition(self, code: str) -> Disposition:
        for disposition in self.dispositions:
            if disposition.code == code:
                return disposition
        raise CampaignError(f"campaign {self.name!r} has no disposition {code!r}")

    def dial_string(self, number_e164: str) -> str:
        """The channel to originate for ``number_e164`` (``{number}`` is E.164 with +, ``{digits}`` without)."""
        return self.trunk_template.replace("{number}", number_e164).replace("{digits}", number_e164.lstrip("+"))

    def crm_url(self, lead: Lead) -> str:
        """The CRM pop URL: ``{phone}``, ``{lead_id}``, ``{first_name}``, ``{last_name}`` and lead fields."""
        values = {str(k): str(v) for k, v in lead.fields.items()}
        values.update(phone=lead.phone_e164, lead_id=str(lead.id), first_name=lead.first_name,
                      last_name=lead.last_name)
        url = self.crm_url_template
        for key, value in values.items():
            url = url.replace("{" + key + "}", quote(value, safe=""))
        return url

    def as_dict(self) -> dict[str, Any]:
        """Every setting as JSON-ready data (the shape ``with_settings`` accepts)."""
        return {
            "id": self.id, "name": self.name, "state": self.state.value, "dial_mode": self.dial_mode.value,
            "pacing": {"ratio": self.pacing.ratio, "target_abandon": self.pacing.target_abandon},
            "caller_id": self.caller_id, "trunk_template": self.trunk_template,
            "default_region": self.default_region, "timezone": self.timezone, "schedule": self.schedule.as_dict(),
            "window_profile": self.window_profile,
            "custom_window": self.custom_window.as_dict() if self.custom_window else None,
            "retry_policy": self.retry_policy.as_dict(), "dispositions": [d.as_dict() for d in self.dispositions],
            "record_calls": self.record_calls, "amd_enabled": self.amd_enabled,
            "machine_action": self.machine_action.value, "safe_harbor_message": self.safe_harbor_message,
            "crm_url_template": self.crm_url_template,
            "shortcuts": dict(self.shortcuts), "pause_codes": [p.as_dict() for p in self.pause_codes],
            "agent_script": self.agent_script, "notify_monitored": self.notify_monitored,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }

    def with_settings(self, data: Mapping[str, Any]) -> Campaign:
        """A copy with the settings present in ``data`` changed (state, id and created_at are ignored)."""
        try:
            changes: dict[str, Any] = {}
            simple = ("name", "caller_id", "trunk_template", "default_region", "timezone", "window_profile",
                      "record_calls", "amd_enabled", "safe_harbor_message", "crm_url_template", "agent_script")
            changes.update({k: data[k] for k in simple if k in data and data[k] is not None})
            if data.get("dial_mode"):
                changes["dial_mode"] = DialMode(data["dial_mode"])
            if data.get("machine_action"):
                changes["machine_action"] = MachineAction(data["machine_action"])
            if data.get("pacing"):
                changes["pacing"] = Pacing(**{"ratio": self.pacing.ratio,
                                                 "target_abandon": self.pacing.target_abandon, **data["pacing"]})
            if "schedule" in data:
                changes["schedule"] = Schedule.from_dict(data["schedule"])
            if "custom_window" in data:
                custom = data["custom_window"]
                changes["custom_window"] = WindowProfile.from_dict({"name": "custom", **custom}) if custom else None
            if "retry_policy" in data:
                changes["retry_policy"] = RetryPolicy.from_dict(data["retry_policy"])
            if data.get("dispositions"):
                changes["dispositions"] = tuple(Disposition.from_dict(d) for d in data["dispositions"])
            if data.get("shortcuts") is not None:
                changes["shortcuts"] = {str(k): str(v) for k, v in dict(data["shortcuts"]).items()}
            elif "dispositions" in changes:   # a disposition taken away takes its shortcut with it
                kept = {DISPOSITION_PREFIX + d.code for d in changes["dispositions"]}
                changes["shortcuts"] = {a: k for a, k in self.shortcuts.items()
                                        if not a.startswith(DISPOSITION_PREFIX) or a in kept}
            if data.get("pause_codes") is not None:
                changes["pause_codes"] = tuple(PauseCode.from_dict(p) for p in data["pause_codes"])
            if data.get("notify_monitored") is not None:
                changes["notify_monitored"] = data["notify_monitored"]
        except (ValueError, TypeError, KeyError) as exc:
            raise CampaignError(f"invalid campaign settings: {exc}") from None
        return replace(self, **changes).validate_settings()

    def validate_settings(self) -> Campaign:
        """Self, after checking the settings; a bad one raises ``CampaignError`` naming it."""
        if not self.name.strip() or len(self.name) > 200:
            raise CampaignError("a campaign needs a name of 1-200 characters")
        if "{number}" not in self.trunk_template and "{digits}" not in self.trunk_template:
            raise CampaignError("trunk_template: the trunk template must contain {number} (or {digits}), "
                                "e.g. PJSIP/{number}@carrier")
        bare_template = self.trunk_template.replace("{number}", "1").replace("{digits}", "1")
        if not _TRUNK_TEMPLATE.fullmatch(bare_template) or "{" in bare_template or "}" in bare_template:
            raise CampaignError(
                f"trunk_template: {self.trunk_template!r} is not a dial string Asterisk can originate; use "
                "Technology/resource with {number} or {digits} and no blank, comma, quote, '|', '&', other {...} "
                "or accented letter, e.g. PJSIP/{number}@carrier")
        _check_caller_id(self.caller_id)
        if not isinstance(self.notify_monitored, bool):
            raise CampaignError("notify_monitored: tell agents when they are monitored is true or false, "
                                f"not {self.notify_monitored!r}")
        if self.default_region not in phonenumbers.SUPPORTED_REGIONS:
            raise CampaignError(f"unknown region {self.default_region!r}; use an ISO code such as FR or US")
        if not is_zone(self.timezone):
            raise CampaignError(f"unknown time zone {self.timezone!r}")
        if self.window_profile not in (*PROFILES, "custom"):
            raise CampaignError(f"unknown window profile {self.window_profile!r}; known: us, france, custom")
        self.window  # noqa: B018 - raises if custom without hours
        if (part := unplayable_part(self.safe_harbor_message)) is not None:
            raise CampaignError(
                f"safe_harbor_message: {part!r} is not a sound name Playback can take (no blank, comma, "
                f"quote, '|' or accented letter); use names from Asterisk's sounds folder without extension, "
                f"e.g. {DEFAULT_SAFE_HARBOR} or custom/our-message, joined by &")
        codes = [d.code for d in self.dispositions]
        if len(codes) != len(set(codes)):
            raise CampaignError("disposition codes must be unique")
        shortcuts = check_shortcuts(self.shortcuts, codes)
        check_pause_codes(self.pause_codes)
        check_script(self.agent_script)
        return self if shortcuts == dict(self.shortcuts) else replace(self, shortcuts=shortcuts)

    @property
    def panel_shortcuts(self) -> dict[str, str]:
        """Every panel action's key: the defaults under the lead's changes (``campaigns.panel_settings``)."""
        return effective_shortcuts(self.shortcuts, [d.code for d in self.dispositions])


def _check_caller_id(caller_id: str) -> None:
    """Refuse (``CampaignError`` naming caller_id) a caller id Asterisk would not read whole."""
    if not caller_id.strip():
        return
    m = _CALLER_ID.fullmatch(caller_id)
    number = m.group("number").strip() if m else caller_id.strip()
    name = (m.group("quoted") if m and m.group("quoted") is not None else (m.group("bare") if m else "")) or ""
    if any(ord(c) < 32 or ord(c) == 127 for c in caller_id):
        raise CampaignError("caller_id: a line break or control character cannot be sent to Asterisk")
    if not _CALLER_NUMBER.fullmatch(number):
        raise CampaignError(f"caller_id: {caller_id!r} needs a number (digits, an optional +), as +15551234567 "
                            'or "Our company" <+15551234567>')
    if "<" in name or ">" in name or len(name) > 80:
        raise CampaignError("caller_id: the name may not contain < or > and is at most 80 characters")


@dataclass(frozen=True, slots=True)
class CallList:
    """One imported file and what became of its rows."""

    id: int
    campaign_id: int
    name: str
    source_filename: str
    status: str                       # importing, ready, failed
    job_id: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    error: str = ""
    created_at: datetime | None = None
    finished_at: datetime | None = None
    region: str = ""                  # for numbers without +country code; '' = the campaign's default region
    header_row: int | None = None     # the row holding the column names; 0: none (read by position); None: unknown


@dataclass(frozen=True, slots=True)
class Lead:
    """A person to call: E.164 number, possible zones (all kept) and the record of attempts so far."""

    id: int
    campaign_id: int
    phone_e164: str
    list_id: int | None = None
    alt_phones: tuple[str, ...] = ()
    first_name: str = ""
    last_name: str = ""
    timezones: tuple[str, ...] = ()
    postal_code: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    status: LeadStatus = LeadStatus.NEW
    attempts: int = 0
    attempt_times: tuple[datetime, ...] = ()
    last_outcome: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_abandoned_at: datetime | None = None
    priority: int = 0
    callback_agent_id: int | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None

    def zones_or(self, fallback: str) -> tuple[str, ...]:
        """The lead's zones, or ``fallback`` (the campaign's zone) when none is known."""
        return self.timezones or (fallback,)


@dataclass(frozen=True, slots=True)
class Callback:
    """A call an agent promised: due at ``due_at`` (UTC); personal to ``agent_id`` or, if None, the campaign's."""

    id: int
    lead_id: int
    campaign_id: int
    due_at: datetime
    agent_id: int | None
    created_by: int | None
    note: str = ""
    done_at: datetime | None = None
