"""JSON API for campaigns under ``/api/campaigns``: settings, state, agents, list uploads, rejects, leads, callbacks.

Roles: team leads (and admins) manage campaigns and lists; agents may read the leads and callbacks of
the campaigns they are assigned to (for the CRM pop and click-to-call) and schedule callbacks there;
compliance officers get 403 (they manage DNC under ``/api/dnc``). Errors: 404 unknown campaign/list/lead, 409 an
illegal state change (or a start refused: its safe-harbor message is missing on a connected PBX), 422 bad settings
(a safe-harbor message missing on a connected PBX too); a message that could not be checked (no PBX connected)
is saved with a ``warnings`` entry.
Recording: ``record_mode`` (all, share, none), ``record_share`` (percent) and ``recording_retention_days`` (null: the
global setting), read on every campaign and changed as any setting; a bad one is 422 ``{"detail", "field",
"message"}`` (``message`` in the reader's language) and nothing is saved. The old ``record_calls`` flag still
means all calls while no recording setting was saved.
Job progress of an upload is ``GET /api/jobs/{id}``.

List upload (``POST /{id}/lists``, multipart): ``file``, ``name``, ``mapping`` (``FIELD=COLUMN,...``, a column
by name or by position ``#N``, as ``dialer list import --map``), ``header_row`` (1-based, ``none``, or absent:
the proposed row, a title row above the column names being detected; said in ``header_row_used`` and
``header_row_proposed_because``) and ``region`` (an ISO code for the list's numbers written without +country
code; absent: the campaign's). The file is read before any job: a file that is not a list (an image, a PDF,
an archive, random bytes, empty) is refused with 422 and ``{"code", "message", "messages": {"en", "vi"}}``
(the web upload's texts, ``message`` in the user's language), as is a bad region, and the upload is removed.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from admin_ui.auth import CurrentUser, TeamLead, require_roles, services_of
from admin_ui.i18n import reason_renderer, reason_text, translator
from admin_ui.routes import pages_recordings as recording_setting
from admin_ui.site_scope import with_sites
from campaigns import jobs as list_jobs
from campaigns import repository
from campaigns.errors import CampaignError, IllegalTransition, ImportFailed, NotFound
from campaigns.imports import ROLES, build_column_map, parse_map_option
from campaigns.model import Callback, CallList, Campaign, CampaignState, Lead, LeadStatus, transition
from campaigns.readers import HeaderChoice, UnreadableFile, open_table
from campaigns.windows import local_time_to_utc
from dialer import jobs, sites
from dialer.commands.lists import list_region_option
from dialer.engine_api import EngineError
from dialer.recordings import RecordingPolicy, RecordingPolicyError
from dialer.sound_check import check_sound
from dialer.users import Role

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"])
LeadReader = Annotated[CurrentUser, Depends(require_roles(Role.TEAM_LEAD, Role.AGENT))]
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
ENGINE_ACTIONS = {CampaignState.RUNNING: "campaign_start", CampaignState.PAUSED: "campaign_pause",
                  CampaignState.FINISHED: "campaign_stop"}


class CampaignIn(BaseModel):
    """Campaign settings; on update, only the fields sent change (see ``Campaign.as_dict`` for shapes)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    dial_mode: str | None = None
    pacing: dict[str, float] | None = None
    caller_id: str | None = None
    trunk_template: str | None = None
    default_region: str | None = Field(None, min_length=2, max_length=2)
    timezone: str | None = None
    schedule: dict[str, Any] | None = None
    window_profile: str | None = None
    custom_window: dict[str, Any] | None = None
    retry_policy: dict[str, Any] | None = None
    dispositions: list[dict[str, Any]] | None = None
    record_calls: bool | None = None
    amd_enabled: bool | None = None
    notify_monitored: bool | None = None    # live supervision: the agent's panel says when a lead listens in
    machine_action: str | None = None
    safe_harbor_message: str | None = None
    crm_url_template: str | None = None
    shortcuts: dict[str, str] | None = Field(None, description='panel keys the lead changes: {"ready": "F2"}')
    pause_codes: list[dict[str, str]] | None = Field(None, description='[{"code": "coffee", "label": "Coffee"}]')
    agent_script: str | None = Field(None, max_length=20000)
    record_mode: str | None = Field(None, description="recording: all, share or none (record_calls is the old flag)")
    record_share: int | str | None = Field(None, description="the percent of calls recorded, with record_mode share")
    recording_retention_days: int | str | None = Field(None, description="days kept; null: the global setting")


