"""Recordings, the pure rules: who is recorded (all, a share drawn reproducibly, none), the form's checks naming
the field, HTTP byte ranges, where the payment gaps fall, and how long a recording is kept."""

from __future__ import annotations

import random

import pytest

from dialer.recordings import (
    RangeNotSatisfiable,
    RecordingPolicy,
    RecordingPolicyError,
    byte_range,
    clock_text,
    pause_spans,
    retention_days_for,
)


def test_all_records_every_call_and_none_no_call_without_drawing() -> None:
    rng = random.Random(1)
    state = rng.getstate()
    assert all(RecordingPolicy("all").draws(rng) for _ in range(50))
    assert not any(RecordingPolicy("none").draws(rng) for _ in range(50))
    assert rng.getstate() == state          # no draw spent: a share elsewhere keeps its sequence


def test_a_share_records_about_that_share_and_the_same_seed_records_the_same_calls() -> None:
    policy = RecordingPolicy("share", 30)
    first = [policy.draws(random.Random(7)) for _ in range(1)]
    rng_a, rng_b = random.Random(42), random.Random(42)
    a = [policy.draws(rng_a) for _ in range(2000)]
    b = [policy.draws(rng_b) for _ in range(2000)]
    assert a == b and first == [policy.draws(random.Random(7))]
    assert 0.26 < sum(a) / len(a) < 0.34


@pytest.mark.parametrize(("form", "field"), [
    ({"record_mode": "sometimes"}, "record_mode"),
    ({"record_mode": "share", "record_share": ""}, "record_share"),
    ({"record_mode": "share", "record_share": "0"}, "record_share"),
    ({"record_mode": "share", "record_share": "100"}, "record_share"),
    ({"record_mode": "share", "record_share": "12.5"}, "record_share"),
    ({"record_mode": "all", "recording_retention_days": "0"}, "recording_retention_days"),
    ({"record_mode": "all", "recording_retention_days": "-3"}, "recording_retention_days"),
    ({"record_mode": "all", "recording_retention_days": "ninety"}, "recording_retention_days"),
])
def test_a_bad_setting_is_refused_naming_its_field(form, field) -> None:
    with pytest.raises(RecordingPolicyError) as refused:
        RecordingPolicy.from_form(form)
    assert refused.value.field == field


def test_a_good_form_gives_its_policy_and_a_share_is_ignored_unless_asked_for() -> None:
    assert RecordingPolicy.from_form({"record_mode": "share", "record_share": " 25 ", "recording_retention_days": "90"}) \
        == RecordingPolicy("share", 25, 90)
    assert RecordingPolicy.from_form({"record_mode": "all", "record_share": "nonsense"}) == RecordingPolicy("all")
    assert RecordingPolicy.from_form({}) == RecordingPolicy("none")


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("", None),
    ("bytes=0-", (0, 999)), ("bytes=0-99", (0, 99)), ("bytes=500-", (500, 999)), ("bytes=990-2000", (990, 999)),
    ("bytes=-100", (900, 999)), ("bytes=-5000", (0, 999)), ("bytes=999-999", (999, 999)),
])
def test_byte_ranges_of_a_thousand_byte_file(header, expected) -> None:
    assert byte_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5-2", "bytes=-0", "bytes=-", "items=0-5", "bytes=0-1,5-9",
                                    "bytes=abc"])
def test_an_unsatisfiable_or_malformed_range_is_refused(header) -> None:
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, 1000)


def test_pause_spans_pair_each_pause_with_its_resume_and_an_open_pause_runs_to_the_end() -> None:
    events = [{"action": "pause", "offset_s": 12.5}, {"action": "resume", "offset_s": 40.0},
              {"action": "pause", "offset_s": 55.0}]
    assert pause_spans(events, 61.0) == [(12.5, 40.0), (55.0, 61.0)]
    assert [clock_text(s) for s in (12.5, 40.0, 3725.0, None)] == ["0:12", "0:40", "1:02:05", "-"]


def test_retention_is_the_campaign_or_queue_setting_else_the_global_one() -> None:
    assert retention_days_for(30, 365) == 30
    assert retention_days_for(None, 365) == 365
    assert retention_days_for(None, None) is None
