"""A survey cut by an engine crash, on the simulated PBX over TCP: the restarted engine settles every survey the
dead one left open. A customer still in ``dialer-survey`` (the dialplan waits for the engine's next step) resumes
at the question after its last saved answer and can finish; one who hung up meanwhile has its survey closed,
``engine_restart``, not completed, its answers kept."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from types import SimpleNamespace

from campaigns.model import DialMode
from dialer.runner import view_of
from dialer.system import run_system
from simulations.pbx.survey_customer import SurveyCustomer
from simulations.virtual_agents import virtual_phone
from surveys import repository as survey_repo
from surveys.model import SurveyDefinition
from tests.dialer.test_engine_restart import ENGINE, DoomedEngine, in_conference, outliving_pbx, until

SPEED = 5.0
RATING = [{"kind": "sound", "value": "vm-press"}]
SURVEY = {"name": "Restart check", "intro": [{"kind": "sound", "value": "vm-intro"}],
          "outro": [{"kind": "sound", "value": "auth-thankyou"}],
          "questions": [{"id": f"q{i}", "kind": "rating", "prompt": RATING, "timeout_s": 8} for i in (1, 2, 3)]}
# each answer comes 4-5 s into its step: both customers are mid-survey for a while
TAKER = SurveyCustomer(answers={"q1": {"4": 1.0}, "q2": {"5": 1.0}, "q3": {"3": 1.0}}, think_s=(4.0, 5.0))


async def test_a_survey_cut_by_a_crash_resumes_if_the_customer_is_there_and_is_closed_if_not(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    pool = services.pool
    async with outliving_pbx(services, speed=SPEED, hold_limit_s=None, seed=12, survey_customer=TAKER) as sim:
        scenario = await build_scenario(pool, leads=2, agents=0, now=services.clock.now(), mode=DialMode.PROGRESSIVE,
                                        dnc_share=0.0, outside_share=0.0)
        version = await survey_repo.create_survey(pool, SurveyDefinition.from_dict(SURVEY), created_by=None)
        await pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, lines) VALUES ($1, $2,"
                           " 'campaign', 2)", version.survey_id, scenario.campaign.id)
        first = DoomedEngine(services, sim, scenario.campaign)
        first.engine.surveys.wait_s = 600.0          # the dialplan waits long for the next step: across the restart
        first.engine.surveys.survey_hold_s = 60.0
        await first.engine.surveys.follow_campaign(scenario.campaign.id)
        await first.start()
        for lead in await pool.fetch("SELECT id, phone_e164 FROM leads WHERE campaign_id = $1", scenario.campaign.id):
            await first.dial(SimpleNamespace(id=lead["id"], phone_e164=lead["phone_e164"]))
        await until(lambda: pool.fetchval("SELECT count(DISTINCT response_id) = 2 FROM survey_answers"),
                    what="both customers answered question 1")
        await first.kill()
        kept = await pool.fetch("SELECT response_id, question_id, value FROM survey_answers ORDER BY id")
        assert {r["question_id"] for r in kept} == {"q1"}, "both are mid-survey at the crash"
        legs = {r["leg_id"]: r["id"] for r in await pool.fetch("SELECT id, leg_id FROM survey_responses")}
        gone_leg, staying_leg = sorted(legs)
        (gone,) = [ch for ch in sim.channels()
                   if ch.variables.get("DIALER_LEG_ID") == gone_leg and ch.context == "dialer-survey"]
        sim.switch.hangup(gone, 16)               # one customer hangs up while no engine runs
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            await until(lambda: pool.fetchval("SELECT count(*) = 2 FROM survey_responses WHERE ended_at IS NOT NULL"),
                        timeout_s=30, what="both surveys settled")
            errors = list(system.engine.errors)
    assert errors == []
    rows = {r["leg_id"]: r for r in await pool.fetch("SELECT * FROM survey_responses")}
    closed, resumed = rows[gone_leg], rows[staying_leg]
    assert (closed["ended_reason"], closed["completed"]) == ("engine_restart", False)
    assert (resumed["ended_reason"], resumed["completed"]) == ("completed", True)
    answers = {(r["response_id"], r["question_id"]): r["value"] for r in await pool.fetch(
        "SELECT response_id, question_id, value FROM survey_answers")}
    assert answers == {(closed["id"], "q1"): "4", (resumed["id"], "q1"): "4", (resumed["id"], "q2"): "5",
                       (resumed["id"], "q3"): "3"}


LONG_OUTRO = "dialer-test/long-goodbye"     # 40 s: the customer is still hearing it when the engine dies


async def test_a_customer_hearing_the_surveys_end_at_a_crash_keeps_its_line_taken_until_it_hangs_up(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    """A survey campaign's lines are its capacity: a customer who finished the survey and hears its outro when the
    engine dies is still on a line. The restarted engine counts it (``in_survey``) until its hang-up arrives, so it
    does not dial that line again at once (before: counted 0 from the restart on)."""
    pool = services.pool
    taker = SurveyCustomer(answers={"q1": {"4": 1.0}}, think_s=(0.5, 1.0))
    async with outliving_pbx(services, speed=SPEED, hold_limit_s=None, seed=12, extra_sounds={LONG_OUTRO: 40.0},
                             survey_customer=taker) as sim:
        scenario = await build_scenario(pool, leads=1, agents=0, now=services.clock.now(), mode=DialMode.PROGRESSIVE,
                                        dnc_share=0.0, outside_share=0.0)
        campaign_id = scenario.campaign.id
        definition = {**SURVEY, "outro": [{"kind": "sound", "value": LONG_OUTRO}], "questions": SURVEY["questions"][:1]}
        version = await survey_repo.create_survey(pool, SurveyDefinition.from_dict(definition), created_by=None)
        await pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, lines) VALUES ($1, $2,"
                           " 'campaign', 2)", version.survey_id, campaign_id)
        first = DoomedEngine(services, sim, scenario.campaign)
        first.engine.surveys.survey_hold_s = 60.0
        await first.engine.surveys.follow_campaign(campaign_id)
        await first.start()
        (lead,) = await pool.fetch("SELECT id, phone_e164 FROM leads WHERE campaign_id = $1", campaign_id)
        await first.dial(SimpleNamespace(id=lead["id"], phone_e164=lead["phone_e164"]))
        await until(lambda: pool.fetchval("SELECT count(*) = 1 FROM survey_responses WHERE completed"),
                    what="the customer answered and hears the outro")
        assert first.engine.surveys.in_survey(campaign_id) == 1
        await first.kill()
        (leg,) = [r["leg_id"] for r in await pool.fetch("SELECT leg_id FROM survey_responses")]

        def on_the_pbx() -> bool:
            return any(ch.variables.get("DIALER_LEG_ID") == leg for ch in sim.channels())

        assert on_the_pbx()
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            desk = system.engine.surveys
            counted = desk.in_survey(campaign_id)
            while on_the_pbx():
                assert desk.in_survey(campaign_id) == 1, "the line of a customer still hearing the outro was freed"
                await asyncio.sleep(0.1)
            await until(lambda: desk.in_survey(campaign_id) == 0, timeout_s=5,
                        what="the hang-up frees the line")
            errors = list(system.engine.errors)
    assert errors == []
    assert counted == 1


async def test_a_customer_who_pressed_0_and_talks_with_an_agent_at_a_crash_keeps_its_survey_line_taken(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    """Press 0 moved the customer to an agent of another campaign, but it is still on a line of the survey
    campaign. After a crash the conversation is adopted, and the restarted engine counts that line until the
    conversation ends (before: counted 0 from the restart on)."""
    taker = SurveyCustomer(answers={"intro": {"": 1.0}, "q1": {"0": 1.0}}, think_s=(0.3, 0.6))
    pool = services.pool
    async with outliving_pbx(services, speed=SPEED, hold_limit_s=None, seed=12, survey_customer=taker) as sim:
        surveyed = await build_scenario(pool, leads=1, agents=0, now=services.clock.now(), mode=DialMode.PROGRESSIVE,
                                        dnc_share=0.0, outside_share=0.0, seed=41)
        desk = await build_scenario(pool, leads=0, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0, seed=42)
        agent = desk.agent_ids[0]
        definition = {**SURVEY, "operator_digit": "0", "operator": {"kind": "campaign", "id": desk.campaign.id},
                      "intro_timeout_s": 1}
        version = await survey_repo.create_survey(pool, SurveyDefinition.from_dict(definition), created_by=None)
        await pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, lines) VALUES ($1, $2,"
                           " 'campaign', 2)", version.survey_id, surveyed.campaign.id)
        first = DoomedEngine(services, sim, surveyed.campaign)
        first.view = replace(first.view, trunk_template="Local/1130@sim-customer")   # talks 30 s with the agent
        first.engine.campaigns[surveyed.campaign.id] = first.view
        first.engine.campaigns[desk.campaign.id] = view_of(desk.campaign)
        first.engine.surveys.survey_hold_s = 60.0
        await first.engine.surveys.follow_campaign(surveyed.campaign.id)
        await first.start()
        await first.engine.agent_login(agent, desk.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: first.engine.agent_state(agent)["state"] == "ready", what="the agent ready")
        (lead,) = await pool.fetch("SELECT id, phone_e164 FROM leads WHERE campaign_id = $1", surveyed.campaign.id)
        await first.dial(SimpleNamespace(id=lead["id"], phone_e164=lead["phone_e164"]))
        await until(lambda: first.engine.agent_state(agent)["state"] == "on_call", what="press 0 reached the agent")
        (leg,) = [r["leg_id"] for r in await pool.fetch("SELECT leg_id FROM survey_responses")]
        assert in_conference(sim, leg, agent)
        assert first.engine.surveys.in_survey(surveyed.campaign.id) == 1
        await first.kill()
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine, desk_of = system.engine, system.engine.surveys
            assert engine.agent_state(agent)["state"] == "on_call", "the conversation adopted"
            counted = desk_of.in_survey(surveyed.campaign.id)
            while in_conference(sim, leg, agent):
                assert desk_of.in_survey(surveyed.campaign.id) == 1, "the line of a customer talking was freed"
                await asyncio.sleep(0.1)
            await until(lambda: desk_of.in_survey(surveyed.campaign.id) == 0, timeout_s=5,
                        what="the end of the conversation frees the line")
            errors = list(engine.errors)
    assert errors == []
    assert counted == 1
