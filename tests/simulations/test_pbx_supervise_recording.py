"""A team lead supervising an agent in ``dialer-supervise`` as Asterisk 22 runs it: the recording o1 (made on this
project's Asterisk with the shipped dialplan and manager user, ``tests/live_asterisk/record_supervise.py``) replayed
on the simulated PBX.

ChanSpy shows over AMI only ``ChanSpyStart`` (0.1 s after it runs) and ``ChanSpyStop``: a Redirect of the lead's leg
to another mode gives Stop then Start (now in ``whisper``, then ``barge``); the lead's hang-up gives Stop before its
Hangup; a target that does not exist (option S) gives no Start and the lead's leg hangs up at once; the spied agent's
hang-up stops the spy and, with option E, the dialplan hangs the lead up. The spied channel is the one whose Uniqueid
is the target (option u), never one whose name only starts the same.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import pytest

from simulations.pbx.transcripts import Message, label, load_transcript
from tests.simulations.recording_replay import replay, running_pbx

RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "o1_supervise_listen_whisper_barge.txt"
SPEED = 4.0
LEADS = ("o1-lead", "o1-lead-none", "o1-lead-e")
WATCHED = ("ChanSpyStart", "ChanSpyStop", "Hangup", "ConfbridgeJoin")


def story(messages: Sequence[Message]) -> dict[str, list[str]]:
    """What each lead's leg went through: spy starts and stops (with the mode and the spied leg), its hang-up."""
    out: dict[str, list[str]] = {}
    for m in messages:
        if m.sent_by_client:
            continue
        if m.event in ("ChanSpyStart", "ChanSpyStop") and m.get("SpyerUniqueid") in LEADS:
            out.setdefault(m.get("SpyerUniqueid"), []).append(f"{m.event}:{m.get('SpyerExten')}:{m.get('SpyeeUniqueid')}")
        elif m.event == "Hangup" and m.get("Uniqueid") in LEADS:
            out.setdefault(m.get("Uniqueid"), []).append(f"Hangup:{m.get('Exten')}")
    return out


@functools.cache
def _recording() -> Sequence[Message]:
    return load_transcript(RECORDING)


def _key(m: Message) -> tuple[str, str]:
    return (m.get("Uniqueid") or m.get("SpyerUniqueid"), label(m))


@pytest.fixture
async def pbx():  # type: ignore[no-untyped-def]
    async with running_pbx(seed=1, speed=SPEED) as server:
        yield server


async def test_listen_whisper_barge_and_their_ends_give_the_recorded_chanspy_events(pbx) -> None:  # type: ignore[no-untyped-def]
    recorded = _recording()
    # each action once the PBX has sent what Asterisk had sent before it, and its time in the recording has come
    probe = await replay(pbx.port, recorded, watched=WATCHED, key=_key, timeout=30.0 / SPEED + 5.0, speed=SPEED)
    try:
        rec, got = story(recorded), story(probe.events)
    finally:
        await probe.close()
    assert rec["o1-lead"] == [
        "ChanSpyStart:listen:o1-agent-1", "ChanSpyStop:listen:o1-agent-1",
        "ChanSpyStart:whisper:o1-agent-1", "ChanSpyStop:whisper:o1-agent-1",
        "ChanSpyStart:barge:o1-agent-1", "ChanSpyStop:barge:o1-agent-1", "Hangup:barge"]
    assert rec["o1-lead-none"] == ["Hangup:listen"]
    assert rec["o1-lead-e"] == ["ChanSpyStart:listen:o1-agent-10", "ChanSpyStop:listen:o1-agent-10", "Hangup:listen"]
    for uid in LEADS:
        assert got.get(uid) == rec[uid], (uid, got.get(uid), rec[uid])
    assert pbx.switch.dialplan.faults == []
