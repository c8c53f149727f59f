"""Press 1 to be called back and keep your place: the pure rules (``dialer.callback_places``).

A caller who presses 1 leaves the line but not the queue: its place is routed by the one router exactly as it
would have been while holding (same queue, same priority, aged from its first arrival), so it reaches an agent
after the callers who came before it and before those who came after; a refused dial-time check (DNC, the
calling window) says why no callback is placed.
"""

from __future__ import annotations

import pytest

from campaigns.eligibility import Eligibility, Reason
from campaigns.queues import DEFAULT_PRESS1_SOUND, Queue, QueueError
from dialer import callback_places, routing
from dialer.agents import Agent, AgentState
from dialer.callback_places import Place
from dialer.calls import Call, CallPolicy, CallState, Pool, PoolKind
from dialer.routing import QueueRule, RouteAction
from simulations.pbx.sounds import sound_exists

HOTLINE = Pool(PoolKind.QUEUE, 10)
QUEUES = {HOTLINE: QueueRule()}


def agent(agent_id: int) -> Agent:
    return Agent(agent_id, pools=frozenset({HOTLINE}), state=AgentState.READY, ready_since=0.0,
                 leg_id=f"dl-a{agent_id}")


def holding(call_id: int, arrived_at: float, *, priority: int = 0, state: CallState = CallState.WAITING) -> Call:
    return Call(call_id, f"dl-{call_id}", HOTLINE, CallPolicy(safe_harbor_s=None), state=state, ready_at=arrived_at,
                answered_at=arrived_at, inbound=True, priority=priority)


def first_served(calls: list[Call], now: float) -> int:
    decisions = routing.assign(calls, [agent(7)], now, queues=QUEUES)
    served = [d.call_id for d in decisions if d.action is RouteAction.CONNECT]
    assert len(served) == 1
    return served[0]


def test_a_caller_who_presses_1_keeps_its_queue_priority_and_first_arrival() -> None:
    call = holding(42, 100.0, priority=30)
    place = callback_places.place_of(call, number="+15550001111", pressed_at=160.0)
    assert place == Place(inbound_call_id=42, queue_id=10, number="+15550001111", priority=30, arrived_at=100.0,
                          waited_s=60.0)
    kept = callback_places.place_call(place)
    assert (kept.pool, kept.priority, kept.ready_at, kept.state, kept.inbound) == (
        HOTLINE, 30, 100.0, CallState.WAITING, True)
    assert kept.call_id == -42 and callback_places.is_place(kept.call_id)
    assert kept.deadline is None                       # a place, like its caller, has no 2-second rule


def test_the_place_is_served_after_callers_who_came_before_and_before_those_who_came_after() -> None:
    place = callback_places.place_call(callback_places.place_of(holding(5, 100.0), number="+1555", pressed_at=130.0))
    earlier, later = holding(4, 90.0), holding(6, 110.0)
    assert first_served([later, place, earlier], 200.0) == 4
    assert first_served([later, place], 200.0) == place.call_id       # at the front now: it takes the agent
    assert first_served([place, holding(7, 101.0)], 200.0) == place.call_id


def test_the_place_ages_as_a_holding_caller_so_a_vip_who_came_later_can_go_first() -> None:
    """A priority point is a second of waiting, for places as for callers on the line."""
    place = callback_places.place_call(callback_places.place_of(holding(5, 100.0), number="+1555", pressed_at=101.0))
    assert first_served([place, holding(8, 120.0, priority=30)], 200.0) == 8
    assert first_served([place, holding(9, 140.0, priority=30)], 200.0) == place.call_id


def test_only_a_caller_still_waiting_in_a_queue_can_keep_a_place() -> None:
    assert callback_places.accepts_press(holding(1, 0.0))
    assert not callback_places.accepts_press(holding(1, 0.0, state=CallState.CONNECTING))  # an agent is on its way
    assert not callback_places.accepts_press(None)
    outbound = Call(2, "dl-2", Pool(PoolKind.CAMPAIGN, 1), state=CallState.WAITING, ready_at=0.0)
    assert not callback_places.accepts_press(outbound)


