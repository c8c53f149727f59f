"""PostgreSQL access for campaigns, lists, leads, the hopper, callbacks and import rejects (SQL beside each function).

Every function takes the connection (or pool) first and keyword-only arguments after; the caller owns
the transaction. The hopper claims with ``FOR UPDATE SKIP LOCKED`` so two engines never get the same
lead, remembers the status it claimed from, and ``recover_stale_claims`` gives back leads whose engine
died.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

from campaigns.errors import CampaignError, NotFound
from campaigns.imports import Reject
from campaigns.model import (
    Callback,
    CallList,
    Campaign,
    CampaignState,
    DialMode,
    Lead,
    LeadStatus,
    MachineAction,
    Pacing,
    transition,
)
from campaigns.panel_settings import DEFAULT_PAUSE_CODES, PauseCode
from campaigns.retry_policy import DEFAULT_DISPOSITIONS, Disposition, RetryPolicy
from campaigns.windows import Schedule, WindowProfile
from dialer.reasons import code_of

Conn: TypeAlias = "asyncpg.Connection | asyncpg.Pool"

_CAMPAIGN_COLUMNS = (
    "id, name, state, dial_mode, pacing, caller_id, trunk_template, default_region, timezone, schedule,"
    " window_profile, custom_window, retry_policy, dispositions, record_calls, amd_enabled, machine_action,"
    " safe_harbor_message, crm_url_template, shortcuts, pause_codes, agent_script, notify_monitored, created_at"
)


def campaign_from_row(row: asyncpg.Record) -> Campaign:
    dispositions = tuple(Disposition.from_dict(d) for d in row["dispositions"] or ())
    return Campaign(
        id=row["id"], name=row["name"], trunk_template=row["trunk_template"], state=CampaignState(row["state"]),
        dial_mode=DialMode(row["dial_mode"]), pacing=Pacing(**(row["pacing"] or {})), caller_id=row["caller_id"],
        default_region=row["default_region"], timezone=row["timezone"], schedule=Schedule.from_dict(row["schedule"]),
        window_profile=row["window_profile"],
        custom_window=WindowProfile.from_dict(row["custom_window"]) if row["custom_window"] else None,
        retry_policy=RetryPolicy.from_dict(row["retry_policy"]), dispositions=dispositions or DEFAULT_DISPOSITIONS,
        record_calls=row["record_calls"], amd_enabled=row["amd_enabled"],
        machine_action=MachineAction(row["machine_action"]), safe_harbor_message=row["safe_harbor_message"],
        crm_url_template=row["crm_url_template"], shortcuts=dict(row["shortcuts"] or {}),
        pause_codes=tuple(PauseCode.from_dict(p) for p in row["pause_codes"] or ()) or DEFAULT_PAUSE_CODES,
        agent_script=row["agent_script"], notify_monitored=row["notify_monitored"], created_at=row["created_at"],
    )


def _campaign_values(c: Campaign) -> tuple[Any, ...]:
    return (
        c.name, c.dial_mode.value,
        {"ratio": c.pacing.ratio, "target_abandon": c.pacing.target_abandon}, c.caller_id, c.trunk_template,
        c.default_region, c.timezone, c.schedule.as_dict(), c.window_profile,
        c.custom_window.as_dict() if c.custom_window else None, c.retry_policy.as_dict(),
        [d.as_dict() for d in c.dispositions], c.record_calls, c.amd_enabled, c.machine_action.value,
        c.safe_harbor_message, c.crm_url_template, dict(c.shortcuts), [p.as_dict() for p in c.pause_codes],
        c.agent_script, c.notify_monitored,
    )


async def create_campaign(conn: Conn, *, campaign: Campaign) -> Campaign:
    """Insert ``campaign`` (its id is ignored); a taken name raises ``CampaignError``."""
    campaign = campaign.validate_settings()
    try:
        row = await conn.fetchrow(
            "INSERT INTO campaigns (name, dial_mode, pacing, caller_id, trunk_template, default_region,"
            " timezone, schedule, window_profile, custom_window, retry_policy, dispositions, record_calls,"
            " amd_enabled, machine_action, safe_harbor_message, crm_url_template, shortcuts, pause_codes,"
            " agent_script, notify_monitored, state)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,"
            " $21, $22)"
            f" RETURNING {_CAMPAIGN_COLUMNS}",
            *_campaign_values(campaign), campaign.state.value,
        )
    except asyncpg.UniqueViolationError:
        raise CampaignError(f"a campaign named {campaign.name!r} already exists") from None
    return campaign_from_row(row)


async def update_campaign(conn: Conn, *, campaign: Campaign) -> Campaign:
    """Store every setting of ``campaign`` except its state (use ``set_campaign_state``)."""
    campaign = campaign.validate_settings()
    try:
        row = await conn.fetchrow(
            "UPDATE campaigns SET name = $2, dial_mode = $3, pacing = $4, caller_id = $5, trunk_template = $6,"
            " default_region = $7, timezone = $8, schedule = $9, window_profile = $10, custom_window = $11,"
            " retry_policy = $12, dispositions = $13, record_calls = $14, amd_enabled = $15, machine_action = $16,"
            " safe_harbor_message = $17, crm_url_template = $18, shortcuts = $19, pause_codes = $20,"
            " agent_script = $21, notify_monitored = $22, updated_at = now()"
            f" WHERE id = $1 RETURNING {_CAMPAIGN_COLUMNS}",
            campaign.id, *_campaign_values(campaign),
        )
    except asyncpg.UniqueViolationError:
        raise CampaignError(f"a campaign named {campaign.name!r} already exists") from None
    if row is None:
        raise NotFound(f"no campaign {campaign.id}")
    return campaign_from_row(row)


async def get_campaign(conn: Conn, *, campaign_id: int) -> Campaign:
    row = await conn.fetchrow(f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1", campaign_id)
    if row is None:
        raise NotFound(f"no campaign {campaign_id}")
    return campaign_from_row(row)


async def find_campaign(conn: Conn, *, ref: str) -> Campaign:
    """A campaign by id (digits) or exact name."""
    row = await conn.fetchrow(
        f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE name = $1 OR ($2::bigint IS NOT NULL AND id = $2)"
        " ORDER BY name = $1 DESC LIMIT 1",
        ref, int(ref) if ref.isdigit() else None,
    )
    if row is None:
        raise NotFound(f"no campaign {ref!r}")
    return campaign_from_row(row)


async def list_campaigns(conn: Conn) -> list[Campaign]:
    return [campaign_from_row(r) for r in await conn.fetch(f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id")]


async def set_campaign_state(conn: asyncpg.Connection, *, campaign_id: int, target: CampaignState) -> Campaign:
    """Move a campaign to ``target`` if the state machine allows it (row locked while deciding)."""
    async with conn.transaction():
        state = await conn.fetchval("SELECT state FROM campaigns WHERE id = $1 FOR UPDATE", campaign_id)
        if state is None:
            raise NotFound(f"no campaign {campaign_id}")
        transition(CampaignState(state), target)
        await conn.execute("UPDATE campaigns SET state = $2, updated_at = now() WHERE id = $1", campaign_id, target.value)
    return await get_campaign(conn, campaign_id=campaign_id)


async def set_campaign_agents(conn: asyncpg.Connection, *, campaign_id: int, user_ids: Sequence[int]) -> list[int]:
    """Replace the agents assigned to a campaign; returns the assigned user ids."""
    async with conn.transaction():
        await conn.execute("DELETE FROM campaign_agents WHERE campaign_id = $1", campaign_id)
        await conn.execute(
            "INSERT INTO campaign_agents (campaign_id, user_id) SELECT $1, u FROM unnest($2::bigint[]) u",
            campaign_id, list(user_ids),
        )
    return await campaign_agents(conn, campaign_id=campaign_id)


async def campaign_agents(conn: Conn, *, campaign_id: int) -> list[int]:
    rows = await conn.fetch("SELECT user_id FROM campaign_agents WHERE campaign_id = $1 ORDER BY user_id", campaign_id)
    return [r["user_id"] for r in rows]


# --- lists and imports -------------------------------------------------------------------------------

_LIST_COLUMNS = ("id, campaign_id, name, source_filename, status, job_id, counts, error, created_at, finished_at,"
                 " region, header_row")


def _list(row: asyncpg.Record) -> CallList:
    return CallList(**dict(row.items()))


async def create_list(conn: Conn, *, campaign_id: int, name: str, source_filename: str,
                      created_by: int | None = None) -> CallList:
    row = await conn.fetchrow(
        "INSERT INTO lists (campaign_id, name, source_filename, created_by) VALUES ($1, $2, $3, $4)"
        f" RETURNING {_LIST_COLUMNS}", campaign_id, name, source_filename, created_by,
    )
    return _list(row)


async def set_list_job(conn: Conn, *, list_id: int, job_id: str) -> None:
    await conn.execute("UPDATE lists SET job_id = $2 WHERE id = $1", list_id, job_id)


async def set_list_region(conn: Conn, *, list_id: int, region: str) -> None:
    """The region for the list's numbers written without +country code ('' = the campaign's)."""
    await conn.execute("UPDATE lists SET region = $2 WHERE id = $1", list_id, region)


async def set_list_header_row(conn: Conn, *, list_id: int, header_row: int | None) -> None:
    """The row of the file holding the column names (None: the file has no header row; stored as 0)."""
    await conn.execute("UPDATE lists SET header_row = $2 WHERE id = $1", list_id, header_row or 0)


async def list_region(conn: Conn, *, list_id: int) -> str:
    """The list's own region, or '' when its numbers follow the campaign's default region."""
    return await conn.fetchval("SELECT region FROM lists WHERE id = $1", list_id) or ""


async def flag_lead_zones(conn: Conn, *, campaign_id: int, flags: Sequence[tuple[str, str]]) -> None:
    """Store on each lead (by number) why its file's time zone value was not used: the English text, and
    its code and parameters when it is a ``dialer.reasons.Reason``."""
    if flags:
        codes = [code_of(f) for _, f in flags]
        await conn.execute(
            "UPDATE leads SET timezone_flag = f.flag, timezone_flag_code = f.code, timezone_flag_params = f.params"
            " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS f(phone, flag, code, params)"
            " WHERE leads.campaign_id = $1 AND leads.phone_e164 = f.phone",
            campaign_id, [p for p, _ in flags], [f for _, f in flags], [c for c, _ in codes],
            [p for _, p in codes])


async def finish_list(conn: Conn, *, list_id: int, status: str, counts: dict[str, int], error: str,
                      at: datetime) -> None:
    await conn.execute(
        "UPDATE lists SET status = $2, counts = $3, error = $4, finished_at = $5 WHERE id = $1",
        list_id, status, counts, error, at,
    )


async def set_list_error_reason(conn: Conn, *, list_id: int, reason: str) -> None:
    """Why the list's import failed as a code and parameters (``dialer.reasons``; ``lists.error`` has the text)."""
    code, params = code_of(reason)
    await conn.execute("UPDATE lists SET error_code = $2, error_params = $3 WHERE id = $1", list_id, code, params)


