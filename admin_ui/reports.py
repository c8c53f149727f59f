"""Report queries over ``call_records`` (one row per attempt, outbound or inbound, written by the engine), with their SQL.

Every query filters through one ``Period`` (campaign, queue, agent, time range, zone for hours): its ``where`` is
the one WHERE clause of every report, and ``args`` its parameters ($1..$n); a query's own parameters follow
(``period.param(k)``). A filter added to reports (a site, say) is added there once.

The figures (``Figures``), the same for every grouping (campaign, queue, agent, hour):

* attempts: every record in the period (dialled calls and inbound callers alike);
* connects: the calls that reached an agent (``connected_at``);
* abandoned: live answers (or inbound callers) no agent took; its rate is abandoned / (handled + abandoned), the
  rate the pacer and the compliance page use;
* talk: from the agent's connect to the end; wrap-up: from the end to the disposition;
* conversions: handled calls whose disposition is in ``report_conversions`` (admins set them; 'sale' at first).

Inbound records carry ``queue_id`` and no campaign: they count per queue, per agent, per hour and per disposition,
never per campaign. Abandonment for compliance comes from ``dialer.call_records.abandonment`` (the same figures
the pacer is held to).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import asyncpg

from campaigns.model import Campaign
from dialer import call_records

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool
GROUPINGS = ("campaign", "queue", "agent", "hour")


@dataclass(frozen=True, slots=True)
class Period:
    """What every report is filtered by: ``where`` and ``args`` are the one shared WHERE clause."""

    campaign_id: int | None
    since: datetime
    until: datetime
    zone: str = "UTC"            # for per-hour buckets
    queue_id: int | None = None
    agent_id: int | None = None
    site_id: int | None = None   # dialer.sites: the records of that site's campaigns and queues (None: every site)

    @property
    def where(self) -> str:
        return ("($1::bigint IS NULL OR r.campaign_id = $1) AND r.originated_at >= $2 AND r.originated_at < $3"
                " AND ($4::bigint IS NULL OR r.queue_id = $4) AND ($5::bigint IS NULL OR r.agent_id = $5)"
                " AND ($6::bigint IS NULL OR COALESCE((SELECT sc.site_id FROM campaigns sc WHERE sc.id = r.campaign_id),"
                " (SELECT sq.site_id FROM inbound_queues sq WHERE sq.id = r.queue_id)) = $6)")

    @property
    def args(self) -> tuple[Any, ...]:
        return self.campaign_id, self.since, self.until, self.queue_id, self.agent_id, self.site_id

    def param(self, k: int) -> str:
        """The placeholder of a query's own k-th parameter (1-based), after the period's."""
        return f"${len(self.args) + k}"


async def conversion_codes(conn: Conn) -> list[str]:
    return [r["code"] for r in await conn.fetch("SELECT code FROM report_conversions ORDER BY code")]


async def set_conversion_codes(pool: asyncpg.Pool, codes: Sequence[str]) -> list[str]:
    """Replace the conversion dispositions with ``codes`` (blank ones dropped, each once)."""
    kept = sorted({c.strip() for c in codes if c.strip()})
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM report_conversions")
        await conn.executemany("INSERT INTO report_conversions (code) VALUES ($1)", [(k,) for k in kept])
    return kept


# --- figures per campaign, queue, agent, hour -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Figures:
    key: Any                     # the campaign, queue or agent id, or the hour (local to the period's zone)
    label: str
    attempts: int
    connects: int
    handled: int
    abandoned: int
    talk_s: float
    wrap_s: float
    conversions: int

    @property
    def abandon_rate(self) -> float:
        answered = self.handled + self.abandoned
        return self.abandoned / answered if answered else 0.0

    @property
    def average_handle_s(self) -> float:
        return (self.talk_s + self.wrap_s) / self.connects if self.connects else 0.0


_GROUP: dict[str, tuple[str, str, str, str]] = {
    # grouping: (key, label, join, only these records)
    "campaign": ("r.campaign_id", "COALESCE(c.name, '#' || r.campaign_id)",
                 "LEFT JOIN campaigns c ON c.id = r.campaign_id", "r.campaign_id IS NOT NULL"),
    "queue": ("r.queue_id", "COALESCE(q.name, '#' || r.queue_id)",
              "LEFT JOIN inbound_queues q ON q.id = r.queue_id", "r.queue_id IS NOT NULL"),
    "agent": ("r.agent_id", "COALESCE(NULLIF(u.display_name, ''), u.username, '#' || r.agent_id)",
              "LEFT JOIN users u ON u.id = r.agent_id", "r.agent_id IS NOT NULL"),
}


async def figures(conn: Conn, period: Period, by: str) -> list[Figures]:
    """Attempts, connects, abandoned, talk, wrap-up and conversions per ``by`` (one of ``GROUPINGS``)."""
    if by not in GROUPINGS:
        raise ValueError(f"no grouping {by!r}; groupings are {', '.join(GROUPINGS)}")
    if by == "hour":
        key = label = f"date_trunc('hour', r.originated_at AT TIME ZONE {period.param(2)})"
        join, only, extra = "", "true", [period.zone]
    else:
        key, label, join, only = _GROUP[by]
        extra = []
    rows = await conn.fetch(
        f"SELECT {key} AS key, {label} AS label, count(*) AS attempts,"
        " count(*) FILTER (WHERE r.connected_at IS NOT NULL) AS connects,"
        " count(*) FILTER (WHERE r.outcome = 'handled') AS handled,"
        " count(*) FILTER (WHERE r.outcome = 'abandoned') AS abandoned,"
        " COALESCE(sum(extract(epoch FROM (r.ended_at - r.connected_at))), 0)::float8 AS talk_s,"
        " COALESCE(sum(extract(epoch FROM (r.wrap_end_at - r.ended_at))), 0)::float8 AS wrap_s,"
        f" count(*) FILTER (WHERE r.outcome = 'handled' AND r.disposition = ANY({period.param(1)}::text[])) AS conv"
        f" FROM call_records r {join} WHERE {period.where} AND {only}"
        " GROUP BY 1, 2 ORDER BY " + ("1" if by == "hour" else "attempts DESC, label"),
        *period.args, await conversion_codes(conn), *extra)
    return [Figures(r["key"], r["label"] if by != "hour" else r["key"].strftime("%Y-%m-%d %H:00"), r["attempts"],
                    r["connects"], r["handled"], r["abandoned"], r["talk_s"], r["wrap_s"], r["conv"]) for r in rows]


# --- dispositions ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DispositionRow:
    result: str                  # the disposition code, else the outcome (busy, no_answer, ...)
    is_disposition: bool
    calls: int
    conversion: bool = False
    talk_s: float = 0.0


async def by_disposition(conn: Conn, period: Period) -> list[DispositionRow]:
    """Finished attempts grouped by disposition (handled calls) or outcome (the others), most first; whether the
    disposition counts as a conversion."""
    rows = await conn.fetch(
        "SELECT COALESCE(r.disposition, r.outcome) AS result, r.disposition IS NOT NULL AS is_dispo, count(*) AS n,"
        " COALESCE(sum(extract(epoch FROM (r.ended_at - r.connected_at))), 0)::float8 AS talk_s"
        f" FROM call_records r WHERE {period.where} AND r.outcome IS NOT NULL"
        " GROUP BY 1, 2 ORDER BY n DESC, result", *period.args)
    conversions = set(await conversion_codes(conn))
    return [DispositionRow(r["result"], r["is_dispo"], r["n"], r["is_dispo"] and r["result"] in conversions,
                           r["talk_s"]) for r in rows]


def disposition_labels(campaigns: Sequence[Campaign], campaign_id: int | None) -> dict[str, str]:
    """Disposition code -> the label agents pick it by: the chosen campaign's, else the first campaign that
    has that code (campaigns may label one code differently; all-campaign reports take the first)."""
    ordered = sorted(campaigns, key=lambda c: (c.id != campaign_id, c.id))
    labels: dict[str, str] = {}
    for campaign in ordered:
        for disposition in campaign.dispositions:
            labels.setdefault(disposition.code, disposition.label)
    return labels


def result_label(row: DispositionRow, labels: dict[str, str], outcome_label: Callable[[str], str]) -> str:
    """What a person reads for a result: the disposition's label, else the outcome in words, else the code."""
    if row.is_disposition:
        return labels.get(row.result, row.result)
    return outcome_label(row.result) or row.result


