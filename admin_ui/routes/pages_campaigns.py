"""Team leads' campaign pages: list, create and edit (with the form's clear messages), start / pause / stop,
assign agents, upload a call list with column mapping, follow its import, and download its rejects.

Campaign data goes through ``campaigns.repository``; state changes go through the running engine
when there is one (so runners start and stop at once), else straight to the repository.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import phonenumbers
from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from admin_ui.app import render
from admin_ui.auth import CurrentUser, TeamLead, services_of
from admin_ui.campaign_text import STATE_ACTIONS, retry_lines, schedule_lines
from admin_ui.health import engine_pbx_health, pbx_banner
from admin_ui.i18n import reason_renderer, reason_text, translator
from admin_ui.routes import pages_recordings as recording_setting
from admin_ui.routes.pages_campaign_form import (
    NEW_CAMPAIGN,
    RETRY_OUTCOMES,
    campaign_from_form,
    form_values,
    problem_text,
)
from admin_ui.site_scope import site_context
from agents_ws.engine_link import engine_method, running_engine
from campaigns import jobs as list_jobs
from campaigns import list_admin, repository
from campaigns.errors import CampaignError, NotFound
from campaigns.holidays import CALENDARS
from campaigns.imports import ROLES, build_column_map
from campaigns.model import TRANSITIONS, Campaign, CampaignState, DialMode
from campaigns.readers import (
    HeaderChoice,
    Table,
    UnreadableFile,
    check_readable,
    looks_like_phone,
    open_table,
    parse_lines,
)
from campaigns.windows import DAY_NAMES, PROFILES
from dialer import jobs, sites, users
from dialer.engine_api import EngineError
from dialer.reasons import Reason, code_of
from dialer.sound_check import check_sound
from dialer.users import Role

router = APIRouter()
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
UPLOAD_NAME = re.compile(r"^list-[0-9a-f]{16}(\.[a-z0-9]{1,5})?$")
FIRST_REJECTS = 20          # the rejects of a list the campaign page shows (all are in the rejects report)
NOTICES = ("campaign_created", "campaign_saved", "agents_saved", "state_changed", "import_started",
           "list_enable", "list_disable", "list_reset", "list_recycle", "list_delete",   # the last: pages_leads
           "site_moved")   # pages_sites
ACTIONS = {"start": ("campaign_start", CampaignState.RUNNING), "resume": ("campaign_start", CampaignState.RUNNING),
           "pause": ("campaign_pause", CampaignState.PAUSED), "stop": ("campaign_stop", CampaignState.FINISHED)}


async def _campaign(request: Request, campaign_id: int) -> Campaign:
    try:
        return await repository.get_campaign(services_of(request).pool, campaign_id=campaign_id)
    except NotFound:
        raise HTTPException(404, "there is no such campaign") from None


@router.get("/campaigns", response_class=HTMLResponse)
async def campaigns_page(request: Request, user: TeamLead, site: int | None = None) -> HTMLResponse:
    pool = services_of(request).pool
    shown_site, site_ctx = await site_context(request, user, site)     # a team lead: their own site only
    site_of = await sites.campaign_sites(pool)
    rows = []
    for campaign in await repository.list_campaigns(pool):
        if shown_site is not None and site_of.get(campaign.id) != shown_site:
            continue
        counts = await repository.count_leads(pool, campaign_id=campaign.id)
        agents = await repository.campaign_agents(pool, campaign_id=campaign.id)
        rows.append({"c": campaign, "leads": sum(counts.values()),
                     "dialable": sum(counts.get(s, 0) for s in ("new", "retry", "callback")), "agents": len(agents),
                     "site": site_ctx["site_names"].get(site_of.get(campaign.id), "")})
    t = translator(user.language)
    return render(request, "campaigns.html", user, rows=rows, **site_ctx,
                  pbx_banner=pbx_banner(t, engine_pbx_health(services_of(request).extras)))


async def _sound_problem(request: Request, campaign: Campaign, t: Callable[..., str]) -> tuple[str, str]:
    """(refusal, warning) from checking the campaign's safe-harbor message on every connected PBX."""
    engine = running_engine(request)
    check = await check_sound(getattr(engine, "pbx", None), campaign.safe_harbor_sound)
    if check.problem:
        return f"{t('not_saved')} {t('sound_missing')} {check.problem}", ""
    return "", check.unverified


