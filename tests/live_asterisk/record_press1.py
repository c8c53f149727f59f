"""Record, on a real Asterisk running the shipped dialplan, the AMI exchange of "press 1 to be called back" in
``dialer-inbound``: ``tests/recordings/m1_inbound_press1_waitdigit_redirect.txt``.

Run by hand (it is not a test): ``DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-secret .venv/bin/python -m
tests.live_asterisk.record_press1``. The Asterisk must have loaded the shipped dialplan, the test network
(``caller-<N>``) and the lab's ``[sim-agent-phone]``; ``tests/simulations/test_pbx_press1_recording.py`` replays the
same actions on the simulated PBX.

Each caller is a Local channel whose ;2 half (``<leg>-2``) holds in ``dialer-inbound`` at DID 5000 (StartMusicOnHold,
WaitDigit(600,1)); a key is the AMI action ``PlayDTMF`` with ``Receive: true`` on that half (the key arrives on the
channel as a caller's would):

- A: its queue offers the callback (``Setvar DIALER_PRESS1=1``), it presses 1: ``UserEvent DialerCallbackRequest``
  (LegId, CallerId), the confirmation (PLAYBACKSTATUS), hung up by the dialplan.
- B: offered the callback, an agent frees up: the engine's Redirect into the agent's conference in the middle of
  the WaitDigit hold (music stops, ``WAITDIGITSTATUS CANCEL``, ConfbridgeJoin at once).
- C: its queue does not offer the callback: its key 1 is ignored (it holds again, ``DIALER_KEYS`` 1); then an
  announcement (``announce``) and a Redirect into the agent's conference during the announcement's Playback.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, event
from tests.live_asterisk.record_inbound import inbound_caller
from tests.live_asterisk.recorder import (
    RECORDINGS,
    agent_phone,
    hang_up,
    main,
    ok,
    press,
    redirect,
    save,
    session,
    user_event,
    var_set,
)

OUT = RECORDINGS / "m1_inbound_press1_waitdigit_redirect.txt"
AGENT = "1001"


async def holding_caller(watch: AmiWatch, leg: str, stay_s: int, caller: str) -> None:
    """A pretend caller (test network ``caller-<stay_s>``) dials DID 5000 into ``dialer-inbound`` and holds."""
    await inbound_caller(watch, leg, "5000", stay_s, caller)
    await watch.wait_for(user_event("DialerInboundArrived", f"{leg}-2"), timeout_s=10)
    await watch.wait_for(event("MusicOnHoldStart", Uniqueid=f"{leg}-2"), timeout_s=5)


async def offer(watch: AmiWatch, channel: str) -> None:
    await ok(watch, {"Action": "Setvar", "Channel": channel, "Variable": "DIALER_PRESS1", "Value": "1"})


async def record(target: AmiTarget, out: Path = OUT) -> list[str]:
    notes: list[str] = []
    t0 = time.monotonic()
    async with session(target) as watch:
        agent_leg = await agent_phone(watch, f"m1-agent-{AGENT}", AGENT)
        # A: offered the callback, presses 1
        a = "m1-caller-a-2"
        await holding_caller(watch, "m1-caller-a", 30, "+15550001111")
        await offer(watch, a)
        await asyncio.sleep(0.5)
        pressed_at = time.monotonic()
        await press(watch, a)
        asked = await watch.wait_for(user_event("DialerCallbackRequest", a), timeout_s=5)
        notes.append(f"caller A's key 1: UserEvent DialerCallbackRequest LegId {asked.get('LegId')} CallerId "
                     f"{asked.get('CallerId')} {1000 * (asked.at - pressed_at):.0f} ms after PlayDTMF was sent")
        played = await watch.wait_for(var_set(a, "PLAYBACKSTATUS"), timeout_s=5)
        gone = await watch.wait_for(event("Hangup", Uniqueid=a), timeout_s=5)
        notes.append(f"caller A's confirmation: PLAYBACKSTATUS {played.get('Value')}, then hung up by the dialplan "
                     f"with cause {gone.get('Cause')}")
        # B: offered the callback, redirected into the agent's conference during the WaitDigit hold
        b = "m1-caller-b-2"
        await holding_caller(watch, "m1-caller-b", 30, "+15550002222")
        await offer(watch, b)
        await asyncio.sleep(1.0)
        sent = time.monotonic()
        await redirect(watch, b, "dialer-connect", f"agent-{AGENT}")
        cancelled = await watch.wait_for(var_set(b, "WAITDIGITSTATUS"), timeout_s=5)
        joined = await watch.wait_for(event("ConfbridgeJoin", Uniqueid=b), timeout_s=5)
        notes.append(f"caller B redirected during WaitDigit: WAITDIGITSTATUS {cancelled.get('Value')}, joined "
                     f"{joined.get('Conference')} {1000 * (joined.at - sent):.0f} ms after the Redirect was sent")
        await watch.action({"Action": "Hangup", "Channel": "m1-caller-b", "Cause": "16"})
        await watch.wait_for(event("Hangup", Uniqueid=b), timeout_s=5)
        # C: no callback offered: its key is ignored; an announcement, cut short by the Redirect to the agent
        c = "m1-caller-c-2"
        await holding_caller(watch, "m1-caller-c", 30, "+15550003333")
        await press(watch, c)
        keys = await watch.wait_for(var_set(c, "DIALER_KEYS", "1"), timeout_s=5)
        await watch.wait_for(lambda s: s.get("Event") == "MusicOnHoldStart" and s.get("Uniqueid") == c
                             and s.at > keys.at - 0.001, timeout_s=5)
        notes.append(f"caller C's key 1 without the offer: DIALER_KEYS {keys.get('Value')}, music again, no UserEvent")
        await watch.action({"Action": "Setvar", "Channel": c, "Variable": "DIALER_ANN_MSG",
                            "Value": "queue-youarenext&queue-holdtime&digits/2&queue-minutes"})
        await redirect(watch, c, "dialer-inbound", "announce")
        await asyncio.sleep(0.6)
        sent = time.monotonic()
        await redirect(watch, c, "dialer-connect", f"agent-{AGENT}")
        joined = await watch.wait_for(event("ConfbridgeJoin", Uniqueid=c), timeout_s=5)
        notes.append(f"caller C redirected during the announcement's Playback: joined {joined.get('Conference')} "
                     f"{1000 * (joined.at - sent):.0f} ms after the Redirect was sent")
        await asyncio.sleep(0.3)
        await hang_up(watch, ("m1-caller-c", agent_leg))
    save(watch, out, target, "Scenario m1: press 1 in the shipped [dialer-inbound] (StartMusicOnHold + WaitDigit): "
         "callback request, Redirect during WaitDigit and during an announcement, a key without the offer", notes,
         keys=True, started=t0)
    return notes


if __name__ == "__main__":
    main(record, OUT)
