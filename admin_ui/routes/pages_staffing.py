"""Inbound queues for team leads: the wallboard's queue tiles, the per-interval queue report (with its CSV,
written through ``dialer.safe_export``) and the staffing page (forecast and agents needed, table and plot).

Figures come from the queue's call records (``campaigns.queue_stats``) and ``campaigns.staffing``; the live
ones (callers waiting now, agents by state) from the running engine. The estimated wait and its measured
error are shown only when the engine gives them: its board's ``queues[<id>]`` (``dialer.queue_board``:
``estimated_wait_s`` for a caller arriving now, ``wait_error`` measured by the engine itself); otherwise a
dash, never a guess. The per-interval report reads the error of each interval from the records
(``call_records.wait_error_s``). The staffing page puts the agents logged in per interval (``agent_history``,
``dialer.agent_history``) beside the agents needed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from admin_ui.app import render
from admin_ui.auth import TeamLead, services_of
from agents_ws.engine_link import running_engine
from campaigns import queue_repository, queue_stats, staffing
from campaigns.errors import NotFound
from campaigns.queues import Queue
from dialer import agent_history, sites
from dialer.safe_export import XLSX_MEDIA_TYPE, csv_writer, xlsx_bytes

router = APIRouter()
AGENT_STATES = ("ready", "reserved", "on_call", "wrap_up", "paused", "connecting")
Days = Annotated[int, Query(ge=1, le=366)]
Ahead = Annotated[int, Query(ge=1, le=14)]


@dataclass(frozen=True, slots=True)
class QueueTile:
    queue: Queue
    waiting_now: int | None
    longest_wait_s: float | None
    today: queue_stats.QueueFigures
    last_15: queue_stats.QueueFigures
    agents: dict[str, int] | None
    estimated_wait_s: float | None
    error_mae_s: float | None
    error_p90_s: float | None
    error_callers: int = 0
    agents_serving: int | None = None     # 0: nobody serves the queue now, so no wait can be estimated
    called_back_now: int | None = None    # places kept by callers who pressed 1 (off the line, still waiting)


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _live_callers(engine: Any, queue_id: int) -> list[float] | None:
    """Seconds each caller of ``queue_id`` has been waiting for an agent, from the engine (None: no engine)."""
    calls = getattr(engine, "calls", None)
    if engine is None or calls is None:
        return None
    now = engine.clock.monotonic()
    waits = []
    for call in list(calls.values()):
        pool = getattr(call, "pool", None)
        if (getattr(call, "inbound", False) and not call.terminal and call.connected_at is None
                and pool is not None and pool.kind.value == "queue" and pool.id == queue_id):
            waits.append(max(0.0, now - (call.ready_at if call.ready_at is not None else now)))
    return waits


def _live_places(engine: Any, queue_id: int) -> int | None:
    """Places of ``queue_id`` kept by callers who pressed 1 and not yet given an agent (None: no engine)."""
    callbacks = getattr(getattr(engine, "inbound", None), "callbacks", None) if engine is not None else None
    places = getattr(callbacks, "places", None)
    if places is None:
        return None
    return sum(1 for place in list(places.values()) if place.queue_id == queue_id)


def _agents_by_state(engine: Any, agent_ids: Sequence[int]) -> dict[str, int] | None:
    agents = getattr(engine, "agents", None) if engine is not None else None
    if agents is None:
        return None
    counts = dict.fromkeys((*AGENT_STATES, "logged_out"), 0)
    for agent_id in agent_ids:
        agent = agents.get(agent_id)
        state = agent.state.value if agent is not None else "logged_out"
        counts[state] = counts.get(state, 0) + 1
    return counts


@dataclass(frozen=True, slots=True)
class LiveEstimate:
    """A queue's estimated wait and its measured error as the engine's board gives them (None: not given)."""

    wait_s: float | None = None
    mae_s: float | None = None
    p90_s: float | None = None
    callers: int = 0
    agents_serving: int | None = None


def _estimate(live: dict[str, Any] | None, queue_id: int) -> LiveEstimate:
    board = ((live or {}).get("queues") or {}).get(str(queue_id))
    if not isinstance(board, dict):
        return LiveEstimate()
    error = board.get("wait_error") or {}
    serving = board.get("agents_serving")
    return LiveEstimate(_finite(board.get("estimated_wait_s")), _finite(error.get("mae_s")),
                        _finite(error.get("p90_s")), int(error.get("callers") or 0),
                        int(serving) if isinstance(serving, int) else None)


async def queue_tiles(request: Request) -> list[QueueTile]:
    """One tile per queue for the wallboard (a team lead: their site's queues; a manager: the site asked for with
    ``?site=``, or every site)."""
    services = services_of(request)
    pool = services.pool
    now = services.clock.now()
    engine = running_engine(request)
    live = engine.live_state() if engine is not None and hasattr(engine, "live_state") else None
    viewer = getattr(request.state, "user", None)
    wanted = request.query_params.get("site", "")
    site = sites.visible_site(viewer.site_scope if viewer else None, int(wanted) if wanted.isdigit() else None)
    site_of = await sites.queue_sites(pool) if site is not None else {}
    tiles = []
    for queue in await queue_repository.list_queues(pool):
        if site is not None and site_of.get(queue.id) != site:
            continue
        zone = ZoneInfo(queue.timezone)
        since = queue_stats.day_start(now, zone)
        records = await queue_stats.load_records(pool, queue_id=queue.id, since=since, until=now + timedelta(seconds=1))
        waits = _live_callers(engine, queue.id)
        agent_ids = [r["user_id"] for r in await queue_repository.queue_agents(pool, queue_id=queue.id)]
        start_15, end_15 = queue_stats.last_interval(now)
        estimate = _estimate(live, queue.id)
        tiles.append(QueueTile(
            queue=queue, waiting_now=None if waits is None else len(waits),
            longest_wait_s=(max(waits) if waits else 0.0) if waits is not None else None,
            today=queue_stats.span(records, threshold_s=queue.sl_threshold_s, since=since, until=end_15),
            last_15=queue_stats.span(records, threshold_s=queue.sl_threshold_s, since=start_15, until=end_15),
            agents=_agents_by_state(engine, agent_ids), estimated_wait_s=estimate.wait_s, error_mae_s=estimate.mae_s,
            error_p90_s=estimate.p90_s, error_callers=estimate.callers, agents_serving=estimate.agents_serving,
            called_back_now=_live_places(engine, queue.id)))
    return tiles


@router.get("/wallboard/queues", response_class=HTMLResponse)
async def wallboard_queues(request: Request, user: TeamLead) -> HTMLResponse:
    """The wallboard's queue section alone (the page reloads it every few seconds)."""
    return render(request, "wallboard_queues.html", user, queue_tiles=await queue_tiles(request),
                  queue_agent_states=AGENT_STATES)


