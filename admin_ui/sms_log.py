"""The SMS pages' reads: the message log searched and paged, each message's status history, and the
figures per campaign (sent, delivered, failed, opt-outs, parts, cost).

``log_query`` is pure (a ``LogFilter`` to SQL and its arguments, so a test reads the rule without a
database); the functions below it run it. A number is matched exactly when it reads as a phone number
(E.164, or national in ``region``), else by its last digits (``0912 345 678`` finds ``+84912345678``).
Times are UTC; a ``date_to`` day is included whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg

from dnc.errors import InvalidNumber
from dnc.numbers import normalise

STATUSES = ("pending", "queued", "sent", "delivered", "failed", "undelivered", "refused", "cancelled", "received")
DIRECTIONS = ("out", "in")
PAGE = 50
# Handed to a provider (whatever happened next): what "sent" counts on the statistics page.
HANDED_OVER = ("queued", "sent", "delivered", "failed", "undelivered")
SMS_OPTOUT_KIND = "sms_optout"


@dataclass(frozen=True, slots=True)
class LogFilter:
    number: str = ""
    lead_id: int | None = None
    campaign_id: int | None = None
    status: str = ""
    direction: str = ""
    date_from: date | None = None
    date_to: date | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        if self.status and self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; choose one of {', '.join(STATUSES)}")
        if self.direction and self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}; choose in or out")
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("the end date is before the start date")


def number_condition(text: str, region: str | None = None) -> tuple[str, str] | None:
    """``("exact", "+849...")`` when ``text`` reads as a phone number, else ``("suffix", digits)`` on its digits
    without leading zeros (at least 4), else None (nothing to search)."""
    if not text.strip():
        return None
    try:
        return "exact", normalise(text, default_region=region)
    except InvalidNumber:
        digits = re.sub(r"\D", "", text).lstrip("0")
        return ("suffix", digits) if len(digits) >= 4 else None


def log_query(f: LogFilter, *, before_id: int | None = None, limit: int = PAGE) -> tuple[str, list[Any]]:
    """The SQL of one page of the log (newest first, ``before_id``: the page older than that message)."""
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.number.strip():
        found = number_condition(f.number, f.region)
        if found is None:
            where.append("false")            # a few digits or none: refuse rather than list everything
        elif found[0] == "exact":
            where.append(f"m.phone = {arg(found[1])}")
        else:
            # reversed, a suffix is a prefix: the index sms_messages_phone_reversed (migration 0430) serves it
            where.append(f"reverse(m.phone) LIKE {arg(found[1][::-1] + '%')}")
    if f.lead_id is not None:
        where.append(f"m.lead_id = {arg(f.lead_id)}")
    if f.campaign_id is not None:
        where.append(f"m.campaign_id = {arg(f.campaign_id)}")
    if f.status:
        where.append(f"m.status = {arg(f.status)}")
    if f.direction:
        where.append(f"m.direction = {arg(f.direction)}")
    if f.date_from:
        where.append(f"m.created_at >= {arg(datetime.combine(f.date_from, time(), tzinfo=UTC))}")
    if f.date_to:
        where.append(f"m.created_at < {arg(datetime.combine(f.date_to + timedelta(days=1), time(), tzinfo=UTC))}")
    if before_id is not None:
        where.append(f"m.id < {arg(before_id)}")
    sql = ("SELECT m.id, m.direction, m.lead_id, m.campaign_id, c.name AS campaign_name, m.template_id, m.agent_id,"
           " m.phone, m.body, m.encoding, m.parts, m.provider, m.provider_message_id, m.status, m.reason,"
           " m.reason_code, m.reason_params,"
           " m.attempts, m.scheduled_for, m.created_at, m.sent_at, m.final_at, m.send_id"
           " FROM sms_messages m LEFT JOIN campaigns c ON c.id = m.campaign_id"
           + (" WHERE " + " AND ".join(where) if where else "")
           + f" ORDER BY m.id DESC LIMIT {arg(limit)}")
    return sql, args


@dataclass(frozen=True, slots=True)
class StatusStep:
    status: str
    at: datetime
    outcome: str = ""          # a delivery report's: applied, duplicate, stale ... ('' for our own steps)


@dataclass(frozen=True, slots=True)
class LogRow:
    message: Mapping[str, Any]
    history: tuple[StatusStep, ...] = field(default_factory=tuple)


async def search(conn: asyncpg.Connection | asyncpg.Pool, f: LogFilter, *, before_id: int | None = None,
                 limit: int = PAGE) -> list[LogRow]:
    """One page of the log, each message with its status history (created, handed over, every delivery report
    received for it, applied or not)."""
    sql, args = log_query(f, before_id=before_id, limit=limit)
    rows = [dict(r) for r in await conn.fetch(sql, *args)]
    reports: dict[int, list[StatusStep]] = {}
    if rows:
        for r in await conn.fetch(
                "SELECT message_id, status, received_at, outcome FROM sms_delivery_reports"
                " WHERE message_id = ANY($1::bigint[]) ORDER BY id", [r["id"] for r in rows]):
            reports.setdefault(r["message_id"], []).append(StatusStep(r["status"], r["received_at"], r["outcome"]))
    return [LogRow(r, tuple(history_of(r, reports.get(r["id"], [])))) for r in rows]


def history_of(message: Mapping[str, Any], reports: Sequence[StatusStep]) -> list[StatusStep]:
    """A message's steps in time order: written (pending, or received), sent by the provider, the delivery
    reports (or, with none, its final status)."""
    steps = [StatusStep("received" if message["direction"] == "in" else "pending", message["created_at"])]
    if message.get("sent_at") is not None:
        steps.append(StatusStep("sent", message["sent_at"]))
    steps.extend(reports)
    if not reports and message.get("final_at") is not None and message["status"] not in ("queued", "received"):
        steps.append(StatusStep(message["status"], message["final_at"]))
    return sorted(steps, key=lambda s: s.at)


@dataclass(frozen=True, slots=True)
class CampaignFigures:
    campaign_id: int | None
    campaign_name: str
    sent: int
    delivered: int
    failed: int
    refused: int
    received: int
    opt_outs: int
    parts: int
    cost: float | None           # None: a provider without a price per part


async def campaign_figures(conn: asyncpg.Connection | asyncpg.Pool, *, since: datetime, until: datetime,
                           prices: Mapping[str, float]) -> list[CampaignFigures]:
    """Per campaign, messages created in [since, until): handed over (``sent``), delivered, failed or undelivered,
    refused by consent, received, opt-outs (numbers this campaign texted that were put on an SMS opt-out list in
    the period), parts handed over, and their cost at ``prices`` (provider name -> price per part)."""
    rows = await conn.fetch(
        "SELECT m.campaign_id, COALESCE(c.name, '') AS name, m.provider,"
        " count(*) FILTER (WHERE m.status = ANY($3::text[])) AS sent,"
        " count(*) FILTER (WHERE m.status = 'delivered') AS delivered,"
        " count(*) FILTER (WHERE m.status IN ('failed', 'undelivered')) AS failed,"
        " count(*) FILTER (WHERE m.status = 'refused') AS refused,"
        " count(*) FILTER (WHERE m.direction = 'in') AS received,"
        " COALESCE(sum(m.parts) FILTER (WHERE m.status = ANY($3::text[])), 0) AS parts"
        " FROM sms_messages m LEFT JOIN campaigns c ON c.id = m.campaign_id"
        " WHERE m.created_at >= $1 AND m.created_at < $2"
        " GROUP BY m.campaign_id, c.name, m.provider", since, until, list(HANDED_OVER))
    optouts = {r["campaign_id"]: r["n"] for r in await conn.fetch(
        "SELECT m.campaign_id, count(DISTINCT a.number) AS n FROM dnc_audit a"
        " JOIN dnc_lists l ON l.id = a.list_id AND l.kind = $3"
        " JOIN (SELECT DISTINCT campaign_id, phone FROM sms_messages WHERE direction = 'out') m ON m.phone = a.number"
        " WHERE a.action = 'add' AND a.at >= $1 AND a.at < $2 GROUP BY m.campaign_id", since, until, SMS_OPTOUT_KIND)}
    merged: dict[int | None, dict[str, Any]] = {}
    for r in rows:
        acc = merged.setdefault(r["campaign_id"], {"name": r["name"], "sent": 0, "delivered": 0, "failed": 0,
                                                   "refused": 0, "received": 0, "parts": 0, "cost": 0.0})
        for key in ("sent", "delivered", "failed", "refused", "received", "parts"):
            acc[key] += int(r[key])
        price = prices.get(r["provider"]) if r["provider"] else 0.0
        if acc["cost"] is not None:
            acc["cost"] = None if price is None and r["parts"] else acc["cost"] + (price or 0.0) * int(r["parts"])
    return sorted((CampaignFigures(cid, v["name"], v["sent"], v["delivered"], v["failed"], v["refused"],
                                   v["received"], int(optouts.get(cid, 0)), v["parts"],
                                   None if v["cost"] is None else round(v["cost"], 4))
                   for cid, v in merged.items()), key=lambda f: (f.campaign_name.casefold(), f.campaign_id or 0))


async def daily(conn: asyncpg.Connection | asyncpg.Pool, *, campaign_id: int, since: datetime,
                until: datetime) -> list[tuple[date, int, int, int]]:
    """(day, handed over, delivered, failed) per UTC day for one campaign, every day of the period listed."""
    rows = {r["day"]: r for r in await conn.fetch(
        "SELECT (created_at AT TIME ZONE 'UTC')::date AS day,"
        " count(*) FILTER (WHERE status = ANY($4::text[])) AS sent,"
        " count(*) FILTER (WHERE status = 'delivered') AS delivered,"
        " count(*) FILTER (WHERE status IN ('failed', 'undelivered')) AS failed"
        " FROM sms_messages WHERE campaign_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1",
        campaign_id, since, until, list(HANDED_OVER))}
    out = []
    day = since.astimezone(UTC).date()
    while day <= (until - timedelta(microseconds=1)).astimezone(UTC).date():
        r = rows.get(day)
        out.append((day, int(r["sent"]) if r else 0, int(r["delivered"]) if r else 0, int(r["failed"]) if r else 0))
        day += timedelta(days=1)
    return out


async def optout_audit(conn: asyncpg.Connection | asyncpg.Pool, *, before_id: int | None = None,
                       limit: int = PAGE) -> list[dict[str, Any]]:
    """The audit of every SMS opt-out list (who or what added or removed a number, when, why), newest first."""
    return [dict(r) for r in await conn.fetch(
        "SELECT a.id, a.at, a.actor, a.action, l.name AS list_name, a.number, a.reason FROM dnc_audit a"
        " JOIN dnc_lists l ON l.id = a.list_id WHERE l.kind = $1 AND ($2::bigint IS NULL OR a.id < $2)"
        " ORDER BY a.id DESC LIMIT $3", SMS_OPTOUT_KIND, before_id, limit)]


async def optout_lists(conn: asyncpg.Connection | asyncpg.Pool) -> list[dict[str, Any]]:
    """The SMS opt-out lists with how many numbers each holds."""
    return [dict(r) for r in await conn.fetch(
        "SELECT l.name, count(e.number) AS numbers FROM dnc_lists l LEFT JOIN dnc_entries e ON e.list_id = l.id"
        " WHERE l.kind = $1 GROUP BY l.id, l.name ORDER BY l.name", SMS_OPTOUT_KIND)]
