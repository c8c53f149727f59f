"""Surveys in Debian's chromium: a team lead builds a three-question survey with a branch (a dangling branch is
refused naming its question, the card marked) and uploads a prompt (a stereo 44.1 kHz WAV, converted), then
reads its statistics; an agent asks the campaign's scripted survey during a call and the answers are saved with
the disposition."""

from __future__ import annotations

import io
import wave
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from campaigns import repository
from campaigns.model import Campaign
from campaigns.windows import WindowProfile
from dialer import users
from dialer.users import Role
from simulations.virtual_agents import virtual_phone
from surveys import repository as survey_repo
from surveys.model import Answer, SurveyDefinition

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
ALL_DAY = WindowProfile("custom", tuple(((0, 1440),) for _ in range(7)))


def stereo_wav(path: Path, seconds: float = 1.5, rate: int = 44100) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.4 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(tone, 2).tobytes())
    path.write_bytes(buffer.getvalue())
    return path


async def test_a_team_lead_builds_a_three_question_survey_with_a_branch_and_an_uploaded_prompt(  # type: ignore[no-untyped-def]
        new_page, ui, make_user, services, tmp_path) -> None:
    await make_user(Role.TEAM_LEAD, "lena")
    page = await new_page()
    await ui.sign_in(page, "lena", PASSWORD)
    await page.goto("/surveys")
    await page.click("#new-survey")
    await page.fill("#sv-name", "Customer care")
    first = page.locator(".sv-question").nth(0)
    await first.locator(".sv-kind").select_option("yes_no")
    first = page.locator(".sv-question").nth(0)
    await first.locator(".sv-text").fill("Were you happy with the call?")
    await page.select_option("#sv-add-kind", "nps")
    await page.click("#sv-add")
    await page.locator(".sv-question").nth(1).locator(".sv-next").fill("end")
    await page.select_option("#sv-add-kind", "choice")
    await page.click("#sv-add")
    await page.locator(".sv-question").nth(2).locator(".sv-choices").fill("1 | Waiting\n2 | Price")
    await first.locator(".sv-branches").fill("no → q9")            # a question that does not exist

    await page.locator("#sv-intro .sv-prompt-kind").select_option("upload")
    await page.locator("#sv-intro .sv-upload").set_input_files(str(stereo_wav(tmp_path / "welcome.wav")))
    await ui.eventually(lambda: _contains(page.locator("#sv-intro .sv-upload-status"), "converted to 8 kHz mono"),
                        what="the upload converted")

    await page.click("#sv-save")
    await page.wait_for_selector("#sv-problem:not([hidden])")
    assert "question 'q1': goes to 'q9'" in await page.locator("#sv-problem").inner_text()
    assert await page.locator('.sv-question.bad[data-qid="q1"]').count() == 1
    await page.locator(".sv-question").nth(0).locator(".sv-branches").fill("no → q3")
    async with page.expect_navigation():
        await page.click("#sv-save")
    assert "Saved as version 1." in await page.locator("main").inner_text()
    await ui.shot(page, "survey-builder")

    [survey] = await survey_repo.list_surveys(services.pool)
    definition = (await survey_repo.latest_version(services.pool, survey.id)).definition
    assert [(q.id, q.kind.value) for q in definition.questions] == [("q1", "yes_no"), ("q2", "nps"), ("q3", "choice")]
    assert definition.questions[0].branches == (("no", "q3"),) and definition.questions[1].next == "end"
    assert definition.intro[0].kind == "upload"

    # --- answers arrive; the statistics page shows them with a chart per question -----------------------
    version = await survey_repo.latest_version(services.pool, survey.id)
    now = datetime.now(UTC)
    for answers in ([("q1", "yes"), ("q2", "10")], [("q1", "yes"), ("q2", "9")], [("q1", "no"), ("q3", "2")]):
        response = await survey_repo.open_response(services.pool, version=version, mode="scripted", offered_at=now)
        for qid, value in answers:
            await survey_repo.save_answer(services.pool, response_id=response, answer=Answer(qid, value), at=now)
        await survey_repo.end_response(services.pool, response, at=now, completed=True, ended_reason="completed")
    await page.click("text=Statistics")
    await page.wait_for_selector("#sv-overall")
    assert await page.locator('[data-figure="completed"]').inner_text() == "3"
    assert (await page.locator('tr[data-question="q2"] [data-figure="nps"]').inner_text()).startswith("100.0")
    assert await page.locator("#sv-charts svg.chart").count() == 3
    await ui.shot(page, "survey-statistics")
    assert page.errors == []  # type: ignore[attr-defined]


