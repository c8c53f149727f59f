"""Bulk and scheduled sends: one template to a campaign's leads (or a lead search), estimated before it is confirmed.

A send (``sms_sends``) moves ``draft -> active -> done``, or to ``cancelled`` from draft or active
(``transition``). Its life:

1. ``create_send`` stores it as a draft: the template's text as it is now, the provider, the recipients
   (``campaigns.lead_search.LeadQuery`` over one campaign; ``{}`` is every lead of the campaign), and for a
   scheduled send its rule (``sms.scheduler``).
2. ``estimate`` renders the template for EVERY recipient and counts each message (``sms.count_segments``):
   the worst case and the total of parts, the cost at the provider's ``price_per_part``, the recipients the
   consent rules refuse and why (opt-out, DNC, unknown zone), those outside quiet hours now (sent when their
   window opens) and those the template cannot be filled in for.
3. ``confirm`` makes it active. A bulk send's messages are then made (``materialise``) and handed to drain
   jobs; a scheduled send's messages are made by the scheduler when due.
4. ``progress`` counts its messages by status; ``cancel`` stops it: every message not yet claimed by a
   sender ends ``cancelled`` and none is claimed afterwards; it waits (bounded) for the claimed ones, which
   are being handed over, so that once it returns nothing more of the send reaches a provider.

**The idempotency key** of a send's message is decided by ``message_key`` and stored with the row before any
attempt: ``send:<send id>:lead:<lead id>`` (bulk, 'at'), ``send:<send id>:lead:<lead id>:<year>`` (birthday:
once a year), ``send:<send id>:callback:<callback id>`` (before a callback). Rows are inserted with
``ON CONFLICT (idempotency_key) DO NOTHING``, so making them twice (a job retried, two schedulers) makes them once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from campaigns.lead_search import LeadQuery, build_where
from campaigns.model import Campaign, LeadStatus
from dialer.clock import Clock
from dialer.reasons import Reason, reason
from sms import outbox
from sms.consent import UNKNOWN, Verdict, decide, recipient_zones, sms_blocks
from sms.context import message_context
from sms.segments import count_segments
from sms.templates import RenderFailed, TemplateRefused, render

KINDS = ("bulk", "at", "birthday", "before_callback")
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"active", "cancelled"}),
    "active": frozenset({"done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}
CHUNK = 2000


class SendError(ValueError):
    """A send that cannot be made, confirmed or changed; the text says why."""


def transition(state: str, target: str) -> str:
    """``target`` when a send in ``state`` may become it, else ``SendError`` naming both."""
    if target not in TRANSITIONS.get(state, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(state, ()))) or "nothing (it is final)"
        raise SendError(f"a {state} send cannot become {target}; it can become {allowed}")
    return target


def message_key(send_id: int, *, lead_id: int | None = None, year: int | None = None,
                callback_id: int | None = None) -> str:
    """The idempotency key of one message of a send (module docstring)."""
    if callback_id is not None:
        return f"send:{send_id}:callback:{callback_id}"
    if lead_id is None:
        raise SendError("a send's message needs a lead or a callback")
    return f"send:{send_id}:lead:{lead_id}" + (f":{year}" if year is not None else "")


@dataclass(frozen=True, slots=True)
class SendSpec:
    kind: str
    campaign_id: int
    body: str
    provider: str
    plain: bool = False
    template_id: int | None = None
    name: str = ""
    lead_filter: Mapping[str, Any] = field(default_factory=dict)
    send_at: datetime | None = None
    date_field: str | None = None
    local_minute: int | None = None
    hours_before: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SendError(f"unknown send kind {self.kind!r}; use {', '.join(KINDS)}")
        if not self.body.strip():
            raise SendError("the message is empty")
        if self.kind == "at" and self.send_at is None:
            raise SendError("a send at a date and time needs the date and time")
        if self.kind == "birthday" and (not self.date_field or self.local_minute is None
                                        or not 0 <= self.local_minute < 1440):
            raise SendError("a birthday send needs the date column and a local time of day")
        if self.kind == "before_callback" and not (self.hours_before and self.hours_before > 0):
            raise SendError("a send before callbacks needs a number of hours above 0")
        lead_query(self.lead_filter, self.campaign_id)          # refuses a bad filter now


def lead_query(lead_filter: Mapping[str, Any], campaign_id: int) -> LeadQuery:
    """The stored filter as a ``LeadQuery`` restricted to the send's campaign."""
    data = dict(lead_filter)
    data["campaign_ids"] = (campaign_id,)
    if "statuses" in data:
        data["statuses"] = tuple(LeadStatus(s) for s in data["statuses"])
    if "fields" in data:
        data["fields"] = dict(data["fields"])
    try:
        return LeadQuery(**data)
    except TypeError as exc:
        raise SendError(f"bad lead filter: {exc}") from None