async def list_error_reasons(conn: Conn, *, campaign_id: int) -> dict[int, tuple[str, str, str]]:
    """The failed lists of a campaign whose error has a code: list id -> (code, params JSON, English text)."""
    rows = await conn.fetch("SELECT id, error_code, error_params, error FROM lists"
                            " WHERE campaign_id = $1 AND error_code <> ''", campaign_id)
    return {r["id"]: (r["error_code"], r["error_params"], r["error"]) for r in rows}


async def get_list(conn: Conn, *, list_id: int) -> CallList:
    row = await conn.fetchrow(f"SELECT {_LIST_COLUMNS} FROM lists WHERE id = $1", list_id)
    if row is None:
        raise NotFound(f"no list {list_id}")
    return _list(row)


async def list_lists(conn: Conn, *, campaign_id: int) -> list[CallList]:
    rows = await conn.fetch(f"SELECT {_LIST_COLUMNS} FROM lists WHERE campaign_id = $1 ORDER BY id", campaign_id)
    return [_list(r) for r in rows]


STAGING_COLUMNS = ("line_no", "phone_e164", "alt_phones", "first_name", "last_name", "timezones", "postal_code",
                   "fields", "priority", "name_words")


async def create_staging(conn: asyncpg.Connection) -> None:
    """A temporary table for one chunk of an import (emptied at each commit)."""
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS import_staging (line_no integer, phone_e164 text, alt_phones text[],"
        " first_name text, last_name text, timezones text[], postal_code text, fields text, priority integer,"
        " name_words tsvector)"
        " ON COMMIT DELETE ROWS"
    )