async def _queue(request: Request, queue_id: int) -> Queue:
    try:
        return await queue_repository.get_queue(services_of(request).pool, queue_id=queue_id)
    except NotFound:
        raise HTTPException(404, "there is no such queue") from None


async def _intervals(request: Request, queue: Queue, days: int) -> list[queue_stats.QueueFigures]:
    services = services_of(request)
    now = services.clock.now()
    records = await queue_stats.load_records(services.pool, queue_id=queue.id, since=now - timedelta(days=days),
                                             until=now + timedelta(seconds=1))
    return queue_stats.per_interval(records, threshold_s=queue.sl_threshold_s, zone=ZoneInfo(queue.timezone))


@router.get("/reports/queues/{queue_id:int}", response_class=HTMLResponse)
async def queue_report(request: Request, user: TeamLead, queue_id: int, days: Days = 7) -> HTMLResponse:
    queue = await _queue(request, queue_id)
    rows = await _intervals(request, queue, days)
    return render(request, "queue_report.html", user, queue=queue, rows=rows, days=days)


async def _interval_rows(request: Request, queue: Queue, days: int) -> list[list[object]]:
    """The per-interval report as rows, the header first (the CSV and the XLSX)."""
    rows: list[list[object]] = [[
        f"interval ({queue.timezone})", "offered", "answered", "answered_within_t", "abandoned",
        "abandoned_within_t", "abandoned_after_t", "service_level_pct", "asa_s", "aht_s",
        "longest_wait_s", "estimated_wait_callers", "estimated_wait_mae_s", "estimated_wait_p90_s"]]
    for r in await _intervals(request, queue, days):
        rows.append([r.start.strftime("%Y-%m-%d %H:%M"), r.offered, r.answered, r.answered_within, r.abandoned,
                     r.abandoned_short, r.abandoned_late,
                     None if r.service_level is None else round(r.service_level * 100, 1),
                     queue_stats.round_or_none(r.asa_s), queue_stats.round_or_none(r.aht_s),
                     queue_stats.round_or_none(r.longest_wait_s), r.estimated,
                     queue_stats.round_or_none(r.wait_error_mae_s), queue_stats.round_or_none(r.wait_error_p90_s)])
    return rows


