"""Admin pages for users and roles: list, create, change role, language or phone, deactivate, reset password,
sign a user out everywhere (each row shows how many sessions the user has open)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin_ui.app import render
from admin_ui.auth import AdminUser, CurrentUser, services_of
from admin_ui.i18n import LANGUAGES, translator
from dialer import users
from dialer.users import Role, UserError

router = APIRouter()


async def _page(request: Request, user: CurrentUser, *, status_code: int = 200, problem: str = "",
                notice: str = "", form: dict[str, str] | None = None) -> HTMLResponse:
    services = services_of(request)
    everyone = await users.list_users(services.pool)
    settings = services.settings
    sessions = await users.open_session_counts(services.pool, now=services.clock.now(),
                                               idle_s=settings.session_idle_s, max_age_s=settings.session_max_age_s)
    return render(request, "users.html", user, status_code=status_code, people=everyone, roles=list(Role),
                  languages=LANGUAGES, problem=problem, notice=notice, form=form or {}, sessions=sessions)


NOTICES = ("user_created", "user_saved", "user_signed_out", "password_was_reset")


@router.get("/admin/users", response_class=HTMLResponse)
async def users_page(request: Request, user: AdminUser, done: str = "") -> HTMLResponse:
    t = translator(user.language)
    return await _page(request, user, notice=t(done) if done in NOTICES else "")


@router.post("/admin/users/{user_id}/signout")
async def sign_out_everywhere(request: Request, user: AdminUser, user_id: int) -> Response:
    """End every session of the user (an open agent panel is closed at its next message, within 25 s)."""
    services = services_of(request)
    if await users.get_user(services.pool, user_id) is None:
        raise HTTPException(404, translator(user.language)("no_such_user"))
    await users.revoke_user_sessions(services.pool, user_id=user_id, now=services.clock.now(),
                                     reason=f"signed out by {user.username}")
    return RedirectResponse("/admin/users?done=user_signed_out", status_code=303)


@router.post("/admin/users/{user_id}/password")
async def reset_password(request: Request, user: AdminUser, user_id: int,
                         new_password: Annotated[str, Form()] = "") -> Response:
    """Give the user a new password and end every session they have."""
    t = translator(user.language)
    services = services_of(request)
    if await users.get_user(services.pool, user_id) is None:
        raise HTTPException(404, t("no_such_user"))
    try:
        await users.set_password(services.pool, user_id=user_id, password=new_password, now=services.clock.now(),
                                 reason=f"password reset by {user.username}")
    except UserError as exc:
        return await _page(request, user, status_code=400, problem=f"{t('not_saved')} {exc}")
    return RedirectResponse("/admin/users?done=password_was_reset", status_code=303)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UserError(f"unknown role {value!r}") from None


@router.post("/admin/users")
async def create_user(request: Request, user: AdminUser, username: Annotated[str, Form()] = "",
                      password: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "agent",
                      display_name: Annotated[str, Form()] = "", language: Annotated[str, Form()] = "en",
                      phone_dial_string: Annotated[str, Form()] = "") -> Response:
    t = translator(user.language)
    form = {"username": username, "display_name": display_name, "role": role, "language": language,
            "phone_dial_string": phone_dial_string}
    try:
        if language not in LANGUAGES:
            raise UserError(f"unknown language {language!r}")
        await users.create_user(services_of(request).pool, username=username.strip(), password=password,
                                role=_role(role), display_name=display_name.strip(), language=language,
                                phone_dial_string=phone_dial_string.strip())
    except UserError as exc:
        return await _page(request, user, status_code=400, problem=f"{t('not_saved')} {exc}", form=form)
    return RedirectResponse("/admin/users?done=user_created", status_code=303)


@router.post("/admin/users/{user_id}")
async def update_user(request: Request, user: AdminUser, user_id: int, role: Annotated[str, Form()] = "",
                      language: Annotated[str, Form()] = "", active: Annotated[str, Form()] = "",
                      phone_dial_string: Annotated[str | None, Form()] = None,
                      display_name: Annotated[str | None, Form()] = None,
                      new_password: Annotated[str, Form()] = "") -> Response:
    t = translator(user.language)
    pool = services_of(request).pool
    target = await users.get_user(pool, user_id)
    if target is None:
        raise HTTPException(404, t("no_such_user"))
    try:
        new_role = _role(role) if role else None
        if language and language not in LANGUAGES:
            raise UserError(f"unknown language {language!r}")
        keep_active = None if active == "" else active == "1"
        if target.id == user.id and (keep_active is False or (new_role and new_role is not Role.ADMIN)):
            raise UserError(t("cannot_demote_self"))
        if new_password:
            await users.set_password(pool, user_id=user_id, password=new_password, now=services_of(request).clock.now(),
                                     reason=f"password reset by {user.username}")
        await users.update_user(pool, user_id=user_id, role=new_role if new_role is not target.role else None,
                                active=keep_active if keep_active != target.active else None,
                                language=language or None, display_name=display_name,
                                phone_dial_string=phone_dial_string)
    except UserError as exc:
        return await _page(request, user, status_code=400, problem=f"{t('not_saved')} {exc}")
    return RedirectResponse("/admin/users?done=user_saved", status_code=303)
