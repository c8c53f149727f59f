"""MixMonitorMute on the simulated PBX as on Asterisk 22.10.1 (``../shared/asterisk-ami/g_chanspy_whisper_mixmonitor``:
``Action: MixMonitorMute`` with Channel, ``Direction: both``, ``State: 1``/``0``; a bare Success, then ``Event:
MixMonitorMute`` with the channel's snapshot, Direction and State), and the file it writes: a real WAV whose
muted part is digital silence.
"""

from __future__ import annotations

import wave

import pytest

from simulations.pbx.mix_recorder import RATE
from simulations.pbx.probe import AmiProbe
from simulations.pbx.transcripts import load_transcript
from tests.simulations.test_pbx_recordings import (
    _OPEN_PROBES,
    RECORDINGS,
    compare,
    lab_pbx,
    replay,
)

pytestmark = pytest.mark.skipif(not RECORDINGS.is_dir(), reason="recordings not available")
G = "g_chanspy_whisper_mixmonitor.txt"


@pytest.fixture
async def pbx(tmp_path):
    async with lab_pbx(tmp_path, recordings_dir=tmp_path / "monitor") as server:
        yield server


def _mute_events(messages):
    return [m for m in messages if m.event == "MixMonitorMute"]


async def test_mixmonitormute_answers_and_reports_as_asterisk_did_in_the_recording(pbx):
    recorded, probe = await replay(G, pbx)
    compare(recorded, probe.events, only={"g-cust-1", "g-cust-1-far"})
    real = _mute_events(load_transcript(RECORDINGS / G))
    sim = _mute_events(probe.events)
    assert [(m.get("Uniqueid"), m.get("Direction"), m.get("State")) for m in sim] == \
        [(m.get("Uniqueid"), m.get("Direction"), m.get("State")) for m in real] == \
        [("g-cust-1", "both", "1"), ("g-cust-1", "both", "0")]
    assert {m.keys for m in sim} == {m.keys for m in real}      # the same field names, in the same order


async def test_mixmonitormute_errors_name_what_is_wrong(pbx):
    probe = AmiProbe()
    _OPEN_PROBES.append(probe)
    await probe.connect("127.0.0.1", pbx.port)
    await probe.login("dialer", "dialer-secret")
    asked = {
        (): "No channel specified",
        (("Channel", "Local/1@x-00000001;1"),): "No direction specified. Must be read, write or both",
        (("Channel", "Local/1@x-00000001;1"), ("Direction", "both")): "No state specified",
        (("Channel", "Local/1@x-00000001;1"), ("Direction", "up"), ("State", "1")):
            "Invalid direction specified. Must be read, write or both",
        (("Channel", "Local/1@x-00000001;1"), ("Direction", "both"), ("State", "1")): "No such channel",
    }
    for fields, message in asked.items():
        reply = await probe.action("MixMonitorMute", **dict(fields))
        assert (reply.get("Response"), reply.get("Message")) == ("Error", message)


async def test_the_recorded_absolute_file_is_written_under_the_folder_as_a_wav_of_the_call(pbx, tmp_path):
    await replay(G, pbx)
    written = tmp_path / "monitor" / "opt/asterisk/var/spool/asterisk/monitor/lead-555.wav"
    with wave.open(str(written)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert 0.5 < seconds < 10.0     # MixMonitor at 2.2 s, StopMixMonitor at 8.0 s of the recording's time


async def test_a_relative_file_is_written_under_the_folder_with_its_mute_as_zeros(pbx, tmp_path):
    probe = AmiProbe()
    _OPEN_PROBES.append(probe)
    await probe.connect("127.0.0.1", pbx.port)
    await probe.login("dialer", "dialer-secret")
    await probe.action("Originate", Channel="Local/1140@sim-customer", Context="dialer-customer", Exten="s",
                       Priority="1", ChannelId="m-cust", OtherChannelId="m-cust-far", Async="true")
    await probe.wait_for(lambda m: m.event == "Newstate" and m.get("Uniqueid") == "m-cust" and m.get("ChannelState") == "6",
                         timeout=10)
    ch = pbx.switch.find("m-cust")
    assert ch is not None
    switch = pbx.switch
    assert (await probe.action("MixMonitor", Channel=ch.name, File="dialer/call-1.wav")).get("Response") == "Success"
    t0 = switch.now()
    await _until(switch, t0 + 2.0)
    assert (await probe.action("MixMonitorMute", Channel=ch.name, Direction="both", State="1")).get("Response") == "Success"
    t1 = switch.now()
    await _until(switch, t1 + 3.0)
    await probe.action("MixMonitorMute", Channel=ch.name, Direction="both", State="0")
    t2 = switch.now()
    await _until(switch, t2 + 2.0)
    assert (await probe.action("StopMixMonitor", Channel=ch.name)).get("Response") == "Success"
    t3 = switch.now()
    with wave.open(str(tmp_path / "monitor" / "dialer" / "call-1.wav")) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (RATE, 2, 1)
        frames = wav.readframes(wav.getnframes())
    samples = memoryview(frames).cast("h")
    margin = round(0.3 * RATE)       # an action's round trip is a few ms of real time, x10 in simulated time
    assert abs(len(samples) - (t3 - t0) * RATE) <= margin
    muted = samples[round((t1 - t0) * RATE) + margin: round((t2 - t0) * RATE) - margin]
    assert len(muted) > 2 * RATE and not any(muted)                       # the payment: nothing but zeros
    assert max(samples[: round((t1 - t0) * RATE) - margin]) > 1000        # before it: the tone
    assert max(samples[round((t2 - t0) * RATE) + margin:]) > 1000          # after it: the tone again


async def _until(switch, at: float) -> None:
    import asyncio
    while switch.now() < at:
        await asyncio.sleep(0.02)
