"""The engine routes with its queues' rules: a skills queue's caller waits for a proficient agent, and the
engine routes again by itself when the queue's skill steps let a lower level take it."""

from __future__ import annotations

from datetime import UTC, datetime

from dialer.agents import Agent, AgentState
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.calls import Call, CallPolicy, CallState, Pool, PoolKind
from dialer.clock import VirtualClock
from dialer.engine import Engine
from dialer.routing import QueueRule, Strategy

HOTLINE = Pool(PoolKind.QUEUE, 2)


async def test_a_skills_caller_beside_a_low_level_agent_is_routed_when_the_floor_drops(db_pool) -> None:
    clock = VirtualClock(start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    unstarted = AmiAdapter([AmiServerConfig(name="pbx", host="127.0.0.1", port=5038, username="u", secret="s",
                                           max_channels=10)],
                           clock=clock)   # never started: the redirect is not what this test checks
    engine = Engine(pool=db_pool, pbx=unstarted, clock=clock, engine_id="queue-route-test")
    engine.queue_rules = {HOTLINE: QueueRule(strategy=Strategy.SKILLS, levels={7: 9, 8: 3},
                                             skill_steps=((0, 8), (10, 1)))}
    now = clock.monotonic()
    engine.agents[7] = Agent(7, pools=frozenset({HOTLINE}), state=AgentState.ON_CALL, state_since=now, leg_id="dl-a7")
    engine.agents[8] = Agent(8, pools=frozenset({HOTLINE}), state=AgentState.READY, ready_since=now - 60,
                             state_since=now - 60, leg_id="dl-a8")
    engine.calls[1] = Call(1, "dl-in-1", HOTLINE, CallPolicy(safe_harbor_s=None), state=CallState.WAITING,
                           ready_at=now, inbound=True)
    engine.route()
    assert engine.calls[1].state is CallState.WAITING and engine.agents[8].state is AgentState.READY
    await clock.advance(9.9)
    assert engine.calls[1].state is CallState.WAITING
    await clock.advance(0.2)                          # 10 s waited: level 1 and up may take it
    assert engine.calls[1].state is CallState.CONNECTING and engine.calls[1].agent_id == 8
    assert engine.agents[8].state is AgentState.RESERVED and engine.agents[8].call_id == 1
    assert engine.queue_last_agent == {HOTLINE: 8}
    await engine.close()
