"""Team leads' inbound queue pages: the list (open now or not, and why), create and edit with every setting,
the agents who serve a queue with their skill level, and delete.

The form's fields are the keys of ``Queue.as_dict`` (``campaigns.queues``), with the weekly hours as
``hours_mon`` .. ``hours_sun``; a refusal names the field in the reader's language (``admin_ui.queue_text``)
and marks it. Sounds are checked on each connected PBX at save, as the JSON API does (``api_queues``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin_ui.app import render
from admin_ui.auth import CurrentUser, TeamLead, services_of
from admin_ui.i18n import translator
from admin_ui.queue_text import queue_problem
from admin_ui.routes import pages_recordings as recording_setting
from admin_ui.routes.api_queues import check_queue_sounds
from admin_ui.site_scope import site_context
from campaigns import queue_repository as repo
from campaigns import repository as campaign_repository
from campaigns.errors import CampaignError, NotFound
from campaigns.holidays import CALENDARS
from campaigns.queue_hours import is_open
from campaigns.queues import ClosedAction, OverflowAction, Queue, QueueError, Strategy, parse_numbers
from campaigns.windows import DAY_NAMES
from dialer import sites, users
from dialer.users import Role

router = APIRouter()
NOTICES = ("queue_created", "queue_saved", "queue_deleted", "queue_agents_saved")
CHECKBOXES = ("announce_position", "announce_wait", "press1_callback")
TEXT_FIELDS = ("name", "timezone", "holiday_calendar", "closed_action", "closed_sound", "strategy", "skill_steps",
               "priority", "vip_priority", "vip_lead_field", "vip_lead_value", "max_waiting", "max_wait_s",
               "overflow_action", "overflow_queue_id", "overflow_sound", "voicemail_box", "callback_campaign_id",
               "wrapup_s", "sl_target_pct", "sl_threshold_s", "announce_every_s", "announce_min_agents",
               "press1_sound", "moh_class")
# What a team lead starts from: place and wait every minute, but only in a queue 10 or more agents serve (a small
# queue's callers are answered before an announcement helps; callers hear music, not "you are next" every minute)
NEW_QUEUE = Queue(id=0, name="", timezone="Asia/Ho_Chi_Minh", announce_every_s=60, announce_position=True,
                  announce_wait=True, announce_min_agents=10)


def form_values(queue: Queue, vip_numbers: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """What the form shows for ``queue``."""
    data = queue.as_dict()
    values: dict[str, Any] = {k: ("" if data[k] is None else data[k]) for k in TEXT_FIELDS}
    values.update({k: data[k] for k in CHECKBOXES})
    values.update({f"hours_{d}": data["hours"][d] for d in DAY_NAMES})
    values.update(dids="\n".join(queue.dids), closed_days=", ".join(data["closed_days"]),
                  vip_numbers="\n".join(vip_numbers),
                  dispositions="\n".join(f"{d.code} | {d.label}" for d in queue.dispositions))
    return values


def queue_from_form(form: Mapping[str, str], base: Queue = NEW_QUEUE) -> tuple[Queue, tuple[str, ...]]:
    """The queue and its VIP numbers from the form; ``QueueError`` naming the first bad field."""
    data: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in TEXT_FIELDS}
    data.update({k: bool(form.get(k)) for k in CHECKBOXES})
    data.update(hours={d: str(form.get(f"hours_{d}", "")) for d in DAY_NAMES}, dids=str(form.get("dids", "")),
                closed_days=str(form.get("closed_days", "")),
                dispositions=str(form.get("dispositions", "")).replace("\r\n", "\n"))
    vip = tuple(dict.fromkeys(parse_numbers(str(form.get("vip_numbers", "")), "vip_numbers", "vip_number")))
    return replace(Queue.from_dict(data, id=base.id), created_at=base.created_at), vip


async def _queue(request: Request, queue_id: int) -> Queue:
    try:
        return await repo.get_queue(services_of(request).pool, queue_id=queue_id)
    except NotFound:
        raise HTTPException(404, "there is no such queue") from None


@router.get("/queues", response_class=HTMLResponse)
async def queues_page(request: Request, user: TeamLead, done: str = "", site: int | None = None) -> HTMLResponse:
    services = services_of(request)
    t = translator(user.language)
    now = services.clock.now()
    shown_site, site_ctx = await site_context(request, user, site)     # a team lead: their own site only
    site_of = await sites.queue_sites(services.pool)
    rows = []
    for queue in await repo.list_queues(services.pool):
        if shown_site is not None and site_of.get(queue.id) != shown_site:
            continue
        state = is_open(queue, now)
        rows.append({"q": queue, "open": state.open, "why": state.why,
                     "agents": len(await repo.queue_agents(services.pool, queue_id=queue.id)),
                     "site": site_ctx["site_names"].get(site_of.get(queue.id), "")})
    return render(request, "queues.html", user, rows=rows, notice=t(done) if done in NOTICES else "", **site_ctx)


async def _form_page(request: Request, user: CurrentUser, *, values: dict[str, Any], queue: Queue | None,
                     problem: str = "", bad_field: str = "", notice: str = "", status_code: int = 200) -> HTMLResponse:
    pool = services_of(request).pool
    others = [q for q in await repo.list_queues(pool) if queue is None or q.id != queue.id]
    agents: list[dict[str, Any]] = []
    if queue is not None:
        levels = {r["user_id"]: r["level"] for r in await repo.queue_agents(pool, queue_id=queue.id)}
        site = await sites.site_of_queue(pool, queue.id)                # the queue's site's agents only
        agents = [{"u": u, "level": levels.get(u.id, "")} for u in await users.list_users(pool)
                  if u.role is Role.AGENT and (u.active or u.id in levels) and (u.site_id in (None, site) or u.id in levels)]
    return render(request, "queue_form.html", user, status_code=status_code, v=values, queue=queue,
                  problem=problem, bad_field=bad_field.replace(".", "_"), notice=notice, days=DAY_NAMES,
                  strategies=list(Strategy), closed_actions=list(ClosedAction), overflow_actions=list(OverflowAction),
                  calendars=CALENDARS, other_queues=others,
                  campaigns=await campaign_repository.list_campaigns(pool), agents=agents)


def _problem(exc: CampaignError, t: Any) -> tuple[str, str]:
    if isinstance(exc, QueueError):
        return queue_problem(t, exc), exc.field
    return f"{t('queue_not_saved')} {exc}", ""


def _unchecked(warnings: list[str]) -> str:
    return f"&unchecked={quote('; '.join(warnings)[:300])}" if warnings else ""


@router.get("/queues/new", response_class=HTMLResponse)
async def new_queue_page(request: Request, user: TeamLead) -> HTMLResponse:
    return await _form_page(request, user, values=form_values(NEW_QUEUE), queue=None)


@router.post("/queues/new")
async def create_queue(request: Request, user: TeamLead) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    t = translator(user.language)
    try:
        queue, vip = queue_from_form(form)
        recording = recording_setting.policy_from_form(form, user.language)   # named in the reader's language
        warnings = await check_queue_sounds(request, queue)
        saved = await repo.save_queue(services_of(request).pool, queue=queue, vip_numbers=vip)
        await sites.set_queue_site(services_of(request).pool, queue_id=saved.id,    # a team lead's: their site
                                   site_id=user.site_scope or sites.DEFAULT_SITE_ID)
        await recording_setting.save_policy(services_of(request).pool, "queue", saved.id, recording)
    except CampaignError as exc:
        problem, field = _problem(exc, t)
        return await _form_page(request, user, values=form, queue=None, problem=problem, bad_field=field,
                                status_code=400)
    return RedirectResponse(f"/queues/{saved.id}/edit?done=queue_created{_unchecked(warnings)}", status_code=303)


@router.get("/queues/{queue_id}/edit", response_class=HTMLResponse)
async def edit_queue_page(request: Request, user: TeamLead, queue_id: int, done: str = "",
                          unchecked: str = "") -> HTMLResponse:
    queue = await _queue(request, queue_id)
    t = translator(user.language)
    notice = t(done) if done in NOTICES else ""
    if unchecked:
        notice = f"{notice} {t('queue_sound_unchecked', reason=unchecked)}".strip()
    vip = await repo.vip_numbers(services_of(request).pool, queue_id=queue_id)
    recording = await recording_setting.policy_values(services_of(request).pool, "queue", queue_id)
    return await _form_page(request, user, values={**form_values(queue, vip), **recording}, queue=queue,
                            notice=notice)


@router.post("/queues/{queue_id}/edit")
async def save_queue(request: Request, user: TeamLead, queue_id: int) -> Response:
    queue = await _queue(request, queue_id)
    form = {k: str(v) for k, v in (await request.form()).items()}
    t = translator(user.language)
    try:
        changed, vip = queue_from_form(form, queue)
        recording = recording_setting.policy_from_form(form, user.language)   # named in the reader's language
        warnings = await check_queue_sounds(request, changed)
        await repo.save_queue(services_of(request).pool, queue=changed, vip_numbers=vip)
        await recording_setting.save_policy(services_of(request).pool, "queue", queue_id, recording)
    except CampaignError as exc:
        problem, field = _problem(exc, t)
        return await _form_page(request, user, values=form, queue=queue, problem=problem, bad_field=field,
                                status_code=400)
    return RedirectResponse(f"/queues/{queue_id}/edit?done=queue_saved{_unchecked(warnings)}", status_code=303)


@router.post("/queues/{queue_id}/agents")
async def save_agents(request: Request, user: TeamLead, queue_id: int) -> Response:
    """Form fields ``level_<user id>``: a level 1-10, or empty for an agent who does not serve the queue."""
    queue = await _queue(request, queue_id)
    form = await request.form()
    t = translator(user.language)
    levels: dict[int, int] = {}
    try:
        for key, value in form.items():
            if key.startswith("level_") and str(value).strip():
                user_id, text = key.removeprefix("level_"), str(value).strip()
                if not user_id.isdigit() or not text.isdigit():
                    raise QueueError("agents", "level", value=user_id, level=text)
                levels[int(user_id)] = int(text)
        await repo.set_queue_agents(services_of(request).pool, queue_id=queue_id, levels=levels)
    except CampaignError as exc:
        problem, field = _problem(exc, t)
        vip = await repo.vip_numbers(services_of(request).pool, queue_id=queue_id)
        return await _form_page(request, user, values=form_values(queue, vip), queue=queue, problem=problem,
                                bad_field=field, status_code=400)
    return RedirectResponse(f"/queues/{queue_id}/edit?done=queue_agents_saved#agents", status_code=303)


@router.post("/queues/{queue_id}/delete")
async def delete_queue(request: Request, user: TeamLead, queue_id: int) -> Response:
    queue = await _queue(request, queue_id)
    t = translator(user.language)
    try:
        await repo.delete_queue(services_of(request).pool, queue_id=queue_id)
    except CampaignError as exc:
        problem, field = _problem(exc, t)
        vip = await repo.vip_numbers(services_of(request).pool, queue_id=queue_id)
        return await _form_page(request, user, values=form_values(queue, vip), queue=queue, problem=problem,
                                bad_field=field, status_code=400)
    return RedirectResponse("/queues?done=queue_deleted", status_code=303)
