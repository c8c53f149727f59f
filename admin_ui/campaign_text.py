"""A campaign's schedule and retry policy as lines a team lead reads on the campaign's page.

Pure functions of the campaign and a translator ``t``: days with the same hours are grouped
("Monday – Friday: 09:00-18:00"), a closed day says so, durations read as minutes, hours or days.
"""

from __future__ import annotations

from collections.abc import Callable

from campaigns.model import Campaign, CampaignState
from campaigns.retry_policy import RetryRule
from campaigns.windows import DAY_NAMES, format_interval

Translate = Callable[..., str]

# what each state lets a team lead do from the page: (action, the state it leads to)
STATE_ACTIONS: dict[CampaignState, tuple[str, ...]] = {
    CampaignState.DRAFT: ("start", "stop"),
    CampaignState.SCHEDULED: ("start", "pause", "stop"),
    CampaignState.RUNNING: ("pause", "stop"),
    CampaignState.PAUSED: ("resume", "stop"),
    CampaignState.FINISHED: (),
}


def schedule_lines(campaign: Campaign, t: Translate) -> list[str]:
    """The weekly hours in the campaign's zone (grouped days), its dates and holidays."""
    window = campaign.schedule.window
    hours = [", ".join(format_interval(iv) for iv in day) for day in window.weekly]
    if all(h == "00:00-24:00" for h in hours):
        lines = [t("sched_always")]
    else:
        lines = []
        start = 0
        for i in range(1, 8):
            if i == 7 or hours[i] != hours[start]:
                days = t("day_" + DAY_NAMES[start]) if i - 1 == start else \
                    f"{t('day_' + DAY_NAMES[start])} – {t('day_' + DAY_NAMES[i - 1])}"
                lines.append(f"{days}: {hours[start] or t('sched_closed')}")
                start = i
    first, last = campaign.schedule.start_date, campaign.schedule.end_date
    if first and last:
        lines.append(t("sched_between", start=first.isoformat(), end=last.isoformat()))
    elif first:
        lines.append(t("sched_from", start=first.isoformat()))
    elif last:
        lines.append(t("sched_until", end=last.isoformat()))
    if window.holiday_calendar:
        lines.append(f"{t('holidays')} {window.holiday_calendar}")
    if window.closed_days:
        lines.append(t("sched_closed_days", days=", ".join(d.isoformat() for d in sorted(window.closed_days))))
    return lines


def duration_text(seconds: int, t: Translate) -> str:
    if seconds % 86400 == 0 and seconds >= 86400:
        return t("dur_days", n=seconds // 86400)
    if seconds % 3600 == 0 and seconds >= 3600:
        return t("dur_hours", n=seconds // 3600)
    return t("dur_minutes", n=round(seconds / 60))


def _rule(rule: RetryRule, t: Translate) -> str:
    return t("retry_rule", after=duration_text(rule.delay_s, t), attempts=rule.max_attempts)


def retry_lines(campaign: Campaign, t: Translate) -> list[tuple[str, str]]:
    """(result, what happens next) for each outcome rule, each disposition that is called again, the rest,
    and the no-re-call period after an abandoned call."""
    policy = campaign.retry_policy
    rows = [(t("out_" + code), _rule(rule, t)) for code, rule in policy.rules.items()]
    rows += [(d.label, _rule(d.retry, t)) for d in campaign.dispositions if not d.final and d.retry is not None]
    rows.append((t("retry_other"), _rule(policy.fallback, t)))
    if policy.no_recall_after_abandon_h:
        rows.append((t("out_abandoned"), t("retry_no_recall", hours=policy.no_recall_after_abandon_h)))
    return rows
