"""The external CRM's data for a pop: one GET of the campaign's URL over httpx, with a short timeout.

The pop never waits for this: the panel shows the lead at once and fills the CRM part in when
``fetch_crm`` returns. Every failure (timeout, refused connection, error status, a body too big) is an
answer with ``ok: False`` and a message, never an exception.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

CRM_TIMEOUT_S = 3.0
MAX_BODY_BYTES = 64 * 1024


async def fetch_crm(url: str, *, client: httpx.AsyncClient | None = None,
                    timeout_s: float = CRM_TIMEOUT_S) -> dict[str, Any]:
    """``{"ok": True, "data": {...}}`` with the CRM's JSON object (or ``{"text": ...}``), else an error."""
    if not url.startswith(("http://", "https://")):
        return {"ok": False, "error": "the campaign's CRM address is not an http(s) URL"}
    owned = client is None
    http = client or httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
    try:
        response = await http.get(url, timeout=timeout_s, headers={"accept": "application/json"})
    except httpx.TimeoutException:
        return {"ok": False, "error": f"the CRM did not answer within {timeout_s:g} s"}
    except httpx.HTTPError as exc:
        return {"ok": False, "error": f"the CRM could not be reached ({type(exc).__name__})"}
    finally:
        if owned:
            await http.aclose()
    if response.status_code >= 400:
        return {"ok": False, "error": f"the CRM answered with HTTP {response.status_code}"}
    body = response.content[:MAX_BODY_BYTES]
    try:
        value = json.loads(body)
    except ValueError:
        return {"ok": True, "data": {"text": body.decode("utf-8", "replace")}}
    return {"ok": True, "data": value if isinstance(value, dict) else {"value": value}}