@router.get("/reports/queues/{queue_id:int}.csv")
async def queue_report_csv(request: Request, user: TeamLead, queue_id: int, days: Days = 7) -> Response:
    queue = await _queue(request, queue_id)
    out = io.StringIO()
    csv_writer(out).writerows(await _interval_rows(request, queue, days))  # dialer.safe_export: no formula
    name = f"queue-{queue.id}-intervals-{days}d.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/reports/queues/{queue_id:int}.xlsx")
async def queue_report_xlsx(request: Request, user: TeamLead, queue_id: int, days: Days = 7) -> Response:
    queue = await _queue(request, queue_id)
    data = xlsx_bytes(await _interval_rows(request, queue, days), sheet="intervals")
    name = f"queue-{queue.id}-intervals-{days}d.xlsx"
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={"content-disposition": f'attachment; filename="{name}"'})


@dataclass(frozen=True, slots=True)
class StaffingRow:
    day: date
    slot: int
    offered: float
    aht_s: float | None
    need_c: int | None
    need_a: int | None
    outbound_agents: float | None = None
    logged_in: float | None = None        # average agents signed in (agent_history); None: before its history
    paused: float | None = None           # of them, paused


def _needs(queue: Queue, offered: float, aht: float | None, patience: float | None) -> tuple[int | None, int | None]:
    if offered <= 0:
        return 0, 0
    if aht is None or aht <= 0:
        return None, None
    aht = float(max(1, round(aht)))     # whole seconds: intervals alike share one computation (lru_cache)
    target, threshold = queue.sl_target, float(queue.sl_threshold_s)
    need_c = staffing.agents_erlang_c(offered, aht, target=target, threshold_s=threshold)
    need_a = None if patience is None else staffing.agents_erlang_a(offered, aht, target=target, threshold_s=threshold,
                                                                    patience_s=patience)
    return need_c, need_a


