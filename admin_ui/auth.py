"""Who is asking: session cookies for pages and websockets, bearer tokens for the JSON API, roles, CSRF.

A session cookie is signed with the settings' secret and carries the user id, the user's
``session_epoch`` (bumped to end every session of a user) and a CSRF token. It expires after
``session_max_age_s``. State-changing requests authenticated by cookie must echo the CSRF token in an
``X-CSRF-Token`` header or a ``csrf_token`` form field; bearer-token requests need no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, WebSocket
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dialer import users
from dialer.services import Services
from dialer.users import Role, User

COOKIE_NAME = "dialer_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: Role
    language: str
    csrf_token: str       # "" for bearer-token requests
    via: str              # "cookie" or "token"

    def has_role(self, *roles: Role) -> bool:
        return self.role is Role.ADMIN or self.role in roles


class NotAuthenticated(HTTPException):
    def __init__(self, detail: str = "sign in required") -> None:
        super().__init__(status_code=401, detail=detail)


def services_of(conn: Request | WebSocket) -> Services:
    return conn.app.state.services  # type: ignore[no-any-return]


def _serializer(services: Services) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services.settings.session_secret(), salt="dialer-session")


def make_session_cookie(services: Services, user: User) -> tuple[str, str]:
    """The signed cookie value for ``user`` and its CSRF token."""
    csrf = secrets.token_urlsafe(24)
    return _serializer(services).dumps({"u": user.id, "e": user.session_epoch, "c": csrf}), csrf


async def _user_from_cookie(services: Services, value: str) -> CurrentUser | None:
    try:
        data = _serializer(services).loads(value, max_age=services.settings.session_max_age_s)
    except (SignatureExpired, BadSignature):
        return None
    user = await users.get_user(services.pool, int(data["u"]))
    if user is None or not user.active or user.session_epoch != data.get("e"):
        return None
    return CurrentUser(user.id, user.username, user.display_name, user.role, user.language, str(data["c"]), "cookie")


async def authenticate_connection(conn: Request | WebSocket) -> CurrentUser | None:
    """The user behind a request or websocket (bearer token first, then the session cookie), or None."""
    services = services_of(conn)
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = await users.user_for_token(services.pool, header[7:].strip(), now=services.clock.now())
        if user is None:
            return None
        return CurrentUser(user.id, user.username, user.display_name, user.role, user.language, "", "token")
    cookie = conn.cookies.get(COOKIE_NAME)
    return await _user_from_cookie(services, cookie) if cookie else None


async def optional_user(request: Request) -> CurrentUser | None:
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    user = await authenticate_connection(request)
    request.state.user = user
    return user


async def check_csrf(request: Request, user: CurrentUser) -> None:
    """Reject a cookie-authenticated state change that does not echo the session's CSRF token."""
    if request.method in SAFE_METHODS or user.via != "cookie":
        return
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = str(form.get("csrf_token", ""))
    if not sent or not hmac.compare_digest(sent, user.csrf_token):
        raise HTTPException(status_code=403, detail="the form has expired or came from another site; reload the page")


def require_roles(*roles: Role) -> Callable[[Request], Awaitable[CurrentUser]]:
    """A dependency: the signed-in user if they have one of ``roles`` (admins always do), else 401/403."""

    async def dependency(request: Request) -> CurrentUser:
        user = await optional_user(request)
        if user is None:
            raise NotAuthenticated()
        if roles and not user.has_role(*roles):
            raise HTTPException(status_code=403, detail=f"this needs the role {' or '.join(r.label for r in roles)}")
        await check_csrf(request, user)
        return user

    return dependency


SignedIn = Annotated[CurrentUser, Depends(require_roles())]
AdminUser = Annotated[CurrentUser, Depends(require_roles(Role.ADMIN))]
TeamLead = Annotated[CurrentUser, Depends(require_roles(Role.TEAM_LEAD))]
Compliance = Annotated[CurrentUser, Depends(require_roles(Role.COMPLIANCE))]
AgentUser = Annotated[CurrentUser, Depends(require_roles(Role.AGENT))]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def role_capabilities(role: Role) -> list[dict[str, Any]]:
    """What the home page offers each role: (key for translation, link)."""
    by_role: dict[Role, list[tuple[str, str]]] = {
        Role.ADMIN: [("users", "/admin/users"), ("campaigns", "/campaigns"), ("dnc", "/dnc"),
                     ("wallboard", "/wallboard"), ("reports", "/reports"), ("abandonment", "/compliance")],
        Role.TEAM_LEAD: [("campaigns", "/campaigns"), ("lists", "/campaigns"), ("wallboard", "/wallboard"),
                         ("reports", "/reports")],
        Role.AGENT: [("panel", "/agent")],
        Role.COMPLIANCE: [("dnc", "/dnc"), ("audit", "/dnc/audit"), ("abandonment", "/compliance")],
    }
    return [{"key": key, "href": href} for key, href in (*by_role[role], ("simulations", "/simulations"))]
