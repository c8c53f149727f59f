"""Inbound queue settings: every bad setting is refused at save naming its field; good ones round-trip."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.queues import (
    ClosedAction,
    OverflowAction,
    Queue,
    QueueError,
    SkillStep,
    Strategy,
    overflow_cycle,
)

GOOD: dict[str, Any] = {
    "name": "Hotline", "dids": ["+84 28 7300 1234", "0033 1 42 68 53 00"], "timezone": "Asia/Ho_Chi_Minh",
    "hours": {"mon": "08:00-12:00, 13:30-17:30", "sat": "08:00-12:00"}, "holiday_calendar": "FR",
    "closed_days": ["2026-02-17"], "closed_action": "voicemail", "voicemail_box": "100@support",
    "strategy": "skills", "skill_steps": "0:8, 30:5, 60:1", "priority": 10, "vip_priority": 50,
    "vip_lead_field": "tier", "vip_lead_value": "gold", "max_waiting": 20, "max_wait_s": 300,
    "overflow_action": "message", "overflow_sound": "custom/busy&please-try-call-later", "wrapup_s": 15,
    "sl_target_pct": 90, "sl_threshold_s": 15, "announce_every_s": 45, "announce_position": True,
    "press1_callback": True, "callback_campaign_id": 3, "dispositions": "solved | Solved\nescalated | Escalated",
}


def refused(changes: dict[str, Any]) -> QueueError:
    with pytest.raises(QueueError) as info:
        Queue.from_dict({**GOOD, **changes})
    return info.value


def test_a_full_queue_reads_its_settings_and_writes_them_back_unchanged() -> None:
    queue = Queue.from_dict(GOOD, id=7)
    assert queue.dids == ("+842873001234", "+33142685300")
    assert queue.weekly[0] == ((480, 720), (810, 1050)) and queue.weekly[5] == ((480, 720),) and queue.weekly[6] == ()
    assert queue.strategy is Strategy.SKILLS and queue.skill_steps[1] == SkillStep(30, 5)
    assert queue.closed_action is ClosedAction.VOICEMAIL and queue.overflow_action is OverflowAction.MESSAGE
    assert queue.sl_target == pytest.approx(0.90)
    assert Queue.from_dict(queue.as_dict(), id=7) == queue


def test_announcements_are_off_and_nothing_overflows_by_default() -> None:
    queue = Queue.from_dict({"name": "Small"})
    assert (queue.announce_every_s, queue.announce_position, queue.announce_wait) == (None, False, False)
    assert queue.overflow_action is OverflowAction.NONE and not queue.press1_callback
    assert queue.sounds() == {"closed_sound": "please-try-call-later"}


@pytest.mark.parametrize(("changes", "field", "code"), [
    ({"name": " "}, "name", "name"),
    ({"name": "Hot\nline"}, "name", "asterisk"),
    ({"dids": ["0287300 1234"]}, "dids", "did_format"),
    ({"dids": ["+1 555 0100"]}, "dids", "did_format"),
    ({"dids": ["+84 28 7300 1234", "+842873001234"]}, "dids", "did_twice"),
    ({"timezone": "Mars/Olympus"}, "timezone", "zone"),
    ({"hours": {"tue": "8h-17h"}}, "hours.tue", "hours"),
    ({"hours": {"monday": "08:00-17:00"}}, "hours", "choice"),
    ({"holiday_calendar": "XX"}, "holiday_calendar", "holidays"),
    ({"closed_days": ["17/02/2026"]}, "closed_days", "date"),
    ({"closed_action": "hangup"}, "closed_action", "choice"),
    ({"closed_action": "message", "closed_sound": "closed message"}, "closed_sound", "sound"),
    ({"overflow_sound": "../../etc/passwd"}, "overflow_sound", "sound"),
    ({"overflow_sound": "fermé"}, "overflow_sound", "sound"),
    ({"voicemail_box": ""}, "voicemail_box", "mailbox_needed"),
    ({"voicemail_box": "100,support"}, "voicemail_box", "mailbox"),
    ({"moh_class": "my class"}, "moh_class", "moh"),
    ({"strategy": "random"}, "strategy", "choice"),
    ({"skill_steps": "30:8, 60:5"}, "skill_steps", "skill_steps"),          # the first step is at 0 s
    ({"skill_steps": "0:5, 30:8"}, "skill_steps", "skill_steps"),           # levels must fall
    ({"skill_steps": "0:11"}, "skill_steps", "skill_steps"),
    ({"priority": 101}, "priority", "range"),
    ({"priority": "high"}, "priority", "number"),
    ({"vip_lead_value": ""}, "vip_lead_field", "vip_field"),
    ({"max_wait_s": 5}, "max_wait_s", "range"),
    ({"overflow_action": "queue"}, "overflow_queue_id", "overflow_target_needed"),
    ({"max_waiting": None, "max_wait_s": None}, "overflow_action", "limit_needed"),
    ({"press1_callback": True, "callback_campaign_id": None}, "callback_campaign_id", "callback_campaign_needed"),
    ({"wrapup_s": -1}, "wrapup_s", "range"),
    ({"sl_target_pct": 0}, "sl_target_pct", "range"),
    ({"sl_threshold_s": 0}, "sl_threshold_s", "range"),
    ({"announce_every_s": None}, "announce_every_s", "announce_needed"),
    ({"dispositions": "ok | OK\nok | Again"}, "dispositions", "disposition_twice"),
    ({"dispositions": "bad code | Bad"}, "dispositions", "disposition_line"),
    ({"dispositions": []}, "dispositions", "disposition_none"),
    ({"dispositions": [{"code": "ok", "label": "Line\nbreak"}]}, "dispositions", "disposition_label"),
    ({"dispositions": "ok | " + "x" * 101}, "dispositions", "disposition_label"),
])
def test_a_bad_setting_is_refused_naming_its_field(changes: dict[str, Any], field: str, code: str) -> None:
    error = refused(changes)
    assert (error.field, error.code) == (field, code)
    assert str(error).startswith(f"{field}: ")


def test_a_queue_overflowing_to_itself_is_refused_naming_the_loop() -> None:
    queue = Queue.from_dict(GOOD, id=4)
    with pytest.raises(QueueError) as info:
        queue.with_settings({"overflow_action": "queue", "overflow_queue_id": 4})
    assert str(info.value) == "overflow_queue_id: overflowing to 'Hotline' makes a loop: Hotline → Hotline"


def test_overflow_cycle_finds_the_loop_a_change_would_close() -> None:
    stored = {1: 2, 2: 3, 3: None, 4: 1}
    assert overflow_cycle(3, 4, stored) == (3, 4, 1, 2, 3)      # 3 -> 4 -> 1 -> 2 -> 3
    assert overflow_cycle(3, None, stored) is None
    assert overflow_cycle(5, 4, stored) is None                 # ends at 3, which overflows nowhere
    assert overflow_cycle(1, 1, stored) == (1, 1)


def test_skills_widen_to_lower_levels_as_the_caller_waits() -> None:
    queue = Queue.from_dict(GOOD)
    assert [queue.min_skill_level(w) for w in (0, 29.9, 30, 59, 60, 3600)] == [8, 8, 5, 5, 1, 1]
    assert queue.with_settings({"strategy": "longest_idle"}).min_skill_level(0) == 1


def test_every_sound_a_queue_can_play_is_listed_by_its_field_for_the_pbx_check() -> None:
    queue = Queue.from_dict({**GOOD, "closed_action": "message", "closed_sound": ""})
    assert queue.sounds() == {"closed_sound": "please-try-call-later",
                              "overflow_sound": "custom/busy&please-try-call-later",
                              "press1_sound": "vm-tocallback&vm-press&digits/1"}   # it offers press 1: the default


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 8), st.one_of(st.none(), st.integers(1, 8))), max_size=40))
def test_overflows_saved_through_the_cycle_check_never_form_a_loop(changes: list[tuple[int, int | None]]) -> None:
    stored: dict[int, int | None] = {}
    for queue_id, target in changes:
        cycle = overflow_cycle(queue_id, target, stored)
        if cycle is None:
            stored[queue_id] = target
        else:   # a refused change names a real loop through the queue being saved
            assert cycle[0] == cycle[-1] == queue_id and cycle[1] == target
            assert all(stored.get(a) == b for a, b in itertools.pairwise(cycle[1:]))
        for start in stored:                     # following any chain ends
            seen, current = set(), start
            while current is not None:
                assert current not in seen
                seen.add(current)
                current = stored.get(current)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["longest_idle", "fewest_calls_today", "skills", "round_robin"]), st.integers(0, 100),
       st.one_of(st.none(), st.integers(1, 1000)), st.one_of(st.none(), st.integers(15, 600)),
       st.floats(1, 100).map(lambda x: round(x, 2)), st.booleans())
def test_what_a_queue_writes_it_reads_back_unchanged(strategy: str, priority: int, max_waiting: int | None,
                                                      every: int | None, pct: float, press1: bool) -> None:
    queue = Queue.from_dict({**GOOD, "strategy": strategy, "priority": priority, "max_waiting": max_waiting,
                             "announce_every_s": every, "announce_position": every is not None,
                             "sl_target_pct": pct, "press1_callback": press1}, id=3)
    assert Queue.from_dict(queue.as_dict(), id=3) == queue


def test_a_change_of_hours_changes_only_the_weekdays_it_names() -> None:
    queue = Queue.from_dict(GOOD).with_settings({"hours": {"sat": "", "sun": "09:00-11:00"}})
    assert queue.weekly[0] == ((480, 720), (810, 1050)) and queue.weekly[5] == () and queue.weekly[6] == ((540, 660),)


def test_a_vip_is_on_the_vip_list_or_has_the_lead_field_value_and_gets_the_extra_priority() -> None:
    queue = Queue.from_dict(GOOD)                    # priority 10, VIP +50 when tier is gold
    assert queue.is_vip(on_vip_list=True)
    assert queue.is_vip(on_vip_list=False, lead_fields={"tier": " Gold "})
    assert not queue.is_vip(on_vip_list=False, lead_fields={"tier": "silver"})
    assert not queue.is_vip(on_vip_list=False, lead_fields=None)
    assert (queue.caller_priority(vip=True), queue.caller_priority(vip=False)) == (60, 10)
