"""Team leads' lead pages: browse and search leads (one campaign or all), view one with its calls, edit it,
export what the filters select; and the list operations of the campaign page (disable, enable, reset,
recycle no-answers, delete), each audited and shown there with its counts.

The search parameters are the API's (``api_leads.lead_query``); exports link to ``/api/leads/export.*``
with the same parameters (the session cookie is enough for a GET).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin_ui.app import render
from admin_ui.auth import CurrentUser, TeamLead, services_of
from admin_ui.i18n import reason_text, translator
from admin_ui.routes.api_leads import actor_of, lead_or_404, lead_query, list_operation
from admin_ui.site_scope import scoped_lead_query
from campaigns import list_admin, repository
from campaigns.errors import CampaignError, NotFound
from campaigns.lead_search import MAX_PAGE
from campaigns.list_admin import RESETTABLE, LeadEditRefused
from campaigns.model import LeadStatus
from dialer import sites

router = APIRouter()
PAGE_SIZE = 50
OUTCOMES = ("no_answer", "busy", "machine", "abandoned", "failed", "customer_hung_up", "congestion", "pbx_cut",
            "invalid_number")
LIST_OPERATIONS = ("enable", "disable", "reset", "recycle", "delete")


def _query_string(request: Request, **changes: str) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes and k != "after"]
    items += [(k, v) for k, v in changes.items() if v]
    return urlencode(items)


@router.get("/leads", response_class=HTMLResponse)
async def leads_page(request: Request, user: TeamLead, after: int = 0, limit: int = PAGE_SIZE) -> HTMLResponse:
    query = await scoped_lead_query(request, user, lead_query(request))       # a team lead: their site's leads
    pool = services_of(request).pool
    limit = max(1, min(limit, MAX_PAGE))
    rows = await list_admin.search_page(pool, query, after_id=after, limit=limit)
    total, more = await list_admin.count_matching(pool, query)
    campaigns = await repository.list_campaigns(pool)
    if user.site_scope is not None:                     # the filter offers their site's campaigns only
        mine = await sites.campaign_ids(pool, [user.site_scope])
        campaigns = [c for c in campaigns if c.id in mine]
    lists = []
    for campaign_id in query.campaign_ids or ():
        lists += await list_admin.list_overview(pool, campaign_id=campaign_id)
    dispositions = sorted({d.code for c in campaigns for d in c.dispositions})
    params = request.query_params
    return render(request, "leads.html", user, rows=rows, total=total, more=more, query=query, campaigns=campaigns,
                  lists=lists, statuses=list(LeadStatus), outcomes=[*OUTCOMES, *dispositions],
                  chosen_statuses={s.value for s in query.statuses}, params=params,
                  next_href=f"/leads?{_query_string(request, after=str(rows[-1].lead.id))}"
                  if len(rows) == limit else "",
                  first_href=f"/leads?{_query_string(request)}" if after else "",
                  export_query=_query_string(request))


def _lead_page(request: Request, user: CurrentUser, row: Any, calls: list[dict[str, Any]],
               trail: list[dict[str, Any]], *, problem: str = "", notice: str = "", values: dict[str, str] | None = None,
               status_code: int = 200, zone_flag: tuple[str, str, str] = ("", "", "")) -> HTMLResponse:
    """``zone_flag``: why the import did not use the file's time zone (``list_admin.zone_flag``), said in the
    reader's language (a lead flagged before reason codes shows its stored English text)."""
    lead = row.lead
    form = values or {"phone": lead.phone_e164, "first_name": lead.first_name, "last_name": lead.last_name,
                      "postal_code": lead.postal_code, "timezones": ", ".join(lead.timezones),
                      "fields": "\n".join(f"{k} = {v}" for k, v in lead.fields.items())}
    return render(request, "lead.html", user, status_code=status_code, row=row, lead=lead, calls=calls, trail=trail,
                  v=form, problem=problem, notice=notice,
                  zone_flag=reason_text(translator(user.language), *zone_flag) if zone_flag[2] else "")


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
async def lead_page(request: Request, user: TeamLead, lead_id: int, done: str = "") -> HTMLResponse:
    row = await lead_or_404(request, lead_id)
    pool = services_of(request).pool
    t = translator(user.language)
    return _lead_page(request, user, row, await list_admin.lead_calls(pool, lead_id=lead_id),
                      await list_admin.audit_trail(pool, lead_id=lead_id), notice=t("lead_saved") if done else "",
                      zone_flag=await list_admin.zone_flag(pool, lead_id=lead_id))