def _form_page(request: Request, user: CurrentUser, *, values: dict[str, Any], campaign: Campaign | None,
               problem: str = "", status_code: int = 200) -> HTMLResponse:
    return render(request, "campaign_form.html", user, status_code=status_code, v=values, campaign=campaign,
                  problem=problem, modes=list(DialMode), profiles=[*PROFILES, "custom"], days=DAY_NAMES,
                  outcomes=RETRY_OUTCOMES, calendars=CALENDARS)


@router.get("/campaigns/new", response_class=HTMLResponse)
async def new_campaign_page(request: Request, user: TeamLead) -> HTMLResponse:
    return _form_page(request, user, values=form_values(NEW_CAMPAIGN), campaign=None)


@router.post("/campaigns/new")
async def create_campaign(request: Request, user: TeamLead) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    t = translator(user.language)
    try:
        campaign = campaign_from_form(form)
        recording = recording_setting.policy_from_form(form, user.language)   # named in the reader's language
        refused, unchecked = await _sound_problem(request, campaign, t)
        if refused:
            return _form_page(request, user, values=form, campaign=None, problem=refused, status_code=400)
        campaign = await repository.create_campaign(services_of(request).pool, campaign=campaign)
        await sites.set_campaign_site(services_of(request).pool, campaign_id=campaign.id,   # a team lead's: their site
                                      site_id=user.site_scope or sites.DEFAULT_SITE_ID)
        await recording_setting.save_policy(services_of(request).pool, "campaign", campaign.id, recording)
    except CampaignError as exc:
        return _form_page(request, user, values=form, campaign=None, problem=problem_text(exc, t),
                          status_code=400)
    return RedirectResponse(f"/campaigns/{campaign.id}?done=campaign_created{_unchecked(unchecked)}",
                            status_code=303)


def _unchecked(reason: str) -> str:
    return f"&unchecked={quote(reason[:300])}" if reason else ""


@router.get("/campaigns/{campaign_id}/edit", response_class=HTMLResponse)
async def edit_campaign_page(request: Request, user: TeamLead, campaign_id: int) -> HTMLResponse:
    campaign = await _campaign(request, campaign_id)
    recording = await recording_setting.policy_values(services_of(request).pool, "campaign", campaign_id,
                                                      legacy_all=campaign.record_calls)
    return _form_page(request, user, values={**form_values(campaign), **recording}, campaign=campaign)


@router.post("/campaigns/{campaign_id}/edit")
async def save_campaign(request: Request, user: TeamLead, campaign_id: int) -> Response:
    campaign = await _campaign(request, campaign_id)
    form = {k: str(v) for k, v in (await request.form()).items()}
    t = translator(user.language)
    try:
        changed = campaign_from_form(form, campaign)
        recording = recording_setting.policy_from_form(form, user.language)   # named in the reader's language
        refused, unchecked = await _sound_problem(request, changed, t)
        if refused:
            return _form_page(request, user, values=form, campaign=campaign, problem=refused, status_code=400)
        await repository.update_campaign(services_of(request).pool, campaign=changed)
        await recording_setting.save_policy(services_of(request).pool, "campaign", campaign_id, recording)
    except CampaignError as exc:
        return _form_page(request, user, values=form, campaign=campaign, problem=problem_text(exc, t),
                          status_code=400)
    return RedirectResponse(f"/campaigns/{campaign_id}?done=campaign_saved{_unchecked(unchecked)}",
                            status_code=303)


