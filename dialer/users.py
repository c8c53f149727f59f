"""Users and roles: argon2 password hashes, the first admin, server-side sessions and the login limiter.

A session lives in the ``sessions`` table (migration 0002): the browser's cookie carries only a signed
random id, whose sha256 is the row's key. Logout, a password change or reset, a role change,
deactivation and "sign out everywhere" revoke rows; a session idle longer than the idle setting (each
use slides it forward) or older than the absolute maximum is refused.

The login limiter never lets an attacker lock a real user out: failures count per (username, address),
with a delay that doubles after each failure past the first few, and per address across usernames with a
higher limit. A flood from one address therefore slows only that address. ``login_wait_s`` decides, the
SQL around it only counts.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from dialer import password_cost
from dialer.db import transaction
from dialer.errors import DialerError

MIN_PASSWORD_LENGTH = 10
# argon2's parameters by the cost ``DIALER_PASSWORD_COST`` names (``dialer.password_cost``): RFC 9106's
# low-memory ones (64 MiB, 3 passes, 4 lanes) unless a test suite asks for the cheapest
PASSWORD_COSTS = {password_cost.RECOMMENDED: profiles.RFC_9106_LOW_MEMORY,
                  password_cost.CHEAPEST_FOR_TESTS: profiles.CHEAPEST}


def _password_hasher() -> PasswordHasher:
    """The hasher for new hashes; an unknown cost name falls back to the recommended one (``load_settings``
    refuses it, naming the variable)."""
    return PasswordHasher.from_parameters(
        PASSWORD_COSTS.get(password_cost.chosen(), PASSWORD_COSTS[password_cost.RECOMMENDED]))


_hasher = _password_hasher()


class Role(str, enum.Enum):
    ADMIN = "admin"
    TEAM_LEAD = "team_lead"
    AGENT = "agent"
    COMPLIANCE = "compliance"
    MANAGER = "manager"         # a team lead of every site (dialer.sites)

    @property
    def label(self) -> str:
        return {"admin": "Admin", "team_lead": "Team lead", "agent": "Agent", "compliance": "Compliance officer",
                "manager": "Manager"}[self.value]

    @property
    def every_site(self) -> bool:
        """Sees every site (dialer.sites): admins, managers and compliance officers; others see their own."""
        return self in (Role.ADMIN, Role.MANAGER, Role.COMPLIANCE)


class UserError(DialerError):
    """A user could not be created or changed; the message says why."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    language: str
    active: bool
    phone_dial_string: str
    session_epoch: int
    site_id: int | None = None     # the user's site (dialer.sites); None: every site

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> User:
        return cls(
            id=row["id"], username=row["username"], display_name=row["display_name"], role=Role(row["role"]),
            language=row["language"], active=row["active"], phone_dial_string=row["phone_dial_string"],
            session_epoch=row["session_epoch"], site_id=row["site_id"],
        )

    @property
    def site_scope(self) -> int | None:
        """The one site this user sees, or None for every site (``Role.every_site``)."""
        return None if self.role.every_site else self.site_id


async def _off_loop(fn: Any, *args: Any) -> Any:
    """argon2 costs tens to hundreds of milliseconds of CPU: run it in a thread, so a flood of logins never
    stalls the event loop the engine shares (the 2-second rule does not wait for a password hash)."""
    return await asyncio.to_thread(fn, *args)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_COLUMNS = "id, username, display_name, role, language, active, phone_dial_string, session_epoch, site_id"


