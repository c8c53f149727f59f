"""Press 1 to be called back and keep your place, on a real Asterisk 22 running the shipped dialplan, with the
engine in this process.

Caller A (a pretend caller of the test network whose number is a lead of the queue's callback campaign) holds in
``dialer-inbound`` while the queue's only agent is on a break; the engine offers the callback (``DIALER_PRESS1``)
and A presses 1 (``PlayDTMF``, ``Receive: true``, on its channel, as its phone would send the key): Asterisk sends
``DialerCallbackRequest``, thanks it and hangs up. Caller B arrives after A's press and holds. When the agent is
ready, A's place is at the front: the engine reserves the agent and calls A back (a normal outbound call of the
campaign, linked to A's inbound record); the test network answers as a person and talks with the agent. Then the
agent takes B, whose hold (WaitDigit) the engine's Redirect cuts at once (``WAITDIGITSTATUS CANCEL``, then the
agent's conference). An independent AMI witness checks what Asterisk reports.
"""

from __future__ import annotations

import asyncio

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer.engine_api import DispositionInput
from dialer.settings import AmiServer
from dialer.system import run_system
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen
from tests.live_asterisk.conftest import customer_number
from tests.live_asterisk.live_system import campaign_on_test_network
from tests.live_asterisk.record_inbound import inbound_caller
from tests.live_asterisk.test_live_transfer_hold import until

DID = "+842873001778"


def on_leg(name: str, uid: str, **fields: str):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return (seen.get("Event") == name or seen.get("UserEvent") == name) and seen.get("Uniqueid") == uid \
            and all(seen.get(k) == v for k, v in fields.items())
    return check


def var_set(uid: str, variable: str, value: str):  # type: ignore[no-untyped-def]
    return on_leg("VarSet", uid, Variable=variable, Value=value)


async def test_a_caller_who_presses_1_is_called_back_at_its_turn_and_the_next_caller_is_redirected_mid_hold(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    number_a = customer_number(1, ring_s=1, stay_s=4, serial=61)      # answers as a person, talks 4 s
    live = await campaign_on_test_network(services.pool, numbers=[number_a], agents=1, now=services.clock.now(),
                                          mode=DialMode.PREVIEW, name="live-press1", amd=False)
    (agent,) = live.agents
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict({
        "name": "Live callback line", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES},
        "press1_callback": True, "callback_campaign_id": live.campaign.id}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={agent: 5})
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    a, b = "live-p1-a-2", "live-p1-b-2"      # the Local channels' halves in dialer-inbound
    async with run_system(services, engine_id="live-press1", tick_s=0.5) as system:
        engine = system.engine
        async with asyncio.timeout(10):
            await system.dnc.wait_loaded()
        await until(lambda: live.campaign.id in engine.campaigns, what="the campaign loaded")
        await engine.agent_login(agent, live.campaign.id)
        await until(lambda: engine.agent_state(agent)["state"] == "ready", what="the agent's phone in its conference")
        await engine.agent_pause(agent, "break")
        await inbound_caller(watch, "live-p1-a", DID.lstrip("+"), 30, number_a)
        await watch.wait_for(var_set(a, "DIALER_PRESS1", "1"), timeout_s=10)        # the engine offers it
        answer = await watch.action({"Action": "PlayDTMF", "Channel": a, "Digit": "1", "Receive": "true"})
        assert answer[0].get("Response") == "Success", answer
        asked = await watch.wait_for(on_leg("DialerCallbackRequest", a), timeout_s=5)
        await watch.wait_for(on_leg("Hangup", a), timeout_s=10)                      # thanked, hung up
        await until(lambda: engine.inbound.callbacks.places, what="A's place kept")
        await inbound_caller(watch, "live-p1-b", DID.lstrip("+"), 40, "+15550006666")
        await watch.wait_for(var_set(b, "DIALER_PRESS1", "1"), timeout_s=10)
        await engine.agent_ready(agent)
        # A first: its place came before B
        callback = None

        async def called_back() -> bool:
            nonlocal callback
            callback = await services.pool.fetchrow("SELECT * FROM call_records WHERE callback_of IS NOT NULL")
            return callback is not None
        await until(called_back, what="A's callback record")
        assert callback is not None
        await until(lambda: engine.agent_state(agent)["state"] == "on_call", timeout_s=20, what="A with the agent")
        assert not watch.matching(on_leg("ConfbridgeJoin", b))                       # B still holds meanwhile
        await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30, what="A's talk over")
        await engine.set_disposition(agent, DispositionInput(str(callback["id"]), "sale"))
        # then B, redirected out of its WaitDigit hold into the agent's conference
        cancelled = await watch.wait_for(var_set(b, "WAITDIGITSTATUS", "CANCEL"), timeout_s=15)
        joined = await watch.wait_for(on_leg("ConfbridgeJoin", b), timeout_s=5)
        await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=60, what="B's talk over")
        call_b = engine.agent_state(agent)["call"]["call_id"]
        await engine.set_disposition(agent, DispositionInput(call_b, "resolved"))
        await engine.drain()
    assert engine.errors == []
    assert (asked.get("LegId"), asked.get("CallerId")) == (a, number_a)
    assert joined.get("Conference") == f"agent-{agent}" and joined.at - cancelled.at < 0.5
    inbound = await services.pool.fetch("SELECT * FROM call_records WHERE direction = 'inbound' ORDER BY id")
    assert [(r["phone_e164"], r["outcome"]) for r in inbound] == [(number_a, "called_back"),
                                                                   ("+15550006666", "handled")]
    callback = await services.pool.fetchrow("SELECT * FROM call_records WHERE id = $1", callback["id"])
    assert callback["callback_of"] == inbound[0]["id"] and callback["direction"] == "outbound"
    assert callback["phone_e164"] == number_a and callback["lead_id"] == live.leads[number_a]
    assert callback["outcome"] == "handled" and callback["agent_id"] == agent and callback["disposition"] == "sale"
    row = await services.pool.fetchrow("SELECT * FROM queue_callbacks")
    assert (row["state"], row["call_id"], row["inbound_call_id"]) == ("placed", callback["id"], inbound[0]["id"])