async def _detail(request: Request, user: CurrentUser, campaign: Campaign, *, problem: str = "", notice: str = "",
                  job: str = "", status_code: int = 200) -> HTMLResponse:
    pool = services_of(request).pool
    engine = running_engine(request)
    board, control = getattr(engine, "board", None), getattr(engine, "control", None)
    word = board.pacer.get(campaign.id) if board is not None else None       # the runner's last word
    hold = control.hold_of(campaign.id) if control is not None else ""     # why it places no call
    t = translator(user.language)
    assigned = set(await repository.campaign_agents(pool, campaign_id=campaign.id))
    site = await sites.site_of_campaign(pool, campaign.id)             # the campaign's site's agents only
    agents = [u for u in await users.list_users(pool) if u.role is Role.AGENT and (u.active or u.id in assigned)
              and (u.site_id in (None, site) or u.id in assigned)]
    lists = await repository.list_lists(pool, campaign_id=campaign.id)
    _, site_ctx = await site_context(request, user, None)              # its site; managers may move it
    return render(request, "campaign.html", user, status_code=status_code, c=campaign, problem=problem,
                  campaign_site=site, **site_ctx,
                  notice=notice, job_id=job, lists=lists, first_rejects=await _first_rejects(pool, lists, t),
                  list_errors={i: reason_text(t, *why) for i, why in
                               (await repository.list_error_reasons(pool, campaign_id=campaign.id)).items()},
                  list_admin=await list_admin.list_overview(pool, campaign_id=campaign.id),
                  list_audit=await list_admin.audit_trail(pool, campaign_id=campaign.id, limit=20),
                  counts=await repository.count_leads(pool, campaign_id=campaign.id), agents=agents,
                  assigned=assigned, engine=engine is not None,
                  allowed={s.value for s in TRANSITIONS[campaign.state]}, actions=STATE_ACTIONS[campaign.state],
                  schedule=schedule_lines(campaign, t), retry=retry_lines(campaign, t),
                  pacer_why=word.why if word is not None and campaign.state is CampaignState.RUNNING else "",
                  hold=hold, health=await _health_text(pool, campaign, t),
                  pbx_banner=pbx_banner(t, engine_pbx_health(services_of(request).extras)))


async def _first_rejects(pool: Any, lists: list[Any], t: Any) -> dict[int, list[tuple[int, str, str]]]:
    """The first rejects of each list with some, as (line, kind, reason in the reader's language)."""
    ids = [x.id for x in lists if x.counts.get("rejected", 0) or x.counts.get("timezone_flagged", 0)]
    if not ids:
        return {}
    found = await repository.first_rejects(pool, list_ids=ids, limit=FIRST_REJECTS)
    return {list_id: [(r["line_no"], r["kind"], reason_text(t, r["reason_code"], r["reason_params"], r["reason"]))
                      for r in rows] for list_id, rows in found.items()}


async def _health_text(pool: Any, campaign: Campaign, t: Any) -> str:
    """Why a paused campaign paused itself (dialer.campaign_health), in the user's language, or ""."""
    from dialer.runner import health_pause_of

    if campaign.state is not CampaignState.PAUSED:
        return ""
    pause = await health_pause_of(pool, campaign_id=campaign.id)
    if pause is None:
        return ""
    return str(t("health_" + str(pause["code"]), count=pause["count"], detail=pause["detail"]))


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign_page(request: Request, user: TeamLead, campaign_id: int, done: str = "",
                        job: str = "", unchecked: str = "") -> HTMLResponse:
    t = translator(user.language)
    campaign = await _campaign(request, campaign_id)
    notice = t(done) if done in NOTICES else ""
    if unchecked:
        notice = f"{notice} {t('sound_unchecked', reason=unchecked)}".strip()
    return await _detail(request, user, campaign, notice=notice, job=job)


