"""The SMS message store: outgoing messages keyed for idempotency, provider ids, delivery reports, incoming texts.

SQL sits next to each function; the connection (or a transaction on it) is passed in and the time is an
argument. A message's status only moves forwards (``STATUS_RANK``): a late ``sent`` report after
``delivered`` is logged as ``stale`` and changes nothing. Every delivery report is logged in
``sms_delivery_reports`` with what it did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from dialer.db import transaction
from dialer.reasons import code_of

OUT_STATUSES = ("pending", "queued", "sent", "delivered", "failed", "undelivered", "refused", "cancelled")
REPORT_STATUSES = ("queued", "sent", "delivered", "failed", "undelivered")
FINAL_STATUSES = frozenset({"delivered", "failed", "undelivered", "refused", "cancelled"})
# How far along a message is; a status never replaces one of equal or higher rank.
STATUS_RANK = {"pending": 0, "queued": 1, "sent": 2, "delivered": 3, "failed": 3, "undelivered": 3,
               "refused": 3, "cancelled": 3, "received": 3}

ReportOutcome = Literal["applied", "duplicate", "unknown_message", "stale", "bad_signature"]


def report_moves(current: str, reported: str) -> bool:
    """Whether a report of ``reported`` moves a message that is ``current``: only forwards, never out of a final
    status (a late ``sent`` after ``delivered``, or ``failed`` after ``delivered``, is stale)."""
    return STATUS_RANK[reported] > STATUS_RANK[current]


class StoreError(ValueError):
    """A value the store refuses (an unknown status, a message that is not outgoing)."""


@dataclass(frozen=True, slots=True)
class SmsMessage:
    id: int
    idempotency_key: str
    direction: str             # 'out' | 'in'
    lead_id: int | None
    campaign_id: int | None
    send_id: int | None
    template_id: int | None
    agent_id: int | None
    phone: str                 # E.164
    body: str
    encoding: str | None
    parts: int | None
    provider: str | None
    provider_message_id: str | None
    status: str
    reason: str | None
    reason_code: str           # the reason as a dialer.reasons code and its JSON parameters ('' when none)
    reason_params: str
    attempts: int
    scheduled_for: datetime | None
    created_at: datetime
    sent_at: datetime | None
    final_at: datetime | None
    updated_at: datetime

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def handed_over(self) -> bool:
        """The provider has (or may have) it: a job must never send it again."""
        return self.provider_message_id is not None or STATUS_RANK[self.status] >= STATUS_RANK["queued"]


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """One report as a webhook parsed it (``sms.webhooks``)."""

    provider: str
    provider_message_id: str | None
    status: str                # one of REPORT_STATUSES
    report_key: str            # identifies this report: the same report sent twice has the same key
    idempotency_key: str | None = None   # our key, when the provider echoes it (simulated, generic)
    reason: str | None = None


_COLUMNS = ("id, idempotency_key, direction, lead_id, campaign_id, send_id, template_id, agent_id, phone, body,"
            " encoding, parts, provider, provider_message_id, status, reason, reason_code, reason_params, attempts,"
            " scheduled_for, created_at, sent_at, final_at, updated_at")


def _message(row: asyncpg.Record) -> SmsMessage:
    return SmsMessage(**dict(row))


async def insert_outgoing(conn: asyncpg.Connection | asyncpg.Pool, *, key: str, phone: str, body: str, now: datetime,
                          lead_id: int | None = None, campaign_id: int | None = None, send_id: int | None = None,
                          template_id: int | None = None, agent_id: int | None = None,
                          encoding: str | None = None, parts: int | None = None, provider: str | None = None,
                          status: str = "pending", reason: str | None = None,
                          scheduled_for: datetime | None = None) -> tuple[SmsMessage, bool]:
    """Store an outgoing message under ``key``; returns ``(row, True)``, or ``(existing row, False)`` when a
    message with that key already exists (nothing is changed then). ``status`` is ``pending`` unless the
    message is born ``refused`` (consent) or ``cancelled``; a ``dialer.reasons.Reason`` keeps its code."""
    if status not in ("pending", "refused", "cancelled"):
        raise StoreError(f"a new outgoing message cannot start as {status!r}")
    final_at = now if status in FINAL_STATUSES else None
    row = await conn.fetchrow(
        f"""INSERT INTO sms_messages (idempotency_key, direction, lead_id, campaign_id, send_id, template_id,
                agent_id, phone, body, encoding, parts, provider, status, reason, reason_code, reason_params,
                scheduled_for, created_at, final_at, updated_at)
            VALUES ($1, 'out', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $17)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING {_COLUMNS}""",
        key, lead_id, campaign_id, send_id, template_id, agent_id, phone, body, encoding, parts, provider,
        status, reason, *code_of(reason or ""), scheduled_for, now, final_at)
    if row is not None:
        return _message(row), True
    existing = await get_by_key(conn, key)
    if existing is None:  # deleted between the two statements: cannot happen in practice, say so if it does
        raise StoreError(f"message {key!r} conflicted but is gone")
    return existing, False


async def get_message(conn: asyncpg.Connection | asyncpg.Pool, message_id: int) -> SmsMessage | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM sms_messages WHERE id = $1", message_id)
    return _message(row) if row else None


async def get_by_key(conn: asyncpg.Connection | asyncpg.Pool, key: str) -> SmsMessage | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM sms_messages WHERE idempotency_key = $1", key)
    return _message(row) if row else None


async def get_by_provider_id(conn: asyncpg.Connection | asyncpg.Pool, *, provider: str,
                             provider_message_id: str) -> SmsMessage | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM sms_messages WHERE provider = $1 AND provider_message_id = $2",
        provider, provider_message_id)
    return _message(row) if row else None


async def begin_attempt(conn: asyncpg.Connection | asyncpg.Pool, *, message_id: int, provider: str,
                        now: datetime) -> SmsMessage | None:
    """Count one more attempt of a ``pending`` message for ``provider``; returns the row, or None when the
    message is no longer pending (handed over, refused, cancelled): the caller must not send it then."""
    row = await conn.fetchrow(
        f"""UPDATE sms_messages SET attempts = attempts + 1, provider = $2, updated_at = $3
            WHERE id = $1 AND direction = 'out' AND status = 'pending' AND provider_message_id IS NULL
            RETURNING {_COLUMNS}""", message_id, provider, now)
    return _message(row) if row else None


async def mark_handed_over(conn: asyncpg.Connection | asyncpg.Pool, *, message_id: int, provider: str,
                           provider_message_id: str | None, now: datetime,
                           status: str = "queued") -> SmsMessage | None:
    """The provider accepted the message (``queued``), or says it already sent it (``sent``): record its id
    (None: the provider holds it under our key but did not say its id — ``AlreadyAccepted``; its reports find
    it by the key). Never moves the status backwards (a report may have arrived first); returns the row after."""
    if status not in ("queued", "sent"):
        raise StoreError(f"handed over means queued or sent, not {status!r}")
    row = await conn.fetchrow(
        f"""UPDATE sms_messages SET
                provider = $2, provider_message_id = COALESCE(provider_message_id, $3),
                status = CASE WHEN status IN ('pending', 'queued') THEN $4 ELSE status END,
                sent_at = CASE WHEN $4 = 'sent' THEN COALESCE(sent_at, $5) ELSE sent_at END,
                updated_at = $5
            WHERE id = $1 AND direction = 'out' RETURNING {_COLUMNS}""",
        message_id, provider, provider_message_id, status, now)
    return _message(row) if row else None


async def mark_queued(conn: asyncpg.Connection | asyncpg.Pool, *, message_id: int, provider: str,
                      provider_message_id: str | None, now: datetime) -> SmsMessage | None:
    return await mark_handed_over(conn, message_id=message_id, provider=provider,
                                  provider_message_id=provider_message_id, now=now, status="queued")


async def mark_sent(conn: asyncpg.Connection | asyncpg.Pool, *, message_id: int, provider: str,
                    provider_message_id: str | None, now: datetime) -> SmsMessage | None:
    return await mark_handed_over(conn, message_id=message_id, provider=provider,
                                  provider_message_id=provider_message_id, now=now, status="sent")


async def mark_final(conn: asyncpg.Connection | asyncpg.Pool, *, message_id: int, status: str, reason: str,
                     now: datetime) -> SmsMessage | None:
    """End a message that was never handed over: ``failed`` (a permanent error, retries exhausted),
    ``refused`` (consent) or ``cancelled``. A message already final is left as it is; returns the row after.
    A ``dialer.reasons.Reason`` keeps its code, so pages say it in the reader's language."""
    if status not in ("failed", "refused", "cancelled"):
        raise StoreError(f"mark_final takes failed, refused or cancelled, not {status!r}")
    row = await conn.fetchrow(
        f"""UPDATE sms_messages SET status = $2, reason = $3, reason_code = $5, reason_params = $6, final_at = $4,
                updated_at = $4
            WHERE id = $1 AND direction = 'out' AND status IN ('pending', 'queued') RETURNING {_COLUMNS}""",
        message_id, status, reason, now, *code_of(reason))
    return _message(row) if row else await get_message(conn, message_id)