async def create_user(conn: asyncpg.Connection | asyncpg.Pool, *, username: str, password: str, role: Role,
                      display_name: str = "", language: str = "en", phone_dial_string: str = "",
                      site_id: int | None = None) -> User:
    """Insert a user; a taken or malformed username raises ``UserError``. An agent or team lead without
    ``site_id`` works at the default site (dialer.sites); the others see every site."""
    if site_id is None and not role.every_site:
        site_id = 1
    try:
        row = await conn.fetchrow(
            f"INSERT INTO users (username, display_name, role, password_hash, language, phone_dial_string, site_id)"
            f" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}",
            username, display_name or username, role.value, await _off_loop(hash_password, password), language, phone_dial_string,
            site_id,
        )
    except asyncpg.UniqueViolationError:
        raise UserError(f"the username {username!r} is taken") from None
    except asyncpg.CheckViolationError:
        raise UserError(
            f"invalid user: username must be 2-64 letters, digits or _.@- and language en or vi (got {username!r})"
        ) from None
    assert row is not None
    return User.from_row(row)


async def get_user(conn: asyncpg.Connection | asyncpg.Pool, user_id: int) -> User | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE id = $1", user_id)
    return User.from_row(row) if row else None


async def list_users(conn: asyncpg.Connection | asyncpg.Pool) -> list[User]:
    return [User.from_row(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM users ORDER BY username")]


async def authenticate(conn: asyncpg.Connection | asyncpg.Pool, *, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same cost whether or not the user exists)."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS}, password_hash FROM users WHERE username = $1", username)
    if row is None:
        await _off_loop(_verify_against_dummy, password)
        return None
    if not await _off_loop(verify_password, row["password_hash"], password) or not row["active"]:
        return None
    return User.from_row(row)


@functools.cache
def _dummy_hash() -> str:
    """A hash with this process's parameters, made on first use: at import it cost every process start (the
    web server, each worker, every command line) up to a second."""
    return _hasher.hash("not-a-real-password-0")


def _verify_against_dummy(password: str) -> bool:
    return verify_password(_dummy_hash(), password)


async def get_user_by_name(conn: asyncpg.Connection | asyncpg.Pool, username: str) -> User | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE username = $1", username)
    return User.from_row(row) if row else None


async def set_password(conn: asyncpg.Connection | asyncpg.Pool, *, user_id: int, password: str,
                       now: datetime | None = None, reason: str = "password changed") -> int:
    """Change a password and revoke every session of that user; returns how many sessions were open."""
    password_hash = await _off_loop(hash_password, password)
    async with transaction(conn) as c:
        await c.execute(
            "UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = now() WHERE id = $1",
            user_id, password_hash,
        )
        return await revoke_user_sessions(c, user_id=user_id, now=now, reason=reason)


async def update_user(conn: asyncpg.Connection | asyncpg.Pool, *, user_id: int, role: Role | None = None,
                      active: bool | None = None, language: str | None = None, display_name: str | None = None,
                      phone_dial_string: str | None = None) -> User | None:
    """Change what is given; deactivating or changing the role ends the user's sessions."""
    ends_sessions = role is not None or active is False
    async with transaction(conn) as c:
        row = await c.fetchrow(
        f"UPDATE users SET role = COALESCE($2, role), active = COALESCE($3, active),"
        f" language = COALESCE($4, language), display_name = COALESCE($5, display_name),"
        f" phone_dial_string = COALESCE($6, phone_dial_string),"
        f" site_id = CASE WHEN $2 IN ('agent', 'team_lead') THEN COALESCE(site_id, 1) ELSE site_id END,"
            f" session_epoch = session_epoch + $7::int, updated_at = now() WHERE id = $1 RETURNING {_COLUMNS}",
            user_id, role.value if role else None, active, language, display_name, phone_dial_string,
            1 if ends_sessions else 0,
        )
        if row is not None and ends_sessions:
            await revoke_user_sessions(c, user_id=user_id, reason="role changed" if role else "deactivated")
    return User.from_row(row) if row else None


async def create_api_token(conn: asyncpg.Connection | asyncpg.Pool, *, user_id: int, label: str = "",
                           expires_at: datetime | None = None) -> str:
    """A new API token for the user; only its hash is stored, so this is the one time it is seen."""
    token = "dlr_" + secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO api_tokens (user_id, token_hash, label, expires_at) VALUES ($1, $2, $3, $4)",
        user_id, hash_token(token), label, expires_at,
    )
    return token


