"""An engine killed while inbound callers hold (issue 15): the dialplan keeps them holding with music, and the
restarted engine adopts them into their queue with their first arrival, then routes them; no safe harbor, no
second record."""

from __future__ import annotations

import asyncio

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput
from dialer.settings import AmiServer
from dialer.system import run_system
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_engine_restart import ENGINE, PBX_NAME, DoomedEngine, until

SPEED = 20.0
DID = "+842873001234"


def holding(sim: SimulatedPbx, channel: str) -> bool:
    return any(ch.name == channel and ch.moh and ch.context == "dialer-inbound" for ch in sim.channels())


def in_conference(sim: SimulatedPbx, channel: str, agent_id: int) -> bool:
    return any(ch.name == channel and ch.bridge is not None and ch.bridge.conference == f"agent-{agent_id}"
               for ch in sim.channels())


async def test_a_caller_holding_when_the_engine_dies_is_adopted_into_its_queue_with_its_wait_and_answered(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    sim = SimulatedPbx(PbxConfig(speed=SPEED, seed=9))     # DIALER_HOLD_S unset: the dialplan holds 600 s
    await sim.start(host="127.0.0.1", port=0)
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    services.settings.ami_servers = [AmiServer(name=PBX_NAME, port=sim.port, username=sim.config.username,
                                               secret=sim.config.secret, max_channels=50)]
    try:
        scenario = await build_scenario(services.pool, leads=2, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        agent = scenario.agent_ids[0]
        queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
            {"name": "Hotline", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
        await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={agent: 5})
        first = DoomedEngine(services, sim, scenario.campaign)
        await first.start()
        # nobody serves the queue yet: the caller holds in it
        channel = sim.inject_inbound(caller="+15550009999", did=DID, patience_s=900.0, talk_s=3.0)
        await until(lambda: any(c.inbound for c in first.engine.calls.values()), what="the caller in its queue")
        (before,) = await services.pool.fetch("SELECT * FROM call_records WHERE direction = 'inbound'")
        await asyncio.sleep(1.0)                   # 20 s of waiting
        await first.kill()
        await asyncio.sleep(1.0)                   # 20 s more with no engine at all
        assert holding(sim, channel)               # the dialplan keeps it holding
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            await until(lambda: any(c.inbound for c in engine.calls.values()), what="the caller adopted")
            (call,) = [c for c in engine.calls.values() if c.inbound]
            assert call.call_id == before["id"] and call.state.value == "waiting"
            assert holding(sim, channel)           # not sent to safe harbor or the closed message
            await until(lambda: scenario.campaign.id in engine.campaigns, what="the campaign loaded")
            await engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
            await until(lambda: in_conference(sim, channel, agent), what="the caller with the agent")
            await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30, what="wrap-up")
            await engine.set_disposition(agent, DispositionInput(call.call_id, "resolved"))
            await until(lambda: services.pool.fetchval("SELECT waited_s IS NOT NULL FROM call_records WHERE id = $1",
                                                       call.call_id), what="the record closed")
        assert engine.errors == []
    finally:
        await sim.stop()
    rows = await services.pool.fetch("SELECT * FROM call_records WHERE direction = 'inbound'")
    (record,) = rows                               # one record: the same, adopted
    assert record["id"] == before["id"] and record["engine_id"] == ENGINE
    assert record["outcome"] == "handled" and record["agent_id"] == agent and record["disposition"] == "resolved"
    assert record["waited_s"] >= 40.0, record["waited_s"]     # from its first arrival, across the restart
    assert record["safe_harbor_playback"] is None
    assert not any(ch.name == channel for ch in sim.channels())
