"""Compliance officers' page: each campaign's abandonment over 24 hours and 30 days against its cap, and the numbers
the hopper refused at dial time for being on a DNC list; CSV and XLSX of the same table."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from admin_ui import report_kinds, reports
from admin_ui.app import render
from admin_ui.auth import Compliance, services_of
from admin_ui.reports import Period
from campaigns import repository
from dialer.safe_export import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE

router = APIRouter()


@router.get("/compliance", response_class=HTMLResponse)
async def abandonment_page(request: Request, user: Compliance, campaign: int | None = None) -> HTMLResponse:
    services = services_of(request)
    now = services.clock.now()
    campaigns = await repository.list_campaigns(services.pool)
    rows = await reports.abandonment(services.pool, now=now, campaigns=[
        (c.id, c.name, c.pacing.target_abandon) for c in campaigns])
    chosen = campaign if campaign is not None else (rows[0].campaign_id if rows else None)
    daily = await reports.daily_abandonment(services.pool, campaign_id=chosen, now=now) if chosen is not None else []
    return render(request, "compliance.html", user, rows=rows, chosen=chosen, daily=daily,
                  chosen_row=next((r for r in rows if r.campaign_id == chosen), None))


def _exporter(fmt: str):  # type: ignore[no-untyped-def]
    async def export(request: Request, user: Compliance) -> Response:
        services = services_of(request)
        now = services.clock.now()
        table = await report_kinds.table(services.pool, "compliance", Period(None, now, now), now=now)
        return Response(report_kinds.file_bytes(table, fmt, sheet="compliance"),
                        media_type=CSV_MEDIA_TYPE if fmt == "csv" else XLSX_MEDIA_TYPE,
                        headers={"content-disposition": f'attachment; filename="compliance-{now:%Y%m%d}.{fmt}"'})
    return export


router.add_api_route("/compliance.csv", _exporter("csv"), methods=["GET"], name="compliance_csv")
router.add_api_route("/compliance.xlsx", _exporter("xlsx"), methods=["GET"], name="compliance_xlsx")
