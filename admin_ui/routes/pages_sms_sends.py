"""Bulk and scheduled SMS sends for team leads: choose a template and a campaign (or a lead search in it), see
the estimate, confirm, follow the progress bar, cancel; and the list of sends.

A send is ``sms.bulk``'s: ``create_send`` makes a draft, ``estimate`` (an rq job: ``admin_ui.sms_send_jobs``) renders and counts the message of every
recipient (worst case and total parts, cost at the provider's price per part, recipients refused by consent and
why, those in quiet hours now, those the template cannot be filled in for), ``confirm`` makes it active,
``cancel`` stops it (nothing of it reaches a provider afterwards). A bulk send is then made and drained by an rq
job (``sms.jobs.start_send``: ``materialise_all``, then drain jobs); scheduled ones (``birthday``: a date column of
the lead at a local time of day; ``before_callback``: N hours before each open callback; ``at``: a date and
time in the campaign's zone) are made by ``sms.scheduler`` when due. The progress bar polls
``/api/sms/sends/{id}`` (``sms.bulk.progress``: the messages by status, every worker's).
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin_ui.app import render
from admin_ui.auth import CurrentUser, TeamLead, services_of
from admin_ui.i18n import translator
from admin_ui.sms_providers_view import prices_per_part
from admin_ui.sms_send_jobs import estimate_job
from campaigns import repository as campaigns_repo
from campaigns.errors import CampaignError, NotFound
from campaigns.windows import WindowError, local_time_to_utc
from dialer import jobs
from sms import bulk
from sms.template_repository import TemplateNotFound, get_template, list_templates

log = logging.getLogger(__name__)
router = APIRouter()
KINDS = ("bulk", "birthday", "before_callback", "at")


async def _form_page(request: Request, user: CurrentUser, *, problem: str = "", form: dict[str, str] | None = None,
                     status_code: int = 200) -> HTMLResponse:
    services = services_of(request)
    async with services.pool.acquire() as conn:
        templates = await list_templates(conn)
        campaigns = await campaigns_repo.list_campaigns(conn)
        sends = [dict(r) for r in await conn.fetch(
            "SELECT s.id, s.kind, s.state, s.name, s.campaign_id, c.name AS campaign_name, s.created_at, s.send_at,"
            " s.date_field, s.local_minute, s.hours_before,"
            " (SELECT count(*) FROM sms_messages m WHERE m.send_id = s.id) AS messages"
            " FROM sms_sends s LEFT JOIN campaigns c ON c.id = s.campaign_id ORDER BY s.id DESC LIMIT 100")]
    return render(request, "sms_sends.html", user, status_code=status_code, problem=problem, templates=templates,
                  campaigns=campaigns, sends=sends, kinds=KINDS, form=form or {})


@router.get("/sms/sends", response_class=HTMLResponse)
async def sends_page(request: Request, user: TeamLead) -> HTMLResponse:
    return await _form_page(request, user)


def _local_minute(text: str) -> int | None:
    try:
        at = time.fromisoformat(text.strip())
    except ValueError:
        return None
    return at.hour * 60 + at.minute


@router.post("/sms/sends")
async def create(request: Request, user: TeamLead, template_id: Annotated[str, Form()] = "",
                 campaign_id: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "bulk",
                 name: Annotated[str, Form()] = "", text: Annotated[str, Form()] = "",
                 status: Annotated[str, Form()] = "", send_at: Annotated[str, Form()] = "",
                 date_field: Annotated[str, Form()] = "", local_time: Annotated[str, Form()] = "",
                 hours_before: Annotated[str, Form()] = "") -> Response:
    """A draft send from the form, estimated at once; the estimate page follows."""
    t = translator(user.language)
    services = services_of(request)
    now = services.clock.now()
    form = {"template_id": template_id, "campaign_id": campaign_id, "kind": kind, "name": name, "text": text,
            "status": status, "send_at": send_at, "date_field": date_field, "local_time": local_time,
            "hours_before": hours_before}
    providers = services.settings.sms_providers
    try:
        if not providers:
            raise bulk.SendError(t("sms_panel_no_provider"))
        if kind not in KINDS:
            raise bulk.SendError(t("sms_send_bad_kind"))
        if not template_id.isdigit() or not campaign_id.isdigit():
            raise bulk.SendError(t("sms_send_choose"))
        async with services.pool.acquire() as conn:
            template = await get_template(conn, int(template_id))
            campaign = await campaigns_repo.get_campaign(conn, campaign_id=int(campaign_id))
        if template.campaign_id not in (None, campaign.id):
            raise bulk.SendError(t("sms_send_template_other_campaign"))
        lead_filter: dict[str, Any] = {}
        if text.strip():
            lead_filter["text"] = text.strip()
        if status.strip():
            lead_filter["statuses"] = [status.strip()]
        at = None
        if kind == "at":
            try:
                at = local_time_to_utc(datetime.fromisoformat(send_at.strip()).replace(tzinfo=None), campaign.timezone)
            except (ValueError, WindowError):
                raise bulk.SendError(t("sms_send_bad_at")) from None
            if at <= now:
                raise bulk.SendError(t("sms_send_past"))
        minute = _local_minute(local_time) if kind == "birthday" else None
        if kind == "birthday" and (minute is None or not date_field.strip()):
            raise bulk.SendError(t("sms_send_bad_birthday"))
        hours = None
        if kind == "before_callback":
            try:
                hours = float(hours_before.strip().replace(",", "."))
            except ValueError:
                raise bulk.SendError(t("sms_send_bad_hours")) from None
        spec = bulk.SendSpec(kind=kind, campaign_id=campaign.id, body=template.body, provider=providers[0].name,
                             plain=template.plain, template_id=template.id, name=name.strip()[:200],
                             lead_filter=lead_filter, send_at=at, date_field=date_field.strip() or None,
                             local_minute=minute, hours_before=hours)
        send = await bulk.create_send(services.pool, spec, now=now, created_by=user.id)
        price = prices_per_part(services.settings).get(spec.provider, 0.0)
        database_url = services.extras.get("database_url")
        if database_url:        # off the event loop the engine and the panels share (admin_ui.sms_send_jobs)
            job = jobs.enqueue(services.redis, estimate_job, database_url, send.id, price,
                               description=f"SMS send {send.id}: estimate")
            return RedirectResponse(f"/sms/sends/{send.id}?job={job.id}", status_code=303)
        await bulk.estimate(services.pool, send_id=send.id, now=now, price_per_part=price)   # no backends' URLs
    except (TemplateNotFound, NotFound):
        return await _form_page(request, user, problem=t("sms_send_choose"), form=form, status_code=400)
    except (bulk.SendError, CampaignError, ValueError) as exc:
        return await _form_page(request, user, problem=f"{t('not_saved')} {exc}", form=form, status_code=400)
    return RedirectResponse(f"/sms/sends/{send.id}", status_code=303)


async def _send(request: Request, send_id: int) -> bulk.Send:
    try:
        return await bulk.get_send(services_of(request).pool, send_id=send_id)
    except bulk.SendError:
        raise HTTPException(404, "there is no such send") from None


@router.get("/sms/sends/{send_id:int}", response_class=HTMLResponse)
async def send_page(request: Request, user: TeamLead, send_id: int, done: str = "", job: str = "") -> HTMLResponse:
    services = services_of(request)
    send = await _send(request, send_id)
    async with services.pool.acquire() as conn:
        campaign = await campaigns_repo.get_campaign(conn, campaign_id=send.campaign_id)
        progress = await bulk.progress(conn, send_id=send.id)
    t = translator(user.language)
    notice = {"confirmed": t("sms_send_confirmed"), "cancelled": t("sms_send_cancelled")}.get(done, "")
    estimating = bool(job) and send.estimate is None and send.state == "draft"
    return render(request, "sms_send.html", user, send=send, campaign=campaign, estimate=send.estimate or {},
                  progress=progress, notice=notice, job_id=job if estimating else "",
                  local_time=f"{send.local_minute // 60:02d}:{send.local_minute % 60:02d}"
                  if send.local_minute is not None else "")


@router.post("/sms/sends/{send_id:int}/confirm")
async def confirm(request: Request, user: TeamLead, send_id: int) -> Response:
    t = translator(user.language)
    services = services_of(request)
    send = await _send(request, send_id)
    try:
        send = await bulk.confirm(services.pool, send_id=send.id, now=services.clock.now())
    except bulk.SendError as exc:
        raise HTTPException(409, f"{t('not_saved')} {exc}") from None
    if send.kind == "bulk":
        _start(services, send.id)
    return RedirectResponse(f"/sms/sends/{send.id}?done=confirmed", status_code=303)


def _start(services: Any, send_id: int) -> None:
    """Make the bulk send's messages and drain them in the worker (``sms.jobs.start_send``)."""
    from sms import jobs as sms_jobs

    database_url = services.extras.get("database_url")
    redis_url = services.extras.get("redis_url") or services.settings.redis_url
    if not database_url or not redis_url:
        log.warning("SMS send %s confirmed but not started: this process has no database or Redis URL", send_id)
        return
    sms_jobs.start_send(services.redis, database_url, redis_url, send_id)


@router.post("/sms/sends/{send_id:int}/cancel")
async def cancel(request: Request, user: TeamLead, send_id: int) -> Response:
    t = translator(user.language)
    services = services_of(request)
    send = await _send(request, send_id)
    try:
        await bulk.cancel(services.pool, send_id=send.id, clock=services.clock, wait_s=5.0)
    except bulk.SendError as exc:
        raise HTTPException(409, f"{t('not_saved')} {exc}") from None
    return RedirectResponse(f"/sms/sends/{send.id}?done=cancelled", status_code=303)


@router.get("/api/sms/sends/{send_id:int}")
async def send_progress(request: Request, user: TeamLead, send_id: int) -> dict[str, Any]:
    """The send's messages by status, for its progress bar."""
    try:
        p = await bulk.progress(services_of(request).pool, send_id=send_id)
    except bulk.SendError:
        raise HTTPException(404, "there is no such send") from None
    return {"id": send_id, "state": p.state, "total": p.total, "done": p.done, "pending": p.pending,
            "by_status": p.by_status, "percent": round(100.0 * p.done / p.total, 1) if p.total else None}
