"""Time sheets (issue 18): per agent and day, per agent and per team (campaign) over a period, corrections kept
beside the original, CSV and XLSX exports. The figures are ``dialer.timesheets``'s, read by
``dialer.timesheet_repository`` from ``agent_history`` and ``call_records``.

Who sees what: team leads and admins every agent and team (the project has no team ownership yet: a team is a
campaign, and a lead sees every campaign, as on the wallboard and the reports) and correct a day; an agent
sees only their own sheet, read only; other roles are refused. Days are cut at midnight in the zone chosen
on the page: by default the chosen team's (campaign's) time zone, else the zone most campaigns use, else UTC.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin_ui.app import render
from admin_ui.auth import CurrentUser, SignedIn, services_of
from admin_ui.i18n import translator
from admin_ui.site_scope import site_context
from campaigns import repository
from dialer import sites, timesheet_repository, timesheets
from dialer.safe_export import csv_writer, write_xlsx
from dialer.timesheets import hms
from dialer.users import Role

router = APIRouter()
log = logging.getLogger(__name__)
MAX_DAYS = 93


def _can_correct(user: CurrentUser) -> bool:
    return user.has_role(Role.TEAM_LEAD)


def _allowed(user: CurrentUser) -> None:
    if not (user.has_role(Role.TEAM_LEAD) or user.role is Role.AGENT):
        raise HTTPException(403, "time sheets are for team leads, admins and agents (their own)")


class Filters:
    """The page's filters, checked: the period, the zone, the agent and the team (an agent: only themself)."""

    def __init__(self, user: CurrentUser, *, zone: str, day_from: date, day_to: date, agent: int | None,
                 campaign: int | None, site: int | None = None, site_users: list[int] | None = None) -> None:
        self.zone, self.day_from, self.day_to, self.campaign = zone, day_from, day_to, campaign
        self.agent = user.id if user.role is Role.AGENT else agent
        self.site, self.site_users = site, site_users     # dialer.sites: the people of the site shown (None: all)

    @property
    def user_ids(self) -> list[int] | None:
        if self.agent is not None:
            return [self.agent] if self.site_users is None or self.agent in self.site_users else []
        return self.site_users

    def query(self, **extra: Any) -> str:
        params = {"from": self.day_from.isoformat(), "to": self.day_to.isoformat(), "tz": self.zone}
        if self.agent is not None:
            params["agent"] = str(self.agent)
        if self.campaign is not None:
            params["campaign"] = str(self.campaign)
        if self.site is not None:
            params["site"] = str(self.site)
        params.update({k: str(v) for k, v in extra.items()})
        return urlencode(params)


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        raise HTTPException(400, f"not a number: {text!r}") from None


async def _filters(request: Request, user: CurrentUser) -> tuple[Filters, list[Any]]:
    _allowed(user)
    services = services_of(request)
    params = request.query_params
    campaigns = await repository.list_campaigns(services.pool)
    campaign = _int_or_none(params.get("campaign"))
    zone = params.get("tz", "").strip()
    if not zone:
        chosen = [c for c in campaigns if c.id == campaign]
        common = Counter(c.timezone for c in campaigns).most_common(1)
        zone = chosen[0].timezone if chosen else (common[0][0] if common else "UTC")
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise HTTPException(400, translator(user.language)("ts_bad_zone")) from None
    today = services.clock.now().astimezone(tz).date()
    try:
        day_to = date.fromisoformat(params["to"]) if params.get("to") else today
        day_from = date.fromisoformat(params["from"]) if params.get("from") else day_to - timedelta(days=6)
    except ValueError:
        raise HTTPException(400, translator(user.language)("ts_bad_period")) from None
    if day_from > day_to or (day_to - day_from).days >= MAX_DAYS:
        raise HTTPException(400, translator(user.language)("ts_bad_period"))
    site = sites.visible_site(user.site_scope, _int_or_none(params.get("site")))   # a team lead: their own site
    site_users = None
    if site is not None and user.role is not Role.AGENT:
        site_users = [r["id"] for r in await services.pool.fetch("SELECT id FROM users WHERE site_id = $1", site)]
    return Filters(user, zone=zone, day_from=day_from, day_to=day_to, agent=_int_or_none(params.get("agent")),
                   campaign=campaign, site=site, site_users=site_users), campaigns