async def store_chunk(conn: asyncpg.Connection, *, campaign_id: int, list_id: int, staging_csv: bytes) -> set[str]:
    """Insert staged rows (COPY CSV, ``imports.staging_line``) as leads, skipping numbers already in the
    campaign (ON CONFLICT DO NOTHING); returns the numbers inserted."""
    async with conn.transaction():
        # a chunk lost in a crash is simply imported again; no need to wait for its WAL flush
        await conn.execute("SET LOCAL synchronous_commit = off")
        await conn.copy_to_table("import_staging", source=io.BytesIO(staging_csv), columns=STAGING_COLUMNS,
                                 format="csv")
        rows = await conn.fetch(
            "INSERT INTO leads (campaign_id, list_id, phone_e164, alt_phones, first_name, last_name,"
            " timezones, postal_code, fields, priority, name_words)"
            " SELECT $1, $2, phone_e164, alt_phones, first_name, last_name, timezones, postal_code, fields::jsonb,"
            " priority, name_words FROM import_staging ON CONFLICT (campaign_id, phone_e164) DO NOTHING RETURNING phone_e164",
            campaign_id, list_id,
        )
    return {r[0] for r in rows}


async def analyze_leads(conn: Conn) -> None:
    """Refresh the planner's statistics after a bulk import, so the hopper's plans stay index scans."""
    await conn.execute("ANALYZE leads")