async def _log_report(conn: asyncpg.Connection, report: DeliveryReport, *, message_id: int | None,
                      outcome: ReportOutcome, now: datetime, detail: str = "") -> None:
    await conn.execute(
        """INSERT INTO sms_delivery_reports (provider, provider_message_id, status, report_key, message_id,
               received_at, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        report.provider, report.provider_message_id, report.status, report.report_key, message_id, now, outcome,
        detail)


async def log_refused_report(conn: asyncpg.Connection | asyncpg.Pool, *, provider: str, now: datetime,
                             detail: str, provider_message_id: str | None = None, status: str = "",
                             report_key: str = "") -> None:
    """Log a report refused before it could be read (a bad signature): it changes nothing."""
    await conn.execute(
        """INSERT INTO sms_delivery_reports (provider, provider_message_id, status, report_key, received_at,
               outcome, detail) VALUES ($1, $2, $3, $4, $5, 'bad_signature', $6)""",
        provider, provider_message_id, status, report_key, now, detail[:500])


async def apply_report(conn: asyncpg.Connection | asyncpg.Pool, report: DeliveryReport, *,
                       now: datetime) -> ReportOutcome:
    """Apply one delivery report and log it: ``applied``; ``duplicate`` (this report was seen before);
    ``unknown_message`` (no outgoing message has that provider id, nor the echoed key); ``stale`` (the message
    is already as far along or further, e.g. a late ``sent`` after ``delivered``). Only ``applied`` changes
    the message."""
    if report.status not in REPORT_STATUSES:
        raise StoreError(f"unknown delivery status {report.status!r}")
    async with transaction(conn) as tx:
        row = None
        if report.provider_message_id:
            row = await tx.fetchrow(
                f"""SELECT {_COLUMNS} FROM sms_messages WHERE provider = $1 AND provider_message_id = $2
                    AND direction = 'out' FOR UPDATE""", report.provider, report.provider_message_id)
        if row is None and report.idempotency_key:
            row = await tx.fetchrow(
                f"""SELECT {_COLUMNS} FROM sms_messages WHERE idempotency_key = $1 AND direction = 'out'
                    AND (provider = $2 OR provider IS NULL)
                    AND (provider_message_id IS NULL OR provider_message_id = $3) FOR UPDATE""",
                report.idempotency_key, report.provider, report.provider_message_id)
        if row is None:
            await _log_report(tx, report, message_id=None, outcome="unknown_message", now=now)
            return "unknown_message"
        message = _message(row)
        # The message row is locked: a copy of this report arriving at the same moment waits here and then
        # sees this one in the log.
        seen = await tx.fetchval(
            """SELECT 1 FROM sms_delivery_reports WHERE provider = $1 AND report_key = $2
               AND outcome IN ('applied', 'stale') LIMIT 1""", report.provider, report.report_key)
        if seen:
            await _log_report(tx, report, message_id=message.id, outcome="duplicate", now=now)
            return "duplicate"
        if not report_moves(message.status, report.status):
            await _log_report(tx, report, message_id=message.id, outcome="stale", now=now,
                              detail=f"message is {message.status}")
            return "stale"
        final = report.status in FINAL_STATUSES
        await tx.execute(
            """UPDATE sms_messages SET status = $2,
                   provider = COALESCE(provider, $3),
                   provider_message_id = COALESCE(provider_message_id, $4),
                   reason = CASE WHEN $5::text IS NULL THEN reason ELSE $5 END,
                   sent_at = CASE WHEN $2 IN ('sent', 'delivered') THEN COALESCE(sent_at, $6) ELSE sent_at END,
                   final_at = CASE WHEN $7 THEN $6 ELSE final_at END,
                   updated_at = $6
               WHERE id = $1""",
            message.id, report.status, report.provider, report.provider_message_id, report.reason, now, final)
        await _log_report(tx, report, message_id=message.id, outcome="applied", now=now)
        return "applied"


async def record_incoming(conn: asyncpg.Connection | asyncpg.Pool, *, provider: str, provider_message_id: str,
                          phone: str, body: str, now: datetime) -> tuple[SmsMessage, bool]:
    """Store an incoming message (direction 'in', status 'received'), linked to the lead and campaign of the
    latest message to or lead with that number; returns ``(row, True)``, or ``(row, False)`` when this very
    message (same provider id) was stored before (a webhook retried)."""
    key = f"in:{provider}:{provider_message_id}"
    async with transaction(conn) as tx:
        link = await tx.fetchrow(
            """SELECT lead_id, campaign_id FROM sms_messages WHERE phone = $1 AND direction = 'out'
               AND lead_id IS NOT NULL ORDER BY id DESC LIMIT 1""", phone)
        lead_id = link["lead_id"] if link else None
        campaign_id = link["campaign_id"] if link else None
        if lead_id is None:
            lead = await tx.fetchrow(
                "SELECT id, campaign_id FROM leads WHERE phone_e164 = $1 ORDER BY id DESC LIMIT 1", phone)
            if lead is not None:
                lead_id, campaign_id = lead["id"], lead["campaign_id"]
        row = await tx.fetchrow(
            f"""INSERT INTO sms_messages (idempotency_key, direction, lead_id, campaign_id, phone, body, provider,
                    provider_message_id, status, created_at, updated_at)
                VALUES ($1, 'in', $2, $3, $4, $5, $6, $7, 'received', $8, $8)
                ON CONFLICT DO NOTHING RETURNING {_COLUMNS}""",
            key, lead_id, campaign_id, phone, body, provider, provider_message_id, now)
        if row is not None:
            return _message(row), True
    existing = await get_by_key(conn, key)
    if existing is None:
        raise StoreError(f"incoming message {key!r} conflicted but is gone")
    return existing, False


async def messages_for_lead(conn: asyncpg.Connection | asyncpg.Pool, *, lead_id: int,
                            limit: int = 50) -> list[SmsMessage]:
    """A lead's messages, both directions, newest first (the CRM pop's history)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM sms_messages WHERE lead_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        lead_id, limit)
    return [_message(r) for r in rows]


async def reports_for_message(conn: asyncpg.Connection | asyncpg.Pool, *, message_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, provider, provider_message_id, status, report_key, received_at, outcome, detail
           FROM sms_delivery_reports WHERE message_id = $1 ORDER BY id""", message_id)
