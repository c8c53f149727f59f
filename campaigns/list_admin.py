"""The team lead's lead and list management over PostgreSQL: browse, edit and export leads; disable, reset,
recycle and delete lists. Every change is written to ``lead_admin_audit`` (who, when, what, how many) in
the transaction that makes it.

* **Browse**: ``search_page`` (keyset paging by id), ``count_matching`` (capped), ``iter_matching`` (the
  export, in chunks of ids, no long transaction) over ``campaigns.lead_search.build_where``.
* **Edit** (``edit_lead``): names, postal code, zones and file fields; a new phone number is read as the
  import reads it (the list's region, else the campaign's), must be valid, not already in the campaign and on no DNC list
  (``dnc.repository.numbers_on_dnc``, as the import's scrub); a lead being dialled keeps its number.
* **Lists**: a disabled list's leads are held (``leads.list_held``): out of the hopper's index, never claimed
  (``repository.claim_leads``; leads already claimed may still be dialled);
  ``reset_leads`` gives the list's leads with the chosen statuses or last outcomes another pass (status
  ``new``, attempt count 0; the attempt times stay, so compliance caps per period still hold; leads that
  are DNC, invalid, being dialled or waiting for a callback are never touched); ``set_recycle`` sets the
  list's no-answer delay (``recycled_policy``: it replaces the campaign's no-answer retry delay for the
  list's leads, effective at once for the leads waiting); ``delete_list`` removes the list and its leads,
  whose call records stay (``call_records.lead_id`` has no foreign key), refusing while any is being dialled.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from campaigns import repository
from campaigns.errors import CampaignError, NotFound
from campaigns.lead_search import LeadQuery, build_where
from campaigns.model import Lead, LeadStatus
from campaigns.numbers import PhoneNormaliser
from campaigns.retry_policy import Outcome, RetryPolicy, RetryRule

Conn = asyncpg.Connection | asyncpg.Pool
RESETTABLE = (LeadStatus.NEW, LeadStatus.RETRY, LeadStatus.DONE)
EDITABLE = ("phone", "first_name", "last_name", "postal_code", "timezones", "fields")
COUNT_CAP = 100_000
_FIELD_NAME = re.compile(r"^[^\x00-\x1f]{1,100}$")


class LeadEditRefused(CampaignError):
    """An edit that may not be stored; ``code`` names the rule (for a translated message)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, for the audit trail."""

    id: int | None
    name: str


@dataclass(frozen=True, slots=True)
class LeadRow:
    """One lead as the leads page shows it."""

    lead: Lead
    campaign_name: str
    list_name: str


@dataclass(frozen=True, slots=True)
class ListInfo:
    """A list with what the campaign page shows of it."""

    id: int
    campaign_id: int
    name: str
    status: str
    active: bool
    recycle_no_answer_s: int | None
    counts: Mapping[str, int] = field(default_factory=dict)   # lead status -> how many now

    @property
    def dialable(self) -> int:
        return sum(self.counts.get(s, 0) for s in ("new", "retry", "callback"))


# --- browsing -------------------------------------------------------------------------------------------

async def regions_of(conn: Conn, *, campaign_ids: Sequence[int] | None) -> list[str]:
    """The regions the numbers of the campaigns searched were read in: each campaign's default region and
    the regions set on their lists (a French file in a Vietnamese campaign)."""
    rows = await conn.fetch("SELECT default_region FROM campaigns WHERE $1::bigint[] IS NULL OR id = ANY($1::bigint[])"
                            " UNION SELECT region FROM lists WHERE region <> ''"
                            " AND ($1::bigint[] IS NULL OR campaign_id = ANY($1::bigint[])) ORDER BY 1",
                            list(campaign_ids) if campaign_ids is not None else None)
    return [r[0] for r in rows]


async def _where(conn: Conn, query: LeadQuery) -> tuple[str, list[Any]]:
    regions = await regions_of(conn, campaign_ids=query.campaign_ids)
    return build_where(query, regions=regions)


_ROW_COLUMNS = ", ".join("l." + c.strip() for c in repository._LEAD_COLUMNS.split(","))


async def search_page(conn: Conn, query: LeadQuery, *, after_id: int = 0, limit: int = 50) -> list[LeadRow]:
    """The next ``limit`` leads matching ``query`` with an id above ``after_id``, by id."""
    where, args = await _where(conn, query)
    n = len(args)
    rows = await conn.fetch(
        f"SELECT {_ROW_COLUMNS}, c.name AS campaign_name, COALESCE(li.name, '') AS list_name"
        " FROM leads l JOIN campaigns c ON c.id = l.campaign_id LEFT JOIN lists li ON li.id = l.list_id"
        f" WHERE {where} AND l.id > ${n + 1} ORDER BY l.id LIMIT ${n + 2}",
        *args, after_id, limit,
    )
    return [LeadRow(repository.lead_from_row(r), r["campaign_name"], r["list_name"]) for r in rows]


async def count_matching(conn: Conn, query: LeadQuery, *, cap: int = COUNT_CAP,
                         after_id: int = 0) -> tuple[int, bool]:
    """How many leads match (with an id above ``after_id``; counted up to ``cap``), and whether there are
    more than ``cap``."""
    where, args = await _where(conn, query)
    n = await conn.fetchval(f"SELECT count(*) FROM (SELECT 1 FROM leads l WHERE {where} AND l.id > ${len(args) + 1}"
                            f" LIMIT ${len(args) + 2}) s", *args, after_id, cap + 1)
    return min(n, cap), n > cap


async def iter_matching(pool: asyncpg.Pool, query: LeadQuery, *, chunk: int = 2000,
                        after_id: int = 0) -> AsyncIterator[list[LeadRow]]:
    """Every matching lead with an id above ``after_id``, by id, in chunks: each chunk is its own short query
    (an export of a million leads holds no transaction open and never has more than one chunk in memory)."""
    after = after_id
    while True:
        async with pool.acquire() as conn:
            rows = await search_page(conn, query, after_id=after, limit=chunk)
        if not rows:
            return
        yield rows
        after = rows[-1].lead.id


async def lead_detail(conn: Conn, *, lead_id: int) -> LeadRow:
    row = await conn.fetchrow(
        f"SELECT {_ROW_COLUMNS}, c.name AS campaign_name, COALESCE(li.name, '') AS list_name"
        " FROM leads l JOIN campaigns c ON c.id = l.campaign_id LEFT JOIN lists li ON li.id = l.list_id"
        " WHERE l.id = $1", lead_id)
    if row is None:
        raise NotFound(f"no lead {lead_id}")
    return LeadRow(repository.lead_from_row(row), row["campaign_name"], row["list_name"])


async def zone_flag(conn: Conn, *, lead_id: int) -> tuple[str, str, str]:
    """Why the import did not use the time zone of the lead's file: ``(code, params JSON, English text)``
    (``dialer.reasons``; a lead flagged before codes existed has only the text, an unflagged one nothing)."""
    row = await conn.fetchrow("SELECT timezone_flag_code, timezone_flag_params, timezone_flag FROM leads"
                              " WHERE id = $1", lead_id)
    return (row["timezone_flag_code"], row["timezone_flag_params"], row["timezone_flag"]) if row else ("", "", "")


async def lead_calls(conn: Conn, *, lead_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """The lead's attempts, newest first, with the agent who took each."""
    rows = await conn.fetch(
        "SELECT r.id, r.direction, r.phone_e164, r.outcome, r.disposition, r.notes, r.originated_at,"
        " r.answered_at, r.connected_at, r.ended_at, COALESCE(u.display_name, u.username, '') AS agent"
        " FROM call_records r LEFT JOIN users u ON u.id = r.agent_id WHERE r.lead_id = $1"
        " ORDER BY r.originated_at DESC, r.id DESC LIMIT $2", lead_id, limit)
    return [dict(r) for r in rows]


