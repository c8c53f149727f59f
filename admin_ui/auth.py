"""Who is asking: session cookies for pages and websockets, bearer tokens for the JSON API, roles, CSRF.

A session cookie is signed with the settings' secret and carries only a random session id; the session
itself (user, CSRF token, times, revocation) lives in PostgreSQL (``dialer.users``, migration 0002), so
logout, a password change and "sign out everywhere" end it on the server. It is refused once unused for
``session_idle_s`` (each use slides that) or older than ``session_max_age_s``. State-changing requests
authenticated by cookie must echo the session's CSRF token in an ``X-CSRF-Token`` header or a
``csrf_token`` form field; bearer-token requests need no CSRF token.

Before there is a session, the login form carries its own token: ``GET /login`` sets a signed
pre-session cookie and puts the same value in the form; ``POST /login`` needs both to match.

``client_address`` believes ``X-Forwarded-For`` only from the configured ``trusted_proxies``.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, WebSocket
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dialer import users
from dialer.services import Services
from dialer.users import LoginLimits, Role, User

COOKIE_NAME = "dialer_session"
LOGIN_COOKIE = "dialer_login"          # the login form's pre-session CSRF token
LOGIN_TOKEN_MAX_AGE_S = 2 * 3600
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
    session_id: str = ""  # the cookie's session ("" for bearer-token requests)
    site_id: int | None = None   # the user's site (dialer.sites)

    def has_role(self, *roles: Role) -> bool:
        """Admins have every role; a manager has the team lead's, for every site."""
        return self.role is Role.ADMIN or self.role in roles or (self.role is Role.MANAGER and Role.TEAM_LEAD in roles)

    @property
    def site_scope(self) -> int | None:
        """The one site this user may see (a team lead's, an agent's), or None: every site (admins, managers,
        compliance). Pages and the API filter campaigns, queues, agents and reports by it (dialer.sites)."""
        return None if self.role.every_site else self.site_id


class NotAuthenticated(HTTPException):
    def __init__(self, detail: str = "sign in required") -> None:
        super().__init__(status_code=401, detail=detail)


def services_of(conn: Request | WebSocket) -> Services:
    return conn.app.state.services  # type: ignore[no-any-return]


def _serializer(services: Services, salt: str = "dialer-session-id") -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services.settings.session_secret(), salt=salt)


async def start_session(services: Services, user: User, *, remote_addr: str = "", user_agent: str = "") -> str:
    """A new server-side session for ``user``; returns the signed cookie value (which holds only its id)."""
    session_id, _ = await users.create_session(services.pool, user_id=user.id, now=services.clock.now(),
                                               remote_addr=remote_addr, user_agent=user_agent)
    return _serializer(services).dumps(session_id)


def _session_id(services: Services, value: str) -> str | None:
    try:
        return str(_serializer(services).loads(value, max_age=services.settings.session_max_age_s))
    except (SignatureExpired, BadSignature):
        return None


async def _user_from_cookie(services: Services, value: str) -> CurrentUser | None:
    session_id = _session_id(services, value)
    if session_id is None:
        return None
    settings = services.settings
    found = await users.session_user(services.pool, session_id, now=services.clock.now(),
                                     idle_s=settings.session_idle_s, max_age_s=settings.session_max_age_s)
    if found is None:
        return None
    user, csrf = found
    return CurrentUser(user.id, user.username, user.display_name, user.role, user.language, csrf, "cookie", session_id,
                       user.site_id)


async def end_session(services: Services, user: CurrentUser) -> None:
    """Logout: revoke the session this request came with (a bearer token has none)."""
    if user.session_id:
        await users.revoke_session(services.pool, user.session_id, now=services.clock.now(), reason="signed out")


def new_login_token(services: Services) -> str:
    """A signed random token for the login form and its pre-session cookie."""
    return _serializer(services, "dialer-login-form").dumps(secrets.token_urlsafe(24))


def login_token_valid(services: Services, cookie: str, sent: str) -> bool:
    """The form's token matches the pre-session cookie, and the cookie is ours and recent."""
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        return False
    try:
        _serializer(services, "dialer-login-form").loads(cookie, max_age=LOGIN_TOKEN_MAX_AGE_S)
    except (SignatureExpired, BadSignature):
        return False
    return True


def login_limits(services: Services) -> LoginLimits:
    settings = services.settings
    return LoginLimits(failures_before_delay=settings.login_failures_before_delay,
                       per_address=settings.login_attempts_per_15min)


