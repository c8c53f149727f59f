"""The sender's SQL over ``sms_messages``: claim due messages, record what the provider said, recover dead claims.

A message is sent at most once because of three rules kept here (``sms.sending`` decides, this module writes):

* **Claim before hand-off.** ``claim`` marks up to ``limit`` due ``pending`` messages with a fresh token and
  the time (``FOR UPDATE SKIP LOCKED``: two workers never claim the same row). Only a claimed message is
  handed to a provider, by the worker holding the token, and only while its claim is younger than the lease.
* **Record by token.** ``release`` (try again later) only touches rows still holding the caller's token;
  ``record_accepted`` writes the provider's id whatever the token (the provider has the message: that is a
  fact) and never moves a status backwards.
* **Dead claims.** ``recover_stale`` finds claims older than the lease (their worker was killed): for a
  provider that de-duplicates on the key they are re-opened (a second hand-off with the same key is answered
  with the first acceptance); otherwise they end ``failed`` with ``sms_outcome_unknown`` and are never re-sent.

Every function takes the connection and the time; none commits anything but its own statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from dialer.reasons import Reason, reason


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    key: str
    phone: str
    body: str
    encoding: str | None
    lead_id: int | None
    campaign_id: int | None
    send_id: int | None
    provider: str | None
    attempts: int
    claimed_at: datetime


_RETURNING = ("RETURNING id, idempotency_key, phone, body, encoding, lead_id, campaign_id, send_id, provider,"
              " attempts, claimed_at")


def _claimed(r: asyncpg.Record) -> Claimed:
    return Claimed(r["id"], r["idempotency_key"], r["phone"], r["body"], r["encoding"], r["lead_id"],
                   r["campaign_id"], r["send_id"], r["provider"], r["attempts"], r["claimed_at"])


def new_token() -> str:
    return uuid.uuid4().hex


async def claim(conn: asyncpg.Connection | asyncpg.Pool, *, token: str, now: datetime, limit: int,
                send_id: int | None = None, message_ids: Sequence[int] | None = None) -> list[Claimed]:
    """Claim up to ``limit`` outgoing messages that are pending, unclaimed and due (``scheduled_for`` passed),
    of one send, of the given ids, or of any; oldest first. Messages of a cancelled send are never claimed."""
    rows = await conn.fetch(
        f"""UPDATE sms_messages m SET claim_token = $1, claimed_at = $2, updated_at = $2
            WHERE m.id IN (
                SELECT id FROM sms_messages
                WHERE direction = 'out' AND status = 'pending' AND claim_token IS NULL
                  AND (scheduled_for IS NULL OR scheduled_for <= $2)
                  AND ($4::bigint IS NULL OR send_id = $4)
                  AND ($5::bigint[] IS NULL OR id = ANY($5::bigint[]))
                  AND (send_id IS NULL OR NOT EXISTS (
                      SELECT 1 FROM sms_sends s WHERE s.id = send_id AND s.state = 'cancelled'))
                ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
            {_RETURNING}""",
        token, now, limit, send_id, list(message_ids) if message_ids is not None else None)
    return sorted((_claimed(r) for r in rows), key=lambda c: c.id)


async def next_due(conn: asyncpg.Connection | asyncpg.Pool, *, send_id: int | None = None,
                   message_ids: Sequence[int] | None = None) -> datetime | None:
    """When the next pending unclaimed message (of the send, ids, or any) falls due; None when there is none.
    A message without ``scheduled_for`` is due from its creation; a cancelled send's messages never fall due."""
    return await conn.fetchval(
        """SELECT min(COALESCE(scheduled_for, created_at)) FROM sms_messages
           WHERE direction = 'out' AND status = 'pending' AND claim_token IS NULL
             AND ($1::bigint IS NULL OR send_id = $1) AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))
             AND (send_id IS NULL OR NOT EXISTS (
                 SELECT 1 FROM sms_sends s WHERE s.id = send_id AND s.state = 'cancelled'))""",
        send_id, list(message_ids) if message_ids is not None else None)


async def oldest_claim(conn: asyncpg.Connection | asyncpg.Pool, *, send_id: int | None = None,
                       message_ids: Sequence[int] | None = None) -> datetime | None:
    """When the oldest claim still open (of the send, the ids, or any) was taken; None when there is none."""
    return await conn.fetchval(
        """SELECT min(claimed_at) FROM sms_messages
           WHERE direction = 'out' AND status = 'pending' AND claim_token IS NOT NULL
             AND ($1::bigint IS NULL OR send_id = $1) AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))""",
        send_id, list(message_ids) if message_ids is not None else None)


async def in_flight(conn: asyncpg.Connection | asyncpg.Pool, *, send_id: int) -> int:
    """Messages of the send claimed by a sender right now."""
    return await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE send_id = $1 AND status = 'pending' AND claim_token IS NOT NULL",
        send_id)