async def _names(pool: Any) -> dict[int, str]:
    rows = await pool.fetch("SELECT id, COALESCE(NULLIF(display_name, ''), username) AS name FROM users")
    return {r["id"]: r["name"] for r in rows}


async def _agents(pool: Any) -> list[tuple[int, str]]:
    rows = await pool.fetch("SELECT id, COALESCE(NULLIF(display_name, ''), username) AS name FROM users"
                            " WHERE role = 'agent' ORDER BY lower(COALESCE(NULLIF(display_name, ''), username))")
    return [(r["id"], r["name"]) for r in rows]


async def _sheet(request: Request, filters: Filters) -> timesheet_repository.Sheet:
    services = services_of(request)
    return await timesheet_repository.read_sheet(
        services.pool, zone=filters.zone, day_from=filters.day_from, day_to=filters.day_to,
        now=services.clock.now(), user_ids=filters.user_ids, campaign_id=filters.campaign)


async def _page(request: Request, user: CurrentUser, *, error: str = "", status_code: int = 200,
                form: dict[str, str] | None = None) -> HTMLResponse:
    filters, campaigns = await _filters(request, user)
    pool = services_of(request).pool
    sheet = await _sheet(request, filters)
    reasons = sorted({r for d in sheet.days for r in d.paused})
    agents = await _agents(pool) if _can_correct(user) else []
    if filters.site_users is not None:
        agents = [a for a in agents if a[0] in filters.site_users]
    _, site_ctx = await site_context(request, user, filters.site)
    return render(request, "timesheets.html", user, status_code=status_code, filters=filters, sheet=sheet,
                  campaigns=campaigns, campaign_names={c.id: c.name for c in campaigns}, names=await _names(pool),
                  **site_ctx, site_keep={"from": filters.day_from.isoformat(), "to": filters.day_to.isoformat(),
                                         "tz": filters.zone},
                  agents=agents, can_correct=_can_correct(user),
                  reasons=reasons, figures=timesheets.FIGURES, clock_figures=timesheets.CLOCK_FIGURES,
                  corrected_logged_in=timesheets.corrected_sum(sheet.days, sheet.latest, "logged_in"),
                  hms=hms, error=error, saved=request.query_params.get("saved") == "1", form=form or {})


@router.get("/timesheets", response_class=HTMLResponse)
async def timesheets_page(request: Request, user: SignedIn) -> HTMLResponse:
    return await _page(request, user)


def figure_text(figure: str, value: int | None) -> str:
    """A figure as shown and exported: calls as a count, the rest as H:MM:SS."""
    if value is None:
        return ""
    return str(value) if figure == "calls" else hms(value)


@router.post("/timesheets/corrections", response_class=HTMLResponse)
async def add_correction(request: Request, user: SignedIn, agent: Annotated[str, Form()] = "",
                         day: Annotated[str, Form()] = "", figure: Annotated[str, Form()] = "",
                         value: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "") -> Response:
    if not _can_correct(user):
        raise HTTPException(403, "only a team lead or an admin corrects a time sheet")
    filters, _ = await _filters(request, user)
    services = services_of(request)
    t = translator(user.language)
    form = {"agent": agent, "day": day, "figure": figure, "value": value, "note": note}
    try:
        agent_id, the_day = int(agent), date.fromisoformat(day)
        corrected = timesheets.parse_figure(figure, value)
    except ValueError as exc:
        return await _page(request, user, error=t("ts_bad_value", error=str(exc)), status_code=400, form=form)
    if not note.strip():
        return await _page(request, user, error=t("ts_need_note"), status_code=400, form=form)
    role = await services.pool.fetchval("SELECT role FROM users WHERE id = $1", agent_id)
    if role is None or (filters.site_users is not None and agent_id not in filters.site_users):
        raise HTTPException(404, "there is no such agent")      # nor one of another site (dialer.sites)
    original = await timesheet_repository.add_correction(
        services.pool, user_id=agent_id, day=the_day, zone=filters.zone, figure=figure, corrected=corrected,
        note=note[:500], by=user.id, at=services.clock.now())
    log.info("time sheet of user %s on %s: %s corrected from %s to %s by user %s (%s)", agent_id, the_day, figure,
             original, corrected, user.id, note.strip()[:200])
    return RedirectResponse(f"/timesheets?{filters.query(saved=1)}", status_code=303)


