"""The provider interface every sender codes against: one message in, the provider's id out, or an error
saying whether trying again may help.

``TransientError``: HTTP 429 (with its ``Retry-After``), 5xx, a timeout or a connection error — the message
may or may not have reached the provider, so a retry must carry the same idempotency key.
``PermanentError``: any other refusal (4xx, a number the provider refuses): retrying will not help.
``AlreadyAccepted``: an earlier attempt with this key got through (eSMS says so without the id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    key: str                   # idempotency key, decided before the first attempt (sms_messages.idempotency_key)
    to: str                    # E.164
    sender: str                # a number, or a brandname
    body: str
    unicode: bool              # UCS-2 (True) or GSM-7
    callback_url: str | None   # where the provider posts delivery reports


@dataclass(frozen=True, slots=True)
class Accepted:
    provider_message_id: str


class ProviderError(Exception):
    """A provider did not accept a message."""

    def __init__(self, message: str, *, provider: str = "", status_code: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code


class TransientError(ProviderError):
    """Worth retrying later (after ``retry_after_s`` when the provider said so)."""

    def __init__(self, message: str, *, provider: str = "", status_code: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(message, provider=provider, status_code=status_code)
        self.retry_after_s = retry_after_s


class PermanentError(ProviderError):
    """Refused for good: do not retry."""


class AlreadyAccepted(ProviderError):
    """The provider already holds a message under this idempotency key (eSMS code 124, "Duplicate RequestId")
    but did not say its id: the message was handed over on an earlier attempt and must not be sent again.
    Its delivery reports find it by the key they echo (``sms.store.apply_report``)."""


class Provider(Protocol):
    name: str

    async def send(self, msg: OutgoingSms) -> Accepted: ...
