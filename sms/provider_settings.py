"""``DIALER_SMS_PROVIDERS``: the SMS providers, validated once at start; a bad entry is refused naming its field.

The setting is a JSON list (environment) or a TOML array of tables (config file), one entry per provider::

    [{"name": "sim", "kind": "generic", "base_url": "http://127.0.0.1:8025",
      "credentials": {"api_token": "...", "webhook_secret": "..."}, "sender": "DIALER"}]

``kind`` is ``twilio``, ``esms`` or ``generic`` (the simulated provider speaks all three). Credentials are
``SecretStr``: they never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

Kind = Literal["twilio", "esms", "generic"]

# The credentials each kind needs, and those it may have.
REQUIRED: dict[str, tuple[str, ...]] = {
    "twilio": ("account_sid", "auth_token"),
    "esms": ("api_key", "secret_key"),
    "generic": ("api_token", "webhook_secret"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "twilio": (),
    # callback_token: the secret put in the callback URL (eSMS signs no delivery report);
    # cpid/private_key: eSMS's signature of incoming messages (MO)
    "esms": ("callback_token", "cpid", "private_key"),
    "generic": (),
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class SmsProviderConfig(BaseModel):
    """One provider. ``callback_base_url`` is where the provider reaches this dialer (its public address);
    the delivery-report and inbound webhooks are ``{callback_base_url}/sms/webhooks/{name}/status|inbound``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Kind
    base_url: str
    credentials: dict[str, SecretStr] = Field(default_factory=dict)
    sender: str = ""                      # From number (Twilio, generic) or registered brandname (eSMS)
    callback_base_url: str | None = None
    sms_type: str = "2"                   # eSMS SmsType: 2 customer care (brandname)
    rate_per_s: float = Field(10.0, gt=0, le=10000)   # the provider's limit, for sms.rate_limit
    timeout_s: float = Field(10.0, gt=0, le=120)
    # The provider honours our idempotency key, so a send whose outcome is unknown (a timeout) may be retried.
    # Unset: true for esms (RequestId) and generic, false for twilio (real Twilio has no key; the simulated one
    # honours the Idempotency-Key header, so its entry says true).
    deduplicates: bool = True
    price_per_part: float = Field(0.0, ge=0)   # cost of one SMS part, for a bulk send's estimate (sms.bulk)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("must be 1-32 lowercase letters, digits, '-' or '_' (it is part of the webhook URL)")
        return value

    @field_validator("base_url", "callback_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="before")
    @classmethod
    def _deduplicates_by_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("deduplicates") is None:
            return {**data, "deduplicates": data.get("kind") != "twilio"}
        return data

    @model_validator(mode="after")
    def _credentials(self) -> SmsProviderConfig:
        allowed = REQUIRED[self.kind] + OPTIONAL[self.kind]
        for key in REQUIRED[self.kind]:
            if not self.credentials.get(key, SecretStr("")).get_secret_value():
                raise ValueError(f"credentials.{key} is required for kind {self.kind}")
        for key in self.credentials:
            if key not in allowed:
                raise ValueError(f"credentials.{key} is not a credential of kind {self.kind} "
                                 f"(it takes {', '.join(allowed)})")
        return self

    def secret(self, key: str) -> str:
        """A credential's value ('' when not set)."""
        value = self.credentials.get(key)
        return value.get_secret_value() if value is not None else ""

    def webhook_url(self, which: Literal["status", "inbound"]) -> str | None:
        """The URL to give the provider for delivery reports or incoming messages (None: no public address).
        For eSMS, which signs no delivery report, the status URL carries ``callback_token``."""
        if self.callback_base_url is None:
            return None
        url = f"{self.callback_base_url}/sms/webhooks/{self.name}/{which}"
        if which == "status" and self.kind == "esms" and self.secret("callback_token"):
            url += f"?token={self.secret('callback_token')}"
        return url


def parse_providers(value: Any) -> Any:
    """The raw setting (JSON text from the environment, or a list) as a list; JSON errors name no value."""
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(value, list):
        raise ValueError("must be a JSON list of providers")  # noqa: TRY004 (pydantic reports ValueError)
    return value


def check_unique(providers: list[SmsProviderConfig]) -> list[SmsProviderConfig]:
    names = [p.name for p in providers]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"two providers are named {dupes[0]!r}")
    return providers
