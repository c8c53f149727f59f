"""Compliance officers' abandonment page: each campaign's rate over 24 hours and 30 days against its cap."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from admin_ui import reports
from admin_ui.app import render
from admin_ui.auth import Compliance, services_of
from campaigns import repository

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
