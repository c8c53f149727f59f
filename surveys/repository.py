"""Surveys in PostgreSQL (migration 0500): surveys and their versions, responses, answers saved at once.

Versions: ``save_definition`` checks the definition (``SurveyDefinition.from_dict``) and stores it in the
survey's latest version while no response points to that version; once one does, an edit makes a new
version, so every answer points to the version that was asked.

Drivers (the after-call and campaign IVR on Asterisk, the agent panel's scripted survey) do::

    version = await latest_version(conn, survey_id)            # .definition is a SurveyDefinition
    response_id = await open_response(conn, version=version, mode="after_call", offered_at=now,
                                      call_record_id=..., lead_id=..., campaign_id=..., agent_id=...)
    await mark_started(conn, response_id, at=now)              # the customer is in the survey
    # each Step of surveys.model.next_step with an .answer:
    await save_answer(conn, response_id=response_id, answer=step.answer, at=now)   # one statement, at once
    # the final Step:
    await end_response(conn, response_id, at=now, completed=step.completed, ended_reason=step.ended_reason)

``save_answer`` is a single idempotent statement (``UNIQUE (response_id, question_id)``, the later write
wins), so a hang-up or a crash after it keeps the answer; a response never ended keeps ``ended_at`` NULL
and counts as a drop-off in ``surveys.stats``. ``saved_answers`` gives them back (``surveys.model.resume``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeAlias

import asyncpg

from surveys.model import Answer, EndReason, SurveyDefinition
from surveys.offers import OfferSetting

Conn: TypeAlias = "asyncpg.Connection | asyncpg.Pool"
MODES = ("after_call", "campaign", "scripted")


class SurveyNotFound(LookupError):
    """No survey (or version) has this id."""


@dataclass(frozen=True, slots=True)
class Survey:
    id: int
    name: str
    latest_version: int
    responses: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Version:
    id: int
    survey_id: int
    version: int
    definition: SurveyDefinition
    created_at: datetime
    responses: int = 0


def _definition_json(definition: SurveyDefinition) -> str:
    return json.dumps(definition.to_dict(), ensure_ascii=False)


def _load(raw: Any) -> dict[str, Any]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


async def create_survey(conn: Conn, definition: SurveyDefinition, *, created_by: int | None) -> Version:
    """A new survey with ``definition`` as version 1."""
    async with _transaction(conn) as tx:
        survey_id = await tx.fetchval(
            "INSERT INTO surveys (name, created_by) VALUES ($1, $2) RETURNING id", definition.name, created_by)
        return await _insert_version(tx, survey_id, 1, definition, created_by)


async def save_definition(conn: Conn, survey_id: int, definition: SurveyDefinition, *,
                          created_by: int | None) -> Version:
    """Store an edit: in place while the latest version has no response, else as a new version."""
    async with _transaction(conn) as tx:
        row = await tx.fetchrow(
            "SELECT v.id, v.version, EXISTS (SELECT 1 FROM survey_responses r WHERE r.version_id = v.id) AS used"
            " FROM survey_versions v WHERE v.survey_id = $1 ORDER BY v.version DESC LIMIT 1 FOR UPDATE",
            survey_id)
        if row is None:
            raise SurveyNotFound(f"there is no survey {survey_id}")
        await tx.execute("UPDATE surveys SET name = $2 WHERE id = $1", survey_id, definition.name)
        if row["used"]:
            return await _insert_version(tx, survey_id, row["version"] + 1, definition, created_by)
        await tx.execute("UPDATE survey_versions SET definition = $2::jsonb, created_by = $3, created_at = now()"
                         " WHERE id = $1", row["id"], _definition_json(definition), created_by)
        return await version_by_id(tx, row["id"])


async def _insert_version(tx: asyncpg.Connection, survey_id: int, number: int, definition: SurveyDefinition,
                          created_by: int | None) -> Version:
    version_id = await tx.fetchval(
        "INSERT INTO survey_versions (survey_id, version, definition, created_by)"
        " VALUES ($1, $2, $3::jsonb, $4) RETURNING id",
        survey_id, number, _definition_json(definition), created_by)
    return await version_by_id(tx, version_id)


def _version(row: asyncpg.Record) -> Version:
    return Version(id=row["id"], survey_id=row["survey_id"], version=row["version"],
                   definition=SurveyDefinition.from_dict(_load(row["definition"])), created_at=row["created_at"],
                   responses=row["responses"])


_VERSION_SQL = ("SELECT v.id, v.survey_id, v.version, v.definition, v.created_at,"
                " (SELECT count(*) FROM survey_responses r WHERE r.version_id = v.id)::int AS responses"
                " FROM survey_versions v")


async def version_by_id(conn: Conn, version_id: int) -> Version:
    row = await conn.fetchrow(f"{_VERSION_SQL} WHERE v.id = $1", version_id)
    if row is None:
        raise SurveyNotFound(f"there is no survey version {version_id}")
    return _version(row)


async def latest_version(conn: Conn, survey_id: int) -> Version:
    row = await conn.fetchrow(f"{_VERSION_SQL} WHERE v.survey_id = $1 ORDER BY v.version DESC LIMIT 1", survey_id)
    if row is None:
        raise SurveyNotFound(f"there is no survey {survey_id}")
    return _version(row)


async def list_versions(conn: Conn, survey_id: int) -> list[Version]:
    rows = await conn.fetch(f"{_VERSION_SQL} WHERE v.survey_id = $1 ORDER BY v.version DESC", survey_id)
    return [_version(r) for r in rows]


async def list_surveys(conn: Conn) -> list[Survey]:
    rows = await conn.fetch(
        "SELECT s.id, s.name, s.created_at,"
        " (SELECT max(version) FROM survey_versions v WHERE v.survey_id = s.id) AS latest_version,"
        " (SELECT count(*) FROM survey_responses r WHERE r.survey_id = s.id)::int AS responses"
        " FROM surveys s WHERE NOT s.archived ORDER BY lower(s.name), s.id")
    return [Survey(**dict(r)) for r in rows]


async def name_taken(conn: Conn, name: str, *, except_id: int | None = None) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM surveys WHERE lower(name) = lower($1) AND NOT archived"
        " AND ($2::bigint IS NULL OR id <> $2))", name.strip(), except_id))


# -- responses and answers ------------------------------------------------------------------------------

async def open_response(conn: Conn, *, version: Version, mode: str, offered_at: datetime,
                        call_record_id: int | None = None, lead_id: int | None = None,
                        campaign_id: int | None = None, queue_id: int | None = None,
                        agent_id: int | None = None, phone: str | None = None, leg_id: str | None = None) -> int:
    """A response for one survey offered (``mode``: after_call, campaign or scripted), with the number and the PBX
    leg it was offered to, in one statement; returns its id."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {MODES}")
    return await conn.fetchval(
        "INSERT INTO survey_responses (survey_id, version_id, call_record_id, lead_id, campaign_id, queue_id,"
        " agent_id, mode, offered_at, phone, leg_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " RETURNING id",
        version.survey_id, version.id, call_record_id, lead_id, campaign_id, queue_id, agent_id, mode, offered_at,
        phone, leg_id)


