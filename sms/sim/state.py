"""The simulated SMS provider's state and decisions: what it accepted (its log), the idempotency keys it has
seen, the faults it is told to inject, and which messages fail or get a STOP reply. No I/O: ``sms.sim.server``
does the HTTP.

Decisions about a message (undelivered? replied STOP?) depend only on its key and the seed, so a retried
send meets the same fate and a test can predict it; faults by share use a seeded generator.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Api = Literal["twilio", "esms", "generic"]
FaultKind = Literal["http_429", "http_5xx", "timeout"]


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Credentials the simulated provider expects (give the same ones to ``DIALER_SMS_PROVIDERS``) and how it
    behaves. ``report_delay_s`` is the time from acceptance to the ``sent`` report and again to the final one."""

    twilio_account_sid: str = "ACsim"
    twilio_auth_token: str = "sim-twilio-token"
    esms_api_key: str = "sim-esms-key"
    esms_secret_key: str = "sim-esms-secret"
    esms_cpid: str = "sim-cpid"
    esms_private_key: str = "sim-esms-private"
    generic_api_token: str = "sim-api-token"
    webhook_secret: str = "sim-webhook-secret"
    report_delay_s: float = 0.5
    fail_share: float = 0.0          # share of messages reported undelivered
    stop_share: float = 0.0          # share of messages the recipient answers with STOP
    stop_delay_s: float = 0.2        # from the final report to the STOP reply
    seed: int = 1
    callback_attempts: int = 3       # tries per report/reply when the dialer answers 5xx or cannot be reached
    callback_workers: int = 16       # reports and replies on their way at once

    def __post_init__(self) -> None:
        for name in ("fail_share", "stop_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.report_delay_s < 0 or self.stop_delay_s < 0:
            raise ValueError("delays must not be negative")
        if self.callback_workers < 1 or self.callback_attempts < 1:
            raise ValueError("callback_workers and callback_attempts must be at least 1")


@dataclass(slots=True)
class Faults:
    """What to inject, by share of requests (0..1) and as the next N requests (which come first).
    ``timeout``: the message is accepted (logged, reported) but the answer comes ``timeout_delay_s`` late, or
    never (None) — the provider sent it while the client gave up."""

    http_429: float = 0.0
    http_5xx: float = 0.0
    timeout: float = 0.0
    duplicate_reports: float = 0.0   # share of messages whose final report is sent twice
    next_429: int = 0
    next_5xx: int = 0
    next_timeout: int = 0
    retry_after_s: float = 1.0
    timeout_delay_s: float | None = None

    @classmethod
    def from_json(cls, data: Any) -> Faults:
        """Faults from a JSON object; ValueError naming the bad field."""
        if not isinstance(data, dict):
            raise TypeError("faults must be a JSON object")
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise ValueError(f"unknown fault {key!r} (known: {', '.join(sorted(known))})")
        faults = cls(**data)
        for name in ("http_429", "http_5xx", "timeout", "duplicate_reports"):
            value = getattr(faults, name)
            if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a share between 0 and 1")
        for name in ("next_429", "next_5xx", "next_timeout"):
            value = getattr(faults, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0")
        if not isinstance(faults.retry_after_s, int | float) or faults.retry_after_s < 0:
            raise ValueError("retry_after_s must be a number >= 0")
        if faults.timeout_delay_s is not None and (not isinstance(faults.timeout_delay_s, int | float)
                                                   or faults.timeout_delay_s < 0):
            raise ValueError("timeout_delay_s must be a number >= 0, or null (never answer)")
        return faults

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SimMessage:
    seq: int
    api: Api
    provider_message_id: str
    key: str | None
    to: str
    sender: str
    body: str
    unicode: bool
    callback_url: str | None
    accepted_at: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class SimStats:
    requests: int = 0
    accepted: int = 0
    deduplicated: int = 0            # requests with a key already accepted: answered with the first message's id
    refused: int = 0                 # bad credentials or bad payload
    faults: dict[str, int] = field(default_factory=lambda: {"http_429": 0, "http_5xx": 0, "timeout": 0})
    reports_sent: int = 0
    reports_duplicated: int = 0
    replies_sent: int = 0
    callbacks_failed: int = 0        # reports or replies the dialer never took (after every attempt)
    callback_statuses: dict[str, int] = field(default_factory=dict)   # HTTP status of the dialer's answers


def share_hit(seed: int, what: str, key: str, share: float) -> bool:
    """Whether ``key`` falls in ``share`` for decision ``what``: a stable hash, the same on every retry."""
    if share <= 0.0:
        return False
    if share >= 1.0:
        return True
    digest = hashlib.sha256(f"{seed}:{what}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


class SimState:
    """The log and the idempotency index; one per simulated provider."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.faults = Faults()
        self.messages: list[SimMessage] = []
        self.by_key: dict[tuple[str, str], SimMessage] = {}
        self.stats = SimStats()
        self._rng = random.Random(config.seed)
        self._ids = 0

    def fault_for(self, kind: FaultKind) -> bool:
        """Whether this request gets fault ``kind`` (counts first, then shares). Counts it when it does."""
        counter = {"http_429": "next_429", "http_5xx": "next_5xx", "timeout": "next_timeout"}[kind]
        left = getattr(self.faults, counter)
        hit = left > 0
        if hit:
            setattr(self.faults, counter, left - 1)
        else:
            share = getattr(self.faults, kind)
            hit = share > 0 and self._rng.random() < share
        if hit:
            self.stats.faults[kind] += 1
        return hit

    def duplicate_report(self) -> bool:
        share = self.faults.duplicate_reports
        return share > 0 and self._rng.random() < share

    def new_id(self, api: Api) -> str:
        self._ids += 1
        if api == "twilio":
            return f"SM{self._ids:032x}"
        if api == "esms":
            return f"{self._ids:08x}-e5a5-4000-8000-{self.config.seed:012x}"
        return f"sim-{self._ids}"

    def accept(self, *, api: Api, key: str | None, to: str, sender: str, body: str, unicode: bool,
               callback_url: str | None, now_s: float) -> tuple[SimMessage, bool]:
        """The message under ``key`` (the one accepted before, and False), or a new one (and True)."""
        if key:
            seen = self.by_key.get((api, key))
            if seen is not None:
                self.stats.deduplicated += 1
                return seen, False
        message = SimMessage(len(self.messages) + 1, api, self.new_id(api), key, to, sender, body, unicode,
                             callback_url, now_s)
        self.messages.append(message)
        if key:
            self.by_key[(api, key)] = message
        self.stats.accepted += 1
        return message, True

    def fails(self, message: SimMessage) -> bool:
        return share_hit(self.config.seed, "fail", message.key or message.provider_message_id, self.config.fail_share)

    def replies_stop(self, message: SimMessage) -> bool:
        return share_hit(self.config.seed, "stop", message.key or message.provider_message_id, self.config.stop_share)
