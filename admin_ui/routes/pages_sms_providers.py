"""The SMS providers page, for admins only: each configured provider (``DIALER_SMS_PROVIDERS``) with its kind,
address, sender, rate limit and price per part, its credentials only as "set" (``admin_ui.sms_providers_view``
never shows a secret), and a "send a test message" form.

A test message belongs to no campaign: it is checked against the SMS opt-out and internal lists (an opted-out
number is refused, saying which list) but has no quiet hours; it is stored under a fresh key and handed to the
worker like any other (``sms.jobs.drain_job``), so the message log shows what became of it.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin_ui.app import render
from admin_ui.auth import AdminUser, CurrentUser, services_of
from admin_ui.i18n import translator
from admin_ui.routes.pages_sms_panel import _enqueue
from admin_ui.sms_providers_view import provider_views
from dialer.reasons import reason
from dnc.errors import InvalidNumber
from dnc.numbers import normalise
from sms import count_segments, store
from sms.consent import sms_blocks

router = APIRouter()


async def _page(request: Request, user: CurrentUser, *, problem: str = "", notice: str = "",
                status_code: int = 200) -> HTMLResponse:
    return render(request, "sms_providers.html", user, status_code=status_code, problem=problem, notice=notice,
                  providers=provider_views(services_of(request).settings))


@router.get("/sms/providers", response_class=HTMLResponse)
async def providers_page(request: Request, user: AdminUser, sent: int | None = None) -> HTMLResponse:
    t = translator(user.language)
    notice = t("sms_test_sent", id=sent) if sent else ""
    return await _page(request, user, notice=notice)


@router.post("/sms/providers/test")
async def send_test(request: Request, user: AdminUser, provider: Annotated[str, Form()] = "",
                    number: Annotated[str, Form()] = "", text: Annotated[str, Form()] = "") -> Response:
    t = translator(user.language)
    services = services_of(request)
    now = services.clock.now()
    names = [v.name for v in provider_views(services.settings)]
    if provider not in names:
        return await _page(request, user, problem=t("sms_panel_no_provider"), status_code=400)
    if not text.strip():
        return await _page(request, user, problem=t("sms_test_empty"), status_code=400)
    try:
        phone = normalise(number)
    except InvalidNumber as exc:
        return await _page(request, user, problem=f"{t('not_saved')} {exc}", status_code=400)
    body = text.strip()[:1000]
    seg = count_segments(body)
    async with services.pool.acquire() as conn:
        hit = (await sms_blocks(conn, [phone], campaign_id=None, now=now)).get(phone)
        why = None
        if hit is not None:
            why = reason("sms_opted_out" if hit.kind.value == "sms_optout" else "sms_dnc", number=phone,
                         list=hit.list_name)
        message, _ = await store.insert_outgoing(
            conn, key=f"test:{secrets.token_hex(8)}", phone=phone, body=body, now=now, agent_id=user.id,
            encoding=seg.encoding, parts=seg.parts, provider=provider, status="refused" if why else "pending",
            reason=why)
    if why is not None:
        from admin_ui.i18n import reason_text

        return await _page(request, user, status_code=409,
                           problem=f"{t('sms_panel_refused')} {reason_text(t, why.code, why.params_json, str(why))}")
    _enqueue(services, message.id)
    return RedirectResponse(f"/sms/providers?sent={message.id}", status_code=303)