async def store_rejects(conn: asyncpg.Connection, *, list_id: int, rejects: Sequence[Reject]) -> None:
    """Rejects as ``(line, kind, reason, raw)``: the reason's English text, and its code and parameters when
    it is a ``dialer.reasons.Reason`` (the pages' and web report's language)."""
    if rejects:
        await conn.copy_records_to_table(
            "import_rejects", records=[(list_id, *r, *code_of(r[2])) for r in rejects],
            columns=("list_id", "line_no", "kind", "reason", "raw", "reason_code", "reason_params"))


async def iter_rejects(conn: asyncpg.Connection, *, list_id: int) -> AsyncIterator[asyncpg.Record]:
    """The rejects of a list in line order (a cursor: call inside a transaction)."""
    async for row in conn.cursor("SELECT line_no, kind, reason, raw, reason_code, reason_params FROM import_rejects"
                                 " WHERE list_id = $1 ORDER BY line_no", list_id, prefetch=5000):
        yield row


async def first_rejects(conn: Conn, *, list_ids: Sequence[int], limit: int = 20) -> dict[int, list[asyncpg.Record]]:
    """The first ``limit`` rejects of each list, by line (what the campaign page shows under a list)."""
    rows = await conn.fetch(
        "SELECT l.id AS list_id, r.line_no, r.kind, r.reason, r.raw, r.reason_code, r.reason_params"
        " FROM unnest($1::bigint[]) AS l(id) CROSS JOIN LATERAL (SELECT * FROM import_rejects"
        " WHERE list_id = l.id ORDER BY line_no LIMIT $2) AS r", list(list_ids), limit)
    found: dict[int, list[asyncpg.Record]] = {}
    for row in rows:
        found.setdefault(row["list_id"], []).append(row)
    return found


