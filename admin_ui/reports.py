"""Report queries over ``call_records`` (one row per attempt, written by the engine), with their SQL.

Every function takes the connection and a ``Period`` (a campaign or all, and a time range); results
are frozen rows the pages show as tables, charts and CSV. Abandonment for compliance comes from
``dialer.call_records.abandonment`` (the same figures the pacer is held to).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeAlias

import asyncpg

from campaigns.model import Campaign
from dialer import call_records

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool
_WHERE = "($1::bigint IS NULL OR r.campaign_id = $1) AND r.originated_at >= $2 AND r.originated_at < $3"


@dataclass(frozen=True, slots=True)
class Period:
    campaign_id: int | None
    since: datetime
    until: datetime
    zone: str = "UTC"            # for per-hour buckets

    @property
    def args(self) -> tuple[int | None, datetime, datetime]:
        return self.campaign_id, self.since, self.until


@dataclass(frozen=True, slots=True)
class DispositionRow:
    result: str                  # the disposition code, else the outcome (busy, no_answer, ...)
    is_disposition: bool
    calls: int


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent: str
    calls: int
    talk_s: float
    wrap_s: float
    sales: int

    @property
    def average_handle_s(self) -> float:
        return (self.talk_s + self.wrap_s) / self.calls if self.calls else 0.0


@dataclass(frozen=True, slots=True)
class HourRow:
    hour: datetime               # start of the hour, local to the period's zone
    attempts: int
    answered: int
    handled: int
    abandoned: int


async def by_disposition(conn: Conn, period: Period) -> list[DispositionRow]:
    """Finished attempts grouped by disposition (handled calls) or outcome (the others), most first."""
    rows = await conn.fetch(
        "SELECT COALESCE(r.disposition, r.outcome) AS result, r.disposition IS NOT NULL AS is_dispo, count(*) AS n"
        f" FROM call_records r WHERE {_WHERE} AND r.outcome IS NOT NULL"
        " GROUP BY 1, 2 ORDER BY n DESC, result", *period.args)
    return [DispositionRow(r["result"], r["is_dispo"], r["n"]) for r in rows]


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


async def per_agent(conn: Conn, period: Period, *, sale_codes: tuple[str, ...] = ("sale",)) -> list[AgentRow]:
    """Calls each agent talked on, talk and wrap-up time, and sales."""
    rows = await conn.fetch(
        "SELECT COALESCE(u.display_name, u.username, '?') AS agent, count(*) AS calls,"
        " COALESCE(sum(extract(epoch FROM (r.ended_at - r.connected_at))), 0)::float8 AS talk_s,"
        " COALESCE(sum(extract(epoch FROM (r.wrap_end_at - r.ended_at))), 0)::float8 AS wrap_s,"
        " count(*) FILTER (WHERE r.disposition = ANY($4::text[])) AS sales"
        f" FROM call_records r JOIN users u ON u.id = r.agent_id WHERE {_WHERE} AND r.connected_at IS NOT NULL"
        " GROUP BY 1 ORDER BY calls DESC, agent", *period.args, list(sale_codes))
    return [AgentRow(r["agent"], r["calls"], r["talk_s"], r["wrap_s"], r["sales"]) for r in rows]


async def per_hour(conn: Conn, period: Period) -> list[HourRow]:
    """Attempts, live answers, handled and abandoned calls per hour (in ``period.zone``)."""
    rows = await conn.fetch(
        "SELECT date_trunc('hour', r.originated_at AT TIME ZONE $4) AS hour, count(*) AS attempts,"
        " count(*) FILTER (WHERE r.ready_at IS NOT NULL) AS answered,"
        " count(*) FILTER (WHERE r.outcome = 'handled') AS handled,"
        " count(*) FILTER (WHERE r.outcome = 'abandoned') AS abandoned"
        f" FROM call_records r WHERE {_WHERE} GROUP BY 1 ORDER BY 1", *period.args, period.zone)
    return [HourRow(r["hour"], r["attempts"], r["answered"], r["handled"], r["abandoned"]) for r in rows]


@dataclass(frozen=True, slots=True)
class AbandonmentRow:
    campaign_id: int
    campaign: str
    cap: float
    day: call_records.AbandonmentFigures
    month: call_records.AbandonmentFigures

    @property
    def over_cap(self) -> bool:
        return self.day.rate > self.cap or self.month.rate > self.cap


async def abandonment(conn: Conn, *, campaigns: list[tuple[int, str, float]], now: datetime) -> list[AbandonmentRow]:
    """Abandonment over the rolling 24 hours and 30 days of each (id, name, cap) campaign."""
    out = []
    for campaign_id, name, cap in campaigns:
        day = await call_records.abandonment(conn, campaign_id=campaign_id, now=now, window=timedelta(hours=24))
        month = await call_records.abandonment(conn, campaign_id=campaign_id, now=now, window=timedelta(days=30))
        out.append(AbandonmentRow(campaign_id, name, cap, day, month))
    return out


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
