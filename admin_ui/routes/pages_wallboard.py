"""The live wallboard for supervisors: the page, a server-sent event stream of ``engine.subscribe_live()``
with a row per signed-in agent (named here), and a team lead's pause or sign-out of an agent from its row; live
supervision (``dialer.live_supervision``): listen to the agent's call, whisper to the agent, barge in, stop, and a
message to the agent's panel (each one kept in ``dialer.supervision``'s audit trail, done or refused).

The stream re-checks the viewer's session every ``RECHECK_S`` seconds (a screen left on the wall
stops when its session expires or its role changes, with an ``expired`` event), and waits for the
engine when it is not running yet.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from admin_ui.app import render
from admin_ui.auth import TeamLead, authenticate_connection, services_of
from admin_ui.health import engine_pbx_health, pbx_banner
from admin_ui.i18n import translator
from admin_ui.routes.pages_sites import site_board
from admin_ui.routes.pages_staffing import queue_tiles
from admin_ui.site_scope import site_context
from agents_ws.engine_link import engine_method, running_engine
from dialer import supervision
from dialer.engine_api import EngineError
from dialer.live_supervision import MESSAGE_MAX, MODES
from dialer.users import Role

router = APIRouter()
RECHECK_S = 30.0
AGENT_STATES = ("ready", "reserved", "on_call", "wrap_up", "paused", "connecting")
ROW_TEXTS = ("wb_agent", "wb_state", "wb_in_state", "wb_pause_code", "campaign", "wb_call", "wb_calls_today",
             "wb_talk_today", "wb_actions", "wb_pause", "wb_sign_out", "wb_no_agents", "wb_then_pause",
             "wb_then_sign_out", "wb_confirm_sign_out", "wb_done_pause", "wb_done_sign_out", "not_done",
             "wb_listen", "wb_whisper", "wb_barge", "wb_message", "wb_message_prompt", "wb_stop_supervising")


class Names:
    """Display names of the agents on the board, read once per agent."""

    def __init__(self) -> None:
        self.known: dict[int, str] = {}

    async def fill(self, request: Request, state: dict[str, Any]) -> dict[str, Any]:
        rows = state.get("agent_rows") or []
        missing = [r["agent_id"] for r in rows if r["agent_id"] not in self.known]
        if missing:
            self.known.update(await supervision.display_names(services_of(request).pool, missing))
        for row in rows:
            row["name"] = self.known.get(row["agent_id"], f"#{row['agent_id']}")
        return state


@router.get("/wallboard", response_class=HTMLResponse)
async def wallboard_page(request: Request, user: TeamLead, site: int | None = None) -> HTMLResponse:
    engine = running_engine(request)
    live = await Names().fill(request, engine.live_state()) if engine is not None else None
    t = translator(user.language)
    banner = pbx_banner(t, engine_pbx_health(services_of(request).extras))
    actions = await supervision.recent_actions(services_of(request).pool, limit=10)
    texts = ({k: t(k) for k in ("live_lost", "engine_down", "session_over", *ROW_TEXTS)}
             | {f"st_{s}": t(f"st_{s}") for s in (*AGENT_STATES, "logged_out")}
             | {"dials_calls": t("dials_calls", calls="{calls}")}
             | {f"health_{c}": t(f"health_{c}", count="{count}", detail="{detail}")   # campaign_health
                for c in ("originate_rejected", "failures_in_a_row", "site_down")})
    shown_site, site_ctx = await site_context(request, user, site)    # dialer.sites: one site or all
    return render(request, "wallboard.html", user, live=live, agent_states=AGENT_STATES, pbx_banner=banner,
                  actions=actions, row_texts=texts, queue_tiles=await queue_tiles(request),
                  queue_agent_states=AGENT_STATES, site_board=await site_board(request, user, shown_site), **site_ctx)


async def _act_on_agent(request: Request, user: TeamLead, agent_id: int, action: str, reason: str) -> JSONResponse:
    """Pause or sign out another agent through the engine, and keep it in the audit trail either way."""
    services = services_of(request)
    t = translator(user.language)
    engine = running_engine(request)
    agent = getattr(engine, "agents", {}).get(agent_id) if engine is not None else None
    problem = ""
    try:
        if agent is None or agent.state.value == "logged_out":
            raise EngineError(t("wb_not_signed_in"))
        if action == "pause":
            await engine_method(engine, "agent_pause")(agent_id, reason)
        else:
            await engine_method(engine, "agent_logout")(agent_id)
    except EngineError as exc:
        problem = str(exc)
    if agent is not None:   # a real agent of the engine: kept whether done or refused
        await supervision.record_action(services.pool, at=services.clock.now(), actor_id=user.id, agent_id=agent_id,
                                        action=action, reason=reason, result=problem)
    if problem:
        raise HTTPException(409, f"{t('not_done')} {problem}")
    return JSONResponse({"done": True, "message": t(f"wb_done_{action}")})


@router.post("/wallboard/agents/{agent_id}/pause")
async def pause_agent(request: Request, user: TeamLead, agent_id: int,
                      reason: Annotated[str, Form(max_length=60)] = "") -> JSONResponse:
    t = translator(user.language)
    return await _act_on_agent(request, user, agent_id, "pause", reason.strip() or t("wb_pause_by_lead"))


@router.post("/wallboard/agents/{agent_id}/sign-out")
async def sign_out_agent(request: Request, user: TeamLead, agent_id: int) -> JSONResponse:
    return await _act_on_agent(request, user, agent_id, "sign_out", "")


def _desk(engine: Any) -> Any:
    desk = getattr(engine, "supervision", None)
    if desk is None:
        raise EngineError("this version of the engine cannot supervise calls yet")
    return desk


@router.post("/wallboard/agents/{agent_id}/message")
async def message_agent(request: Request, user: TeamLead, agent_id: int,
                        text: Annotated[str, Form(max_length=MESSAGE_MAX * 2)] = "") -> JSONResponse:
    """A message from the lead that the agent's panel shows; kept in the audit trail (its text too)."""
    services = services_of(request)
    t = translator(user.language)
    engine = running_engine(request)
    agent = getattr(engine, "agents", {}).get(agent_id) if engine is not None else None
    problem = ""
    try:
        _desk(engine).send_message(agent_id, text=text, sender=user.display_name or user.username,
                                   at=services.clock.now().isoformat())
    except EngineError as exc:
        problem = str(exc)
    if agent is not None:
        await supervision.record_action(services.pool, at=services.clock.now(), actor_id=user.id, agent_id=agent_id,
                                        action="message", result=problem, detail=" ".join(text.split()))
    if problem:
        raise HTTPException(409, f"{t('not_done')} {problem}")
    return JSONResponse({"done": True, "message": t("wb_done_message")})


