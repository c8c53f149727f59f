"""Call costs from per-minute rates by number prefix, set per trunk (table ``call_rates``, migration 0380).

A rate: trunk (``*``: any trunk), E.164 prefix (``+84``, ``+8498``; ``+`` alone: every number), rate per minute,
billing increment ``first/step`` in seconds (``60/60``: whole minutes, ``1/1``: per second, ``30/6``: 30 s then
6 s steps) and currency (ISO 4217, three letters). An outbound call's rate is the one with the longest prefix of
the dialled number, its own trunk's before ``*``; it is billed on its answered seconds (answer to hang-up):
``first`` seconds at least, then whole steps. The call's trunk is read from its dial string: the endpoint after
``@`` (``PJSIP/{number}@viettel`` -> ``viettel``), else the middle part (``SIP/viettel/{number}`` -> ``viettel``).

``check_rate`` validates one rate naming the field at fault (``RateError.field``); ``parse_rates_csv`` reads a file
of rates (``trunk,prefix,rate_per_min,increment,currency``) and refuses it whole, naming line and field, when one
row is wrong. Costs are summed in SQL per campaign or agent and currency (``costs``) with the reports' ``Period``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from admin_ui.reports import Period, Table

TRUNK_SQL = ("COALESCE(substring(r.dial_string from '@([^/;@]+)'), substring(r.dial_string from '^[^/]+/([^/]+)/'),"
             " '')")
_TRUNK_RE = re.compile(r"^[A-Za-z0-9_.*-]{1,64}$")
_PREFIX_RE = re.compile(r"^\+[0-9]{0,15}$")
_INCREMENT_RE = re.compile(r"^\s*([0-9]{1,5})\s*/\s*([0-9]{1,5})\s*$")
CSV_HEADER = ["trunk", "prefix", "rate_per_min", "increment", "currency"]


class RateError(ValueError):
    """A rate refused: ``field`` names the field, ``code`` the reason (``rate_err_<code>`` in admin_ui.i18n)."""

    def __init__(self, field: str, code: str, value: str = "", line: int | None = None) -> None:
        super().__init__(f"{field}: {code} ({value!r})" + (f" on line {line}" if line else ""))
        self.field, self.code, self.value, self.line = field, code, value, line


@dataclass(frozen=True, slots=True)
class Rate:
    trunk: str
    prefix: str
    rate_per_min: Decimal
    first_s: int = 60
    step_s: int = 60
    currency: str = "USD"
    id: int | None = None

    @property
    def increment(self) -> str:
        return f"{self.first_s}/{self.step_s}"

    @property
    def rate_text(self) -> str:
        """The rate as a person writes it: 0.035, 100 (never 1E+2)."""
        return format(self.rate_per_min.normalize(), "f")

    def billed_s(self, seconds: float) -> int:
        """The seconds billed for ``seconds`` answered (pure; the SQL in ``costs`` says the same)."""
        if seconds <= 0:
            return 0
        if seconds <= self.first_s:
            return self.first_s
        steps = -(-(seconds - self.first_s) // self.step_s)
        return int(self.first_s + steps * self.step_s)


def check_rate(trunk: str, prefix: str, rate_per_min: str, increment: str, currency: str,
               line: int | None = None) -> Rate:
    """A valid ``Rate`` from what a person typed, else ``RateError`` naming the field."""
    trunk, prefix, currency = trunk.strip(), prefix.strip().replace(" ", ""), currency.strip().upper()
    if not _TRUNK_RE.match(trunk):
        raise RateError("trunk", "trunk", trunk, line)
    if prefix and prefix[0].isdigit():
        prefix = "+" + prefix
    if not _PREFIX_RE.match(prefix):
        raise RateError("prefix", "prefix", prefix, line)
    try:
        rate = Decimal(rate_per_min.strip().replace(",", "."))
    except InvalidOperation:
        raise RateError("rate_per_min", "rate", rate_per_min, line) from None
    if not rate.is_finite() or rate < 0 or rate >= Decimal(10) ** 8:
        raise RateError("rate_per_min", "rate", rate_per_min, line)
    found = _INCREMENT_RE.match(increment or "60/60")
    if not found or int(found.group(1)) < 1 or int(found.group(2)) < 1:
        raise RateError("increment", "increment", increment, line)
    if not re.fullmatch("[A-Z]{3}", currency):
        raise RateError("currency", "currency", currency, line)
    return Rate(trunk, prefix, rate, int(found.group(1)), int(found.group(2)), currency)


def parse_rates_csv(text: str) -> list[Rate]:
    """Every rate of a CSV file (header ``trunk,prefix,rate_per_min,increment,currency``; the header may be left
    out); the first bad row refuses the file (``RateError`` with its line)."""
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(c.strip() for c in r)]
    if rows and [c.strip().lower() for c in rows[0]][:2] == CSV_HEADER[:2]:
        start, rows = 2, rows[1:]
    else:
        start = 1
    rates = []
    for n, row in enumerate(rows, start=start):
        cells = [c.lstrip("'") for c in row] + [""] * (5 - len(row))
        if len(row) > 5:
            raise RateError("file", "columns", ",".join(row), n)
        rates.append(check_rate(*cells[:5], line=n))
    return rates


async def save_rates(pool: asyncpg.Pool, rates: list[Rate]) -> int:
    """Insert or replace (by trunk and prefix) ``rates`` in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(
            "INSERT INTO call_rates (trunk, prefix, rate_per_min, first_s, step_s, currency)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (trunk, prefix) DO UPDATE SET"
            " rate_per_min = EXCLUDED.rate_per_min, first_s = EXCLUDED.first_s, step_s = EXCLUDED.step_s,"
            " currency = EXCLUDED.currency",
            [(r.trunk, r.prefix, r.rate_per_min, r.first_s, r.step_s, r.currency) for r in rates])
    return len(rates)


