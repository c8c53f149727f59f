"""What the panel reads for an agent: the campaigns they are assigned to, and a lead's card and history.

An agent sees only leads of campaigns they are assigned to (admins see every campaign). The SQL lives
in the owning packages' repositories (``campaigns.repository``, ``dialer.call_records``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

from campaigns import repository as campaigns_repo
from campaigns.errors import CampaignError, NotFound
from campaigns.model import Campaign, DialMode, Lead
from dialer import call_records
from dialer.inbound_pop import INBOUND_CONTACTS, caller_numbers
from dialer.inbound_pop import contact_campaign as choose_contact_campaign
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


async def sms_history(conn: Conn, *, lead_id: int, t: Any = None, limit: int = 20) -> list[dict[str, Any]]:
    """The lead's text messages, both directions, newest first (``sms.store``): when, direction, status, body,
    and a refusal's or failure's reason (in ``t``'s language when given)."""
    from admin_ui.i18n import reason_text
    from sms.store import messages_for_lead

    rows = await conn.fetch("SELECT id, reason_code, reason_params FROM sms_messages WHERE lead_id = $1"
                            " ORDER BY created_at DESC, id DESC LIMIT $2", lead_id, limit)
    codes = {r["id"]: (r["reason_code"], r["reason_params"]) for r in rows}
    out = []
    for m in await messages_for_lead(conn, lead_id=lead_id, limit=limit):
        code, params = codes.get(m.id, ("", ""))
        reason = (reason_text(t, code, params, m.reason) if t is not None else m.reason) if m.reason else ""
        out.append({"id": m.id, "at": m.created_at.isoformat(), "direction": m.direction, "status": m.status,
                    "body": m.body, "parts": m.parts, "reason": reason})
    return out


MAX_CALLER_LEADS = 10


async def caller_leads(conn: Conn, *, caller: str, also_lead_id: int | None = None) -> list[tuple[Lead, Campaign]]:
    """The leads of every campaign whose main number is the caller's (read as the lead search reads a number,
    in each campaign's region), and the lead ``also_lead_id`` (a call transferred from an outbound call), with
    their campaigns; at most ``MAX_CALLER_LEADS``. An inbound caller is shown whatever campaigns the agent
    works: the agent serves the queue the customer called."""
    every = {c.id: c for c in await campaigns_repo.list_campaigns(conn)}
    numbers = caller_numbers(caller, {c.default_region for c in every.values()})
    ids = [r["id"] for r in await conn.fetch(
        "SELECT id FROM leads WHERE phone_e164 = ANY($1::text[]) OR id = $2 ORDER BY id LIMIT $3",
        list(numbers), also_lead_id, MAX_CALLER_LEADS)] if numbers or also_lead_id else []
    found = []
    for lead_id in ids:
        lead = await campaigns_repo.get_lead(conn, lead_id=lead_id)
        if lead.campaign_id in every:
            found.append((lead, every[lead.campaign_id]))
    return found


async def contact_campaign(conn: Conn, queue: Any) -> dict[str, Any] | None:
    """Where a new inbound contact is created (``dialer.inbound_pop.contact_campaign``)."""
    own = None
    if queue.callback_campaign_id is not None:
        try:
            own = campaign_view(await campaigns_repo.get_campaign(conn, campaign_id=queue.callback_campaign_id))
        except NotFound:
            own = None
    row = await conn.fetchrow("SELECT id, name FROM campaigns WHERE name = $1", INBOUND_CONTACTS)
    return choose_contact_campaign(own, dict(row) if row else {"id": None, "name": INBOUND_CONTACTS})


async def create_contact(conn: Conn, *, queue: Any, phone: str, first_name: str, last_name: str) -> int:
    """A lead for an unknown inbound caller, in the queue's campaign (``callback_campaign_id``) or else in the
    ``Inbound contacts`` campaign, created on first use as a draft preview campaign (it dials nobody until a team
    lead sets its trunk and starts it). The number is the caller's, read as E.164 in that campaign's region."""
    campaign_id = queue.callback_campaign_id
    if campaign_id is None:
        campaign_id = await conn.fetchval("SELECT id FROM campaigns WHERE name = $1", INBOUND_CONTACTS)
    if campaign_id is None:
        try:
            campaign_id = (await campaigns_repo.create_campaign(conn, campaign=Campaign(
                id=0, name=INBOUND_CONTACTS, trunk_template="PJSIP/{number}@trunk",
                dial_mode=DialMode.PREVIEW))).id
        except CampaignError:      # created meanwhile by another agent's form
            campaign_id = await conn.fetchval("SELECT id FROM campaigns WHERE name = $1", INBOUND_CONTACTS)
    campaign = await campaigns_repo.get_campaign(conn, campaign_id=campaign_id)
    numbers = caller_numbers(phone, [campaign.default_region])
    if not numbers:
        raise CampaignError("the caller's number is not a phone number; the contact cannot be created")
    existing = await conn.fetchval("SELECT id FROM leads WHERE campaign_id = $1 AND phone_e164 = $2",
                                   campaign_id, numbers[0])
    if existing is not None:
        return int(existing)
    return int(await conn.fetchval(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name) VALUES ($1, $2, $3, $4) RETURNING id",
        campaign_id, numbers[0], first_name, last_name))
