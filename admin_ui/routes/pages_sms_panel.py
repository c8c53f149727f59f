"""The agent panel's "Send SMS": the templates of the call's campaign (and those for every campaign), the
preview filled in for the call's lead with its parts, the send, and the lead's messages.

Everything is asked about a call (``call_id``, a ``call_records`` id): only the agent who took that call may
text its lead, during the call and for ``AFTER_CALL_S`` after it ended, and only while assigned to its
campaign; any other call, lead or agent is refused (403) and nothing is stored. Consent is checked at once
(``sms.consent.decide``: the opt-out and DNC lists that apply, quiet hours in the lead's zones): a refused
message is stored ``refused`` with its reason and the panel says why; one in quiet hours waits for the window.
A message is stored with its idempotency key (``panel:<call>:<template>``: the same template twice on one
call is one message) and handed to the worker as an rq job (``sms.jobs.drain_job``); the sender checks consent again
right before the hand-off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict

from admin_ui.auth import AgentUser, CurrentUser, services_of
from admin_ui.i18n import reason_text, translator
from agents_ws import leads
from campaigns.model import Campaign, Lead
from sms import count_segments, store
from sms.consent import UNKNOWN, Verdict, decide, recipient_zones, sms_blocks
from sms.context import LEAD_FIELDS, message_context
from sms.template_repository import SmsTemplate, TemplateNotFound, get_template, known_fields, list_templates
from sms.templates import TemplateRefused, render

log = logging.getLogger(__name__)
router = APIRouter()
AFTER_CALL_S = 3600.0


class SendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: int
    template_id: int


@dataclass(frozen=True, slots=True)
class CallLead:
    call_id: int
    lead: Lead
    campaign: Campaign


async def call_lead(conn: Any, user: CurrentUser, call_id: int, now: datetime) -> CallLead:
    """The lead of ``call_id`` if ``user`` took that call (still on it, or it ended under ``AFTER_CALL_S`` ago)
    and is assigned to its campaign; else ``HTTPException(403)`` (nothing says whose call it is)."""
    row = await conn.fetchrow("SELECT lead_id, agent_id, ended_at FROM call_records WHERE id = $1", call_id)
    if (row is None or row["agent_id"] != user.id or row["lead_id"] is None
            or (row["ended_at"] is not None and row["ended_at"] < now - timedelta(seconds=AFTER_CALL_S))):
        raise HTTPException(403, "you may text only the customer of your own call")
    found = await leads.lead_for(conn, user_id=user.id, role=user.role, lead_id=int(row["lead_id"]))
    if found is None:
        raise HTTPException(403, "you may text only the customer of your own call")
    return CallLead(call_id, found[0], found[1])


def lead_mapping(lead: Lead) -> dict[str, Any]:
    return {"first_name": lead.first_name, "last_name": lead.last_name, "phone_e164": lead.phone_e164,
            "postal_code": lead.postal_code, "fields": dict(lead.fields)}


async def filled_in(conn: Any, user: CurrentUser, target: CallLead, template: SmsTemplate) -> str:
    """The template filled in for the call's lead (``TemplateRefused``/``RenderFailed`` when it cannot be)."""
    callback_at = await conn.fetchval("SELECT due_at FROM callbacks WHERE lead_id = $1 AND done_at IS NULL"
                                      " ORDER BY due_at LIMIT 1", target.lead.id)
    zone = target.lead.zones_or(target.campaign.timezone)[0]
    columns = await known_fields(conn, campaign_id=target.campaign.id) - LEAD_FIELDS
    context = message_context(lead_mapping(target.lead), agent_name=user.display_name,
                              campaign={"name": target.campaign.name}, callback_at=callback_at, zone=zone,
                              columns=columns)
    return render(template.body, context, plain=template.plain)


async def _template(conn: Any, target: CallLead, template_id: int) -> SmsTemplate:
    try:
        template = await get_template(conn, template_id)
    except TemplateNotFound:
        raise HTTPException(404, "there is no such template") from None
    if template.campaign_id not in (None, target.campaign.id):
        raise HTTPException(403, "this template is not one of the campaign's")
    return template


def _segments(text: str) -> dict[str, Any]:
    seg = count_segments(text)
    return {"encoding": seg.encoding, "units": seg.units, "parts": seg.parts}


@router.get("/api/sms/panel/templates")
async def panel_templates(request: Request, user: AgentUser, call_id: int) -> dict[str, Any]:
    services = services_of(request)
    async with services.pool.acquire() as conn:
        target = await call_lead(conn, user, call_id, services.clock.now())
        templates = await list_templates(conn, usable_in=target.campaign.id)
    return {"items": [{"id": tpl.id, "name": tpl.name, "campaign": tpl.campaign_id is not None} for tpl in templates]}


