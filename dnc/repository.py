"""DNC storage in PostgreSQL: lists, entries, registry files and the audit trail, with the SQL of each.

Every function takes the connection and keyword-only arguments; the caller owns any outer transaction
(a change and its audit row are written in one transaction, a savepoint when one is already open).
Each change sends ``NOTIFY dnc_changed`` with a JSON payload (delivered when the transaction commits)
that ``dnc.checker`` applies to its in-memory index: ``{"op": "add"|"remove", "list_id", "key",
"expires_s"}`` for one number, ``{"op": "reload"}`` for anything bigger.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np

from dialer.reasons import Reason, code_of
from dnc import registry_files
from dnc.errors import DncError, UnknownList
from dnc.lists import AuditRecord, DncEntry, DncList, ListKind, ListSummary, RegistryFile
from dnc.numbers import to_key, to_keys

CHANNEL = "dnc_changed"


def _list(row: asyncpg.Record) -> DncList:
    return DncList(row["id"], row["name"], ListKind(row["kind"]), row["campaign_id"], row["created_at"])


async def notify(conn: asyncpg.Connection, payload: dict[str, Any]) -> None:
    """Announce a change to every DNC checker (on commit)."""
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, json.dumps(payload))


async def audit(
    conn: asyncpg.Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    list_id: int | None,
    number: str | None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> int:
    """Append one audit row; returns its id."""
    return int(
        await conn.fetchval(
            "INSERT INTO dnc_audit (at, actor, action, list_id, number, reason, details, reason_code, reason_params)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            at,
            actor,
            action,
            list_id,
            number,
            reason,
            details or {},
            *code_of(reason),           # a dialer.reasons.Reason (an import's): its code, for the reader's language
        )
    )


async def create_list(
    conn: asyncpg.Connection,
    *,
    name: str,
    kind: ListKind,
    actor: str,
    now: datetime,
    campaign_id: int | None = None,
) -> DncList:
    """A new list (campaign lists need ``campaign_id``, other kinds must not have one)."""
    if (kind is ListKind.CAMPAIGN) != (campaign_id is not None):
        raise DncError("a campaign list needs a campaign id, and only a campaign list has one")
    async with conn.transaction():
        try:
            row = await conn.fetchrow(
                "INSERT INTO dnc_lists (name, kind, campaign_id, created_at) VALUES ($1, $2, $3, $4)"
                " RETURNING *",
                name,
                kind.value,
                campaign_id,
                now,
            )
        except asyncpg.UniqueViolationError:
            raise DncError(f"a DNC list named {name!r} already exists") from None
        except asyncpg.CheckViolationError:
            raise DncError(f"{name!r} is not a valid list name (letters, digits, _ . : - up to 64)") from None
        assert row is not None
        await audit(
            conn,
            at=now,
            actor=actor,
            action="create_list",
            list_id=row["id"],
            number=None,
            details={"name": name, "kind": kind.value, "campaign_id": campaign_id},
        )
        await notify(conn, {"op": "reload"})
    return _list(row)


async def get_list(conn: asyncpg.Connection, *, name: str) -> DncList:
    """The list called ``name``; ``UnknownList`` if there is none."""
    row = await conn.fetchrow("SELECT * FROM dnc_lists WHERE name = $1", name)
    if row is None:
        raise UnknownList(f"there is no DNC list named {name!r}")
    return _list(row)


async def ensure_list(
    conn: asyncpg.Connection,
    *,
    name: str,
    kind: ListKind,
    actor: str,
    now: datetime,
    campaign_id: int | None = None,
) -> DncList:
    """The list called ``name``, created with ``kind`` if missing (an existing one of another kind: error)."""
    try:
        found = await get_list(conn, name=name)
    except UnknownList:
        return await create_list(conn, name=name, kind=kind, actor=actor, now=now, campaign_id=campaign_id)
    if found.kind is not kind:
        raise DncError(Reason("dnc_list_other_kind", {"name": repr(name), "kind": found.kind.value,
                                                      "wanted": kind.value}))
    return found


async def all_lists(conn: asyncpg.Connection) -> list[DncList]:
    """Every list, by id."""
    return [_list(r) for r in await conn.fetch("SELECT * FROM dnc_lists ORDER BY id")]


async def list_summaries(conn: asyncpg.Connection) -> list[ListSummary]:
    """Every list with its row count and the size of its newest registry file."""
    rows = await conn.fetch(
        "SELECT l.*, (SELECT count(*) FROM dnc_entries e WHERE e.list_id = l.id) AS entries,"
        " COALESCE((SELECT f.count FROM dnc_registry_files f WHERE f.list_id = l.id"
        "           ORDER BY f.id DESC LIMIT 1), 0) AS registry_count"
        " FROM dnc_lists l ORDER BY l.id"
    )
    return [ListSummary(_list(r), r["entries"], r["registry_count"]) for r in rows]


async def add_entry(
    conn: asyncpg.Connection,
    *,
    list_name: str,
    number: str,
    actor: str,
    reason: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> DncEntry:
    """Put E.164 ``number`` on the list (or renew it with a new reason and expiry), audited."""
    key = to_key(number)
    if expires_at is not None and expires_at <= now:
        raise DncError("the expiry must be in the future")
    async with conn.transaction():
        lst = await get_list(conn, name=list_name)
        await conn.execute(
            "INSERT INTO dnc_entries (list_id, number, added_by, reason, added_at, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (list_id, number) DO UPDATE SET added_by = EXCLUDED.added_by,"
            " reason = EXCLUDED.reason, added_at = EXCLUDED.added_at, expires_at = EXCLUDED.expires_at,"
            " reason_code = '', reason_params = ''",          # a typed reason replaces an import's
            lst.id,
            number,
            actor,
            reason,
            now,
            expires_at,
        )
        await audit(
            conn,
            at=now,
            actor=actor,
            action="add",
            list_id=lst.id,
            number=number,
            reason=reason,
            details={"expires_at": expires_at.isoformat() if expires_at else None},
        )
        await notify(
            conn,
            {
                "op": "add",
                "list_id": lst.id,
                "key": key,
                "expires_s": expires_at.timestamp() if expires_at else None,
            },
        )
    return DncEntry(list_name, number, actor, reason, now, expires_at)


async def remove_entry(
    conn: asyncpg.Connection, *, list_name: str, number: str, actor: str, reason: str, now: datetime
) -> bool:
    """Take ``number`` off the list, audited; False (and no audit row) when it was not on it."""
    key = to_key(number)
    async with conn.transaction():
        lst = await get_list(conn, name=list_name)
        if lst.kind is ListKind.NATIONAL and await _in_registry(conn, list_id=lst.id, key=key):
            raise DncError(
                f"{number} comes from the imported registry of {list_name!r}; "
                "import a new registry file to change it"
            )
        gone = await conn.fetchval(
            "DELETE FROM dnc_entries WHERE list_id = $1 AND number = $2 RETURNING number", lst.id, number
        )
        if gone is None:
            return False
        await audit(conn, at=now, actor=actor, action="remove", list_id=lst.id, number=number, reason=reason)
        await notify(conn, {"op": "remove", "list_id": lst.id, "key": key})
    return True


async def _in_registry(conn: asyncpg.Connection, *, list_id: int, key: int) -> bool:
    files = [f for f in await current_registry_files(conn) if f.list_id == list_id]
    return bool(files) and bool(registry_files.contains_sorted(files[0].path, np.array([key]))[0])


async def entries_for_number(conn: asyncpg.Connection, *, number: str) -> list[DncEntry]:
    """Every row entry of ``number`` (expired ones too), on any list."""
    rows = await conn.fetch(
        "SELECT l.name, e.* FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id"
        " WHERE e.number = $1 ORDER BY l.id",
        number,
    )
    return [
        _entry(r["name"], r)
        for r in rows
    ]


async def export_entries(conn: asyncpg.Connection, *, list_name: str) -> list[DncEntry]:
    """Every row entry of a list, by number."""
    lst = await get_list(conn, name=list_name)
    rows = await conn.fetch("SELECT * FROM dnc_entries WHERE list_id = $1 ORDER BY number", lst.id)
    return [
        _entry(list_name, r)
        for r in rows
    ]


async def entries_page(
    conn: asyncpg.Connection, *, list_id: int, list_name: str, start: str | None = None,
    before: str | None = None, limit: int = 100,
) -> list[DncEntry]:
    """Up to ``limit`` row entries of a list in number order: from ``start`` on, or the ``limit`` just
    before ``before`` (still in number order), or from the first."""
    if before is not None:
        rows = await conn.fetch(
            "SELECT * FROM (SELECT * FROM dnc_entries WHERE list_id = $1 AND number < $2"
            " ORDER BY number DESC LIMIT $3) page ORDER BY number", list_id, before, limit)
    else:
        rows = await conn.fetch(
            "SELECT * FROM dnc_entries WHERE list_id = $1 AND number >= $2 ORDER BY number LIMIT $3",
            list_id, start or "", limit)
    return [
        _entry(list_name, r)
        for r in rows
    ]


async def iter_entries(conn: asyncpg.Connection, *, list_id: int, list_name: str) -> AsyncIterator[DncEntry]:
    """Every row entry of a list in number order (a cursor: call inside a transaction)."""
    async for r in conn.cursor("SELECT * FROM dnc_entries WHERE list_id = $1 ORDER BY number", list_id,
                               prefetch=5000):
        yield _entry(list_name, r)


def _entry(list_name: str, r: asyncpg.Record) -> DncEntry:
    return DncEntry(list_name, r["number"], r["added_by"], r["reason"], r["added_at"], r["expires_at"],
                    r["reason_code"], r["reason_params"])


async def bulk_add(
    conn: asyncpg.Connection, *, list_id: int, numbers: Sequence[str], actor: str, reason: str, now: datetime
) -> int:
    """Add E.164 ``numbers`` to a row list in one statement (existing ones kept); returns how many were new.

    The caller audits the import as a whole and sends the reload notification.
    """
    return int(
        await conn.fetchval(
            "WITH ins AS (INSERT INTO dnc_entries (list_id, number, added_by, reason, added_at, reason_code,"
            " reason_params) SELECT $1, n, $3, $4, $5, $6, $7 FROM unnest($2::text[]) AS n"
            " ON CONFLICT (list_id, number) DO NOTHING RETURNING 1) SELECT count(*) FROM ins",
            list_id,
            list(numbers),
            actor,
            reason,
            now,
            *code_of(reason),           # a dialer.reasons.Reason (an import's): its code, for the reader's language
        )
    )


async def active_rows(conn: asyncpg.Connection, *, now: datetime) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per list id: (int64 keys, expiry epoch seconds with inf for never) of its unexpired rows."""
    rows = await conn.fetch(
        "SELECT list_id, number, COALESCE(extract(epoch FROM expires_at)::float8, 'infinity') AS exp"
        " FROM dnc_entries WHERE expires_at IS NULL OR expires_at > $1 ORDER BY list_id",
        now,
    )
    out: dict[int, tuple[list[int], list[float]]] = {}
    for r in rows:
        keys, exps = out.setdefault(r["list_id"], ([], []))
        keys.append(int(r["number"][1:]))
        exps.append(r["exp"])
    return {lid: (np.array(k, dtype=np.int64), np.array(e, dtype=np.float64)) for lid, (k, e) in out.items()}