@dataclass(frozen=True, slots=True)
class Send:
    id: int
    kind: str
    state: str
    name: str
    campaign_id: int
    template_id: int | None
    body: str
    plain: bool
    provider: str
    lead_filter: dict[str, Any]
    send_at: datetime | None
    date_field: str | None
    local_minute: int | None
    hours_before: float | None
    estimate: dict[str, Any] | None
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    finished_at: datetime | None
    prepared_at: datetime | None


_SEND_COLUMNS = ("id, kind, state, name, campaign_id, template_id, body, plain, provider, lead_filter, send_at,"
                 " date_field, local_minute, hours_before, estimate, created_at, confirmed_at, cancelled_at,"
                 " finished_at, prepared_at")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _send(row: asyncpg.Record) -> Send:
    data = dict(row)
    data["lead_filter"] = _json(data["lead_filter"]) or {}
    data["estimate"] = _json(data["estimate"])
    return Send(**data)


async def create_send(conn: asyncpg.Connection | asyncpg.Pool, spec: SendSpec, *, now: datetime,
                      created_by: int | None = None) -> Send:
    row = await conn.fetchrow(
        f"""INSERT INTO sms_sends (kind, state, name, campaign_id, template_id, body, plain, provider, lead_filter,
                send_at, date_field, local_minute, hours_before, created_by, created_at)
            VALUES ($1, 'draft', $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14)
            RETURNING {_SEND_COLUMNS}""",
        spec.kind, spec.name, spec.campaign_id, spec.template_id, spec.body, spec.plain, spec.provider,
        dict(spec.lead_filter), spec.send_at, spec.date_field, spec.local_minute, spec.hours_before,
        created_by, now)
    return _send(row)


async def get_send(conn: asyncpg.Connection | asyncpg.Pool, *, send_id: int) -> Send:
    row = await conn.fetchrow(f"SELECT {_SEND_COLUMNS} FROM sms_sends WHERE id = $1", send_id)
    if row is None:
        raise SendError(f"no send {send_id}")
    return _send(row)


async def _set_state(conn: asyncpg.Connection | asyncpg.Pool, send: Send, target: str, now: datetime) -> Send:
    transition(send.state, target)
    stamp = {"active": "confirmed_at", "done": "finished_at", "cancelled": "cancelled_at"}[target]
    row = await conn.fetchrow(
        f"UPDATE sms_sends SET state = $2, {stamp} = $3 WHERE id = $1 AND state = $4 RETURNING {_SEND_COLUMNS}",
        send.id, target, now, send.state)
    if row is None:
        return await _set_state(conn, await get_send(conn, send_id=send.id), target, now)
    return _send(row)


# --- recipients and rendering ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Recipient:
    lead_id: int
    phone: str
    zones: tuple[str, ...]
    lead: dict[str, Any]          # what sms.context.lead_values reads