async def audit_trail(conn: Conn, *, campaign_id: int | None = None, lead_id: int | None = None,
                      limit: int = 50) -> list[dict[str, Any]]:
    """Audit entries of a campaign or a lead, newest first."""
    rows = await conn.fetch(
        "SELECT id, campaign_id, list_id, lead_id, action, actor_id, actor, at, affected, detail"
        " FROM lead_admin_audit WHERE ($1::bigint IS NULL OR campaign_id = $1) AND ($2::bigint IS NULL OR lead_id = $2)"
        " ORDER BY at DESC, id DESC LIMIT $3", campaign_id, lead_id, limit)
    return [dict(r) for r in rows]


async def _audit(conn: asyncpg.Connection, *, campaign_id: int, list_id: int | None, lead_id: int | None,
                 action: str, actor: Actor, now: datetime, affected: int, detail: Mapping[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO lead_admin_audit (campaign_id, list_id, lead_id, action, actor_id, actor, at, affected, detail)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        campaign_id, list_id, lead_id, action, actor.id, actor.name, now, affected, dict(detail))


# --- editing one lead -----------------------------------------------------------------------------------

def _clean(text: Any, *, limit: int = 500) -> str:
    value = unicodedata.normalize("NFC", str(text)).strip()
    if len(value) > limit or any(ord(ch) < 32 for ch in value):
        raise LeadEditRefused("bad_value", f"a value is too long or holds control characters: {value[:40]!r}")
    return value


def _zones(values: Sequence[str]) -> tuple[str, ...]:
    zones: list[str] = []
    for value in values:
        zone = _clean(value, limit=64)
        if not zone:
            continue
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise LeadEditRefused("bad_zone", f"{zone!r} is not a time zone (write it as Asia/Ho_Chi_Minh)") from None
        if zone not in zones:
            zones.append(zone)
    return tuple(zones)


async def edit_lead(conn: asyncpg.Connection, *, lead_id: int, changes: Mapping[str, Any], actor: Actor,
                    now: datetime) -> Lead:
    """Apply ``changes`` (keys of ``EDITABLE``; ``fields`` replaces the file's columns) and audit them.

    A new ``phone`` is read in the campaign's region; refused (``LeadEditRefused``) when invalid, already a
    lead of the campaign, on a DNC list, or while the lead is being dialled. Its zones come with it.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise LeadEditRefused("bad_field", f"these cannot be edited: {', '.join(sorted(unknown))}")
    async with conn.transaction():
        row = await conn.fetchrow(f"SELECT {repository._LEAD_COLUMNS} FROM leads WHERE id = $1 FOR UPDATE", lead_id)
        if row is None:
            raise NotFound(f"no lead {lead_id}")
        lead = repository.lead_from_row(row)
        campaign = await repository.get_campaign(conn, campaign_id=lead.campaign_id)
        new: dict[str, Any] = {}
        for name in ("first_name", "last_name", "postal_code"):
            if name in changes:
                new[name] = _clean(changes[name], limit=200)
        if "timezones" in changes:
            raw = changes["timezones"]
            new["timezones"] = _zones(raw.split(",") if isinstance(raw, str) else list(raw))
        if "fields" in changes:
            fields = changes["fields"]
            if not isinstance(fields, Mapping) or len(fields) > 200:
                raise LeadEditRefused("bad_value", "fields must be at most 200 name: text pairs")
            cleaned = {}
            for key, value in fields.items():
                if not _FIELD_NAME.match(str(key)):
                    raise LeadEditRefused("bad_value", f"bad field name {str(key)[:40]!r}")
                cleaned[str(key)] = _clean(value, limit=2000)
            new["fields"] = cleaned
        if "phone" in changes and str(changes["phone"]).strip() != lead.phone_e164:
            if lead.status is LeadStatus.CLAIMED:
                raise LeadEditRefused("being_dialled", "the lead is being dialled; change its number once the call ends")
            region = campaign.default_region
            if lead.list_id is not None:        # a list may have its own region, as at import
                region = await conn.fetchval("SELECT region FROM lists WHERE id = $1", lead.list_id) or region
            read = PhoneNormaliser(region).normalise(_clean(changes["phone"], limit=64))
            if isinstance(read, str):
                raise LeadEditRefused("bad_phone", f"{read} (read in region {region})")
            e164, zones = read
            if e164 != lead.phone_e164:
                taken = await conn.fetchval("SELECT id FROM leads WHERE campaign_id = $1 AND phone_e164 = $2",
                                            lead.campaign_id, e164)
                if taken is not None:
                    raise LeadEditRefused("duplicate_phone", f"{e164} is already lead {taken} of this campaign")
                from dnc.repository import numbers_on_dnc

                blocked = await numbers_on_dnc(conn, [e164], campaign_id=lead.campaign_id, now=now)
                if blocked:
                    raise LeadEditRefused("dnc_phone", f"{e164} is on the do-not-call list {blocked[e164]}")
                new["phone_e164"] = e164
                if zones and "timezones" not in new:
                    new["timezones"] = zones
        old = {"phone_e164": lead.phone_e164, "first_name": lead.first_name, "last_name": lead.last_name,
               "postal_code": lead.postal_code, "timezones": lead.timezones, "fields": dict(lead.fields)}
        diff = {k: [_jsonable(old[k]), _jsonable(v)] for k, v in new.items() if _jsonable(old[k]) != _jsonable(v)}
        if not diff:
            return lead
        sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(new, start=2))
        values = [list(v) if isinstance(v, tuple) else v for v in new.values()]
        row = await conn.fetchrow(f"UPDATE leads SET {sets} WHERE id = $1 RETURNING {repository._LEAD_COLUMNS}",
                                  lead_id, *values)
        await _audit(conn, campaign_id=lead.campaign_id, list_id=lead.list_id, lead_id=lead_id, action="lead_edit",
                     actor=actor, now=now, affected=1, detail={"changes": diff})
    return repository.lead_from_row(row)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


# --- lists -----------------------------------------------------------------------------------------------

async def list_overview(conn: Conn, *, campaign_id: int) -> list[ListInfo]:
    """The campaign's lists with their lead counts by status."""
    lists = await conn.fetch("SELECT id, campaign_id, name, status, active, recycle_no_answer_s FROM lists"
                             " WHERE campaign_id = $1 ORDER BY id", campaign_id)
    counts = await conn.fetch("SELECT list_id, status, count(*) AS n FROM leads WHERE campaign_id = $1"
                              " GROUP BY list_id, status", campaign_id)
    by_list: dict[int, dict[str, int]] = {}
    for r in counts:
        if r["list_id"] is not None:
            by_list.setdefault(r["list_id"], {})[r["status"]] = r["n"]
    return [ListInfo(r["id"], r["campaign_id"], r["name"], r["status"], r["active"], r["recycle_no_answer_s"],
                     by_list.get(r["id"], {})) for r in lists]


async def get_list_info(conn: Conn, *, list_id: int) -> ListInfo:
    row = await conn.fetchrow("SELECT campaign_id FROM lists WHERE id = $1", list_id)
    if row is None:
        raise NotFound(f"no list {list_id}")
    for info in await list_overview(conn, campaign_id=row["campaign_id"]):
        if info.id == list_id:
            return info
    raise NotFound(f"no list {list_id}")


async def _lock_list(conn: asyncpg.Connection, list_id: int) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT id, campaign_id, name, status, active, recycle_no_answer_s FROM lists"
                              " WHERE id = $1 FOR UPDATE", list_id)
    if row is None:
        raise NotFound(f"no list {list_id}")
    return row


