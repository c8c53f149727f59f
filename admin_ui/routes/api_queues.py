"""JSON API for inbound queues under ``/api/queues``: settings, VIP numbers, agents with their level, open now?

Roles: team leads and admins; agents and compliance officers get 403. A queue's JSON is ``Queue.as_dict``
(``campaigns.queues``) plus ``vip_numbers`` and ``agents``; a create or update sends the same keys (an update
only those that change); its recording setting is ``record_mode`` (all, share, none), ``record_share`` and
``recording_retention_days``, refused as 422 ``{"detail", "field", "message"}`` (``message`` in the reader's
language). A refused setting is 422 with ``{"detail": "field: why", "field", "code", "params"}``; a sound missing on a connected PBX is refused the same way naming its field, and a sound that
could not be checked (no PBX connected) is saved with a ``warnings`` entry; so is the music-on-hold class
(``moh_class``: ``moh show classes`` on each connected PBX; ``default`` is not asked). Unknown queue: 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from admin_ui.auth import TeamLead, services_of
from admin_ui.routes import pages_recordings as recording_setting
from admin_ui.site_scope import with_sites
from campaigns import queue_repository as repo
from campaigns.errors import CampaignError, NotFound
from campaigns.queue_hours import is_open
from campaigns.queues import Queue, QueueError, parse_numbers
from dialer import sites
from dialer.recordings import RecordingPolicy, RecordingPolicyError
from dialer.sound_check import MOH_FIELD, check_moh_class, check_sound

router = APIRouter(prefix="/api/queues", tags=["queues"])


class AgentLevel(BaseModel):
    user_id: int
    level: int = Field(ge=1, le=10)


class AgentsIn(BaseModel):
    agents: list[AgentLevel]


def refusal(exc: CampaignError) -> JSONResponse:
    """422 naming the field (404 for an unknown queue)."""
    if isinstance(exc, NotFound):
        return JSONResponse({"detail": str(exc)}, status_code=404)
    body: dict[str, Any] = {"detail": str(exc)}
    if isinstance(exc, QueueError):
        body.update(field=exc.field, code=exc.code, params={k: str(v) for k, v in exc.params.items()})
    return JSONResponse(body, status_code=422)


async def check_queue_sounds(request: Request, queue: Queue) -> list[str]:
    """Every sound the queue can play, asked of each connected PBX: a missing one raises ``QueueError`` naming
    its field; the warnings of those that could not be checked."""
    pbx = getattr(services_of(request).extras.get("engine"), "pbx", None)
    warnings = []
    for field, sound in queue.sounds().items():
        check = await check_sound(pbx, sound, field=field)
        if check.missing:
            part, server = check.missing[0]
            raise QueueError(field, "sound_missing", value=part, server=server)
        if check.warning:
            warnings.append(check.warning)
    music = await check_moh_class(pbx, queue.moh_class)    # a class Asterisk lacks plays "default", silently
    if music.missing:
        name, server = music.missing[0]
        raise QueueError(MOH_FIELD, "moh_missing", value=name, server=server)
    if music.warning:
        warnings.append(music.warning)
    return warnings


async def queue_json(request: Request, queue: Queue) -> dict[str, Any]:
    pool = services_of(request).pool
    agents = await repo.queue_agents(pool, queue_id=queue.id)
    recording = await recording_setting.current_policy(pool, "queue", queue.id)
    return {**queue.as_dict(), "vip_numbers": await repo.vip_numbers(pool, queue_id=queue.id),
            "agents": [{"user_id": a["user_id"], "username": a["username"], "level": a["level"]} for a in agents],
            **recording_setting.policy_json(recording)}


def _recording(body: dict[str, Any], current: RecordingPolicy) -> RecordingPolicy | None:
    """The recording setting the body asks for (its fields taken out of ``body``); None when it sends none."""
    policy = recording_setting.policy_from_body(body, current)
    for field in recording_setting.POLICY_FIELDS:
        body.pop(field, None)
    return policy


def _vip(body: dict[str, Any]) -> tuple[str, ...] | None:
    if "vip_numbers" not in body:
        return None
    numbers = parse_numbers(body.pop("vip_numbers") or "", "vip_numbers", "vip_number")
    return tuple(dict.fromkeys(numbers))


@router.get("")
async def list_queues(request: Request, user: TeamLead, site: int | None = None) -> list[dict[str, Any]]:
    """Every queue of the user's site (a manager's or admin's: every site, or ``?site=<id>``), with its site."""
    pool = services_of(request).pool
    return with_sites(await repo.list_queues(pool), await sites.queue_sites(pool),
                      sites.visible_site(user.site_scope, site))