async def user_for_token(conn: asyncpg.Connection | asyncpg.Pool, token: str, *, now: datetime) -> User | None:
    row = await conn.fetchrow(
        f"SELECT {', '.join('u.' + c.strip() for c in _COLUMNS.split(','))} FROM api_tokens t"
        f" JOIN users u ON u.id = t.user_id"
        f" WHERE t.token_hash = $1 AND u.active AND (t.expires_at IS NULL OR t.expires_at > $2)",
        hash_token(token), now,
    )
    return User.from_row(row) if row else None


async def ensure_admin(conn: asyncpg.Connection | asyncpg.Pool, *, password: str | None) -> str | None:
    """Create the first admin if there are no users. Returns the password to show once, or None.

    The password is ``password`` (from ``DIALER_ADMIN_PASSWORD``) or a random one; never a fixed default.
    """
    if await conn.fetchval("SELECT count(*) FROM users") > 0:
        return None
    chosen = password or secrets.token_urlsafe(12)
    await create_user(conn, username="admin", password=chosen, role=Role.ADMIN, display_name="Administrator")
    return chosen


# --- sessions -------------------------------------------------------------------------------------

def _session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def touch_interval_s(idle_s: float) -> float:
    """How stale ``last_seen_at`` may get before a use writes it again (bounded, so reads stay reads)."""
    return min(60.0, idle_s / 10)


