"""How the web layer reaches the running engine: ``services.extras["engine"]``, or nothing.

The engine implements ``dialer.engine_api.EngineApi``; some of its methods may live on the engine's
campaign control (``engine.control``). ``engine_method`` finds a method on either, so pages and the
panel call one name whatever the split, and say "not running" when there is no engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request, WebSocket

from admin_ui.auth import services_of
from dialer.engine_api import EngineError


class EngineNotRunning(EngineError):
    """The dialer engine is not running in this process."""

    def __init__(self) -> None:
        super().__init__("the dialer engine is not running; try again in a moment")


def running_engine(conn: Request | WebSocket) -> Any | None:
    return services_of(conn).extras.get("engine")


def engine_method(engine: Any | None, name: str) -> Callable[..., Any]:
    """The engine's (or its campaign control's) method ``name``; ``EngineError`` when there is none."""
    if engine is None:
        raise EngineNotRunning()
    for owner in (engine, getattr(engine, "control", None)):
        method = getattr(owner, name, None) if owner is not None else None
        if callable(method):
            return method  # type: ignore[no-any-return]
    raise EngineError(f"this version of the engine cannot {name.replace('_', ' ')} yet")


def panel_watch(engine: Any | None) -> Any | None:
    """The engine's ``dialer.presence.PanelWatch`` (told when an agent's panels open and close), if it has one."""
    return getattr(engine, "panels", None) if engine is not None else None