async def _outbound_seconds(pool: Any, agent_ids: list[int], since: datetime, until: datetime,
                            zone: ZoneInfo) -> dict[tuple[date, int], float]:
    """Talk and wrap-up seconds of outbound calls taken by ``agent_ids``, by the interval they connected."""
    rows = await pool.fetch(
        "SELECT connected_at, EXTRACT(EPOCH FROM COALESCE(wrap_end_at, ended_at) - connected_at) AS busy_s"
        " FROM call_records WHERE agent_id = ANY($1::bigint[]) AND direction <> 'inbound'"
        " AND connected_at >= $2 AND connected_at < $3 AND COALESCE(wrap_end_at, ended_at) IS NOT NULL",
        agent_ids, since, until)
    out: dict[tuple[date, int], float] = {}
    for r in rows:
        start = queue_stats.interval_start(r["connected_at"], zone)
        key = (start.date(), (start.hour * 3600 + start.minute * 60) // staffing.INTERVAL_S)
        out[key] = out.get(key, 0.0) + max(0.0, float(r["busy_s"]))
    return out


def _slot_end(day: date, slot: int, zone: ZoneInfo) -> datetime:
    start = datetime.combine(day, datetime.min.time(), zone) + timedelta(seconds=slot * staffing.INTERVAL_S)
    return start + timedelta(seconds=staffing.INTERVAL_S)


@dataclass(frozen=True, slots=True)
class Series:
    """The staffing page's line plot: interval labels and, per interval, agents needed (Erlang C, A) and logged in."""

    labels: list[str]
    need_c: list[int | None]
    need_a: list[int | None]
    logged_in: list[float | None]


def _series(rows: list[StaffingRow], *, with_day: bool) -> Series:
    labels = [(r.day.strftime("%d/%m ") if with_day else "") + staffing.slot_label(r.slot) for r in rows]
    return Series(labels, [r.need_c for r in rows], [r.need_a for r in rows], [r.logged_in for r in rows])


async def _logged_in(pool: Any, queue_id: int, since: datetime, until: datetime,
                     zone: ZoneInfo) -> tuple[dict[tuple[date, int], staffing.IntervalAgents], datetime | None]:
    """Agents signed in per interval among those serving the queue then (``agent_history``), and since when
    that history is kept (intervals that ended before it show a dash, not a zero)."""
    rows = await agent_history.segments(pool, queue_id=queue_id, since=since, until=until)
    spans = [(r.start, r.end, r.state == agent_history.PAUSED) for r in rows]
    kept_since = await pool.fetchval("SELECT min(started_at) FROM agent_history")
    return staffing.agents_per_interval(spans, zone, until=until), kept_since


@router.get("/queues/{queue_id}/staffing", response_class=HTMLResponse)
async def staffing_page(request: Request, user: TeamLead, queue_id: int, days: Days = 28,
                        ahead: Ahead = 3) -> HTMLResponse:
    services = services_of(request)
    queue = await _queue(request, queue_id)
    zone = ZoneInfo(queue.timezone)
    now = services.clock.now()
    since = now - timedelta(days=days)
    records = await queue_stats.load_records(services.pool, queue_id=queue.id, since=since,
                                             until=now + timedelta(seconds=1))
    threshold = queue.sl_threshold_s
    patience = queue_stats.patience_s(records)
    abandoned = sum(1 for r in records if r.finished and not r.answered)
    overall = queue_stats.figures(records, threshold_s=threshold, start=since)
    history: dict[date, dict[int, staffing.SlotHistory]] = {}
    measured = []
    agent_ids = [r["user_id"] for r in await queue_repository.queue_agents(services.pool, queue_id=queue.id)]
    outbound = await _outbound_seconds(services.pool, agent_ids, since, now, zone)
    logged, kept_since = await _logged_in(services.pool, queue.id, since, now, zone)
    by_interval = {(f.start.date(), staffing.slot_of(f.start)): f
                   for f in queue_stats.per_interval(records, threshold_s=threshold, zone=zone)}
    for day, slot in sorted(by_interval.keys() | logged.keys()):
        f = by_interval.get((day, slot))
        offered = f.offered if f is not None else 0
        if f is not None:
            history.setdefault(day, {})[slot] = staffing.SlotHistory(f.offered, f.handled_with_time, f.handle_total_s)
        aht = f.aht_s if f is not None and f.aht_s is not None else overall.aht_s
        need_c, need_a = _needs(queue, offered, aht, patience)
        agents = logged.get((day, slot))
        kept = kept_since is not None and _slot_end(day, slot, zone) > kept_since
        measured.append(StaffingRow(day, slot, offered, aht if offered else None, need_c, need_a,
                                    outbound.get((day, slot), 0.0) / staffing.INTERVAL_S,
                                    (agents.logged_in if agents else 0.0) if kept else None,
                                    (agents.paused if agents else 0.0) if kept else None))
    today = queue_stats.local_date(now, zone)
    first = min((queue_stats.local_date(r.arrived_at, zone) for r in records), default=today)
    observed = [first + timedelta(days=i) for i in range((today - first).days)]    # whole past days only
    coming = [today + timedelta(days=i) for i in range(1, ahead + 1)]
    forecast = []
    for fc in staffing.forecast(history, days=coming, observed=observed, fallback_aht_s=overall.aht_s):
        need_c, need_a = _needs(queue, fc.offered, fc.aht_s, patience)
        forecast.append(StaffingRow(fc.day, fc.slot, fc.offered, fc.aht_s, need_c, need_a))
    plot_day = forecast[0].day if forecast else None
    plot = _series([r for r in forecast if r.day == plot_day], with_day=False)
    recent = _series(measured[-96:], with_day=True)
    return render(request, "staffing.html", user, queue=queue, days=days, ahead=ahead, measured=measured,
                  forecast=forecast, plot=plot, recent=recent, plot_day=plot_day, patience=patience, abandoned=abandoned,
                  overall=overall, slot_label=staffing.slot_label)