# --- leads and the hopper ----------------------------------------------------------------------------

_LEAD_COLUMNS = (
    "id, campaign_id, list_id, phone_e164, alt_phones, first_name, last_name, timezones, postal_code, fields,"
    " status, attempts, attempt_times, last_outcome, last_attempt_at, next_attempt_at, last_abandoned_at, priority,"
    " callback_agent_id, claimed_by, claimed_at"
)

_LEAD_COLUMNS_L = ", ".join("l." + c.strip() for c in _LEAD_COLUMNS.split(","))


def lead_from_row(row: asyncpg.Record) -> Lead:
    return Lead(
        id=row["id"], campaign_id=row["campaign_id"], list_id=row["list_id"], phone_e164=row["phone_e164"],
        alt_phones=tuple(row["alt_phones"]), first_name=row["first_name"], last_name=row["last_name"],
        timezones=tuple(row["timezones"]), postal_code=row["postal_code"], fields=row["fields"] or {},
        status=LeadStatus(row["status"]), attempts=row["attempts"], attempt_times=tuple(row["attempt_times"]),
        last_outcome=row["last_outcome"], last_attempt_at=row["last_attempt_at"],
        next_attempt_at=row["next_attempt_at"], last_abandoned_at=row["last_abandoned_at"],
        priority=row["priority"], callback_agent_id=row["callback_agent_id"], claimed_by=row["claimed_by"],
        claimed_at=row["claimed_at"],
    )


async def get_lead(conn: Conn, *, lead_id: int) -> Lead:
    row = await conn.fetchrow(f"SELECT {_LEAD_COLUMNS} FROM leads WHERE id = $1", lead_id)
    if row is None:
        raise NotFound(f"no lead {lead_id}")
    return lead_from_row(row)


async def search_leads(conn: Conn, *, campaign_id: int, text: str = "", status: LeadStatus | None = None,
                       limit: int = 50, after_id: int = 0) -> list[Lead]:
    """Leads of a campaign by id order; ``text`` is a number in any format or a name, read as on the team
    lead's leads page (``campaigns.lead_search``: the campaign's and its lists' regions, accents and case
    ignored, ``%`` and ``_`` literal)."""
    from campaigns.lead_search import LeadQuery, build_where

    regions = [r[0] for r in await conn.fetch(
        "SELECT default_region FROM campaigns WHERE id = $1"
        " UNION SELECT region FROM lists WHERE campaign_id = $1 AND region <> ''", campaign_id)]
    query = LeadQuery(campaign_ids=(campaign_id,), text=text, statuses=(status,) if status else ())
    where, args = build_where(query, regions=regions, alias="leads")
    n = len(args)
    rows = await conn.fetch(f"SELECT {_LEAD_COLUMNS} FROM leads WHERE {where} AND id > ${n + 1} ORDER BY id"
                            f" LIMIT ${n + 2}", *args, after_id, limit)
    return [lead_from_row(r) for r in rows]


async def count_leads(conn: Conn, *, campaign_id: int) -> dict[str, int]:
    rows = await conn.fetch("SELECT status, count(*) AS n FROM leads WHERE campaign_id = $1 GROUP BY status",
                            campaign_id)
    return {r["status"]: r["n"] for r in rows}


# leads of a disabled list are held (migration 0117): out of the hopper's partial index, never claimed
_ACTIVE_LISTS = "AND NOT list_held"


