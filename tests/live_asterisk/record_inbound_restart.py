"""Record, on a real Asterisk running the shipped dialplan, what a restarted engine sees of a caller who arrived in
``dialer-inbound`` while no engine ran: ``tests/recordings/m1_inbound_caller_found_after_restart.txt``.

Run by hand (it is not a test): ``DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-secret .venv/bin/python -m
tests.live_asterisk.record_inbound_restart``. The Asterisk must have loaded the shipped dialplan, the test network
(``caller-<N>``) and the lab's ``[sim-agent-phone]``; ``tests/simulations/test_pbx_inbound_restart_recording.py``
replays the same actions on the simulated PBX.

An agent's phone waits in its conference; a caller (a Local channel whose ;2 half, ``m1-caller-a-2``, enters
``dialer-inbound`` at DID 5000) holds with nobody listening to its ``DialerInboundArrived``; a few seconds later the
AMI user lists the live channels (``CoreShowChannels``: the caller's context, extension, state, caller number and
age, as ``dialer.recovery_inbound`` reads them), asks ``Getvar CALLERID(num)`` and ``Status`` of the caller's
channel (named by its Uniqueid, so the replay can name it the same), then Redirects it into the agent's
conference (the adopted caller answered).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, event
from tests.live_asterisk.record_inbound import arrived, inbound_caller
from tests.live_asterisk.recorder import RECORDINGS, agent_phone, hang_up, main, redirect, save, session

OUT = RECORDINGS / "m1_inbound_caller_found_after_restart.txt"
AGENT = "1001"
CALLER = "m1-caller-a"
HELD_S = 3.0


async def record(target: AmiTarget, out: Path = OUT) -> list[str]:
    notes: list[str] = []
    async with session(target) as watch:
        agent_leg = await agent_phone(watch, f"m1-agent-{AGENT}", AGENT)
        await inbound_caller(watch, CALLER, "5000", 30, "+15550006666")
        await watch.wait_for(arrived(CALLER), timeout_s=10)
        await watch.wait_for(event("MusicOnHoldStart", Uniqueid=f"{CALLER}-2"), timeout_s=5)
        await asyncio.sleep(HELD_S)                      # nobody takes it: as if no engine ran
        listed = await watch.channels()
        (found,) = [m for m in listed if m.get("Uniqueid") == f"{CALLER}-2"]
        name = f"{CALLER}-2"     # actions name the caller by its Uniqueid (Asterisk looks channels up by either)
        notes.append(f"CoreShowChannel of the caller: Context {found.get('Context')} Exten {found.get('Exten')} "
                     f"ChannelStateDesc {found.get('ChannelStateDesc')} CallerIDNum {found.get('CallerIDNum')} "
                     f"Duration {found.get('Duration')} Application {found.get('Application')} "
                     f"BridgeId '{found.get('BridgeId')}'")
        number = (await watch.action({"Action": "Getvar", "Channel": name, "Variable": "CALLERID(num)"}))[0]
        notes.append(f"Getvar CALLERID(num): {number.get('Value')}")
        status = await watch.action({"Action": "Status", "Channel": name})
        (seen,) = [m for m in status if m.get("Event") == "Status"]
        notes.append(f"Status of the caller: Seconds {seen.get('Seconds')} Application {seen.get('Application')}")
        await redirect(watch, name, "dialer-connect", f"agent-{AGENT}")
        joined = await watch.wait_for(event("ConfbridgeJoin", Uniqueid=f"{CALLER}-2"), timeout_s=5)
        notes.append(f"the caller joined conference {joined.get('Conference')}")
        await asyncio.sleep(0.5)
        await hang_up(watch, (CALLER, agent_leg))
    save(watch, out, target, "Scenario m1: a caller holding in the shipped [dialer-inbound] that no engine heard, "
         "found by CoreShowChannels", notes)
    return notes


if __name__ == "__main__":
    main(record, OUT)
