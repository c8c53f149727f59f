"""A generic JSON HTTP provider: ``POST {base_url}/v1/messages`` with a bearer token and JSON ``to``, ``from``,
``body``, ``unicode``, ``callback_url`` and ``idempotency_key`` (also sent as the ``Idempotency-Key``
header); the answer is ``{"id": ...}`` (2xx), the same id again for a key it has seen. Its delivery reports and
incoming messages are signed with HMAC-SHA256 (``sms.webhooks``). The simulated provider speaks it.
"""

from __future__ import annotations

import httpx

from sms.provider_settings import SmsProviderConfig
from sms.providers.base import Accepted, OutgoingSms, TransientError
from sms.providers.http import json_of, request

SEND_PATH = "/v1/messages"


class GenericJsonProvider:
    def __init__(self, config: SmsProviderConfig, client: httpx.AsyncClient) -> None:
        self.name = config.name
        self.config = config
        self.client = client
        self.url = config.base_url + SEND_PATH

    async def send(self, msg: OutgoingSms) -> Accepted:
        payload = {"to": msg.to, "from": msg.sender or self.config.sender, "body": msg.body, "unicode": msg.unicode,
                   "callback_url": msg.callback_url or self.config.webhook_url("status"), "idempotency_key": msg.key}
        response = await request(
            self.client, self.name, "POST", self.url, timeout_s=self.config.timeout_s, json=payload,
            headers={"Authorization": f"Bearer {self.config.secret('api_token')}", "Idempotency-Key": msg.key})
        message_id = json_of(response, self.name).get("id")
        if not isinstance(message_id, str) or not message_id:
            raise TransientError(f"{self.name}: HTTP {response.status_code} answer has no id", provider=self.name,
                                 status_code=response.status_code)
        return Accepted(message_id)