async def claim_leads(conn: Conn, *, campaign_id: int, limit: int, engine_id: str, now: datetime) -> list[Lead]:
    """Claim up to ``limit`` due leads: due callbacks first, then due retries, then new leads (priority, id).
    Leads of a disabled list (held: ``campaigns.list_admin.set_list_active``) are never claimed."""
    rows = await conn.fetch(
        # each tier locks its own rows (FOR UPDATE is not allowed on a UNION itself)
        "WITH callbacks AS (SELECT id, 1 AS tier FROM leads WHERE campaign_id = $1 AND status = 'callback'"
        f"  AND next_attempt_at <= $3 {_ACTIVE_LISTS} ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),"
        " retries AS (SELECT id, 2 AS tier FROM leads WHERE campaign_id = $1 AND status = 'retry'"
        f"  AND next_attempt_at <= $3 {_ACTIVE_LISTS} ORDER BY priority DESC, id LIMIT $2 FOR UPDATE SKIP LOCKED),"
        " fresh AS (SELECT id, 3 AS tier FROM leads WHERE campaign_id = $1 AND status = 'new'"
        f"  AND (next_attempt_at IS NULL OR next_attempt_at <= $3) {_ACTIVE_LISTS} ORDER BY priority DESC, id LIMIT $2"
        "  FOR UPDATE SKIP LOCKED),"
        " picked AS (SELECT * FROM callbacks UNION ALL SELECT * FROM retries UNION ALL SELECT * FROM fresh),"
        " chosen AS (SELECT id, tier FROM picked ORDER BY tier LIMIT $2)"
        " UPDATE leads l SET prev_status = l.status, status = 'claimed', claimed_by = $4, claimed_at = $3"
        f" FROM chosen WHERE l.id = chosen.id RETURNING chosen.tier, {_LEAD_COLUMNS_L}",
        campaign_id, limit, now, engine_id,
    )
    return [lead_from_row(r) for r in sorted(rows, key=lambda r: (r["tier"], -r["priority"], r["id"]))]


# a lead whose call is still going on (its record has no outcome yet) stays claimed when its engine gives its
# leads back: handed back, it was the first the next claim took, and its customer was dialled again while still
# on the line; the call's end (or the engine that adopts it after a restart) gives it its next step
NO_CALL_GOING_ON = ("NOT EXISTS (SELECT 1 FROM call_records c WHERE c.lead_id = leads.id AND c.outcome IS NULL"
                    " AND c.direction <> 'inbound')")


async def release_leads(conn: Conn, *, campaign_id: int | None, engine_id: str) -> int:
    """Give back every lead ``engine_id`` holds in a campaign (pause, shutdown), or in every campaign (None:
    after its crash), but those of calls still going on; returns how many."""
    result = await conn.execute(
        "UPDATE leads SET status = COALESCE(prev_status, 'new'), prev_status = NULL, claimed_by = NULL,"
        " claimed_at = NULL WHERE ($1::bigint IS NULL OR campaign_id = $1) AND claimed_by = $2"
        f" AND status = 'claimed' AND {NO_CALL_GOING_ON}",
        campaign_id, engine_id,
    )
    return int(result.split()[-1])


async def defer_lead(conn: Conn, *, lead_id: int, next_attempt_at: datetime | None) -> None:
    """Give back a claimed lead that may not be dialled yet, not to be claimed before ``next_attempt_at``."""
    await conn.execute(
        "UPDATE leads SET status = COALESCE(prev_status, 'new'), prev_status = NULL, claimed_by = NULL,"
        " claimed_at = NULL, next_attempt_at = $2 WHERE id = $1 AND status = 'claimed'",
        lead_id, next_attempt_at,
    )


async def refuse_claimed_lead(conn: Conn, *, lead_id: int, status: LeadStatus) -> None:
    """Close a claimed lead the dial-time check refused for good (``dnc``, ``invalid``) and free its claim."""
    await conn.execute(
        "UPDATE leads SET status = $2, prev_status = NULL, claimed_by = NULL, claimed_at = NULL"
        " WHERE id = $1 AND status = 'claimed'",
        lead_id, status.value,
    )


