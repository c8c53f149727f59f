"""The agent-scripted survey over the panel's real websocket: the campaign's survey appears with the pop, each
answer is saved at once (linked to the call record), branches are followed, a wrong answer is refused in the
agent's language, and the disposition closes the response."""

from __future__ import annotations

from datetime import UTC, datetime

from dialer.users import Role
from surveys import repository as survey_repo
from surveys.model import SurveyDefinition

SOUND = [{"kind": "sound", "value": "vm-press"}]
SURVEY = {"name": "Khảo sát sau bán hàng", "intro": SOUND, "outro": SOUND, "questions": [
    {"id": "happy", "kind": "yes_no", "text": "Anh/chị có hài lòng không?", "prompt": SOUND, "branches": {"no": "why"}},
    {"id": "score", "kind": "nps", "text": "Điểm 0-10?", "prompt": SOUND, "next": "end"},
    {"id": "why", "kind": "choice", "text": "Vì sao?", "prompt": SOUND,
     "choices": [{"digit": "1", "label": "Chờ lâu"}, {"digit": "2", "label": "Giá"}]}]}


async def scripted_call(services, make_campaign, agent):  # type: ignore[no-untyped-def]
    campaign, (lead_id,) = await make_campaign("Survey calls", agents=[agent],
                                               leads=[("+33612345678", "An", "Nguyen", {})])
    version = await survey_repo.create_survey(services.pool, SurveyDefinition.from_dict(SURVEY), created_by=None)
    await survey_repo.set_scripted_survey(services.pool, campaign_id=campaign.id, survey_id=version.survey_id)
    record = await services.pool.fetchval(
        "INSERT INTO call_records (campaign_id, lead_id, agent_id, engine_id, leg_id, direction, phone_e164,"
        " originated_at, connected_at) VALUES ($1, $2, $3, 'e', 'leg-s1', 'outbound', '+33612345678', $4, $4)"
        " RETURNING id", campaign.id, lead_id, agent.id, datetime.now(UTC))
    call = {"call_id": str(record), "state": "connected", "lead_id": lead_id, "number": "+33612345678",
            "campaign_id": campaign.id}
    return campaign, lead_id, version, record, call


async def test_the_agent_asks_the_scripted_survey_and_each_answer_is_saved_at_once(
        panel, engine, make_user, make_campaign, services) -> None:
    agent = await make_user(Role.AGENT, language="vi")
    campaign, lead_id, version, record, call = await scripted_call(services, make_campaign, agent)
    async with panel(agent) as ws:
        await ws.receive_type("state")
        engine.push(agent.id, state="on_call", campaign_id=campaign.id, call=call)
        await ws.receive_type("pop")
        shown = await ws.receive_type("survey")
        assert shown["question"]["id"] == "happy" and shown["question"]["text"] == "Anh/chị có hài lòng không?"
        await ws.send({"type": "survey_answer", "call_id": str(record), "question_id": "happy", "value": "no"})
        after = await ws.receive_type("survey")
        assert after["question"]["id"] == "why", "the branch for 'no'"
        saved = await survey_repo.saved_answers(services.pool, after_response := (
            await survey_repo.response_for_call(services.pool, call_record_id=record, survey_id=version.survey_id))["id"])
        assert [(a.question_id, a.value) for a in saved] == [("happy", "no")], "saved before the disposition"
        await ws.send({"type": "survey_answer", "call_id": str(record), "question_id": "why", "value": "7"})
        refused = await ws.receive_type("error")
        assert refused["message"].endswith("'7' không phải câu trả lời cho câu hỏi này.")
        await ws.send({"type": "survey_answer", "call_id": str(record), "question_id": "why", "value": "2"})
        done = await ws.receive_type("survey")
        assert done["done"] and done["completed"] and done["question"] is None
        await ws.send({"type": "dispose", "call_id": str(record), "code": "sale"})
        await ws.receive_type("ok")
    row = (await survey_repo.response_rows(services.pool, survey_id=version.survey_id))[0]
    assert (row["id"], row["mode"], row["call_record_id"], row["lead_id"], row["agent_id"], row["campaign_id"]) == (
        after_response, "scripted", record, lead_id, agent.id, campaign.id)
    assert row["completed"] and row["ended_reason"] == "completed" and dict(row["answers"]) == {"happy": "no",
                                                                                                "why": "2"}


async def test_a_disposition_before_the_last_question_keeps_the_answers_given(
        panel, engine, make_user, make_campaign, services) -> None:
    agent = await make_user(Role.AGENT)
    campaign, _, version, record, call = await scripted_call(services, make_campaign, agent)
    async with panel(agent) as ws:
        await ws.receive_type("state")
        engine.push(agent.id, state="on_call", campaign_id=campaign.id, call=call)
        await ws.receive_type("survey")
        await ws.send({"type": "survey_answer", "call_id": str(record), "question_id": "happy", "value": "yes"})
        assert (await ws.receive_type("survey"))["question"]["id"] == "score"
        await ws.send({"type": "survey_answer", "call_id": str(record), "question_id": "happy", "value": "yes"})
        assert (await ws.receive_type("error"))["message"].endswith("That question is not the one being asked now.")
        await ws.send({"type": "dispose", "call_id": str(record), "code": "no_sale"})
        await ws.receive_type("ok")
    row = (await survey_repo.response_rows(services.pool, survey_id=version.survey_id))[0]
    assert not row["completed"] and row["ended_reason"] == "disposed" and dict(row["answers"]) == {"happy": "yes"}


async def test_a_campaign_without_a_scripted_survey_pops_no_survey(panel, engine, make_user, make_campaign,
                                                                   services) -> None:
    agent = await make_user(Role.AGENT)
    campaign, (lead_id,) = await make_campaign("Plain", agents=[agent], leads=[("+33612345679", "B", "C", {})])
    async with panel(agent) as ws:
        await ws.receive_type("state")
        engine.push(agent.id, state="on_call", campaign_id=campaign.id,
                    call={"call_id": "9", "state": "connected", "lead_id": lead_id, "campaign_id": campaign.id})
        await ws.receive_type("pop")
        await ws.send({"type": "survey_answer", "call_id": "9", "question_id": "happy", "value": "yes"})
        assert (await ws.receive_type("error"))["message"].endswith("The survey is not open for this call.")
