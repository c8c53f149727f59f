"""The PBX link as the web pages show it: ``/healthz``, and a banner on the campaigns pages and the wallboard.

The engine runs in the web process (``services.extras["engine"]``); its PBX adapter reports each AMI
server (``dialer.pbx_health``). Without an engine in this process there is nothing to report (None).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dialer.pbx_health import PbxHealth, pbx_health


def engine_pbx_health(extras: dict[str, Any]) -> PbxHealth | None:
    """The PBX health of the engine running in this process, or None when none runs here."""
    engine = extras.get("engine")
    return pbx_health(getattr(engine, "pbx", None)) if engine is not None else None


def pbx_banner(t: Callable[..., str], health: PbxHealth | None) -> str:
    """The banner text for ``health`` in the viewer's language; "" when every server is up."""
    if health is None or health.status == "ok":
        return ""
    key = "pbx_down" if health.status == "down" else "pbx_degraded"
    return t(key, detail=health.describe())
