"""A queue's music-on-hold class in ``dialer-inbound`` as Asterisk 22 plays it: the recording r1 (made on this
project's Asterisk with the shipped dialplan and manager user, ``tests/live_asterisk/record_queue_moh.py``)
replayed on the simulated PBX, configured with the lab's classes (``default`` and ``dialer-lab``).

A caller holds at its DID in ``default`` (``DIALER_MOH`` unset); ``Setvar DIALER_MOH`` and a Redirect to
``hold`` end the WaitDigit (CANCEL) and start the music again in that class, kept after an announcement; a
class that musiconhold.conf lacks plays ``default`` (res_musiconhold's fallback, only a warning in Asterisk's
log). ``moh show classes`` lists the classes as ``Class: NAME`` lines, which the queue save's check reads. A
caller hung up during the hold's WaitDigit gets ``WAITDIGITSTATUS`` CANCEL (after its music stops) before its
Hangup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from simulations.pbx.transcripts import Message, load_transcript
from tests.simulations.recording_replay import replay, running_pbx

RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "r1_inbound_moh_class_hold_redirect.txt"
SPEED = 10.0
CALLERS = ("r1-caller-a-2", "r1-caller-b-2")
EVENTS = {"Hangup", "MusicOnHoldStop", "ConfbridgeJoin", "UserEvent"}
VARIABLES = {"DIALER_MOH", "WAITDIGITSTATUS", "PLAYBACKSTATUS"}


def story(messages: Sequence[Message]) -> dict[str, list[str]]:
    """Each caller's music (the extension it started in and its class), hold variables and events."""
    out: dict[str, list[str]] = {}
    for m in messages:
        uid = m.get("Uniqueid")
        if m.sent_by_client or uid not in CALLERS:
            continue
        if m.event == "MusicOnHoldStart":
            out.setdefault(uid, []).append(f"MusicOnHoldStart {m.get('Exten')} Class={m.get('Class')}")
        elif m.event == "VarSet" and m.get("Variable") in VARIABLES:
            out.setdefault(uid, []).append(f"{m.get('Variable')}={m.get('Value')}")
        elif m.event in EVENTS:
            label = m.event if m.event != "UserEvent" else f"UserEvent:{m.get('UserEvent')}"
            out.setdefault(uid, []).append(label)
    return out


def output(answer: Message) -> list[str]:
    return [v for k, v in answer.fields if k == "Output"]


def recorded_class_listing(messages: Sequence[Message]) -> list[str]:
    """The ``Output`` lines of the recorded answer to ``moh show classes``."""
    asked = next(m for m in messages if m.sent_by_client and m.get("Command") == "moh show classes")
    return output(next(m for m in messages
                       if not m.sent_by_client and m.get("ActionID") == asked.get("ActionID")))


@pytest.fixture
async def pbx():  # type: ignore[no-untyped-def]
    async with running_pbx(seed=1, speed=SPEED, moh_classes=frozenset({"default", "dialer-lab"})) as server:
        yield server


async def test_music_restarts_in_the_class_set_and_an_unknown_class_plays_default_as_recorded(  # type: ignore[no-untyped-def]
        pbx) -> None:
    recorded = load_transcript(RECORDING)
    probe = await replay(pbx.port, recorded, timeout=30.0 / SPEED + 5.0,
                         watched=("ConfbridgeJoin", "MusicOnHoldStart", "Hangup", "UserEvent"))
    try:
        rec, got = story(recorded), story(probe.events)
        answer = await probe.action("Command", Command="moh show classes")     # its own, after the replay's
    finally:
        await probe.close()
    for uid in CALLERS:
        assert got.get(uid) == rec[uid], (uid, got.get(uid), rec[uid])
    a_music = [s for s in rec["r1-caller-a-2"] if s.startswith("MusicOnHoldStart")]
    assert a_music == ["MusicOnHoldStart 5000 Class=default", "MusicOnHoldStart hold Class=dialer-lab",
                       "MusicOnHoldStart announce Class=dialer-lab"]
    assert rec["r1-caller-a-2"][-4:] == ["MusicOnHoldStop", "WAITDIGITSTATUS=CANCEL", "ConfbridgeJoin",
                                         "Hangup"]
    # hung up during its hold's WaitDigit: the music stops and WAITDIGITSTATUS is CANCEL before its Hangup
    assert rec["r1-caller-b-2"][-3:] == ["MusicOnHoldStop", "WAITDIGITSTATUS=CANCEL", "Hangup"]
    b_music = [s for s in rec["r1-caller-b-2"] if s.startswith("MusicOnHoldStart")]
    assert b_music == ["MusicOnHoldStart 5000 Class=default", "MusicOnHoldStart hold Class=default"]
    assert "DIALER_MOH=no-such-class" in rec["r1-caller-b-2"]
    assert (answer.get("Response"), output(answer)) == ("Success", recorded_class_listing(recorded))
    listed = [line for line in output(answer) if line.startswith("Class: ")]
    assert listed == ["Class: default", "Class: dialer-lab"]
