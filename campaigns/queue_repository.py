"""PostgreSQL access for inbound queues: settings, DIDs, VIP numbers and agents' skill levels (SQL beside each).

Saving a queue runs in one transaction under an advisory lock shared by every queue save, so the checks
that need the other queues hold when the row is written: a DID already routed to another queue is refused
naming both queues, an overflow that would come back to a queue is refused naming the loop, and the
overflow queue and callback campaign must exist. Functions take the connection (or pool) first and
keyword-only arguments after.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeAlias

import asyncpg

from campaigns.errors import NotFound
from campaigns.queues import Queue, QueueError, overflow_cycle
from dialer.db import transaction

Conn: TypeAlias = "asyncpg.Connection | asyncpg.Pool"
SAVE_LOCK = 7201150          # pg_advisory_xact_lock key serialising queue saves
_COLUMNS = ("q.id, q.name, q.settings, q.overflow_queue_id, q.callback_campaign_id, q.created_at,"
            " COALESCE((SELECT array_agg(d.did ORDER BY d.did) FROM queue_dids d WHERE d.queue_id = q.id),"
            " '{}') AS dids")
_OWN_COLUMNS = ("id", "name", "dids", "overflow_queue_id", "callback_campaign_id", "created_at")


def queue_from_row(row: asyncpg.Record) -> Queue:
    data: dict[str, Any] = dict(row["settings"] or {})
    data.update(name=row["name"], dids=list(row["dids"]), overflow_queue_id=row["overflow_queue_id"],
                callback_campaign_id=row["callback_campaign_id"])
    return replace(Queue.from_dict(data, id=row["id"]), created_at=row["created_at"])


def _settings(queue: Queue) -> dict[str, Any]:
    return {k: v for k, v in queue.as_dict().items() if k not in _OWN_COLUMNS}


async def _check_against_others(conn: asyncpg.Connection, queue: Queue) -> None:
    """The checks that read other queues (run under ``SAVE_LOCK``)."""
    taken = await conn.fetchrow(
        "SELECT d.did, q.name FROM queue_dids d JOIN inbound_queues q ON q.id = d.queue_id"
        " WHERE d.did = ANY($1::text[]) AND d.queue_id <> $2 ORDER BY d.did LIMIT 1",
        list(queue.dids), queue.id)
    if taken is not None:
        raise QueueError("dids", "did_taken", value=taken["did"], owner=taken["name"], queue=queue.name)
    if queue.overflow_action.value == "queue" and queue.overflow_queue_id is not None:
        rows = await conn.fetch("SELECT id, name, overflow_queue_id, settings->>'overflow_action' AS action"
                                " FROM inbound_queues")
        names = {r["id"]: r["name"] for r in rows}
        names[queue.id] = queue.name
        if queue.overflow_queue_id not in names:
            raise QueueError("overflow_queue_id", "overflow_unknown", value=queue.overflow_queue_id)
        targets = {r["id"]: r["overflow_queue_id"] if r["action"] == "queue" else None for r in rows}
        cycle = overflow_cycle(queue.id, queue.overflow_queue_id, targets)
        if cycle is not None:
            raise QueueError("overflow_queue_id", "overflow_cycle", target=names[queue.overflow_queue_id],
                             cycle=" → ".join(names[i] for i in cycle))
    if queue.callback_campaign_id is not None and not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = $1)", queue.callback_campaign_id):
        raise QueueError("callback_campaign_id", "callback_campaign_unknown", value=queue.callback_campaign_id)


async def save_queue(conn: Conn, *, queue: Queue, vip_numbers: Sequence[str] | None = None) -> Queue:
    """Insert (``queue.id == 0``) or update ``queue`` with its DIDs (and VIP numbers when given)."""
    queue = queue.validate()
    async with transaction(conn) as c:
        await c.execute("SELECT pg_advisory_xact_lock($1)", SAVE_LOCK)
        if queue.id == 0:
            # a provisional id so the checks see this queue as itself
            queue = replace(queue, id=await c.fetchval("SELECT nextval('inbound_queues_id_seq')"))
            await _check_against_others(c, queue)
            sql = ("INSERT INTO inbound_queues (id, name, settings, overflow_queue_id, callback_campaign_id)"
                   " VALUES ($1, $2, $3, $4, $5)")
        else:
            await _check_against_others(c, queue)
            sql = ("UPDATE inbound_queues SET name = $2, settings = $3, overflow_queue_id = $4,"
                   " callback_campaign_id = $5, updated_at = now() WHERE id = $1")
        try:
            status = await c.execute(sql, queue.id, queue.name, _settings(queue),
                                     queue.overflow_queue_id if queue.overflow_action.value == "queue" else None,
                                     queue.callback_campaign_id)
        except asyncpg.UniqueViolationError:
            raise QueueError("name", "name_taken", value=queue.name) from None
        if status == "UPDATE 0":
            raise NotFound(f"no queue {queue.id}")
        await c.execute("DELETE FROM queue_dids WHERE queue_id = $1", queue.id)
        await c.execute("INSERT INTO queue_dids (did, queue_id) SELECT d, $2 FROM unnest($1::text[]) d",
                        list(queue.dids), queue.id)
        if vip_numbers is not None:
            await _set_vip(c, queue.id, vip_numbers)
        return await get_queue(c, queue_id=queue.id)


async def get_queue(conn: Conn, *, queue_id: int) -> Queue:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM inbound_queues q WHERE q.id = $1", queue_id)
    if row is None:
        raise NotFound(f"no queue {queue_id}")
    return queue_from_row(row)


async def list_queues(conn: Conn) -> list[Queue]:
    return [queue_from_row(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM inbound_queues q ORDER BY q.name")]


async def queue_for_did(conn: Conn, *, did: str) -> Queue | None:
    """The queue a DID (E.164) routes to, or None when no queue owns it."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM inbound_queues q JOIN queue_dids d ON d.queue_id = q.id"
                              " WHERE d.did = $1", did)
    return queue_from_row(row) if row else None


