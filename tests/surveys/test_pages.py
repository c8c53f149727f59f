"""The survey pages over HTTP with a real PostgreSQL: the builder saves and versions, refuses naming the field
in the reader's language, uploads a prompt; the statistics page and the exports show what was answered."""

from __future__ import annotations

import io
import re
import string
import wave
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from admin_ui.i18n import MESSAGES
from admin_ui.survey_text import SURVEY_MESSAGES
from dialer.users import Role
from surveys import repository as repo
from surveys.model import ENGLISH, Answer
from surveys.prompts import ENGLISH as PROMPT_ENGLISH
from tests.admin_ui.test_pages_campaigns import sign_in

SOUND = [{"kind": "sound", "value": "vm-press"}]
DEFINITION: dict[str, Any] = {
    "name": "After-call CSAT", "intro": SOUND, "outro": SOUND, "opt_out_digit": "9",
    "questions": [
        {"id": "happy", "kind": "yes_no", "text": "Were you happy?", "prompt": SOUND, "branches": {"no": "why"}},
        {"id": "score", "kind": "nps", "prompt": SOUND, "next": "end"},
        {"id": "why", "kind": "choice", "prompt": SOUND,
         "choices": [{"digit": "1", "label": "Waiting"}, {"digit": "2", "label": "Price"}]}]}


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_survey_text_and_refusal_reads_in_english_and_vietnamese_with_the_same_fields() -> None:
    for key, entry in SURVEY_MESSAGES.items():
        assert entry["en"] and entry["vi"], key
    for prefix, english in (("sverr_", ENGLISH), ("svprompt_", PROMPT_ENGLISH)):
        for code, text in english.items():
            assert fields(MESSAGES[f"{prefix}{code}"]["vi"]) == fields(text), code
    folder = Path(__file__).resolve().parents[2] / "admin_ui" / "templates"
    pages = "".join((folder / f"{name}.html").read_text()
                    for name in ("surveys", "survey_builder", "survey_stats", "survey_version"))
    used = set(re.findall(r'\bt\("([a-z0-9_]+)"[,)]', pages))
    assert used and sorted(k for k in used if not (MESSAGES.get(k, {}).get("en") and MESSAGES.get(k, {}).get("vi"))) == []


async def test_a_team_lead_saves_a_survey_then_an_edit_after_answers_makes_version_2(api_client, services) -> None:
    async with api_client(Role.TEAM_LEAD) as client:
        saved = await client.post("/api/surveys", json={"definition": DEFINITION})
        assert saved.status_code == 200 and saved.json()["version"] == 1
        survey_id = saved.json()["id"]
        again = await client.post(f"/api/surveys/{survey_id}", json={"definition": {**DEFINITION, "name": "CSAT"}})
        assert again.json()["version"] == 1, "no answer yet: the version is edited in place"
        version = await repo.latest_version(services.pool, survey_id)
        response = await repo.open_response(services.pool, version=version, mode="scripted",
                                            offered_at=datetime.now(UTC))
        await repo.save_answer(services.pool, response_id=response, answer=Answer("happy", "yes", "1"),
                               at=datetime.now(UTC))
        edited = await client.post(f"/api/surveys/{survey_id}", json={"definition": {**DEFINITION, "name": "CSAT"}})
        assert edited.json()["version"] == 2
        page = await client.get(f"/surveys/{survey_id}")
        assert page.status_code == 200 and 'data-version="2"' in page.text and 'data-version="1"' in page.text
        listing = await client.get("/surveys")
        assert 'data-survey="CSAT"' in listing.text
        old = await client.get(f"/surveys/{survey_id}/versions/1")
        assert "Were you happy?" in old.text


async def test_a_dangling_branch_is_refused_naming_the_question_in_vietnamese(browser_client, make_user) -> None:
    await make_user(Role.TEAM_LEAD, "lan", language="vi")
    csrf = await sign_in(browser_client, "lan")
    bad = {**DEFINITION, "questions": [{**DEFINITION["questions"][0], "branches": {"no": "ghost"}}]}
    refused = await browser_client.post("/api/surveys", json={"definition": bad}, headers={"x-csrf-token": csrf})
    assert refused.status_code == 400
    body = refused.json()
    assert body["field"] == "questions.happy.branches"
    assert "câu hỏi 'happy'" in body["problem"] and "'ghost'" in body["problem"]


