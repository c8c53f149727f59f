"""An inbound caller on a real Asterisk 22 running the shipped dialplan: a pretend caller (the test network's
``caller-<N>``) dials a DID into ``dialer-inbound``; the engine (in this process) finds the DID's queue and
gives the caller to the ready agent who serves it. An independent AMI witness checks what Asterisk reports:
the ``DialerInboundArrived`` UserEvent, music on hold while nobody was ready, then the caller's channel in the
agent's conference; the call record says inbound, the queue, the DID, the agent and the time waited.
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

DID = "+842873001777"
LEG = "live-in-a"


def on_leg(name: str, uid: str, **fields: str):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return (seen.get("Event") == name or seen.get("UserEvent") == name) and seen.get("Uniqueid") == uid \
            and all(seen.get(k) == v for k, v in fields.items())
    return check


async def test_an_inbound_caller_is_held_then_answered_by_the_ready_agent_of_the_dids_queue(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    live = await campaign_on_test_network(services.pool, numbers=[customer_number(1, serial=51)], agents=1,
                                          now=services.clock.now(), mode=DialMode.PREVIEW, name="live-inbound",
                                          amd=False)
    (agent,) = live.agents
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Live hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={agent: 5})
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    caller = f"{LEG}-2"     # the Local channel's half in dialer-inbound
    async with run_system(services, engine_id="live-inbound", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: live.campaign.id in engine.campaigns, what="the campaign loaded")
        await engine.agent_login(agent, live.campaign.id)
        await until(lambda: engine.agent_state(agent)["state"] == "ready", what="the agent's phone in its conference")
        await engine.agent_pause(agent, "break")
        await inbound_caller(watch, LEG, DID.lstrip("+"), 12, "+15550004444")
        arrived = await watch.wait_for(on_leg("DialerInboundArrived", caller), timeout_s=10)
        await watch.wait_for(on_leg("MusicOnHoldStart", caller), timeout_s=5)
        await asyncio.sleep(2.0)                          # the caller holds: its only agent is on a break
        assert not watch.matching(on_leg("ConfbridgeJoin", caller))
        await engine.agent_ready(agent)
        joined = await watch.wait_for(on_leg("ConfbridgeJoin", caller), timeout_s=10)
        await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30,
                    what="the caller hung up after talking")
        call_id = engine.agent_state(agent)["call"]["call_id"]
        await engine.set_disposition(agent, DispositionInput(call_id, "resolved"))

        async def closed() -> bool:
            row = await services.pool.fetchrow("SELECT waited_s FROM call_records WHERE id = $1", int(call_id))
            return row is not None and row["waited_s"] is not None
        await until(closed, what="the record closed")
        await watch.wait_for(on_leg("Hangup", caller), timeout_s=10)
    assert engine.errors == []
    assert (arrived.get("Did"), arrived.get("CallerId"), arrived.get("LegId")) == (DID.lstrip("+"), "+15550004444",
                                                                                   caller)
    assert joined.get("Conference") == f"agent-{agent}"
    record = await services.pool.fetchrow("SELECT * FROM call_records WHERE id = $1", int(call_id))
    assert record["direction"] == "inbound" and record["queue_id"] == queue.id and record["did"] == DID
    assert record["outcome"] == "handled" and record["agent_id"] == agent and record["disposition"] == "resolved"
    assert record["phone_e164"] == "+15550004444" and record["waited_s"] >= 1.5   # held 2 s (watched), less the hop to the engine
