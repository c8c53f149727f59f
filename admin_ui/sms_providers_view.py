"""What the providers page shows of the configured SMS providers (``DIALER_SMS_PROVIDERS``): never a secret.

Every setting of a provider is shown by name; the value of one whose name says it is a credential (key, secret,
token, password, auth, account, credential, signing) is replaced by whether it is set, and a URL loses any
user name, password and query string. ``prices_per_part`` gives the statistics page each provider's price.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SECRET_NAME = re.compile(r"key|secret|token|password|passwd|auth|account|credential|signing|hmac", re.IGNORECASE)
HIDDEN = "••••••"


@dataclass(frozen=True, slots=True)
class ProviderView:
    name: str
    kind: str
    base_url: str
    rate_per_s: float | None
    price_per_part: float | None
    currency: str
    settings: tuple[tuple[str, str], ...]     # (name, shown value): credentials only say whether they are set


def configured(settings: Any) -> list[Mapping[str, Any]]:
    """The providers in the settings as plain mappings (empty when SMS is not configured)."""
    raw = getattr(settings, "sms_providers", None) or []
    out = []
    for item in raw:
        if hasattr(item, "model_dump"):
            item = item.model_dump()
        elif not isinstance(item, Mapping):
            item = {k: getattr(item, k) for k in dir(item) if not k.startswith("_") and not callable(getattr(item, k))}
        out.append(dict(item))
    return out


def safe_url(url: str) -> str:
    """``url`` without user name, password, query or fragment (where some providers put keys)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _shown(name: str, value: Any) -> str:
    if name == "credentials" and isinstance(value, Mapping):   # which are set, never their values
        return ", ".join(f"{k}: {HIDDEN}" for k in sorted(value)) or "—"
    if SECRET_NAME.search(name):
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        return HIDDEN if value not in (None, "", {}, []) else "—"
    if isinstance(value, str) and "://" in value:
        return safe_url(value)
    if isinstance(value, Mapping | list | tuple):
        return "…"        # nested values may hold credentials: never shown
    return "" if value is None else str(value)


def _number(item: Mapping[str, Any], *names: str) -> float | None:
    for name in names:
        value = item.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


SHOWN_APART = ("name", "kind", "base_url", "rate_per_s", "rate_limit_per_s", "price_per_part", "currency")


def provider_views(settings: Any) -> list[ProviderView]:
    views = []
    for item in configured(settings):
        others = tuple((k, _shown(k, v)) for k, v in sorted(item.items()) if k not in SHOWN_APART)
        views.append(ProviderView(
            name=str(item.get("name", "")), kind=str(item.get("kind", "")),
            base_url=safe_url(str(item.get("base_url") or "")),
            rate_per_s=_number(item, "rate_per_s", "rate_limit_per_s"),
            price_per_part=_number(item, "price_per_part"), currency=str(item.get("currency") or ""),
            settings=others))
    return views


def prices_per_part(settings: Any) -> dict[str, float]:
    """Provider name -> price of one part; a provider without a price is absent (its cost shows as unknown)."""
    return {v.name: v.price_per_part for v in provider_views(settings) if v.price_per_part is not None}
