"""The live wallboard for supervisors: the page, and a server-sent event stream of ``engine.subscribe_live()``.

The stream re-checks the viewer's session every ``RECHECK_S`` seconds (a screen left on the wall
stops when its session expires or its role changes, with an ``expired`` event), and waits for the
engine when it is not running yet.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from admin_ui.app import render
from admin_ui.auth import TeamLead, authenticate_connection, services_of
from admin_ui.health import engine_pbx_health, pbx_banner
from admin_ui.i18n import translator
from agents_ws.engine_link import running_engine
from dialer.users import Role

router = APIRouter()
RECHECK_S = 30.0
AGENT_STATES = ("ready", "reserved", "on_call", "wrap_up", "paused", "connecting")


@router.get("/wallboard", response_class=HTMLResponse)
async def wallboard_page(request: Request, user: TeamLead) -> HTMLResponse:
    engine = running_engine(request)
    live = engine.live_state() if engine is not None else None
    banner = pbx_banner(translator(user.language), engine_pbx_health(services_of(request).extras))
    return render(request, "wallboard.html", user, live=live, agent_states=AGENT_STATES, pbx_banner=banner)


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
            yield _event({"running": True, **state, "pbx_banner": banner})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