# --- call detail search ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CallSearch:
    """A call detail search: the period's filters, and these (empty: any)."""

    number: str = ""             # digits anywhere in the number
    disposition: str = ""
    outcome: str = ""
    min_s: int | None = None     # talk seconds, at least / at most
    max_s: int | None = None
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True, slots=True)
class CallRow:
    id: int
    originated_at: datetime
    direction: str
    phone: str
    lead_name: str
    campaign: str
    queue: str
    agent: str
    outcome: str
    disposition: str
    talk_s: float
    wrap_s: float


async def search_calls(conn: Conn, period: Period, search: CallSearch) -> tuple[list[CallRow], int]:
    """One page of the call records matching ``period`` and ``search``, newest first, and how many match."""
    digits = "".join(ch for ch in search.number if ch.isdigit())
    p = period.param
    where = (f"{period.where} AND ({p(1)}::text = '' OR regexp_replace(r.phone_e164, '[^0-9]', '', 'g') LIKE"
             f" '%' || {p(1)} || '%') AND ({p(2)}::text = '' OR r.disposition = {p(2)})"
             f" AND ({p(3)}::text = '' OR r.outcome = {p(3)})"
             f" AND ({p(4)}::int IS NULL OR COALESCE(extract(epoch FROM (r.ended_at - r.connected_at)), 0) >= {p(4)})"
             f" AND ({p(5)}::int IS NULL OR COALESCE(extract(epoch FROM (r.ended_at - r.connected_at)), 0) <= {p(5)})")
    args = (*period.args, digits, search.disposition, search.outcome, search.min_s, search.max_s)
    total = await conn.fetchval(f"SELECT count(*) FROM call_records r WHERE {where}", *args)
    rows = await conn.fetch(
        "SELECT r.id, r.originated_at, r.direction, r.phone_e164,"
        " trim(COALESCE(l.first_name, '') || ' ' || COALESCE(l.last_name, '')) AS lead_name,"
        " COALESCE(c.name, '') AS campaign, COALESCE(q.name, '') AS queue,"
        " COALESCE(NULLIF(u.display_name, ''), u.username, '') AS agent, COALESCE(r.outcome, '') AS outcome,"
        " COALESCE(r.disposition, '') AS disposition,"
        " COALESCE(extract(epoch FROM (r.ended_at - r.connected_at)), 0)::float8 AS talk_s,"
        " COALESCE(extract(epoch FROM (r.wrap_end_at - r.ended_at)), 0)::float8 AS wrap_s"
        " FROM call_records r LEFT JOIN leads l ON l.id = r.lead_id LEFT JOIN campaigns c ON c.id = r.campaign_id"
        " LEFT JOIN inbound_queues q ON q.id = r.queue_id LEFT JOIN users u ON u.id = r.agent_id"
        f" WHERE {where} ORDER BY r.originated_at DESC, r.id DESC LIMIT {p(6)} OFFSET {p(7)}",
        *args, search.per_page, (max(search.page, 1) - 1) * search.per_page)
    return [CallRow(r["id"], r["originated_at"], r["direction"], r["phone_e164"], r["lead_name"], r["campaign"],
                    r["queue"], r["agent"], r["outcome"], r["disposition"], r["talk_s"], r["wrap_s"])
            for r in rows], total