async def recipients(pool: asyncpg.Pool, send: Send, *, chunk: int = CHUNK,
                     lead_ids: Sequence[int] | None = None) -> AsyncIterator[list[Recipient]]:
    """The send's leads (its campaign, its filter; never a lead marked invalid), in chunks by id."""
    from campaigns.list_admin import regions_of

    query = lead_query(send.lead_filter, send.campaign_id)
    regions = await regions_of(pool, campaign_ids=[send.campaign_id])
    where, args = build_where(query, regions=regions)
    after = 0
    while True:
        n = len(args)
        extra = f" AND l.id = ANY(${n + 3}::bigint[])" if lead_ids is not None else ""
        rows = await pool.fetch(
            f"""SELECT l.id, l.phone_e164, l.first_name, l.last_name, l.postal_code, l.fields, l.timezones
                FROM leads l WHERE {where} AND l.status <> 'invalid' AND l.id > ${n + 1}{extra}
                ORDER BY l.id LIMIT ${n + 2}""",
            *args, after, chunk, *([list(lead_ids)] if lead_ids is not None else []))
        if not rows:
            return
        yield [Recipient(r["id"], r["phone_e164"], tuple(r["timezones"]),
                         {"first_name": r["first_name"], "last_name": r["last_name"], "phone_e164": r["phone_e164"],
                          "postal_code": r["postal_code"], "fields": _json(r["fields"]) or {}}) for r in rows]
        after = rows[-1]["id"]


def render_for(send: Send, campaign: Campaign, recipient: Recipient, *,
               callback_at: datetime | None = None) -> str | Reason:
    """The message text for ``recipient``, or the reason it cannot be made (a value missing, a cap reached)."""
    zone = (recipient.zones or (campaign.timezone,))[0]
    context = message_context(recipient.lead, agent_name=None, campaign={"name": campaign.name},
                              callback_at=callback_at, zone=zone)
    try:
        return render(send.body, context, plain=send.plain)
    except (RenderFailed, TemplateRefused) as exc:
        return reason("sms_render_failed", error=str(getattr(exc, "reason", "") or exc)[:200])


# --- estimate ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Estimate:
    recipients: int
    sendable: int                 # would be sent (now, or when their quiet hours end)
    worst_parts: int              # the longest message, in parts
    total_parts: int              # over every sendable message
    cost: float                   # total_parts * price_per_part
    price_per_part: float
    encodings: dict[str, int]     # GSM-7 / UCS-2 messages
    refused: dict[str, int]       # reason code -> recipients refused by consent
    quiet_now: int                # sendable, but outside their quiet hours at the time of the estimate
    render_failed: int
    failures: list[str]           # a few texts of why rendering failed
    sample: str                   # the first rendered message

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class _Tally:
    recipients: int = 0
    sendable: int = 0
    worst: int = 0
    total: int = 0
    encodings: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    quiet: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    sample: str = ""


async def estimate(pool: asyncpg.Pool, *, send_id: int, now: datetime, price_per_part: float) -> Estimate:
    """Render and count the message of every recipient (module docstring); the result is also stored."""
    from campaigns.repository import get_campaign

    send = await get_send(pool, send_id=send_id)
    campaign = await get_campaign(pool, campaign_id=send.campaign_id)
    t = _Tally()
    async for chunk in recipients(pool, send):
        try:
            blocked: Mapping[str, Any] = await sms_blocks(pool, [r.phone for r in chunk],
                                                          campaign_id=send.campaign_id, now=now)
            unknown = False
        except (OSError, asyncpg.PostgresError, ValueError):
            blocked, unknown = {}, True
        for r in chunk:
            t.recipients += 1
            verdict = decide(number=r.phone, block=UNKNOWN if unknown else blocked.get(r.phone),
                             window=campaign.window, zones=recipient_zones(r.zones, campaign.timezone), now=now)
            if verdict.verdict is Verdict.REFUSE:
                assert verdict.reason is not None
                t.refused[verdict.reason.code] += 1
                continue
            text = render_for(send, campaign, r, callback_at=None) if send.kind != "before_callback" else \
                _render_with_sample_callback(send, campaign, r, now)
            if isinstance(text, Reason):
                t.failed += 1
                if len(t.failures) < 5:
                    t.failures.append(str(text))
                continue
            seg = count_segments(text)
            t.sendable += 1
            t.quiet += verdict.verdict is Verdict.DEFER
            t.worst = max(t.worst, seg.parts)
            t.total += seg.parts
            t.encodings[seg.encoding] += 1
            t.sample = t.sample or text
    result = Estimate(t.recipients, t.sendable, t.worst, t.total, round(t.total * price_per_part, 6),
                      price_per_part, dict(t.encodings), dict(t.refused), t.quiet, t.failed, t.failures, t.sample)
    await pool.execute("UPDATE sms_sends SET estimate = $2::jsonb WHERE id = $1", send_id, result.as_dict())
    return result