async def set_list_active(conn: asyncpg.Connection, *, list_id: int, active: bool, actor: Actor,
                          now: datetime) -> int:
    """Enable or disable a list; returns how many of its leads this makes dialable or not (audited)."""
    async with conn.transaction():
        row = await _lock_list(conn, list_id)
        if not active and row["status"] == "importing":
            raise LeadEditRefused("list_importing", "the list is still being imported; disable it once it is ready")
        await conn.execute("UPDATE lists SET active = $2 WHERE id = $1", list_id, active)
        # held leads leave the hopper's index (migration 0117), so a claim never scans past them
        await conn.execute("UPDATE leads SET list_held = $2 WHERE list_id = $1 AND list_held = $3",
                           list_id, not active, active)
        dialable = await conn.fetchval("SELECT count(*) FROM leads WHERE list_id = $1"
                                       " AND status IN ('new', 'retry', 'callback')", list_id)
        if row["active"] != active:
            await _audit(conn, campaign_id=row["campaign_id"], list_id=list_id, lead_id=None,
                         action="list_enable" if active else "list_disable", actor=actor, now=now,
                         affected=dialable, detail={"list": row["name"]})
    return int(dialable)


async def reset_leads(conn: asyncpg.Connection, *, list_id: int, statuses: Sequence[LeadStatus] = (),
                      outcomes: Sequence[str] = (), actor: Actor, now: datetime) -> int:
    """Give the list's leads with one of ``statuses`` or one of the last ``outcomes`` another pass;
    returns how many (audited). Only leads in ``RESETTABLE`` statuses are touched."""
    bad = [s.value for s in statuses if s not in RESETTABLE]
    if bad:
        raise CampaignError(f"leads that are {', '.join(bad)} cannot be reset")
    if not statuses and not outcomes:
        raise CampaignError("choose the statuses or the outcomes of the leads to reset")
    async with conn.transaction():
        row = await _lock_list(conn, list_id)
        result = await conn.execute(
            "UPDATE leads SET status = 'new', attempts = 0, next_attempt_at = NULL, prev_status = NULL"
            " WHERE list_id = $1 AND status = ANY($2::text[])"
            " AND (status = ANY($3::text[]) OR last_outcome = ANY($4::text[]))",
            list_id, [s.value for s in RESETTABLE], [s.value for s in statuses], list(outcomes))
        count = int(result.split()[-1])
        await _audit(conn, campaign_id=row["campaign_id"], list_id=list_id, lead_id=None, action="list_reset",
                     actor=actor, now=now, affected=count,
                     detail={"list": row["name"], "statuses": [s.value for s in statuses], "outcomes": list(outcomes)})
    return count


