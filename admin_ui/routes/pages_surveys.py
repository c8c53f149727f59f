"""Survey pages for team leads and admins: the list, the builder (questions of every kind, branching, the
no-input and invalid-input rules, a prompt per question uploaded or chosen among Asterisk's sounds), the
versions, the statistics with charts and date filters, and CSV / XLSX exports.

* ``POST /api/surveys`` and ``POST /api/surveys/{id}`` ``{"definition": {...}}`` save a definition checked
  by ``surveys.model.SurveyDefinition.from_dict``; a refusal answers 400 ``{ok: false, field, problem}`` in
  the reader's language (``admin_ui.survey_text``). An edit of a version that has answers makes a new one.
* ``POST /api/surveys/prompts`` (multipart ``file``) converts an upload (``surveys.prompts``) into the
  sounds folder and answers ``{ok, id, seconds}``; ``GET /surveys/prompts/{id}.wav`` plays it back.
* ``POST /api/surveys/scripted`` ``{"campaign_id", "survey_id"}`` names the survey a campaign's agents ask.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
from fastapi import APIRouter, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from admin_ui.app import render
from admin_ui.auth import TeamLead, services_of
from admin_ui.i18n import translator
from admin_ui.survey_text import offer_problem, prompt_problem, survey_problem
from campaigns import queue_repository
from campaigns import repository as campaign_repository
from dialer.safe_export import csv_text, xlsx_bytes
from dialer.sound_check import check_sound
from surveys import prompts, stats
from surveys import repository as repo
from surveys.model import Kind, SurveyDefinition, SurveyError
from surveys.offers import OfferError, check_offer

router = APIRouter()
_PROMPT_ID = re.compile(r"[0-9a-f]{32}")
EXPORT_HEADER = ("response", "offered_at", "mode", "version", "campaign_id", "queue_id", "agent_id", "agent",
                 "lead_id", "call_record_id", "phone", "disposition", "call_recording", "completed", "ended_reason",
                 "question", "value", "skipped", "digits", "answer_recording", "answered_at")

NEW_SURVEY: dict[str, Any] = {
    "name": "", "intro": [{"kind": "sound", "value": "hello"}],
    "outro": [{"kind": "sound", "value": "auth-thankyou"}, {"kind": "sound", "value": "vm-goodbye"}],
    "questions": [{"id": "q1", "kind": "rating", "text": "", "prompt": [{"kind": "sound", "value": "vm-press"}]}],
}


class SaveIn(BaseModel):
    definition: dict[str, Any]


class ScriptedIn(BaseModel):
    campaign_id: int
    survey_id: int | None = None


async def _survey_versions(request: Request, survey_id: int) -> list[repo.Version]:
    versions = await repo.list_versions(services_of(request).pool, survey_id)
    if not versions:
        raise HTTPException(404, "there is no such survey")
    return versions


@router.get("/surveys", response_class=HTMLResponse)
async def surveys_page(request: Request, user: TeamLead) -> HTMLResponse:
    pool = services_of(request).pool
    return render(request, "surveys.html", user, surveys=await repo.list_surveys(pool))


async def _builder(request: Request, user: TeamLead, *, survey_id: int | None, definition: dict[str, Any],
                   versions: list[repo.Version], notice: str = "", offer_form: dict[str, str] | None = None,
                   offer_error: str = "", offer_field: str = "", status_code: int = 200) -> HTMLResponse:
    pool = services_of(request).pool
    t = translator(user.language)
    keys = [k for k in ("question_id", "question_text", "kind", "prompt", "prompt_sound", "prompt_upload",
                        "prompt_number", "upload", "uploading", "choices", "min_digits", "max_digits",
                        "max_record_s", "timeout_s", "branches", "next", "on_no_input", "on_invalid", "then_skip",
                        "then_end", "remove", "up", "add", "saved", "not_saved")]
    js_texts = {k: t(f"sv_{k}") for k in keys} | {f"kind_{k.value}": t(f"sv_kind_{k.value}") for k in Kind}
    js_texts["saved"] = t("sv_saved", version="{version}")
    return render(request, "survey_builder.html", user, survey_id=survey_id, definition=definition,
                  versions=versions, js_texts=js_texts, notice=notice, scripted=await repo.scripted_surveys(pool), kinds=[k.value for k in Kind],
                  queues=await queue_repository.list_queues(pool),
                  campaigns=await campaign_repository.list_campaigns(pool),
                  offers=await repo.offers_of(pool, survey_id) if survey_id else [], offer_form=offer_form or {},
                  offer_error=offer_error, offer_field=offer_field, status_code=status_code)


@router.get("/surveys/new", response_class=HTMLResponse)
async def new_survey_page(request: Request, user: TeamLead) -> HTMLResponse:
    return await _builder(request, user, survey_id=None, definition=NEW_SURVEY, versions=[])


@router.get("/surveys/{survey_id}", response_class=HTMLResponse)
async def survey_page(request: Request, user: TeamLead, survey_id: int, saved: int | None = None,
                      offer_saved: int | None = None) -> HTMLResponse:
    versions = await _survey_versions(request, survey_id)
    t = translator(user.language)
    notice = t("sv_saved", version=saved) if saved else t("sv_offer_saved") if offer_saved else ""
    return await _builder(request, user, survey_id=survey_id, definition=versions[0].definition.to_dict(),
                          versions=versions, notice=notice)


@router.get("/surveys/{survey_id}/versions/{number}", response_class=HTMLResponse)
async def version_page(request: Request, user: TeamLead, survey_id: int, number: int) -> HTMLResponse:
    versions = await _survey_versions(request, survey_id)
    version = next((v for v in versions if v.version == number), None)
    if version is None:
        raise HTTPException(404, "there is no such version")
    return render(request, "survey_version.html", user, survey_id=survey_id, version=version,
                  definition=version.definition)


async def _save(request: Request, user: TeamLead, survey_id: int | None, data: SaveIn) -> Response:
    t = translator(user.language)
    pool = services_of(request).pool
    try:
        definition = SurveyDefinition.from_dict(data.definition)
    except SurveyError as error:
        return JSONResponse({"ok": False, "field": error.field, "problem": survey_problem(t, error)}, 400)
    if definition.operator is not None and not await pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM inbound_queues WHERE id = $1)" if definition.operator.kind == "queue"
            else "SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = $1)", definition.operator.id):
        error = SurveyError("operator", "operator_unknown", kind=definition.operator.kind, value=definition.operator.id)
        return JSONResponse({"ok": False, "field": error.field, "problem": survey_problem(t, error)}, 400)
    pbx = getattr(services_of(request).extras.get("engine"), "pbx", None)
    for field, sound in definition.sounds().items():      # as a campaign's and a queue's sounds are checked
        check = await check_sound(pbx, sound, field=field)
        if check.missing:
            part, server = check.missing[0]
            error = SurveyError(field, "sound_missing", value=part, server=server)
            return JSONResponse({"ok": False, "field": error.field, "problem": survey_problem(t, error)}, 400)
    if await repo.name_taken(pool, definition.name, except_id=survey_id):
        return JSONResponse({"ok": False, "field": "name", "problem": f"name: {t('sv_name_taken', name=definition.name)}"},
                            400)
    try:
        if survey_id is None:
            version = await repo.create_survey(pool, definition, created_by=user.id)
        else:
            await _survey_versions(request, survey_id)
            version = await repo.save_definition(pool, survey_id, definition, created_by=user.id)
    except asyncpg.UniqueViolationError:        # the same name saved at the same moment elsewhere
        return JSONResponse({"ok": False, "field": "name", "problem": f"name: {t('sv_name_taken', name=definition.name)}"},
                            400)
    return JSONResponse({"ok": True, "id": version.survey_id, "version": version.version,
                         "message": t("sv_saved", version=version.version)})


@router.post("/api/surveys")
async def create_survey_api(request: Request, user: TeamLead, data: SaveIn) -> Response:
    return await _save(request, user, None, data)


@router.post("/api/surveys/prompts")
async def upload_prompt_api(request: Request, user: TeamLead, file: UploadFile) -> Response:
    t = translator(user.language)
    services = services_of(request)
    data = await file.read(prompts.MAX_UPLOAD_BYTES + 1)
    name = (file.filename or "upload").rsplit("/", 1)[-1][:200]
    try:
        converted = prompts.convert_prompt(data, name)
    except prompts.PromptRefused as error:
        return JSONResponse({"ok": False, "problem": prompt_problem(t, error)}, 400)
    folder, _ = prompts.sounds_folders(services.settings)
    prompt_id = prompts.store_prompt(folder, converted)
    await services.pool.execute(
        "INSERT INTO survey_prompts (id, filename, duration_s, uploaded_by) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (id) DO NOTHING", prompt_id, name, converted.duration_s, user.id)
    return JSONResponse({"ok": True, "id": prompt_id, "seconds": round(converted.duration_s, 1),
                         "message": t("sv_uploaded", seconds=converted.duration_s)})


@router.get("/surveys/prompts/{prompt_id}.wav")
async def prompt_file(request: Request, user: TeamLead, prompt_id: str) -> Response:
    if not _PROMPT_ID.fullmatch(prompt_id):
        raise HTTPException(404, "there is no such prompt")
    folder, _ = prompts.sounds_folders(services_of(request).settings)
    path = prompts.prompt_path(folder, prompt_id)
    if not path.is_file():
        raise HTTPException(404, "there is no such prompt")
    return FileResponse(path, media_type="audio/wav")


@router.post("/api/surveys/scripted")
async def scripted_api(request: Request, user: TeamLead, data: ScriptedIn) -> dict[str, Any]:
    pool = services_of(request).pool
    if data.survey_id is not None:
        await _survey_versions(request, data.survey_id)
    await repo.set_scripted_survey(pool, campaign_id=data.campaign_id, survey_id=data.survey_id)
    return {"ok": True}


@router.post("/surveys/{survey_id}/offers")
async def save_offer_form(request: Request, user: TeamLead, survey_id: int) -> Response:
    """The survey page's offer form: where this survey is offered (after a call, or a survey campaign)."""
    versions = await _survey_versions(request, survey_id)
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    try:
        offer = check_offer(form)
    except OfferError as exc:
        t = translator(user.language)
        return await _builder(request, user, survey_id=survey_id, definition=versions[0].definition.to_dict(),
                              versions=versions, offer_form=form, offer_error=offer_problem(t, exc),
                              offer_field=exc.field, status_code=400)
    await repo.save_offer(services_of(request).pool, survey_id, offer)
    return RedirectResponse(f"/surveys/{survey_id}?offer_saved=1#sv-offers", status_code=303)