def _render_with_sample_callback(send: Send, campaign: Campaign, r: Recipient, now: datetime) -> str | Reason:
    """A send before callbacks is estimated with a callback due ``hours_before`` from now (its text's length)."""
    from datetime import timedelta

    return render_for(send, campaign, r, callback_at=now + timedelta(hours=send.hours_before or 0))


# --- confirm, materialise, progress, cancel ----------------------------------------------------------------

async def confirm(pool: asyncpg.Pool, *, send_id: int, now: datetime) -> Send:
    """Make a draft active; a send never estimated is refused (the team lead must have seen the figures)."""
    send = await get_send(pool, send_id=send_id)
    if send.state == "draft" and send.estimate is None:
        raise SendError("estimate the send before confirming it")
    return await _set_state(pool, send, "active", now)


async def materialise(pool: asyncpg.Pool, send: Send, campaign: Campaign, items: Sequence[tuple[Recipient, str]],
                      *, now: datetime, scheduled_for: datetime | None = None,
                      callbacks: Mapping[str, datetime] | None = None) -> int:
    """Store the messages ``(recipient, key)`` of ``send`` as pending (rendered now), or failed when the
    template cannot be filled in; an existing key is left alone. Returns how many rows were new."""
    keys, leads, phones, bodies, encodings, parts, statuses, reasons, codes, params = ([] for _ in range(10))
    for r, key in items:
        text = render_for(send, campaign, r, callback_at=(callbacks or {}).get(key))
        keys.append(key)
        leads.append(r.lead_id)
        phones.append(r.phone)
        if isinstance(text, Reason):
            bodies.append("")
            encodings.append(None)
            parts.append(None)
            statuses.append("failed")
            reasons.append(str(text))
            codes.append(text.code)
            params.append(text.params_json)
        else:
            seg = count_segments(text)
            bodies.append(text)
            encodings.append(seg.encoding)
            parts.append(seg.parts)
            statuses.append("pending")
            reasons.append(None)
            codes.append("")
            params.append("")
    rows = await pool.fetch(
        """INSERT INTO sms_messages (idempotency_key, direction, lead_id, campaign_id, send_id, template_id, phone,
               body, encoding, parts, provider, status, reason, reason_code, reason_params, scheduled_for,
               created_at, final_at, updated_at)
           SELECT k, 'out', l, $3, $4, $5, p, b, e, n, $6, s, r, c, pr, $12, $13,
                  CASE WHEN s = 'pending' THEN NULL ELSE $13::timestamptz END, $13
           FROM unnest($1::text[], $2::bigint[], $7::text[], $8::text[], $9::text[], $10::int[], $11::text[],
                       $14::text[], $15::text[], $16::text[]) AS x(k, l, p, b, e, n, s, r, c, pr)
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING id""",
        keys, leads, send.campaign_id, send.id, send.template_id, send.provider, phones, bodies, encodings, parts,
        statuses, scheduled_for, now, reasons, codes, params)
    return len(rows)