# --- compliance ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AbandonmentRow:
    campaign_id: int
    campaign: str
    cap: float
    day: call_records.AbandonmentFigures
    month: call_records.AbandonmentFigures
    dnc_today: int = 0           # numbers refused at dial time for being on a DNC list (UTC days)
    dnc_30d: int = 0

    @property
    def over_cap(self) -> bool:
        return self.day.rate > self.cap or self.month.rate > self.cap


async def abandonment(conn: Conn, *, campaigns: list[tuple[int, str, float]], now: datetime) -> list[AbandonmentRow]:
    """Abandonment over the rolling 24 hours and 30 days of each (id, name, cap) campaign, and its DNC refusals
    today and over the 30 days up to today (UTC)."""
    hits = await dnc_refusals(conn, now=now)
    out = []
    for campaign_id, name, cap in campaigns:
        day = await call_records.abandonment(conn, campaign_id=campaign_id, now=now, window=timedelta(hours=24))
        month = await call_records.abandonment(conn, campaign_id=campaign_id, now=now, window=timedelta(days=30))
        today, thirty = hits.get(campaign_id, (0, 0))
        out.append(AbandonmentRow(campaign_id, name, cap, day, month, today, thirty))
    return out


async def dnc_refusals(conn: Conn, *, now: datetime) -> dict[int, tuple[int, int]]:
    """campaign id -> (DNC hits refused at dial time today, over the last 30 days), UTC days."""
    today = now.astimezone(UTC).date()
    rows = await conn.fetch(
        "SELECT campaign_id, COALESCE(sum(hits) FILTER (WHERE day = $1), 0) AS today, sum(hits) AS month"
        " FROM dnc_refusals WHERE day > $1 - 30 AND day <= $1 GROUP BY 1", today)
    return {r["campaign_id"]: (int(r["today"]), int(r["month"])) for r in rows}