def test_a_dnc_number_or_a_closed_calling_window_refuses_the_callback_and_says_why() -> None:
    assert callback_places.refusal(Eligibility(True, Reason.OK)) == ""
    assert callback_places.refusal(Eligibility(False, Reason.DNC, "on list Internal")) == "dnc: on list Internal"
    assert callback_places.refusal(Eligibility(False, Reason.WINDOW, "")).startswith("window")
    assert callback_places.refusal(Eligibility(False, Reason.DNC_UNKNOWN, "DNC data not loaded")).startswith(
        "dnc_unknown")
    queue = Queue(id=1, name="Hotline", press1_callback=True, callback_campaign_id=3)
    assert callback_places.cannot_call_back(queue, "+15550001111") == ""
    assert callback_places.cannot_call_back(queue, "") == "the caller's number is unknown"
    assert callback_places.cannot_call_back(None, "+15550001111") == "its queue was deleted"


@pytest.mark.parametrize(("settings", "every", "offer"), [
    ({}, None, ""),
    ({"announce_every_s": 20, "announce_position": True}, 20.0, ""),
    ({"press1_callback": True, "callback_campaign_id": 3}, 30.0, DEFAULT_PRESS1_SOUND),
    ({"press1_callback": True, "callback_campaign_id": 3, "announce_every_s": 45}, 45.0, DEFAULT_PRESS1_SOUND),
    ({"press1_callback": True, "callback_campaign_id": 3, "press1_sound": "custom/press-1"}, 30.0, "custom/press-1"),
])
def test_the_offer_is_heard_with_the_announcements_only_when_the_queue_offers_it(
        settings: dict[str, object], every: float | None, offer: str) -> None:
    queue = Queue.from_dict({"name": "Hotline", **settings}, id=1)
    assert callback_places.announce_every_s(queue, 1) == every
    assert callback_places.offer(queue) == offer


def test_the_offer_is_a_queue_setting_checked_at_save_naming_its_field() -> None:
    """Off by default; it needs the campaign that places the callbacks; its sound is checked as the others are
    (a name Playback takes here, its existence on every PBX by ``dialer.sound_check`` through ``Queue.sounds``)."""
    assert not Queue.from_dict({"name": "Hotline"}).press1_callback
    with pytest.raises(QueueError) as refused:
        Queue.from_dict({"name": "Hotline", "press1_callback": True})
    assert refused.value.field == "callback_campaign_id"
    with pytest.raises(QueueError) as refused:
        Queue.from_dict({"name": "Hotline", "press1_callback": True, "callback_campaign_id": 3,
                         "press1_sound": "press 1, please"})
    assert (refused.value.field, refused.value.code) == ("press1_sound", "sound")
    queue = Queue.from_dict({"name": "Hotline", "press1_callback": True, "callback_campaign_id": 3})
    assert queue.sounds()["press1_sound"] == DEFAULT_PRESS1_SOUND
    assert all(sound_exists(part) for part in DEFAULT_PRESS1_SOUND.split("&"))   # core sounds every Asterisk has
    assert Queue.from_dict(queue.as_dict(), id=1).press1_sound == ""               # kept through storage's shape
    assert "press1_sound" not in Queue.from_dict({"name": "Hotline"}).sounds()


def test_a_holding_caller_behind_a_place_is_told_the_place_is_ahead_of_it() -> None:
    """The announcement's position and the wait estimate (``dialer.wait_model.queue_view``) count the places kept
    by callers who pressed 1 before it, as the router will serve them first."""
    from dialer.wait_model import queue_view

    place = callback_places.place_call(callback_places.place_of(holding(5, 100.0), number="+1555", pressed_at=130.0))
    behind = holding(6, 110.0)
    busy = Agent(7, pools=frozenset({HOTLINE}), state=AgentState.ON_CALL, state_since=100.0, call_id=99,
                 leg_id="dl-a7")
    assert queue_view(behind, [behind, place], [busy], QUEUES, 200.0).ahead == 1
    assert queue_view(behind, [behind], [busy], QUEUES, 200.0).ahead == 0
