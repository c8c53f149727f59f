"""SMS pages that read: the message log (search by number, lead, campaign, status, direction and date; paged;
each message with its status history), statistics per campaign with a chart, and the SMS opt-out lists with
their audit.

Roles as for calls: team leads (and admins) read the log and the statistics; compliance officers read the
log and the opt-out lists. The reads are ``admin_ui.sms_log``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from admin_ui import sms_log
from admin_ui.app import render
from admin_ui.auth import CurrentUser, TeamLead, require_roles, services_of
from admin_ui.i18n import translator
from campaigns import repository as campaigns_repo
from dialer.users import Role

router = APIRouter()
SmsReader = Annotated[CurrentUser, Depends(require_roles(Role.TEAM_LEAD, Role.COMPLIANCE))]
ComplianceReader = Annotated[CurrentUser, Depends(require_roles(Role.COMPLIANCE))]
Days = Annotated[int, Query(ge=1, le=366)]


def _int_or_none(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


def _date_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@router.get("/sms/messages", response_class=HTMLResponse)
async def message_log(request: Request, user: SmsReader, number: str = "", lead: str = "", campaign: str = "",
                      status: str = "", direction: str = "", date_from: str = "", date_to: str = "",
                      before: int | None = None) -> HTMLResponse:
    t = translator(user.language)
    services = services_of(request)
    problem = ""
    rows: list[sms_log.LogRow] = []
    query = {"number": number, "lead": lead, "campaign": campaign, "status": status, "direction": direction,
             "date_from": date_from, "date_to": date_to}
    campaigns = await campaigns_repo.list_campaigns(services.pool)
    chosen = next((c for c in campaigns if str(c.id) == campaign.strip()), None)
    try:
        if lead.strip() and _int_or_none(lead) is None:
            raise ValueError(t("sms_bad_lead"))
        if (date_from.strip() and _date_or_none(date_from) is None) or (date_to.strip() and _date_or_none(date_to) is None):
            raise ValueError(t("sms_bad_date"))
        f = sms_log.LogFilter(number=number, lead_id=_int_or_none(lead), campaign_id=_int_or_none(campaign),
                              status=status.strip(), direction=direction.strip(), date_from=_date_or_none(date_from),
                              date_to=_date_or_none(date_to), region=chosen.default_region if chosen else None)
        if number.strip() and sms_log.number_condition(number, f.region) is None:
            raise ValueError(t("sms_bad_number"))
        rows = await sms_log.search(services.pool, f, before_id=before)
    except ValueError as exc:
        problem = str(exc)
    older = rows[-1].message["id"] if len(rows) == sms_log.PAGE else None
    return render(request, "sms_log.html", user, status_code=400 if problem else 200, problem=problem, rows=rows,
                  q=query, older=older, paged=before is not None, campaigns=campaigns, statuses=sms_log.STATUSES)


@router.get("/sms/stats", response_class=HTMLResponse)
async def statistics(request: Request, user: TeamLead, days: Days = 30, campaign: int | None = None) -> HTMLResponse:
    from admin_ui.sms_providers_view import prices_per_part

    services = services_of(request)
    now = services.clock.now()
    since = now - timedelta(days=days)
    figures = await sms_log.campaign_figures(services.pool, since=since, until=now,
                                             prices=prices_per_part(services.settings))
    chosen = campaign if campaign is not None else next((f.campaign_id for f in figures if f.campaign_id), None)
    per_day = await sms_log.daily(services.pool, campaign_id=chosen, since=since, until=now) if chosen else []
    return render(request, "sms_stats.html", user, figures=figures, days=days, chosen=chosen,
                  chosen_name=next((f.campaign_name for f in figures if f.campaign_id == chosen), ""),
                  sent_plot=[(d.strftime("%m-%d"), s) for d, s, _, _ in per_day],
                  failed_plot=[(d.strftime("%m-%d"), f) for d, _, _, f in per_day],
                  totals=_totals(figures))


def _totals(figures: list[sms_log.CampaignFigures]) -> dict[str, float | int | None]:
    keys = ("sent", "delivered", "failed", "refused", "received", "opt_outs", "parts")
    totals: dict[str, float | int | None] = {k: sum(getattr(f, k) for f in figures) for k in keys}
    costs = [f.cost for f in figures]
    totals["cost"] = None if any(c is None for c in costs) else round(sum(c for c in costs if c is not None), 4)
    return totals


@router.get("/sms/optouts", response_class=HTMLResponse)
async def optouts(request: Request, user: ComplianceReader, before: int | None = None) -> HTMLResponse:
    pool = services_of(request).pool
    rows = await sms_log.optout_audit(pool, before_id=before)
    return render(request, "sms_optouts.html", user, lists=await sms_log.optout_lists(pool), rows=rows,
                  older=rows[-1]["id"] if len(rows) == sms_log.PAGE else None)