class StateIn(BaseModel):
    state: CampaignState


class AgentsIn(BaseModel):
    user_ids: list[int]


class CallbackIn(BaseModel):
    lead_id: int
    local_time: datetime = Field(description="in the callee's zone when naive; an aware time is taken as is")
    zone: str | None = Field(None, description="zone of local_time (default: the lead's first zone)")
    personal: bool = True
    note: str = Field("", max_length=2000)


def _http(exc: CampaignError) -> HTTPException:
    if isinstance(exc, NotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, IllegalTransition):
        return HTTPException(409, str(exc))
    return HTTPException(422, str(exc))


def _header_row_json(header_row: int | None) -> int | str:
    """A header row as the API writes it: the row number, or "none" for a file read without one."""
    return header_row if header_row else "none"


def _list_json(lst: CallList, campaign: Campaign, error: str | None = None) -> dict[str, Any]:
    """A list; ``region`` is the region of its numbers without +country code (``region_from``: "list" when
    set for this list, else "campaign"); ``header_row`` is null for a list whose header row was not recorded;
    ``error`` is why its import failed as the reader reads it (``_errors``)."""
    return {"id": lst.id, "campaign_id": lst.campaign_id, "name": lst.name, "source_filename": lst.source_filename,
            "status": lst.status, "job_id": lst.job_id, "counts": dict(lst.counts),
            "error": lst.error if error is None else error,
            "created_at": lst.created_at, "finished_at": lst.finished_at,
            "region": lst.region or campaign.default_region, "region_from": "list" if lst.region else "campaign",
            "header_row": None if lst.header_row is None else _header_row_json(lst.header_row),
            "rejects_url": f"/api/campaigns/{lst.campaign_id}/lists/{lst.id}/rejects.csv"}


def _lead_json(lead: Lead, campaign: Campaign | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": lead.id, "campaign_id": lead.campaign_id, "list_id": lead.list_id, "phone": lead.phone_e164,
        "alt_phones": list(lead.alt_phones), "first_name": lead.first_name, "last_name": lead.last_name,
        "timezones": list(lead.timezones), "postal_code": lead.postal_code, "fields": dict(lead.fields),
        "status": lead.status.value, "attempts": lead.attempts, "last_outcome": lead.last_outcome,
        "last_attempt_at": lead.last_attempt_at, "next_attempt_at": lead.next_attempt_at, "priority": lead.priority,
    }
    if campaign is not None:
        data["crm_url"] = campaign.crm_url(lead) if campaign.crm_url_template else ""
    return data


def _callback_json(cb: Callback, zone: str) -> dict[str, Any]:
    """A callback with the customer's zone and the due time on the customer's clock (``due_local``)."""
    return {"id": cb.id, "lead_id": cb.lead_id, "campaign_id": cb.campaign_id, "due_at": cb.due_at,
            "zone": zone, "due_local": cb.due_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M"),
            "agent_id": cb.agent_id, "created_by": cb.created_by, "note": cb.note, "done_at": cb.done_at}


async def _campaign(request: Request, campaign_id: int, user: CurrentUser | None = None) -> Campaign:
    """The campaign; with ``user`` an agent, only one they are assigned to (else 403)."""
    pool = services_of(request).pool
    try:
        campaign = await repository.get_campaign(pool, campaign_id=campaign_id)
    except NotFound as exc:
        raise _http(exc) from None
    if (user is not None and user.role is Role.AGENT
            and user.id not in await repository.campaign_agents(pool, campaign_id=campaign_id)):
        raise HTTPException(403, f"you are not assigned to campaign {campaign_id}")
    return campaign