async def list_rates(conn: Any) -> list[Rate]:
    rows = await conn.fetch("SELECT * FROM call_rates ORDER BY trunk, prefix")
    return [Rate(r["trunk"], r["prefix"], r["rate_per_min"], r["first_s"], r["step_s"], r["currency"], r["id"])
            for r in rows]


async def delete_rate(conn: Any, rate_id: int) -> None:
    await conn.execute("DELETE FROM call_rates WHERE id = $1", rate_id)


@dataclass(frozen=True, slots=True)
class CostRow:
    key: int | None
    label: str
    currency: str            # "" for calls no rate matched
    calls: int
    answered_s: float
    billed_s: int
    cost: Decimal


_BY = {
    "campaign": ("r.campaign_id", "COALESCE(c.name, '#' || r.campaign_id)", "LEFT JOIN campaigns c ON c.id = r.campaign_id"),
    "agent": ("r.agent_id", "COALESCE(NULLIF(u.display_name, ''), u.username, '-')", "LEFT JOIN users u ON u.id = r.agent_id"),
}


async def costs(conn: Any, period: Period, by: str) -> list[CostRow]:
    """Answered outbound calls' cost per campaign or agent (``by``) and currency; calls no rate matched come with
    currency "" and cost 0 (so they are seen, not silently free)."""
    key, label, join = _BY[by]
    rows = await conn.fetch(
        "WITH billed AS ("
        f" SELECT {key} AS key, {label} AS label, k.currency, k.rate_per_min,"
        "  GREATEST(extract(epoch FROM (r.ended_at - r.answered_at)), 0)::numeric AS secs, k.first_s, k.step_s"
        f" FROM call_records r {join}"
        " LEFT JOIN LATERAL (SELECT * FROM call_rates k"
        f"  WHERE (k.trunk = {TRUNK_SQL} OR k.trunk = '*') AND left(r.phone_e164, length(k.prefix)) = k.prefix"
        "  ORDER BY length(k.prefix) DESC, k.trunk = '*' LIMIT 1) k ON true"
        f" WHERE {period.where} AND r.direction <> 'inbound' AND r.answered_at IS NOT NULL AND r.ended_at IS NOT NULL"
        "), priced AS ("
        " SELECT *, CASE WHEN first_s IS NULL OR secs <= 0 THEN 0 WHEN secs <= first_s THEN first_s"
        "  ELSE first_s + ceil((secs - first_s) / step_s) * step_s END AS billed FROM billed)"
        " SELECT key, label, COALESCE(currency, '') AS currency, count(*) AS calls, sum(secs)::float8 AS secs,"
        " sum(billed)::bigint AS billed, COALESCE(sum(billed * rate_per_min / 60), 0) AS cost"
        " FROM priced GROUP BY 1, 2, 3 ORDER BY label, currency", *period.args)
    return [CostRow(r["key"], r["label"], r["currency"], r["calls"], r["secs"] or 0.0, r["billed"] or 0,
                    Decimal(r["cost"]).quantize(Decimal("0.0001"))) for r in rows]


def costs_table(rows: list[CostRow], by: str) -> Table:
    return Table([by, "currency", "calls", "answered_s", "billed_s", "cost"],
                 [[r.label, r.currency, r.calls, round(r.answered_s), r.billed_s, r.cost] for r in rows])


def rates_table(rates: list[Rate]) -> Table:
    """The rates as the import reads them back (``parse_rates_csv`` takes the ``'`` the CSV puts before ``+``)."""
    return Table(CSV_HEADER, [[r.trunk, r.prefix, r.rate_text, r.increment, r.currency] for r in rates])
