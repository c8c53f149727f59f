"""Record, on a real Asterisk running the shipped dialplan, the AMI exchange of inbound callers in
``dialer-inbound``: ``tests/recordings/l1_inbound_hold_connect_closed_abandon.txt``.

Run by hand (it is not a test): ``DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-secret .venv/bin/python -m
tests.live_asterisk.record_inbound``. The Asterisk must have loaded the shipped dialplan, the test network
(``caller-<N>``: a pretend caller staying N seconds) and the lab's ``[sim-agent-phone]``;
``tests/simulations/test_pbx_inbound_recording.py`` replays the same actions on the simulated PBX.

Three callers, each a Local channel whose ;2 half (``<leg>-2``) enters ``dialer-inbound`` at DID 5000 and
whose ;1 half is the caller's phone: A is redirected into agent 1001's conference; B is redirected to the
``closed`` extension (no queue owns its DID) and hears the closed message; C hangs up while holding.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen, event

OUT = Path(__file__).resolve().parents[1] / "recordings" / "l1_inbound_hold_connect_closed_abandon.txt"
AGENT = "1001"


def arrived(leg: str):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return seen.get("UserEvent") == "DialerInboundArrived" and seen.get("Uniqueid") == f"{leg}-2"
    return check


async def inbound_caller(watch: AmiWatch, leg: str, did: str, stay_s: int, caller: str) -> None:
    """A pretend caller (test network ``caller-<stay_s>``) dials ``did`` into ``dialer-inbound``."""
    answer = await watch.action({"Action": "Originate", "Channel": f"Local/{did}@dialer-inbound",
                                 "Context": "dialer-test-network", "Exten": f"caller-{stay_s}", "Priority": "1",
                                 "CallerID": f'"caller" <{caller}>', "Async": "true", "ChannelId": leg,
                                 "OtherChannelId": f"{leg}-2"})
    assert answer[0].get("Response") == "Success", answer


async def record(target: AmiTarget) -> list[str]:
    watch = AmiWatch(target)
    await watch.connect()
    notes: list[str] = []
    try:
        agent_leg = f"l1-agent-{AGENT}"
        answer = await watch.action({"Action": "Originate", "Channel": f"Local/{AGENT}@sim-agent-phone",
                                     "Context": "dialer-agent", "Exten": f"agent-{AGENT}", "Priority": "1",
                                     "Async": "true", "ChannelId": agent_leg, "OtherChannelId": f"{agent_leg}-2",
                                     "Variable": f"DIALER_LEG_ID={agent_leg},DIALER_AGENT_ID={AGENT}"})
        assert answer[0].get("Response") == "Success", answer
        await watch.wait_for(event("ConfbridgeJoin", Uniqueid=agent_leg), timeout_s=10)
        # A: held, then connected to the agent
        await inbound_caller(watch, "l1-caller-a", "5000", 20, "+15550001111")
        seen = await watch.wait_for(arrived("l1-caller-a"), timeout_s=10)
        notes.append(f"caller A's UserEvent: LegId {seen.get('LegId')} Did {seen.get('Did')} "
                     f"CallerId {seen.get('CallerId')} Channel {seen.get('Channel')}")
        await watch.wait_for(event("MusicOnHoldStart", Uniqueid="l1-caller-a-2"), timeout_s=5)
        await asyncio.sleep(1.0)
        await watch.action({"Action": "Redirect", "Channel": "l1-caller-a-2", "Context": "dialer-connect",
                            "Exten": f"agent-{AGENT}", "Priority": "1"})
        joined = await watch.wait_for(event("ConfbridgeJoin", Uniqueid="l1-caller-a-2"), timeout_s=5)
        notes.append(f"caller A joined conference {joined.get('Conference')}")
        # B: no queue owns the DID: the closed message
        await inbound_caller(watch, "l1-caller-b", "5999", 20, "+15550002222")
        await watch.wait_for(arrived("l1-caller-b"), timeout_s=10)
        await watch.action({"Action": "Redirect", "Channel": "l1-caller-b-2", "Context": "dialer-inbound",
                            "Exten": "closed", "Priority": "1"})
        played = await watch.wait_for(event("VarSet", Uniqueid="l1-caller-b-2", Variable="PLAYBACKSTATUS"),
                                      timeout_s=15)
        notes.append(f"caller B's closed message: PLAYBACKSTATUS {played.get('Value')}")
        gone = await watch.wait_for(event("Hangup", Uniqueid="l1-caller-b-2"), timeout_s=5)
        notes.append(f"caller B hung up by the dialplan with cause {gone.get('Cause')}")
        # C: hangs up while holding (an abandon)
        await inbound_caller(watch, "l1-caller-c", "5000", 3, "+15550003333")
        await watch.wait_for(arrived("l1-caller-c"), timeout_s=10)
        gone = await watch.wait_for(event("Hangup", Uniqueid="l1-caller-c-2"), timeout_s=10)
        notes.append(f"caller C hung up while holding: cause {gone.get('Cause')} ({gone.get('Cause-txt')})")
        await asyncio.sleep(0.5)
        for leg in ("l1-caller-a", "l1-agent-1001"):
            await watch.action({"Action": "Hangup", "Channel": leg, "Cause": "16"})
        await asyncio.sleep(1.0)
    finally:
        await watch.close()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    version = os.environ.get("DIALER_ASTERISK_VERSION", "Asterisk 22.10.1")
    watch.save(OUT, [
        "Scenario l1: inbound callers in the shipped [dialer-inbound]: held and connected, closed message, abandon",
        (f"Server: {version}, Local channels only, AMI on {target.host}:{target.port}, user {target.username}"
         " (asterisk/manager_dialer.conf: Newexten, CEL, Cdr, DeviceStateChange filtered out)"),
        *(f"OBSERVED: {n}" for n in notes),
        f"Recorded: {stamp}",
    ])
    return notes


if __name__ == "__main__":
    print("\n".join(asyncio.run(record(AmiTarget.parse(os.environ["DIALER_TEST_AMI"])))))