async def create_session(conn: asyncpg.Connection | asyncpg.Pool, *, user_id: int, now: datetime,
                         remote_addr: str = "", user_agent: str = "") -> tuple[str, str]:
    """A new session for the user: (its id, for the signed cookie only; its CSRF token)."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await conn.execute(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, remote_addr, user_agent)"
        " VALUES ($1, $2, $3, $4, $4, $5, $6)",
        _session_key(session_id), user_id, csrf, now, remote_addr, user_agent[:300],
    )
    # housekeeping: rows nobody can use any more (no session lasts a month)
    await conn.execute("DELETE FROM sessions WHERE last_seen_at < $1", now - timedelta(days=30))
    return session_id, csrf


async def session_user(conn: asyncpg.Connection | asyncpg.Pool, session_id: str, *, now: datetime,
                       idle_s: float, max_age_s: float) -> tuple[User, str] | None:
    """The active user of a session still standing and its CSRF token, or None; a use slides its idle time."""
    row = await conn.fetchrow(
        f"SELECT {', '.join('u.' + c.strip() for c in _COLUMNS.split(','))}, s.csrf_token, s.last_seen_at"
        f" FROM sessions s JOIN users u ON u.id = s.user_id"
        f" WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND u.active AND s.created_at > $2 AND s.last_seen_at > $3",
        _session_key(session_id), now - timedelta(seconds=max_age_s), now - timedelta(seconds=idle_s),
    )
    if row is None:
        return None
    if (now - row["last_seen_at"]).total_seconds() >= touch_interval_s(idle_s):
        await conn.execute("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $2",
                           _session_key(session_id), now)
    return User.from_row(row), row["csrf_token"]


async def revoke_session(conn: asyncpg.Connection | asyncpg.Pool, session_id: str, *, now: datetime | None = None,
                         reason: str = "signed out") -> bool:
    """End one session (logout). True if it was still standing."""
    status = await conn.execute(
        "UPDATE sessions SET revoked_at = COALESCE($2, now()), revoked_reason = $3"
        " WHERE id_hash = $1 AND revoked_at IS NULL",
        _session_key(session_id), now, reason,
    )
    return status.endswith(" 1")


async def revoke_user_sessions(conn: asyncpg.Connection | asyncpg.Pool, *, user_id: int,
                               now: datetime | None = None, reason: str = "signed out everywhere") -> int:
    """End every session of a user (their open agent panel is closed at its next message); returns how many."""
    status = await conn.execute(
        "UPDATE sessions SET revoked_at = COALESCE($2, now()), revoked_reason = $3"
        " WHERE user_id = $1 AND revoked_at IS NULL",
        user_id, now, reason,
    )
    return int(status.split()[-1])


async def open_session_counts(conn: asyncpg.Connection | asyncpg.Pool, *, now: datetime, idle_s: float,
                              max_age_s: float) -> dict[int, int]:
    """How many sessions each user has still standing (for the users page)."""
    rows = await conn.fetch(
        "SELECT user_id, count(*) AS n FROM sessions WHERE revoked_at IS NULL AND created_at > $1"
        " AND last_seen_at > $2 GROUP BY user_id",
        now - timedelta(seconds=max_age_s), now - timedelta(seconds=idle_s),
    )
    return {r["user_id"]: r["n"] for r in rows}


# --- the login limiter ------------------------------------------------------------------------------

ADDRESS_WINDOW = timedelta(minutes=15)
PAIR_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class LoginLimits:
    failures_before_delay: int = 3      # per (username, address): free tries before delays start
    first_delay_s: float = 2.0          # then 2, 4, 8, ... seconds after each further failure
    max_delay_s: float = 900.0          # capped at 15 minutes
    per_address: int = 50               # failures per address (any usernames) in 15 minutes


def login_wait_s(*, pair_failures: int, last_pair_failure: datetime | None, address_full_since: datetime | None,
                 now: datetime, limits: LoginLimits) -> float:
    """Seconds before this (username, address) may try again; 0 when it may try now.

    ``pair_failures`` counts this username's failures from this address since its last success (within
    an hour); ``address_full_since`` is the time of the address's ``per_address``-th most recent failure
    within 15 minutes (None when it has fewer), so the address is free again 15 minutes after it.
    Nothing here depends on attempts from other addresses: no one elsewhere can lock this pair out.
    """
    wait = 0.0
    if pair_failures >= limits.failures_before_delay and last_pair_failure is not None:
        delay = min(limits.first_delay_s * 2 ** (pair_failures - limits.failures_before_delay), limits.max_delay_s)
        wait = max(wait, delay - (now - last_pair_failure).total_seconds())
    if address_full_since is not None:
        wait = max(wait, (address_full_since + ADDRESS_WINDOW - now).total_seconds())
    return max(0.0, wait)


async def login_wait(conn: asyncpg.Connection | asyncpg.Pool, *, username: str, remote_addr: str,
                     now: datetime, limits: LoginLimits) -> float:
    """Seconds this (username, address) must wait before its next try (see ``login_wait_s``)."""
    pair = await conn.fetchrow(
        "SELECT count(*) AS n, max(at) AS last FROM login_attempts"
        " WHERE username = $1 AND remote_addr = $2 AND NOT ok AND at > $3 AND at > COALESCE("
        "  (SELECT max(at) FROM login_attempts WHERE username = $1 AND remote_addr = $2 AND ok), '-infinity')",
        username, remote_addr, now - PAIR_WINDOW,
    )
    full_since = await conn.fetchval(
        "SELECT at FROM login_attempts WHERE remote_addr = $1 AND NOT ok AND at > $2"
        " ORDER BY at DESC OFFSET $3 LIMIT 1",
        remote_addr, now - ADDRESS_WINDOW, limits.per_address - 1,
    )
    return login_wait_s(pair_failures=int(pair["n"]), last_pair_failure=pair["last"],
                        address_full_since=full_since, now=now, limits=limits)


async def record_login_attempt(conn: asyncpg.Connection | asyncpg.Pool, *, username: str, remote_addr: str,
                               ok: bool, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO login_attempts (username, remote_addr, ok, at) VALUES ($1, $2, $3, $4)",
        username, remote_addr, ok, now,
    )
    if ok:  # housekeeping: attempts older than any window the limiter reads
        await conn.execute("DELETE FROM login_attempts WHERE at < $1", now - timedelta(days=2))
