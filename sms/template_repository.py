"""SMS templates in PostgreSQL (migration 0400): list, get, save (checked first), delete, and the lead fields
a template of a campaign may name.

A template belongs to one campaign or, with ``campaign_id`` None, to every campaign; names are unique
within each (case-insensitive). Saving runs ``sms.templates.check_template`` against ``known_fields`` of
the template's campaign, so a stored template never names a field its leads lack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

import asyncpg

from sms.context import LEAD_FIELDS
from sms.templates import TemplateRefused, check_template

Conn: TypeAlias = "asyncpg.Connection | asyncpg.Pool"
_COLUMNS = "id, name, body, plain, campaign_id, created_by, updated_at"
SAMPLE_PER_LIST = 200


class TemplateNotFound(LookupError):
    """No template has this id."""


@dataclass(frozen=True, slots=True)
class SmsTemplate:
    id: int
    name: str
    body: str
    plain: bool = False
    campaign_id: int | None = None       # None: usable in every campaign
    created_by: int | None = None
    updated_at: datetime | None = None


def _template(row: asyncpg.Record) -> SmsTemplate:
    return SmsTemplate(**dict(row))


async def get_template(conn: Conn, template_id: int) -> SmsTemplate:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM sms_templates WHERE id = $1", template_id)
    if row is None:
        raise TemplateNotFound(f"there is no SMS template {template_id}")
    return _template(row)


async def list_templates(conn: Conn, *, usable_in: int | None = None) -> list[SmsTemplate]:
    """Every template by name; with ``usable_in``, those of that campaign and those for every campaign."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM sms_templates"
        " WHERE $1::bigint IS NULL OR campaign_id = $1 OR campaign_id IS NULL"
        " ORDER BY lower(name), campaign_id NULLS FIRST, id", usable_in)
    return [_template(r) for r in rows]


async def known_fields(conn: Conn, *, campaign_id: int | None) -> frozenset[str]:
    """The lead fields a template of ``campaign_id`` (None: of every campaign) may name: the built-in ones
    and the columns imported with its lists, read from the first leads of each list (every row of a list
    has its file's columns, an empty cell aside), so the answer costs a few index reads per list."""
    rows = await conn.fetch(
        "SELECT DISTINCT k FROM lists l"
        " CROSS JOIN LATERAL (SELECT fields FROM leads WHERE list_id = l.id LIMIT $2) s"
        " CROSS JOIN LATERAL jsonb_object_keys(s.fields) k"
        " WHERE $1::bigint IS NULL OR l.campaign_id = $1", campaign_id, SAMPLE_PER_LIST)
    return LEAD_FIELDS | {r["k"] for r in rows}


async def save_template(conn: Conn, *, template: SmsTemplate, by: int | None, now: datetime) -> SmsTemplate:
    """Create (``template.id`` 0) or update a template after checking it (``TemplateRefused`` naming the
    field, or ``name`` for a name that is missing or taken); ``TemplateNotFound`` for an unknown id."""
    name = template.name.strip()
    if not name or len(name) > 100:
        raise TemplateRefused("name_missing", field="name")
    if not template.body.strip():
        raise TemplateRefused("empty", field="body")
    check_template(template.body, await known_fields(conn, campaign_id=template.campaign_id))
    values = (name, template.body, template.plain, template.campaign_id, now)
    try:
        if template.id == 0:
            row = await conn.fetchrow(
                "INSERT INTO sms_templates (name, body, plain, campaign_id, updated_at, created_by)"
                f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}", *values, by)
        else:
            row = await conn.fetchrow(
                "UPDATE sms_templates SET name = $1, body = $2, plain = $3, campaign_id = $4, updated_at = $5"
                f" WHERE id = $6 RETURNING {_COLUMNS}", *values, template.id)
    except asyncpg.UniqueViolationError:
        raise TemplateRefused("name_taken", field="name", name=name) from None
    if row is None:
        raise TemplateNotFound(f"there is no SMS template {template.id}")
    return _template(row)


async def delete_template(conn: Conn, *, template_id: int) -> None:
    if await conn.fetchval("DELETE FROM sms_templates WHERE id = $1 RETURNING id", template_id) is None:
        raise TemplateNotFound(f"there is no SMS template {template_id}")
