"""Every report as one table by its kind: what the CSV and XLSX downloads and the scheduled report files write.

Kinds: ``campaigns``, ``queues``, ``agents``, ``hours`` (``reports.figures``), ``dispositions``, ``calls`` (the
call detail search, every page), ``costs-campaigns``, ``costs-agents`` (``report_costs.costs``) and ``compliance``
(abandonment and DNC refusals per campaign; compliance officers only). Files go through ``dialer.safe_export``,
so no cell is ever run as a formula.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from admin_ui import report_costs, reports
from admin_ui.reports import CallSearch, Period, Table
from campaigns import repository
from dialer.safe_export import csv_writer, xlsx_bytes

FIGURE_KINDS = {"campaigns": "campaign", "queues": "queue", "agents": "agent", "hours": "hour"}
KINDS = (*FIGURE_KINDS, "dispositions", "calls", "costs-campaigns", "costs-agents", "compliance")
TEAM_LEAD_KINDS = tuple(k for k in KINDS if k != "compliance")
CALLS_EXPORT_LIMIT = 100_000


async def table(pool: Any, kind: str, period: Period, *, now: datetime, search: CallSearch | None = None) -> Table:
    """The report ``kind`` over ``period`` as a header and rows."""
    if kind in FIGURE_KINDS:
        by = FIGURE_KINDS[kind]
        return reports.figures_table(await reports.figures(pool, period, by), by, period.zone)
    if kind == "dispositions":
        campaigns = await repository.list_campaigns(pool)
        return reports.dispositions_table(await reports.by_disposition(pool, period),
                                          reports.disposition_labels(campaigns, period.campaign_id))
    if kind == "calls":
        rows, _ = await reports.search_calls(pool, period, CallSearch(
            **{**_fields(search or CallSearch()), "page": 1, "per_page": CALLS_EXPORT_LIMIT}))
        return reports.calls_table(rows, ZoneInfo(period.zone))
    if kind in ("costs-campaigns", "costs-agents"):
        by = kind.split("-")[1][:-1]
        return report_costs.costs_table(await report_costs.costs(pool, period, by), by)
    if kind == "compliance":
        campaigns = await repository.list_campaigns(pool)
        chosen = [c for c in campaigns if period.campaign_id in (None, c.id)]
        return reports.compliance_table(await reports.abandonment(
            pool, now=now, campaigns=[(c.id, c.name, c.pacing.target_abandon) for c in chosen]))
    raise KeyError(kind)


def _fields(search: CallSearch) -> dict[str, Any]:
    return {name: getattr(search, name) for name in CallSearch.__dataclass_fields__}


def csv_bytes(t: Table) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out)  # cells a spreadsheet would run as formulas are quoted
    writer.writerow(t.header)
    writer.writerows(t.rows)
    return out.getvalue().encode("utf-8")


def file_bytes(t: Table, fmt: str, *, sheet: str) -> bytes:
    if fmt == "csv":
        return csv_bytes(t)
    return xlsx_bytes([t.header, *t.rows], sheet=sheet)
