"""Record, on a real Asterisk running the shipped dialplan, a queue's music-on-hold class in
``dialer-inbound``: ``tests/recordings/r1_inbound_moh_class_hold_redirect.txt``.

Run by hand (it is not a test): ``DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-secret .venv/bin/python -m
tests.live_asterisk.record_queue_moh``. The Asterisk must have loaded the shipped dialplan, the test network
(``caller-<N>``), the lab's ``[sim-agent-phone]`` and a second music-on-hold class ``dialer-lab`` in
musiconhold.conf (asterisk/README.md); ``tests/simulations/test_pbx_queue_moh_recording.py`` replays the same
actions on the simulated PBX.

Each caller holds at DID 5000 (``StartMusicOnHold(${DIALER_MOH})``, empty: class ``default``); then, as the
engine does for a queue whose class is not ``default``, ``Setvar DIALER_MOH`` and a Redirect to
``dialer-inbound,hold``:
- A, ``dialer-lab``: the WaitDigit is cancelled, the music stops and starts again in class ``dialer-lab``;
  after an announcement (``announce``) it holds again in ``dialer-lab``; a Redirect into the agent's
  conference ends the hold.
- B, ``no-such-class`` (musiconhold.conf lacks it): Asterisk logs "Music on Hold class 'no-such-class' not
  found in memory" and plays ``default`` (res_musiconhold's fallback: the class asked, the channel's, then
  ``default``), so the queue's save refuses a class the PBX lacks, asking ``moh show classes`` (AMI
  ``Command``: ``Class: NAME`` lines) as ``dialer.ami.adapter.moh_class_exists`` does.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen, event
from tests.live_asterisk.record_inbound import inbound_caller
from tests.live_asterisk.recorder import (
    RECORDINGS,
    agent_phone,
    hang_up,
    main,
    ok,
    redirect,
    save,
    session,
    user_event,
    var_set,
)

OUT = RECORDINGS / "r1_inbound_moh_class_hold_redirect.txt"
AGENT = "1001"


def moh_start(uid: str, after: float) -> object:
    def check(seen: Seen) -> bool:
        return seen.get("Event") == "MusicOnHoldStart" and seen.get("Uniqueid") == uid and seen.at > after
    return check


async def holding_caller(watch: AmiWatch, leg: str, caller: str) -> Seen:
    """A pretend caller dials DID 5000 into ``dialer-inbound`` and holds; its first MusicOnHoldStart."""
    await inbound_caller(watch, leg, "5000", 30, caller)
    await watch.wait_for(user_event("DialerInboundArrived", f"{leg}-2"), timeout_s=10)
    return await watch.wait_for(event("MusicOnHoldStart", Uniqueid=f"{leg}-2"), timeout_s=5)


async def to_class(watch: AmiWatch, channel: str, moh: str) -> tuple[Seen, Seen, float]:
    """``DIALER_MOH`` set and a Redirect to ``hold``: WAITDIGITSTATUS, the new MusicOnHoldStart, and how many
    ms after the Redirect it came."""
    await ok(watch, {"Action": "Setvar", "Channel": channel, "Variable": "DIALER_MOH", "Value": moh})
    sent = time.monotonic()
    await redirect(watch, channel, "dialer-inbound", "hold")
    cancelled = await watch.wait_for(var_set(channel, "WAITDIGITSTATUS"), timeout_s=5)
    started = await watch.wait_for(moh_start(channel, cancelled.at - 0.001), timeout_s=5)
    return cancelled, started, 1000 * (started.at - sent)


async def record(target: AmiTarget, out: Path = OUT) -> list[str]:
    notes: list[str] = []
    t0 = time.monotonic()
    async with session(target) as watch:
        agent_leg = await agent_phone(watch, f"r1-agent-{AGENT}", AGENT)
        # A: a queue with class dialer-lab
        a = "r1-caller-a-2"
        first = await holding_caller(watch, "r1-caller-a", "+15550001111")
        notes.append(f"caller A at its DID, DIALER_MOH unset: MusicOnHoldStart Class {first.get('Class')}")
        await asyncio.sleep(0.5)
        cancelled, started, ms = await to_class(watch, a, "dialer-lab")
        notes.append(f"caller A, DIALER_MOH dialer-lab and a Redirect to hold: WAITDIGITSTATUS "
                     f"{cancelled.get('Value')}, MusicOnHoldStart Class {started.get('Class')} "
                     f"{ms:.0f} ms after the Redirect was sent")
        await ok(watch, {"Action": "Setvar", "Channel": a, "Variable": "DIALER_ANN_MSG", "Value": "beep"})
        sent = time.monotonic()
        await redirect(watch, a, "dialer-inbound", "announce")
        played = await watch.wait_for(var_set(a, "PLAYBACKSTATUS"), timeout_s=5)
        again = await watch.wait_for(moh_start(a, played.at - 0.001), timeout_s=5)
        notes.append(f"caller A after an announcement: MusicOnHoldStart Class {again.get('Class')} "
                     f"{1000 * (again.at - sent):.0f} ms after the Redirect to announce was sent")
        sent = time.monotonic()
        await redirect(watch, a, "dialer-connect", f"agent-{AGENT}")
        joined = await watch.wait_for(event("ConfbridgeJoin", Uniqueid=a), timeout_s=5)
        notes.append(f"caller A redirected during its dialer-lab hold: joined {joined.get('Conference')} "
                     f"{1000 * (joined.at - sent):.0f} ms after the Redirect was sent")
        await hang_up(watch, ("r1-caller-a",), settle_s=0.3)
        # B: a class the PBX lacks
        b = "r1-caller-b-2"
        await holding_caller(watch, "r1-caller-b", "+15550002222")
        await asyncio.sleep(0.5)
        cancelled, started, ms = await to_class(watch, b, "no-such-class")
        notes.append(f"caller B, DIALER_MOH no-such-class (not in musiconhold.conf) and a Redirect to hold: "
                     f"WAITDIGITSTATUS {cancelled.get('Value')}, MusicOnHoldStart Class "
                     f"{started.get('Class')} "
                     f"{ms:.0f} ms after the Redirect was sent")
        await asyncio.sleep(0.3)
        await hang_up(watch, ("r1-caller-b", agent_leg))
        response, output = await watch.command("moh show classes")
        classes = [line.removeprefix("Class: ") for line in output.splitlines() if line.startswith("Class: ")]
        notes.append(f"moh show classes (AMI Command): {response}, classes {', '.join(classes)}")
    save(watch, out, target, "Scenario r1: a queue's music-on-hold class in the shipped [dialer-inbound]: "
         "DIALER_MOH and a Redirect to hold (a known class, after an announcement, an unknown class)", notes,
         started=t0)
    return notes


if __name__ == "__main__":
    main(record, OUT)