@router.post("/surveys/{survey_id}/offers/{offer_id}/remove")
async def remove_offer_form(request: Request, user: TeamLead, survey_id: int, offer_id: int) -> Response:
    await _survey_versions(request, survey_id)
    await repo.remove_offer(services_of(request).pool, survey_id, offer_id)
    return RedirectResponse(f"/surveys/{survey_id}#sv-offers", status_code=303)


@router.post("/api/surveys/{survey_id}")
async def save_survey_api(request: Request, user: TeamLead, survey_id: int, data: SaveIn) -> Response:
    return await _save(request, user, survey_id, data)


# --- statistics and exports -----------------------------------------------------------------------------

def _period(date_from: str, date_to: str) -> tuple[datetime | None, datetime | None]:
    """[from 00:00, to+1 00:00) in UTC; ValueError for a date that is not YYYY-MM-DD."""
    since = datetime.combine(date.fromisoformat(date_from.strip()), time(), UTC) if date_from.strip() else None
    until = (datetime.combine(date.fromisoformat(date_to.strip()), time(), UTC) + timedelta(days=1)
             if date_to.strip() else None)
    return since, until


@router.get("/surveys/{survey_id}/stats", response_class=HTMLResponse)
async def stats_page(request: Request, user: TeamLead, survey_id: int, date_from: str = "", date_to: str = "",
                     campaign: str = "") -> HTMLResponse:
    t = translator(user.language)
    pool = services_of(request).pool
    versions = await _survey_versions(request, survey_id)
    definition = versions[0].definition
    problem = ""
    try:
        since, until = _period(date_from, date_to)
    except ValueError:
        problem, since, until = t("sv_bad_date"), None, None
    records = await repo.response_rows(pool, survey_id=survey_id, since=since, until=until)
    rows = [stats.ResponseRow.from_record(r) for r in records]
    if campaign.strip().isdigit():
        rows = [r for r in rows if r.campaign_id == int(campaign)]
    overall = stats.survey_stats(definition, rows)
    campaigns = {c.id: c.name for c in await campaign_repository.list_campaigns(pool)}
    queues = {q.id: q.name for q in await queue_repository.list_queues(pool)}
    agent_ids = sorted({r.agent_id for r in rows if r.agent_id is not None})
    agents = {r["id"]: r["display_name"] or r["username"] for r in await pool.fetch(
        "SELECT id, username, display_name FROM users WHERE id = ANY($1::bigint[])", agent_ids)}
    handled = await repo.calls_handled_by_agent(
        pool, campaign_ids=sorted({r.campaign_id for r in rows if r.campaign_id is not None}),
        queue_ids=sorted({r.queue_id for r in rows if r.queue_id is not None}), since=since,
        until=until) if agent_ids else {}
    offer = stats.offer_rates([r for r in rows if r.agent_id is not None], {a: handled.get(a, 0) for a in agent_ids})
    charts = []
    for q in overall.questions:
        if q.distribution:
            names = dict(definition.question(q.question_id).choices)     # a choice's digit shown with its label
            charts.append((q, [(f"{value} {names[value]}" if value in names else value, count)
                               for value, count in q.distribution]))
    return render(request, "survey_stats.html", user, status_code=400 if problem else 200, problem=problem,
                  survey_id=survey_id, definition=definition, overall=overall, charts=charts,
                  per_agent=stats.by(definition, rows, lambda r: r.agent_id), agents=agents, offer=offer,
                  handled=handled,
                  per_campaign=stats.by(definition, rows, lambda r: r.campaign_id), campaigns=campaigns,
                  per_queue=stats.by(definition, [r for r in rows if r.queue_id is not None], lambda r: r.queue_id),
                  queues=queues, q={"date_from": date_from, "date_to": date_to, "campaign": campaign},
                  texts={q.id: q.text for q in definition.questions})