async def register_registry_file(
    conn: asyncpg.Connection,
    *,
    list_id: int,
    path: str,
    count: int,
    sha256: str,
    actor: str,
    now: datetime,
    details: dict[str, Any],
) -> None:
    """Make ``path`` the list's current registry file, audited, and tell the checkers to reload."""
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO dnc_registry_files (list_id, path, count, sha256, imported_at, imported_by)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            list_id,
            path,
            count,
            sha256,
            now,
            actor,
        )
        await audit(
            conn,
            at=now,
            actor=actor,
            action="import",
            list_id=list_id,
            number=None,
            # the audit trail names the file, never its server path (the registry table keeps that)
            details={"file": Path(path).name, "count": count, "sha256": sha256, **details},
        )
        await notify(conn, {"op": "reload"})


async def current_registry_files(conn: asyncpg.Connection) -> list[RegistryFile]:
    """The newest registry file of each list that has one."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (list_id) * FROM dnc_registry_files ORDER BY list_id, id DESC"
    )
    return [
        RegistryFile(r["list_id"], r["path"], r["count"], r["sha256"], r["imported_at"], r["imported_by"])
        for r in rows
    ]


async def audit_page(
    conn: asyncpg.Connection, *, number: str | None = None, before_id: int | None = None, limit: int = 50
) -> list[AuditRecord]:
    """Audit rows, newest first, optionally of one number, older than ``before_id`` (for paging)."""
    rows = await conn.fetch(
        "SELECT a.*, l.name AS list_name FROM dnc_audit a LEFT JOIN dnc_lists l ON l.id = a.list_id"
        " WHERE ($1::text IS NULL OR a.number = $1) AND ($2::bigint IS NULL OR a.id < $2)"
        " ORDER BY a.id DESC LIMIT $3",
        number,
        before_id,
        limit,
    )
    return [
        AuditRecord(
            r["id"], r["at"], r["actor"], r["action"], r["list_name"], r["number"], r["reason"], r["details"],
            r["reason_code"], r["reason_params"],
        )
        for r in rows
    ]


async def numbers_on_dnc(
    conn: asyncpg.Connection, numbers: Sequence[str], *, campaign_id: int | None, now: datetime
) -> dict[str, str]:
    """The E.164 ``numbers`` not to be called for ``campaign_id``, each with the name of a blocking list.

    Covers internal lists, the campaign's own lists and national registries (rows and imported files),
    ignoring expired entries; SMS opt-outs do not block calls. Internal lists are named first, then the
    campaign's, then national ones. Raises ``InvalidNumber`` for a number not in E.164 form.
    """
    keys = to_keys(numbers)
    rows = await conn.fetch(
        "SELECT DISTINCT ON (e.number) e.number, l.name"
        " FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id"
        " WHERE e.number = ANY($1::text[]) AND (e.expires_at IS NULL OR e.expires_at > $3)"
        "   AND (l.kind IN ('internal', 'national') OR (l.kind = 'campaign' AND l.campaign_id = $2))"
        " ORDER BY e.number, CASE l.kind WHEN 'internal' THEN 0 WHEN 'campaign' THEN 1 ELSE 2 END, l.id",
        list(numbers),
        campaign_id,
        now,
    )
    blocked = {r["number"]: r["name"] for r in rows}
    files = await current_registry_files(conn)
    if files and len(keys):
        names = {lst.id: lst.name for lst in await all_lists(conn)}
        for f in files:
            hit = registry_files.contains_sorted(f.path, keys)
            for i in np.flatnonzero(hit).tolist():
                blocked.setdefault(numbers[i], names[f.list_id])
    return blocked


# --- scrubbing a campaign's leads (the leads table belongs to campaigns; these are the DNC updates of it)

SCRUBBABLE = ("new", "retry", "callback")


async def scrub_candidates(conn: asyncpg.Connection, *, campaign_id: int) -> list[tuple[int, str]]:
    """(lead id, E.164 phone) of the campaign's leads that could still be dialled."""
    rows = await conn.fetch(
        "SELECT id, phone_e164 FROM leads WHERE campaign_id = $1 AND status = ANY($2::text[]) ORDER BY id",
        campaign_id,
        list(SCRUBBABLE),
    )
    return [(r["id"], r["phone_e164"]) for r in rows]


async def mark_leads_dnc(conn: asyncpg.Connection, *, lead_ids: Sequence[int]) -> list[tuple[int, str]]:
    """Set ``status = 'dnc'`` on those of ``lead_ids`` still dialable; returns (id, phone) of the changed."""
    rows = await conn.fetch(
        "UPDATE leads SET status = 'dnc' WHERE id = ANY($1::bigint[]) AND status = ANY($2::text[])"
        " RETURNING id, phone_e164",
        list(lead_ids),
        list(SCRUBBABLE),
    )
    return sorted((r["id"], r["phone_e164"]) for r in rows)