async def recover_stale_claims(conn: Conn, *, older_than: datetime) -> int:
    """Release claims made before ``older_than`` (their engine died); returns how many."""
    result = await conn.execute(
        "UPDATE leads SET status = COALESCE(prev_status, 'new'), prev_status = NULL, claimed_by = NULL,"
        " claimed_at = NULL WHERE status = 'claimed' AND claimed_at < $1",
        older_than,
    )
    return int(result.split()[-1])


async def record_attempt_result(conn: Conn, *, lead_id: int, outcome: str, at: datetime,
                                next_attempt_at: datetime | None, final: bool, abandoned: bool) -> Lead:
    """Count an attempt and apply its retry decision: 'done' if final, else 'retry' at ``next_attempt_at``."""
    row = await conn.fetchrow(
        "UPDATE leads SET attempts = attempts + 1,"
        " attempt_times = (SELECT array_agg(t ORDER BY t) FROM (SELECT t FROM unnest(attempt_times || $3::timestamptz) t"
        "   ORDER BY t DESC LIMIT 50) recent),"
        " last_outcome = $2, last_attempt_at = $3::timestamptz, next_attempt_at = $4::timestamptz,"
        " last_abandoned_at = CASE WHEN $6::boolean THEN $3::timestamptz ELSE last_abandoned_at END,"
        " status = CASE WHEN status IN ('dnc', 'invalid') THEN status WHEN $5::boolean THEN 'done' ELSE 'retry' END,"
        " prev_status = NULL, claimed_by = NULL, claimed_at = NULL, callback_agent_id = NULL"
        f" WHERE id = $1 RETURNING {_LEAD_COLUMNS}",
        lead_id, outcome, at, next_attempt_at, final, abandoned,
    )
    if row is None:
        raise NotFound(f"no lead {lead_id}")
    await conn.execute("UPDATE callbacks SET done_at = $2 WHERE lead_id = $1 AND done_at IS NULL AND due_at <= $2",
                       lead_id, at)
    return lead_from_row(row)


# --- callbacks -------------------------------------------------------------------------------------------

_CALLBACK_COLUMNS = "id, lead_id, campaign_id, due_at, agent_id, created_by, note, done_at"


async def create_callback(conn: asyncpg.Connection, *, lead_id: int, due_at: datetime, agent_id: int | None,
                          created_by: int | None, note: str = "") -> Callback:
    """Schedule a callback (personal when ``agent_id`` is set) and make the lead due at ``due_at``."""
    async with conn.transaction():
        campaign_id = await conn.fetchval(
            "UPDATE leads SET status = CASE WHEN status = 'claimed' THEN status ELSE 'callback' END,"
            " prev_status = CASE WHEN status = 'claimed' THEN 'callback' ELSE prev_status END,"
            " next_attempt_at = $2, callback_agent_id = $3"
            " WHERE id = $1 AND status NOT IN ('dnc', 'invalid') RETURNING campaign_id",
            lead_id, due_at, agent_id,
        )
        if campaign_id is None:
            raise CampaignError(f"lead {lead_id} does not exist or may not be called")
        row = await conn.fetchrow(
            "INSERT INTO callbacks (lead_id, campaign_id, due_at, agent_id, created_by, note)"
            f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_CALLBACK_COLUMNS}",
            lead_id, campaign_id, due_at, agent_id, created_by, note,
        )
    return Callback(**dict(row))


async def list_callbacks(conn: Conn, *, campaign_id: int, agent_id: int | None = None,
                         pending_only: bool = True) -> list[Callback]:
    """Callbacks of a campaign by due time; with ``agent_id``, that agent's own plus the campaign's."""
    rows = await conn.fetch(
        f"SELECT {_CALLBACK_COLUMNS} FROM callbacks WHERE campaign_id = $1"
        " AND ($2::bigint IS NULL OR agent_id = $2 OR agent_id IS NULL) AND (NOT $3 OR done_at IS NULL)"
        " ORDER BY due_at, id",
        campaign_id, agent_id, pending_only,
    )
    return [Callback(**dict(r)) for r in rows]