@router.get("/api/sms/panel/preview")
async def panel_preview(request: Request, user: AgentUser, call_id: int, template_id: int) -> dict[str, Any]:
    services = services_of(request)
    t = translator(user.language)
    async with services.pool.acquire() as conn:
        target = await call_lead(conn, user, call_id, services.clock.now())
        template = await _template(conn, target, template_id)
        try:
            text = await filled_in(conn, user, target, template)
        except TemplateRefused as exc:
            return {"ok": False, "problem": t("sms_panel_cannot_fill", error=str(exc))}
    return {"ok": True, "text": text, "to": target.lead.phone_e164, **_segments(text)}


async def _consent(conn: Any, target: CallLead, now: datetime) -> Any:
    try:
        hits = await sms_blocks(conn, [target.lead.phone_e164], campaign_id=target.campaign.id, now=now)
        block: Any = hits.get(target.lead.phone_e164)
    except Exception:  # noqa: BLE001 - the lists could not be read: refuse (fail closed)
        block = UNKNOWN
    zones = recipient_zones(target.lead.timezones, target.campaign.timezone)
    return decide(number=target.lead.phone_e164, block=block, window=target.campaign.window, zones=zones, now=now)


def _provider(settings: Any) -> str | None:
    providers = getattr(settings, "sms_providers", None) or []
    return providers[0].name if providers else None


@router.post("/api/sms/panel/send")
async def panel_send(request: Request, user: AgentUser, body: SendBody) -> dict[str, Any]:
    services = services_of(request)
    t = translator(user.language)
    now = services.clock.now()
    async with services.pool.acquire() as conn:
        target = await call_lead(conn, user, body.call_id, now)
        template = await _template(conn, target, body.template_id)
        try:
            text = await filled_in(conn, user, target, template)
        except TemplateRefused as exc:
            return {"ok": False, "status": "not_sent", "reason": t("sms_panel_cannot_fill", error=str(exc))}
        provider = _provider(services.settings)
        if provider is None:
            return {"ok": False, "status": "not_sent", "reason": t("sms_panel_no_provider")}
        consent = await _consent(conn, target, now)
        seg = count_segments(text)
        refused = consent.verdict is Verdict.REFUSE
        message, new = await store.insert_outgoing(
            conn, key=f"panel:{target.call_id}:{template.id}", phone=target.lead.phone_e164, body=text, now=now,
            lead_id=target.lead.id, campaign_id=target.campaign.id, template_id=template.id, agent_id=user.id,
            encoding=seg.encoding, parts=seg.parts, provider=provider,
            status="refused" if refused else "pending", reason=consent.reason if refused else None,
            scheduled_for=consent.retry_at if consent.verdict is Verdict.DEFER else None)
    if not new:
        return {"ok": False, "status": message.status, "message_id": message.id,
                "reason": t("sms_panel_already_sent")}
    if refused:
        why = reason_text(t, getattr(consent.reason, "code", ""), getattr(consent.reason, "params_json", ""),
                          str(consent.reason))
        return {"ok": False, "status": "refused", "message_id": message.id, "reason": why}
    _enqueue(services, message.id)
    if consent.verdict is Verdict.DEFER and consent.retry_at is not None:
        zone = target.lead.zones_or(target.campaign.timezone)[0]
        return {"ok": True, "status": "pending", "message_id": message.id,
                "reason": t("sms_panel_waits", at=_local(consent.retry_at, zone))}
    return {"ok": True, "status": "pending", "message_id": message.id}


def _local(at: datetime, zone: str) -> str:
    from zoneinfo import ZoneInfo

    return f"{at.astimezone(ZoneInfo(zone)).strftime('%Y-%m-%d %H:%M')} ({zone})"


def _enqueue(services: Any, message_id: int) -> None:
    """Hand the message to the worker: an rq job draining this one id through its provider
    (``sms.jobs.drain_job``). Without the backends' URLs (a web process started without them) the message waits
    for the next drain of every due message."""
    from dialer import jobs
    from sms import jobs as sms_jobs

    database_url = services.extras.get("database_url")
    redis_url = services.extras.get("redis_url") or services.settings.redis_url
    if not database_url or not redis_url:
        log.warning("SMS %s stored but not enqueued: this process has no database or Redis URL", message_id)
        return
    jobs.enqueue(services.redis, sms_jobs.drain_job, database_url, redis_url, message_ids=[message_id],
                 description=f"SMS {message_id}")


@router.get("/api/sms/panel/messages")
async def panel_messages(request: Request, user: AgentUser, call_id: int) -> dict[str, Any]:
    services = services_of(request)
    t = translator(user.language)
    async with services.pool.acquire() as conn:
        target = await call_lead(conn, user, call_id, services.clock.now())
        return {"items": await leads.sms_history(conn, lead_id=target.lead.id, t=t)}
