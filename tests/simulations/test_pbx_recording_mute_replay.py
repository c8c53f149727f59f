"""A call recorded and paused for a card payment as Asterisk 22 does it: the recording p1 (made on this project's
Asterisk with the shipped dialplan and manager user, ``tests/live_asterisk/record_recording_mute.py``) replayed on the
simulated PBX.

MixMonitor (a relative file, no options: what ``dialer.recordings_desk`` sends) answers a bare Success and
MixMonitorStart; ``MixMonitorMute`` Direction both State 1/0 answers Success and the event MixMonitorMute with
Direction and State; on a leg without MixMonitor it answers "Cannot set mute flag", a bad direction "Invalid direction
specified. Must be read, write or both", no State "No state specified", an unknown channel "No such channel"; a
second StopMixMonitor "Could not stop monitoring channel". The file Asterisk wrote was 5.0 s long with digital silence
exactly over the mute (0.5 s to 3.5 s: the header's OBSERVED line); the simulated PBX's file has the same shape.
"""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from simulations.pbx.transcripts import Message, load_transcript
from tests.simulations.recording_replay import replay, running_pbx

RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "p1_mixmonitor_mute_payment.txt"
SPEED = 4.0
WATCHED = ("ConfbridgeJoin", "MixMonitorStart", "MixMonitorMute", "MixMonitorStop", "Hangup")
ACTIONS = ("MixMonitor", "MixMonitorMute", "StopMixMonitor")


def answers(messages: list[Message]) -> list[tuple[str, str, str]]:
    """(action, Response, Message) of each MixMonitor action, in order."""
    sent = {m.get("ActionID"): m.get("Action") for m in messages if m.sent_by_client and m.get("Action") in ACTIONS}
    return [(sent[m.get("ActionID")], m.get("Response"), m.get("Message")) for m in messages
            if not m.sent_by_client and m.get("Response") and m.get("ActionID") in sent]


def mixmonitor_events(messages: list[Message]) -> list[tuple[str, ...]]:
    return [(m.event, m.get("Uniqueid"), m.get("Direction"), m.get("State"), *m.keys[-2:])
            for m in messages if not m.sent_by_client and m.event.startswith("MixMonitor")]


def silent_runs(path: Path) -> tuple[float, list[tuple[float, float]]]:
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        samples = memoryview(wav.readframes(wav.getnframes())).cast("h")
    runs, start = [], None
    for i, sample in enumerate([*samples, 1]):
        if sample == 0 and start is None:
            start = i
        elif sample != 0 and start is not None:
            if i - start > 0.2 * rate:
                runs.append((start / rate, min(i, len(samples)) / rate))
            start = None
    return len(samples) / rate, runs


@pytest.fixture
async def pbx(tmp_path):  # type: ignore[no-untyped-def]
    async with running_pbx(seed=1, speed=SPEED, recordings_dir=tmp_path / "monitor") as server:
        yield server


async def test_the_payment_pause_answers_and_reports_as_asterisk_did_and_the_file_has_its_gap(pbx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    recorded = load_transcript(RECORDING)
    probe = await replay(pbx.port, recorded, watched=WATCHED, timeout=20.0 / SPEED + 5.0, speed=SPEED)
    try:
        got = list(probe.received)
        sent = [m for m in recorded if m.sent_by_client]
        # the probe's own ActionIDs: pair each of its responses with the recorded action at the same place
        ours = [m for m in got if m.get("Response") and not m.event]
        replayed = [m for m in sent if m.get("Action") not in ("Login", "Logoff")]
        assert len(ours) >= len(replayed)
        mine = [(a.get("Action"), r.get("Response"), r.get("Message")) for a, r in zip(replayed, ours[-len(replayed):],
                                                                                          strict=True)
                if a.get("Action") in ACTIONS]
    finally:
        await probe.close()
    theirs = answers(recorded)
    assert theirs == [
        ("MixMonitor", "Success", ""), ("MixMonitorMute", "Success", ""), ("MixMonitorMute", "Success", ""),
        ("MixMonitorMute", "Error", "Cannot set mute flag"),
        ("MixMonitorMute", "Error", "Invalid direction specified. Must be read, write or both"),
        ("MixMonitorMute", "Error", "No state specified"), ("MixMonitorMute", "Error", "No such channel"),
        ("StopMixMonitor", "Success", ""), ("StopMixMonitor", "Error", "Could not stop monitoring channel")]
    assert mine == theirs
    assert mixmonitor_events(got) == mixmonitor_events(recorded)       # names, channel, Direction, State, field order

    seconds, runs = silent_runs(tmp_path / "monitor" / "dialer" / "p1" / "call-1.wav")
    assert seconds == pytest.approx(5.0, abs=0.4)
    (gap,) = [r for r in runs if r[1] - r[0] > 1.0]
    assert gap == pytest.approx((0.5, 3.5), abs=0.3)
