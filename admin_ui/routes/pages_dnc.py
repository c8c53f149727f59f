"""Compliance pages for do-not-call lists: check a number, add or remove it with a reason, the audit
trail, and importing a registry file as a background job with a progress bar.

Every change goes through ``dnc.repository`` (which audits it and tells the engines' checkers).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin_ui.app import render
from admin_ui.auth import Compliance, CurrentUser, services_of
from admin_ui.i18n import translator
from dialer import jobs
from dnc import imports, repository
from dnc.errors import DncError
from dnc.lists import ListKind
from dnc.lookup import check_number
from dnc.numbers import normalise

router = APIRouter()
DEFAULT_LIST = "internal"
NOTICES = ("dnc_added", "dnc_removed", "dnc_not_on_list")
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


async def _dnc_page(request: Request, user: CurrentUser, *, number: str = "", region: str = "",
                    problem: str = "", notice: str = "", status_code: int = 200) -> HTMLResponse:
    services = services_of(request)
    now = services.clock.now()
    check = None
    async with services.pool.acquire() as conn:
        if number and not problem:
            try:
                check = await check_number(conn, number=normalise(number, default_region=region or None),
                                           campaign_id=None, now=now)
            except DncError as exc:
                problem, status_code = str(exc), 400
        summaries = await repository.list_summaries(conn)
    return render(request, "dnc.html", user, status_code=status_code, number=number, region=region, check=check,
                  summaries=summaries, problem=problem, notice=notice, now=now)


@router.get("/dnc", response_class=HTMLResponse)
async def dnc_page(request: Request, user: Compliance, number: str = "", region: str = "",
                   done: str = "") -> HTMLResponse:
    t = translator(user.language)
    return await _dnc_page(request, user, number=number, region=region,
                           notice=t(done) if done in NOTICES else "")


def _expiry(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        day = datetime.fromisoformat(value.strip())
    except ValueError:
        raise DncError(f"{value!r} is not a date (use YYYY-MM-DD)") from None
    if day.tzinfo is None:
        day = datetime.combine(day.date(), time(23, 59, 59), tzinfo=UTC) if len(value.strip()) == 10 \
            else day.replace(tzinfo=UTC)
    return day


@router.post("/dnc/add")
async def add_number(request: Request, user: Compliance, number: Annotated[str, Form()] = "",
                     list_name: Annotated[str, Form()] = DEFAULT_LIST, reason: Annotated[str, Form()] = "",
                     expires: Annotated[str, Form()] = "", region: Annotated[str, Form()] = "") -> Response:
    t = translator(user.language)
    services = services_of(request)
    now = services.clock.now()
    try:
        if not reason.strip():
            raise DncError(t("reason_required"))
        e164 = normalise(number, default_region=region or None)
        async with services.pool.acquire() as conn:
            if list_name == DEFAULT_LIST:
                await repository.ensure_list(conn, name=DEFAULT_LIST, kind=ListKind.INTERNAL, actor=user.username,
                                             now=now)
            await repository.add_entry(conn, list_name=list_name, number=e164, actor=user.username,
                                       reason=reason.strip(), now=now, expires_at=_expiry(expires))
    except DncError as exc:
        return await _dnc_page(request, user, number=number, region=region, status_code=400,
                               problem=f"{t('not_saved')} {exc}")
    return RedirectResponse(f"/dnc?number={e164.replace('+', '%2B')}&done=dnc_added", status_code=303)


@router.post("/dnc/remove")
async def remove_number(request: Request, user: Compliance, number: Annotated[str, Form()] = "",
                        list_name: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> Response:
    t = translator(user.language)
    services = services_of(request)
    try:
        if not reason.strip():
            raise DncError(t("reason_required"))
        e164 = normalise(number)
        async with services.pool.acquire() as conn:
            removed = await repository.remove_entry(conn, list_name=list_name, number=e164, actor=user.username,
                                                    reason=reason.strip(), now=services.clock.now())
    except DncError as exc:
        return await _dnc_page(request, user, number=number, status_code=400, problem=f"{t('not_saved')} {exc}")
    done = "dnc_removed" if removed else "dnc_not_on_list"
    return RedirectResponse(f"/dnc?number={e164.replace('+', '%2B')}&done={done}", status_code=303)


@router.get("/dnc/audit", response_class=HTMLResponse)
async def audit_page(request: Request, user: Compliance, number: str = "", before: int | None = None) -> HTMLResponse:
    services = services_of(request)
    problem, e164 = "", None
    if number.strip():
        try:
            e164 = normalise(number)
        except DncError as exc:
            problem = str(exc)
    async with services.pool.acquire() as conn:
        rows = [] if problem else await repository.audit_page(conn, number=e164, before_id=before, limit=50)
    return render(request, "dnc_audit.html", user, status_code=400 if problem else 200, rows=rows, number=number,
                  problem=problem, older=rows[-1].id if len(rows) == 50 else None)


@router.get("/dnc/import", response_class=HTMLResponse)
async def import_page(request: Request, user: Compliance, job: str = "") -> HTMLResponse:
    async with services_of(request).pool.acquire() as conn:
        lists = await repository.all_lists(conn)
    return render(request, "dnc_import.html", user, job_id=job, lists=lists, kinds=list(ListKind))


@router.post("/dnc/import")
async def start_import(request: Request, user: Compliance, file: Annotated[UploadFile | None, File()] = None,
                       list_name: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "national",
                       column: Annotated[str, Form()] = "", region: Annotated[str, Form()] = "") -> Response:
    t = translator(user.language)
    services = services_of(request)
    problem = ""
    database_url = services.extras.get("database_url")
    if file is None or not file.filename:
        problem = t("choose_file")
    elif not list_name.strip():
        problem = t("list_name_required")
    elif kind not in {k.value for k in ListKind} or kind == ListKind.CAMPAIGN.value:
        problem = t("bad_list_kind")
    elif not database_url:
        problem = t("unavailable")
    if problem:
        async with services.pool.acquire() as conn:
            lists = await repository.all_lists(conn)
        return render(request, "dnc_import.html", user, status_code=400, problem=problem, lists=lists,
                      kinds=list(ListKind), job_id="")
    assert file is not None
    upload_dir = services.settings.data_dir / "uploads"
    upload_dir.mkdir(parents=True, exist_ok=True)
    target = upload_dir / f"dnc-{secrets.token_hex(8)}{Path(file.filename or '').suffix[:8]}"
    try:
        await _save_upload(file, target)
    except DncError as exc:
        async with services.pool.acquire() as conn:
            lists = await repository.all_lists(conn)
        return render(request, "dnc_import.html", user, status_code=400, problem=str(exc), lists=lists,
                      kinds=list(ListKind), job_id="")
    job = jobs.enqueue(services.redis, imports.import_job, description=f"DNC import into {list_name}",
                       database_url=database_url, source=str(target), list_name=list_name.strip(), kind=kind,
                       actor=user.username, data_dir=str(services.settings.data_dir),
                       default_region=region.strip().upper() or None, column=column.strip() or None,
                       remove_source=True, source_name=Path(file.filename or "").name or None)
    return RedirectResponse(f"/dnc/import?job={job.id}", status_code=303)


async def _save_upload(file: UploadFile, target: Path) -> None:
    size = 0
    with target.open("wb") as out:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                target.unlink(missing_ok=True)
                raise DncError("the file is larger than 512 MB")
            out.write(chunk)