async def materialise_all(pool: asyncpg.Pool, *, send_id: int, now: datetime,
                          report: Any = None) -> int:
    """Make every message of a bulk or 'at' send (idempotent); returns how many were new."""
    from campaigns.repository import get_campaign

    send = await get_send(pool, send_id=send_id)
    campaign = await get_campaign(pool, campaign_id=send.campaign_id)
    made = seen = 0
    async for chunk in recipients(pool, send):
        if (await get_send(pool, send_id=send_id)).state == "cancelled":
            break
        made += await materialise(pool, send, campaign, [(r, message_key(send.id, lead_id=r.lead_id)) for r in chunk],
                                  now=now, scheduled_for=now)
        seen += len(chunk)
        if report is not None:
            report(seen, None, f"{seen} messages prepared")
    else:
        await pool.execute("UPDATE sms_sends SET prepared_at = $2 WHERE id = $1 AND prepared_at IS NULL", send_id, now)
    return made


@dataclass(frozen=True, slots=True)
class SendProgress:
    send_id: int
    state: str
    total: int
    by_status: dict[str, int]

    @property
    def pending(self) -> int:
        return self.by_status.get("pending", 0)

    @property
    def done(self) -> int:
        return self.total - self.pending

    @property
    def percent(self) -> float:
        return 100.0 if not self.total else 100.0 * self.done / self.total

    def summary(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(self.by_status.items()))


async def progress(conn: asyncpg.Connection | asyncpg.Pool, *, send_id: int) -> SendProgress:
    """The send's messages by status (every worker's work: counted from the rows)."""
    state = await conn.fetchval("SELECT state FROM sms_sends WHERE id = $1", send_id)
    if state is None:
        raise SendError(f"no send {send_id}")
    rows = await conn.fetch("SELECT status, count(*) AS n FROM sms_messages WHERE send_id = $1 GROUP BY status",
                            send_id)
    by_status = {r["status"]: r["n"] for r in rows}
    return SendProgress(send_id, state, sum(by_status.values()), by_status)


async def finish_if_drained(pool: asyncpg.Pool, *, send_id: int, now: datetime) -> bool:
    """A one-off send (bulk, 'at') with no message left pending becomes done; returns whether it did."""
    row = await pool.fetchrow(
        """UPDATE sms_sends s SET state = 'done', finished_at = $2
           WHERE s.id = $1 AND s.state = 'active' AND s.kind IN ('bulk', 'at') AND s.prepared_at IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM sms_messages m WHERE m.send_id = s.id AND m.status = 'pending')
           RETURNING id""", send_id, now)
    return row is not None


@dataclass(frozen=True, slots=True)
class Cancelled:
    cancelled: int        # messages that will never be sent
    in_flight: int        # messages that were being handed over when it was cancelled (they may have gone)
    still_in_flight: int  # claimed messages still not settled when ``wait_s`` ran out (a dead worker's)


async def cancel(pool: asyncpg.Pool, *, send_id: int, clock: Clock, wait_s: float = 10.0) -> Cancelled:
    """Cancel a send (module docstring): nothing of it is claimed afterwards, what no sender holds ends
    cancelled, and this returns once the claimed ones are settled (or ``wait_s`` has passed)."""
    send = await get_send(pool, send_id=send_id)
    if send.state != "cancelled":
        await _set_state(pool, send, "cancelled", clock.now())
    cancelled = await outbox.cancel_pending(pool, send_id=send_id, now=clock.now())
    held = first_held = await outbox.in_flight(pool, send_id=send_id)
    deadline = clock.monotonic() + wait_s
    while held and clock.monotonic() < deadline:
        await clock.sleep(0.1)
        cancelled += await outbox.cancel_pending(pool, send_id=send_id, now=clock.now())   # released ones
        held = await outbox.in_flight(pool, send_id=send_id)
    cancelled += await outbox.cancel_pending(pool, send_id=send_id, now=clock.now())
    return Cancelled(cancelled, first_held, held)


async def wait_until(pool: asyncpg.Pool, *, send_id: int, clock: Clock, timeout_s: float,
                     every_s: float = 0.5) -> SendProgress:
    """Poll until no message of the send is pending (tests, the CLI); returns the last progress."""
    deadline = clock.monotonic() + timeout_s
    while True:
        p = await progress(pool, send_id=send_id)
        if not p.pending or clock.monotonic() >= deadline:
            return p
        await clock.sleep(max(every_s, 0.01))
