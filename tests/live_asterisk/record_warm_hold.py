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
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen, event
from tests.live_asterisk.recorder import (
    RECORDINGS,
    agent_phone,
    hang_up,
    main,
    originate,
    redirect,
    save,
    session,
)

OUT = RECORDINGS / "k1_warm_transfer_customer_on_hold.txt"
SENDER, RECEIVER = "1001", "1002"


async def _members(watch: AmiWatch, conference: str) -> list[str]:
    listed = await watch.action({"Action": "ConfbridgeList", "Conference": conference})
    return sorted(m.get("Channel", "") for m in listed if m.get("Event") == "ConfbridgeList")


def _joined(uid: str, conference: str):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return seen.get("Event") == "ConfbridgeJoin" and seen.get("Uniqueid") == uid \
            and seen.get("Conference") == conference
    return check


async def record(target: AmiTarget, out: Path = OUT) -> list[str]:
    notes: list[str] = []
    async with session(target) as watch:
        for agent in (SENDER, RECEIVER):
            await agent_phone(watch, f"k1-agent-{agent}", agent)
        await originate(watch, "k1-cust-a", "Local/1199@sim-customer", "dialer-connect", f"agent-{SENDER}",
                        Variable="DIALER_LEG_ID=k1-cust-a,DIALER_CALL_ID=1")
        await watch.wait_for(_joined("k1-cust-a", f"agent-{SENDER}"), timeout_s=10)
        await asyncio.sleep(1.0)
        # the consult: the customer out of the conference, on hold; the receiving agent in
        await redirect(watch, "k1-cust-a", "dialer-hold", f"agent-{SENDER}")
        await watch.wait_for(event("MusicOnHoldStart", Uniqueid="k1-cust-a"), timeout_s=5)
        await redirect(watch, "k1-agent-1002", "dialer-agent", f"agent-{SENDER}")
        await watch.wait_for(_joined("k1-agent-1002", f"agent-{SENDER}"), timeout_s=5)
        during = await _members(watch, f"agent-{SENDER}")
        notes.append(f"during the consult, agent-{SENDER} holds {during} (no customer)")
        await asyncio.sleep(2.0)
        # completed: the receiving agent goes home, the customer follows it
        await redirect(watch, "k1-agent-1002", "dialer-agent", f"agent-{RECEIVER}")
        await redirect(watch, "k1-cust-a", "dialer-connect", f"agent-{RECEIVER}")
        await watch.wait_for(_joined("k1-cust-a", f"agent-{RECEIVER}"), timeout_s=5)
        after = await _members(watch, f"agent-{RECEIVER}")
        notes.append(f"after completing, agent-{RECEIVER} holds {after}")
        # a customer who hangs up while on hold
        await originate(watch, "k1-cust-b", "Local/1108@sim-customer", "dialer-connect", f"agent-{SENDER}",
                        Variable="DIALER_LEG_ID=k1-cust-b,DIALER_CALL_ID=2")
        await watch.wait_for(_joined("k1-cust-b", f"agent-{SENDER}"), timeout_s=10)
        await asyncio.sleep(1.0)
        await redirect(watch, "k1-cust-b", "dialer-hold", f"agent-{SENDER}")
        gone = await watch.wait_for(event("Hangup", Uniqueid="k1-cust-b"), timeout_s=30)
        notes.append(f"customer B hung up on hold with cause {gone.get('Cause')}")
        await asyncio.sleep(0.5)
        await hang_up(watch, ("k1-cust-a", "k1-agent-1001", "k1-agent-1002"))
    save(watch, out, target, "Scenario k1: warm transfer with the customer on hold (shipped [dialer-hold]); a customer "
         "who hangs up on hold", notes)
    return notes


if __name__ == "__main__":
    main(record, OUT)