async def delete_queue(conn: Conn, *, queue_id: int) -> None:
    """Delete a queue (its DIDs, VIP numbers and agents' levels go with it); refused while another overflows to it."""
    async with transaction(conn) as c:
        await c.execute("SELECT pg_advisory_xact_lock($1)", SAVE_LOCK)
        users = await c.fetch("SELECT name FROM inbound_queues WHERE overflow_queue_id = $1 AND id <> $1 ORDER BY name",
                              queue_id)
        if users:
            name = await c.fetchval("SELECT name FROM inbound_queues WHERE id = $1", queue_id)
            raise QueueError("overflow_queue_id", "overflow_in_use", value=name,
                             users=", ".join(r["name"] for r in users))
        if await c.execute("DELETE FROM inbound_queues WHERE id = $1", queue_id) == "DELETE 0":
            raise NotFound(f"no queue {queue_id}")


async def _set_vip(conn: asyncpg.Connection, queue_id: int, numbers: Sequence[str]) -> None:
    await conn.execute("DELETE FROM queue_vip_numbers WHERE queue_id = $1", queue_id)
    await conn.execute("INSERT INTO queue_vip_numbers (queue_id, phone_e164) SELECT $1, n FROM unnest($2::text[]) n"
                       " ON CONFLICT DO NOTHING", queue_id, list(numbers))


async def vip_numbers(conn: Conn, *, queue_id: int) -> list[str]:
    rows = await conn.fetch("SELECT phone_e164 FROM queue_vip_numbers WHERE queue_id = $1 ORDER BY phone_e164",
                            queue_id)
    return [r["phone_e164"] for r in rows]


VIP_LEADS_LOOKED_AT = 20     # leads of one number looked at for the VIP field (one per campaign, in practice)


async def campaign_regions(conn: Conn) -> list[str]:
    """The regions the campaigns read numbers in (a caller id without its country code is read in each)."""
    return [r["default_region"] for r in await conn.fetch(
        "SELECT DISTINCT default_region FROM campaigns WHERE default_region <> '' ORDER BY default_region")]


