"""Several sites (``dialer.sites``): the admin's sites page (each site's status, add a site, who works where), moving
a campaign or queue to another site (admins and managers), and the wallboard's site status as JSON (a team lead:
their own site; a manager or admin: every site, or the one chosen with ``?site=<id>``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from admin_ui.app import render
from admin_ui.auth import AdminUser, CurrentUser, TeamLead, services_of
from admin_ui.i18n import translator
from dialer import sites, users
from dialer.users import Role

router = APIRouter()
SITE_ROLES = (Role.AGENT, Role.TEAM_LEAD)   # the roles that work at one site


async def _page(request: Request, user: CurrentUser, *, problem: str = "", notice: str = "",
                status_code: int = 200) -> HTMLResponse:
    pool = services_of(request).pool
    people = [u for u in await users.list_users(pool) if u.active]
    return render(request, "sites.html", user, status_code=status_code, statuses=await sites.statuses(pool),
                  sites=await sites.list_sites(pool), people=people, site_roles=SITE_ROLES, problem=problem,
                  notice=notice)


@router.get("/admin/sites", response_class=HTMLResponse)
async def sites_page(request: Request, user: AdminUser, done: str = "") -> HTMLResponse:
    t = translator(user.language)
    return await _page(request, user, notice=t(done) if done in ("site_created", "site_user_saved") else "")


@router.post("/admin/sites")
async def create_site(request: Request, user: AdminUser, name: Annotated[str, Form()] = "",
                      zone: Annotated[str, Form()] = "") -> Response:
    t = translator(user.language)
    try:
        await sites.create_site(services_of(request).pool, name=name, zone=zone)
    except sites.SiteError as exc:
        return await _page(request, user, problem=f"{t('not_saved')} {exc}", status_code=400)
    return RedirectResponse("/admin/sites?done=site_created", status_code=303)


async def _site_id(request: Request, value: str, *, allow_every: bool) -> int | None:
    if value == "" and allow_every:
        return None
    known = {s.id for s in await sites.list_sites(services_of(request).pool)}
    if not value.isdigit() or int(value) not in known:
        raise HTTPException(422, f"site: there is no site {value!r}")
    return int(value)


@router.post("/admin/users/{user_id}/site")
async def set_user_site(request: Request, user: AdminUser, user_id: int,
                        site: Annotated[str, Form()] = "") -> Response:
    """An agent's or team lead's site ("" = every site: only for roles that see every site anyway)."""
    pool = services_of(request).pool
    target = await users.get_user(pool, user_id)
    if target is None:
        raise HTTPException(404, translator(user.language)("no_such_user"))
    await sites.set_user_site(pool, user_id=user_id,
                              site_id=await _site_id(request, site, allow_every=target.role not in SITE_ROLES))
    return RedirectResponse("/admin/sites?done=site_user_saved", status_code=303)


async def _moved_to(request: Request, user: CurrentUser, site: str, current_site: int | None, what: str) -> int:
    """The site a manager or admin moves a campaign or queue (``what``) to; 403 for a team lead of one site, 404
    when there is no such ``what`` (no ``current_site``)."""
    if user.site_scope is not None:
        raise HTTPException(403, "only a manager or an admin moves a campaign or queue to another site")
    if current_site is None:
        raise HTTPException(404, f"there is no such {what}")
    site_id = await _site_id(request, site, allow_every=False)
    assert site_id is not None
    return site_id


@router.post("/campaigns/{campaign_id}/site")
async def move_campaign(request: Request, user: TeamLead, campaign_id: int,
                        site: Annotated[str, Form()] = "") -> Response:
    pool = services_of(request).pool
    current = await sites.site_of_campaign(pool, campaign_id)
    site_id = await _moved_to(request, user, site, current, "campaign")
    await sites.set_campaign_site(pool, campaign_id=campaign_id, site_id=site_id)
    return RedirectResponse(f"/campaigns/{campaign_id}?done=site_moved", status_code=303)


@router.post("/queues/{queue_id}/site")
async def move_queue(request: Request, user: TeamLead, queue_id: int, site: Annotated[str, Form()] = "") -> Response:
    pool = services_of(request).pool
    current = await sites.site_of_queue(pool, queue_id)
    site_id = await _moved_to(request, user, site, current, "queue")
    await sites.set_queue_site(pool, queue_id=queue_id, site_id=site_id)
    return RedirectResponse(f"/queues/{queue_id}/edit?done=site_moved", status_code=303)


async def site_board(request: Request, user: CurrentUser, wanted: int | None) -> dict[str, object]:
    """The wallboard's sites: each shown site's status in the reader's language, and the campaigns paused while
    their site is down."""
    pool = services_of(request).pool
    t = translator(user.language)
    shown = sites.visible_site(user.site_scope, wanted)
    rows = []
    for status in await sites.statuses(pool, site_id=shown):
        row = status.as_dict()
        row["text"] = t(f"site_st_{status.status}", detail=status.detail)
        if status.down:
            row["banner"] = t("site_down_banner", name=status.site.name)
        rows.append(row)
    paused = await sites.site_down_pauses(pool, site_id=shown)
    return {"site": shown, "sites": rows, "paused": [{"id": p["id"], "name": p["name"], "site": p["site"]}
                                                    for p in paused]}


@router.get("/wallboard/sites")
async def wallboard_sites(request: Request, user: TeamLead, site: int | None = None) -> JSONResponse:
    return JSONResponse(await site_board(request, user, site))


@router.get("/wallboard/sites/panel", response_class=HTMLResponse)
async def wallboard_sites_panel(request: Request, user: TeamLead, site: int | None = None) -> HTMLResponse:
    """The wallboard's sites section, for its refresh."""
    return render(request, "wallboard_sites.html", user, board=await site_board(request, user, site))