@router.get("")
async def list_campaigns(request: Request, user: TeamLead, site: int | None = None) -> list[dict[str, Any]]:
    """Every campaign of the user's site (a manager's or admin's: every site, or ``?site=<id>``), with its site."""
    pool = services_of(request).pool
    return with_sites(await repository.list_campaigns(pool), await sites.campaign_sites(pool),
                      sites.visible_site(user.site_scope, site))


@router.post("", status_code=201, response_model=None)
async def create_campaign(request: Request, user: TeamLead, body: CampaignIn) -> dict[str, Any] | JSONResponse:
    data = body.model_dump(exclude_none=True)
    if not data.get("name") or not data.get("trunk_template"):
        raise HTTPException(422, "a campaign needs a name and a trunk_template")
    pool = services_of(request).pool
    try:
        campaign = Campaign(id=0, name=data["name"], trunk_template=data["trunk_template"]).with_settings(data)
        recording = recording_setting.policy_from_body(data, RecordingPolicy("none"))
        warnings = await _check_sounds(request, campaign)
        created = await repository.create_campaign(pool, campaign=campaign)
    except CampaignError as exc:
        raise _http(exc) from None
    except RecordingPolicyError as exc:
        return recording_setting.policy_refusal(exc, user.language)
    if recording is not None:
        await recording_setting.save_policy(pool, "campaign", created.id, recording)
    site_id = user.site_scope or sites.DEFAULT_SITE_ID     # a team lead's campaigns are their site's
    await sites.set_campaign_site(pool, campaign_id=created.id, site_id=site_id)
    return {**await _campaign_json(pool, created), "site_id": site_id, "warnings": warnings}


async def _campaign_json(pool: Any, campaign: Campaign) -> dict[str, Any]:
    """``Campaign.as_dict`` with its recording setting (``record_mode``, ``record_share``,
    ``recording_retention_days``) as the engine applies it."""
    policy = await recording_setting.current_policy(pool, "campaign", campaign.id, legacy_all=campaign.record_calls)
    return {**campaign.as_dict(), **recording_setting.policy_json(policy)}


async def _check_sounds(request: Request, campaign: Campaign) -> list[str]:
    """Refuse (422) a safe-harbor message missing on a connected PBX; the warnings when it was not verified."""
    check = await check_sound(getattr(services_of(request).extras.get("engine"), "pbx", None),
                              campaign.safe_harbor_sound)
    if check.problem:
        raise HTTPException(422, check.problem)
    return [check.warning] if check.warning else []


@router.get("/{campaign_id}")
async def get_campaign(request: Request, user: TeamLead, campaign_id: int) -> dict[str, Any]:
    campaign = await _campaign(request, campaign_id)
    pool = services_of(request).pool
    return {**await _campaign_json(pool, campaign), "leads": await repository.count_leads(pool, campaign_id=campaign_id),
            "agents": await repository.campaign_agents(pool, campaign_id=campaign_id)}


@router.patch("/{campaign_id}", response_model=None)
async def update_campaign(request: Request, user: TeamLead, campaign_id: int,
                          body: CampaignIn) -> dict[str, Any] | JSONResponse:
    campaign = await _campaign(request, campaign_id)
    pool = services_of(request).pool
    data = body.model_dump(exclude_unset=True)
    try:
        changed = campaign.with_settings(data)
        recording = recording_setting.policy_from_body(data, await recording_setting.current_policy(
            pool, "campaign", campaign_id, legacy_all=campaign.record_calls))
        warnings = await _check_sounds(request, changed)
        saved = await repository.update_campaign(pool, campaign=changed)
    except CampaignError as exc:
        raise _http(exc) from None
    except RecordingPolicyError as exc:
        return recording_setting.policy_refusal(exc, user.language)
    if recording is not None:
        await recording_setting.save_policy(pool, "campaign", campaign_id, recording)
    return {**await _campaign_json(pool, saved), "warnings": warnings}