async def caller_is_vip(conn: Conn, *, queue: Queue, numbers: Sequence[str]) -> bool:
    """A caller is VIP in ``queue`` when any of ``numbers`` (every E.164 reading of its caller id,
    ``dialer.inbound_pop.caller_numbers``) is on the queue's VIP list, or a lead whose main number is one of
    them, in any campaign, has the queue's ``vip_lead_field`` (a column of the lead's file, or first_name,
    last_name, postal_code) holding ``vip_lead_value`` (``Queue.is_vip``)."""
    if not numbers:
        return False
    listed = bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM queue_vip_numbers WHERE queue_id = $1"
                                      " AND phone_e164 = ANY($2::text[]))", queue.id, list(numbers)))
    if listed or not queue.vip_lead_field:
        return listed
    rows = await conn.fetch("SELECT fields, first_name, last_name, postal_code FROM leads"
                            " WHERE phone_e164 = ANY($1::text[]) ORDER BY id LIMIT $2", list(numbers),
                            VIP_LEADS_LOOKED_AT)
    for row in rows:
        fields = row["fields"]
        fields = json.loads(fields) if isinstance(fields, str) else dict(fields or {})
        known = {"first_name": row["first_name"], "last_name": row["last_name"], "postal_code": row["postal_code"]}
        if queue.is_vip(on_vip_list=False, lead_fields={**known, **fields}):
            return True
    return False


async def set_queue_agents(conn: Conn, *, queue_id: int, levels: Mapping[int, int]) -> list[asyncpg.Record]:
    """Replace the agents serving ``queue_id`` with ``levels`` (user id -> skill level 1-10); agents only, of the
    queue's site (``QueueError`` naming agents)."""
    for user_id, level in levels.items():
        if not 1 <= int(level) <= 10:
            raise QueueError("agents", "level", value=user_id, level=level)
    async with transaction(conn) as c:
        await get_queue(c, queue_id=queue_id)
        ids = list(levels)
        agents = {r["id"] for r in await c.fetch(
            "SELECT id FROM users WHERE id = ANY($1::bigint[]) AND role = 'agent'", ids)}
        unknown = [u for u in ids if u not in agents]
        if unknown:
            raise QueueError("agents", "agent_unknown", value=unknown[0])
        elsewhere = await c.fetchrow(       # an agent of another site (an agent without a site works anywhere)
            "SELECT u.username, us.name AS agent_site, qs.name AS queue_site FROM users u"
            " JOIN inbound_queues q ON q.id = $1 JOIN sites qs ON qs.id = q.site_id JOIN sites us ON us.id = u.site_id"
            " WHERE u.id = ANY($2::bigint[]) AND u.site_id <> q.site_id ORDER BY u.username LIMIT 1", queue_id, ids)
        if elsewhere is not None:
            raise QueueError("agents", "agent_other_site", value=elsewhere["username"],
                             agent_site=elsewhere["agent_site"], queue_site=elsewhere["queue_site"])
        await c.execute("DELETE FROM agent_queue_skills WHERE queue_id = $1", queue_id)
        await c.execute("INSERT INTO agent_queue_skills (queue_id, user_id, level)"
                        " SELECT $1, u, l FROM unnest($2::bigint[], $3::smallint[]) AS x(u, l)",
                        queue_id, ids, [int(levels[u]) for u in ids])
        return await queue_agents(c, queue_id=queue_id)


async def queue_agents(conn: Conn, *, queue_id: int) -> list[asyncpg.Record]:
    """The agents serving ``queue_id``: user_id, username, display_name, level (highest level first)."""
    return await conn.fetch(
        "SELECT s.user_id, u.username, u.display_name, s.level FROM agent_queue_skills s"
        " JOIN users u ON u.id = s.user_id WHERE s.queue_id = $1 ORDER BY s.level DESC, u.username", queue_id)


async def agent_queue_levels(conn: Conn, *, user_id: int) -> dict[int, int]:
    """The queues an agent serves, queue id -> skill level."""
    rows = await conn.fetch("SELECT queue_id, level FROM agent_queue_skills WHERE user_id = $1", user_id)
    return {r["queue_id"]: r["level"] for r in rows}
