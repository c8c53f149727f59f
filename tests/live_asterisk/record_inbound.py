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

OUT = RECORDINGS / "l1_inbound_hold_connect_closed_abandon.txt"
AGENT = "1001"


def arrived(leg: str):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return seen.get("UserEvent") == "DialerInboundArrived" and seen.get("Uniqueid") == f"{leg}-2"
    return check


async def inbound_caller(watch: AmiWatch, leg: str, did: str, stay_s: int, caller: str) -> None:
    """A pretend caller (test network ``caller-<stay_s>``) dials ``did`` into ``dialer-inbound``."""
    await originate(watch, leg, f"Local/{did}@dialer-inbound", "dialer-test-network", f"caller-{stay_s}",
                    CallerID=f'"caller" <{caller}>')


async def record(target: AmiTarget, out: Path = OUT) -> list[str]:
    notes: list[str] = []
    async with session(target) as watch:
        agent_leg = await agent_phone(watch, f"l1-agent-{AGENT}", AGENT)
        # A: held, then connected to the agent
        await inbound_caller(watch, "l1-caller-a", "5000", 20, "+15550001111")
        seen = await watch.wait_for(arrived("l1-caller-a"), timeout_s=10)
        notes.append(f"caller A's UserEvent: LegId {seen.get('LegId')} Did {seen.get('Did')} "
                     f"CallerId {seen.get('CallerId')} Channel {seen.get('Channel')}")
        await watch.wait_for(event("MusicOnHoldStart", Uniqueid="l1-caller-a-2"), timeout_s=5)
        await asyncio.sleep(1.0)
        await redirect(watch, "l1-caller-a-2", "dialer-connect", f"agent-{AGENT}")
        joined = await watch.wait_for(event("ConfbridgeJoin", Uniqueid="l1-caller-a-2"), timeout_s=5)
        notes.append(f"caller A joined conference {joined.get('Conference')}")
        # B: no queue owns the DID: the closed message
        await inbound_caller(watch, "l1-caller-b", "5999", 20, "+15550002222")
        await watch.wait_for(arrived("l1-caller-b"), timeout_s=10)
        await redirect(watch, "l1-caller-b-2", "dialer-inbound", "closed")
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
        await hang_up(watch, ("l1-caller-a", agent_leg))
    save(watch, out, target, "Scenario l1: inbound callers in the shipped [dialer-inbound]: held and connected, "
         "closed message, abandon", notes)
    return notes


if __name__ == "__main__":
    main(record, OUT)
