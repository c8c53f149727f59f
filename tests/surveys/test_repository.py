"""Surveys in PostgreSQL: versions follow answers, each answer is saved at once, a hang-up keeps them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from surveys import repository as repo
from surveys.model import (
    Digits,
    EndReason,
    Hangup,
    NoInput,
    Progress,
    Start,
    SurveyDefinition,
    next_step,
    resume,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SOUND = [{"kind": "sound", "value": "vm-press"}]


def definition(name: str = "CSAT", questions: int = 3) -> SurveyDefinition:
    return SurveyDefinition.from_dict({
        "name": name, "intro": SOUND, "outro": SOUND,
        "questions": [{"id": f"q{i}", "kind": "rating", "prompt": SOUND} for i in range(questions)]})


async def call_record(pool: asyncpg.Pool) -> int:
    return await pool.fetchval(
        "INSERT INTO call_records (engine_id, leg_id, direction, phone_e164, originated_at)"
        " VALUES ('e', 'leg-' || gen_random_uuid(), 'outbound', '+84900000001', $1) RETURNING id", T0)


async def test_an_edit_changes_the_version_in_place_until_it_has_answers_then_makes_a_new_one(
        db_pool: asyncpg.Pool) -> None:
    v1 = await repo.create_survey(db_pool, definition(), created_by=None)
    edited = await repo.save_definition(db_pool, v1.survey_id, definition(questions=2), created_by=None)
    assert (edited.id, edited.version, len(edited.definition.questions)) == (v1.id, 1, 2)
    response = await repo.open_response(db_pool, version=edited, mode="scripted", offered_at=T0)
    await repo.save_answer(db_pool, response_id=response, at=T0,
                           answer=next_step(edited.definition, resume(edited.definition, []), Digits("4")).answer)
    v2 = await repo.save_definition(db_pool, v1.survey_id, definition(questions=3), created_by=None)
    assert v2.version == 2 and v2.id != v1.id
    assert len((await repo.version_by_id(db_pool, v1.id)).definition.questions) == 2, "the asked version stays"
    assert [v.version for v in await repo.list_versions(db_pool, v1.survey_id)] == [2, 1]
    assert (await repo.latest_version(db_pool, v1.survey_id)).id == v2.id
    rows = await repo.response_rows(db_pool, survey_id=v1.survey_id)
    assert rows[0]["version_id"] == v1.id


async def test_a_customer_who_hangs_up_halfway_leaves_the_answers_given(db_pool: asyncpg.Pool) -> None:
    version = await repo.create_survey(db_pool, definition(), created_by=None)
    record = await call_record(db_pool)
    response = await repo.open_response(db_pool, version=version, mode="after_call", offered_at=T0,
                                        call_record_id=record)
    spec = version.definition
    step = next_step(spec, Progress(), Start())
    at = T0
    for event in (NoInput(), Digits("5"), Digits("2")):
        step = next_step(spec, step.progress, event)
        at += timedelta(seconds=5)
        if step.answer is not None:
            await repo.save_answer(db_pool, response_id=response, answer=step.answer, at=at)
    # The driver dies here (no end_response): the answers are already in.
    assert [(a.question_id, a.value) for a in await repo.saved_answers(db_pool, response)] == [
        ("q0", "5"), ("q1", "2")]
    assert resume(spec, await repo.saved_answers(db_pool, response)).at == "q2"
    hung = next_step(spec, step.progress, Hangup())
    await repo.end_response(db_pool, response, at=at, completed=hung.completed, ended_reason=hung.ended_reason)
    await repo.end_response(db_pool, response, at=at + timedelta(hours=1), completed=True, ended_reason="completed")
    row = (await repo.response_rows(db_pool, survey_id=version.survey_id))[0]
    assert (row["completed"], row["ended_reason"], row["ended_at"]) == (False, "hangup", at)
    assert row["call_record_id"] == record and row["started_at"] == T0 + timedelta(seconds=10)
    assert dict(row["answers"]) == {"q0": "5", "q1": "2"}


async def test_a_campaign_names_its_scripted_survey(db_pool: asyncpg.Pool) -> None:
    version = await repo.create_survey(db_pool, definition(), created_by=None)
    campaign = await db_pool.fetchval(
        "INSERT INTO campaigns (name, trunk_template) VALUES ('s', 'PJSIP/{number}@t') RETURNING id")
    assert await repo.scripted_survey(db_pool, campaign_id=campaign) is None
    await repo.set_scripted_survey(db_pool, campaign_id=campaign, survey_id=version.survey_id)
    assert await repo.scripted_survey(db_pool, campaign_id=campaign) == version.survey_id
    assert await repo.name_taken(db_pool, "csat") and not await repo.name_taken(db_pool, "csat",
                                                                                  except_id=version.survey_id)


async def test_the_offer_rate_counts_surveys_offered_against_calls_the_agent_handled(db_pool: asyncpg.Pool) -> None:
    from dialer.users import Role, create_user
    from surveys.stats import ResponseRow, offer_rates

    ann = await create_user(db_pool, username="ann", password="correct horse battery", role=Role.AGENT)
    bob = await create_user(db_pool, username="bob", password="correct horse battery", role=Role.AGENT)
    campaign = await db_pool.fetchval(
        "INSERT INTO campaigns (name, trunk_template) VALUES ('o', 'PJSIP/{number}@t') RETURNING id")
    version = await repo.create_survey(db_pool, definition(), created_by=None)
    for i, (agent, connected) in enumerate([(ann, True)] * 4 + [(bob, True)] * 4 + [(bob, False)] * 3):
        record = await db_pool.fetchval(
            "INSERT INTO call_records (campaign_id, agent_id, engine_id, leg_id, direction, phone_e164,"
            " originated_at, connected_at) VALUES ($1, $2, 'e', $3, 'outbound', '+84900000001', $4, $5) RETURNING id",
            campaign, agent.id, f"leg-o{i}", T0, T0 if connected else None)
        if agent is ann or i == 4:          # every call of Ann's is offered the survey, one of Bob's four
            await repo.open_response(db_pool, version=version, mode="after_call", offered_at=T0,
                                     call_record_id=record, campaign_id=campaign, agent_id=agent.id)
    handled = await repo.calls_handled_by_agent(db_pool, campaign_ids=[campaign])
    assert handled == {ann.id: 4, bob.id: 4}, "calls never connected are not handled"
    rows = [ResponseRow.from_record(r) for r in await repo.response_rows(db_pool, survey_id=version.survey_id)]
    rates = offer_rates(rows, handled)
    assert (rates[ann.id].share, rates[bob.id].share) == (1.0, 0.25)


async def test_an_offer_to_a_number_is_made_once_within_once_per_days_even_when_asked_at_once(
        db_pool: asyncpg.Pool) -> None:
    version = await repo.create_survey(db_pool, definition(), created_by=None)

    async def offer(at: datetime, *, days: int = 7, phone: str = "+84900000001") -> int | None:
        return await repo.offer_response(db_pool, version=version, mode="after_call", offered_at=at, phone=phone,
                                         once_per_days=days, leg_id=f"leg-{at.timestamp()}")

    at_once = await asyncio.gather(*(offer(T0) for _ in range(8)))
    assert sum(1 for r in at_once if r is not None) == 1, at_once
    assert await offer(T0 + timedelta(days=6, hours=23)) is None
    assert await offer(T0 + timedelta(days=6), phone="+84900000002") is not None     # another number
    assert await offer(T0 + timedelta(days=7, minutes=1)) is not None
    assert await offer(T0 + timedelta(days=7, minutes=2), days=0) is not None      # no rule: always offered
    row = await db_pool.fetchrow("SELECT phone, leg_id FROM survey_responses ORDER BY id LIMIT 1")
    assert row["phone"] == "+84900000001" and row["leg_id"] == f"leg-{T0.timestamp()}"


async def test_a_number_that_pressed_the_stop_key_is_not_offered_that_survey_again(db_pool: asyncpg.Pool) -> None:
    version = await repo.create_survey(db_pool, definition(), created_by=None)
    first = await repo.offer_response(db_pool, version=version, mode="after_call", offered_at=T0,
                                      phone="+84900000003", once_per_days=0)
    assert first is not None
    await repo.end_response(db_pool, first, at=T0, completed=False, ended_reason=EndReason.OPTED_OUT)
    assert await repo.offer_response(db_pool, version=version, mode="after_call", offered_at=T0 + timedelta(days=90),
                                     phone="+84900000003", once_per_days=0) is None
