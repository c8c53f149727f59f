"""Helpers for the sending tests: a campaign with leads, provider settings for the simulated provider, its log."""

from __future__ import annotations

import json
from collections import Counter
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx

from sms.provider_settings import SmsProviderConfig
from sms.sim.server import SmsSimulator, sim_provider_settings

ALWAYS = {"name": "custom", "hours": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}


async def make_campaign(conn: asyncpg.Connection | asyncpg.Pool, *, name: str = "sms", window: dict[str, Any] | None = None,
                        zone: str = "Asia/Ho_Chi_Minh") -> int:
    return await conn.fetchval(
        "INSERT INTO campaigns (name, trunk_template, default_region, timezone, window_profile, custom_window)"
        " VALUES ($1, 'PJSIP/{number}@t', 'VN', $2, 'custom', $3::jsonb) RETURNING id",
        name, zone, window or ALWAYS)


def phone(i: int) -> str:
    return f"+849{i:08d}"


async def make_leads(conn: asyncpg.Connection | asyncpg.Pool, *, campaign_id: int, count: int, start: int = 0,
                     zones: tuple[str, ...] = ("Asia/Ho_Chi_Minh",), fields: dict[str, Any] | None = None) -> list[int]:
    """``count`` leads named Lead <i> with numbers ``phone(start + i)``; returns their ids in order."""
    rows = await conn.fetch(
        """INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, timezones, fields)
           SELECT $1, '+849' || lpad(i::text, 8, '0'), 'Lead', i::text, $4::text[], $5::jsonb
           FROM generate_series($2::int, $3::int) AS i ORDER BY i RETURNING id""",
        campaign_id, start, start + count - 1, list(zones), fields or {})
    return [r["id"] for r in rows]


def sim_config(sim: SmsSimulator, *, kind: str = "generic", rate_per_s: float = 1000.0, timeout_s: float = 1.0,
               callback_base_url: str | None = None, **changes: Any) -> SmsProviderConfig:
    entry = next(e for e in sim_provider_settings(sim.url, sim.config, callback_base_url=callback_base_url)
                 if e["kind"] == kind)
    return SmsProviderConfig(**{**entry, "rate_per_s": rate_per_s, "timeout_s": timeout_s, **changes})


def settings_with(*configs: SmsProviderConfig) -> SimpleNamespace:
    """What ``sms.jobs.open_sender`` and the provider registry read of the settings."""
    return SimpleNamespace(sms_providers=list(configs))


def providers_json(*configs: SmsProviderConfig) -> str:
    """``DIALER_SMS_PROVIDERS`` for a worker process."""
    return json.dumps([c.model_dump(mode="json") | {"credentials": {k: v.get_secret_value()
                                                                    for k, v in c.credentials.items()}}
                       for c in configs])


async def sim_log(sim_url: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        return (await client.get(f"{sim_url}/_sim/log")).json()["messages"]


async def set_faults(sim_url: str, **faults: Any) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{sim_url}/_sim/faults", json=faults)
        answer.raise_for_status()


def duplicates(log: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """``(to, body, key)`` accepted more than once by the provider."""
    seen = Counter((m["to"], m["body"], m["key"]) for m in log)
    return [k for k, n in seen.items() if n > 1]