async def _contains(locator, text: str) -> bool:  # type: ignore[no-untyped-def]
    return text in await locator.inner_text()


SOUND = [{"kind": "sound", "value": "vm-press"}]
SCRIPTED = {"name": "Sau cuộc gọi", "intro": SOUND, "outro": SOUND, "questions": [
    {"id": "happy", "kind": "yes_no", "text": "Anh/chị có hài lòng không?", "prompt": SOUND, "branches": {"no": "why"}},
    {"id": "score", "kind": "rating", "text": "Chấm điểm 1-5", "prompt": SOUND, "next": "end"},
    {"id": "why", "kind": "choice", "text": "Vì sao?", "prompt": SOUND,
     "choices": [{"digit": "1", "label": "Chờ lâu"}, {"digit": "2", "label": "Giá"}]}]}


@pytest.mark.slow
async def test_an_agent_fills_in_the_scripted_survey_during_a_call(  # type: ignore[no-untyped-def]
        open_page, live_system, make_user, services, ui) -> None:
    base = live_system.url
    await make_user(Role.TEAM_LEAD, "lena")
    agent = await make_user(Role.AGENT, "an", display_name="An")
    await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Survey desk", trunk_template="Local/{number}@from-dialer", default_region="FR",
        timezone="Europe/Paris", window_profile="custom", custom_window=ALL_DAY))
    async with services.pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[agent.id])
    version = await survey_repo.create_survey(services.pool, SurveyDefinition.from_dict(SCRIPTED), created_by=None)

    lead = await open_page(base)
    await ui.sign_in(lead, "lena", PASSWORD)
    await lead.goto(f"/surveys/{version.survey_id}")                     # the lead names the campaign's survey
    await lead.check(f'.sv-scripted-campaign[value="{campaign.id}"]')
    await ui.eventually(lambda: _names(services.pool, campaign.id, version.survey_id), what="the scripted survey set")
    await ui.start_campaign(lead, campaign.id)

    desk = await open_page(base)
    await ui.sign_in(desk, "an", PASSWORD)
    await ui.agent_ready(desk)
    await services.pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, timezones)"
        " VALUES ($1, '+33612345622', 'Lan', 'Nguyễn', ARRAY['Europe/Paris'])", campaign.id)
    await desk.wait_for_selector("#pop-survey:not([hidden])", timeout=30_000)
    assert await desk.locator("#survey-question").inner_text() == "Anh/chị có hài lòng không?"
    await desk.click("#survey-input button.survey-key >> nth=0")           # yes
    await ui.eventually(lambda: _contains(desk.locator("#survey-question"), "Chấm điểm 1-5"), what="next question")
    await desk.click("#survey-input button.survey-key >> text='4'")
    await desk.wait_for_selector("#survey-done:not([hidden])")
    assert await desk.locator("#survey-answers li").all_inner_texts() == ["happy: yes", "score: 4"]
    await ui.shot(desk, "agent-panel-scripted-survey")
    await desk.click("#btn-hangup")
    await desk.wait_for_selector("body[data-state=wrap_up]", timeout=10_000)
    await desk.locator("#dispo-codes input").first.check()
    await desk.click("#btn-dispose")

    async def closed() -> bool:
        rows = await survey_repo.response_rows(services.pool, survey_id=version.survey_id)
        return len(rows) == 1 and rows[0]["ended_at"] is not None and await services.pool.fetchval(
            "SELECT disposition IS NOT NULL FROM call_records WHERE id = $1", rows[0]["call_record_id"])

    await ui.eventually(closed, timeout_s=10, what="the survey closed, the disposition on the call record")
    [row] = await survey_repo.response_rows(services.pool, survey_id=version.survey_id)
    assert row["completed"] and dict(row["answers"]) == {"happy": "yes", "score": "4"}
    assert (row["agent_id"], row["campaign_id"], row["mode"]) == (agent.id, campaign.id, "scripted")
    assert desk.errors == [] and lead.errors == []


async def _names(pool, campaign_id: int, survey_id: int) -> bool:  # type: ignore[no-untyped-def]
    return await survey_repo.scripted_survey(pool, campaign_id=campaign_id) == survey_id
