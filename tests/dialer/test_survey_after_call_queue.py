"""After-call surveys of an inbound queue ("a campaign or queue offers its survey"), end to end on the simulated PBX
over TCP: a caller to the queue's number is answered by its agent; the queue offers its survey to every caller
(share 1, chosen by the system when the call connects, the offer counted for the agent); when the agent ends the
call from the panel the caller is moved out of the conference into ``dialer-survey`` instead of being hung up, and
answers. The response is linked to the queue, the agent and the inbound call's record. A caller who hangs up on
the agent was offered the survey all the same (the offer rate per agent cannot be steered): its response is
closed, never begun; the agent's offer rate counts the queue's calls it handled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput, EngineError
from dialer.system import run_system
from simulations.call_model import CustomerModel
from simulations.pbx import PbxConfig
from simulations.pbx.survey_customer import SurveyCustomer
from simulations.virtual_agents import virtual_phone
from surveys import repository as survey_repo
from surveys.model import SurveyDefinition
from surveys.stats import ResponseRow, offer_rates

SPEED = 10.0
DID = "+842873009911"
CALLER = "+84987650077"
OTHER = "+84987650078"
RATING = [{"kind": "sound", "value": "vm-press"}]
SURVEY = {"name": "Hotline satisfaction", "intro": [{"kind": "sound", "value": "vm-intro"}],
          "outro": [{"kind": "sound", "value": "auth-thankyou"}],
          "questions": [{"id": "q1", "kind": "rating", "prompt": RATING, "timeout_s": 3},
                        {"id": "q2", "kind": "yes_no", "prompt": RATING, "timeout_s": 3}]}
TAKER = SurveyCustomer(answers={"q1": {"5": 1.0}, "q2": {"1": 1.0}}, think_s=(0.3, 0.6))
QUIET = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0, invalid_rate=0.0)


async def until(check: Callable[[], object], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_queue_caller_is_moved_into_the_queues_survey_when_the_agent_ends_the_call(
        services, db_pool, build_scenario) -> None:  # type: ignore[no-untyped-def]
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    desk = await build_scenario(db_pool, leads=0, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0, seed=41)
    agent = desk.agent_ids[0]
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={agent: 5})
    version = await survey_repo.create_survey(db_pool, SurveyDefinition.from_dict(SURVEY), created_by=None)
    await db_pool.execute("INSERT INTO survey_offers (survey_id, queue_id, mode, share) VALUES ($1, $2,"
                          " 'after_call', 1.0)", version.survey_id, queue.id)
    sim = PbxConfig(speed=SPEED, seed=5, customer_model=QUIET, survey_customer=TAKER)
    async with run_system(services, sim_config=sim, engine_id="survey-queue", tick_s=0.5) as system:
        engine = system.engine
        engine.surveys.wait_s = 60.0
        await until(lambda: desk.campaign.id in engine.campaigns)
        await engine.agent_login(agent, desk.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: engine.agent_state(agent)["state"] == "ready")
        system.sim.inject_inbound(caller=CALLER, did=DID, patience_s=120.0, talk_s=600.0)  # type: ignore[union-attr]
        await until(lambda: engine.agent_state(agent)["state"] == "on_call" and engine.agent_state(agent)["call"])
        call_id = int(engine.agent_state(agent)["call"]["call_id"])
        for _ in range(20):     # the caller may still be on its way into the conference
            try:
                await engine.hangup(agent)       # the panel's hang-up
                break
            except EngineError:
                await asyncio.sleep(0.1)
        await until(lambda: engine.agent_state(agent)["state"] == "wrap_up")
        ended = await wait_for_row(db_pool, "SELECT * FROM survey_responses WHERE ended_at IS NOT NULL")
        await engine.set_disposition(agent, DispositionInput(str(call_id), "resolved"))
        await until(lambda: engine.agent_state(agent)["state"] == "ready")
        # a second caller hangs up on the agent after 2 s of talk: offered, never begun
        system.sim.inject_inbound(caller=OTHER, did=DID, patience_s=120.0, talk_s=2.0)  # type: ignore[union-attr]
        gone = await wait_for_row(db_pool, "SELECT * FROM survey_responses WHERE phone = $1 AND ended_at IS NOT"
                                  " NULL", OTHER)
        faults = list(system.sim.switch.dialplan.faults)  # type: ignore[union-attr]
        await engine.drain()
        errors = list(engine.errors)
    assert errors == [] and faults == []
    record = await db_pool.fetchrow("SELECT * FROM call_records WHERE id = $1", call_id)
    assert (record["direction"], record["queue_id"], record["agent_id"]) == ("inbound", queue.id, agent)
    assert (ended["mode"], ended["queue_id"], ended["campaign_id"], ended["agent_id"], ended["call_record_id"]) == (
        "after_call", queue.id, None, agent, call_id)
    assert ended["phone"] == CALLER and ended["completed"] and ended["ended_reason"] == "completed"
    answers = await db_pool.fetch("SELECT question_id, value FROM survey_answers WHERE response_id = $1"
                                  " ORDER BY question_id", ended["id"])
    assert [(a["question_id"], a["value"]) for a in answers] == [("q1", "5"), ("q2", "yes")]
    assert (gone["mode"], gone["queue_id"], gone["agent_id"]) == ("after_call", queue.id, agent)
    assert (gone["started_at"], gone["completed"], gone["ended_reason"]) == (None, False, "hangup")
    # the offer rate of the queue's agent: two calls handled in the queue, two offered
    handled = await survey_repo.calls_handled_by_agent(db_pool, campaign_ids=[], queue_ids=[queue.id])
    rows = [ResponseRow.from_record(r) for r in await survey_repo.response_rows(db_pool, survey_id=version.survey_id)]
    assert handled == {agent: 2} and offer_rates(rows, handled)[agent].share == 1.0


async def wait_for_row(pool, query: str, *args: object, timeout_s: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while (row := await pool.fetchrow(query, *args)) is None:
        assert time.monotonic() < deadline, f"no row for {query}"
        await asyncio.sleep(0.1)
    return row