@router.post("/{campaign_id}/state")
async def change_state(request: Request, user: TeamLead, campaign_id: int, body: StateIn) -> dict[str, Any]:
    """Validate and store a state change; with a running engine, start/pause/stop go through it."""
    services = services_of(request)
    engine = services.extras.get("engine")
    method = getattr(engine, ENGINE_ACTIONS.get(body.state, ""), None) if engine is not None else None
    try:
        if callable(method):
            campaign = await _campaign(request, campaign_id)
            transition(campaign.state, body.state)
            await method(campaign_id)
            return (await _campaign(request, campaign_id)).as_dict()
        async with services.pool.acquire() as conn:
            return (await repository.set_campaign_state(conn, campaign_id=campaign_id, target=body.state)).as_dict()
    except CampaignError as exc:
        raise _http(exc) from None
    except EngineError as exc:      # e.g. its safe-harbor message is missing on a connected PBX
        raise HTTPException(409, str(exc)) from None


@router.put("/{campaign_id}/agents")
async def assign_agents(request: Request, user: TeamLead, campaign_id: int, body: AgentsIn) -> dict[str, Any]:
    await _campaign(request, campaign_id)
    pool = services_of(request).pool
    known = {r["id"] for r in await pool.fetch("SELECT id FROM users WHERE id = ANY($1::bigint[])", body.user_ids)}
    if missing := sorted(set(body.user_ids) - known):
        raise HTTPException(422, f"no user(s) {missing}")
    elsewhere = await pool.fetchrow(        # a user of another site (one without a site works anywhere)
        "SELECT u.username, us.name AS user_site, cs.name AS campaign_site FROM users u"
        " JOIN campaigns c ON c.id = $1 JOIN sites cs ON cs.id = c.site_id JOIN sites us ON us.id = u.site_id"
        " WHERE u.id = ANY($2::bigint[]) AND u.site_id <> c.site_id ORDER BY u.username LIMIT 1",
        campaign_id, body.user_ids)
    if elsewhere is not None:
        raise HTTPException(422, f"user_ids: {elsewhere['username']!r} works at site {elsewhere['user_site']!r}, not "
                                 f"at {elsewhere['campaign_site']!r}, this campaign's site; choose agents of "
                                 f"{elsewhere['campaign_site']!r}")
    async with pool.acquire() as conn:
        return {"user_ids": await repository.set_campaign_agents(conn, campaign_id=campaign_id,
                                                                 user_ids=body.user_ids)}


@router.get("/{campaign_id}/lists")
async def lists(request: Request, user: TeamLead, campaign_id: int) -> list[dict[str, Any]]:
    campaign = await _campaign(request, campaign_id)
    errors = await _errors(request, user, campaign_id)
    return [_list_json(li, campaign, errors.get(li.id))
            for li in await repository.list_lists(services_of(request).pool, campaign_id=campaign_id)]


async def _errors(request: Request, user: CurrentUser, campaign_id: int) -> dict[int, str]:
    """Why each failed list's import failed, in the user's language where it was stored with a reason code
    (``lists.error_code``); lists stored without one keep their ``error`` text."""
    t = translator(user.language)
    stored = await repository.list_error_reasons(services_of(request).pool, campaign_id=campaign_id)
    return {list_id: reason_text(t, code, params, text) for list_id, (code, params, text) in stored.items()}


def _refusal(user: CurrentUser, key: str, **values: object) -> HTTPException:
    """422 naming the problem: its code and the web upload's text, in the user's language and in both."""
    messages = {language: translator(language)(key, **values) for language in ("en", "vi")}
    return HTTPException(422, {"code": key, "message": translator(user.language)(key, **values),
                               "messages": messages})


def _header_row_option(text: str) -> HeaderChoice:
    """The ``header_row`` field: a row number (1 = the first), "none", or "" for the proposed row."""
    text = text.strip().lower()
    if not text:
        return "auto"
    if text == "none":
        return None
    if not text.isdigit() or int(text) < 1:
        raise HTTPException(422, f"header_row is a row number counted from 1, or none (got {text[:20]!r})")
    return int(text)


