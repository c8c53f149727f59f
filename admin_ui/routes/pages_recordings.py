"""Call recordings (issue 18): search, play with seeking, download, the retention report, and the recording
setting of the campaign and queue forms.

Who: team leads, managers, admins and compliance officers any recording; an agent only the recordings of their
own calls (another agent's answers 403 and is not audited); other roles are refused. Every play (the audio's
first request: no ``Range`` or a range from byte 0; seeking asks later ranges of the same play) and every
download is written to ``recording_access``.

The audio endpoint honours HTTP ranges (RFC 9110): ``Accept-Ranges: bytes``; ``bytes=a-b``, ``bytes=a-`` and
``bytes=-n`` answer 206 with ``Content-Range``; a range outside the file (or malformed) answers 416 with
``Content-Range: bytes */SIZE``. Files are read under ``DIALER_RECORDINGS_DIR`` (``dialer.recordings_desk``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import asyncpg
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from admin_ui.app import render
from admin_ui.auth import AdminUser, CurrentUser, SignedIn, services_of
from admin_ui.i18n import translator
from admin_ui.site_scope import site_context
from campaigns import queue_repository
from campaigns import repository as campaigns_repo
from campaigns.errors import CampaignError
from dialer import recordings_store as store
from dialer import users
from dialer.recordings import (
    RangeNotSatisfiable,
    RecordingPolicy,
    RecordingPolicyError,
    byte_range,
    clock_text,
    pause_spans,
)
from dialer.recordings_desk import file_facts, recordings_folder
from dialer.users import Role

router = APIRouter()
CHUNK = 64 * 1024
POLICY_FIELDS = ("record_mode", "record_share", "recording_retention_days")


# --- who may see what ---------------------------------------------------------------------------------
def _sees_all(user: CurrentUser) -> bool:
    return user.has_role(Role.TEAM_LEAD, Role.COMPLIANCE)


def _allowed(user: CurrentUser) -> None:
    if not (_sees_all(user) or user.role is Role.AGENT):
        raise HTTPException(403, "recordings are for team leads, compliance officers, admins and agents (their own)")


async def _recording(request: Request, user: CurrentUser, recording_id: int) -> dict[str, Any]:
    _allowed(user)
    found = await store.get(services_of(request).pool, recording_id)
    if found is None:
        raise HTTPException(404, "no such recording")
    if not _sees_all(user) and found["agent_id"] != user.id:
        raise HTTPException(403, "an agent may play only the recordings of their own calls")
    if user.site_scope is not None and found["site_id"] not in (None, user.site_scope):
        raise HTTPException(404, "no such recording")       # another site's, as its campaigns and queues
    return found


def _path(request: Request, recording: Mapping[str, Any]) -> Path:
    folder = recordings_folder(services_of(request).settings).resolve()
    path = (folder / str(recording["file_path"])).resolve()
    if folder not in path.parents or not path.is_file():
        raise HTTPException(404, "the recording's file is not reachable from this server (see DIALER_RECORDINGS_DIR)")
    return path


# --- the search page -----------------------------------------------------------------------------------
def _int(text: str | None, what: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise HTTPException(400, f"{what}: {text!r} is not a number") from None


def _float(text: str | None, what: str) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise HTTPException(400, f"{what}: {text!r} is not a number") from None


def _day(text: str | None, what: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{what}: {text!r} is not a date (YYYY-MM-DD)") from None


def _search_of(user: CurrentUser, params: Mapping[str, str],
               site: int | None = None) -> tuple[store.Search, dict[str, str]]:
    day_from, day_to = _day(params.get("from"), "from"), _day(params.get("to"), "to")
    search = store.Search(
        number=(params.get("number") or "").strip(),
        agent_id=_int(params.get("agent"), "agent") if _sees_all(user) else None,
        campaign_id=_int(params.get("campaign"), "campaign"), queue_id=_int(params.get("queue"), "queue"),
        disposition=(params.get("disposition") or "").strip(),
        date_from=datetime.combine(day_from, time(), UTC) if day_from else None,
        date_to=datetime.combine(day_to + timedelta(days=1), time(), UTC) if day_to else None,
        min_duration_s=_float(params.get("min_s"), "min_s"), max_duration_s=_float(params.get("max_s"), "max_s"),
        only_agent_id=None if _sees_all(user) else user.id, site_id=site)
    shown = {k: (params.get(k) or "").strip() for k in ("number", "agent", "campaign", "queue", "disposition", "from",
                                                           "to", "min_s", "max_s")}
    return search, shown


@router.get("/recordings", response_class=HTMLResponse)
async def recordings_page(request: Request, user: SignedIn, site: int | None = None) -> HTMLResponse:
    _allowed(user)
    pool = services_of(request).pool
    shown_site, site_ctx = await site_context(request, user, site)     # a team lead: their own site only
    search, shown = _search_of(user, request.query_params, shown_site if _sees_all(user) else None)
    searched = any(shown.values())
    rows = await store.search(pool, search)
    for row in rows:
        row["gaps"] = [(clock_text(a), clock_text(b)) for a, b in pause_spans(row["pauses"], row["duration_s"])]
        row["length"] = clock_text(row["duration_s"])
    agents = [u for u in await users.list_users(pool) if u.role is Role.AGENT] if _sees_all(user) else []
    return render(request, "recordings.html", user, rows=rows, f=shown, searched=searched, sees_all=_sees_all(user),
                  agents=agents, campaigns=await campaigns_repo.list_campaigns(pool),
                  queues=await queue_repository.list_queues(pool), query=urlencode(shown),
                  site_keep=shown, **site_ctx)


# --- play and download -----------------------------------------------------------------------------------
def _chunks(path: Path, first: int, last: int) -> Iterator[bytes]:
    with path.open("rb") as f:
        f.seek(first)
        left = last - first + 1
        while left > 0:
            data = f.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data


async def _note_size(pool: asyncpg.Pool, recording: Mapping[str, Any], path: Path) -> None:
    """A row the engine could not measure (the file was not reachable from it) gets its size and length here."""
    if recording["size_bytes"] is None:
        size, seconds = file_facts(path)
        if size is not None:
            await store.set_size(pool, int(recording["id"]), size, seconds)


@router.get("/recordings/{recording_id}/audio")
async def recording_audio(request: Request, user: SignedIn, recording_id: int) -> Response:
    recording = await _recording(request, user, recording_id)
    path = _path(request, recording)
    size = path.stat().st_size
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-store"}
    try:
        wanted = byte_range(request.headers.get("range"), size)
    except RangeNotSatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    pool = services_of(request).pool
    await _note_size(pool, recording, path)
    if wanted is None or wanted[0] == 0:          # a play starts here; seeking asks later ranges of the same play
        await store.audit(pool, recording=recording, user_id=user.id, username=user.username, action="play")
    if wanted is None:
        return StreamingResponse(_chunks(path, 0, size - 1), media_type="audio/wav",
                                 headers={**headers, "Content-Length": str(size)})
    first, last = wanted
    return StreamingResponse(_chunks(path, first, last), status_code=206, media_type="audio/wav",
                             headers={**headers, "Content-Length": str(last - first + 1),
                                      "Content-Range": f"bytes {first}-{last}/{size}"})


@router.get("/recordings/{recording_id}/download")
async def recording_download(request: Request, user: SignedIn, recording_id: int) -> Response:
    recording = await _recording(request, user, recording_id)
    path = _path(request, recording)
    size = path.stat().st_size
    pool = services_of(request).pool
    await _note_size(pool, recording, path)
    await store.audit(pool, recording=recording, user_id=user.id, username=user.username, action="download")
    name = f"call-{recording['call_record_id']}-{recording['phone_e164'].lstrip('+')}.wav"
    return StreamingResponse(_chunks(path, 0, size - 1), media_type="audio/wav", headers={
        "Content-Length": str(size), "Cache-Control": "private, no-store",
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"})


# --- the retention report and the audit -------------------------------------------------------------------
@router.get("/recordings/retention", response_class=HTMLResponse)
async def retention_page(request: Request, user: SignedIn, saved: int = 0, problem: str = "",
                         status_code: int = 200) -> HTMLResponse:
    if not _sees_all(user):
        raise HTTPException(403, "the retention report is for team leads, compliance officers and admins")
    services = services_of(request)
    global_policy = await store.policy_of(services.pool, "global", 0)
    return render(request, "recordings_retention.html", user, status_code=status_code,
                  rows=await store.deletions(services.pool),
                  global_days=(global_policy.retention_days if global_policy else None)
                  or services.settings.recording_retention_days,
                  own_days=global_policy.retention_days if global_policy else None,
                  setting_days=services.settings.recording_retention_days,
                  may_set=user.role is Role.ADMIN, saved=bool(saved), problem=problem)


@router.post("/recordings/retention/global")
async def save_global_retention(request: Request, user: AdminUser) -> Response:
    """The global retention (the ``recording_policies`` row ``global``): empty falls back to the setting."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        policy = RecordingPolicy.from_form({"record_mode": "none",
                                            "recording_retention_days": form.get("recording_retention_days")})
    except RecordingPolicyError as exc:
        t = translator(user.language)
        return await retention_page(request, user, problem=f"{t(exc.field)}: {t('err_' + exc.field)}",
                                    status_code=400)
    await store.save_policy(services_of(request).pool, "global", 0, policy)
    return RedirectResponse("/recordings/retention?saved=1", status_code=303)