OFFER_LOCK_SPACE = 0x73757276   # "surv": advisory locks of (survey, number) while an offer is decided


async def offer_response(pool: asyncpg.Pool, *, version: Version, mode: str, offered_at: datetime,
                         phone: str | None, once_per_days: int, call_record_id: int | None = None,
                         lead_id: int | None = None, campaign_id: int | None = None, queue_id: int | None = None,
                         agent_id: int | None = None, leg_id: str | None = None) -> int | None:
    """Offer the survey to ``phone`` unless it was offered this survey within the last ``once_per_days`` days, or
    ever pressed its stop key in it (``ended_reason`` ``opted_out``: a queue's caller has no campaign DNC list to go
    on, and is not asked again) (then None, nothing written); returns the new response's id. Atomic in the
    database: the check and the insert run in one transaction holding an advisory lock on (survey, number), so two
    offers at once to one number (two engines, two calls of one customer) make one response. No number: always
    offered."""
    async with _transaction(pool) as tx:
        if phone:
            await tx.execute("SELECT pg_advisory_xact_lock($1::int4, hashtext($2::bigint || ':' || $3::text))",
                             OFFER_LOCK_SPACE, version.survey_id, phone)
            since = offered_at - timedelta(days=once_per_days) if once_per_days > 0 else None
            if await tx.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM survey_responses WHERE survey_id = $1 AND phone = $2"
                    " AND (offered_at > $3 OR ended_reason = 'opted_out'))", version.survey_id, phone, since):
                return None
        return await open_response(tx, version=version, mode=mode, offered_at=offered_at,
                                   call_record_id=call_record_id, lead_id=lead_id, campaign_id=campaign_id,
                                   queue_id=queue_id, agent_id=agent_id, phone=phone, leg_id=leg_id)