def recycled_policy(policy: RetryPolicy, delay_s: int | None) -> RetryPolicy:
    """``policy`` with its no-answer delay replaced by a list's ``delay_s`` (None: unchanged); the
    attempt cap stays the campaign's."""
    if delay_s is None:
        return policy
    rule = policy.rules.get(Outcome.NO_ANSWER.value, policy.fallback)
    rules = {**policy.rules, Outcome.NO_ANSWER.value: RetryRule(delay_s, rule.max_attempts)}
    return RetryPolicy(rules, policy.fallback, policy.no_recall_after_abandon_h)


async def policy_for_lead(conn: Conn, policy: RetryPolicy, *, list_id: int | None) -> RetryPolicy:
    """The retry policy for a lead of ``list_id``: the campaign's, with the list's no-answer delay."""
    if list_id is None:
        return policy
    delay = await conn.fetchval("SELECT recycle_no_answer_s FROM lists WHERE id = $1", list_id)
    return recycled_policy(policy, delay)


async def set_recycle(conn: asyncpg.Connection, *, list_id: int, delay_s: int | None, actor: Actor,
                      now: datetime) -> int:
    """Set the list's no-answer delay (None: the campaign's retry policy again) and reschedule its no-answer
    leads waiting for their next attempt; returns how many were rescheduled (audited)."""
    if delay_s is not None and not 60 <= delay_s <= 90 * 86400:
        raise CampaignError("the no-answer delay must be between 1 minute and 90 days")
    async with conn.transaction():
        row = await _lock_list(conn, list_id)
        await conn.execute("UPDATE lists SET recycle_no_answer_s = $2 WHERE id = $1", list_id, delay_s)
        count = 0
        if delay_s is not None:
            result = await conn.execute(
                "UPDATE leads SET next_attempt_at = last_attempt_at + $2::interval"
                " WHERE list_id = $1 AND status = 'retry' AND last_outcome = 'no_answer' AND last_attempt_at IS NOT NULL",
                list_id, timedelta(seconds=delay_s))
            count = int(result.split()[-1])
        await _audit(conn, campaign_id=row["campaign_id"], list_id=list_id, lead_id=None, action="list_recycle",
                     actor=actor, now=now, affected=count,
                     detail={"list": row["name"], "delay_s": delay_s, "was_s": row["recycle_no_answer_s"]})
    return count