async def test_a_talk_to_someone_key_must_name_a_queue_that_exists(api_client) -> None:
    async with api_client(Role.TEAM_LEAD) as client:
        refused = await client.post("/api/surveys", json={"definition": {
            **DEFINITION, "operator_digit": "0", "operator": {"kind": "queue", "id": 999}}})
        assert refused.status_code == 400
        assert refused.json()["field"] == "operator" and "there is no queue 999" in refused.json()["problem"]


async def test_a_sound_missing_on_a_connected_pbx_is_refused_naming_its_field(api_client, services) -> None:
    from dialer.ami.adapter import AmiAdapter
    from dialer.ami.config import AmiServerConfig
    from dialer.clock import RealClock
    from dialer.engine import Engine
    from simulations.pbx import PbxConfig, SimulatedPbx

    pbx = SimulatedPbx(PbxConfig(seed=1, extra_sounds={"acme/welcome": 2.0}))
    await pbx.start(host="127.0.0.1", port=0)
    adapter = AmiAdapter([AmiServerConfig(name="pbx1", host="127.0.0.1", port=pbx.port, username="dialer",
                                          secret="dialer-secret", max_channels=10, action_timeout_s=2.0)],
                         clock=RealClock())
    await adapter.start()
    services.extras["engine"] = Engine(pool=services.pool, pbx=adapter, clock=RealClock(), engine_id="surveys")
    try:
        async with api_client(Role.TEAM_LEAD) as client:
            question = {**DEFINITION["questions"][1], "prompt": [{"kind": "sound", "value": "acme/score"}]}
            body = {**DEFINITION, "intro": [{"kind": "sound", "value": "acme/welcome"}],
                    "questions": [DEFINITION["questions"][0], question, DEFINITION["questions"][2]]}
            refused = await client.post("/api/surveys", json={"definition": body})
            assert refused.status_code == 400
            assert refused.json() == {"ok": False, "field": "questions.score.prompt",
                                      "problem": "questions.score.prompt: sound 'acme/score' not found on pbx1"}
            question["prompt"] = SOUND
            assert (await client.post("/api/surveys", json={"definition": body})).status_code == 200
    finally:
        services.extras.pop("engine", None)
        await adapter.close()
        await pbx.stop()


async def test_agents_cannot_open_the_builder(api_client) -> None:
    async with api_client(Role.AGENT) as client:
        assert (await client.get("/surveys/new")).status_code == 403
        assert (await client.post("/api/surveys", json={"definition": DEFINITION})).status_code == 403


def stereo_wav(seconds: float = 1.0, rate: int = 44100) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.4 * np.sin(2 * np.pi * 523 * t) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(tone, 2).tobytes())
    return buffer.getvalue()


async def test_an_uploaded_prompt_is_converted_stored_where_asterisk_reads_and_played_back(api_client, services) -> None:
    async with api_client(Role.TEAM_LEAD) as client:
        up = await client.post("/api/surveys/prompts", files={"file": ("hello.wav", stereo_wav(), "audio/wav")})
        assert up.status_code == 200, up.text
        prompt_id = up.json()["id"]
        stored = services.settings.data_dir / "sounds" / "surveys" / f"{prompt_id}.wav"
        with wave.open(str(stored)) as played:
            assert (played.getnchannels(), played.getframerate(), played.getsampwidth()) == (1, 8000, 2)
        back = await client.get(f"/surveys/prompts/{prompt_id}.wav")
        assert back.status_code == 200 and back.content[:4] == b"RIFF"
        text = await client.post("/api/surveys/prompts", files={"file": ("notes.wav", b"just text\n" * 50, "audio/wav")})
        assert text.status_code == 400 and "notes.wav" in text.json()["problem"]
        assert "not a WAV or MP3" in text.json()["problem"]
        saved = await client.post("/api/surveys", json={"definition": {
            **DEFINITION, "intro": [{"kind": "upload", "value": prompt_id}]}})
        assert saved.status_code == 200