def _read_upload(path: Path, filename: str, header_row: HeaderChoice,
                 columns: dict[str, list[str]] | None) -> tuple[int | None, int | None, int]:
    """Open the stored upload as the import will (refusing what is not a list) and check the mapping
    against its columns: (the header row used, the proposed one, the file's first row that holds something)."""
    try:
        table = open_table(path, header_row)
    except UnreadableFile:
        raise
    except ImportFailed as exc:            # never the stored name: the file as the team lead named it
        raise ImportFailed(str(exc).replace(path.name, filename)) from None
    try:
        build_column_map(table.header, columns)
        first = next((n for n, cells in table.first_rows if any(c.strip() for c in cells)), 1)
        return table.header_row, table.proposed_header_row, first
    finally:
        table.close()


@router.post("/{campaign_id}/lists", status_code=202)
async def upload_list(request: Request, user: TeamLead, campaign_id: int, file: Annotated[UploadFile, File()],
                      name: Annotated[str, Form(max_length=200)] = "",
                      mapping: Annotated[str, Form(description="FIELD=COLUMN,... e.g. phone=Tel or phone=#2")] = "",
                      header_row: Annotated[str, Form(description='row of the column names (1 = the first), '
                                                                  '"none", or absent: the proposed row')] = "",
                      region: Annotated[str, Form(description="ISO code of the numbers without +country code "
                                                              "(absent: the campaign's)")] = "",
                      ) -> dict[str, Any]:
    """Read the upload (refusing a file that is not a list), then start the import job; poll ``status_url``."""
    campaign = await _campaign(request, campaign_id)
    services = services_of(request)
    try:
        columns = parse_map_option(mapping) if mapping else None
    except ImportFailed as exc:
        raise HTTPException(422, f"{exc} (fields: {', '.join(ROLES)})") from None
    choice = _header_row_option(header_row)
    try:
        list_region = list_region_option(region)
    except ImportFailed:
        raise _refusal(user, "bad_list_region", region=region.strip()[:8]) from None
    database_url = services.settings.database_url or services.extras.get("database_url")
    if not database_url:
        raise HTTPException(503, "no database URL for the import worker")
    upload_dir = services.settings.data_dir / "uploads"
    upload_dir.mkdir(parents=True, exist_ok=True)
    filename = Path(file.filename or "upload.csv").name
    target = upload_dir / f"list-{secrets.token_hex(8)}{Path(filename).suffix[:8]}"
    size = 0
    with target.open("wb") as out:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                target.unlink(missing_ok=True)
                raise HTTPException(413, "the file is larger than 512 MB")
            out.write(chunk)
    try:                                   # what the import will read, before any list or job
        used, proposed, first_row = await asyncio.to_thread(_read_upload, target, filename, choice, columns)
    except UnreadableFile as exc:
        target.unlink(missing_ok=True)
        raise _refusal(user, f"unreadable_{exc.code}", name=filename) from None
    except ImportFailed as exc:
        target.unlink(missing_ok=True)
        raise HTTPException(422, str(exc)) from None
    because = None
    if choice == "auto" and used != first_row:     # a title above the column names, or no column names at all
        t = translator(user.language)
        because = t("header_used_title", row=used) if used else t("header_used_none")
    created = await repository.create_list(services.pool, campaign_id=campaign_id, name=name or filename,
                                           source_filename=filename, created_by=user.id)
    async with services.pool.acquire() as conn:
        if list_region:
            await repository.set_list_region(conn, list_id=created.id, region=list_region)
        await repository.set_list_header_row(conn, list_id=created.id, header_row=used)
    job = jobs.enqueue(services.redis, list_jobs.import_list_job, database_url,
                       description=f"import of {filename} into {campaign.name}", campaign_id=campaign_id,
                       list_id=created.id, path=str(target), mapping=columns, remove_source=True,
                       header_row=used)          # the row said here, not proposed again by the job
    await repository.set_list_job(services.pool, list_id=created.id, job_id=job.id)
    return {"list_id": created.id, "job_id": job.id, "status_url": f"/api/jobs/{job.id}",
            "list_url": f"/api/campaigns/{campaign_id}/lists/{created.id}",
            "region": list_region or campaign.default_region, "region_from": "list" if list_region else "campaign",
            "header_row_used": _header_row_json(used), "header_row_proposed": _header_row_json(proposed),
            "header_row_proposed_because": because}