async def mark_started(conn: Conn, response_id: int, *, at: datetime) -> None:
    await conn.execute("UPDATE survey_responses SET started_at = coalesce(started_at, $2) WHERE id = $1",
                       response_id, at)


async def save_answer(conn: Conn, *, response_id: int, answer: Answer, at: datetime) -> None:
    """Save one answer now, in its own statement (idempotent per question: the later write wins). Marks the
    response started."""
    await conn.execute(
        "WITH started AS (UPDATE survey_responses SET started_at = coalesce(started_at, $7) WHERE id = $1)"
        " INSERT INTO survey_answers (response_id, question_id, value, skipped, raw_digits, recording_path,"
        " answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (response_id, question_id) DO UPDATE SET value = EXCLUDED.value,"
        " skipped = EXCLUDED.skipped, raw_digits = EXCLUDED.raw_digits,"
        " recording_path = EXCLUDED.recording_path, answered_at = EXCLUDED.answered_at",
        response_id, answer.question_id, answer.value, answer.skipped, answer.digits, answer.recording, at)


async def end_response(conn: Conn, response_id: int, *, at: datetime, completed: bool,
                       ended_reason: EndReason | str | None) -> None:
    """Close a response once (a second call changes nothing)."""
    reason = ended_reason.value if isinstance(ended_reason, EndReason) else ended_reason
    await conn.execute(
        "UPDATE survey_responses SET ended_at = $2, completed = $3, ended_reason = $4,"
        " started_at = coalesce(started_at, $2) WHERE id = $1 AND ended_at IS NULL",
        response_id, at, completed, reason)


async def saved_answers(conn: Conn, response_id: int) -> list[Answer]:
    """The answers of a response in the order given."""
    rows = await conn.fetch(
        "SELECT question_id, value, raw_digits, recording_path, skipped FROM survey_answers"
        " WHERE response_id = $1 ORDER BY answered_at, id", response_id)
    return [Answer(r["question_id"], r["value"], r["raw_digits"], r["recording_path"], r["skipped"]) for r in rows]


async def response_for_call(conn: Conn, *, call_record_id: int, survey_id: int) -> asyncpg.Record | None:
    """The latest response of a survey for a call record (``id``, ``ended_at``), if any: a panel reconnecting
    mid-call carries on with it, and a survey already ended is not offered again."""
    return await conn.fetchrow(
        "SELECT id, ended_at FROM survey_responses WHERE call_record_id = $1 AND survey_id = $2"
        " ORDER BY id DESC LIMIT 1", call_record_id, survey_id)


# -- the scripted survey of a campaign -------------------------------------------------------------------

async def set_scripted_survey(conn: Conn, *, campaign_id: int, survey_id: int | None) -> None:
    if survey_id is None:
        await conn.execute("DELETE FROM campaign_scripted_surveys WHERE campaign_id = $1", campaign_id)
        return
    await conn.execute(
        "INSERT INTO campaign_scripted_surveys (campaign_id, survey_id) VALUES ($1, $2)"
        " ON CONFLICT (campaign_id) DO UPDATE SET survey_id = EXCLUDED.survey_id", campaign_id, survey_id)


async def scripted_survey(conn: Conn, *, campaign_id: int) -> int | None:
    return await conn.fetchval("SELECT survey_id FROM campaign_scripted_surveys WHERE campaign_id = $1",
                               campaign_id)


async def scripted_surveys(conn: Conn) -> dict[int, int]:
    """Every campaign that names a scripted survey: campaign id -> survey id."""
    rows = await conn.fetch("SELECT campaign_id, survey_id FROM campaign_scripted_surveys")
    return {r["campaign_id"]: r["survey_id"] for r in rows}


# -- what the statistics read ----------------------------------------------------------------------------

async def response_rows(conn: Conn, *, survey_id: int, since: datetime | None = None,
                        until: datetime | None = None) -> list[asyncpg.Record]:
    """One row per response offered in [since, until): its version, campaign, queue, agent, mode, completed,
    ended reason and its answers as ``{question_id: value}`` (a skipped question maps to None)."""
    return await conn.fetch(
        "SELECT r.id, r.version_id, r.call_record_id, r.lead_id, r.campaign_id, r.queue_id, r.agent_id, r.mode,"
        " r.offered_at, r.started_at, r.ended_at, r.completed, r.ended_reason,"
        " coalesce((SELECT jsonb_object_agg(a.question_id, a.value) FROM survey_answers a"
        "           WHERE a.response_id = r.id), '{}'::jsonb) AS answers"
        " FROM survey_responses r WHERE r.survey_id = $1"
        " AND ($2::timestamptz IS NULL OR r.offered_at >= $2) AND ($3::timestamptz IS NULL OR r.offered_at < $3)"
        " ORDER BY r.offered_at, r.id", survey_id, since, until)


