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

import asyncio
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from dialer.ami.adapter import _duration_s
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.probe import AmiProbe, replay_client_actions
from simulations.pbx.transcripts import Message, label, load_transcript, per_channel

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


async def replay(pbx: SimulatedPbx) -> tuple[list[Message], AmiProbe]:
    recorded = [m for m in load_transcript(RECORDING) if m.conn == "w"]
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    await probe.login("dialer", "dialer-secret")
    start = asyncio.get_running_loop().time()
    t0 = recorded[0].at

    async def caught_up(before: Sequence[Message]) -> None:
        wanted = Counter((m.get("Uniqueid"), label(m)) for m in before if m.event and m.get("Uniqueid")
                         and label(m) in ("ConfbridgeJoin", "MusicOnHoldStart", "Hangup", "UserEvent"))

        def reached(_: Message) -> bool:
            got = Counter((m.get("Uniqueid"), label(m)) for m in probe.events if m.get("Uniqueid"))
            return all(got[k] >= n for k, n in wanted.items())

        await probe.wait_for(reached, timeout=10.0)
        if len(before) < len(recorded):   # the recorded pace: the caller held 3 s before the channels were listed
            due = start + (recorded[len(before)].at - t0) / SPEED
            await asyncio.sleep(max(0.0, due - asyncio.get_running_loop().time()))

    await replay_client_actions(probe, recorded, caught_up)
    await caught_up(recorded)
    return recorded, probe


async def test_a_caller_nobody_heard_is_listed_with_its_did_number_and_age_as_asterisk_lists_it() -> None:
    pbx = SimulatedPbx(PbxConfig(seed=3, speed=SPEED))
    await pbx.start(host="127.0.0.1", port=0)
    try:
        recorded, probe = await replay(pbx)
        await probe.close()
    finally:
        await pbx.stop()
    real, sim = listed(recorded), listed(probe.received)
    assert {k: sim.get(k) for k in READ} == {k: real.get(k) for k in READ}
    assert real.get("Context") == "dialer-inbound" and real.get("Exten") == "5000"
    assert abs(_duration_s(sim.get("Duration")) - _duration_s(real.get("Duration"))) <= 1.0
    assert getvar_answer(probe.received).get("Value") == getvar_answer(recorded).get("Value") == "+15550006666"
    assert abs(int(status_of(probe.received).get("Seconds")) - int(status_of(recorded).get("Seconds"))) <= 1
    assert status_of(probe.received).get("Application") == status_of(recorded).get("Application")
    rec, got = per_channel(recorded, COMPARED), per_channel(probe.events, COMPARED)
    assert got.get(CALLER) == rec[CALLER], (got.get(CALLER), rec[CALLER])
