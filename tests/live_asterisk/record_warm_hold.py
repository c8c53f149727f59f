"""Record, on a real Asterisk running the shipped dialplan, the AMI exchange of a warm transfer whose customer
waits on hold (``dialer-hold``) while the agents talk: ``tests/recordings/k1_warm_transfer_customer_on_hold.txt``.

Run by hand (it is not a test): ``DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-secret .venv/bin/python -m
tests.live_asterisk.record_warm_hold``. The Asterisk must have loaded the lab's ``[sim-customer]`` and
``[sim-agent-phone]`` contexts (``../shared/asterisk-ami/config/extensions.conf``), which the simulated PBX
also knows, so ``tests/simulations/test_pbx_hold_recording.py`` replays the very same actions on it.

What it does, on one AMI connection of the shipped manager user (events as the engine receives them):
two agent phones wait in their conferences; customer A (answers after 1 s, stays 99 s) is redirected into
agent 1001's conference, then out of it to ``dialer-hold`` (the consult), agent 1002's phone is brought into
1001's conference, then goes home and the customer follows it (the transfer completed); customer B (stays
8 s after a ~5 s greeting) is put on hold in 1001's conference and hangs up there, on hold.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen, event

OUT = Path(__file__).resolve().parents[1] / "recordings" / "k1_warm_transfer_customer_on_hold.txt"
SENDER, RECEIVER = "1001", "1002"


async def _members(watch: AmiWatch, conference: str) -> list[str]:
    listed = await watch.action({"Action": "ConfbridgeList", "Conference": conference})
    return sorted(m.get("Channel", "") for m in listed if m.get("Event") == "ConfbridgeList")


def _joined(uid: str, conference: str):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return seen.get("Event") == "ConfbridgeJoin" and seen.get("Uniqueid") == uid \
            and seen.get("Conference") == conference
    return check


async def _originate(watch: AmiWatch, leg: str, channel: str, context: str, exten: str, variables: str) -> None:
    answer = await watch.action({"Action": "Originate", "Channel": channel, "Context": context, "Exten": exten,
                                 "Priority": "1", "Async": "true", "ChannelId": leg, "OtherChannelId": f"{leg}-2",
                                 "Variable": variables})
    assert answer[0].get("Response") == "Success", answer


async def record(target: AmiTarget) -> list[str]:
    watch = AmiWatch(target)
    await watch.connect()
    notes: list[str] = []
    try:
        for agent in (SENDER, RECEIVER):
            leg = f"k1-agent-{agent}"
            await _originate(watch, leg, f"Local/{agent}@sim-agent-phone", "dialer-agent", f"agent-{agent}",
                             f"DIALER_LEG_ID={leg},DIALER_AGENT_ID={agent}")
            await watch.wait_for(_joined(leg, f"agent-{agent}"), timeout_s=10)
        await _originate(watch, "k1-cust-a", "Local/1199@sim-customer", "dialer-connect", f"agent-{SENDER}",
                         "DIALER_LEG_ID=k1-cust-a,DIALER_CALL_ID=1")
        await watch.wait_for(_joined("k1-cust-a", f"agent-{SENDER}"), timeout_s=10)
        await asyncio.sleep(1.0)
        # the consult: the customer out of the conference, on hold; the receiving agent in
        await watch.action({"Action": "Redirect", "Channel": "k1-cust-a", "Context": "dialer-hold",
                            "Exten": f"agent-{SENDER}", "Priority": "1"})
        await watch.wait_for(event("MusicOnHoldStart", Uniqueid="k1-cust-a"), timeout_s=5)
        await watch.action({"Action": "Redirect", "Channel": "k1-agent-1002", "Context": "dialer-agent",
                            "Exten": f"agent-{SENDER}", "Priority": "1"})
        await watch.wait_for(_joined("k1-agent-1002", f"agent-{SENDER}"), timeout_s=5)
        during = await _members(watch, f"agent-{SENDER}")
        notes.append(f"during the consult, agent-{SENDER} holds {during} (no customer)")
        await asyncio.sleep(2.0)
        # completed: the receiving agent goes home, the customer follows it
        await watch.action({"Action": "Redirect", "Channel": "k1-agent-1002", "Context": "dialer-agent",
                            "Exten": f"agent-{RECEIVER}", "Priority": "1"})
        await watch.action({"Action": "Redirect", "Channel": "k1-cust-a", "Context": "dialer-connect",
                            "Exten": f"agent-{RECEIVER}", "Priority": "1"})
        await watch.wait_for(_joined("k1-cust-a", f"agent-{RECEIVER}"), timeout_s=5)
        after = await _members(watch, f"agent-{RECEIVER}")
        notes.append(f"after completing, agent-{RECEIVER} holds {after}")
        # a customer who hangs up while on hold
        await _originate(watch, "k1-cust-b", "Local/1108@sim-customer", "dialer-connect", f"agent-{SENDER}",
                         "DIALER_LEG_ID=k1-cust-b,DIALER_CALL_ID=2")
        await watch.wait_for(_joined("k1-cust-b", f"agent-{SENDER}"), timeout_s=10)
        await asyncio.sleep(1.0)
        await watch.action({"Action": "Redirect", "Channel": "k1-cust-b", "Context": "dialer-hold",
                            "Exten": f"agent-{SENDER}", "Priority": "1"})
        gone = await watch.wait_for(event("Hangup", Uniqueid="k1-cust-b"), timeout_s=30)
        notes.append(f"customer B hung up on hold with cause {gone.get('Cause')}")
        await asyncio.sleep(0.5)
        for leg in ("k1-cust-a", "k1-agent-1001", "k1-agent-1002"):
            await watch.action({"Action": "Hangup", "Channel": leg, "Cause": "16"})
        await asyncio.sleep(1.0)
    finally:
        await watch.close()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    version = os.environ.get("DIALER_ASTERISK_VERSION", "Asterisk 22.10.1")
    watch.save(OUT, [
        "Scenario k1: warm transfer with the customer on hold (shipped [dialer-hold]); a customer who hangs up on hold",
        (f"Server: {version}, Local channels only, AMI on {target.host}:{target.port}, user {target.username}"
         " (asterisk/manager_dialer.conf: Newexten, CEL, Cdr, DeviceStateChange filtered out)"),
        *(f"OBSERVED: {n}" for n in notes),
        f"Recorded: {stamp}",
    ])
    return notes


if __name__ == "__main__":
    print("\n".join(asyncio.run(record(AmiTarget.parse(os.environ["DIALER_TEST_AMI"])))))
