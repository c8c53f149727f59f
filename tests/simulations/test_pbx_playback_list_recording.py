"""Playback of an ``&`` list as Asterisk 22 does it: the recording q1 (made on this project's Asterisk with the shipped
dialplan, ``tests/live_asterisk/record_playback_list.py``) replayed on the simulated PBX.

Asterisk trims each part (``silence/1 & please-try-call-later`` plays both sounds: SUCCESS) and fails a blank part
(``silence/1&&please-try-call-later``: FAILED, the other parts still played, so it takes as long). The simulator
used to drop blank parts and answer SUCCESS; the settings' sound rule (``dialer.sound_names``) refuses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from simulations.pbx.transcripts import Message, load_transcript
from tests.simulations.recording_replay import replay, running_pbx

RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "q1_playback_list_trim_and_blank_part.txt"
SPEED = 10.0
LEGS = ("q1-a", "q1-b")
EVENTS = {"Hangup", "UserEvent"}


def story(messages: Sequence[Message]) -> dict[str, list[str]]:
    """Each customer's user events, its PLAYBACKSTATUS and its hang-up cause."""
    out: dict[str, list[str]] = {}
    for m in messages:
        uid = m.get("Uniqueid")
        if m.sent_by_client or uid not in LEGS:
            continue
        if m.event == "VarSet" and m.get("Variable") == "PLAYBACKSTATUS":
            out.setdefault(uid, []).append(f"PLAYBACKSTATUS={m.get('Value')}")
        elif m.event == "UserEvent":
            out.setdefault(uid, []).append(f"UserEvent:{m.get('UserEvent')}")
        elif m.event == "Hangup":
            out.setdefault(uid, []).append(f"Hangup:{m.get('Cause')}")
    return out


def played_after_harbor_s(messages: Sequence[Message], uid: str) -> float:
    mine = [m for m in messages if m.get("Uniqueid") == uid and not m.sent_by_client]
    harbor = next(m for m in mine if m.get("UserEvent") == "DialerSafeHarbor")
    played = next(m for m in mine if m.event == "VarSet" and m.get("Variable") == "PLAYBACKSTATUS")
    return played.at - harbor.at


@pytest.fixture
async def pbx():  # type: ignore[no-untyped-def]
    async with running_pbx(seed=1, speed=SPEED) as server:
        yield server


async def test_a_trimmed_list_plays_and_a_blank_part_fails_as_recorded(pbx) -> None:  # type: ignore[no-untyped-def]
    recorded = load_transcript(RECORDING)
    probe = await replay(pbx.port, recorded, watched=("UserEvent", "Hangup"), timeout=30.0 / SPEED + 5.0)
    try:
        rec, got = story(recorded), story(probe.events)
        timing = {uid: (played_after_harbor_s(probe.events, uid) * SPEED, played_after_harbor_s(recorded, uid))
                  for uid in LEGS}
    finally:
        await probe.close()
    assert [s for s in rec["q1-a"] if s.startswith("PLAYBACK")] == ["PLAYBACKSTATUS=SUCCESS"]
    assert [s for s in rec["q1-b"] if s.startswith("PLAYBACK")] == ["PLAYBACKSTATUS=FAILED"]
    for uid in LEGS:
        assert got.get(uid) == rec[uid], (uid, got.get(uid), rec[uid])
        mine, theirs = timing[uid]
        assert mine == pytest.approx(theirs, abs=0.2), (uid, mine, theirs)   # about 3.2 s: both sounds played
