"""The agent panel's routes: the page (``/agent``), its script, and the websocket (``/agent/ws``).

The websocket is accepted only for a signed-in agent (or admin) whose browser sends the session's CSRF
token in the query (``?csrf=``) from a page of this site (the ``Origin`` must match), so another site
cannot open it with the agent's cookie. Everything after that is ``agents_ws.session``.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import FileResponse, HTMLResponse

from admin_ui.app import add_template_dir, render
from admin_ui.auth import AgentUser, authenticate_connection, services_of
from admin_ui.i18n import translator
from agents_ws import leads
from agents_ws.engine_link import running_engine
from agents_ws.panel_strings import PANEL_KEYS, agent_message
from agents_ws.session import CLOSE_EXPIRED, CLOSE_FORBIDDEN, PanelSession
from agents_ws.tabs import TabRegistry
from dialer.users import Role

HERE = Path(__file__).parent
add_template_dir(HERE / "templates")
router = APIRouter()


@router.get("/agent", response_class=HTMLResponse)
async def panel_page(request: Request, user: AgentUser) -> HTMLResponse:
    t = translator(user.language)
    async with services_of(request).pool.acquire() as conn:
        campaigns = await leads.assigned_campaigns(conn, user_id=user.id, role=user.role)
    return render(request, "agent_panel.html", user, campaigns=campaigns, engine=running_engine(request) is not None,
                  panel_strings={key: t(key) for key in PANEL_KEYS})


@router.get("/agent/panel.js", include_in_schema=False)
async def panel_script() -> FileResponse:
    return FileResponse(HERE / "static" / "panel.js", media_type="text/javascript",
                        headers={"cache-control": "no-cache"})


def _same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == ws.headers.get("host", "")


def tab_registry(ws: WebSocket) -> TabRegistry:
    state = ws.app.state
    if not hasattr(state, "panel_tabs"):
        state.panel_tabs = TabRegistry()
    return state.panel_tabs  # type: ignore[no-any-return]


@router.websocket("/agent/ws")
async def panel_socket(ws: WebSocket) -> None:
    user = await authenticate_connection(ws)
    await ws.accept()
    if user is None:
        await ws.send_json({"type": "expired"})
        await ws.close(CLOSE_EXPIRED)
        return
    sent = ws.query_params.get("csrf", "")
    csrf_ok = user.via != "cookie" or (bool(sent) and hmac.compare_digest(sent, user.csrf_token))
    if not _same_origin(ws) or not csrf_ok or not user.has_role(Role.AGENT):
        await ws.send_json({"type": "error", "message": agent_message("this connection is not allowed", user.language),
                            "request": None})
        await ws.close(CLOSE_FORBIDDEN)
        return
    await PanelSession(ws, user, tab_registry(ws)).run()
