"""Cold transfer to an inbound queue, end to end on the simulated PBX over TCP: an agent on an outbound call sends
the customer to a queue; the customer holds in the shipped ``dialer-inbound`` and is routed to an agent of that
queue, whose panel state shows the transfer; the first call's record notes the queue and the queue's record is
linked to it, one record each."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput, EngineError
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone

SPEED = 10.0
DID = "+842873001299"
TALKS_LONG = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0,
                           invalid_rate=0.0, ring=LogNormal(1.0, 0.1), talk=LogNormal(600.0, 0.1),
                           patience=LogNormal(600.0, 0.1), no_answer_s=15.0)


async def until(check: Callable[[], object], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def desk(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    """A preview campaign worked by two agents; a support queue (open all week) served by the second only."""
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    scenario = await build_scenario(db_pool, leads=3, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0)
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Support", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={scenario.agent_ids[1]: 5})
    return scenario, queue


async def test_a_customer_sent_to_a_queue_reaches_the_queues_agent_with_one_linked_record_each(
        services, desk, db_pool) -> None:
    scenario, queue = desk
    ann, bob = scenario.agent_ids
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3, customer_model=TALKS_LONG),
                          engine_id="queue-transfer", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        for agent in (ann, bob):
            await engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in (ann, bob)))
        await engine.agent_pause(bob, "break")       # the queue's only agent is away: the customer will hold
        await until(lambda: engine.agent_state(bob)["state"] == "paused")
        lead = await engine.preview_next(ann)
        assert lead is not None
        first = int(await engine.preview_dial(ann, lead["lead_id"]))
        await until(lambda: engine.agent_state(ann)["state"] == "on_call")
        leg = engine.calls[first].leg_id
        with pytest.raises(EngineError, match="does not exist"):
            await engine.transfer_to_queue(ann, queue_id=queue.id + 999)
        second = await engine.transfer_to_queue(ann, queue_id=queue.id)
        # the sender is done with the customer: it sets its own call's disposition
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up")
        await engine.set_disposition(ann, DispositionInput(str(first), "sale"))
        # the customer holds with music in dialer-inbound, a caller of the queue
        assert system.sim is not None
        await until(lambda: any(ch.uniqueid == leg and ch.context == "dialer-inbound" for ch in system.sim.channels()))
        assert engine.calls[second].state.value == "waiting" and engine.call_of_leg[leg] == second
        engine.finished_at[first] = engine.clock.monotonic() - 1e6    # the first call forgotten meanwhile:
        engine.prune_finished()                                        # the leg stays the queue caller's
        assert first not in engine.calls and engine.call_of_leg[leg] == second
        await engine.agent_ready(bob)
        await until(lambda: any(ch.uniqueid == leg and ch.bridge is not None and ch.bridge.conference == f"agent-{bob}"
                                for ch in system.sim.channels()))
        await until(lambda: engine.agent_state(bob)["state"] == "on_call")
        call = engine.agent_state(bob)["call"]
        assert call["call_id"] == str(second) and call["lead_id"] == lead["lead_id"]
        context = engine.call_context[second]
        assert context["queue_transfer"]["from_agent_id"] == ann and context["queue_transfer"]["from_call_id"] == first
        await engine.hangup(bob)
        await until(lambda: engine.agent_state(bob)["state"] == "wrap_up")
        await engine.set_disposition(bob, DispositionInput(str(second), "resolved"))
        await until(lambda: engine.agent_state(bob)["state"] == "ready")
        await until(lambda: all(engine.calls.get(c) is None or engine.calls[c].terminal for c in (first, second)))
        await engine.drain()
    assert engine.errors == []
    rows = await db_pool.fetch("SELECT * FROM call_records ORDER BY id")
    assert [r["id"] for r in rows] == [first, second], "one record each, no second record of the queue caller"
    out, into = rows
    assert (out["direction"], out["outcome"], out["agent_id"], out["disposition"]) == ("preview", "handled", ann, "sale")
    assert out["transferred_to_queue_id"] == queue.id and out["transferred_from_call_id"] is None
    assert (into["direction"], into["queue_id"], into["transferred_from_call_id"]) == ("inbound", queue.id, first)
    assert (into["outcome"], into["agent_id"], into["disposition"]) == ("handled", bob, "resolved")
    assert into["lead_id"] == lead["lead_id"] and into["leg_id"] == f"{leg}~{first}" and into["waited_s"] > 0


async def test_an_inbound_caller_sent_on_to_another_queue_gets_a_second_linked_record(services, desk, db_pool) -> None:
    scenario, support = desk
    ann, bob = scenario.agent_ids
    sales = await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Sales line", "dids": ["+842873001300"], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(db_pool, queue_id=sales.id, levels={ann: 5})
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=5, customer_model=TALKS_LONG),
                          engine_id="queue-transfer-2", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: scenario.campaign.id in engine.campaigns)
        for agent in (ann, bob):
            await engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in (ann, bob)))
        assert system.sim is not None
        system.sim.inject_inbound(caller="+15550007777", did="+842873001300", patience_s=600.0, talk_s=600.0)
        await until(lambda: engine.agent_state(ann)["state"] == "on_call")
        first = int(engine.agent_state(ann)["call"]["call_id"])
        second = await engine.transfer_to_queue(ann, queue_id=support.id)   # the caller wanted support
        await until(lambda: engine.agent_state(bob)["state"] == "on_call")
        assert engine.agent_state(bob)["call"]["call_id"] == str(second)
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up")
        await engine.set_disposition(ann, DispositionInput(str(first), sales.dispositions[0].code))
        await engine.hangup(bob)
        await until(lambda: engine.agent_state(bob)["state"] == "wrap_up")
        await engine.set_disposition(bob, DispositionInput(str(second), support.dispositions[0].code))
        await until(lambda: all(engine.calls.get(c) is None or engine.calls[c].terminal for c in (first, second)))
        await engine.drain()
    assert engine.errors == []
    out, into = await db_pool.fetch("SELECT * FROM call_records ORDER BY id")
    assert (out["id"], out["queue_id"], out["outcome"], out["transferred_to_queue_id"]) == \
        (first, sales.id, "handled", support.id)
    assert (into["id"], into["queue_id"], into["transferred_from_call_id"], into["phone_e164"]) == \
        (second, support.id, first, "+15550007777")
    assert into["outcome"] == "handled" and into["agent_id"] == bob