async def delete_list(conn: asyncpg.Connection, *, list_id: int, actor: Actor, now: datetime) -> int:
    """Delete the list and its leads (their call records stay); refused while one of them is being dialled.
    Returns how many leads went (audited with the list's name and counts)."""
    async with conn.transaction():
        row = await _lock_list(conn, list_id)
        if row["status"] == "importing":
            raise LeadEditRefused("list_importing", "the list is still being imported; delete it once it is ready")
        # a claim made after this check would be of a lead this transaction is about to delete: lock them
        statuses = await conn.fetch("SELECT status, count(*) AS n FROM (SELECT status FROM leads WHERE list_id = $1"
                                    " FOR UPDATE) s GROUP BY status", list_id)
        counts = {r["status"]: r["n"] for r in statuses}
        if counts.get("claimed"):
            raise LeadEditRefused("list_in_use", f"{counts['claimed']} leads of this list are being dialled;"
                                  " disable the list and delete it when their calls have ended")
        result = await conn.execute("DELETE FROM leads WHERE list_id = $1", list_id)
        await conn.execute("DELETE FROM lists WHERE id = $1", list_id)
        deleted = int(result.split()[-1])
        await _audit(conn, campaign_id=row["campaign_id"], list_id=list_id, lead_id=None, action="list_delete",
                     actor=actor, now=now, affected=deleted, detail={"list": row["name"], "statuses": counts})
    return deleted
