"""JSON API for do-not-call lists under ``/api/dnc``: lists, checks, entries, audit, imports and scrubs.

Roles: compliance officers (and admins) manage everything; team leads may read the lists, check a
number and scrub their campaign (which only ever stops calls); agents get 403. An invalid number is a
422 whose ``detail`` says why (``'12' is not a valid phone number: too short``).
"""

from __future__ import annotations

import io
import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from admin_ui.auth import Compliance, CurrentUser, require_roles, services_of
from dialer import jobs
from dialer.safe_export import csv_writer
from dialer.users import Role
from dnc import imports, repository
from dnc.errors import DncError, InvalidNumber, UnknownList
from dnc.lists import AuditRecord, DncEntry, ListKind
from dnc.lookup import check_number
from dnc.numbers import normalise
from dnc.scrub import scrub_campaign

router = APIRouter(prefix="/api/dnc", tags=["dnc"])
Reader = Annotated[CurrentUser, Depends(require_roles(Role.COMPLIANCE, Role.TEAM_LEAD))]
MAX_UPLOAD_BYTES = 4 * 1024**3  # a national registry of 10**8 numbers is a 1.3 GB text file


class ListIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    kind: ListKind
    campaign_id: int | None = None


class EntryIn(BaseModel):
    number: str = Field(min_length=1, max_length=40)
    list: str = "internal"
    reason: str = Field(min_length=1, max_length=500)
    expires_at: datetime | None = None
    region: str | None = Field(None, min_length=2, max_length=2, description="default region, e.g. FR")


def _e164(number: str, region: str | None) -> str:
    try:
        return normalise(number, default_region=region.upper() if region else None)
    except InvalidNumber as exc:
        raise HTTPException(422, str(exc)) from None


def _problem(exc: DncError) -> HTTPException:
    return HTTPException(404 if isinstance(exc, UnknownList) else 400, str(exc))


def _entry(e: DncEntry) -> dict[str, Any]:
    return {
        "list": e.list_name,
        "number": e.number,
        "added_by": e.added_by,
        "reason": e.reason,
        "added_at": e.added_at.isoformat(),
        "expires_at": e.expires_at.isoformat() if e.expires_at else None,
    }


def _audit(a: AuditRecord) -> dict[str, Any]:
    return {
        "id": a.id,
        "at": a.at.isoformat(),
        "actor": a.actor,
        "action": a.action,
        "list": a.list_name,
        "number": a.number,
        "reason": a.reason,
        "details": a.details,
    }


@router.get("/lists")
async def get_lists(request: Request, user: Reader) -> list[dict[str, Any]]:
    async with services_of(request).pool.acquire() as conn:
        summaries = await repository.list_summaries(conn)
    return [
        {
            "id": s.list.id,
            "name": s.list.name,
            "kind": s.list.kind.value,
            "campaign_id": s.list.campaign_id,
            "entries": s.entries,
            "registry_count": s.registry_count,
        }
        for s in summaries
    ]


@router.post("/lists", status_code=201)
async def create_list(request: Request, user: Compliance, body: ListIn) -> dict[str, Any]:
    services = services_of(request)
    try:
        async with services.pool.acquire() as conn:
            lst = await repository.create_list(
                conn,
                name=body.name,
                kind=body.kind,
                campaign_id=body.campaign_id,
                actor=user.username,
                now=services.clock.now(),
            )
    except DncError as exc:
        raise HTTPException(409 if "already exists" in str(exc) else 400, str(exc)) from None
    return {"id": lst.id, "name": lst.name, "kind": lst.kind.value, "campaign_id": lst.campaign_id}


@router.get("/check")
async def check(
    request: Request, user: Reader, number: str, region: str | None = None, campaign_id: int | None = None
) -> dict[str, Any]:
    e164 = _e164(number, region)
    services = services_of(request)
    async with services.pool.acquire() as conn:
        result = await check_number(conn, number=e164, campaign_id=campaign_id, now=services.clock.now())
    return {
        "number": e164,
        "campaign_id": campaign_id,
        "blocked": result.blocked_by is not None,
        "blocked_by": result.blocked_by,
        "entries": [_entry(e) for e in result.entries],
        "registries": list(result.registries),
    }


