"""Record, on a real Asterisk running the shipped dialplan, a call recorded with MixMonitor as the engine sends it
and paused for a card payment with ``MixMonitorMute``: ``tests/recordings/p1_mixmonitor_mute_payment.txt``.

Run by hand (it is not a test): ``DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-secret .venv/bin/python -m
tests.live_asterisk.record_recording_mute [OUT]``; with ``DIALER_TEST_MONITOR_DIR`` (the Asterisk's
``astspooldir/monitor``, e.g. /tmp/astlab/var/spool/asterisk/monitor) it also reads the WAV Asterisk wrote and notes
its length and where it is silent. ``tests/simulations/test_pbx_recording_mute_replay.py`` replays the same actions
on the simulated PBX.

Agent 1 waits in its conference; a customer (``1060@sim-customer``: answers, says "hello" after 1 s, stays 60 s) is
put in it. MixMonitor on the customer leg with a relative file (as dialer.recordings_desk sends it, no options), then
MixMonitorMute Direction both State 1 over the "hello", State 0, StopMixMonitor; and the refusals: a leg without a
MixMonitor, a bad direction, no state, no such channel, a second StopMixMonitor.
"""

from __future__ import annotations

import asyncio
import os
import time
import wave
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, event
from tests.live_asterisk.recorder import RECORDINGS, agent_phone, hang_up, main, ok, originate, save, session

OUT = RECORDINGS / "p1_mixmonitor_mute_payment.txt"
FILE = "dialer/p1/call-1.wav"


async def mute(watch: AmiWatch, channel: str, state: str, direction: str = "both") -> str:
    answer = await watch.action({"Action": "MixMonitorMute", "Channel": channel, "Direction": direction,
                                 "State": state})
    return f"{answer[0].get('Response')}{': ' + answer[0].get('Message', '') if answer[0].get('Message') else ''}"


def silent_spans(path: Path) -> tuple[float, list[tuple[float, float]]]:
    """The file's seconds, and its runs of digital silence longer than 0.2 s."""
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        samples = memoryview(wav.readframes(wav.getnframes())).cast("h")
    spans, start = [], None
    for i, sample in enumerate(samples):
        if sample == 0 and start is None:
            start = i
        elif sample != 0 and start is not None:
            if i - start > 0.2 * rate:
                spans.append((round(start / rate, 2), round(i / rate, 2)))
            start = None
    if start is not None and len(samples) - start > 0.2 * rate:
        spans.append((round(start / rate, 2), round(len(samples) / rate, 2)))
    return round(len(samples) / rate, 2), spans


async def record(target: AmiTarget, out: Path = OUT) -> list[str]:
    notes: list[str] = []
    t0 = time.monotonic()
    async with session(target) as watch:
        agent = await agent_phone(watch, "p1-agent-1", "1", "1001")
        customer = "p1-cust"
        await originate(watch, customer, "Local/1060@sim-customer", "dialer-connect", "agent-1",
                        Variable=f"DIALER_LEG_ID={customer}")
        await watch.wait_for(event("ConfbridgeJoin", Uniqueid=customer), timeout_s=10)
        await ok(watch, {"Action": "MixMonitor", "Channel": customer, "File": FILE})
        started = time.monotonic()
        await watch.wait_for(event("MixMonitorStart", Uniqueid=customer), timeout_s=5)
        await asyncio.sleep(0.5)
        notes.append(f"MixMonitorMute State 1 at {time.monotonic() - started:.2f} s: {await mute(watch, customer, '1')}")
        await watch.wait_for(event("MixMonitorMute", Uniqueid=customer, State="1"), timeout_s=5)
        await asyncio.sleep(3.0)
        notes.append(f"MixMonitorMute State 0 at {time.monotonic() - started:.2f} s: {await mute(watch, customer, '0')}")
        await watch.wait_for(event("MixMonitorMute", Uniqueid=customer, State="0"), timeout_s=5)
        await asyncio.sleep(1.5)
        notes.append(f"MixMonitorMute on the agent's leg (no MixMonitor): {await mute(watch, agent, '1')}")
        notes.append(f"Direction sideways: {await mute(watch, customer, '1', 'sideways')}")
        missing = await watch.action({"Action": "MixMonitorMute", "Channel": customer, "Direction": "both"})
        notes.append(f"no State: {missing[0].get('Response')}: {missing[0].get('Message')}")
        notes.append(f"no such channel: {await mute(watch, 'p1-nobody', '1')}")
        await ok(watch, {"Action": "StopMixMonitor", "Channel": customer})
        notes.append(f"StopMixMonitor at {time.monotonic() - started:.2f} s")
        again = await watch.action({"Action": "StopMixMonitor", "Channel": customer})
        notes.append(f"StopMixMonitor again: {again[0].get('Response')}: {again[0].get('Message')}")
        await hang_up(watch, [customer, agent])
    monitor = os.environ.get("DIALER_TEST_MONITOR_DIR")
    if monitor:
        await asyncio.sleep(0.5)
        seconds, spans = silent_spans(Path(monitor) / FILE)
        notes.append(f"the WAV Asterisk wrote: {seconds} s long (the muted part is kept, as silence);"
                     f" digital-silence runs over 0.2 s: {spans}")
    save(watch, out, target, "Scenario p1: a customer's call recorded with MixMonitor (relative file, no options) and "
         "paused for a card payment with MixMonitorMute both 1 / 0; the refusals of MixMonitorMute", notes, started=t0)
    return notes


if __name__ == "__main__":
    main(record, OUT)
