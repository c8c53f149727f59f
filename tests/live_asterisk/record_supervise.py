"""Record, on a real Asterisk running the shipped dialplan, a team lead supervising an agent's call in
``dialer-supervise``: ``tests/recordings/o1_supervise_listen_whisper_barge.txt``.

Run by hand (it is not a test): ``DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-secret .venv/bin/python -m
tests.live_asterisk.record_supervise``. The Asterisk must have loaded the shipped dialplan and the lab's
``[sim-agent-phone]`` and ``[sim-customer]``; ``tests/simulations/test_pbx_supervise_recording.py`` replays the same
actions on the simulated PBX.

Two agents wait in their conferences (agent-1 and agent-10, phones 1001 and 1010); a customer (``1060@sim-customer``)
talks with agent 1. The lead's phone (``1009``) is originated into ``dialer-supervise`` ``listen`` with
DIALER_SPY_TARGET = agent 1's leg id (its Uniqueid); a Redirect of the lead's leg to ``whisper``, then to ``barge``,
switches the mode; hanging the lead up ends it. Then a spy on a leg that does not exist (ends at once: option S), and
a spy ended by the agent's own hang-up (option E).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, event
from tests.live_asterisk.recorder import RECORDINGS, agent_phone, main, ok, originate, redirect, save, session

OUT = RECORDINGS / "o1_supervise_listen_whisper_barge.txt"
LEAD = "o1-lead"


async def lead(watch: AmiWatch, leg: str, mode: str, target: str) -> None:
    await originate(watch, leg, "Local/1009@sim-agent-phone", "dialer-supervise", mode, Timeout="30000",
                    CallerID='"Supervisor" <1009>', Variable=f"DIALER_LEG_ID={leg},DIALER_SPY_TARGET={target}")


async def record(target: AmiTarget, out: Path = OUT) -> list[str]:
    notes: list[str] = []
    t0 = time.monotonic()
    async with session(target) as watch:
        one = await agent_phone(watch, "o1-agent-1", "1", "1001")
        ten = await agent_phone(watch, "o1-agent-10", "10", "1010")
        customer = "o1-cust"
        await originate(watch, customer, "Local/1060@sim-customer", "dialer-connect", "agent-1",
                        Variable=f"DIALER_LEG_ID={customer}")
        await watch.wait_for(event("ConfbridgeJoin", Uniqueid=customer), timeout_s=10)
        await lead(watch, LEAD, "listen", one)
        start = await watch.wait_for(event("ChanSpyStart", SpyerUniqueid=LEAD), timeout_s=10)
        notes.append(f"listen: ChanSpyStart spyee {start.get('SpyeeUniqueid')} ({start.get('SpyeeChannel')})")
        await asyncio.sleep(1.0)
        for mode in ("whisper", "barge"):
            mark = len(watch.events)
            assert (await redirect(watch, LEAD, "dialer-supervise", mode))[0].get("Response") == "Success"
            again = await watch.wait_for(lambda s, m=mark: s in watch.events[m:] and s.get("Event") == "ChanSpyStart"
                                         and s.get("SpyerUniqueid") == LEAD, timeout_s=10)
            notes.append(f"Redirect to {mode}: ChanSpyStop then ChanSpyStart, SpyerExten {again.get('SpyerExten')},"
                         f" spyee {again.get('SpyeeUniqueid')}")
            await asyncio.sleep(1.0)
        await ok(watch, {"Action": "Hangup", "Channel": LEAD, "Cause": "16"})
        stop = await watch.wait_for(event("Hangup", Uniqueid=LEAD), timeout_s=10)
        notes.append(f"lead hung up: Hangup cause {stop.get('Cause')}")
        # a leg that does not exist: option S ends ChanSpy at once, the dialplan hangs up
        await lead(watch, "o1-lead-none", "listen", "o1-agent-nobody")
        gone = await watch.wait_for(event("Hangup", Uniqueid="o1-lead-none"), timeout_s=10)
        notes.append(f"no such leg: no ChanSpyStart, Hangup cause {gone.get('Cause')}"
                     f" {len(watch.matching(event('ChanSpyStart', SpyerUniqueid='o1-lead-none')))} spy starts")
        # the agent hangs up while listened to: option E ends the spy
        await lead(watch, "o1-lead-e", "listen", ten)
        await watch.wait_for(event("ChanSpyStart", SpyerUniqueid="o1-lead-e"), timeout_s=10)
        await ok(watch, {"Action": "Hangup", "Channel": ten, "Cause": "16"})
        await watch.wait_for(event("Hangup", Uniqueid="o1-lead-e"), timeout_s=10)
        notes.append("agent 10 hung up while listened to: ChanSpyStop, the lead's leg hung up (option E)")
        for leg in (customer, one):
            await ok(watch, {"Action": "Hangup", "Channel": leg, "Cause": "16"})
        await asyncio.sleep(1.0)
    save(watch, out, target, "Scenario o1: a team lead supervises agent 1's call in the shipped [dialer-supervise]: "
         "ChanSpy(<leg id>,quES) listen, Redirect to whisper (w) and barge (B), hang up; a missing target (S); the "
         "agent hangs up (E)", notes, started=t0)
    return notes


if __name__ == "__main__":
    main(record, OUT)