@router.post("/wallboard/agents/{agent_id}/{mode}")
async def supervise_agent(request: Request, user: TeamLead, agent_id: int, mode: str) -> JSONResponse:
    """Listen to the agent's call, whisper to the agent, or barge in: the lead's phone rings into ChanSpy (a session
    of this lead's on the same agent switches mode instead). Kept in the audit trail, done or refused."""
    if mode not in MODES:
        raise HTTPException(404)
    services = services_of(request)
    t = translator(user.language)
    engine = running_engine(request)
    agent = getattr(engine, "agents", {}).get(agent_id) if engine is not None else None
    call_id = agent.call_id if agent is not None else None
    problem = ""
    try:
        session = await _desk(engine).supervise(user.id, agent_id, mode)
        call_id = session.call_id
    except EngineError as exc:
        problem = str(exc)
    if agent is not None:
        await supervision.record_action(services.pool, at=services.clock.now(), actor_id=user.id, agent_id=agent_id,
                                        action=mode, result=problem, call_id=call_id)
    if problem:
        raise HTTPException(409, f"{t('not_done')} {problem}")
    return JSONResponse({"done": True, "mode": mode, "message": t(f"wb_done_{mode}")})


@router.post("/wallboard/supervise/stop")
async def stop_supervising(request: Request, user: TeamLead) -> JSONResponse:
    """Hang up the lead's supervision call, if any."""
    t = translator(user.language)
    engine = running_engine(request)
    stopped = await _desk(engine).stop(user.id) if engine is not None else None
    return JSONResponse({"done": stopped is not None, "message": t("wb_done_stop")})


def _event(data: dict[str, Any], name: str | None = None) -> str:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(data, default=str)}\n\n"


@router.get("/wallboard/live")
async def wallboard_stream(request: Request, user: TeamLead) -> StreamingResponse:
    services = services_of(request)
    t = translator(user.language)

    async def still_allowed() -> bool:
        viewer = await authenticate_connection(request)
        return viewer is not None and viewer.id == user.id and viewer.has_role(Role.TEAM_LEAD)

    async def events() -> AsyncIterator[str]:
        checked = time.monotonic()
        names = Names()
        engine = running_engine(request)
        while engine is None:
            yield _event({"running": False}, "down")
            await services.clock.sleep(2.0)
            if await request.is_disconnected():
                return
            engine = running_engine(request)
        async for state in engine.subscribe_live():
            if await request.is_disconnected():
                return
            if time.monotonic() - checked > RECHECK_S:
                checked = time.monotonic()
                if not await still_allowed():
                    yield _event({}, "expired")
                    return
            banner = pbx_banner(t, engine_pbx_health(services.extras))   # "" when every PBX is up
            yield _event({"running": True, **(await names.fill(request, state)), "pbx_banner": banner})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
