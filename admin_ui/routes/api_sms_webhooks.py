"""The providers' webhooks: delivery reports (``/sms/webhooks/{provider}/status``) and incoming messages
(``/sms/webhooks/{provider}/inbound``), POST (GET too: eSMS calls back with GET).

Machine endpoints: no session, so no CSRF token; each request is authenticated by its provider's signature
(``sms.webhooks``). A report with a bad signature (403), for an unknown message (404) or seen before (409) is
refused, logged (``sms_delivery_reports`` and the log) and changes nothing; an unreadable one is 400.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from admin_ui.auth import services_of
from sms import store
from sms.inbound import handle_incoming
from sms.provider_settings import SmsProviderConfig
from sms.providers.registry import config_of
from sms.webhooks import (
    IncomingSms,
    WebhookError,
    parse_esms_inbound,
    parse_esms_report,
    parse_generic_inbound,
    parse_generic_report,
    parse_twilio_inbound,
    parse_twilio_report,
    verify_esms_mo,
    verify_hmac,
    verify_token,
    verify_twilio,
)

log = logging.getLogger(__name__)
router = APIRouter()
_TOKEN = re.compile(r"([?&]token=)[^&\s]*")


class RedactWebhookToken(logging.Filter):
    """eSMS's status URL carries our secret ``token``: the web server's access log and httpx's request log
    (the simulated provider calling back in ``dialer demo``) show it as ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("token=" in str(a) for a in record.args):
            record.args = tuple(_TOKEN.sub(r"\1***", str(a)) if "token=" in str(a) else a for a in record.args)
        return True


for _name in ("uvicorn.access", "httpx"):
    if not any(isinstance(f, RedactWebhookToken) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(RedactWebhookToken())

REPORT_HTTP = {"applied": 200, "stale": 200, "duplicate": 409, "unknown_message": 404}
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signed_url(request: Request, config: SmsProviderConfig) -> str:
    """The URL the provider called, as it sees it (Twilio signs it): the configured public address when set."""
    if config.callback_base_url is None:
        return str(request.url)
    query = request.url.query
    return config.callback_base_url + request.url.path + (f"?{query}" if query else "")


async def _read(request: Request, config: SmsProviderConfig, *, inbound: bool) -> tuple[str | None, Any]:
    """(why the signature is refused or None, the payload to parse)."""
    raw = await request.body()
    # the provider's timestamp is wall-clock time on its machine: compare it with ours, not with the engine's
    # clock (which a demo may run faster)
    now_s = time.time()
    query = dict(request.query_params)
    if config.kind == "generic":
        problem = verify_hmac(config.secret("webhook_secret"), raw, request.headers, now_s=now_s)
        if problem:
            return problem, None
        try:
            return None, json.loads(raw)
        except ValueError:
            raise WebhookError("the body is not JSON") from None
    if config.kind == "twilio":
        params = parse_qsl(raw.decode(errors="replace"), keep_blank_values=True)
        return verify_twilio(config.secret("auth_token"), _signed_url(request, config), params, request.headers), \
            dict(params)
    data = {**dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True)), **query}
    if inbound:
        return verify_esms_mo(config.secret("cpid"), config.secret("private_key"), data), data
    return verify_token(config.secret("callback_token"), data.get("token")), data


@router.api_route("/sms/webhooks/{provider}/status", methods=["POST", "GET"], include_in_schema=False)
async def delivery_report(provider: str, request: Request) -> Response:
    services = services_of(request)
    config = config_of(services.settings, provider)
    if config is None:
        log.warning("delivery report for unknown SMS provider %r refused", provider)
        return JSONResponse({"detail": "no such provider"}, status_code=404)
    now = services.clock.now()
    try:
        problem, payload = await _read(request, config, inbound=False)
        if problem:
            await store.log_refused_report(services.pool, provider=provider, now=now, detail=problem)
            log.warning("delivery report from %s refused: %s", provider, problem)
            return JSONResponse({"detail": "signature refused", "outcome": "bad_signature"}, status_code=403)
        if config.kind == "generic":
            report = parse_generic_report(provider, payload)
        elif config.kind == "twilio":
            report = parse_twilio_report(provider, payload)
        else:
            report = parse_esms_report(provider, payload)
    except WebhookError as exc:
        log.warning("delivery report from %s unreadable: %s", provider, exc)
        return JSONResponse({"detail": str(exc)}, status_code=400)
    outcome = await store.apply_report(services.pool, report, now=now)
    if outcome != "applied":
        log.info("delivery report %s from %s (%s %s): %s", report.report_key, provider, report.provider_message_id,
                 report.status, outcome)
    return JSONResponse({"outcome": outcome}, status_code=REPORT_HTTP[outcome])


@router.api_route("/sms/webhooks/{provider}/inbound", methods=["POST", "GET"], include_in_schema=False)
async def incoming_message(provider: str, request: Request) -> Response:
    services = services_of(request)
    config = config_of(services.settings, provider)
    if config is None:
        log.warning("incoming message for unknown SMS provider %r refused", provider)
        return JSONResponse({"detail": "no such provider"}, status_code=404)
    try:
        problem, payload = await _read(request, config, inbound=True)
        if problem:
            log.warning("incoming message from %s refused: %s", provider, problem)
            return JSONResponse({"detail": "signature refused"}, status_code=403)
        incoming: IncomingSms
        if config.kind == "generic":
            incoming = parse_generic_inbound(provider, payload)
        elif config.kind == "twilio":
            incoming = parse_twilio_inbound(provider, payload)
        else:
            incoming = parse_esms_inbound(provider, payload)
    except WebhookError as exc:
        log.warning("incoming message from %s unreadable: %s", provider, exc)
        return JSONResponse({"detail": str(exc)}, status_code=400)
    result = await handle_incoming(services.pool, incoming, now=services.clock.now())
    if result.changed:
        log.info("%s texted %s: SMS opt-out list %s", incoming.phone, result.action,
                 "added" if result.action == "opt_out" else "removed")
    if config.kind == "twilio":
        return Response(TWIML_EMPTY, media_type="text/xml")
    if config.kind == "esms":     # eSMS's MO answer; an empty Message sends no reply
        body = (f"<ClientResponse><Message></Message><Smsid>{escape(incoming.provider_message_id)}</Smsid>"
                f"<Receiver>{escape(incoming.phone.removeprefix('+'))}</Receiver></ClientResponse>")
        return Response(body, media_type="text/xml")
    return JSONResponse({"stored": result.created, "action": result.action, "changed": result.changed})
