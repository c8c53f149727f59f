"""The simulated PBX puts a customer on hold as Asterisk 22 does: the recording k1 (made on this project's
Asterisk with the shipped dialplan and manager user, ``tests/live_asterisk/record_warm_hold.py``) replayed.

A customer redirected out of its agent's conference into ``dialer-hold`` leaves the conference and hears
music on hold; the agent left alone hears music too, until the receiving agent's phone comes in; the customer
redirected into the receiving agent's conference stops its music and joins; a customer who hangs up on hold
stops its music and ends. Every client action of the recording is sent to the simulated PBX once it has
produced the event that preceded that action in the recording; then each channel's events must be the
recorded ones, in the recorded order (Asterisk's threads emit a few adjacent pairs in either order).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from simulations.pbx import SimulatedPbx
from simulations.pbx.probe import AmiProbe
from simulations.pbx.transcripts import Message, field_names, load_transcript, per_channel
from tests.simulations.recording_replay import replay, running_pbx

RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "k1_warm_transfer_customer_on_hold.txt"
SPEED = 10.0
COMPARED = {"Newchannel", "Hangup", "MusicOnHoldStart", "MusicOnHoldStop", "BridgeEnter", "BridgeLeave",
            "ConfbridgeJoin", "ConfbridgeLeave"}
# Asterisk's threads emit a leave (ConfbridgeLeave, BridgeLeave) or a join (ConfbridgeJoin, BridgeEnter) in
# either order, and music on hold starts or stops anywhere around them (the recording has every order)
PAIRS = ({"ConfbridgeLeave", "BridgeLeave"}, {"ConfbridgeJoin", "BridgeEnter"})


def canonical(seq: list[str]) -> list[str]:
    """``seq`` without the music events, each join or leave pair in one order."""
    out = [e for e in seq if not e.startswith("MusicOnHold")]
    for i in range(len(out) - 1):
        if any({out[i], out[i + 1]} == pair for pair in PAIRS) and out[i] > out[i + 1]:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


async def _replay(pbx: SimulatedPbx) -> tuple[list[Message], AmiProbe]:
    """Each action once the PBX has sent as many of each channel's joins, music starts and hang-ups as the recording
    had by then (or after a while: the music of an agent left alone comes and goes)."""
    recorded = load_transcript(RECORDING)
    probe = await replay(pbx.port, recorded, watched=("ConfbridgeJoin", "MusicOnHoldStart", "Hangup"),
                         timeout=30.0 / SPEED + 2.0, give_up_quietly=True, finish=False)
    deadline = asyncio.get_running_loop().time() + 5.0
    while pbx.switch.channels and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    return recorded, probe


@pytest.fixture
async def pbx():  # type: ignore[no-untyped-def]
    async with running_pbx(seed=1, speed=SPEED) as server:
        yield server


async def test_a_customer_redirected_to_hold_and_on_to_the_receiving_agent_gives_the_recorded_events(pbx) -> None:  # type: ignore[no-untyped-def]
    recorded, probe = await _replay(pbx)
    try:
        rec, got = per_channel(recorded, COMPARED), per_channel(probe.events, COMPARED)
        for uid in ("k1-cust-a", "k1-cust-b", "k1-agent-1001", "k1-agent-1002"):
            assert canonical(got.get(uid, [])) == canonical(rec[uid]), (uid, got.get(uid), rec[uid])
            assert Counter(e for e in got.get(uid, []) if "Music" in e) == Counter(e for e in rec[uid] if "Music" in e)
        for seen in (rec, got):
            # on hold: out of the conference, with music, which stops before it joins the receiving agent
            a = [e for e in seen["k1-cust-a"] if "Confbridge" in e or "Music" in e]
            assert a.count("ConfbridgeJoin") == 2 and a.index("ConfbridgeJoin") < a.index("MusicOnHoldStart") \
                < a.index("MusicOnHoldStop") < a.index("ConfbridgeJoin", a.index("ConfbridgeJoin") + 1)
            assert seen["k1-cust-b"][-2:] == ["MusicOnHoldStop", "Hangup"]    # hung up on hold: music stops first
    finally:
        await probe.close()


def test_the_recording_shows_the_customer_out_of_the_conference_during_the_consult() -> None:
    header = [line for line in RECORDING.read_text().splitlines() if line.startswith("# OBSERVED")]
    assert "no customer" in header[0] and "sim-customer" not in header[0]
    assert "sim-customer" in header[1]


async def test_a_customer_who_hangs_up_on_hold_after_talking_to_an_agent_is_not_an_abandon(pbx) -> None:  # type: ignore[no-untyped-def]
    _, probe = await _replay(pbx)
    await probe.close()
    assert [a.uniqueid for a in pbx.switch.abandons] == []
    ended = {r.uniqueid: r for r in pbx.call_records}
    assert ended["k1-cust-b"].met_agent and ended["k1-cust-a"].met_agent


async def test_the_hold_events_carry_the_recorded_fields_in_the_recorded_order(pbx) -> None:  # type: ignore[no-untyped-def]
    recorded, probe = await _replay(pbx)
    await probe.close()
    for name in ("MusicOnHoldStart", "MusicOnHoldStop", "ConfbridgeJoin", "ConfbridgeLeave"):
        assert set(field_names(probe.events, name)) <= set(field_names(recorded, name)), name
