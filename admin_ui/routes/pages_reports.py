"""Team leads' reports: figures per campaign, queue, agent and hour, results by disposition, the call detail search,
costs, as tables, charts, CSV and XLSX; scheduled report files; call rates and conversions for admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from admin_ui import report_costs, report_kinds, report_schedules, reports
from admin_ui.app import render
from admin_ui.auth import AdminUser, CurrentUser, TeamLead, services_of
from admin_ui.i18n import MESSAGES, translator
from admin_ui.reports import CallSearch, Period
from admin_ui.site_scope import site_context
from campaigns import queue_repository, repository
from campaigns.errors import NotFound
from dialer import sites
from dialer.safe_export import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from dialer.users import Role

router = APIRouter()
Days = Annotated[int, Query(ge=1, le=366)]
OUTCOMES = ("handled", "abandoned", "busy", "no_answer", "machine", "customer_hung_up", "congestion", "rejected",
            "failed", "invalid_number", "cancelled", "pbx_cut", "no_queue", "closed", "overflowed", "voicemail",
            "called_back", "message")


def _int(value: str | None, name: str) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise HTTPException(422, f"{name}: not a number")
    return int(value)


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{name}: not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True, slots=True)
class Filters:
    """What a report page was asked for, and the ``Period`` it means."""

    period: Period
    campaign: int | None
    queue: int | None
    agent: int | None
    days: int
    start: date | None
    end: date | None
    campaigns: list[Any]
    queues: list[Any]
    site: int | None = None      # dialer.sites: a team lead's own site; a manager's choice (None: every site)

    def query(self, **more: Any) -> str:
        given = {"campaign": self.campaign, "queue": self.queue, "agent": self.agent, "days": self.days,
                 "from": self.start, "to": self.end, "site": self.site, **more}
        return urlencode({k: v for k, v in given.items() if v not in (None, "")})


async def _filters(request: Request, *, campaign: str | None, queue: str | None, agent: str | None, days: int,
                   start: str | None = None, end: str | None = None) -> Filters:
    services = services_of(request)
    campaign_id, queue_id, agent_id = _int(campaign, "campaign"), _int(queue, "queue"), _int(agent, "agent")
    viewer = getattr(request.state, "user", None)      # a team lead sees their own site's records only
    site_id = sites.visible_site(viewer.site_scope if viewer else None, _int(request.query_params.get("site"), "site"))
    campaigns = await repository.list_campaigns(services.pool)
    queues = await queue_repository.list_queues(services.pool)
    if site_id is not None:
        site_of, queue_site = await sites.campaign_sites(services.pool), await sites.queue_sites(services.pool)
        campaigns = [c for c in campaigns if site_of.get(c.id) == site_id]
        queues = [q for q in queues if queue_site.get(q.id) == site_id]
    zone = "UTC"
    if campaign_id is not None:
        try:
            zone = (await repository.get_campaign(services.pool, campaign_id=campaign_id)).timezone
        except NotFound:
            raise HTTPException(404, "there is no such campaign") from None
    elif queue_id is not None:
        found = next((q for q in queues if q.id == queue_id), None)
        if found is None:
            raise HTTPException(404, "there is no such queue")
        zone = found.timezone
    first, last = _date(start, "from"), _date(end, "to")
    now = services.clock.now()
    tz = ZoneInfo(zone)
    until = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz) if last else now + timedelta(minutes=1)
    since = datetime.combine(first, time(), tzinfo=tz) if first else until - timedelta(days=days)
    if since >= until:
        raise HTTPException(422, "from: the period starts after it ends")
    return Filters(Period(campaign_id, since, until, zone, queue_id=queue_id, agent_id=agent_id, site_id=site_id),
                   campaign_id, queue_id, agent_id, days, first, last, campaigns, queues, site_id)


async def _agents(pool: Any) -> list[Any]:
    return await pool.fetch("SELECT id, COALESCE(NULLIF(display_name, ''), username) AS name FROM users"
                            " WHERE role = 'agent' ORDER BY 2")


def _outcome_label(t: Any) -> Any:
    def label(code: str) -> str:
        return t(f"out_{code}") if f"out_{code}" in MESSAGES else ""
    return label


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, user: TeamLead, campaign: str | None = None, queue: str | None = None,
                       agent: str | None = None, days: Days = 7, by: str = "campaign",
                       start: Annotated[str | None, Query(alias="from")] = None,
                       end: Annotated[str | None, Query(alias="to")] = None) -> HTMLResponse:
    if by not in reports.GROUPINGS:
        raise HTTPException(404, f"no grouping {by!r}; groupings are {', '.join(reports.GROUPINGS)}")
    f = await _filters(request, campaign=campaign, queue=queue, agent=agent, days=days, start=start, end=end)
    pool = services_of(request).pool
    t = translator(user.language)
    labels = reports.disposition_labels(f.campaigns, f.campaign)
    dispositions = [(reports.result_label(r, labels, _outcome_label(t)), r)
                    for r in await reports.by_disposition(pool, f.period)]
    _, site_ctx = await site_context(request, user, f.site)
    return render(request, "reports.html", user, f=f, by=by, figures=await reports.figures(pool, f.period, by),
                  dispositions=dispositions, agents=await _agents(pool),
                  conversions=await reports.conversion_codes(pool), site_keep={"by": by, "days": f.days}, **site_ctx)


@router.get("/reports/calls", response_class=HTMLResponse)
async def calls_page(request: Request, user: TeamLead, campaign: str | None = None, queue: str | None = None,
                     agent: str | None = None, days: Days = 7, number: str = "", disposition: str = "",
                     outcome: str = "", min_s: str | None = None, max_s: str | None = None,
                     page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                     start: Annotated[str | None, Query(alias="from")] = None,
                     end: Annotated[str | None, Query(alias="to")] = None) -> HTMLResponse:
    f = await _filters(request, campaign=campaign, queue=queue, agent=agent, days=days, start=start, end=end)
    search = _search(number, disposition, outcome, min_s, max_s, page)
    pool = services_of(request).pool
    rows, total = await reports.search_calls(pool, f.period, search)
    more = _search_query(search)
    return render(request, "reports_calls.html", user, f=f, search=search, rows=rows, total=total,
                  pages=max(1, -(-total // search.per_page)), agents=await _agents(pool), outcomes=OUTCOMES,
                  zone=ZoneInfo(f.period.zone), q=f.query(**more), q_page=lambda n: f.query(**more, page=n),
                  known=MESSAGES)


def _search(number: str, disposition: str, outcome: str, min_s: str | None, max_s: str | None,
            page: int = 1) -> CallSearch:
    if outcome and outcome not in OUTCOMES:
        raise HTTPException(422, f"outcome: no outcome {outcome!r}")
    return CallSearch(number=number.strip()[:40], disposition=disposition.strip()[:80], outcome=outcome,
                      min_s=_int(min_s, "min_s"), max_s=_int(max_s, "max_s"), page=page)


def _search_query(search: CallSearch) -> dict[str, Any]:
    return {"number": search.number, "disposition": search.disposition, "outcome": search.outcome,
            "min_s": search.min_s, "max_s": search.max_s}


@router.get("/reports/costs", response_class=HTMLResponse)
async def costs_page(request: Request, user: TeamLead, campaign: str | None = None, queue: str | None = None,
                     agent: str | None = None, days: Days = 7,
                     start: Annotated[str | None, Query(alias="from")] = None,
                     end: Annotated[str | None, Query(alias="to")] = None) -> HTMLResponse:
    f = await _filters(request, campaign=campaign, queue=queue, agent=agent, days=days, start=start, end=end)
    pool = services_of(request).pool
    return render(request, "reports_costs.html", user, f=f, agents=await _agents(pool),
                  per_campaign=await report_costs.costs(pool, f.period, "campaign"),
                  per_agent=await report_costs.costs(pool, f.period, "agent"),
                  rates=len(await report_costs.list_rates(pool)))


async def _export(request: Request, user: CurrentUser, kind: str, fmt: str, *, campaign: str | None,
                  queue: str | None, agent: str | None, days: int, start: str | None, end: str | None,
                  search: CallSearch | None) -> Response:
    if kind == "rates":            # the call rates, as the import reads them back (admins)
        if user.role is not Role.ADMIN:
            raise HTTPException(403, "this needs the role admin")
        table = report_costs.rates_table(await report_costs.list_rates(services_of(request).pool))
        return Response(report_kinds.file_bytes(table, fmt, sheet="rates"),
                        media_type=CSV_MEDIA_TYPE if fmt == "csv" else XLSX_MEDIA_TYPE,
                        headers={"content-disposition": f'attachment; filename="rates.{fmt}"'})
    if kind not in report_kinds.KINDS:
        raise HTTPException(404, f"no report {kind!r}; reports are {', '.join(report_kinds.KINDS)}")
    if kind == "compliance" and not user.has_role(Role.COMPLIANCE):
        raise HTTPException(403, "this needs the role compliance officer")
    f = await _filters(request, campaign=campaign, queue=queue, agent=agent, days=days, start=start, end=end)
    services = services_of(request)
    table = await report_kinds.table(services.pool, kind, f.period, now=services.clock.now(), search=search)
    data = report_kinds.file_bytes(table, fmt, sheet=kind)
    name = f"{kind}-{'all' if f.campaign is None else f.campaign}-{days}d.{fmt}"
    return Response(data, media_type=CSV_MEDIA_TYPE if fmt == "csv" else XLSX_MEDIA_TYPE,
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def _exporter(fmt: str) -> Any:
    async def export(request: Request, user: TeamLead, kind: str, campaign: str | None = None,
                     queue: str | None = None, agent: str | None = None, days: Days = 7, number: str = "",
                     disposition: str = "", outcome: str = "", min_s: str | None = None, max_s: str | None = None,
                     start: Annotated[str | None, Query(alias="from")] = None,
                     end: Annotated[str | None, Query(alias="to")] = None) -> Response:
        return await _export(request, user, kind, fmt, campaign=campaign, queue=queue, agent=agent, days=days,
                             start=start, end=end, search=_search(number, disposition, outcome, min_s, max_s))
    return export


router.add_api_route("/reports/{kind}.csv", _exporter("csv"), methods=["GET"], name="report_csv")
router.add_api_route("/reports/{kind}.xlsx", _exporter("xlsx"), methods=["GET"], name="report_xlsx")


# --- rates and conversions (admins) ---------------------------------------------------------------------------

async def _rates_page(request: Request, user: CurrentUser, *, error: report_costs.RateError | None = None,
                      saved: int | None = None, status_code: int = 200, form: dict[str, str] | None = None) -> HTMLResponse:
    pool = services_of(request).pool
    return render(request, "reports_rates.html", user, rates=await report_costs.list_rates(pool), error=error,
                  saved=saved, form=form or {}, conversions=", ".join(await reports.conversion_codes(pool)),
                  status_code=status_code)


@router.get("/reports/rates", response_class=HTMLResponse)
async def rates_page(request: Request, user: AdminUser, saved: int | None = None) -> HTMLResponse:
    return await _rates_page(request, user, saved=saved)


@router.post("/reports/rates", response_class=HTMLResponse)
async def add_rate(request: Request, user: AdminUser, trunk: Annotated[str, Form()] = "",
                   prefix: Annotated[str, Form()] = "", rate_per_min: Annotated[str, Form()] = "",
                   increment: Annotated[str, Form()] = "60/60", currency: Annotated[str, Form()] = "") -> Response:
    form = {"trunk": trunk, "prefix": prefix, "rate_per_min": rate_per_min, "increment": increment,
            "currency": currency}
    try:
        rate = report_costs.check_rate(trunk, prefix, rate_per_min, increment, currency)
    except report_costs.RateError as exc:
        return await _rates_page(request, user, error=exc, status_code=422, form=form)
    await report_costs.save_rates(services_of(request).pool, [rate])
    return RedirectResponse("/reports/rates?saved=1", status_code=303)


@router.post("/reports/rates/import", response_class=HTMLResponse)
async def import_rates(request: Request, user: AdminUser, file: Annotated[UploadFile, File()]) -> Response:
    raw = await file.read(5_000_001)
    try:
        if len(raw) > 5_000_000:
            raise report_costs.RateError("file", "too_big")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise report_costs.RateError("file", "encoding") from None
        rates = report_costs.parse_rates_csv(text)
        if not rates:
            raise report_costs.RateError("file", "empty")
    except report_costs.RateError as exc:
        return await _rates_page(request, user, error=exc, status_code=422)
    saved = await report_costs.save_rates(services_of(request).pool, rates)
    return RedirectResponse(f"/reports/rates?saved={saved}", status_code=303)


@router.post("/reports/rates/{rate_id}/delete")
async def delete_rate(request: Request, user: AdminUser, rate_id: int) -> Response:
    await report_costs.delete_rate(services_of(request).pool, rate_id)
    return RedirectResponse("/reports/rates", status_code=303)


@router.post("/reports/conversions")
async def set_conversions(request: Request, user: AdminUser, codes: Annotated[str, Form()] = "") -> Response:
    await reports.set_conversion_codes(services_of(request).pool, codes.replace(";", ",").split(","))
    return RedirectResponse("/reports/rates?saved=0", status_code=303)


# --- scheduled reports (team leads: their own; admins: all) ---------------------------------------------------

def _owner(user: CurrentUser) -> int | None:
    return None if user.role is Role.ADMIN else user.id


async def _schedules_page(request: Request, user: CurrentUser, *, error: report_schedules.ScheduleError | None = None,
                          form: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    services = services_of(request)
    pool = services.pool
    campaigns, queues = await repository.list_campaigns(pool), await queue_repository.list_queues(pool)
    if user.site_scope is not None:        # a team lead schedules their own site's reports (the file is filtered too)
        site_of, queue_site = await sites.campaign_sites(pool), await sites.queue_sites(pool)
        campaigns = [c for c in campaigns if site_of.get(c.id) == user.site_scope]
        queues = [q for q in queues if queue_site.get(q.id) == user.site_scope]
    return render(request, "reports_schedules.html", user, error=error, form=form or {}, status_code=status_code,
                  schedules=await report_schedules.list_schedules(pool, owner_id=_owner(user)),
                  files=await report_schedules.list_files(pool, owner_id=_owner(user)),
                  kinds=report_kinds.TEAM_LEAD_KINDS, campaigns=campaigns, queues=queues,
                  mail_on=report_schedules.Mailer.from_settings(services.settings) is not None)


@router.get("/reports/schedules", response_class=HTMLResponse)
async def schedules_page(request: Request, user: TeamLead) -> HTMLResponse:
    return await _schedules_page(request, user)


@router.post("/reports/schedules", response_class=HTMLResponse)
async def add_schedule(request: Request, user: TeamLead, name: Annotated[str, Form()] = "",
                       kind: Annotated[str, Form()] = "", campaign: Annotated[str, Form()] = "",
                       queue: Annotated[str, Form()] = "", days: Annotated[str, Form()] = "1",
                       format: Annotated[str, Form()] = "xlsx", frequency: Annotated[str, Form()] = "daily",
                       weekday: Annotated[str, Form()] = "", at: Annotated[str, Form()] = "07:00",
                       zone: Annotated[str, Form()] = "UTC", email: Annotated[str, Form()] = "") -> Response:
    form = {"name": name, "kind": kind, "campaign": campaign, "queue": queue, "days": days, "format": format,
            "frequency": frequency, "weekday": weekday, "at": at, "zone": zone, "email": email}
    services = services_of(request)
    try:
        fields = report_schedules.check_schedule(name=name, kind=kind, days=days, fmt=format, frequency=frequency,
                                                 weekday=weekday, at=at, zone=zone, email=email,
                                                 kinds=report_kinds.TEAM_LEAD_KINDS)
        campaign_id = _int_field(campaign, "campaign")
        queue_id = _int_field(queue, "queue")
    except report_schedules.ScheduleError as exc:
        return await _schedules_page(request, user, error=exc, form=form, status_code=422)
    await report_schedules.create_schedule(services.pool, owner_id=user.id, campaign_id=campaign_id,
                                           queue_id=queue_id, now=services.clock.now(), **fields)
    return RedirectResponse("/reports/schedules", status_code=303)


def _int_field(value: str, field: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit():
        raise report_schedules.ScheduleError(field, field)
    return int(value)


@router.post("/reports/schedules/{schedule_id}/delete")
async def delete_schedule(request: Request, user: TeamLead, schedule_id: int) -> Response:
    if not await report_schedules.delete_schedule(services_of(request).pool, schedule_id=schedule_id,
                                                  owner_id=_owner(user)):
        raise HTTPException(404, "there is no such schedule of yours")
    return RedirectResponse("/reports/schedules", status_code=303)


@router.get("/reports/files/{file_id}")
async def download_file(request: Request, user: TeamLead, file_id: int) -> Response:
    found = await report_schedules.get_file(services_of(request).pool, file_id)
    if found is None or (user.role is not Role.ADMIN and found.owner_id != user.id):
        raise HTTPException(404, "there is no such report file of yours")
    path = Path(found.path)
    if not path.is_file():
        raise HTTPException(410, "the report file is gone")
    media = CSV_MEDIA_TYPE if found.name.endswith(".csv") else XLSX_MEDIA_TYPE
    return FileResponse(path, media_type=media, filename=found.name)