async def authenticate_connection(conn: Request | WebSocket) -> CurrentUser | None:
    """The user behind a request or websocket (bearer token first, then the session cookie), or None."""
    services = services_of(conn)
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = await users.user_for_token(services.pool, header[7:].strip(), now=services.clock.now())
        if user is None:
            return None
        return CurrentUser(user.id, user.username, user.display_name, user.role, user.language, "", "token",
                           site_id=user.site_id)
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


async def check_site(request: Request, user: CurrentUser) -> None:
    """A user of one site (a team lead, an agent) reaches no campaign, queue or lead of another site, by any
    URL of a page or the API: such a row answers 404 as if it did not exist (dialer.sites)."""
    scope = user.site_scope
    if scope is None or not request.path_params:
        return
    from dialer import sites

    if any(site != scope for site in await sites.sites_of_path(services_of(request).pool, request.path_params)):
        raise HTTPException(status_code=404, detail="there is no such campaign, queue or lead at your site")


def require_roles(*roles: Role) -> Callable[[Request], Awaitable[CurrentUser]]:
    """A dependency: the signed-in user if they have one of ``roles`` (admins always do), else 401/403."""

    async def dependency(request: Request) -> CurrentUser:
        user = await optional_user(request)
        if user is None:
            raise NotAuthenticated()
        if roles and not user.has_role(*roles):
            raise HTTPException(status_code=403, detail=f"this needs the role {' or '.join(r.label for r in roles)}")
        await check_csrf(request, user)
        await check_site(request, user)
        return user

    return dependency


SignedIn = Annotated[CurrentUser, Depends(require_roles())]
AdminUser = Annotated[CurrentUser, Depends(require_roles(Role.ADMIN))]
TeamLead = Annotated[CurrentUser, Depends(require_roles(Role.TEAM_LEAD))]
Compliance = Annotated[CurrentUser, Depends(require_roles(Role.COMPLIANCE))]
AgentUser = Annotated[CurrentUser, Depends(require_roles(Role.AGENT))]


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str, trusted: list[str]) -> bool:
    ip = _parse_ip(address)
    return ip is not None and any(ip in ipaddress.ip_network(net, strict=False) for net in trusted)


def forwarded_client(peer: str, forwarded_for: str, trusted: list[str]) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy.

    Behind trusted proxies, ``X-Forwarded-For`` is read from the right (each proxy appends the address it
    saw); the first address that is not itself a trusted proxy is the client. Anything left of it was
    written by the client and may be forged, so it is never used.
    """
    if not forwarded_for or not is_trusted_proxy(peer, trusted):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        ip = _parse_ip(hop)
        if ip is None:
            return peer
        if not is_trusted_proxy(hop, trusted):
            return str(ip)
    return peer


def client_address(request: Request) -> str:
    peer = request.client.host if request.client else "unknown"
    trusted = services_of(request).settings.trusted_proxies
    return forwarded_client(peer, ", ".join(request.headers.getlist("x-forwarded-for")), trusted)


def role_capabilities(role: Role) -> list[dict[str, Any]]:
    """What the home page offers each role: (key for translation, link)."""
    by_role: dict[Role, list[tuple[str, str]]] = {
        Role.ADMIN: [("users", "/admin/users"), ("campaigns", "/campaigns"), ("queues", "/queues"), ("dnc", "/dnc"),
                     ("wallboard", "/wallboard"), ("reports", "/reports"), ("timesheets", "/timesheets"),
                     ("abandonment", "/compliance"), ("sms", "/sms/messages"), ("sites", "/admin/sites")],
        Role.TEAM_LEAD: [("campaigns", "/campaigns"), ("lists", "/campaigns"), ("queues", "/queues"),
                         ("wallboard", "/wallboard"), ("reports", "/reports"), ("timesheets", "/timesheets"),
                         ("sms", "/sms/messages")],
        Role.AGENT: [("panel", "/agent"), ("timesheets", "/timesheets")],
        Role.MANAGER: [("campaigns", "/campaigns"), ("queues", "/queues"), ("wallboard", "/wallboard"),
                       ("reports", "/reports"), ("timesheets", "/timesheets"), ("sms", "/sms/messages")],
        Role.COMPLIANCE: [("dnc", "/dnc"), ("audit", "/dnc/audit"), ("abandonment", "/compliance"),
                          ("sms", "/sms/messages")],
    }
    return [{"key": key, "href": href} for key, href in (*by_role[role], ("simulations", "/simulations"))]
