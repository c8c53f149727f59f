"""A survey campaign without agents, end to end on the simulated PBX over TCP, accelerated.

The campaign dials its list through the same hopper, calling windows and DNC check as any campaign, paced by its
lines (``survey_offers.lines``: "agents" = channel capacity, the progressive pacer); each person reached goes
straight into the survey (its call handled with no agent). During the intro a customer may press 9: its number
goes on the campaign's DNC list with an audit entry. What must hold: no number on DNC or outside its window is
dialled, no number twice; never more customers at once than the lines (counted on the PBX: ringing, in the survey
or hearing its end); every person reached has its response (mode ``campaign``) linked to its call record; those
who pressed 9 are on the campaign's DNC list, audited.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from campaigns.model import DialMode
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.pbx.survey_customer import SurveyCustomer
from surveys import repository as survey_repo
from surveys.model import SurveyDefinition
from tests.dialer.test_engine_e2e import SPEED, leads_left, make_services

LEADS = 120
LINES = 8
MODEL = CustomerModel(connect_rate=0.8, machine_rate=0.0, busy_rate=0.1, congestion_rate=0.0, invalid_rate=0.0,
                      ring=LogNormal(3.0, 0.3), talk=LogNormal(600.0, 0.1), patience=LogNormal(600.0, 0.1),
                      no_answer_s=15.0)
# during the intro one in five presses 9 (the others press nothing: the intro's wait runs out), then a rating
TAKER = SurveyCustomer(answers={"intro": {"9": 0.2, "": 0.8}, "q1": {"5": 0.5, "4": 0.5}}, think_s=(0.3, 1.0))
SURVEY = {
    "name": "survey campaign",
    "intro": [{"kind": "sound", "value": "vm-intro"}],
    "outro": [{"kind": "sound", "value": "auth-thankyou"}],
    "opt_out_digit": "9",
    "intro_timeout_s": 2,
    "questions": [{"id": "q1", "kind": "rating", "prompt": [{"kind": "sound", "value": "vm-press"}], "timeout_s": 4}],
}


@pytest.mark.slow
async def test_a_survey_campaign_dials_within_the_rules_and_press_9_lands_on_its_dnc_list(
        db_pool, database_url, redis_url, tmp_path, build_scenario) -> None:  # type: ignore[no-untyped-def]
    services = make_services(db_pool, database_url, redis_url, tmp_path)
    scenario = await build_scenario(db_pool, leads=LEADS, agents=0, now=services.clock.now(), dnc_share=0.1,
                                    outside_share=0.1, mode=DialMode.PROGRESSIVE, seed=13)
    version = await survey_repo.create_survey(db_pool, SurveyDefinition.from_dict(SURVEY), created_by=None)
    await db_pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, lines) VALUES ($1, $2,"
                          " 'campaign', $3)", version.survey_id, scenario.campaign.id, LINES)
    sim = PbxConfig(speed=SPEED, seed=6, customer_model=MODEL, survey_customer=TAKER)
    most = 0
    started = time.monotonic()
    async with run_system(services, sim_config=sim, engine_id="survey-campaign") as system:
        engine = system.engine
        # the dialplan's wait for the next step, in simulated seconds: at 50x, 10 s is 0.2 s of a loaded machine
        system.engine.surveys.wait_s = 60.0
        system.engine.surveys.survey_hold_s = 60.0     # and the ready customer's wait to be moved into it
        on_pbx: list[int] = []

        async def watch_lines() -> None:      # customer legs up on the PBX (ringing, in the survey, hearing its end)
            while True:
                on_pbx.append(len({id(ch.leg) for ch in system.sim.channels()  # type: ignore[union-attr]
                                   if ch.leg is not None and ch.leg.kind == "customer" and not ch.leg.done}))
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch_lines())
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not engine.errors:
            busy = sum(1 for c in engine.calls.values() if not c.terminal) + engine.surveys.in_survey(
                scenario.campaign.id)
            most = max(most, busy)
            if await leads_left(db_pool, scenario.campaign.id, services.clock.now()) == 0 \
                    and not engine.surveys.running and not engine.surveys.starting:
                break
            await asyncio.sleep(0.1)
        wall = time.monotonic() - started
        watcher.cancel()
        originates = list(system.sim.originate_log)  # type: ignore[union-attr]
        faults = list(system.sim.switch.dialplan.faults)  # type: ignore[union-attr]
    assert engine.errors == [] and faults == []
    dialled = [o.channel.split("/", 1)[1].split("@", 1)[0] for o in originates if "@carrier" in o.channel]
    assert len(dialled) == len(set(dialled)), "a number was dialled twice"
    assert not {n.lstrip("+") for n in scenario.dnc_numbers} & set(dialled)
    assert not {n.lstrip("+") for n in scenario.outside_numbers} & set(dialled)
    assert 0 < most <= LINES, most
    # and on the PBX itself: a customer hearing the survey's end still holds its line until it hangs up
    assert max(on_pbx) <= LINES, max(on_pbx)
    reached = await db_pool.fetch("SELECT id, phone_e164 FROM call_records WHERE campaign_id = $1"
                                  " AND outcome = 'handled'", scenario.campaign.id)
    responses = await db_pool.fetch("SELECT * FROM survey_responses ORDER BY id")
    assert len(reached) > 50
    assert sorted(r["call_record_id"] for r in responses) == sorted(r["id"] for r in reached)
    assert {r["mode"] for r in responses} == {"campaign"} and all(r["ended_at"] for r in responses)
    opted = {r["phone"] for r in responses if r["ended_reason"] == "opted_out"}
    assert opted and wall < 100
    listed = await db_pool.fetch("SELECT e.number FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id"
                                 " WHERE l.kind = 'campaign' AND l.campaign_id = $1", scenario.campaign.id)
    assert {r["number"] for r in listed} == opted
    audited = await db_pool.fetch("SELECT number, action FROM dnc_audit WHERE actor = 'survey' AND action = 'add'")
    assert {(r["number"], r["action"]) for r in audited} == {(n, "add") for n in opted}
    completed = [r for r in responses if r["completed"]]
    assert len(completed) + len(opted) == len(responses)
    answers = await db_pool.fetch("SELECT value FROM survey_answers")
    assert {r["value"] for r in answers} <= {"4", "5"} and len(answers) == len(completed)
