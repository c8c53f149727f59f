"""What the panel reads for an agent: the campaigns they are assigned to, and a lead's card and history.

An agent sees only leads of campaigns they are assigned to (admins see every campaign). The SQL lives
in the owning packages' repositories (``campaigns.repository``, ``dialer.call_records``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

from campaigns import repository as campaigns_repo
from campaigns.errors import NotFound
from campaigns.model import Campaign, Lead
from dialer import call_records
from dialer.users import Role

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def assigned_campaigns(conn: Conn, *, user_id: int, role: Role) -> list[Campaign]:
    """The campaigns this user may work in the panel."""
    every = await campaigns_repo.list_campaigns(conn)
    if role is Role.ADMIN:
        return every
    return [c for c in every if user_id in await campaigns_repo.campaign_agents(conn, campaign_id=c.id)]


async def campaign_for(conn: Conn, *, user_id: int, role: Role, campaign_id: int) -> Campaign | None:
    """The campaign if the user is assigned to it, else None."""
    for campaign in await assigned_campaigns(conn, user_id=user_id, role=role):
        if campaign.id == campaign_id:
            return campaign
    return None


async def lead_for(conn: Conn, *, user_id: int, role: Role, lead_id: int) -> tuple[Lead, Campaign] | None:
    """The lead and its campaign if the user may see it, else None."""
    try:
        lead = await campaigns_repo.get_lead(conn, lead_id=lead_id)
    except NotFound:
        return None
    campaign = await campaign_for(conn, user_id=user_id, role=role, campaign_id=lead.campaign_id)
    return (lead, campaign) if campaign is not None else None


def lead_view(lead: Lead) -> dict[str, Any]:
    return {"id": lead.id, "phone": lead.phone_e164, "first_name": lead.first_name, "last_name": lead.last_name,
            "fields": {str(k): v for k, v in dict(lead.fields).items()}, "timezones": list(lead.timezones),
            "postal_code": lead.postal_code, "attempts": lead.attempts, "status": lead.status.value,
            "alt_phones": list(lead.alt_phones)}


def campaign_view(campaign: Campaign) -> dict[str, Any]:
    return {"id": campaign.id, "name": campaign.name, "dial_mode": campaign.dial_mode.value,
            "timezone": campaign.timezone, "crm": bool(campaign.crm_url_template),
            "dispositions": [{"code": d.code, "label": d.label, "final": d.final} for d in campaign.dispositions],
            # the panel's keys (action -> key) and pause codes, as the team lead set them
            "shortcuts": campaign.panel_shortcuts, "pause_codes": [p.as_dict() for p in campaign.pause_codes]}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def history(conn: Conn, *, lead_id: int) -> list[dict[str, Any]]:
    """Previous attempts of the lead, newest first: when, outcome, disposition, notes, agent."""
    rows = await call_records.lead_history(conn, lead_id=lead_id)
    return [{k: _jsonable(v) for k, v in row.items()} for row in rows]
