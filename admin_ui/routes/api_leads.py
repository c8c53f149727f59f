"""JSON API for a team lead's leads and lists: browse, view, edit and export leads; disable, enable, reset,
recycle and delete lists.

Roles: team leads and admins, for every campaign (team leads are not scoped to campaigns in this product);
agents and compliance officers get 403 (agents read the leads of their own campaigns under
``/api/campaigns/{id}/leads`` for the CRM pop). Search parameters (``lead_query``): ``campaign`` (repeat for
several; none: every campaign), ``q`` (a number in any format, or a name), ``status`` (repeat),
``min_attempts``, ``max_attempts``, ``outcome`` (a last outcome or disposition code; ``none``: never
called), ``list``, ``tz``, ``field`` (repeat, ``name=value``: the file's column contains the value) or
``fname``/``fvalue``. Paging: ``after`` (the last id of the previous page) and ``limit``.
Errors: 404 unknown lead or list, 409 a refused edit or operation (``code`` names the rule), 422 bad input.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from admin_ui import lead_export
from admin_ui.auth import CurrentUser, TeamLead, services_of
from admin_ui.i18n import translator
from admin_ui.site_scope import scoped_lead_query
from campaigns import list_admin
from campaigns.errors import CampaignError, NotFound
from campaigns.lead_search import MAX_PAGE, LeadQuery
from campaigns.list_admin import Actor, LeadEditRefused, LeadRow, ListInfo
from campaigns.model import LeadStatus
from dialer import safe_export

router = APIRouter(tags=["leads"])
XLSX_MAX_ROWS = 1_048_575


def _int(value: str | None, name: str) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise HTTPException(422, f"{name} must be a whole number") from None


def lead_query(request: Request) -> LeadQuery:
    """The search parameters of a request as a ``LeadQuery`` (422 when one is malformed)."""
    params = request.query_params
    try:
        campaigns = tuple(int(v) for v in params.getlist("campaign") if v.strip())
        statuses = tuple(LeadStatus(v) for v in params.getlist("status") if v)
    except ValueError:
        raise HTTPException(422, "campaign must be an id; status one of "
                            + ", ".join(s.value for s in LeadStatus)) from None
    fields: dict[str, str] = {}
    for item in params.getlist("field"):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise HTTPException(422, "field must be written name=value")
        fields[name.strip()] = value.strip()
    if params.get("fname", "").strip():
        fields[params["fname"].strip()] = params.get("fvalue", "").strip()
    try:
        return LeadQuery(campaign_ids=campaigns or None, text=params.get("q", "")[:200], statuses=statuses,
                         min_attempts=_int(params.get("min_attempts"), "min_attempts"),
                         max_attempts=_int(params.get("max_attempts"), "max_attempts"),
                         last_outcome=params.get("outcome", "").strip()[:64], list_id=_int(params.get("list"), "list"),
                         timezone=params.get("tz", "").strip()[:64], fields=fields,
                         zone_flagged=params.get("flagged", "") in ("1", "true", "on"))
    except CampaignError as exc:
        raise HTTPException(422, str(exc)) from None


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def lead_json(row: LeadRow) -> dict[str, Any]:
    lead = row.lead
    return {"id": lead.id, "campaign_id": lead.campaign_id, "campaign": row.campaign_name, "list_id": lead.list_id,
            "list": row.list_name, "phone": lead.phone_e164, "alt_phones": list(lead.alt_phones),
            "first_name": lead.first_name, "last_name": lead.last_name, "timezones": list(lead.timezones),
            "postal_code": lead.postal_code, "fields": dict(lead.fields), "status": lead.status.value,
            "attempts": lead.attempts, "last_outcome": lead.last_outcome,
            "last_attempt_at": _when(lead.last_attempt_at), "next_attempt_at": _when(lead.next_attempt_at)}


def _jsonable(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in entry.items()}


def list_json(info: ListInfo) -> dict[str, Any]:
    return {"id": info.id, "campaign_id": info.campaign_id, "name": info.name, "status": info.status,
            "active": info.active, "recycle_no_answer_s": info.recycle_no_answer_s, "leads": dict(info.counts),
            "dialable": info.dialable}


def actor_of(user: CurrentUser) -> Actor:
    return Actor(user.id, user.username)


def refused(exc: CampaignError) -> HTTPException:
    if isinstance(exc, LeadEditRefused):
        return HTTPException(409, {"code": exc.code, "message": exc.detail})
    return HTTPException(422, str(exc))


@router.get("/api/leads")
async def search(request: Request, user: TeamLead, after: int = 0, limit: int = 50) -> dict[str, Any]:
    query = await scoped_lead_query(request, user, lead_query(request))       # a team lead: their site's leads
    limit = max(1, min(limit, MAX_PAGE))
    pool = services_of(request).pool
    rows = await list_admin.search_page(pool, query, after_id=after, limit=limit)
    total, more = await list_admin.count_matching(pool, query)
    return {"leads": [lead_json(r) for r in rows], "total": total, "total_is_lower_bound": more,
            "next_after": rows[-1].lead.id if len(rows) == limit else None}


async def export_response(request: Request, kind: str, user: CurrentUser) -> StreamingResponse:
    """The matching leads as a CSV or XLSX download (``kind``), streamed in id order; ``after``: only the
    leads with a greater id (an interrupted download resumed). ``X-Leads-Total`` says how many it holds."""
    query = await scoped_lead_query(request, user, lead_query(request))       # a team lead: their site's leads
    after = _int(request.query_params.get("after"), "after") or 0
    pool = services_of(request).pool
    total, _ = await list_admin.count_matching(pool, query, cap=10_000_000, after_id=after)
    if kind == "xlsx" and total > XLSX_MAX_ROWS:     # a sheet holds 1,048,576 rows, the header included
        raise HTTPException(422, translator(user.language)("export_too_big_xlsx", count=f"{total:,}",
                                                           most=f"{XLSX_MAX_ROWS:,}"))
    fields = await lead_export.field_columns(pool, query)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    headers = {"content-disposition": f"attachment; filename=\"leads-{stamp}.{kind}\"; filename*=UTF-8''"
                                      + quote(f"leads-{stamp}.{kind}"),
               "x-leads-total": str(total), "cache-control": "no-store"}
    if kind == "csv":
        return StreamingResponse(lead_export.csv_chunks(pool, query, fields, after_id=after),
                                 media_type=safe_export.CSV_MEDIA_TYPE, headers=headers)
    return StreamingResponse(lead_export.xlsx_chunks(pool, query, fields, after_id=after),
                             media_type=safe_export.XLSX_MEDIA_TYPE, headers=headers)


@router.get("/api/leads/export.csv")
async def export_csv(request: Request, user: TeamLead) -> StreamingResponse:
    return await export_response(request, "csv", user)


@router.get("/api/leads/export.xlsx")
async def export_xlsx(request: Request, user: TeamLead) -> StreamingResponse:
    return await export_response(request, "xlsx", user)


async def lead_or_404(request: Request, lead_id: int) -> LeadRow:
    try:
        return await list_admin.lead_detail(services_of(request).pool, lead_id=lead_id)
    except NotFound:
        raise HTTPException(404, "there is no such lead") from None


@router.get("/api/leads/{lead_id}")
async def get_lead(request: Request, user: TeamLead, lead_id: int) -> dict[str, Any]:
    """The lead, its calls (newest first) and the audit trail of its edits."""
    row = await lead_or_404(request, lead_id)
    pool = services_of(request).pool
    calls = await list_admin.lead_calls(pool, lead_id=lead_id)
    trail = await list_admin.audit_trail(pool, lead_id=lead_id)
    return {**lead_json(row), "calls": [_jsonable(c) for c in calls], "audit": [_jsonable(e) for e in trail]}


class LeadEdit(BaseModel):
    """Only the fields sent change; ``fields`` replaces the columns of the lead's file."""

    phone: str | None = Field(None, max_length=64)
    first_name: str | None = Field(None, max_length=200)
    last_name: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=200)
    timezones: list[str] | None = None
    fields: dict[str, str] | None = None


