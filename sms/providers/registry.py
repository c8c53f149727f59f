"""The configured providers by name, built from ``Settings.sms_providers`` around one shared httpx client."""

from __future__ import annotations

from typing import Any

import httpx

from sms.provider_settings import SmsProviderConfig
from sms.providers.base import Provider
from sms.providers.esms import EsmsProvider
from sms.providers.generic_json import GenericJsonProvider
from sms.providers.twilio import TwilioProvider

KINDS: dict[str, type[Any]] = {"twilio": TwilioProvider, "esms": EsmsProvider, "generic": GenericJsonProvider}


def provider_for(config: SmsProviderConfig, client: httpx.AsyncClient) -> Provider:
    return KINDS[config.kind](config, client)  # type: ignore[no-any-return]


def providers_from_settings(settings: Any, client: httpx.AsyncClient) -> dict[str, Provider]:
    """``{name: provider}`` for every entry of ``settings.sms_providers``."""
    return {config.name: provider_for(config, client) for config in settings.sms_providers}


def config_of(settings: Any, name: str) -> SmsProviderConfig | None:
    """The configuration of the provider named ``name`` (None when there is none)."""
    return next((c for c in settings.sms_providers if c.name == name), None)
