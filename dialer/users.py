"""Users and roles: argon2 password hashes, the first admin, and the login rate limiter (with SQL)."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dialer.errors import DialerError

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


class Role(str, enum.Enum):
    ADMIN = "admin"
    TEAM_LEAD = "team_lead"
    AGENT = "agent"
    COMPLIANCE = "compliance"

    @property
    def label(self) -> str:
        return {"admin": "Admin", "team_lead": "Team lead", "agent": "Agent", "compliance": "Compliance officer"}[
            self.value
        ]


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

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> User:
        return cls(
            id=row["id"], username=row["username"], display_name=row["display_name"], role=Role(row["role"]),
            language=row["language"], active=row["active"], phone_dial_string=row["phone_dial_string"],
            session_epoch=row["session_epoch"],
        )


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


_COLUMNS = "id, username, display_name, role, language, active, phone_dial_string, session_epoch"


async def create_user(conn: asyncpg.Connection | asyncpg.Pool, *, username: str, password: str, role: Role,
                      display_name: str = "", language: str = "en", phone_dial_string: str = "") -> User:
    """Insert a user; a taken or malformed username raises ``UserError``."""
    try:
        row = await conn.fetchrow(
            f"INSERT INTO users (username, display_name, role, password_hash, language, phone_dial_string)"
            f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}",
            username, display_name or username, role.value, hash_password(password), language, phone_dial_string,
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
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(row["password_hash"], password) or not row["active"]:
        return None
    return User.from_row(row)


_DUMMY_HASH = _hasher.hash("not-a-real-password-0")


async def set_password(conn: asyncpg.Connection | asyncpg.Pool, *, user_id: int, password: str) -> None:
    """Change a password and end every session of that user."""
    await conn.execute(
        "UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = now() WHERE id = $1",
        user_id, hash_password(password),
    )


async def update_user(conn: asyncpg.Connection | asyncpg.Pool, *, user_id: int, role: Role | None = None,
                      active: bool | None = None, language: str | None = None, display_name: str | None = None,
                      phone_dial_string: str | None = None) -> User | None:
    """Change what is given; deactivating or changing the role ends the user's sessions."""
    ends_sessions = role is not None or active is False
    row = await conn.fetchrow(
        f"UPDATE users SET role = COALESCE($2, role), active = COALESCE($3, active),"
        f" language = COALESCE($4, language), display_name = COALESCE($5, display_name),"
        f" phone_dial_string = COALESCE($6, phone_dial_string),"
        f" session_epoch = session_epoch + $7::int, updated_at = now() WHERE id = $1 RETURNING {_COLUMNS}",
        user_id, role.value if role else None, active, language, display_name, phone_dial_string,
        1 if ends_sessions else 0,
    )
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


async def record_login_attempt(conn: asyncpg.Connection | asyncpg.Pool, *, username: str, remote_addr: str,
                               ok: bool, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO login_attempts (username, remote_addr, ok, at) VALUES ($1, $2, $3, $4)",
        username, remote_addr, ok, now,
    )


async def login_blocked(conn: asyncpg.Connection | asyncpg.Pool, *, username: str, remote_addr: str,
                        now: datetime, limit: int) -> bool:
    """True when ``limit`` failed attempts for this username, or from this address, fell in the last 15 min."""
    since = now - timedelta(minutes=15)
    failures = await conn.fetchval(
        "SELECT GREATEST("
        " (SELECT count(*) FROM login_attempts WHERE username = $1 AND NOT ok AND at > $3),"
        " (SELECT count(*) FROM login_attempts WHERE remote_addr = $2 AND NOT ok AND at > $3))",
        username, remote_addr, since,
    )
    return int(failures) >= limit
