"""Webhook signatures and payloads of every provider kind, and the opt-out keywords: pure functions, no I/O.

Signatures:
- generic (and the simulated provider): ``X-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>``
  with ``X-Signature-Timestamp: <unix seconds>``; a timestamp more than ``TOLERANCE_S`` away is refused, so an old
  signed request cannot be replayed later.
- twilio: ``X-Twilio-Signature: base64(HMAC-SHA1(auth_token, url + every POST parameter's name and value,
  sorted by name))`` (Twilio's "Webhooks security" documentation).
- esms: delivery reports are not signed by eSMS; the status URL we give it carries a secret ``token`` parameter.
  Incoming messages (MO) carry ``sign = base64(MD5(cpid + smsid + content + receiverTime + private_key))``.

Statuses are mapped onto ours: queued, sent, delivered, failed, undelivered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sms.store import REPORT_STATUSES, DeliveryReport

TOLERANCE_S = 300.0
SIGNATURE_HEADER = "x-signature"
TIMESTAMP_HEADER = "x-signature-timestamp"
TWILIO_HEADER = "x-twilio-signature"


class WebhookError(ValueError):
    """A webhook request that cannot be read; the text says what is wrong with it (never a secret)."""


@dataclass(frozen=True, slots=True)
class IncomingSms:
    provider: str
    provider_message_id: str
    phone: str          # the sender, E.164
    body: str


# --- signatures -------------------------------------------------------------------------------------------------

def hmac_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The generic scheme's ``X-Signature`` value."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def hmac_headers(secret: str, body: bytes, *, now_s: float) -> dict[str, str]:
    """The headers a sender of the generic scheme (the simulated provider) adds."""
    timestamp = str(int(now_s))
    return {"X-Signature-Timestamp": timestamp, "X-Signature": hmac_signature(secret, timestamp, body)}


def verify_hmac(secret: str, body: bytes, headers: Mapping[str, str], *, now_s: float,
                tolerance_s: float = TOLERANCE_S) -> str | None:
    """None when the generic signature is good; else why it is refused."""
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    sent = headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not sent:
        return "no signature"
    try:
        at = float(timestamp)
    except ValueError:
        return "unreadable signature timestamp"
    if abs(now_s - at) > tolerance_s:
        return f"signature timestamp {abs(now_s - at):.0f} s away from now"
    if not hmac.compare_digest(sent, hmac_signature(secret, timestamp, body)):
        return "bad signature"
    return None


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's ``X-Twilio-Signature`` for a POST of form ``params`` to ``url``."""
    data = url + "".join(f"{k}{v}" for k, v in sorted(params, key=lambda kv: (kv[0], kv[1])))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def verify_twilio(auth_token: str, url: str, params: Iterable[tuple[str, str]], headers: Mapping[str, str]) -> str | None:
    sent = headers.get(TWILIO_HEADER, "")
    if not sent:
        return "no X-Twilio-Signature"
    if not hmac.compare_digest(sent, twilio_signature(auth_token, url, params)):
        return "bad X-Twilio-Signature"
    return None


def verify_token(expected: str, sent: str | None) -> str | None:
    """eSMS delivery reports: the secret token of the status URL."""
    if not expected:
        return "no callback_token is configured for this provider"
    if not sent or not hmac.compare_digest(sent, expected):
        return "bad token"
    return None


def esms_mo_sign(cpid: str, smsid: str, content: str, receiver_time: str, private_key: str) -> str:
    return base64.b64encode(hashlib.md5((cpid + smsid + content + receiver_time + private_key).encode()).digest()).decode()


def verify_esms_mo(cpid: str, private_key: str, query: Mapping[str, str]) -> str | None:
    if not cpid or not private_key:
        return "no cpid/private_key is configured for this provider"
    if query.get("cpid", "") != cpid:
        return "unknown cpid"
    expected = esms_mo_sign(cpid, query.get("smsid", ""), query.get("content", ""), query.get("receiverTime", ""),
                            private_key)
    if not hmac.compare_digest(query.get("sign", ""), expected):
        return "bad sign"
    return None


# --- numbers ----------------------------------------------------------------------------------------------------

def e164(raw: str, *, default_country: str = "84") -> str:
    """A sender's number as E.164: '+84901234567', '84901234567' and the national '0901234567' all give
    '+84901234567'. Raises WebhookError for anything else."""
    digits = re.sub(r"[\s().-]", "", raw or "")
    if digits.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = "+" + digits[2:]
    elif digits.startswith("0"):
        number = "+" + default_country + digits[1:]
    else:
        number = "+" + digits
    if not re.fullmatch(r"\+[1-9][0-9]{5,14}", number):
        raise WebhookError(f"{raw!r} is not a phone number")
    return number