async def _list_of(request: Request, campaign_id: int, list_id: int) -> CallList:
    try:
        lst = await repository.get_list(services_of(request).pool, list_id=list_id)
    except NotFound as exc:
        raise _http(exc) from None
    if lst.campaign_id != campaign_id:
        raise HTTPException(404, f"no list {list_id} in campaign {campaign_id}")
    return lst


@router.get("/{campaign_id}/lists/{list_id}")
async def get_list(request: Request, user: TeamLead, campaign_id: int, list_id: int) -> dict[str, Any]:
    campaign = await _campaign(request, campaign_id)
    lst = await _list_of(request, campaign_id, list_id)
    return _list_json(lst, campaign, (await _errors(request, user, campaign_id)).get(lst.id))


@router.get("/{campaign_id}/lists/{list_id}/rejects.csv")
async def rejects(request: Request, user: TeamLead, campaign_id: int, list_id: int) -> StreamingResponse:
    await _list_of(request, campaign_id, list_id)
    pool = services_of(request).pool

    async def body() -> AsyncIterator[str]:
        async with pool.acquire() as conn:
            async for piece in list_jobs.rejects_csv(conn, list_id=list_id,
                                                     reason_text=reason_renderer(user.language)):
                yield piece

    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="rejects-list{list_id}.csv"'})


@router.get("/{campaign_id}/leads")
async def leads(request: Request, user: LeadReader, campaign_id: int, q: str = "",
                status: LeadStatus | None = None, after_id: int = 0,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    campaign = await _campaign(request, campaign_id, user)
    found = await repository.search_leads(services_of(request).pool, campaign_id=campaign_id, text=q,
                                          status=status, limit=limit, after_id=after_id)
    return {"leads": [_lead_json(lead, campaign) for lead in found],
            "next_after_id": found[-1].id if len(found) == limit else None}


@router.get("/{campaign_id}/leads/{lead_id}")
async def lead(request: Request, user: LeadReader, campaign_id: int, lead_id: int) -> dict[str, Any]:
    campaign = await _campaign(request, campaign_id, user)
    try:
        found = await repository.get_lead(services_of(request).pool, lead_id=lead_id)
    except NotFound as exc:
        raise _http(exc) from None
    if found.campaign_id != campaign_id:
        raise HTTPException(404, f"no lead {lead_id} in campaign {campaign_id}")
    return _lead_json(found, campaign)


@router.get("/{campaign_id}/callbacks")
async def callbacks(request: Request, user: LeadReader, campaign_id: int, mine: bool = False,
                    pending: bool = True) -> list[dict[str, Any]]:
    campaign = await _campaign(request, campaign_id, user)
    pool = services_of(request).pool
    found = await repository.list_callbacks(pool, campaign_id=campaign_id,
                                            agent_id=user.id if mine else None, pending_only=pending)
    zones: dict[int, str] = {}
    for cb in found:
        if cb.lead_id not in zones:
            zones[cb.lead_id] = (await repository.get_lead(pool, lead_id=cb.lead_id)).zones_or(campaign.timezone)[0]
    return [_callback_json(cb, zones[cb.lead_id]) for cb in found]


@router.post("/{campaign_id}/callbacks", status_code=201)
async def create_callback(request: Request, user: LeadReader, campaign_id: int, body: CallbackIn) -> dict[str, Any]:
    """Schedule a callback at a time in the callee's zone, personal (the caller's own) or for the campaign."""
    campaign = await _campaign(request, campaign_id, user)
    pool = services_of(request).pool
    try:
        target = await repository.get_lead(pool, lead_id=body.lead_id)
        if target.campaign_id != campaign_id:
            raise NotFound(f"no lead {body.lead_id} in campaign {campaign_id}")
        zone = body.zone or (target.timezones[0] if target.timezones else campaign.timezone)
        due_at = local_time_to_utc(body.local_time, zone)
        async with pool.acquire() as conn:
            created = await repository.create_callback(conn, lead_id=body.lead_id, due_at=due_at,
                                                       agent_id=user.id if body.personal else None,
                                                       created_by=user.id, note=body.note)
    except CampaignError as exc:
        raise _http(exc) from None
    return _callback_json(created, zone)
