"""Press 0 in a survey on a real Asterisk 22 running the shipped dialplan, the engine in this process.

An agent's preview call ends with the after-call survey; the witness presses the customer's keys (``PlayDTMF``,
``Receive: true``): 4 at the first question, 0 ("talk to someone") at the second. The engine moves the customer
out of ``dialer-survey`` into ``dialer-inbound`` as a caller of the survey's queue, and its ready agent gets it in
its conference, its pop built from a context that names the survey and the answer given."""

from __future__ import annotations

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer.engine_api import DispositionInput
from dialer.settings import AmiServer
from dialer.system import run_system
from surveys import repository as survey_repo
from surveys.model import SurveyDefinition
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch
from tests.live_asterisk.conftest import customer_number
from tests.live_asterisk.live_system import campaign_on_test_network
from tests.live_asterisk.test_live_survey import press, read_started
from tests.live_asterisk.test_live_transfer_hold import until
from tests.live_asterisk.test_live_transfer_queue import event

DID = "+842873001889"
RATING = [{"kind": "sound", "value": "vm-press"}]


async def test_press_0_in_the_after_call_survey_reaches_the_queues_agent_on_asterisk(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    number = customer_number(1, ring_s=1, stay_s=90, serial=73)
    live = await campaign_on_test_network(services.pool, numbers=[number], agents=2, now=services.clock.now(),
                                          mode=DialMode.PREVIEW, name="live-survey-press-0", amd=False)
    ann, bob = live.agents
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Live survey help", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={bob: 5})
    version = await survey_repo.create_survey(services.pool, SurveyDefinition.from_dict({
        "name": "live press 0", "intro": [{"kind": "sound", "value": "vm-intro"}],
        "outro": [{"kind": "sound", "value": "auth-thankyou"}], "operator_digit": "0",
        "operator": {"kind": "queue", "id": queue.id},
        "questions": [{"id": "q1", "kind": "rating", "prompt": RATING, "text": "Delivery?", "timeout_s": 8},
                      {"id": "q2", "kind": "rating", "prompt": RATING, "text": "Driver?", "timeout_s": 8}]}),
        created_by=None)
    await services.pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, share)"
                                " VALUES ($1, $2, 'after_call', 1.0)", version.survey_id, live.campaign.id)
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    async with run_system(services, engine_id="live-survey-press-0", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: live.campaign.id in engine.campaigns, what="the campaign loaded")
        for agent in (ann, bob):
            await engine.agent_login(agent, live.campaign.id)
        await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in (ann, bob)),
                    what="the agents' phones in their conferences")
        first = int(await engine.preview_dial(ann, live.leads[number]))
        await until(lambda: engine.agent_state(ann)["state"] == "on_call", timeout_s=20, what="the customer answered")
        leg = engine.calls[first].leg_id
        await until(lambda: engine.surveys.offered.get(leg) is not None and engine.surveys.offered[leg].done(),
                    what="the survey drawn for the call")
        await engine.hangup(ann)                         # the agent ends the call: the survey begins
        left = await watch.wait_for(event("ConfbridgeLeave", Uniqueid=leg), timeout_s=5)
        channel = left.get("Channel", "")
        # the intro reads one key too (0 works there already): the customer presses nothing, its wait runs out
        intro = await watch.wait_for(read_started(leg, 0.0), timeout_s=20)
        nothing = await watch.wait_for(lambda s: s.get("UserEvent") == "DialerSurveyAnswer"
                                       and s.get("Uniqueid") == leg and s.at > intro.at, timeout_s=10)
        q1 = await watch.wait_for(read_started(leg, nothing.at), timeout_s=20)
        await press(watch, channel, "4")
        answered = await watch.wait_for(lambda s: s.get("UserEvent") == "DialerSurveyAnswer"
                                        and s.get("Uniqueid") == leg and s.at > q1.at, timeout_s=10)
        await watch.wait_for(read_started(leg, answered.at), timeout_s=20)
        await press(watch, channel, "0")                 # talk to someone
        await watch.wait_for(event("DialerInboundArrived", Did=DID.lstrip("+")), timeout_s=10)
        await watch.wait_for(event("ConfbridgeJoin", Conference=f"agent-{bob}", Uniqueid=leg), timeout_s=10)
        await until(lambda: engine.agent_state(bob)["state"] == "on_call", what="the queue's agent talking")
        second = int(engine.agent_state(bob)["call"]["call_id"])
        context = dict(engine.call_context[second])
        await engine.set_disposition(ann, DispositionInput(str(first), "sale"))
        await engine.hangup(bob)
        await until(lambda: engine.agent_state(bob)["state"] == "wrap_up", what="the customer gone")
        await engine.set_disposition(bob, DispositionInput(str(second), "resolved"))
        await engine.drain()
    assert engine.errors == [] and q1.at > left.at
    assert context["from_survey"]["name"] == "live press 0"
    assert context["from_survey"]["answers"] == [{"question": "Delivery?", "answer": "4"}]
    into = await services.pool.fetchrow("SELECT * FROM call_records WHERE id = $1", second)
    assert (into["direction"], into["queue_id"], into["transferred_from_call_id"], into["agent_id"]) == \
        ("inbound", queue.id, first, bob)
    response = await services.pool.fetchrow("SELECT * FROM survey_responses")
    assert (response["ended_reason"], response["completed"], response["agent_id"]) == ("transferred", False, ann)
