"""``GET /metrics``: the engine's figures in Prometheus text format (for a scraper on a private network)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from dialer.metrics import REGISTRY, install_engine_collector

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    services = request.app.state.services
    install_engine_collector(lambda: services.extras.get("engine"))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
