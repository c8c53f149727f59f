"""Compliance pages for do-not-call lists: check a number, add or remove it with a reason, the audit
trail, importing a registry file as a background job with a progress bar, and each list's page: its
entries and its registry file paged (the registry through a memory map, so a page of 10**8 numbers
reads a few kilobytes), a search by number in any format, and a CSV export written through
``dialer.safe_export``.

Every change goes through ``dnc.repository`` (which audits it and tells the engines' checkers).
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from admin_ui.app import render
from admin_ui.auth import Compliance, CurrentUser, services_of
from admin_ui.i18n import translator
from dialer import jobs
from dialer.safe_export import CSV_MEDIA_TYPE, csv_writer
from dnc import imports, registry_files, repository
from dnc.errors import DncError, UnknownList
from dnc.lists import ListKind
from dnc.lookup import check_number
from dnc.numbers import normalise

router = APIRouter()
DEFAULT_LIST = "internal"
NOTICES = ("dnc_added", "dnc_removed", "dnc_not_on_list")
MAX_UPLOAD_BYTES = 4 * 1024**3  # a national registry of 10**8 numbers is a 1.3 GB text file
PAGE = 100
EXPORT_HEADER = ["number", "added_by", "added_at", "reason", "expires_at"]


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
                raise DncError("the file is larger than 4 GB")
            out.write(chunk)


@router.get("/dnc/lists/{name}", response_class=HTMLResponse)
async def list_page(request: Request, user: Compliance, name: str, q: str = "", region: str = "",
                    start: str = "", before: str = "", at: int = 0) -> HTMLResponse:
    """One list: its entries from ``start`` (or just ``before``), its registry from position ``at``; a
    number searched (``q``, any format) opens both pages where that number is or would be."""
    t = translator(user.language)
    services = services_of(request)
    problem, found, e164 = "", None, None
    if q.strip():
        try:
            e164 = normalise(q, default_region=region.strip().upper() or None)
        except DncError as exc:
            problem = str(exc)
    async with services.pool.acquire() as conn:
        try:
            lst = await repository.get_list(conn, name=name)
        except UnknownList as exc:
            return render(request, "dnc_list.html", user, status_code=404, problem=str(exc), lst=None)
        files = [f for f in await repository.current_registry_files(conn) if f.list_id == lst.id]
        summary = next((x for x in await repository.list_summaries(conn) if x.list.id == lst.id), None)
        if before and not e164:  # the page just before ``before``; the next one starts there
            entries = await repository.entries_page(conn, list_id=lst.id, list_name=lst.name, before=before,
                                                    limit=PAGE)
            next_start: str | None = before
            first = len(entries) < PAGE
        else:
            got = await repository.entries_page(conn, list_id=lst.id, list_name=lst.name, limit=PAGE + 1,
                                                start=e164 or start or None)
            entries, next_start = got[:PAGE], got[PAGE].number if len(got) > PAGE else None
            first = not (e164 or start)
    file = files[0] if files else None
    registry = None
    if file is not None:
        key = int(e164[1:]) if e164 else None
        registry = await asyncio.to_thread(registry_files.registry_page, file.path, start=at, limit=PAGE, key=key)
    if e164:
        on_rows = bool(entries) and entries[0].number == e164
        in_file = registry is not None and bool(registry.keys) and registry.keys[0] == int(e164[1:])
        found = t("dnc_found_here", number=e164) if on_rows or in_file else t("dnc_not_here", number=e164)
    return render(request, "dnc_list.html", user, status_code=400 if problem else 200, problem=problem, lst=lst,
                  q=q, region=region, found=found, searched=e164, entries=entries, summary=summary,
                  next_start=next_start, prev_before=entries[0].number if entries and not first else None,
                  file=file, registry=registry, page=PAGE)


@router.get("/dnc/lists/{name}/export.csv")
async def export_list(request: Request, user: Compliance, name: str) -> Response:
    """Every entry of the list, then every number of its registry file, as CSV (formula-like cells
    quoted; a UTF-8 byte-order mark so spreadsheets read Vietnamese reasons right)."""
    services = services_of(request)
    async with services.pool.acquire() as conn:
        try:
            lst = await repository.get_list(conn, name=name)
        except UnknownList as exc:
            return Response(str(exc), status_code=404, media_type="text/plain; charset=utf-8")
        files = [f for f in await repository.current_registry_files(conn) if f.list_id == lst.id]

    async def body() -> AsyncIterator[str]:
        out = io.StringIO()
        writer = csv_writer(out)
        out.write("\ufeff")
        writer.writerow(EXPORT_HEADER)
        async with services.pool.acquire() as conn, conn.transaction():
            async for e in repository.iter_entries(conn, list_id=lst.id, list_name=lst.name):
                writer.writerow([e.number, e.added_by, e.added_at.isoformat(), e.reason,
                                 e.expires_at.isoformat() if e.expires_at else ""])
                if out.tell() > 1 << 16:
                    yield _drain(out)
        yield _drain(out)
        for f in files:
            meta = [f.imported_by, f.imported_at.isoformat(), "registry file", ""]
            for chunk in registry_files.iter_key_chunks(f.path):
                yield await asyncio.to_thread(_registry_rows, chunk.tolist(), meta)

    filename = re.sub(r"[^A-Za-z0-9._-]", "_", lst.name) or "list"
    return StreamingResponse(body(), media_type=CSV_MEDIA_TYPE, headers={
        "content-disposition": f'attachment; filename="dnc-{filename}.csv"'})


def _drain(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def _registry_rows(keys: list[int], meta: list[str]) -> str:
    out = io.StringIO()
    csv_writer(out).writerows([f"+{k}", *meta] for k in keys)
    return out.getvalue()