async def release(conn: asyncpg.Connection | asyncpg.Pool, *,
                  released: Sequence[tuple[int, str, datetime, Reason, bool]], now: datetime) -> None:
    """Give claimed messages back as pending: ``(message id, claim token, due again at, why, attempted)`` (quiet
    hours, a transient error, a lease about to end). ``attempted`` counts an attempt; ``why`` is kept as the
    message's reason meanwhile. Only rows still holding that token and pending are touched."""
    if not released:
        return
    await conn.execute(
        """UPDATE sms_messages m SET claim_token = NULL, claimed_at = NULL, scheduled_for = r.due,
               updated_at = $7, attempts = m.attempts + r.attempted, reason = r.reason, reason_code = r.code,
               reason_params = r.params
           FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $8::int[])
                AS r(id, token, due, reason, code, params, attempted)
           WHERE m.id = r.id AND m.claim_token = r.token AND m.status = 'pending'""",
        [r[0] for r in released], [r[1] for r in released], [r[2] for r in released],
        [str(r[3]) for r in released], [r[3].code for r in released], [r[3].params_json for r in released], now,
        [1 if r[4] else 0 for r in released])


async def record_accepted(conn: asyncpg.Connection | asyncpg.Pool, *,
                          accepted: Sequence[tuple[int, str, str | None]], now: datetime) -> None:
    """The provider accepted these ``(message id, provider, provider message id or None)``: 'queued' (never
    backwards; a delivery report may have come first), one more attempt, the claim cleared."""
    if not accepted:
        return
    await conn.execute(
        """UPDATE sms_messages m SET provider = a.provider,
               provider_message_id = COALESCE(m.provider_message_id, a.pid),
               status = CASE WHEN m.status = 'pending' THEN 'queued' ELSE m.status END,
               attempts = m.attempts + 1, claim_token = NULL, claimed_at = NULL, updated_at = $4,
               reason = NULL, reason_code = '', reason_params = ''
           FROM unnest($1::bigint[], $2::text[], $3::text[]) AS a(id, provider, pid)
           WHERE m.id = a.id""",
        [a[0] for a in accepted], [a[1] for a in accepted], [a[2] for a in accepted], now)


async def record_final(conn: asyncpg.Connection | asyncpg.Pool, *, ended: Sequence[tuple[int, str, Reason]],
                       now: datetime, attempted: bool) -> None:
    """End these ``(message id, status, reason)`` as failed, refused or cancelled, if still pending."""
    if not ended:
        return
    for _, status, _ in ended:
        if status not in ("failed", "refused", "cancelled"):
            raise ValueError(f"a message ends failed, refused or cancelled, not {status!r}")
    await conn.execute(
        """UPDATE sms_messages m SET status = e.status, reason = e.reason, reason_code = e.code,
               reason_params = e.params, final_at = $6, updated_at = $6, attempts = m.attempts + $7::int,
               claim_token = NULL, claimed_at = NULL
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
                AS e(id, status, reason, code, params)
           WHERE m.id = e.id AND m.status = 'pending'""",
        [e[0] for e in ended], [e[1] for e in ended], [str(e[2]) for e in ended],
        [e[2].code for e in ended], [e[2].params_json for e in ended], now, 1 if attempted else 0)


async def recover_stale(conn: asyncpg.Connection | asyncpg.Pool, *, now: datetime, lease_s: float,
                        deduplicating: Collection[str]) -> tuple[int, int]:
    """Claims older than ``lease_s`` (their worker died): re-opened for the ``deduplicating`` providers, ended
    as failed (outcome unknown, never re-sent) for the others. Returns (re-opened, failed)."""
    rows = await conn.fetch(
        """UPDATE sms_messages SET claim_token = NULL, claimed_at = NULL, updated_at = $1
           WHERE claim_token IS NOT NULL AND status = 'pending'
             AND claimed_at < $1::timestamptz - make_interval(secs => $2::float8) AND provider = ANY($3::text[])
           RETURNING id""", now, lease_s, list(deduplicating))
    unknown = await conn.fetch(
        """SELECT id, provider FROM sms_messages
           WHERE claim_token IS NOT NULL AND status = 'pending' AND claimed_at < $1::timestamptz - make_interval(secs => $2::float8)
             AND NOT (provider = ANY($3::text[])) FOR UPDATE SKIP LOCKED""", now, lease_s, list(deduplicating))
    await record_final(conn, ended=[(r["id"], "failed", reason(
        "sms_outcome_unknown", provider=r["provider"] or "-", error="the worker sending it stopped"))
        for r in unknown], now=now, attempted=True)
    return len(rows), len(unknown)


async def cancel_pending(conn: asyncpg.Connection | asyncpg.Pool, *, send_id: int, now: datetime) -> int:
    """Cancel the send's messages no sender holds (a claimed one is being handed over); returns how many."""
    why = reason("sms_cancelled")
    return len(await conn.fetch(
        """UPDATE sms_messages SET status = 'cancelled', reason = $2, reason_code = $3, reason_params = '',
               final_at = $4, updated_at = $4
           WHERE send_id = $1 AND status = 'pending' AND claim_token IS NULL RETURNING id""",
        send_id, str(why), why.code, now))


async def lead_zones(conn: asyncpg.Connection | asyncpg.Pool, lead_ids: Collection[int]) -> dict[int, tuple[str, ...]]:
    rows = await conn.fetch("SELECT id, timezones FROM leads WHERE id = ANY($1::bigint[])", list(lead_ids))
    return {r["id"]: tuple(r["timezones"]) for r in rows}