@router.post("/campaigns/{campaign_id}/state")
async def change_state(request: Request, user: TeamLead, campaign_id: int,
                       action: Annotated[str, Form()] = "") -> Response:
    campaign = await _campaign(request, campaign_id)
    if action not in ACTIONS:
        raise HTTPException(422, f"unknown action {action!r}; use start, resume, pause or stop")
    method_name, target = ACTIONS[action]
    engine = running_engine(request)
    try:
        if engine is not None:
            await engine_method(engine, method_name)(campaign_id)
        else:
            async with services_of(request).pool.acquire() as conn:
                await repository.set_campaign_state(conn, campaign_id=campaign_id, target=target)
    except (CampaignError, EngineError) as exc:
        t = translator(user.language)
        return await _detail(request, user, campaign, problem=f"{t('not_done')} {exc}", status_code=409)
    return RedirectResponse(f"/campaigns/{campaign_id}?done=state_changed", status_code=303)


@router.post("/campaigns/{campaign_id}/agents")
async def assign_agents(request: Request, user: TeamLead, campaign_id: int) -> Response:
    await _campaign(request, campaign_id)
    form = await request.form()
    pool = services_of(request).pool
    site = await sites.site_of_campaign(pool, campaign_id)
    agent_ids = {u.id for u in await users.list_users(pool) if u.role is Role.AGENT and u.site_id in (None, site)}
    try:
        chosen = sorted({int(str(v)) for v in form.getlist("agent")})
    except ValueError:
        raise HTTPException(422, "agents must be given by their id") from None
    if not set(chosen) <= agent_ids:
        raise HTTPException(422, "only agents can be assigned to a campaign")
    async with pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign_id, user_ids=chosen)
    return RedirectResponse(f"/campaigns/{campaign_id}?done=agents_saved", status_code=303)


# --- list upload: file -> column mapping -> import job with progress -> rejects report -----------------

def _upload_dir(request: Request) -> Path:
    folder = services_of(request).settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@router.post("/campaigns/{campaign_id}/upload")
async def upload_list(request: Request, user: TeamLead, campaign_id: int,
                      file: Annotated[UploadFile | None, File()] = None) -> Response:
    campaign = await _campaign(request, campaign_id)
    t = translator(user.language)
    if file is None or not file.filename:
        return await _detail(request, user, campaign, problem=t("choose_file"), status_code=400)
    suffix = Path(file.filename).suffix.lower()[:6]
    if suffix not in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ""):
        return await _detail(request, user, campaign, problem=t("bad_list_file"), status_code=400)
    name = f"list-{secrets.token_hex(8)}{suffix}"
    target = _upload_dir(request) / name
    size = 0
    with target.open("wb") as out:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                break
            out.write(chunk)
    if size > MAX_UPLOAD_BYTES or size == 0:
        target.unlink(missing_ok=True)
        return await _detail(request, user, campaign, problem=t("file_too_big" if size else "file_empty"),
                             status_code=400)
    try:
        check_readable(target)           # an image, a PDF, an archive or random bytes: said here, not mapped
    except UnreadableFile as exc:
        target.unlink(missing_ok=True)
        return await _detail(request, user, campaign, problem=t(f"unreadable_{exc.code}", name=file.filename),
                             status_code=400)
    return _mapping_page(request, user, campaign, name, file.filename)


def _header_choice(value: str) -> HeaderChoice:
    """The header-row field of the mapping forms: a row number, "none", or "" (the proposed row)."""
    if value == "none":
        return None
    return int(value) if value.isdigit() and int(value) > 0 else "auto"


@router.post("/campaigns/{campaign_id}/mapping")
async def choose_header_row(request: Request, user: TeamLead, campaign_id: int) -> Response:
    """The mapping page again, with the columns read from the row the team lead chose (or none)."""
    campaign = await _campaign(request, campaign_id)
    form = await request.form()
    upload, filename = str(form.get("upload", "")), str(form.get("filename", "")) or "list.csv"
    if not UPLOAD_NAME.match(upload) or not (_upload_dir(request) / upload).exists():
        t = translator(user.language)
        return await _detail(request, user, campaign, problem=t("upload_again"), status_code=400)
    return _mapping_page(request, user, campaign, upload, filename,
                         header_row=_header_choice(str(form.get("header_row", ""))))