@router.post("", status_code=201, response_model=None)
async def create_queue(request: Request, user: TeamLead, body: dict[str, Any]) -> dict[str, Any] | JSONResponse:
    pool = services_of(request).pool
    try:
        vip = _vip(body)
        recording = _recording(body, RecordingPolicy("none"))
        queue = Queue.from_dict(body)
        warnings = await check_queue_sounds(request, queue)
        saved = await repo.save_queue(pool, queue=queue, vip_numbers=vip)
    except CampaignError as exc:
        return refusal(exc)
    except RecordingPolicyError as exc:
        return recording_setting.policy_refusal(exc, user.language)
    if recording is not None:
        await recording_setting.save_policy(pool, "queue", saved.id, recording)
    await sites.set_queue_site(services_of(request).pool, queue_id=saved.id,     # a team lead's: their site
                               site_id=user.site_scope or sites.DEFAULT_SITE_ID)
    return {**await queue_json(request, saved), "warnings": warnings}


@router.get("/{queue_id}", response_model=None)
async def get_queue(request: Request, user: TeamLead, queue_id: int) -> dict[str, Any] | JSONResponse:
    try:
        return await queue_json(request, await repo.get_queue(services_of(request).pool, queue_id=queue_id))
    except CampaignError as exc:
        return refusal(exc)


@router.patch("/{queue_id}", response_model=None)
async def update_queue(request: Request, user: TeamLead, queue_id: int,
                       body: dict[str, Any]) -> dict[str, Any] | JSONResponse:
    pool = services_of(request).pool
    try:
        vip = _vip(body)
        recording = _recording(body, await recording_setting.current_policy(pool, "queue", queue_id))
        queue = (await repo.get_queue(pool, queue_id=queue_id)).with_settings(body)
        warnings = await check_queue_sounds(request, queue)
        saved = await repo.save_queue(pool, queue=queue, vip_numbers=vip)
    except CampaignError as exc:
        return refusal(exc)
    except RecordingPolicyError as exc:
        return recording_setting.policy_refusal(exc, user.language)
    if recording is not None:
        await recording_setting.save_policy(pool, "queue", queue_id, recording)
    return {**await queue_json(request, saved), "warnings": warnings}


@router.delete("/{queue_id}", status_code=204, response_model=None)
async def delete_queue(request: Request, user: TeamLead, queue_id: int) -> JSONResponse | None:
    try:
        await repo.delete_queue(services_of(request).pool, queue_id=queue_id)
    except CampaignError as exc:
        return refusal(exc)
    return None


@router.put("/{queue_id}/agents", response_model=None)
async def set_agents(request: Request, user: TeamLead, queue_id: int, body: AgentsIn) -> dict[str, Any] | JSONResponse:
    """Replace the agents serving the queue: ``{"agents": [{"user_id": 7, "level": 8}]}``."""
    levels = {a.user_id: a.level for a in body.agents}
    if len(levels) != len(body.agents):
        raise HTTPException(422, "agents: an agent is listed twice")
    try:
        rows = await repo.set_queue_agents(services_of(request).pool, queue_id=queue_id, levels=levels)
    except CampaignError as exc:
        return refusal(exc)
    return {"agents": [{"user_id": r["user_id"], "username": r["username"], "level": r["level"]} for r in rows]}


@router.get("/{queue_id}/open", response_model=None)
async def open_now(request: Request, user: TeamLead, queue_id: int, at: datetime | None = None) -> dict[str, Any] | JSONResponse:
    """``is_open`` at ``at`` (ISO 8601 with an offset; default now): open, reason, the queue's local time, why."""
    try:
        queue = await repo.get_queue(services_of(request).pool, queue_id=queue_id)
    except CampaignError as exc:
        return refusal(exc)
    moment = at or services_of(request).clock.now()
    if moment.tzinfo is None:
        raise HTTPException(422, "at: give the time with its offset, e.g. 2026-03-02T09:00:00+07:00")
    state = is_open(queue, moment.astimezone(UTC))
    return {"open": state.open, "reason": state.reason.value, "local": state.local.isoformat(), "why": state.why}
