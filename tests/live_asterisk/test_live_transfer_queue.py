"""Cold transfer to a queue on a real Asterisk 22 running the shipped dialplan: an agent on a preview call sends
the customer to an inbound queue; the engine (in this process) Redirects the customer into ``dialer-inbound``
(music on hold, the dialplan's ``DialerInboundArrived`` for a leg the engine knows: no second record) and then,
when the queue's agent is ready, into that agent's conference. An independent AMI witness sees the hold and the
join; the records are one each, the queue's linked to the first."""

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
from tests.live_asterisk.test_live_transfer_hold import until

DID = "+842873001888"


def event(name: str, **fields: str):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return (seen.get("Event") == name or seen.get("UserEvent") == name) \
            and all(seen.get(k) == v for k, v in fields.items())
    return check


async def test_a_customer_sent_to_a_queue_holds_in_dialer_inbound_then_joins_the_queues_agent(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    number = customer_number(1, ring_s=1, stay_s=90, serial=61)
    live = await campaign_on_test_network(services.pool, numbers=[number], agents=2, now=services.clock.now(),
                                          mode=DialMode.PREVIEW, name="live-queue-transfer", amd=False)
    ann, bob = live.agents
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Live support", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={bob: 5})
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    async with run_system(services, engine_id="live-queue-transfer", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: live.campaign.id in engine.campaigns, what="the campaign loaded")
        for agent in (ann, bob):
            await engine.agent_login(agent, live.campaign.id)
        await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in (ann, bob)),
                    what="the agents' phones in their conferences")
        await engine.agent_pause(bob, "break")
        first = int(await engine.preview_dial(ann, live.leads[number]))
        await until(lambda: engine.agent_state(ann)["state"] == "on_call", timeout_s=20, what="the customer answered")
        await watch.wait_for(event("ConfbridgeJoin", Conference=f"agent-{ann}"), timeout_s=5)
        second = await engine.transfer_to_queue(ann, queue_id=queue.id)
        arrived = await watch.wait_for(event("DialerInboundArrived", Did=DID.lstrip("+")), timeout_s=10)
        held = await watch.wait_for(event("MusicOnHoldStart", Uniqueid=arrived.get("Uniqueid", "")), timeout_s=5)
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", what="the sender in wrap-up")
        await engine.set_disposition(ann, DispositionInput(str(first), "sale"))
        await asyncio.sleep(4.0)                 # holding: the queue's only agent is on a break (past the 1.8 s
        #                                          of DIALER_HOLD_S its leg carried as an outbound customer)
        assert not watch.matching(event("ConfbridgeJoin", Conference=f"agent-{bob}", Uniqueid=held.get("Uniqueid", "")))
        await engine.agent_ready(bob)
        await watch.wait_for(event("ConfbridgeJoin", Conference=f"agent-{bob}", Uniqueid=held.get("Uniqueid", "")),
                             timeout_s=10)
        await until(lambda: engine.agent_state(bob)["state"] == "on_call", what="the queue's agent talking")
        assert engine.agent_state(bob)["call"]["call_id"] == str(second)
        await engine.hangup(bob)
        await until(lambda: engine.agent_state(bob)["state"] == "wrap_up", what="the customer gone")
        await engine.set_disposition(bob, DispositionInput(str(second), "resolved"))

        async def closed() -> bool:
            rows = await services.pool.fetch("SELECT outcome, waited_s FROM call_records WHERE id = ANY($1::bigint[])",
                                             [first, second])
            return len(rows) == 2 and all(r["outcome"] is not None for r in rows)
        await until(closed, timeout_s=20, what="both records closed")
    assert engine.errors == []
    rows = await services.pool.fetch("SELECT * FROM call_records ORDER BY id")
    assert [r["id"] for r in rows] == [first, second]
    out, into = rows
    assert (out["outcome"], out["agent_id"], out["disposition"], out["transferred_to_queue_id"]) == \
        ("handled", ann, "sale", queue.id)
    assert (into["direction"], into["queue_id"], into["transferred_from_call_id"], into["agent_id"]) == \
        ("inbound", queue.id, first, bob)
    assert into["outcome"] == "handled" and into["disposition"] == "resolved" and into["waited_s"] >= 4.0
