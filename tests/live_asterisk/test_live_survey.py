"""An after-call survey on a real Asterisk 22 running the shipped dialplan, with the engine in this process.

The campaign offers its survey after every call. The engine dials a person of the test network, who meets the
agent; the agent hangs up (the panel's hang-up): the engine takes the customer out of the conference into
``dialer-survey``. The witness presses the customer's keys (``PlayDTMF``, ``Receive: true``, on its channel, as its
phone would send them) once each question's ``Read`` has begun: 4 for the rating; 1 2 # for the number, whose
prompt says a figure with SayNumber. The answers are saved as they come, the outro plays and the dialplan hangs
the customer up; the response is complete, linked to the call record and the agent.
"""

from __future__ import annotations

import asyncio

from campaigns.model import DialMode
from dialer.engine_api import DispositionInput
from dialer.settings import AmiServer
from dialer.system import run_system
from surveys import repository as survey_repo
from surveys.model import SurveyDefinition
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen
from tests.live_asterisk.conftest import customer_number
from tests.live_asterisk.live_system import campaign_on_test_network
from tests.live_asterisk.test_live_transfer_hold import until

SURVEY = {
    "name": "live after-call survey",
    "intro": [{"kind": "sound", "value": "vm-intro"}],
    "outro": [{"kind": "sound", "value": "auth-thankyou"}],
    "questions": [
        {"id": "rating", "kind": "rating", "prompt": [{"kind": "sound", "value": "vm-press"}], "timeout_s": 8},
        {"id": "count", "kind": "number", "min_digits": 1, "max_digits": 4, "timeout_s": 8,
         "prompt": [{"kind": "sound", "value": "vm-youhave"}, {"kind": "number", "value": "42"},
                    {"kind": "sound", "value": "vm-enter-num-to-call"}]},
    ],
}


def read_started(uid: str, after: float):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return (seen.get("Event") == "VarSet" and seen.get("Uniqueid") == uid and seen.get("Variable") == "READSTATUS"
                and seen.get("Value") == "ERROR" and seen.at > after)
    return check


async def press(watch: AmiWatch, channel: str, digits: str) -> None:
    for digit in digits:
        answer = await watch.action({"Action": "PlayDTMF", "Channel": channel, "Digit": digit, "Receive": "true"})
        assert answer[0].get("Response") == "Success", answer
        await asyncio.sleep(0.2)


async def test_a_customer_answers_the_after_call_survey_with_its_keypad_on_asterisk(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    number = customer_number(1, ring_s=1, stay_s=90, serial=71)      # a person who stays on the line
    live = await campaign_on_test_network(services.pool, numbers=[number], agents=1, now=services.clock.now(),
                                          mode=DialMode.PROGRESSIVE, name="live-survey", amd=False)
    (agent,) = live.agents
    version = await survey_repo.create_survey(services.pool, SurveyDefinition.from_dict(SURVEY), created_by=None)
    await services.pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, share)"
                                " VALUES ($1, $2, 'after_call', 1.0)", version.survey_id, live.campaign.id)
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    async with run_system(services, engine_id="live-survey", tick_s=0.5) as system:
        engine = system.engine
        async with asyncio.timeout(10):
            await system.dnc.wait_loaded()
        await until(lambda: live.campaign.id in engine.campaigns, what="the campaign loaded")
        await engine.agent_login(agent, live.campaign.id)
        await until(lambda: engine.agent_state(agent)["state"] == "on_call", timeout_s=40, what="the customer")
        call_id = int(engine.agent_state(agent)["call"]["call_id"])
        leg = await services.pool.fetchval("SELECT leg_id FROM call_records WHERE id = $1", call_id)
        await until(lambda: engine.surveys.offered.get(leg) is not None and engine.surveys.offered[leg].done(),
                    what="the survey drawn for the call")
        await asyncio.sleep(1.0)
        hung_up_at = asyncio.get_running_loop().time()
        await engine.hangup(agent)                      # the agent ends the call
        left = await watch.wait_for(lambda s: s.get("Event") == "ConfbridgeLeave" and s.get("Uniqueid") == leg,
                                    timeout_s=5)
        channel = left.get("Channel")
        first = await watch.wait_for(read_started(leg, 0.0), timeout_s=20)      # after the intro and the prompt
        await asyncio.sleep(0.5)
        await press(watch, channel, "4")
        rating = await watch.wait_for(lambda s: s.get("UserEvent") == "DialerSurveyAnswer"
                                      and s.get("Uniqueid") == leg, timeout_s=10)
        second = await watch.wait_for(read_started(leg, rating.at), timeout_s=20)   # after SayNumber(42)
        await asyncio.sleep(0.5)
        await press(watch, channel, "12#")
        gone = await watch.wait_for(lambda s: s.get("Event") == "Hangup" and s.get("Uniqueid") == leg, timeout_s=30)
        await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", what="the agent in wrap-up")
        await engine.set_disposition(agent, DispositionInput(str(call_id), "sale"))
        await engine.drain()
    assert engine.errors == []
    # the survey's Read starts once the customer is out of the conference; Asterisk raises ConfbridgeLeave on the
    # bridge's thread and the Read's VarSet on the channel's, so on a real Asterisk 22 the VarSet came 67 us
    # before the ConfbridgeLeave once in four runs: the order is only meaningful beyond that jitter
    assert left.at - hung_up_at < 2.0 and first.at > left.at - 0.05 and second.at > rating.at
    assert gone.get("Cause") == "16"
    response = await services.pool.fetchrow("SELECT * FROM survey_responses")
    assert (response["call_record_id"], response["agent_id"], response["mode"]) == (call_id, agent, "after_call")
    assert response["completed"] and response["ended_reason"] == "completed"
    answers = await survey_repo.saved_answers(services.pool, response["id"])
    assert [(a.question_id, a.value) for a in answers] == [("rating", "4"), ("count", "12")]
    record = await services.pool.fetchrow("SELECT outcome, disposition FROM call_records WHERE id = $1", call_id)
    assert (record["outcome"], record["disposition"]) == ("handled", "sale")
