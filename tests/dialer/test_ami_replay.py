"""Every recording in ../shared/asterisk-ami replayed through the parser and the event translation."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from dialer.ami.message import AmiParser, MessageKind
from dialer.ami.replay import replay
from dialer.ami.transcript import Direction, Transcript, read_transcript
from dialer.pbx_port import (
    ConferenceJoined,
    ConferenceLeft,
    CustomerReady,
    FailReason,
    LegAnswered,
    LegFailed,
    LegHungUp,
    LegRinging,
    PbxEvent,
)

RECORDINGS = Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-ami"
FILES = sorted(RECORDINGS.glob("*.txt"))
LEG_EVENTS = (LegRinging, LegAnswered, CustomerReady, LegFailed, LegHungUp, ConferenceJoined, ConferenceLeft)
END_OF_MESSAGE = re.compile(r"^\s*\d+\.\d+ \[\w+\] <<\s*$")


def test_the_recordings_are_present() -> None:
    assert RECORDINGS.is_dir(), f"expected the AMI recordings at {RECORDINGS}"
    assert len(FILES) >= 18


def _load(name: str) -> Transcript:
    return read_transcript(RECORDINGS / f"{name}.txt")


def _terminal(events: list[PbxEvent]) -> dict[str, PbxEvent]:
    out: dict[str, PbxEvent] = {}
    for event in events:
        if isinstance(event, (LegFailed, LegHungUp)):
            assert event.leg_id not in out, f"two terminal events for {event.leg_id}"
            out[event.leg_id] = event
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_message_asterisk_sent_parses_from_the_byte_stream(path: Path) -> None:
    transcript = read_transcript(path)
    expected_count = sum(1 for line in path.read_text().splitlines() if END_OF_MESSAGE.match(line))
    recorded = transcript.messages(Direction.FROM_ASTERISK)
    assert len(recorded) == expected_count
    rng = random.Random(path.stem)
    parsed = []
    for conn in transcript.connections():
        data = transcript.wire_bytes(conn)
        parser = AmiParser()
        at = 0
        while at < len(data):                         # arbitrary TCP read sizes
            step = rng.randint(1, 700)
            parsed.extend(parser.feed(data[at:at + step]))
            at += step
        assert parser.banner in (None, "Asterisk Call Manager/11.0.0")
    assert len(parsed) == expected_count
    assert all(m.kind is not MessageKind.OTHER for m in parsed)
    by_conn = [m.parse() for conn in transcript.connections() for m in recorded if m.conn == conn]
    assert [m.fields for m in parsed] == [m.fields for m in by_conn]


def test_c1_busy_is_classified_busy_with_cause_17() -> None:
    events = replay(_load("c1_originate_busy"))
    assert [type(e) for e in events] == [LegRinging, LegFailed]
    failed = events[-1]
    assert isinstance(failed, LegFailed)
    assert (failed.leg_id, failed.reason, failed.cause) == ("c-2200-a", FailReason.BUSY, 17)


def test_c2_ring_until_timeout_is_no_answer_with_cause_19() -> None:
    failed = replay(_load("c2_originate_noanswer_timeout"))[-1]
    assert isinstance(failed, LegFailed)
    assert (failed.reason, failed.cause) == (FailReason.NO_ANSWER, 19)


def test_c3_congestion_is_classified_congestion_with_cause_34() -> None:
    failed = replay(_load("c3_originate_congestion"))[-1]
    assert isinstance(failed, LegFailed)
    assert (failed.reason, failed.cause) == (FailReason.CONGESTION, 34)


def test_c4_reason_0_with_cause_17_is_busy() -> None:
    failed = replay(_load("c4_originate_reject_cause17"))[-1]
    assert isinstance(failed, LegFailed)
    assert "Reason 0" in failed.detail
    assert (failed.reason, failed.cause) == (FailReason.BUSY, 17)


def test_c5_reason_0_with_cause_34_is_congestion() -> None:
    failed = replay(_load("c5_originate_reject_cause34"))[-1]
    assert isinstance(failed, LegFailed)
    assert (failed.reason, failed.cause) == (FailReason.CONGESTION, 34)


def test_c6_answer_then_drop_is_answered_then_hung_up() -> None:
    events = replay(_load("c6_originate_answer_then_drop"))
    kinds = [type(e) for e in events]
    assert kinds.index(LegAnswered) < kinds.index(LegHungUp)
    assert LegFailed not in kinds
    hung_up = events[-1]
    assert isinstance(hung_up, LegHungUp) and hung_up.cause == 16


def test_c7_busy_with_a_failed_extension_is_busy_and_ignores_the_spool_channel() -> None:
    events = replay(_load("c7_originate_busy_failed_extension"))
    terminal = _terminal(events)
    assert list(terminal) == ["c-2100-a"]
    failed = terminal["c-2100-a"]
    assert isinstance(failed, LegFailed) and failed.reason is FailReason.BUSY


def test_c8_six_concurrent_originates_are_each_classified() -> None:
    events = replay(_load("c8_concurrent_originates_mixed"))
    terminal = _terminal(events)
    outcome = {leg: (t.reason if isinstance(t, LegFailed) else "hung up") for leg, t in terminal.items()}
    assert outcome == {
        "c8-1103-a": "hung up", "c8-2100-a": FailReason.BUSY, "c8-3000-a": FailReason.NO_ANSWER,
        "c8-4100-a": FailReason.CONGESTION, "c8-5103-a": "hung up", "c8-8001-a": FailReason.INVALID_NUMBER}
    ready = {e.leg_id: e.amd_status for e in events if isinstance(e, CustomerReady)}
    assert ready == {"c8-1103-a": "HUMAN", "c8-5103-a": "MACHINE"}


def test_d1_bridged_customer_and_agent_each_hang_up_once() -> None:
    events = replay(_load("d1_bridge_action_agent_customer"))
    terminal = _terminal(events)
    assert set(terminal) == {"d-cust-1", "d-cust-2", "d-agent-1001"}
    assert all(isinstance(t, LegHungUp) for t in terminal.values())


def test_d2_redirect_into_the_agent_conference_gives_conference_joined() -> None:
    events = replay(_load("d2_redirect_into_agent_confbridge"))
    joined = [(e.conference, e.leg_id) for e in events if isinstance(e, ConferenceJoined)]
    left = [(e.conference, e.leg_id) for e in events if isinstance(e, ConferenceLeft)]
    assert joined == [("agent-1002", "d2-agent-1002"), ("agent-1002", "d2-cust-1")]
    assert left == [("agent-1002", "d2-cust-1"), ("agent-1002", "d2-agent-1002")]


def test_e_amd_results_reach_the_engine_as_customer_ready() -> None:
    events = replay(_load("e_amd_results"))
    ready = {e.leg_id: (e.amd_status, e.amd_cause.split("-")[0]) for e in events if isinstance(e, CustomerReady)}
    assert ready == {"e-1203-a": ("HUMAN", "HUMAN"), "e-5203-a": ("MACHINE", "LONGGREETING"),
                     "e-6208-a": ("MACHINE", "INITIALSILENCE"), "e-7100-a": ("HANGUP", ""),
                     "e-9206-a": ("NOTSURE", "TOOLONG")}
    for leg in ready:      # answered before ready, every leg ends
        kinds = [type(e) for e in events if getattr(e, "leg_id", None) == leg]
        assert kinds.index(LegAnswered) < kinds.index(CustomerReady) < kinds.index(LegHungUp)


def test_h1_refused_and_impossible_originates_are_rejected_by_action_id() -> None:
    events = replay(_load("h1_errors_bad_actions_auth"))
    terminal = _terminal(events)
    rejected = {leg: t.detail for leg, t in terminal.items()
                if isinstance(t, LegFailed) and t.reason is FailReason.REJECTED}
    assert rejected["h-nolanding-a"] == "Extension does not exist."
    assert rejected["action:c5-originate-3"] == "Permission denied"
    for unreachable in ("action:c4-originate-10", "action:c4-originate-11", "action:c4-originate-12"):
        assert unreachable in rejected            # no such technology / context / extension: Reason 0
    # the duplicate ChannelId's failure must not end the live call that owns that id
    dup = terminal["h-dup-a"]
    assert isinstance(dup, LegHungUp)


def test_every_originated_leg_ends_in_exactly_one_terminal_event_across_recordings() -> None:
    endless = {"h2-call-a"}    # Asterisk was stopped under it: only reconciliation can end it
    for path in FILES:
        transcript = read_transcript(path)
        events = replay(transcript)
        terminal = _terminal(events)
        started = {e.leg_id for e in events if isinstance(e, LEG_EVENTS) and e.leg_id}
        assert started - set(terminal) <= endless, path.stem
        counts = Counter(type(e).__name__ for e in events if getattr(e, "leg_id", None) in terminal)
        assert counts["LegAnswered"] <= counts["LegHungUp"] + counts["LegFailed"], path.stem
