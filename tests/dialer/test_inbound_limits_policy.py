"""What a queue does with a caller past its limits, or while closed (``dialer.inbound_policy``, pure)."""

from __future__ import annotations

import pytest

from campaigns.queues import (
    DAY_NAMES,
    DEFAULT_CLOSED_SOUND,
    DEFAULT_OVERFLOW_SOUND,
    ClosedAction,
    OverflowAction,
    Queue,
    QueueError,
)
from dialer import callback_places
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
    assert announcement(both, ahead=0, estimate_s=50.0, agents=3) == "queue-youarenext&queue-holdtime&digits/1&queue-minute"
    assert announcement(both, ahead=3, estimate_s=130.0, agents=3) == (
        "queue-thereare&digits/3&queue-callswaiting&queue-holdtime&digits/3&queue-minutes")
    assert announcement(both, ahead=3, estimate_s=float("inf"), agents=3) == "queue-thereare&digits/3&queue-callswaiting"
    wait_only = queue(announce_every_s=30, announce_wait=True)
    assert announcement(wait_only, ahead=2, estimate_s=0.0, agents=3) == ""      # nothing worth saying


def test_a_queue_smaller_than_its_announce_min_agents_announces_neither_place_nor_wait_but_still_the_offer() -> None:
    """A new queue announces place and wait every minute from 10 agents up: a 4-agent hotline's callers hear
    music (and the press-1 offer, when there is one), not "you are next" every minute."""
    big = queue(announce_every_s=60, announce_position=True, announce_wait=True, announce_min_agents=10)
    assert announcement(big, ahead=3, estimate_s=130.0, agents=10).startswith("queue-thereare&digits/3")
    assert announcement(big, ahead=3, estimate_s=130.0, agents=4) == ""
    assert callback_places.announce_every_s(big, 10) == 60.0 and callback_places.announce_every_s(big, 4) is None
    offering = queue(announce_every_s=60, announce_position=True, announce_min_agents=10, press1_callback=True,
                     callback_campaign_id=3)
    assert callback_places.announce_every_s(offering, 4) == 60.0     # the offer keeps its interval
    assert announcement(offering, ahead=3, estimate_s=130.0, agents=4) == ""


# --- the whole matrix: each trigger (closed, max waiting, max wait) with each action it allows ---------------------

ACTION_TARGETS = {"message": {"closed_sound": "vm-goodbye", "overflow_sound": "ss-noservice"},
                  "voicemail": {"voicemail_box": "200@sales"}, "callback": {"callback_campaign_id": 3},
                  "queue": {"overflow_queue_id": 7}}
TRIGGERS = {Limit.CLOSED: lambda action: {"closed_action": action},
            Limit.MAX_WAITING: lambda action: {"max_waiting": 2, "overflow_action": action},
            Limit.MAX_WAIT: lambda action: {"max_wait_s": 60, "overflow_action": action}}
OUTCOMES = {"queue": InboundOutcome.OVERFLOWED, "voicemail": InboundOutcome.VOICEMAIL,
            "callback": InboundOutcome.CALLED_BACK, "message": InboundOutcome.MESSAGE}
WHY = {Limit.CLOSED: "the queue is closed", Limit.MAX_WAITING: "too many callers waiting",
       Limit.MAX_WAIT: "waited the queue's maximum"}
MATRIX = [(limit, action) for limit in TRIGGERS for action in ACTION_TARGETS
          if not (limit is Limit.CLOSED and action == "queue")]


def past_of(q: Queue, limit: Limit, *, at_limit: bool = True):  # type: ignore[no-untyped-def]
    """What ``q`` does with a caller at its limit ``limit`` (or one step short of it)."""
    if limit is Limit.CLOSED:
        return on_closed(q)
    if limit is Limit.MAX_WAITING:
        return on_arrival(q, waiting=2 if at_limit else 1)
    return on_max_wait(q, 5.0, 65.0 if at_limit else 64.9, still_waiting=True)


@pytest.mark.parametrize(("limit", "action"), MATRIX, ids=[f"{lim.value}-{act}" for lim, act in MATRIX])
def test_each_limit_gives_the_queues_chosen_action_with_its_target_and_the_outcome_says_which(
        limit: Limit, action: str) -> None:
    q = queue(**ACTION_TARGETS[action], **TRIGGERS[limit](action))
    if limit is not Limit.CLOSED:
        assert past_of(q, limit, at_limit=False) is None            # one short of the limit: it waits on
    past = past_of(q, limit)
    assert past is not None and past.limit is limit and past.action is OverflowAction(action)
    assert past.why == WHY[limit]
    if action == "queue":
        assert past.queue_id == 7
    elif action == "voicemail":
        assert past.box == "200@sales"
    elif action == "callback":
        assert past.campaign_id == 3
    else:   # a closed queue plays its closed sound, a full or slow one its overflow sound
        assert past.sound == ("vm-goodbye" if limit is Limit.CLOSED else "ss-noservice")
    closed_message = limit is Limit.CLOSED and action == "message"
    assert outcome_of(past) is (InboundOutcome.CLOSED if closed_message else OUTCOMES[action])


def test_a_closed_queue_cannot_send_its_callers_to_another_queue_the_setting_is_refused_naming_it() -> None:
    with pytest.raises(QueueError) as refused:
        queue(closed_action="queue", overflow_queue_id=7)
    assert refused.value.field == "closed_action" and refused.value.code == "choice"
    assert {a.value for a in ClosedAction} == {"message", "voicemail", "callback"}


def test_without_sounds_a_closed_queue_says_please_try_later_and_a_full_one_the_default_overflow() -> None:
    closed = on_closed(queue())
    assert closed.sound == DEFAULT_CLOSED_SOUND == "please-try-call-later"
    full = on_arrival(queue(max_waiting=1, overflow_action="message"), waiting=1)
    assert full is not None and full.sound == DEFAULT_OVERFLOW_SOUND
