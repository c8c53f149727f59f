"""A Twilio-compatible REST provider: ``POST {base_url}/2010-04-01/Accounts/{account}/Messages.json`` with form
fields ``To``, ``From``, ``Body``, ``StatusCallback`` and HTTP basic auth (account SID, auth token).

Twilio's Messages API has no idempotency key; we send ours as the ``Idempotency-Key`` header, which the
simulated provider honours (real Twilio ignores it: configure ``deduplicates: false`` for it, so a sender
never retries a send whose outcome is unknown).
"""

from __future__ import annotations

import httpx

from sms.provider_settings import SmsProviderConfig
from sms.providers.base import Accepted, OutgoingSms, TransientError
from sms.providers.http import json_of, request


class TwilioProvider:
    def __init__(self, config: SmsProviderConfig, client: httpx.AsyncClient) -> None:
        self.name = config.name
        self.config = config
        self.client = client
        self.url = f"{config.base_url}/2010-04-01/Accounts/{config.secret('account_sid')}/Messages.json"

    async def send(self, msg: OutgoingSms) -> Accepted:
        form = {"To": msg.to, "From": msg.sender or self.config.sender, "Body": msg.body}
        callback = msg.callback_url or self.config.webhook_url("status")
        if callback:
            form["StatusCallback"] = callback
        response = await request(
            self.client, self.name, "POST", self.url, timeout_s=self.config.timeout_s, data=form,
            auth=(self.config.secret("account_sid"), self.config.secret("auth_token")),
            headers={"Idempotency-Key": msg.key, "Accept": "application/json"})
        sid = json_of(response, self.name).get("sid")
        if not isinstance(sid, str) or not sid:
            raise TransientError(f"{self.name}: HTTP {response.status_code} answer has no message sid",
                                 provider=self.name, status_code=response.status_code)
        return Accepted(sid)
