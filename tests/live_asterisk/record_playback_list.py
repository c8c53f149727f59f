"""Record, on a real Asterisk running the shipped dialplan, how Playback takes an ``&`` list of sounds: a list with
spaces around ``&`` and a list with a blank part, each played as the safe-harbor message:
``tests/recordings/q1_playback_list_trim_and_blank_part.txt``.

Run by hand (it is not a test): ``DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-secret .venv/bin/python -m
tests.live_asterisk.record_playback_list``. The Asterisk must have loaded the shipped dialplan and the lab's
``[sim-customer]`` (``1130``: answers after 1 s, stays 30 s); ``tests/simulations/test_pbx_playback_list_recording.py``
replays the same actions on the simulated PBX.

Each customer is originated into ``dialer-customer``; once it is ready, ``DIALER_SAFE_HARBOR`` is set and it is
redirected into ``dialer-safe-harbor``, which plays the list and hangs up:
- A, ``silence/1 & please-try-call-later``: Playback trims each part and plays both (PLAYBACKSTATUS SUCCESS after
  about 3.2 s);
- B, ``silence/1&&please-try-call-later``: the blank part cannot be opened (the log says "Unable to open" and
  "Playback failed"), the other parts still play, and PLAYBACKSTATUS is FAILED.
This is what ``dialer.sound_names`` rests on: it accepts the first and refuses the second at save.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, event
from tests.live_asterisk.recorder import (
    RECORDINGS,
    main,
    ok,
    originate,
    redirect,
    save,
    session,
    user_event,
    var_set,
)

OUT = RECORDINGS / "q1_playback_list_trim_and_blank_part.txt"
LISTS = (("q1-a", "silence/1 & please-try-call-later"), ("q1-b", "silence/1&&please-try-call-later"))


async def safe_harbor(watch: AmiWatch, leg: str, sound: str, call_id: str) -> str:
    """One customer redirected into ``dialer-safe-harbor`` with ``sound``; a note of what it heard."""
    await originate(watch, leg, "Local/1130@sim-customer", "dialer-customer", "s",
                    Variable=f"DIALER_LEG_ID={leg},DIALER_CALL_ID={call_id},DIALER_HOLD_S=30", Timeout="30000")
    await watch.wait_for(user_event("DialerCustomerReady", leg), timeout_s=10)
    await ok(watch, {"Action": "Setvar", "Channel": leg, "Variable": "DIALER_SAFE_HARBOR", "Value": sound})
    await redirect(watch, leg, "dialer-safe-harbor", "s")
    harbor = await watch.wait_for(user_event("DialerSafeHarbor", leg), timeout_s=5)
    played = await watch.wait_for(var_set(leg, "PLAYBACKSTATUS"), timeout_s=15)
    gone = await watch.wait_for(event("Hangup", Uniqueid=leg), timeout_s=5)
    return (f"{sound!r}: PLAYBACKSTATUS {played.get('Value')} {played.at - harbor.at:.2f} s after DialerSafeHarbor, "
            f"hung up with cause {gone.get('Cause')}")


async def record(target: AmiTarget, out: Path = OUT) -> list[str]:
    t0 = time.monotonic()
    async with session(target) as watch:
        notes = [await safe_harbor(watch, leg, sound, str(910 + i)) for i, (leg, sound) in enumerate(LISTS)]
    save(watch, out, target, "Scenario q1: Playback of an & list in the shipped [dialer-safe-harbor]: spaces around "
         "& (trimmed, both parts played) and a blank part (FAILED, the other parts played)", notes, started=t0)
    return notes


if __name__ == "__main__":
    main(record, OUT)