@router.patch("/api/leads/{lead_id}")
async def edit_lead(request: Request, user: TeamLead, lead_id: int, body: LeadEdit) -> dict[str, Any]:
    services = services_of(request)
    changes = body.model_dump(exclude_none=True)
    try:
        async with services.pool.acquire() as conn:
            await list_admin.edit_lead(conn, lead_id=lead_id, changes=changes, actor=actor_of(user),
                                       now=services.clock.now())
    except NotFound:
        raise HTTPException(404, "there is no such lead") from None
    except CampaignError as exc:
        raise refused(exc) from None
    return lead_json(await lead_or_404(request, lead_id))


# --- lists ----------------------------------------------------------------------------------------------

@router.get("/api/lists")
async def lists(request: Request, user: TeamLead, campaign: int) -> dict[str, Any]:
    """The campaign's lists with their leads by status, and the last list operations and lead edits."""
    pool = services_of(request).pool
    overview = await list_admin.list_overview(pool, campaign_id=campaign)
    trail = await list_admin.audit_trail(pool, campaign_id=campaign)
    return {"lists": [list_json(i) for i in overview], "audit": [_jsonable(e) for e in trail]}


class ResetIn(BaseModel):
    statuses: list[LeadStatus] = []
    outcomes: list[str] = []


class RecycleIn(BaseModel):
    delay_s: int | None = Field(..., description="seconds; null: the campaign's no-answer retry delay")