# --- payloads ---------------------------------------------------------------------------------------------------

def _required(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None or str(value) == "":
        raise WebhookError(f"missing {key}")
    return str(value)


def parse_generic_report(provider: str, data: Any) -> DeliveryReport:
    """``{"event_id", "message_id", "idempotency_key", "status", "reason"}``."""
    if not isinstance(data, dict):
        raise WebhookError("the body is not a JSON object")
    status = _required(data, "status")
    if status not in REPORT_STATUSES:
        raise WebhookError(f"unknown status {status!r}")
    return DeliveryReport(provider=provider, provider_message_id=_required(data, "message_id"), status=status,
                          report_key=_required(data, "event_id"), idempotency_key=data.get("idempotency_key") or None,
                          reason=data.get("reason") or None)


def parse_generic_inbound(provider: str, data: Any) -> IncomingSms:
    """``{"message_id", "from", "to", "body"}``."""
    if not isinstance(data, dict):
        raise WebhookError("the body is not a JSON object")
    return IncomingSms(provider, _required(data, "message_id"), e164(_required(data, "from")), str(data.get("body", "")))


# Twilio's MessageStatus values onto ours (Twilio's "Message resource" documentation).
TWILIO_STATUS = {"accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "sent", "sent": "sent",
                 "delivered": "delivered", "read": "delivered", "undelivered": "undelivered", "failed": "failed",
                 "canceled": "failed"}


def parse_twilio_report(provider: str, form: Mapping[str, str]) -> DeliveryReport:
    sid = _required(form, "MessageSid")
    raw = _required(form, "MessageStatus")
    status = TWILIO_STATUS.get(raw)
    if status is None:
        raise WebhookError(f"unknown MessageStatus {raw!r}")
    code = form.get("ErrorCode") or ""
    return DeliveryReport(provider=provider, provider_message_id=sid, status=status, report_key=f"{sid}:{raw}",
                          reason=f"Twilio error {code}" if code else (raw if raw == "canceled" else None))


def parse_twilio_inbound(provider: str, form: Mapping[str, str]) -> IncomingSms:
    return IncomingSms(provider, _required(form, "MessageSid"), e164(_required(form, "From")), form.get("Body", ""))


# eSMS SendStatus: 1 waiting for approval, 2 waiting to send, 4 rejected, 5 done (SendSuccess/SendFailed say how),
# 7 sent to the network, waiting for its report (eSMS "Callback Url" documentation).
def parse_esms_report(provider: str, query: Mapping[str, str]) -> DeliveryReport:
    sms_id = _required(query, "SMSID")
    send_status = _required(query, "SendStatus")
    success, failed = query.get("SendSuccess", "0") or "0", query.get("SendFailed", "0") or "0"
    reason = None
    if send_status in ("1", "2"):
        status = "queued"
    elif send_status == "7":
        status = "sent"
    elif send_status == "4":
        status, reason = "failed", "rejected by eSMS (SendStatus 4)"
    elif send_status == "5":
        status = "delivered" if success not in ("", "0") and failed in ("", "0") else "undelivered"
    else:
        raise WebhookError(f"unknown SendStatus {send_status!r}")
    return DeliveryReport(provider=provider, provider_message_id=sms_id, status=status,
                          report_key=f"{sms_id}:{send_status}:{success}:{failed}",
                          idempotency_key=query.get("RequestId") or None, reason=reason)


def parse_esms_inbound(provider: str, query: Mapping[str, str]) -> IncomingSms:
    return IncomingSms(provider, _required(query, "smsid"), e164(_required(query, "sender")), query.get("content", ""))


# --- opt-out keywords -------------------------------------------------------------------------------------------

OPT_OUT = frozenset({"stop", "unsubscribe", "end", "quit", "cancel", "optout", "tuchoi", "huy"})
OPT_IN = frozenset({"start"})


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), no whitespace, no punctuation around: 'Từ  chối!' -> 'tuchoi'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", "", plain).strip(".,;:!?'\"()[]-_*")


def keyword_of(body: str) -> Literal["opt_out", "opt_in"] | None:
    """What an incoming message asks, when the whole message is a keyword: ``opt_out`` (STOP, UNSUBSCRIBE, END,
    QUIT, CANCEL, OPTOUT, TU CHOI, HUY) or ``opt_in`` (START); None for any other text."""
    word = fold(body)
    if word in OPT_OUT:
        return "opt_out"
    if word in OPT_IN:
        return "opt_in"
    return None