async def calls_handled_by_agent(conn: Conn, *, campaign_ids: list[int], queue_ids: Sequence[int] = (),
                                 since: datetime | None = None, until: datetime | None = None) -> dict[int, int]:
    """Calls each agent handled (connected) in those campaigns or inbound queues (a queue's calls have no campaign):
    the denominator of the offer rate."""
    rows = await conn.fetch(
        "SELECT agent_id, count(*)::int AS n FROM call_records WHERE agent_id IS NOT NULL"
        " AND (campaign_id = ANY($1::bigint[]) OR queue_id = ANY($4::bigint[])) AND connected_at IS NOT NULL"
        " AND ($2::timestamptz IS NULL OR originated_at >= $2) AND ($3::timestamptz IS NULL OR originated_at < $3)"
        " GROUP BY agent_id", campaign_ids, since, until, list(queue_ids))
    return {r["agent_id"]: r["n"] for r in rows}


class _transaction:
    """A transaction on a connection, or on one taken from a pool."""

    def __init__(self, conn: Conn) -> None:
        self._conn = conn
        self._held: Any = None
        self._tx: Any = None

    async def __aenter__(self) -> asyncpg.Connection:
        if isinstance(self._conn, asyncpg.Pool):
            self._held = self._conn.acquire()
            connection = await self._held.__aenter__()
        else:
            connection = self._conn
        self._tx = connection.transaction()
        await self._tx.__aenter__()
        return connection

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._tx.__aexit__(*exc)
        finally:
            if self._held is not None:
                await self._held.__aexit__(*exc)


async def export_rows(conn: Conn, *, survey_id: int, since: datetime | None = None,
                      until: datetime | None = None) -> list[asyncpg.Record]:
    """One row per answer (and one per response without answers), with its response, version, call record,
    the call's disposition and recording: what the CSV and XLSX exports write."""
    return await conn.fetch(
        "SELECT r.id AS response_id, r.offered_at, r.mode, v.version, r.campaign_id, r.queue_id, r.agent_id,"
        " u.username AS agent, r.lead_id, r.call_record_id, c.phone_e164, c.disposition, c.recording_file,"
        " r.completed, r.ended_reason, a.question_id, a.value, a.skipped, a.raw_digits, a.recording_path,"
        " a.answered_at"
        " FROM survey_responses r JOIN survey_versions v ON v.id = r.version_id"
        " LEFT JOIN survey_answers a ON a.response_id = r.id"
        " LEFT JOIN call_records c ON c.id = r.call_record_id"
        " LEFT JOIN users u ON u.id = r.agent_id"
        " WHERE r.survey_id = $1"
        " AND ($2::timestamptz IS NULL OR r.offered_at >= $2) AND ($3::timestamptz IS NULL OR r.offered_at < $3)"
        " ORDER BY r.offered_at, r.id, a.answered_at, a.id", survey_id, since, until)


async def offers_of(conn: Conn, survey_id: int) -> list[asyncpg.Record]:
    """Where a survey is offered (``survey_offers``), with the campaign's or queue's name."""
    return await conn.fetch(
        "SELECT o.*, coalesce(c.name, q.name) AS target_name FROM survey_offers o"
        " LEFT JOIN campaigns c ON c.id = o.campaign_id LEFT JOIN inbound_queues q ON q.id = o.queue_id"
        " WHERE o.survey_id = $1 ORDER BY o.id", survey_id)


async def save_offer(pool: asyncpg.Pool, survey_id: int, offer: OfferSetting) -> int:
    """Set ``offer`` for its campaign or queue (replacing the one it had, of any survey); returns its id."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM survey_offers WHERE campaign_id = $1 OR queue_id = $2",
                           offer.campaign_id, offer.queue_id)
        return int(await conn.fetchval(
            "INSERT INTO survey_offers (survey_id, campaign_id, queue_id, mode, share, once_per_days, lines)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id", survey_id, offer.campaign_id, offer.queue_id,
            offer.mode, offer.share, offer.once_per_days, offer.lines))


async def remove_offer(conn: Conn, survey_id: int, offer_id: int) -> None:
    await conn.execute("DELETE FROM survey_offers WHERE id = $1 AND survey_id = $2", offer_id, survey_id)