@router.post("/entries", status_code=201)
async def add_entry(request: Request, user: Compliance, body: EntryIn) -> dict[str, Any]:
    e164 = _e164(body.number, body.region)
    if body.expires_at is not None and body.expires_at.tzinfo is None:
        raise HTTPException(422, "expires_at needs a time zone (e.g. 2027-01-01T00:00:00Z)")
    services = services_of(request)
    try:
        async with services.pool.acquire() as conn:
            entry = await repository.add_entry(
                conn,
                list_name=body.list,
                number=e164,
                actor=user.username,
                reason=body.reason.strip(),
                now=services.clock.now(),
                expires_at=body.expires_at,
            )
    except DncError as exc:
        raise _problem(exc) from None
    return _entry(entry)


@router.delete("/entries")
async def remove_entry(
    request: Request,
    user: Compliance,
    number: str,
    reason: Annotated[str, Query(min_length=1)],
    list: str = "internal",
    region: str | None = None,
) -> dict[str, Any]:
    e164 = _e164(number, region)
    services = services_of(request)
    try:
        async with services.pool.acquire() as conn:
            removed = await repository.remove_entry(
                conn,
                list_name=list,
                number=e164,
                actor=user.username,
                reason=reason.strip(),
                now=services.clock.now(),
            )
    except DncError as exc:
        raise _problem(exc) from None
    if not removed:
        raise HTTPException(404, f"{e164} is not on {list}")
    return {"removed": True, "number": e164, "list": list}


@router.get("/audit")
async def audit(
    request: Request,
    user: Compliance,
    number: str | None = None,
    region: str | None = None,
    before_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    e164 = _e164(number, region) if number else None
    async with services_of(request).pool.acquire() as conn:
        rows = await repository.audit_page(conn, number=e164, before_id=before_id, limit=limit)
    return {"items": [_audit(a) for a in rows], "next_before_id": rows[-1].id if len(rows) == limit else None}


@router.get("/export")
async def export(request: Request, user: Compliance, list: str) -> Response:
    try:
        async with services_of(request).pool.acquire() as conn:
            entries = await repository.export_entries(conn, list_name=list)
    except DncError as exc:
        raise _problem(exc) from None
    buf = io.StringIO()
    writer = csv_writer(buf)  # cells a spreadsheet would run as formulas are quoted
    writer.writerow(["number", "added_by", "added_at", "reason", "expires_at"])
    writer.writerows(
        [
            e.number,
            e.added_by,
            e.added_at.isoformat(),
            e.reason,
            e.expires_at.isoformat() if e.expires_at else "",
        ]
        for e in entries
    )
    return Response(
        buf.getvalue(),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="dnc-{list}.csv"'},
    )


@router.post("/import", status_code=202)
async def start_import(
    request: Request,
    user: Compliance,
    file: Annotated[UploadFile, File()],
    list: Annotated[str, Form(min_length=1)],
    kind: Annotated[ListKind, Form()] = ListKind.NATIONAL,
    column: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    campaign_id: Annotated[int | None, Form()] = None,
) -> dict[str, Any]:
    if (kind is ListKind.CAMPAIGN) != (campaign_id is not None):
        raise HTTPException(422, "campaign_id is needed for a campaign list, and only for one")
    services = services_of(request)
    upload_dir = services.settings.data_dir / "uploads"
    upload_dir.mkdir(parents=True, exist_ok=True)
    target = upload_dir / f"dnc-{secrets.token_hex(8)}{Path(file.filename or '').suffix[:8]}"
    size = 0
    with target.open("wb") as out:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                target.unlink(missing_ok=True)
                raise HTTPException(413, "the file is larger than 4 GB")
            out.write(chunk)
    job = jobs.enqueue(
        services.redis,
        imports.import_job,
        description=f"DNC import into {list}",
        database_url=services.settings.database_url or services.extras.get("database_url"),
        source=str(target),
        list_name=list.strip(),
        kind=kind.value,
        actor=user.username,
        data_dir=str(services.settings.data_dir),
        default_region=region.strip().upper() or None,
        column=column.strip() or None,
        campaign_id=campaign_id,
        remove_source=True,
        source_name=Path(file.filename or "").name or None,
    )
    return {"job_id": job.id, "status_url": f"/api/jobs/{job.id}"}


@router.post("/scrub/{campaign_id}")
async def scrub(request: Request, user: Reader, campaign_id: int) -> dict[str, Any]:
    services = services_of(request)
    async with services.pool.acquire() as conn:
        report = await scrub_campaign(
            conn, campaign_id=campaign_id, actor=user.username, now=services.clock.now()
        )
    return {
        "campaign_id": report.campaign_id,
        "checked": report.checked,
        "removed": report.removed,
        "removed_numbers": list(report.removed_numbers),
        "by_list": dict(report.by_list),
        "summary": report.summary(),
    }
