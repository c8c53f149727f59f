"""The signed-in user's own settings: the interface language (English or Vietnamese)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from admin_ui.auth import SignedIn, services_of
from admin_ui.i18n import LANGUAGES
from dialer import users

router = APIRouter()


def back_to(request: Request, default: str = "/") -> str:
    """The page the form was sent from (same site only), for redirecting after a change."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return default
    path = referer.path or default
    query = "&".join(p for p in referer.query.split("&") if p and not p.startswith("done="))
    return path + (f"?{query}" if query else "") if path.startswith("/") else default


@router.post("/me/language")
async def set_language(request: Request, user: SignedIn, language: Annotated[str, Form()]) -> RedirectResponse:
    if language not in LANGUAGES:
        raise HTTPException(422, f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
    await users.update_user(services_of(request).pool, user_id=user.id, language=language)
    return RedirectResponse(back_to(request), status_code=303)