def _fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise LeadEditRefused("bad_fields", f"write each field as name = value: {line[:60]!r}")
        fields[name.strip()] = value.strip()
    return fields


@router.post("/leads/{lead_id}")
async def save_lead(request: Request, user: TeamLead, lead_id: int) -> Response:
    row = await lead_or_404(request, lead_id)
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    services = services_of(request)
    t = translator(user.language)
    try:
        changes: dict[str, Any] = {k: form[k] for k in ("phone", "first_name", "last_name", "postal_code")
                                   if k in form}
        if "timezones" in form:
            changes["timezones"] = form["timezones"]
        if "fields" in form:
            changes["fields"] = _fields(form["fields"])
        async with services.pool.acquire() as conn:
            await list_admin.edit_lead(conn, lead_id=lead_id, changes=changes, actor=actor_of(user),
                                       now=services.clock.now())
    except CampaignError as exc:
        code = exc.code if isinstance(exc, LeadEditRefused) else "bad_value"
        problem = f"{t('not_saved')} {t('lead_refused_' + code)} ({exc})"
        pool = services.pool
        return _lead_page(request, user, row, await list_admin.lead_calls(pool, lead_id=lead_id),
                          await list_admin.audit_trail(pool, lead_id=lead_id), problem=problem, values=form,
                          status_code=409, zone_flag=await list_admin.zone_flag(pool, lead_id=lead_id))
    return RedirectResponse(f"/leads/{lead_id}?done=1", status_code=303)


@router.post("/campaigns/{campaign_id}/lists/{list_id}/manage")
async def manage_list(request: Request, user: TeamLead, campaign_id: int, list_id: int) -> Response:
    """One list operation from the campaign page's form (``op`` and its options), then back to that page."""
    form = await request.form()
    op = str(form.get("op", ""))
    t = translator(user.language)
    pool = services_of(request).pool
    try:
        info = await list_admin.get_list_info(pool, list_id=list_id)
    except NotFound:
        raise HTTPException(404, "there is no such list") from None
    if info.campaign_id != campaign_id:
        raise HTTPException(404, "there is no such list in this campaign")
    if op not in LIST_OPERATIONS:
        raise HTTPException(422, f"unknown list operation {op!r}")
    options: dict[str, Any] = {}
    if op == "reset":
        try:
            options["statuses"] = [LeadStatus(str(v)) for v in form.getlist("status") if str(v)]
        except ValueError:
            raise HTTPException(422, t("reset_statuses_only")) from None
        if any(s not in RESETTABLE for s in options["statuses"]):
            raise HTTPException(422, t("reset_statuses_only"))
        options["outcomes"] = [str(v)[:64] for v in form.getlist("outcome") if str(v)]
        if not options["statuses"] and not options["outcomes"]:
            raise HTTPException(422, t("reset_choose"))
    if op == "recycle":
        raw = str(form.get("minutes", "")).strip()
        try:
            options["delay_s"] = round(float(raw.replace(",", ".")) * 60) if raw else None
        except ValueError:
            raise HTTPException(422, t("recycle_minutes")) from None
        if options["delay_s"] is not None and not 60 <= options["delay_s"] <= 90 * 86400:
            raise HTTPException(422, t("recycle_minutes"))
    try:
        await list_operation(request, user, list_id, op, **options)
    except HTTPException as exc:
        if isinstance(exc.detail, dict):     # a refused operation: say which rule, in the reader's language
            raise HTTPException(exc.status_code, f"{t('lead_refused_' + exc.detail['code'])}"
                                f" ({exc.detail['message']})") from None
        raise
    return RedirectResponse(f"/campaigns/{campaign_id}?done=list_{op}#list-admin", status_code=303)
