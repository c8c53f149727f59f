"""JSON API for users under ``/api/users`` (admins only): list them with their open sessions, sign a user
out everywhere, reset a user's password (which also signs them out everywhere)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from admin_ui.auth import AdminUser, services_of
from dialer import users
from dialer.users import User, UserError

router = APIRouter(prefix="/api/users", tags=["users"])


class PasswordIn(BaseModel):
    password: str


def _view(user: User, open_sessions: int) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role.value,
            "language": user.language, "active": user.active, "phone_dial_string": user.phone_dial_string,
            "open_sessions": open_sessions}


async def _target(request: Request, user_id: int) -> User:
    target = await users.get_user(services_of(request).pool, user_id)
    if target is None:
        raise HTTPException(404, f"no user with id {user_id}")
    return target


@router.get("")
async def list_users(request: Request, user: AdminUser) -> list[dict[str, Any]]:
    services = services_of(request)
    settings = services.settings
    counts = await users.open_session_counts(services.pool, now=services.clock.now(),
                                             idle_s=settings.session_idle_s, max_age_s=settings.session_max_age_s)
    return [_view(u, counts.get(u.id, 0)) for u in await users.list_users(services.pool)]


@router.post("/{user_id}/signout")
async def sign_out_everywhere(request: Request, user: AdminUser, user_id: int) -> dict[str, Any]:
    """End every session of the user; ``revoked`` says how many were still open."""
    target = await _target(request, user_id)
    services = services_of(request)
    revoked = await users.revoke_user_sessions(services.pool, user_id=target.id, now=services.clock.now(),
                                               reason=f"signed out by {user.username}")
    return {"id": target.id, "username": target.username, "revoked": revoked}


@router.post("/{user_id}/password")
async def reset_password(request: Request, user: AdminUser, user_id: int, body: PasswordIn) -> dict[str, Any]:
    """Set a new password (at least 10 characters; 422 otherwise) and end every session of the user."""
    target = await _target(request, user_id)
    services = services_of(request)
    try:
        revoked = await users.set_password(services.pool, user_id=target.id, password=body.password,
                                           now=services.clock.now(), reason=f"password reset by {user.username}")
    except UserError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"id": target.id, "username": target.username, "revoked": revoked}