async def list_operation(request: Request, user: CurrentUser, list_id: int, op: str, **options: Any) -> int:
    """Run one list operation (``enable``, ``disable``, ``reset``, ``recycle``, ``delete``); returns how
    many leads it concerned. Raises HTTPException 404/409/422."""
    services = services_of(request)
    actor, now = actor_of(user), services.clock.now()
    try:
        async with services.pool.acquire() as conn:
            if op in ("enable", "disable"):
                return await list_admin.set_list_active(conn, list_id=list_id, active=op == "enable", actor=actor,
                                                        now=now)
            if op == "reset":
                return await list_admin.reset_leads(conn, list_id=list_id, statuses=options.get("statuses", ()),
                                                    outcomes=options.get("outcomes", ()), actor=actor, now=now)
            if op == "recycle":
                return await list_admin.set_recycle(conn, list_id=list_id, delay_s=options.get("delay_s"),
                                                    actor=actor, now=now)
            if op == "delete":
                return await list_admin.delete_list(conn, list_id=list_id, actor=actor, now=now)
    except NotFound:
        raise HTTPException(404, "there is no such list") from None
    except CampaignError as exc:
        raise refused(exc) from None
    raise HTTPException(404, f"unknown list operation {op!r}")


@router.post("/api/lists/{list_id}/enable")
async def enable(request: Request, user: TeamLead, list_id: int) -> dict[str, Any]:
    return {"dialable": await list_operation(request, user, list_id, "enable")}


@router.post("/api/lists/{list_id}/disable")
async def disable(request: Request, user: TeamLead, list_id: int) -> dict[str, Any]:
    return {"held": await list_operation(request, user, list_id, "disable")}


@router.post("/api/lists/{list_id}/reset")
async def reset(request: Request, user: TeamLead, list_id: int, body: ResetIn) -> dict[str, Any]:
    return {"reset": await list_operation(request, user, list_id, "reset", statuses=body.statuses,
                                          outcomes=body.outcomes)}


@router.post("/api/lists/{list_id}/recycle")
async def recycle(request: Request, user: TeamLead, list_id: int, body: RecycleIn) -> dict[str, Any]:
    return {"rescheduled": await list_operation(request, user, list_id, "recycle", delay_s=body.delay_s)}


@router.delete("/api/lists/{list_id}")
async def delete(request: Request, user: TeamLead, list_id: int) -> dict[str, Any]:
    return {"deleted_leads": await list_operation(request, user, list_id, "delete")}