def _said(exc: Exception, t: Callable[..., str], upload: str = "", filename: str = "") -> str:
    """Why a file cannot be imported, in the reader's language when the error carries a reason code
    (``dialer.reasons``), else as the error says it; naming the file as the team lead named it
    (``filename``), not as it is stored (``upload``: list-xxxx.csv)."""
    why = exc.args[0] if exc.args else ""
    text = str(exc).replace(upload, filename) if upload and filename else str(exc)
    if isinstance(why, Reason) and filename and "name" in why.params:
        why = Reason(why.code, {**why.params, "name": filename})
    return reason_text(t, *code_of(why), text) if isinstance(why, str) else text


def _column_labels(header: list[str], t: Callable[..., str]) -> list[tuple[int, str]]:
    """Each column as the page shows it: its name, with its position when the name is repeated or empty."""
    labels = []
    for index, name in enumerate(header):
        position = t("column_n", n=index + 1)
        if not name.strip():
            labels.append((index, position[:1].upper() + position[1:]))
        elif sum(1 for h in header if h.strip() == name.strip()) > 1:
            labels.append((index, f"{name.strip()} ({position})"))
        else:
            labels.append((index, name.strip()))
    return labels


def _mapping_page(request: Request, user: CurrentUser, campaign: Campaign, upload: str, filename: str, *,
                  problem: str = "", status_code: int = 200, header_row: HeaderChoice = "auto") -> Response:
    t = translator(user.language)
    path = _upload_dir(request) / upload
    try:
        table = open_table(path, header_row)
    except CampaignError as exc:
        if header_row == "auto":
            return render(request, "list_mapping.html", user, status_code=400, c=campaign, upload="",
                          problem=_said(exc, t, upload, filename), columns=[], preview=[], guess={}, roles=ROLES,
                          filename=filename, first_rows=[], header_row=None, header_note="")
        return _mapping_page(request, user, campaign, upload, filename, problem=_said(exc, t, upload, filename),
                             status_code=400)
    try:
        header = table.header
        preview = _preview(table, 5)
    except (CampaignError, UnicodeError, ValueError) as exc:
        header, preview, problem = [], [], problem or _said(exc, t, upload, filename)
    finally:
        table.close()
    guess: dict[str, list[int]] = {}
    try:
        cmap = build_column_map(header)
        guess = {"phone": [cmap.phone], "alt_phones": list(cmap.alt_phones),
                 **{r: [getattr(cmap, r)] for r in ROLES[2:] if getattr(cmap, r) is not None}}
    except CampaignError:
        phones = [i for i in range(len(header)) if preview and not header[i].strip() and
                  sum(looks_like_phone(row[i]) for row in preview if i < len(row)) * 2 > len(preview)]
        guess = {"phone": phones[:1]} if phones else {}      # no column names: the column holding numbers
    if not header:
        status_code, problem = 400, problem or t("no_header")
    note = ""
    if header_row == "auto" and table.first_rows:
        if table.header_row is None:
            note = t("header_proposed_none")
        elif table.header_row != table.first_rows[0][0]:
            note = t("header_proposed_title", row=table.header_row)
    first_rows = [(n, " | ".join(c for c in cells if c.strip())[:120]) for n, cells in table.first_rows
                  if any(c.strip() for c in cells)]          # the first 20 rows (HEADER_SEARCH_ROWS)
    return render(request, "list_mapping.html", user, status_code=status_code, c=campaign, upload=upload,
                  filename=filename, columns=_column_labels(header, t), preview=preview, guess=guess, roles=ROLES,
                  problem=problem, first_rows=first_rows, header_row=table.header_row, header_note=note)