@router.get("/recordings/{recording_id}/access", response_class=HTMLResponse)
async def access_page(request: Request, user: SignedIn, recording_id: int) -> HTMLResponse:
    if not _sees_all(user):
        raise HTTPException(403, "the access log is for team leads, compliance officers and admins")
    recording = await _recording(request, user, recording_id)
    return render(request, "recordings_access.html", user, r=recording,
                  rows=await store.access_log(services_of(request).pool, recording_id))


# --- the campaign and queue forms' recording setting -------------------------------------------------------
async def policy_values(pool: asyncpg.Pool, target: str, target_id: int | None,
                        *, legacy_all: bool = False) -> dict[str, Any]:
    """The form values of a campaign's or queue's recording setting (``legacy_all``: record_calls set, no row)."""
    policy = await current_policy(pool, target, target_id, legacy_all=legacy_all)
    return {"record_mode": policy.mode, "record_share": policy.share_percent or "",
            "recording_retention_days": policy.retention_days or ""}


def policy_from_form(form: Mapping[str, Any], language: str) -> RecordingPolicy:
    """The form's recording setting; ``CampaignError`` naming the field in the reader's language."""
    try:
        return RecordingPolicy.from_form(form)
    except RecordingPolicyError as exc:
        t = translator(language)
        raise CampaignError(f"{t(exc.field)}: {t('err_' + exc.field)}") from None


