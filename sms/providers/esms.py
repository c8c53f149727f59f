"""A Vietnamese brandname provider in the style of eSMS.vn: ``POST {base_url}/MainService.svc/json/
SendMultipleMessage_V4_post_json/`` with JSON ``ApiKey``, ``SecretKey``, ``Phone``, ``Content``, ``Brandname``,
``SmsType``, ``IsUnicode``, ``RequestId`` (our idempotency key: eSMS refuses a repeated one with code 124)
and ``CallbackUrl``.

eSMS answers HTTP 200 with ``CodeResult``: ``100`` accepted (``SMSID`` is its id; accepted only, delivery comes
later through the callback), ``124`` duplicate RequestId (``AlreadyAccepted``), anything else refused for good
(99 number blocked, 101 wrong ApiKey/SecretKey, 103 balance too low, 104 unknown brandname, 108 malformed number,
140 IP not allowed, 146 wrong customer-care template, 177 network not registered ...). Source: eSMS's developer
documentation (developers.esms.vn, "Send OTP/Customer care message" and "Table of error codes").
"""

from __future__ import annotations

import httpx

from sms.provider_settings import SmsProviderConfig
from sms.providers.base import Accepted, AlreadyAccepted, OutgoingSms, PermanentError, TransientError
from sms.providers.http import json_of, request

SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
ACCEPTED = "100"
DUPLICATE_REQUEST = "124"
CODES = {"99": "the number is blocked", "101": "wrong ApiKey or SecretKey", "102": "no price list",
         "103": "balance too low", "104": "brandname not registered", "108": "malformed phone number",
         "124": "duplicate RequestId", "140": "IP address not whitelisted", "146": "wrong customer-care template",
         "177": "network not registered", "300": "missing message type"}


def esms_phone(e164: str) -> str:
    """eSMS takes the number without '+' (84901234567)."""
    return e164.removeprefix("+")


class EsmsProvider:
    def __init__(self, config: SmsProviderConfig, client: httpx.AsyncClient) -> None:
        self.name = config.name
        self.config = config
        self.client = client
        self.url = config.base_url + SEND_PATH

    async def send(self, msg: OutgoingSms) -> Accepted:
        payload = {
            "ApiKey": self.config.secret("api_key"), "SecretKey": self.config.secret("secret_key"),
            "Phone": esms_phone(msg.to), "Content": msg.body, "Brandname": msg.sender or self.config.sender,
            "SmsType": self.config.sms_type, "IsUnicode": "1" if msg.unicode else "0", "RequestId": msg.key,
        }
        callback = msg.callback_url or self.config.webhook_url("status")
        if callback:
            payload["CallbackUrl"] = callback
        response = await request(self.client, self.name, "POST", self.url, timeout_s=self.config.timeout_s,
                                 json=payload)
        data = json_of(response, self.name)
        code = str(data.get("CodeResult", ""))
        if code == ACCEPTED:
            sms_id = data.get("SMSID")
            if not isinstance(sms_id, str) or not sms_id:
                raise TransientError(f"{self.name}: CodeResult 100 without an SMSID", provider=self.name)
            return Accepted(sms_id)
        if code == DUPLICATE_REQUEST:
            raise AlreadyAccepted(f"{self.name}: RequestId {msg.key} was already accepted (CodeResult 124)",
                                  provider=self.name)
        what = CODES.get(code) or str(data.get("ErrorMessage") or "refused")[:200]
        raise PermanentError(f"{self.name}: CodeResult {code or '?'}: {what}", provider=self.name)
