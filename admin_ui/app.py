"""The web application: sign-in, the home page, health, job progress, and every route module.

``create_app(services)`` builds the FastAPI app around already-running ``Services`` (the composition
root owns their lifetime). Route modules in ``admin_ui/routes`` and ``agents_ws`` that expose a
``router`` are included automatically. Errors never show a traceback: pages get a readable message,
the JSON API gets ``{"detail": ...}``.
"""

from __future__ import annotations

import importlib
import logging
import math
import pkgutil
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from admin_ui import auth, routes
from admin_ui.auth import CurrentUser, SignedIn, services_of
from admin_ui.health import engine_pbx_health
from admin_ui.i18n import localise_job_result, reason_text, translator
from admin_ui.safe_text import scrubbed, without_paths
from dialer import jobs, users
from dialer.services import Services

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=[str(HERE / "templates")])
templates.env.filters["no_paths"] = without_paths     # no server file path in what a page shows
# reason_text(t, code, params, stored): a reason the product wrote (dialer.reasons) in the reader's language
templates.env.globals["reason_text"] = reason_text
ROUTE_PACKAGES = ("admin_ui.routes", "agents_ws")


def add_template_dir(path: Path) -> None:
    """Let another package (the agent panel) keep its own templates beside ours."""
    loader = templates.env.loader
    if str(path) not in loader.searchpath:  # type: ignore[union-attr]
        loader.searchpath.append(str(path))  # type: ignore[union-attr]


def render(request: Request, name: str, user: CurrentUser | None = None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """Render a page with ``t`` in the user's language (the browser's for anonymous pages)."""
    lang = user.language if user else _browser_language(request)
    ctx = {"request": request, "user": user, "t": translator(lang), "lang": lang, **context}
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def _browser_language(request: Request) -> str:
    return "vi" if request.headers.get("accept-language", "").lower().startswith("vi") else "en"


def _safe_next(value: str) -> str:
    parts = urlsplit(value or "/")
    return value if value.startswith("/") and not value.startswith("//") and not parts.netloc else "/"


core = APIRouter()


def _login_form(request: Request, *, next: str, message: str = "", status_code: int = 200,
                headers: dict[str, str] | None = None) -> HTMLResponse:
    """The login page with its pre-session CSRF token (the one already in the browser if still good)."""
    services = services_of(request)
    token = request.cookies.get(auth.LOGIN_COOKIE, "")
    if not auth.login_token_valid(services, token, token):
        token = auth.new_login_token(services)
    response = render(request, "login.html", next=_safe_next(next), message=message, login_token=token,
                      status_code=status_code)
    response.set_cookie(auth.LOGIN_COOKIE, token, max_age=auth.LOGIN_TOKEN_MAX_AGE_S, httponly=True,
                        samesite="lax", secure=not services.settings.development, path="/login")
    response.headers.update(headers or {})
    return response


@core.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/", expired: int = 0) -> HTMLResponse:
    message = translator(_browser_language(request))("session_expired") if expired else ""
    return _login_form(request, next=next, message=message)


@core.post("/login")
async def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/"),
                csrf_token: str = Form("")) -> Response:
    services = services_of(request)
    t = translator(_browser_language(request))
    if not auth.login_token_valid(services, request.cookies.get(auth.LOGIN_COOKIE, ""), csrf_token):
        return _login_form(request, next=next, message=t("login_form_expired"), status_code=403)
    addr, now = auth.client_address(request), services.clock.now()
    wait = await users.login_wait(services.pool, username=username, remote_addr=addr, now=now,
                                  limits=auth.login_limits(services))
    if wait > 0:
        seconds = math.ceil(wait)
        return _login_form(request, next=next, message=t("too_many_logins", seconds=seconds), status_code=429,
                           headers={"Retry-After": str(seconds)})
    user = await users.authenticate(services.pool, username=username, password=password)
    await users.record_login_attempt(services.pool, username=username, remote_addr=addr, ok=user is not None, now=now)
    if user is None:
        return _login_form(request, next=next, message=t("bad_login"), status_code=401)
    cookie = await auth.start_session(services, user, remote_addr=addr,
                                      user_agent=request.headers.get("user-agent", ""))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(auth.COOKIE_NAME, cookie, max_age=services.settings.session_max_age_s, httponly=True,
                        samesite="lax", secure=not services.settings.development)
    response.delete_cookie(auth.LOGIN_COOKIE, path="/login")
    return response