async def test_the_statistics_page_and_exports_show_the_answers(api_client, services, make_user) -> None:
    pool = services.pool
    agent = await make_user(Role.AGENT, "an")
    async with api_client(Role.TEAM_LEAD) as client:
        survey_id = (await client.post("/api/surveys", json={"definition": DEFINITION})).json()["id"]
        version = await repo.latest_version(pool, survey_id)
        at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        for i, (answers, completed) in enumerate([
                ([("happy", "yes"), ("score", "10")], True), ([("happy", "yes"), ("score", "9")], True),
                ([("happy", "yes"), ("score", "3")], True), ([("happy", "no")], False)]):
            response = await repo.open_response(pool, version=version, mode="scripted", offered_at=at, agent_id=agent.id)
            for qid, value in answers:
                await repo.save_answer(pool, response_id=response, answer=Answer(qid, value, "="), at=at)
            await repo.end_response(pool, response, at=at + timedelta(minutes=1), completed=completed,
                                    ended_reason="completed" if completed else "hangup")
        page = await client.get(f"/surveys/{survey_id}/stats", params={"date_from": "2026-11-20",
                                                                       "date_to": "2026-11-20"})
        assert page.status_code == 200
        assert re.search(r'data-figure="offered">4<', page.text) and re.search(r'data-figure="completed">3<', page.text)
        score = page.text.split('data-question="score"')[1].split("</tr>")[0]
        assert "33.3" in score, "NPS: 2 promoters, 1 detractor of 3"
        assert "<svg" in page.text and f'data-agent="{agent.id}"' in page.text
        empty = await client.get(f"/surveys/{survey_id}/stats", params={"date_from": "2026-11-21"})
        assert 'data-figure="offered"' not in empty.text
        bad = await client.get(f"/surveys/{survey_id}/stats", params={"date_from": "20/11/2026"})
        assert bad.status_code == 400
        csv = await client.get(f"/surveys/{survey_id}/export.csv")
        lines = csv.text.strip().splitlines()
        assert lines[0].startswith("response,offered_at,mode") and len(lines) == 1 + 7
        assert ",'=," in lines[1], "a cell a spreadsheet would run is quoted"
        xlsx = await client.get(f"/surveys/{survey_id}/export.xlsx")
        assert zipfile.ZipFile(io.BytesIO(xlsx.content)).namelist()


async def test_a_queue_surveys_offer_rate_per_agent_counts_the_queues_calls_the_agent_handled(
        api_client, services, make_user) -> None:
    """A queue's calls have no campaign: the page's denominator must count them (2 handled, 1 offered: 50 %)."""
    from campaigns import queue_repository
    from campaigns.queues import Queue
    pool = services.pool
    agent = await make_user(Role.AGENT, "qa")
    queue = await queue_repository.save_queue(pool, queue=Queue.from_dict({"name": "Hotline", "dids": ["+842873001234"]}))
    at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    for i in range(2):
        await pool.execute(
            "INSERT INTO call_records (queue_id, agent_id, engine_id, leg_id, direction, phone_e164, originated_at,"
            " connected_at, ended_at, outcome) VALUES ($1, $2, 'e', $3, 'inbound', '+84987654321', $4, $4, $4,"
            " 'handled')", queue.id, agent.id, f"in-{i}", at + timedelta(minutes=i))
    async with api_client(Role.TEAM_LEAD) as client:
        survey_id = (await client.post("/api/surveys", json={"definition": DEFINITION})).json()["id"]
        version = await repo.latest_version(pool, survey_id)
        await repo.open_response(pool, version=version, mode="after_call", offered_at=at, queue_id=queue.id,
                                 agent_id=agent.id)
        page = await client.get(f"/surveys/{survey_id}/stats", params={"date_from": "2026-11-20",
                                                                       "date_to": "2026-11-20"})
    row = page.text.split(f'data-agent="{agent.id}"')[1].split("</tr>")[0]
    assert re.findall(r'class="num">(\d+)<', row)[:2] == ["2", "1"] and "50" in row
