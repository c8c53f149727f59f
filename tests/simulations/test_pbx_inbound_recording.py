"""The simulated PBX holds and connects inbound callers as Asterisk 22 does: the recording l1 (made on this
project's Asterisk with the shipped ``dialer-inbound`` and manager user, ``tests/live_asterisk/record_inbound.py``)
replayed.

A caller entering ``dialer-inbound`` sends ``DialerInboundArrived`` (LegId = its Uniqueid, Did, CallerId) and hears
music; redirected into an agent's conference its music stops and it joins; redirected to ``closed`` it hears the
closed message (PLAYBACKSTATUS SUCCESS) and the dialplan hangs it up; a caller who hangs up while holding stops its
music and ends. Every client action of the recording is sent to the simulated PBX once it has produced the events
that preceded that action in the recording; then each caller's events must be the recorded ones, in order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.probe import AmiProbe
from simulations.pbx.transcripts import Message, load_transcript, per_channel
from tests.simulations.recording_replay import replay, running_pbx

RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "l1_inbound_hold_connect_closed_abandon.txt"
SPEED = 10.0
COMPARED = {"Newchannel", "Hangup", "MusicOnHoldStart", "MusicOnHoldStop", "ConfbridgeJoin", "ConfbridgeLeave",
            "UserEvent"}
CALLERS = ("l1-caller-a-2", "l1-caller-b-2", "l1-caller-c-2")


async def _replay(pbx: SimulatedPbx) -> tuple[list[Message], AmiProbe]:
    """Each action once the PBX has sent as many of each channel's awaited events as the recording had by then."""
    recorded = load_transcript(RECORDING)
    probe = await replay(pbx.port, recorded, watched=("ConfbridgeJoin", "MusicOnHoldStart", "Hangup", "UserEvent"),
                         variables=("PLAYBACKSTATUS",), timeout=30.0 / SPEED + 5.0)
    return recorded, probe


@pytest.fixture
async def pbx():  # type: ignore[no-untyped-def]
    async with running_pbx(seed=1, speed=SPEED) as server:
        yield server


async def test_inbound_callers_held_connected_closed_and_gone_give_the_recorded_events(pbx) -> None:  # type: ignore[no-untyped-def]
    recorded, probe = await _replay(pbx)
    try:
        rec, got = per_channel(recorded, COMPARED), per_channel(probe.events, COMPARED)
        for uid in CALLERS:
            assert got.get(uid) == rec[uid], (uid, got.get(uid), rec[uid])
        for seen in (recorded, probe.events):
            arrived = {m.get("Uniqueid"): m for m in seen if m.get("UserEvent") == "DialerInboundArrived"}
            assert sorted(arrived) == sorted(CALLERS)
            for uid, m in arrived.items():
                assert m.get("LegId") == uid and m.get("CallerId").startswith("+1555000")
            assert {m.get("Did") for m in arrived.values()} == {"5000", "5999"}
            played = [m.get("Value") for m in seen if m.get("Variable") == "PLAYBACKSTATUS"]
            assert played == ["SUCCESS"]                          # caller B's closed message, nobody else's
            joined = [m for m in seen if m.event == "ConfbridgeJoin" and m.get("Uniqueid") == "l1-caller-a-2"]
            assert [m.get("Conference") for m in joined] == ["agent-1001"]
    finally:
        await probe.close()


async def test_a_caller_who_hangs_up_while_holding_is_an_abandon_and_the_connected_one_met_its_agent(pbx) -> None:  # type: ignore[no-untyped-def]
    _, probe = await _replay(pbx)
    await probe.close()
    assert [a.uniqueid for a in pbx.switch.abandons] == ["l1-caller-c-2"]
    ended = {r.uniqueid: r for r in pbx.call_records}
    assert ended["l1-caller-a-2"].met_agent and not ended["l1-caller-b-2"].met_agent


async def test_a_caller_no_engine_takes_hears_the_closed_message_at_the_hold_limit_and_is_hung_up() -> None:
    server = SimulatedPbx(PbxConfig(seed=2, speed=20.0, hold_limit_s=4.0))   # DIALER_HOLD_S=4 in [globals]
    await server.start(host="127.0.0.1", port=0)
    probe = AmiProbe()
    try:
        await probe.connect("127.0.0.1", server.port)
        await probe.login("dialer", "dialer-secret")
        name = server.inject_inbound(caller="+15550005555", did="5000", patience_s=600.0)
        start = await probe.wait_for(lambda m: m.event == "MusicOnHoldStart" and m.get("Channel") == name,
                                     timeout=2.0)
        played = await probe.wait_for(lambda m: m.get("Variable") == "PLAYBACKSTATUS" and m.get("Channel") == name,
                                      timeout=3.0)
        await probe.wait_for(lambda m: m.event == "Hangup" and m.get("Channel") == name, timeout=2.0)
    finally:
        await probe.close()
        await server.stop()
    assert played.get("Value") == "SUCCESS"       # never silence: the closed message, then the dialplan hangs up
    assert start is not None and [r.met_agent for r in server.call_records] == [False]