def _preview(table: Table, count: int) -> list[list[str]]:
    """The cells of the file's first ``count`` records after the header row."""
    cells: list[list[str]] = []
    for chunk in table.chunks(count):
        if not (chunk.rows or chunk.lines):
            continue                     # what the reader reported (rows above the header, unterminated quotes)
        rows = chunk.rows or list(parse_lines(chunk.lines, first_line=chunk.first_line, delimiter=table.delimiter))
        cells.extend(row for _, row, _ in rows)
        if len(cells) >= count:
            break
    return cells[:count]


@router.post("/campaigns/{campaign_id}/import")
async def start_import(request: Request, user: TeamLead, campaign_id: int) -> Response:
    campaign = await _campaign(request, campaign_id)
    form = await request.form()
    t = translator(user.language)
    upload, filename = str(form.get("upload", "")), str(form.get("filename", "")) or "list.csv"
    if not UPLOAD_NAME.match(upload) or not (_upload_dir(request) / upload).exists():
        return await _detail(request, user, campaign, problem=t("upload_again"), status_code=400)
    mapping: dict[str, list[str]] = {}
    for role in ROLES:
        columns = [str(v) for v in form.getlist(f"map_{role}") if str(v)]
        if columns:
            mapping[role] = columns
    header_row = _header_choice(str(form.get("header_row", "")))
    if "phone" not in mapping:
        return _mapping_page(request, user, campaign, upload, filename, problem=t("map_phone"), status_code=400,
                             header_row=header_row)
    try:                                  # the columns chosen exist and name one column each, before the job
        table = open_table(_upload_dir(request) / upload, header_row)
        try:
            build_column_map(table.header, mapping)
        finally:
            table.close()
    except CampaignError as exc:
        return _mapping_page(request, user, campaign, upload, filename, problem=_said(exc, t, upload, filename),
                             status_code=400, header_row=header_row)
    region = str(form.get("region", "")).strip().upper()      # the list's own region ('' = the campaign's)
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        return _mapping_page(request, user, campaign, upload, filename, status_code=400,
                             problem=t("bad_list_region", region=region[:8]))
    services = services_of(request)
    database_url = services.extras.get("database_url")
    if not database_url:
        return await _detail(request, user, campaign, problem=t("unavailable"), status_code=503)
    name = str(form.get("list_name", "")).strip() or filename
    created = await repository.create_list(services.pool, campaign_id=campaign_id, name=name[:200],
                                           source_filename=filename, created_by=user.id)
    if region:
        await repository.set_list_region(services.pool, list_id=created.id, region=region)
    job = jobs.enqueue(services.redis, list_jobs.import_list_job, database_url,
                       description=f"import of {filename} into {campaign.name}", campaign_id=campaign_id,
                       list_id=created.id, path=str(_upload_dir(request) / upload), mapping=mapping, workers=1,
                       header_row=header_row)
    await repository.set_list_job(services.pool, list_id=created.id, job_id=job.id)
    return RedirectResponse(f"/campaigns/{campaign_id}?done=import_started&job={job.id}#lists", status_code=303)


@router.get("/campaigns/{campaign_id}/lists/{list_id}/rejects.csv")
async def rejects_report(request: Request, user: TeamLead, campaign_id: int, list_id: int) -> StreamingResponse:
    pool = services_of(request).pool
    try:
        call_list = await repository.get_list(pool, list_id=list_id)
    except NotFound:
        raise HTTPException(404, "there is no such list") from None
    if call_list.campaign_id != campaign_id:
        raise HTTPException(404, "there is no such list in this campaign")

    async def body():  # type: ignore[no-untyped-def]
        async with pool.acquire() as conn:
            async for piece in list_jobs.rejects_csv(conn, list_id=list_id,
                                                     reason_text=reason_renderer(user.language)):
                yield piece

    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="rejects-list{list_id}-{stamp}.csv"'})