@core.post("/logout")
async def logout(request: Request, user: SignedIn) -> Response:
    await auth.end_session(services_of(request), user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE_NAME)
    return response


@core.get("/", response_class=HTMLResponse)
async def home(request: Request, user: SignedIn) -> HTMLResponse:
    return render(request, "home.html", user, capabilities=auth.role_capabilities(user.role))


@core.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    services = services_of(request)
    report: dict[str, Any] = {}
    try:
        await services.pool.fetchval("SELECT 1")
        report["postgres"] = "ok"
    except Exception as exc:  # noqa: BLE001 - health reports any failure as text
        report["postgres"] = f"error: {exc}"
    try:
        services.redis.ping()
        report["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        report["redis"] = f"error: {exc}"
    pbx_health = services.extras.get("pbx_health")
    report["asterisk"] = pbx_health() if callable(pbx_health) else "not running"
    pbx = engine_pbx_health(services.extras)
    if pbx is not None:
        report["pbx"] = pbx.as_dict()
    # 503 when this process cannot dial: a backend down, or an engine here with no AMI server up;
    # "degraded" with 200 when some AMI servers are down and calls go through the others
    serving = report["postgres"] == "ok" and report["redis"] == "ok" and (pbx is None or pbx.connected)
    healthy = serving and (pbx is None or pbx.status == "ok")
    return JSONResponse({"status": "ok" if healthy else "degraded", **report}, status_code=200 if serving else 503)


@core.get("/api/jobs/{job_id}")
async def job_progress(request: Request, job_id: str, user: SignedIn) -> dict[str, Any]:
    status = jobs.job_status(services_of(request).redis, job_id)
    if status is None:
        raise HTTPException(404, "no such job")
    t = translator(user.language)      # the message and error said with a dialer.reasons code: in the reader's language
    return {"id": status.id, "status": status.status, "description": status.description, "done": status.done,
            "total": status.total, "percent": status.percent,
            "message": without_paths(reason_text(t, status.message_code, status.message_params, status.message)),
            "result": localise_job_result(scrubbed(status.result), user.language),
            "error": without_paths(reason_text(t, status.error_code, status.error_params, status.error))}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 401 and _wants_html(request):
            expired = 1 if request.cookies.get(auth.COOKIE_NAME) else 0
            target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            return RedirectResponse(f"/login?next={target}&expired={expired}", status_code=303)
        if _wants_html(request):
            user = getattr(request.state, "user", None)
            if user is None and exc.status_code == 404:   # an unknown address ran no dependency: who asks, for the menu
                user = await auth.optional_user(request)
            t = translator(user.language if user else _browser_language(request))
            title = {404: t("not_found"), 403: t("forbidden")}.get(exc.status_code, t("error"))
            # a 404's detail is the router's English ("Not Found", "there is no such campaign"): say it in the
            # reader's language instead
            message = t("not_found_help") if exc.status_code == 404 else str(exc.detail)
            return render(request, "error.html", user, status_code=exc.status_code, title=title, message=message)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'input'}: {e['msg']}" for e in exc.errors()]
        if _wants_html(request):
            user = getattr(request.state, "user", None)
            t = translator(user.language if user else "en")
            return render(request, "error.html", user, status_code=422, title=t("error"), message="; ".join(problems))
        return JSONResponse({"detail": problems}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _wants_html(request):
            user = getattr(request.state, "user", None)
            t = translator(user.language if user else "en")
            return render(request, "error.html", user, status_code=500, title=t("error"),
                          message="The server could not complete this request. It has been logged.")
        return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)


def discover_routers() -> list[APIRouter]:
    found: list[APIRouter] = []
    for package_name in ROUTE_PACKAGES:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{package_name}.{info.name}")
            router = getattr(module, "router", None)
            if isinstance(router, APIRouter):
                found.append(router)
    return found


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="Dialer", docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    app.state.services = services
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_error_pages(app)
    app.include_router(core)
    for router in discover_routers():
        app.include_router(router)
    return app


__all__ = ["add_template_dir", "create_app", "render", "routes"]
