"""What a queue does with a caller past its limits, or while closed (``dialer.inbound_policy``, pure)."""

from __future__ import annotations

from campaigns.queues import DAY_NAMES, ClosedAction, OverflowAction, Queue
from dialer.inbound_policy import (
    InboundOutcome,
    Limit,
    announcement,
    max_wait_at,
    number_sounds,
    on_arrival,
    on_closed,
    on_max_wait,
    outcome_of,
)


def queue(**settings: object) -> Queue:
    data = {"name": "Hotline", "hours": {d: "00:00-24:00" for d in DAY_NAMES}, **settings}
    return Queue.from_dict(data, id=1)


def test_a_queue_without_limits_takes_every_caller_and_never_times_one_out() -> None:
    q = queue()
    assert on_arrival(q, waiting=500) is None
    assert max_wait_at(q, 10.0) is None
    assert on_max_wait(q, 0.0, 10_000.0, still_waiting=True) is None


def test_the_caller_past_max_waiting_gets_the_queues_action_with_its_target() -> None:
    q = queue(max_waiting=2, overflow_action="queue", overflow_queue_id=7)
    assert on_arrival(q, waiting=1) is None
    past = on_arrival(q, waiting=2)
    assert past is not None and past.limit is Limit.MAX_WAITING
    assert past.action is OverflowAction.QUEUE and past.queue_id == 7
    assert outcome_of(past) is InboundOutcome.OVERFLOWED


def test_a_caller_is_taken_out_at_max_wait_only_while_still_waiting_for_an_agent() -> None:
    q = queue(max_wait_s=60, overflow_action="voicemail", voicemail_box="100")
    assert max_wait_at(q, 5.0) == 65.0
    assert on_max_wait(q, 5.0, 64.9, still_waiting=True) is None
    assert on_max_wait(q, 5.0, 65.0, still_waiting=False) is None      # on its way to an agent: never taken away
    past = on_max_wait(q, 5.0, 65.0, still_waiting=True)
    assert past is not None and past.limit is Limit.MAX_WAIT and past.box == "100"
    assert outcome_of(past) is InboundOutcome.VOICEMAIL


def test_message_and_callback_carry_their_sound_and_campaign() -> None:
    message = on_arrival(queue(max_waiting=1, overflow_action="message", overflow_sound="ss-noservice"), waiting=1)
    assert message is not None and message.sound == "ss-noservice"
    assert outcome_of(message) is InboundOutcome.MESSAGE
    callback = on_arrival(queue(max_waiting=1, overflow_action="callback", callback_campaign_id=3), waiting=1)
    assert callback is not None and callback.campaign_id == 3
    assert outcome_of(callback) is InboundOutcome.CALLED_BACK


def test_a_closed_queue_gives_its_closed_action_and_a_closed_message_is_recorded_closed() -> None:
    closed = on_closed(queue(closed_sound="ss-noservice"))
    assert closed.limit is Limit.CLOSED and closed.action is OverflowAction.MESSAGE and closed.sound == "ss-noservice"
    assert outcome_of(closed) is InboundOutcome.CLOSED
    box = on_closed(queue(closed_action=ClosedAction.VOICEMAIL.value, voicemail_box="200"))
    assert box.action is OverflowAction.VOICEMAIL and box.box == "200"
    assert outcome_of(box) is InboundOutcome.VOICEMAIL


def test_numbers_are_said_with_the_core_digit_sounds() -> None:
    assert number_sounds(7) == ["digits/7"] and number_sounds(20) == ["digits/20"]
    assert number_sounds(42) == ["digits/40", "digits/2"] and number_sounds(90) == ["digits/90"]
    assert number_sounds(305) == ["digits/3", "digits/hundred", "digits/5"]
    assert number_sounds(5000) == ["digits/9", "digits/hundred", "digits/90", "digits/9"]


def test_an_announcement_says_the_place_and_the_wait_in_whole_minutes_rounded_up() -> None:
    both = queue(announce_every_s=30, announce_position=True, announce_wait=True)
    assert announcement(both, ahead=0, estimate_s=50.0) == "queue-youarenext&queue-holdtime&digits/1&queue-minute"
    assert announcement(both, ahead=3, estimate_s=130.0) == (
        "queue-thereare&digits/3&queue-callswaiting&queue-holdtime&digits/3&queue-minutes")
    assert announcement(both, ahead=3, estimate_s=float("inf")) == "queue-thereare&digits/3&queue-callswaiting"
    wait_only = queue(announce_every_s=30, announce_wait=True)
    assert announcement(wait_only, ahead=2, estimate_s=0.0) == ""      # nothing worth saying
