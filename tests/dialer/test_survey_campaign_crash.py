"""Issue 17, done-when #3: a survey campaign (no agents, three questions) whose engine is killed (SIGKILL) while
customers are in the middle of their surveys, then restarted: the answers already given are kept, no number is
called twice, nobody is surveyed twice, every lead ends worked.

The simulated PBX runs in the test (it outlives the engine); the engine is its own process. Answers are saved the
moment they arrive, so those given before the crash stay. A customer in the middle of its survey when the engine
died waits in ``dialer-survey`` for the next step (``DIALER_SV_WAIT_S``), then hears the goodbye; the restarted
engine settles every survey its predecessor left open (``SurveyDesk.recover``): resumed at the next question if
the customer is still there, else closed ``engine_restart``, its answers kept. It never dials a number whose record
was opened before the crash (record first).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from campaigns.model import DialMode
from dialer.clock import RealClock
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.survey_customer import SurveyCustomer
from surveys import repository as survey_repo
from surveys.model import SurveyDefinition
from tests.dialer.engine_process import timeline_env
from tests.dialer.test_engine_e2e import start_engine_process, stop_engine_process, wait_until_worked
from tests.dialer.test_survey_campaign import MODEL

SPEED = 20.0      # the dialplan's 10 s waits are 0.5 s of real time: room for a loaded machine
LEADS = 80
RATING = [{"kind": "sound", "value": "vm-press"}]
SURVEY = {"name": "survey campaign, three questions", "intro": [{"kind": "sound", "value": "vm-intro"}],
          "outro": [{"kind": "sound", "value": "auth-thankyou"}], "opt_out_digit": "9", "intro_timeout_s": 2,
          "questions": [{"id": f"q{i}", "kind": "rating", "prompt": RATING, "timeout_s": 4} for i in (1, 2, 3)]}
# one in ten presses 9 during the intro; each answer comes 1-2.5 s into its step: a survey lasts about 8 s of PBX
# time, so with 6 lines several are half answered at any moment
TAKER = SurveyCustomer(answers={"intro": {"9": 0.1, "": 0.9}, "q1": {"4": 1.0}, "q2": {"5": 1.0}, "q3": {"3": 1.0}},
                       think_s=(1.0, 2.5))
HALF_ANSWERED = ("SELECT count(*) FROM survey_responses r WHERE r.ended_at IS NULL"
                 " AND EXISTS (SELECT 1 FROM survey_answers a WHERE a.response_id = r.id)")


@pytest.mark.slow
async def test_a_survey_campaign_engine_killed_halfway_keeps_its_answers_and_dials_no_number_twice(
        db_pool, database_url, redis_url, tmp_path, build_scenario) -> None:  # type: ignore[no-untyped-def]
    clock = RealClock(speed=SPEED)
    scenario = await build_scenario(db_pool, leads=LEADS, agents=0, now=clock.now(), dnc_share=0.05,
                                    outside_share=0.05, mode=DialMode.PROGRESSIVE, seed=17)
    version = await survey_repo.create_survey(db_pool, SurveyDefinition.from_dict(SURVEY), created_by=None)
    await db_pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, lines) VALUES ($1, $2,"
                          " 'campaign', 6)", version.survey_id, scenario.campaign.id)
    sim = SimulatedPbx(PbxConfig(speed=SPEED, seed=8, customer_model=MODEL, survey_customer=TAKER))
    await sim.start(host="127.0.0.1", port=0)
    servers = [{"name": "sim", "host": "127.0.0.1", "port": sim.port, "username": sim.config.username,
                "secret": sim.config.secret, "max_channels": 500}]
    env = {"DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url, "DIALER_DATA_DIR": str(tmp_path),
           "DIALER_SPEED": str(SPEED), "DIALER_AMI_SERVERS": json.dumps(servers),
           "DIALER_ENGINE_ID": "survey-crash", **timeline_env(clock)}
    try:
        first = await start_engine_process(env, scenario.campaign.id, [])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:       # some surveys done, some half answered
            if await db_pool.fetchval("SELECT count(*) FROM survey_responses WHERE completed") >= 5 \
                    and await db_pool.fetchval(HALF_ANSWERED) >= 2:
                break
            await asyncio.sleep(0.05)
        first.kill()           # SIGKILL: no clean-up of any kind
        await first.wait()
        kept = {(r["response_id"], r["question_id"], r["value"])
                for r in await db_pool.fetch("SELECT response_id, question_id, value FROM survey_answers")}
        cut = {r["id"] for r in await db_pool.fetch(
            "SELECT r.id FROM survey_responses r WHERE r.ended_at IS NULL"
            " AND EXISTS (SELECT 1 FROM survey_answers a WHERE a.response_id = r.id)")}
        second = await start_engine_process(env, scenario.campaign.id, [])
        try:
            left = await wait_until_worked(db_pool, scenario.campaign.id, clock=clock, timeout_s=150, errors=[])
            await asyncio.sleep(2.0)        # the last surveys end (answers are saved at once)
        finally:
            await stop_engine_process(second)
        originates = list(sim.originate_log)
        faults = list(sim.switch.dialplan.faults)
    finally:
        await sim.stop()
    assert kept and cut, "the crash should come with surveys half answered"
    assert left == 0 and faults == []
    after = {(r["response_id"], r["question_id"], r["value"])
             for r in await db_pool.fetch("SELECT response_id, question_id, value FROM survey_answers")}
    assert kept <= after                                   # every answer given before the crash is still there
    dialled = [o.channel.split("/", 1)[1].split("@", 1)[0] for o in originates if "@carrier" in o.channel]
    twice = sorted({n for n in dialled if dialled.count(n) > 1})
    assert not twice, f"dialled twice: {twice}"
    assert not {n.lstrip("+") for n in scenario.dnc_numbers} & set(dialled)
    responses = await db_pool.fetch("SELECT * FROM survey_responses")
    assert {r["mode"] for r in responses} == {"campaign"}
    assert len({r["call_record_id"] for r in responses}) == len(responses)       # one survey per call
    assert len({r["phone"] for r in responses}) == len(responses)                # nobody surveyed twice
    assert all(r["ended_at"] is not None for r in responses), "the restarted engine settles every survey"
    settled = {r["id"]: r["ended_reason"] for r in responses if r["id"] in cut}
    assert set(settled.values()) <= {"engine_restart", "completed"}, settled    # closed, or resumed and finished
    print(f"{len(after)} answers ({len(kept)} before the crash), {len(responses)} responses, {len(cut)} half"
          f" answered at the crash: {sorted(settled.values())}")
