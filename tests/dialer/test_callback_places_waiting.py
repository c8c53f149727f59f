"""Callers who pressed 1 keep their place (issue 15): off the line, but waiting for an agent all the same. The
router gives a place the next ready agent its priority and first arrival earn, exactly as it would the caller
holding; so the pacer's inbound demand (``Snapshot.inbound_waiting``) counts each place with its wait since the
first arrival, the live board counts them beside the callers on the line and puts them ahead of a caller arriving
now, and the wallboard says "waiting 1 + 2 called back"."""

from __future__ import annotations

from datetime import UTC, datetime

from campaigns.model import Campaign
from dialer.agents import Agent, AgentState
from dialer.callback_places import Place, place_waits
from dialer.calls import Call, CallPolicy, CallState, Pool, PoolKind
from dialer.clock import VirtualClock
from dialer.routing import QueueRule
from dialer.runner import CampaignRunner
from dialer.users import Role
from pacing.estimators import HandleTimeModel
from tests.admin_ui.test_pages_queue_reports import hotline, zone_away_from_midnight
from tests.admin_ui.test_pages_reports import sign_in
from tests.dialer.test_agent_history import idle_engine

START = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def holding(call_id: int, pool: Pool, ready_at: float) -> Call:
    return Call(call_id=call_id, leg_id=f"leg-{call_id}", pool=pool, policy=CallPolicy(safe_harbor_s=None),
                state=CallState.WAITING, inbound=True, priority=0, answered_at=ready_at, ready_at=ready_at)


def kept(inbound_call_id: int, queue_id: int, arrived_at: float) -> Place:
    return Place(inbound_call_id=inbound_call_id, queue_id=queue_id, number=f"+8490000{inbound_call_id:04d}",
                 priority=0, arrived_at=arrived_at, waited_s=20.0)


def test_a_place_waits_since_its_callers_first_arrival_and_only_its_own_queues_count_it() -> None:
    places = [kept(1, 5, 900.0), kept(2, 6, 950.0), kept(3, 5, 1000.0)]
    assert place_waits(places, {5}, now=1000.0) == (100.0, 0.0)
    assert place_waits(places, {5, 6}, now=1000.0) == (100.0, 50.0, 0.0)
    assert place_waits(places, set(), now=1000.0) == ()


async def test_the_pacer_of_a_blended_campaign_counts_the_places_as_inbound_callers_waiting(db_pool) -> None:  # type: ignore[no-untyped-def]
    clock = VirtualClock(start=START, monotonic_start=1000.0)
    engine = idle_engine(db_pool, clock)
    runner = CampaignRunner(engine, Campaign(id=3, name="Blend", trunk_template="PJSIP/{number}@t"), leads=None,  # type: ignore[arg-type]
                            dnc=None)
    runner.blend_queues, runner.service_level = frozenset({5}), (0.9, 15.0)
    engine.calls[11] = holding(11, Pool(PoolKind.QUEUE, 5), ready_at=990.0)             # on the line 10 s
    engine.inbound.callbacks.places[-12] = kept(12, 5, arrived_at=940.0)               # pressed 1, arrived 60 s ago
    engine.inbound.callbacks.places[-13] = kept(13, 7, arrived_at=900.0)               # a queue these agents don't serve
    assert sorted(runner.snapshot().inbound_waiting) == [10.0, 60.0]


async def test_the_live_board_counts_the_places_and_puts_them_ahead_of_a_caller_arriving_now(db_pool) -> None:  # type: ignore[no-untyped-def]
    clock = VirtualClock(start=START, monotonic_start=1000.0)
    engine = idle_engine(db_pool, clock)
    queue = Pool(PoolKind.QUEUE, 5)
    engine.queue_rules = {queue: QueueRule(levels={7: 5})}
    handle = HandleTimeModel()
    for _ in range(200):
        handle.observe(60.0)
    engine.inbound.handle[5] = handle
    engine.agents[7] = Agent(agent_id=7, pools=frozenset({queue}), state=AgentState.ON_CALL,
                             state_since=clock.monotonic() - 10.0)                     # 50 s left on its call
    alone = engine.live_state()["queues"]["5"]
    assert alone["called_back"] == 0 and alone["callers_ahead"] == 0

    engine.inbound.callbacks.places[-12] = kept(12, 5, arrived_at=clock.monotonic() - 30.0)
    await clock.advance(1.0)
    figures = engine.live_state()["queues"]["5"]
    assert figures["waiting"] == 0 and figures["called_back"] == 1
    assert figures["callers_ahead"] == 1                  # the newcomer is served after the place
    assert figures["estimated_wait_s"] > alone["estimated_wait_s"] + 30.0     # a whole call more, roughly


async def test_the_wallboard_shows_the_callers_called_back_beside_those_waiting(browser_client, make_user, services,
                                                                               db_pool) -> None:  # type: ignore[no-untyped-def]
    queue = await hotline(services, zone_away_from_midnight(datetime.now(UTC)))
    clock = VirtualClock(start=START, monotonic_start=1000.0)
    engine = idle_engine(db_pool, clock)
    services.extras["engine"] = engine
    engine.calls[11] = holding(11, Pool(PoolKind.QUEUE, queue.id), ready_at=990.0)
    for inbound_call_id in (12, 13):
        engine.inbound.callbacks.places[-inbound_call_id] = kept(inbound_call_id, queue.id, arrived_at=950.0)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    page = (await browser_client.get("/wallboard/queues")).text
    assert '<span data-q="waiting_now">1</span>' in page
    assert "+ 2 called back</span>" in page and "pressed 1 to be called back" in page
    engine.inbound.callbacks.places.clear()
    page = (await browser_client.get("/wallboard/queues")).text
    assert '<span data-q="waiting_now">1</span>' in page and 'data-q="called_back_now"' not in page


async def test_the_wallboard_prints_the_estimates_measured_error_mean_and_p90(browser_client, make_user, services,
                                                                             db_pool) -> None:  # type: ignore[no-untyped-def]
    queue = await hotline(services, zone_away_from_midnight(datetime.now(UTC)))
    engine = idle_engine(db_pool, VirtualClock(start=START, monotonic_start=1000.0))
    services.extras["engine"] = engine
    engine.calls[11] = holding(11, Pool(PoolKind.QUEUE, queue.id), ready_at=990.0)     # the engine knows the queue
    engine.board.queues.seeded.add(queue.id)                                            # no earlier records to read
    for estimate, actual in ((30.0, 40.0), (30.0, 10.0), (60.0, 60.0)):
        engine.wait_errors.observe(queue.id, estimate_s=estimate, actual_s=actual)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    page = (await browser_client.get("/wallboard/queues")).text
    assert 'data-q="wait_error">10 / 18 s<' in page and "over 3 answered callers" in page
