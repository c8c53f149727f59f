"""One HTTP exchange with a provider, its failures sorted: 429 (with ``Retry-After``), 5xx, timeouts and
connection errors are ``TransientError``; any other 4xx is ``PermanentError``. Texts never carry credentials."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from sms.providers.base import PermanentError, TransientError

MAX_ERROR_TEXT = 200


def retry_after_s(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _excerpt(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:MAX_ERROR_TEXT]


async def request(client: httpx.AsyncClient, provider: str, method: str, url: str, *, timeout_s: float,
                  **kwargs: Any) -> httpx.Response:
    """Send one request; return a 2xx response or raise ``TransientError`` / ``PermanentError``."""
    try:
        response = await client.request(method, url, timeout=timeout_s, **kwargs)
    except httpx.TimeoutException as exc:
        raise TransientError(f"{provider}: no answer within {timeout_s:g} s ({type(exc).__name__})",
                             provider=provider) from None
    except httpx.TransportError as exc:
        raise TransientError(f"{provider}: connection failed ({type(exc).__name__})", provider=provider) from None
    code = response.status_code
    if code == 429:
        wait = retry_after_s(response.headers.get("retry-after"))
        raise TransientError(f"{provider}: HTTP 429 too many requests" + (f", retry after {wait:g} s" if wait else ""),
                             provider=provider, status_code=code, retry_after_s=wait)
    if code >= 500:
        raise TransientError(f"{provider}: HTTP {code} {_excerpt(response)}".rstrip(), provider=provider,
                             status_code=code, retry_after_s=retry_after_s(response.headers.get("retry-after")))
    if code >= 300:
        raise PermanentError(f"{provider}: HTTP {code} {_excerpt(response)}".rstrip(), provider=provider,
                             status_code=code)
    return response


def json_of(response: httpx.Response, provider: str) -> dict[str, Any]:
    """A 2xx answer's JSON object. An unreadable one is transient: the provider may have taken the message, so
    the retry must carry the same key."""
    try:
        data = response.json()
    except ValueError:
        raise TransientError(f"{provider}: HTTP {response.status_code} answer is not JSON: {_excerpt(response)}",
                             provider=provider, status_code=response.status_code) from None
    if not isinstance(data, dict):
        raise TransientError(f"{provider}: HTTP {response.status_code} answer is not a JSON object",
                             provider=provider, status_code=response.status_code)
    return data
