"""The simulated PBX shows a restarted engine a caller nobody heard as Asterisk 22 does: the recording m1 (made on
this project's Asterisk with the shipped ``dialer-inbound`` and manager user,
``tests/live_asterisk/record_inbound_restart.py``) replayed.

A caller holding in ``dialer-inbound`` with no engine listening is listed by ``CoreShowChannels`` with what
``dialer.recovery_inbound`` reads: context ``dialer-inbound``, its DID as extension, state Up, its number as
``CallerIDNum``, its age as ``Duration`` (whole seconds), no bridge, in ``WaitDigit`` (the hold); ``Getvar
CALLERID(num)`` and ``Status`` (``Seconds``) agree; Redirected into an agent's conference, it joins it. Every client
action of the recording is sent to the simulated PBX at its recorded time (scaled) once the PBX has produced the
events that preceded it; then the answers are compared field by field, and each channel's events in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dialer.ami.adapter import _duration_s
from simulations.pbx import SimulatedPbx
from simulations.pbx.probe import AmiProbe
from simulations.pbx.transcripts import Message, load_transcript, per_channel
from tests.simulations.recording_replay import replay, running_pbx

RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "m1_inbound_caller_found_after_restart.txt"
SPEED = 2.0
CALLER = "m1-caller-a-2"
READ = ("Context", "Exten", "ChannelStateDesc", "CallerIDNum", "Application", "BridgeId")
COMPARED = {"Newchannel", "Hangup", "MusicOnHoldStart", "MusicOnHoldStop", "ConfbridgeJoin", "ConfbridgeLeave",
            "UserEvent"}


def listed(messages: Sequence[Message]) -> Message:
    (found,) = [m for m in messages if m.event == "CoreShowChannel" and m.get("Uniqueid") == CALLER]
    return found


def getvar_answer(messages: Sequence[Message]) -> Message:
    (found,) = [m for m in messages if not m.event and m.get("Variable") == "CALLERID(num)" and m.get("Value")]
    return found


def status_of(messages: Sequence[Message]) -> Message:
    (found,) = [m for m in messages if m.event == "Status" and m.get("Uniqueid") == CALLER]
    return found


async def _replay(pbx: SimulatedPbx) -> tuple[list[Message], AmiProbe]:
    """At the recorded pace (the caller held 3 s before the channels were listed), each action once the PBX has sent
    what Asterisk had sent by then."""
    recorded = [m for m in load_transcript(RECORDING) if m.conn == "w"]
    probe = await replay(pbx.port, recorded, watched=("ConfbridgeJoin", "MusicOnHoldStart", "Hangup", "UserEvent"),
                         timeout=10.0, speed=SPEED)
    return recorded, probe


async def test_a_caller_nobody_heard_is_listed_with_its_did_number_and_age_as_asterisk_lists_it() -> None:
    async with running_pbx(seed=3, speed=SPEED) as pbx:
        recorded, probe = await _replay(pbx)
        await probe.close()
    real, sim = listed(recorded), listed(probe.received)
    assert {k: sim.get(k) for k in READ} == {k: real.get(k) for k in READ}
    assert real.get("Context") == "dialer-inbound" and real.get("Exten") == "5000"
    assert abs(_duration_s(sim.get("Duration")) - _duration_s(real.get("Duration"))) <= 1.0
    assert getvar_answer(probe.received).get("Value") == getvar_answer(recorded).get("Value") == "+15550006666"
    assert abs(int(status_of(probe.received).get("Seconds")) - int(status_of(recorded).get("Seconds"))) <= 1
    assert status_of(probe.received).get("Application") == status_of(recorded).get("Application")
    rec, got = per_channel(recorded, COMPARED), per_channel(probe.events, COMPARED)
    assert got.get(CALLER) == rec[CALLER], (got.get(CALLER), rec[CALLER])