def _rows(sheet: timesheet_repository.Sheet, names: dict[int, str], campaign_names: dict[int, str]
          ) -> dict[str, list[list[object]]]:
    reasons = sorted({r for d in sheet.days for r in d.paused})
    day_head = ["agent", "day", f"first_login ({sheet.zone})", f"last_logout ({sheet.zone})", "logged_in_s",
                "ready_s", "reserved_s", "connecting_s", "talk_s", "wrap_up_s", "unspecified_s", "paused_s",
                *[f"paused_{r or 'no_reason'}_s" for r in reasons], "calls", "adds_up", "corrected_figures",
                "corrections"]
    days: list[list[object]] = [day_head]
    for d in sheet.days:
        notes = []
        corrected = []
        for figure in timesheets.FIGURES:
            c = sheet.latest.get((d.user_id, d.day, figure))
            if c is not None:
                corrected.append(f"{figure}={figure_text(figure, c.corrected)}")
                notes.append(f"{figure}: {figure_text(figure, c.original)} -> {figure_text(figure, c.corrected)}"
                             f" ({c.note}; {c.corrected_by}, {c.corrected_at:%Y-%m-%d %H:%M})")
        days.append([names.get(d.user_id, str(d.user_id)), d.day,
                     d.first_login.strftime("%H:%M:%S") if d.first_login else "",
                     d.last_logout.strftime("%H:%M:%S") if d.last_logout else "",
                     d.logged_in_s, d.parts["ready"], d.parts["reserved"], d.parts["connecting"], d.parts["talk"],
                     d.parts["wrap_up"], d.parts["unspecified"], d.paused_s, *[d.paused.get(r, 0) for r in reasons],
                     d.calls, "yes" if d.balanced else "no", "; ".join(corrected), " | ".join(notes)])
    team_head = ["team", "agents", "agent_days", "logged_in_s", "ready_s", "reserved_s", "connecting_s", "talk_s",
                 "wrap_up_s", "unspecified_s", "paused_s", "calls"]
    teams: list[list[object]] = [team_head]
    for tt in sheet.teams:
        teams.append([campaign_names.get(tt.key, str(tt.key)) if tt.key is not None else "", len(tt.agents), tt.days,
                      tt.logged_in_s, tt.parts["ready"], tt.parts["reserved"], tt.parts["connecting"],
                      tt.parts["talk"], tt.parts["wrap_up"], tt.parts["unspecified"], tt.paused_s, tt.calls])
    trail: list[list[object]] = [["agent", "day", "figure", "original", "corrected", "note", "by", "at"]]
    for c in sheet.corrections:
        trail.append([names.get(c.user_id, str(c.user_id)), c.day, c.figure, figure_text(c.figure, c.original),
                      figure_text(c.figure, c.corrected), c.note, c.corrected_by,
                      c.corrected_at.strftime("%Y-%m-%d %H:%M:%S %Z")])
    return {"Agent days": days, "Teams": teams, "Corrections": trail}


async def _export_data(request: Request, user: CurrentUser) -> tuple[Filters, dict[str, list[list[object]]]]:
    filters, campaigns = await _filters(request, user)
    sheet = await _sheet(request, filters)
    return filters, _rows(sheet, await _names(services_of(request).pool), {c.id: c.name for c in campaigns})


def _filename(filters: Filters, ext: str) -> str:
    who = f"agent{filters.agent}" if filters.agent is not None else "all"
    return f"timesheets-{who}-{filters.day_from.isoformat()}-{filters.day_to.isoformat()}.{ext}"


@router.get("/timesheets.csv")
async def timesheets_csv(request: Request, user: SignedIn) -> Response:
    """The agent days (one row per agent and day, original figures in seconds, corrections beside them)."""
    filters, sheets = await _export_data(request, user)
    out = io.StringIO()
    csv_writer(out).writerows(sheets["Agent days"])   # cells a spreadsheet would run as formulas are quoted
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{_filename(filters, "csv")}"'})


@router.get("/timesheets.xlsx")
async def timesheets_xlsx(request: Request, user: SignedIn) -> Response:
    """Three sheets: the agent days, the teams and the corrections' trail."""
    filters, sheets = await _export_data(request, user)
    out = io.BytesIO()
    write_xlsx(out, sheets)
    return Response(out.getvalue(),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="{_filename(filters, "xlsx")}"'})