async def _export(request: Request, survey_id: int, date_from: str, date_to: str) -> tuple[list[list[Any]], str]:
    await _survey_versions(request, survey_id)
    try:
        since, until = _period(date_from, date_to)
    except ValueError:
        raise HTTPException(400, "dates are written YYYY-MM-DD") from None
    records = await repo.export_rows(services_of(request).pool, survey_id=survey_id, since=since, until=until)
    rows: list[list[Any]] = [list(EXPORT_HEADER)]
    for r in records:
        rows.append([r["response_id"], r["offered_at"].isoformat(), r["mode"], r["version"], r["campaign_id"],
                     r["queue_id"], r["agent_id"], r["agent"], r["lead_id"], r["call_record_id"], r["phone_e164"],
                     r["disposition"], r["recording_file"], "yes" if r["completed"] else "no", r["ended_reason"],
                     r["question_id"], r["value"], r["skipped"], r["raw_digits"], r["recording_path"],
                     r["answered_at"].isoformat() if r["answered_at"] else None])
    return rows, f"survey-{survey_id}-answers"


@router.get("/surveys/{survey_id}/export.csv")
async def export_csv(request: Request, user: TeamLead, survey_id: int, date_from: str = "",
                     date_to: str = "") -> Response:
    rows, name = await _export(request, survey_id, date_from, date_to)
    return Response(csv_text(rows), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}.csv"'})


@router.get("/surveys/{survey_id}/export.xlsx")
async def export_xlsx(request: Request, user: TeamLead, survey_id: int, date_from: str = "",
                      date_to: str = "") -> Response:
    rows, name = await _export(request, survey_id, date_from, date_to)
    return Response(io.BytesIO(xlsx_bytes(rows, sheet="answers")).getvalue(),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="{name}.xlsx"'})
