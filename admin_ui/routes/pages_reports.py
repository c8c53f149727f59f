"""Team leads' reports: results by disposition, per agent and per hour, as tables, charts and CSV."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from admin_ui import reports
from admin_ui.app import render
from admin_ui.auth import TeamLead, services_of
from admin_ui.i18n import MESSAGES, translator
from campaigns import queue_repository, repository
from campaigns.errors import NotFound
from dialer.safe_export import csv_writer

router = APIRouter()
KINDS = ("dispositions", "agents", "hours")


async def _period(request: Request, campaign: int | None, days: int) -> tuple[reports.Period, list]:  # type: ignore[type-arg]
    services = services_of(request)
    campaigns = await repository.list_campaigns(services.pool)
    zone = "UTC"
    if campaign is not None:
        try:
            zone = (await repository.get_campaign(services.pool, campaign_id=campaign)).timezone
        except NotFound:
            raise HTTPException(404, "there is no such campaign") from None
    now = services.clock.now()
    return reports.Period(campaign, now - timedelta(days=days), now + timedelta(minutes=1), zone), campaigns


Days = Annotated[int, Query(ge=1, le=366)]


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, user: TeamLead, campaign: int | None = None, days: Days = 7) -> HTMLResponse:
    period, campaigns = await _period(request, campaign, days)
    pool = services_of(request).pool
    t = translator(user.language)
    labels = reports.disposition_labels(campaigns, campaign)

    def outcome_label(code: str) -> str:
        return t(f"out_{code}") if f"out_{code}" in MESSAGES else ""

    dispositions = [(reports.result_label(r, labels, outcome_label), r)
                    for r in await reports.by_disposition(pool, period)]
    return render(request, "reports.html", user, campaigns=campaigns, campaign=campaign, days=days, period=period,
                  dispositions=dispositions, agents=await reports.per_agent(pool, period),
                  hours=await reports.per_hour(pool, period), queues=await queue_repository.list_queues(pool))


@router.get("/reports/{kind}.csv")
async def report_csv(request: Request, user: TeamLead, kind: str, campaign: int | None = None,
                     days: Days = 7) -> Response:
    if kind not in KINDS:
        raise HTTPException(404, f"no report {kind!r}; reports are {', '.join(KINDS)}")
    period, _ = await _period(request, campaign, days)
    pool = services_of(request).pool
    out = io.StringIO()
    writer = csv_writer(out)  # cells a spreadsheet would run as formulas are quoted
    if kind == "dispositions":
        writer.writerow(["result", "is_disposition", "calls"])
        writer.writerows((r.result, r.is_disposition, r.calls) for r in await reports.by_disposition(pool, period))
    elif kind == "agents":
        writer.writerow(["agent", "calls", "talk_s", "wrap_s", "average_handle_s", "sales"])
        writer.writerows((r.agent, r.calls, round(r.talk_s), round(r.wrap_s), round(r.average_handle_s), r.sales)
                         for r in await reports.per_agent(pool, period))
    else:
        writer.writerow([f"hour ({period.zone})", "attempts", "answered", "handled", "abandoned"])
        writer.writerows((r.hour.strftime("%Y-%m-%d %H:00"), r.attempts, r.answered, r.handled, r.abandoned)
                         for r in await reports.per_hour(pool, period))
    name = f"{kind}-{'all' if campaign is None else campaign}-{days}d.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
