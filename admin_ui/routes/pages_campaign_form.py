"""The campaign form: a ``Campaign`` as form values and back, with a clear message for each bad field.

Weekly hours are typed per weekday as ``09:00-12:00, 13:00-18:00`` (empty: closed that day). Each
disposition is one line ``code | Label | final`` or ``code | Label | retry MINUTES ATTEMPTS``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Any

from campaigns.errors import CampaignError
from campaigns.model import Campaign, DialMode, MachineAction, Pacing
from campaigns.panel_settings import DEFAULT_PAUSE_CODES, parse_pause_lines, parse_shortcut_lines, pause_lines
from campaigns.retry_policy import DEFAULT_RULES, Disposition, RetryPolicy, RetryRule
from campaigns.windows import DAY_NAMES, Schedule, WindowProfile, format_interval, parse_interval

RETRY_OUTCOMES = tuple(DEFAULT_RULES)          # busy, no_answer, machine, abandoned, failed
ASTERISK_FIELDS = ("trunk_template", "caller_id", "safe_harbor_message")   # settings that reach Asterisk
PANEL_FIELDS = ("shortcuts", "pause_codes", "agent_script")   # the agent panel's (campaigns.panel_settings)


def problem_text(exc: CampaignError, t: Any) -> str:
    """What the form says of a refused campaign: a setting that reaches Asterisk is named and explained in the
    reader's language (the model's English detail follows); any other refusal as the model words it."""
    message = str(exc)
    field, sep, detail = message.partition(": ")
    if sep and field in ASTERISK_FIELDS + PANEL_FIELDS:
        return f"{t('not_saved')} {t('bad_setting_' + field)} ({detail})"
    return f"{t('not_saved')} {message}"
NEW_CAMPAIGN = Campaign(id=0, name="", trunk_template="PJSIP/{number}@carrier")


def _hours_text(weekly: tuple[tuple[tuple[int, int], ...], ...]) -> dict[str, str]:
    return {day: ", ".join(format_interval(iv) for iv in weekly[i]) for i, day in enumerate(DAY_NAMES)}


def form_values(campaign: Campaign) -> dict[str, Any]:
    """What the form shows for ``campaign``."""
    custom = campaign.custom_window
    values: dict[str, Any] = {
        "name": campaign.name, "dial_mode": campaign.dial_mode.value, "ratio": campaign.pacing.ratio,
        "target_abandon_pct": round(campaign.pacing.target_abandon * 100, 2), "caller_id": campaign.caller_id,
        "trunk_template": campaign.trunk_template, "default_region": campaign.default_region,
        "timezone": campaign.timezone, "window_profile": campaign.window_profile,
        "custom_max_attempts": custom.max_attempts if custom and custom.max_attempts else "",
        "custom_period_days": custom.period_days if custom else 30,
        "custom_holidays": (custom.holiday_calendar or "") if custom else "",
        "schedule_start": campaign.schedule.start_date.isoformat() if campaign.schedule.start_date else "",
        "schedule_end": campaign.schedule.end_date.isoformat() if campaign.schedule.end_date else "",
        "no_recall_after_abandon_h": campaign.retry_policy.no_recall_after_abandon_h or "",
        "dispositions": "\n".join(_disposition_line(d) for d in campaign.dispositions),
        "record_calls": campaign.record_calls, "amd_enabled": campaign.amd_enabled,
        "machine_action": campaign.machine_action.value, "safe_harbor_message": campaign.safe_harbor_message,
        "crm_url_template": campaign.crm_url_template,
        "shortcuts": "\n".join(f"{action} = {key}" for action, key in campaign.shortcuts.items()),
        "pause_codes": pause_lines(campaign.pause_codes), "agent_script": campaign.agent_script,
        "notify_monitored": campaign.notify_monitored,
    }
    for day, text in _hours_text(campaign.schedule.window.weekly).items():
        values[f"schedule_{day}"] = text
    custom_weekly = custom.weekly if custom else tuple(((540, 1200),) if i < 5 else () for i in range(7))
    for day, text in _hours_text(custom_weekly).items():
        values[f"custom_{day}"] = text
    for outcome in RETRY_OUTCOMES:
        rule = campaign.retry_policy.rules.get(outcome, campaign.retry_policy.fallback)
        values[f"retry_{outcome}_min"] = rule.delay_s // 60
        values[f"retry_{outcome}_max"] = rule.max_attempts
    return values


def _disposition_line(d: Disposition) -> str:
    if d.final:
        return f"{d.code} | {d.label} | final"
    rule = d.retry or RetryRule(3600, 3)
    return f"{d.code} | {d.label} | retry {rule.delay_s // 60} {rule.max_attempts}"


def _number(form: Mapping[str, str], key: str, label: str, *, cast: type = int, low: float | None = None,
            high: float | None = None, default: Any = None) -> Any:
    text = str(form.get(key, "")).strip()
    if not text:
        if default is not None:
            return default
        raise CampaignError(f"{label}: a number is needed")
    try:
        value = cast(text)
    except ValueError:
        raise CampaignError(f"{label}: {text!r} is not a number") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise CampaignError(f"{label}: must be between {low:g} and {high:g}")
    return value


def _weekly(form: Mapping[str, str], prefix: str, label: str) -> tuple[tuple[tuple[int, int], ...], ...]:
    days = []
    for day in DAY_NAMES:
        text = str(form.get(f"{prefix}_{day}", "")).strip()
        try:
            days.append(tuple(parse_interval(part) for part in text.split(",") if part.strip()))
        except CampaignError as exc:
            raise CampaignError(f"{label}, {day}: {exc}") from None
    return tuple(days)


def _date(text: str, label: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CampaignError(f"{label}: {text!r} is not a date (YYYY-MM-DD)") from None


def _dispositions(text: str) -> tuple[Disposition, ...]:
    found: list[Disposition] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not parts[0]:
            raise CampaignError(f"dispositions, line {number}: write 'code | Label | final' or "
                                "'code | Label | retry MINUTES ATTEMPTS'")
        code, label, rule = parts
        if not code.replace("_", "").replace("-", "").isalnum():
            raise CampaignError(f"dispositions, line {number}: the code {code!r} may hold only letters, digits, _ and -")
        if rule == "final":
            found.append(Disposition(code, label or code))
            continue
        words = rule.split()
        if len(words) != 3 or words[0] != "retry" or not words[1].isdigit() or not words[2].isdigit():
            raise CampaignError(f"dispositions, line {number}: after the label write 'final' or 'retry MINUTES ATTEMPTS'")
        found.append(Disposition(code, label or code, final=False,
                                 retry=RetryRule(int(words[1]) * 60, int(words[2]))))
    if not found:
        raise CampaignError("dispositions: give at least one")
    return tuple(found)


def campaign_from_form(form: Mapping[str, str], base: Campaign = NEW_CAMPAIGN) -> Campaign:
    """``base`` with the form's settings; ``CampaignError`` naming the first bad field."""
    try:
        dial_mode = DialMode(str(form.get("dial_mode", "progressive")))
        machine_action = MachineAction(str(form.get("machine_action", "hangup")))
    except ValueError as exc:
        raise CampaignError(f"unknown choice: {exc}") from None
    pacing = Pacing(ratio=_number(form, "ratio", "power ratio", cast=float, low=0.1, high=10, default=1.0),
                    target_abandon=_number(form, "target_abandon_pct", "abandonment target (%)", cast=float,
                                           low=0.1, high=10, default=3.0) / 100)
    profile = str(form.get("window_profile", "us"))
    custom = None
    if profile == "custom":
        holidays = str(form.get("custom_holidays", "")).strip() or None
        max_attempts = str(form.get("custom_max_attempts", "")).strip()
        custom = WindowProfile("custom", _weekly(form, "custom", "calling window"), holiday_calendar=holidays,
                               max_attempts=_number(form, "custom_max_attempts", "attempts cap", low=1, high=1000)
                               if max_attempts else None,
                               period_days=_number(form, "custom_period_days", "attempts period (days)", low=1,
                                                   high=365, default=30))
    schedule = Schedule(WindowProfile("schedule", _weekly(form, "schedule", "schedule")),
                        _date(str(form.get("schedule_start", "")), "schedule start"),
                        _date(str(form.get("schedule_end", "")), "schedule end"))
    if schedule.start_date and schedule.end_date and schedule.end_date < schedule.start_date:
        raise CampaignError("schedule: it ends before it starts")
    rules = {outcome: RetryRule(_number(form, f"retry_{outcome}_min", f"retry after {outcome} (minutes)", low=0,
                                        high=525600) * 60,
                                _number(form, f"retry_{outcome}_max", f"attempts after {outcome}", low=1, high=100))
             for outcome in RETRY_OUTCOMES}
    no_recall = str(form.get("no_recall_after_abandon_h", "")).strip()
    retry_policy = RetryPolicy(rules=rules, fallback=base.retry_policy.fallback,
                               no_recall_after_abandon_h=_number(form, "no_recall_after_abandon_h",
                                                                 "no re-call after an abandon (hours)", low=0,
                                                                 high=8760) if no_recall else None)
    campaign = dataclasses.replace(
        base, name=str(form.get("name", "")).strip(), dial_mode=dial_mode, pacing=pacing,
        caller_id=str(form.get("caller_id", "")).strip(), trunk_template=str(form.get("trunk_template", "")).strip(),
        default_region=str(form.get("default_region", "")).strip().upper(),
        timezone=str(form.get("timezone", "")).strip(), schedule=schedule, window_profile=profile,
        custom_window=custom or (base.custom_window if profile != "custom" else None), retry_policy=retry_policy,
        dispositions=_dispositions(str(form.get("dispositions", ""))), record_calls=bool(form.get("record_calls")),
        amd_enabled=bool(form.get("amd_enabled")), machine_action=machine_action,
        safe_harbor_message=str(form.get("safe_harbor_message", "")).strip(),
        crm_url_template=str(form.get("crm_url_template", "")).strip(),
        shortcuts=parse_shortcut_lines(str(form.get("shortcuts", ""))),
        pause_codes=parse_pause_lines(str(form.get("pause_codes", ""))) if str(form.get("pause_codes", "")).strip()
        else DEFAULT_PAUSE_CODES,
        agent_script=str(form.get("agent_script", "")).replace("\r\n", "\n"),
        notify_monitored=bool(form.get("notify_monitored")))
    if campaign.crm_url_template and not campaign.crm_url_template.startswith(("http://", "https://")):
        raise CampaignError("CRM address: it must start with http:// or https://")
    return campaign.validate_settings()