async def save_policy(pool: asyncpg.Pool, target: str, target_id: int, policy: RecordingPolicy) -> None:
    await store.save_policy(pool, target, target_id, policy)


# --- the JSON API's recording setting (api_campaigns, api_queues) ------------------------------------------
async def current_policy(pool: asyncpg.Pool, target: str, target_id: int | None,
                         *, legacy_all: bool = False) -> RecordingPolicy:
    """A campaign's or queue's recording setting as the engine applies it (``legacy_all``: record_calls set and no
    setting saved: all calls); none saved yet (or no ``target_id``): none."""
    policy = await store.policy_of(pool, target, target_id) if target_id else None
    return policy or RecordingPolicy("all" if legacy_all else "none")


def policy_json(policy: RecordingPolicy) -> dict[str, Any]:
    """The setting under the form's names: ``record_mode`` (all, share, none), ``record_share`` (a percent, share
    only) and ``recording_retention_days`` (null: the global setting)."""
    return {"record_mode": policy.mode, "record_share": policy.share_percent if policy.mode == "share" else None,
            "recording_retention_days": policy.retention_days}


def policy_from_body(body: Mapping[str, Any], current: RecordingPolicy) -> RecordingPolicy | None:
    """The setting an API body asks for: the fields it sends change ``current`` (null: empty), the others keep
    their value; None when it sends none. ``RecordingPolicyError`` names the field."""
    sent = {k: body[k] for k in POLICY_FIELDS if k in body}
    if not sent:
        return None
    values: dict[str, Any] = {"record_mode": current.mode, "record_share": current.share_percent or None,
                              "recording_retention_days": current.retention_days}
    values.update(sent)
    return RecordingPolicy.from_form(values)


def policy_refusal(exc: RecordingPolicyError, language: str) -> JSONResponse:
    """422 naming the field: ``detail`` (English, as the API's other refusals), ``field``, and ``message`` in the
    reader's language."""
    t = translator(language)
    return JSONResponse({"detail": str(exc), "field": exc.field, "message": f"{t(exc.field)}: {t('err_' + exc.field)}"},
                        status_code=422)
