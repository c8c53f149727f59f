"""Who was signed in, and when: the engine writes ``agent_history`` (segments working / paused, with the campaign
and the queues served) as agents change, closes a row a dead engine left open at the last moment the records
show the agent working, and the staffing page reads the segments of a queue's agents."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from campaigns import queue_repository
from campaigns.queues import Queue
from dialer import agent_history
from dialer import agents as agents_mod
from dialer.agent_history import PAUSED, WORKING, Segment, segment_of
from dialer.agents import Agent, AgentState
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.calls import Pool, PoolKind
from dialer.clock import VirtualClock
from dialer.engine import Engine
from dialer.users import Role

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
CAMPAIGN, QUEUE_A, QUEUE_B = Pool(PoolKind.CAMPAIGN, 3), Pool(PoolKind.QUEUE, 11), Pool(PoolKind.QUEUE, 12)


def test_a_segment_is_signed_in_working_or_paused_with_its_campaign_and_queues() -> None:
    agent = Agent(agent_id=7, pools=frozenset({CAMPAIGN, QUEUE_B, QUEUE_A}), state=AgentState.READY)
    assert segment_of(agent, 3) == Segment(WORKING, 3, (11, 12))
    for state in (AgentState.CONNECTING, AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP):
        assert segment_of(Agent(agent_id=7, pools=agent.pools, state=state), 3) == Segment(WORKING, 3, (11, 12))
    paused = Agent(agent_id=7, pools=agent.pools, state=AgentState.PAUSED, pause_reason="lunch")
    assert segment_of(paused, 3) == Segment(PAUSED, 3, (11, 12), "lunch")
    assert segment_of(Agent(agent_id=7, state=AgentState.LOGGED_OUT), 3) is None
    assert segment_of(None, 3) is None


def idle_engine(pool: asyncpg.Pool, clock: VirtualClock) -> Engine:
    unstarted = AmiAdapter([AmiServerConfig(name="pbx", host="127.0.0.1", port=5038, username="u", secret="s",
                                           max_channels=10)], clock=clock)   # never started: nothing reaches a PBX
    return Engine(pool=pool, pbx=unstarted, clock=clock, engine_id="history-test")


async def written(engine: Engine) -> None:
    for _ in range(200):
        if not engine.history.pending and not engine.history.writing:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("agent history not written")


async def test_sign_in_pause_resume_and_sign_out_are_segments_and_a_dead_engines_row_ends_at_the_last_call(
        db_pool, make_user) -> None:  # type: ignore[no-untyped-def]
    ann = (await make_user(Role.AGENT)).id
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict({"name": "Hotline"}))
    other = await queue_repository.save_queue(db_pool, queue=Queue.from_dict({"name": "VIP"}))
    # an engine that died at T0 - 30 min left ann's row open; her last call ended at T0 - 50 min
    await db_pool.execute(
        "INSERT INTO agent_history (user_id, engine_id, campaign_id, queue_ids, state, started_at)"
        " VALUES ($1, 'dead-engine', 3, $2::bigint[], 'working', $3)", ann, [queue.id], T0 - timedelta(hours=1))
    await db_pool.execute(
        "INSERT INTO call_records (agent_id, engine_id, leg_id, direction, phone_e164, originated_at, connected_at,"
        " ended_at, wrap_end_at, outcome) VALUES ($1, 'dead-engine', 'old-1', 'outbound', '+84987654321', $2, $2,"
        " $3, $4, 'handled')", ann, T0 - timedelta(minutes=58), T0 - timedelta(minutes=52), T0 - timedelta(minutes=50))

    clock = VirtualClock(start=T0)
    engine = idle_engine(db_pool, clock)
    pools = frozenset({Pool(PoolKind.CAMPAIGN, 3), Pool(PoolKind.QUEUE, queue.id), Pool(PoolKind.QUEUE, other.id)})
    engine.agent_campaign[ann] = 3
    agent = Agent(agent_id=ann, pools=pools, state=AgentState.READY, state_since=clock.monotonic(), leg_id="leg-ann")
    engine.agents[ann] = agent
    engine.history.changed(None, agent)                              # signed in (as an adopted agent is) at T0
    await clock.advance(600)
    engine.apply_agent(ann, agents_mod.Pause("lunch"))               # T0 + 10 min
    await clock.advance(300)
    engine.apply_agent(ann, agents_mod.Resume())                     # T0 + 15 min
    await clock.advance(900)
    engine.apply_agent(ann, agents_mod.Logout())                     # T0 + 30 min
    assert engine.agents[ann].state is AgentState.LOGGED_OUT
    await written(engine)

    rows = [tuple(r) for r in await db_pool.fetch(
        "SELECT engine_id, state, pause_reason, campaign_id, queue_ids, started_at, ended_at FROM agent_history"
        " ORDER BY started_at")]
    ids = sorted([queue.id, other.id])
    assert rows == [
        ("dead-engine", "working", None, 3, [queue.id], T0 - timedelta(hours=1), T0 - timedelta(minutes=50)),
        ("history-test", "working", None, 3, ids, T0, T0 + timedelta(minutes=10)),
        ("history-test", "paused", "lunch", 3, ids, T0 + timedelta(minutes=10), T0 + timedelta(minutes=15)),
        ("history-test", "working", None, 3, ids, T0 + timedelta(minutes=15), T0 + timedelta(minutes=30)),
    ]

    # the staffing page's reader: the queue's segments, clipped to the span asked for
    seen = await agent_history.segments(db_pool, queue_id=queue.id, since=T0 - timedelta(minutes=55),
                                        until=T0 + timedelta(minutes=12))
    assert [(r.state, r.start, r.end) for r in seen] == [
        ("working", T0 - timedelta(minutes=55), T0 - timedelta(minutes=50)),
        ("working", T0, T0 + timedelta(minutes=10)),
        ("paused", T0 + timedelta(minutes=10), T0 + timedelta(minutes=12))]
    assert await agent_history.segments(db_pool, queue_id=999_999, since=T0, until=T0 + timedelta(hours=1)) == []


async def test_an_open_row_counts_to_now_while_its_agent_is_signed_in_else_to_its_last_call(
        db_pool, make_user) -> None:  # type: ignore[no-untyped-def]
    ann, bob = (await make_user(Role.AGENT)).id, (await make_user(Role.AGENT)).id
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict({"name": "Hotline"}))
    for user in (ann, bob):
        await db_pool.execute(
            "INSERT INTO agent_history (user_id, engine_id, campaign_id, queue_ids, state, started_at)"
            " VALUES ($1, 'e1', 3, $2::bigint[], 'working', $3)", user, [queue.id], T0)
    await db_pool.execute("INSERT INTO agent_sessions (user_id, campaign_id, engine_id) VALUES ($1, 3, 'e1')", ann)
    seen = await agent_history.segments(db_pool, queue_id=queue.id, since=T0, until=T0 + timedelta(hours=1))
    assert [(r.user_id, r.end) for r in seen] == [(ann, T0 + timedelta(hours=1))]   # bob: no session, no call


async def test_queues_given_to_a_signed_in_agent_start_a_new_segment_at_its_next_change(
        db_pool, make_user) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    ann = (await make_user(Role.AGENT)).id
    clock = VirtualClock(start=T0)
    engine = idle_engine(db_pool, clock)
    engine.agent_campaign[ann] = 3
    agent = Agent(agent_id=ann, pools=frozenset({CAMPAIGN}), state=AgentState.READY, leg_id="leg-ann")
    engine.agents[ann] = agent
    engine.history.changed(None, agent)
    await clock.advance(60)
    engine.agents[ann] = replace(agent, pools=agent.pools | {QUEUE_A})   # as InboundDesk.load_rules does
    engine.apply_agent(ann, agents_mod.Reserve(99))                        # its next change: still working
    await written(engine)
    rows = [tuple(r) for r in await db_pool.fetch(
        "SELECT queue_ids, started_at, ended_at FROM agent_history ORDER BY started_at")]
    assert rows == [([], T0, T0 + timedelta(minutes=1)), ([QUEUE_A.id], T0 + timedelta(minutes=1), None)]