@dataclass(frozen=True, slots=True)
class DailyAbandonment:
    day: datetime
    answers: int
    abandons: int

    @property
    def rate(self) -> float:
        return self.abandons / self.answers if self.answers else 0.0


async def daily_abandonment(conn: Conn, *, campaign_id: int, now: datetime, days: int = 30) -> list[DailyAbandonment]:
    """Live answers and abandons per UTC day over the last ``days`` days."""
    rows = await conn.fetch(
        "SELECT date_trunc('day', ready_at AT TIME ZONE 'UTC') AS day,"
        " count(*) FILTER (WHERE outcome IN ('handled', 'abandoned')) AS answers,"
        " count(*) FILTER (WHERE outcome = 'abandoned') AS abandons"
        " FROM call_records WHERE campaign_id = $1 AND ready_at > $2 AND ready_at <= $3 GROUP BY 1 ORDER BY 1",
        campaign_id, now - timedelta(days=days), now)
    return [DailyAbandonment(r["day"], r["answers"], r["abandons"]) for r in rows]


# --- every report as a table (CSV, XLSX, scheduled files) ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Table:
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _s(seconds: float) -> int:
    return round(seconds)


def figures_table(rows: Sequence[Figures], by: str, zone: str) -> Table:
    first = f"hour ({zone})" if by == "hour" else by
    return Table([first, "attempts", "connects", "handled", "abandoned", "abandon_rate", "talk_s", "wrap_s",
                  "average_handle_s", "conversions"],
                 [[r.label, r.attempts, r.connects, r.handled, r.abandoned, round(r.abandon_rate, 4), _s(r.talk_s),
                   _s(r.wrap_s), _s(r.average_handle_s), r.conversions] for r in rows])


def dispositions_table(rows: Sequence[DispositionRow], labels: dict[str, str]) -> Table:
    return Table(["result", "label", "is_disposition", "conversion", "calls", "talk_s"],
                 [[r.result, labels.get(r.result, r.result) if r.is_disposition else r.result, r.is_disposition,
                   r.conversion, r.calls, _s(r.talk_s)] for r in rows])


def calls_table(rows: Sequence[CallRow], zone: Any) -> Table:
    return Table(["id", "originated_at", "direction", "number", "lead", "campaign", "queue", "agent", "outcome",
                  "disposition", "talk_s", "wrap_s"],
                 [[r.id, r.originated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), r.direction, r.phone,
                   r.lead_name, r.campaign, r.queue, r.agent, r.outcome, r.disposition, _s(r.talk_s), _s(r.wrap_s)]
                  for r in rows])


def compliance_table(rows: Sequence[AbandonmentRow]) -> Table:
    return Table(["campaign", "cap", "answers_24h", "abandons_24h", "rate_24h", "answers_30d", "abandons_30d",
                  "rate_30d", "over_cap", "dnc_refused_today", "dnc_refused_30d"],
                 [[r.campaign, r.cap, r.day.answers, r.day.abandons, round(r.day.rate, 4), r.month.answers,
                   r.month.abandons, round(r.month.rate, 4), r.over_cap, r.dnc_today, r.dnc_30d] for r in rows])
