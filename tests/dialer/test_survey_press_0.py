"""Press 0 in a survey: "talk to someone", end to end on the simulated PBX over TCP.

A survey campaign without agents calls its list; its survey names who takes the customer who presses 0 (the
definition's ``operator``). The customer answers the first question, then presses 0 at the second: the survey ends
``transferred`` (its first answer kept) and the customer is moved, with no agent sending it, to the target:

- a queue: it becomes a normal caller of that queue (one inbound record linked to the survey's call, the queue's
  priority), a ready agent of the queue takes it, and the call's context (what the agent's pop is built from)
  carries the survey's name and the answers given, question text and answer;
- a campaign with agents: an answered call of that campaign, routed to its ready agent the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer import inbound_pop
from dialer.clock import RealClock
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.pbx.survey_customer import SurveyCustomer
from simulations.virtual_agents import virtual_phone
from surveys import repository as survey_repo
from surveys.model import SurveyDefinition

SPEED = 10.0
TALKS_LONG = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0,
                           invalid_rate=0.0, ring=LogNormal(1.0, 0.1), talk=LogNormal(600.0, 0.1),
                           patience=LogNormal(600.0, 0.1), no_answer_s=15.0)
# nothing during the intro, 4 to the first question, 0 ("talk to someone") at the second
TAKER = SurveyCustomer(answers={"intro": {"": 1.0}, "q1": {"4": 1.0}, "q2": {"0": 1.0}}, think_s=(0.3, 0.6))
RATING = [{"kind": "sound", "value": "vm-press"}]


def survey(operator: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Delivery check", "intro": [{"kind": "sound", "value": "vm-intro"}],
            "outro": [{"kind": "sound", "value": "auth-thankyou"}], "operator_digit": "0", "operator": operator,
            "intro_timeout_s": 1,
            "questions": [{"id": "q1", "kind": "rating", "prompt": RATING, "text": "How was the delivery?",
                           "timeout_s": 3},
                          {"id": "q2", "kind": "rating", "prompt": RATING, "text": "How was the driver?",
                           "timeout_s": 3}]}


async def until(check: Callable[[], object], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def setup(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    """A survey campaign of one number (2 lines, no agents); a preview campaign whose one agent also serves the
    "Survey help" queue."""
    return await survey_and_help_desk(services, db_pool, build_scenario, leads=1, did="+842873001377", seed=21)


async def survey_and_help_desk(services, db_pool, build_scenario, *, leads: int, did: str,  # type: ignore[no-untyped-def]
                               seed: int):
    """On accelerated time: a survey campaign of ``leads`` numbers (no agents), and a preview campaign whose one
    agent also serves the all-week "Survey help" queue on ``did``."""
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    now = services.clock.now()
    surveyed = await build_scenario(db_pool, leads=leads, agents=0, now=now, mode=DialMode.PROGRESSIVE,
                                    dnc_share=0.0, outside_share=0.0, seed=seed)
    desk = await build_scenario(db_pool, leads=0, agents=1, now=now, mode=DialMode.PREVIEW, dnc_share=0.0,
                                outside_share=0.0, seed=seed + 1)
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Survey help", "dids": [did], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={desk.agent_ids[0]: 5})
    return surveyed, desk, queue


async def run_press_0(services, db_pool, surveyed, desk, operator: dict[str, Any]):  # type: ignore[no-untyped-def]
    version = await survey_repo.create_survey(db_pool, SurveyDefinition.from_dict(survey(operator)), created_by=None)
    await db_pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, lines) VALUES ($1, $2,"
                          " 'campaign', 2)", version.survey_id, surveyed.campaign.id)
    agent = desk.agent_ids[0]
    sim = PbxConfig(speed=SPEED, seed=4, customer_model=TALKS_LONG, survey_customer=TAKER)
    async with run_system(services, sim_config=sim, engine_id="survey-press-0", tick_s=0.5) as system:
        engine = system.engine
        engine.surveys.wait_s = 60.0
        engine.surveys.survey_hold_s = 60.0
        await until(lambda: desk.campaign.id in engine.campaigns)
        await engine.agent_login(agent, desk.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: engine.agent_state(agent)["state"] == "on_call", 20.0)
        call = engine.agent_state(agent)["call"]
        context = dict(engine.call_context[int(call["call_id"])])
        await engine.drain()
    assert engine.errors == []
    return int(call["call_id"]), context


async def test_press_0_takes_the_customer_to_a_ready_agent_of_the_queue_with_the_answers(
        services, setup, db_pool) -> None:
    surveyed, desk, queue = setup
    started = time.monotonic()
    call_id, context = await run_press_0(services, db_pool, surveyed, desk, {"kind": "queue", "id": queue.id})
    assert time.monotonic() - started < 20
    survey_call, into = await db_pool.fetch("SELECT * FROM call_records ORDER BY id")
    assert into["id"] == call_id, "the agent's call is the queue's record"
    assert (into["direction"], into["queue_id"], into["transferred_from_call_id"]) == ("inbound", queue.id,
                                                                                      survey_call["id"])
    assert into["phone_e164"] == survey_call["phone_e164"] and into["lead_id"] == survey_call["lead_id"]
    assert survey_call["transferred_to_queue_id"] == queue.id and survey_call["campaign_id"] == surveyed.campaign.id
    response = await db_pool.fetchrow("SELECT * FROM survey_responses")
    assert (response["ended_reason"], response["completed"]) == ("transferred", False)
    assert [r["value"] for r in await db_pool.fetch("SELECT value FROM survey_answers")] == ["4"]
    expected = {"response_id": response["id"], "name": "Delivery check",
                "answers": [{"question": "How was the delivery?", "answer": "4"}]}
    assert context["from_survey"] == expected
    pop = inbound_pop.inbound_pop(call_id=call_id, caller=into["phone_e164"], context=context, waited=1.0,
                                  dispositions=[], matches=[], new_contact=None)
    assert pop["from_survey"] == expected and pop["queue"]["id"] == queue.id


async def test_press_0_takes_the_customer_to_a_ready_agent_of_the_campaign_with_the_answers(
        services, setup, db_pool) -> None:
    surveyed, desk, _ = setup
    call_id, context = await run_press_0(services, db_pool, surveyed, desk, {"kind": "campaign", "id": desk.campaign.id})
    survey_call, into = await db_pool.fetch("SELECT * FROM call_records ORDER BY id")
    assert into["id"] == call_id
    assert (into["campaign_id"], into["direction"], into["transferred_from_call_id"]) == (desk.campaign.id, "outbound",
                                                                                         survey_call["id"])
    assert into["agent_id"] == desk.agent_ids[0] and into["phone_e164"] == survey_call["phone_e164"]
    response = await db_pool.fetchrow("SELECT * FROM survey_responses")
    assert response["ended_reason"] == "transferred"
    assert context["from_survey"]["answers"] == [{"question": "How was the delivery?", "answer": "4"}]
    assert context["campaign_id"] == desk.campaign.id


async def test_press_0_to_a_campaign_with_nobody_ready_goes_to_its_safe_harbor_within_two_seconds(
        services, setup, db_pool) -> None:
    surveyed, desk, _ = setup
    version = await survey_repo.create_survey(db_pool, SurveyDefinition.from_dict(
        survey({"kind": "campaign", "id": desk.campaign.id})), created_by=None)
    await db_pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, lines) VALUES ($1, $2,"
                          " 'campaign', 2)", version.survey_id, surveyed.campaign.id)
    sim = PbxConfig(speed=SPEED, seed=4, customer_model=TALKS_LONG, survey_customer=TAKER)
    async with run_system(services, sim_config=sim, engine_id="survey-press-0-nobody", tick_s=0.5) as system:
        system.engine.surveys.wait_s = 60.0
        system.engine.surveys.survey_hold_s = 60.0
        # the campaign's agent never signs in: nobody is ready for the customer who presses 0
        await until(lambda: any(c.pool.id == desk.campaign.id and c.terminal for c in system.engine.calls.values()),
                    20.0)
        (moved,) = [c for c in system.engine.calls.values() if c.pool.id == desk.campaign.id]
        await system.engine.drain()
        errors = list(system.engine.errors)
    assert errors == []
    assert moved.ended_at is not None and moved.ready_at is not None and moved.ended_at - moved.ready_at < 2.0
    record = await db_pool.fetchrow("SELECT * FROM call_records WHERE campaign_id = $1", desk.campaign.id)
    assert record["outcome"] == "abandoned" and record["agent_id"] is None


async def test_a_customer_moving_from_the_survey_to_an_agent_keeps_its_line_taken_until_it_hangs_up(
        services, db_pool, database_url, build_scenario) -> None:  # type: ignore[no-untyped-def]
    """A survey campaign of one line: the customer who pressed 0 is still on that line with the queue's agent, so
    the campaign dials nobody else until that customer's call ends."""
    services.extras["database_url"] = database_url      # the DNC checker keeps its data confirmed past 10 s
    surveyed, desk, queue = await survey_and_help_desk(services, db_pool, build_scenario, leads=2,
                                                       did="+842873001378", seed=23)
    agent = desk.agent_ids[0]
    version = await survey_repo.create_survey(db_pool, SurveyDefinition.from_dict(
        survey({"kind": "queue", "id": queue.id})), created_by=None)
    await db_pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, lines) VALUES ($1, $2,"
                          " 'campaign', 1)", version.survey_id, surveyed.campaign.id)
    sim = PbxConfig(speed=SPEED, seed=4, customer_model=TALKS_LONG, survey_customer=TAKER)
    async with run_system(services, sim_config=sim, engine_id="survey-press-0-line", tick_s=0.5) as system:
        engine = system.engine
        engine.surveys.wait_s = 60.0
        engine.surveys.survey_hold_s = 60.0

        def dialled() -> int:
            return sum(1 for o in system.sim.originate_log if "@carrier" in o.channel)  # type: ignore[union-attr]

        await until(lambda: desk.campaign.id in engine.campaigns)
        await engine.agent_login(agent, desk.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: engine.agent_state(agent)["state"] == "on_call", 20.0)
        # the customer talks with the agent: 20 s of PBX time, four of the survey campaign's ticks
        await asyncio.sleep(2.0)
        while_with_the_agent = dialled()
        await engine.hangup(agent)         # the customer's call ends: its line is free
        await until(lambda: dialled() == 2, 10.0)
        await engine.drain()
        errors = list(engine.errors)
    assert errors == []
    assert while_with_the_agent == 1, "a second number was dialled while the first customer was on the line"
