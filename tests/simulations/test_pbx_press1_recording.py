"""Press 1 in ``dialer-inbound`` as Asterisk 22 does it: the recording m1 (made on this project's Asterisk with the
shipped dialplan and manager user, ``tests/live_asterisk/record_press1.py``) replayed on the simulated PBX, and
read by the engine's translator.

The hold is StartMusicOnHold + WaitDigit(600,1). A caller whose queue offers the callback (``DIALER_PRESS1=1``)
and presses 1 ends the WaitDigit (WAITDIGITRESULT, WAITDIGITSTATUS DTMF, music stops), sends
``DialerCallbackRequest``, hears the confirmation and is hung up; a Redirect into an agent's conference during the
WaitDigit stops the music, ends it with CANCEL and joins at once; a key without the offer is ignored (the caller
holds again); a Redirect during an announcement's Playback ends it (PLAYBACKSTATUS SUCCESS) and joins at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from dialer.ami.message import MessageKind
from dialer.ami.transcript import read_transcript
from dialer.ami.translate import Translator
from dialer.pbx_port import CallbackPressed, InboundCall
from simulations.pbx.transcripts import Message, load_transcript
from tests.simulations.recording_replay import replay, running_pbx

RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "m1_inbound_press1_waitdigit_redirect.txt"
SPEED = 10.0
CALLERS = ("m1-caller-a-2", "m1-caller-b-2", "m1-caller-c-2")
EVENTS = {"Newchannel", "Hangup", "MusicOnHoldStart", "MusicOnHoldStop", "ConfbridgeJoin", "ConfbridgeLeave",
          "UserEvent"}
VARIABLES = {"DIALER_KEYS", "DIALER_PRESS1", "DIALER_ANN_MSG", "WAITDIGITRESULT", "WAITDIGITSTATUS", "PLAYBACKSTATUS"}


def story(messages: Sequence[Message]) -> dict[str, list[str]]:
    """Each caller's events, with the variables the hold sets and their values (BRIDGEPEER and the like aside)."""
    out: dict[str, list[str]] = {}
    for m in messages:
        uid = m.get("Uniqueid")
        if m.sent_by_client or uid not in CALLERS:
            continue
        if m.event == "VarSet" and m.get("Variable") in VARIABLES:
            out.setdefault(uid, []).append(f"{m.get('Variable')}={m.get('Value')}")
        elif m.event in EVENTS:
            out.setdefault(uid, []).append(m.event if m.event != "UserEvent" else f"UserEvent:{m.get('UserEvent')}")
    return out


@pytest.fixture
async def pbx():  # type: ignore[no-untyped-def]
    async with running_pbx(seed=1, speed=SPEED) as server:
        yield server


async def test_press_1_redirects_during_waitdigit_and_an_ignored_key_give_the_recorded_events(pbx) -> None:  # type: ignore[no-untyped-def]
    recorded = load_transcript(RECORDING)
    probe = await replay(pbx.port, recorded, watched=("ConfbridgeJoin", "MusicOnHoldStart", "Hangup", "UserEvent"),
                         timeout=30.0 / SPEED + 5.0)
    try:
        rec, got = story(recorded), story(probe.events)
    finally:
        await probe.close()
    for uid in CALLERS:
        assert got.get(uid) == rec[uid], (uid, got.get(uid), rec[uid])
    assert "UserEvent:DialerCallbackRequest" in rec["m1-caller-a-2"]
    assert rec["m1-caller-b-2"][-5:-2] == ["MusicOnHoldStop", "WAITDIGITSTATUS=CANCEL", "ConfbridgeJoin"]
    assert "UserEvent:DialerCallbackRequest" not in rec["m1-caller-c-2"] and "DIALER_KEYS=1" in rec["m1-caller-c-2"]
    asked = [m for m in recorded if m.get("UserEvent") == "DialerCallbackRequest"]
    assert [(m.get("LegId"), m.get("CallerId")) for m in asked] == [("m1-caller-a-2", "+15550001111")]


def test_the_engine_reads_the_recorded_key_as_one_callback_request_of_that_caller() -> None:
    """The translator, fed what Asterisk sent (the callers came from outside: no Originate of ours names them)."""
    translator = Translator("pbx1", new_id=iter(f"in-{n}" for n in range(1, 100)).__next__)
    events = []
    for item in read_transcript(RECORDING).messages():
        msg = item.parse()
        if msg.kind is MessageKind.EVENT:
            events += translator.feed(msg, 0.0)
    arrived = {e.leg_id: e for e in events if isinstance(e, InboundCall)}
    assert [(e.caller, e.did) for e in arrived.values()] == [("+15550001111", "5000"), ("+15550002222", "5000"),
                                                             ("+15550003333", "5000")]
    pressed = [e for e in events if isinstance(e, CallbackPressed)]
    assert [e.leg_id for e in pressed] == [next(iter(arrived))]      # caller A's leg, once
