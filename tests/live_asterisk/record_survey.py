"""Record, on a real Asterisk running the shipped dialplan, the AMI exchange of a survey in ``dialer-survey``:
``tests/recordings/n1_survey_read_record_redirect.txt``.

Run by hand (it is not a test): ``DIALER_TEST_AMI=127.0.0.1:5038:dialer:dialer-secret .venv/bin/python -m
tests.live_asterisk.record_survey``. The Asterisk must have loaded the shipped dialplan, the test network and the
lab's ``[sim-agent-phone]``; ``tests/simulations/test_pbx_survey_recording.py`` replays the same actions on the
simulated PBX.

A customer (``Local/1060@sim-customer``: a person who stays 60 s; our leg is the ;1 half, in
``dialer-customer``) meets an agent in its conference; the agent ends the call: the engine's Setvars and Redirect take
the customer out of the conference into ``dialer-survey``, where it answers (keys by ``PlayDTMF`` ``Receive: true``
on our leg, as a customer's keys arrive):

- a rating: key 4 during the prompt (Read: the key stops the prompt, ``READSTATUS OK``, digits 4);
- a figure said by SayNumber, then a number typed 1, 2, # (``OK``, digits 12);
- no key (``TIMEOUT``, no digits);
- a spoken answer (Record, 2 s at most: ``RECORD_STATUS``);
- a question the customer hangs up in the middle of: no answer event, only the Hangup;
- a second customer whose engine never sends the next step: the bounded wait, the goodbye, the dialplan's hang-up.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen, event
from tests.live_asterisk.recorder import (
    RECORDINGS,
    agent_phone,
    hang_up,
    main,
    ok,
    originate,
    press,
    redirect,
    save,
    session,
)

OUT = RECORDINGS / "n1_survey_read_record_redirect.txt"
AGENT = "1001"


def answer_of(uid: str, step: str):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return (seen.get("UserEvent") == "DialerSurveyAnswer" and seen.get("Uniqueid") == uid
                and seen.get("Step") == step)
    return check


async def ask(watch: AmiWatch, leg: str, exten: str, **variables: str) -> float:
    """The engine's way to ask a step: one Setvar per variable, then the Redirect; the time it was sent."""
    for name, value in variables.items():
        await ok(watch, {"Action": "Setvar", "Channel": leg, "Variable": name, "Value": value})
    sent = time.monotonic()
    answer = await redirect(watch, leg, "dialer-survey", exten)
    assert answer[0].get("Response") == "Success", answer
    return sent


async def customer(watch: AmiWatch, leg: str) -> None:
    await originate(watch, leg, "Local/1060@sim-customer", "dialer-customer", "s",
                    Variable=f"DIALER_LEG_ID={leg},DIALER_CALL_ID=1,DIALER_HOLD_S=30")
    await watch.wait_for(lambda s: s.get("UserEvent") == "DialerCustomerReady" and s.get("Uniqueid") == leg,
                         timeout_s=10)


async def record(target: AmiTarget, out: Path = OUT) -> list[str]:
    notes: list[str] = []
    t0 = time.monotonic()
    async with session(target) as watch:
        agent_leg = await agent_phone(watch, f"n1-agent-{AGENT}", AGENT)
        a = "n1-cust-a"
        await customer(watch, a)
        await redirect(watch, a, "dialer-connect", f"agent-{AGENT}")
        await watch.wait_for(event("ConfbridgeJoin", Uniqueid=a), timeout_s=5)
        await asyncio.sleep(0.5)
        # the agent ends the call: out of the conference into the survey's first question
        sent = await ask(watch, a, "ask", DIALER_SV_STEP="1", DIALER_SV_PRE="", DIALER_SV_NUM="",
                         DIALER_SV_PROMPT="vm-enter-num-to-call&vm-then-pound", DIALER_SV_MAX="1",
                         DIALER_SV_TIMEOUT="5")
        left = await watch.wait_for(event("ConfbridgeLeave", Uniqueid=a), timeout_s=5)
        notes.append(f"customer A out of the conference {1000 * (left.at - sent):.0f} ms after the Redirect was sent")
        await asyncio.sleep(0.7)
        pressed = time.monotonic()
        await press(watch, a, "4")
        got = await watch.wait_for(answer_of(a, "1"), timeout_s=5)
        notes.append(f"rating, key 4 during the prompt: Digits {got.get('Digits')!r} Status {got.get('Status')} "
                     f"{1000 * (got.at - pressed):.0f} ms after PlayDTMF")
        # a figure by SayNumber, then a number typed 1 2 #
        await ask(watch, a, "ask", DIALER_SV_STEP="2", DIALER_SV_PRE="vm-youhave", DIALER_SV_NUM="42",
                  DIALER_SV_PROMPT="vm-enter-num-to-call", DIALER_SV_MAX="4", DIALER_SV_TIMEOUT="3")
        said = await watch.wait_for(lambda s: s.get("Event") == "VarSet" and s.get("Uniqueid") == a
                                    and s.get("Variable") == "PLAYBACKSTATUS" and s.at > pressed, timeout_s=10)
        await asyncio.sleep(2.5)   # SayNumber(42) and the prompt
        for digit in "12#":
            await press(watch, a, digit)
            await asyncio.sleep(0.2)
        got = await watch.wait_for(answer_of(a, "2"), timeout_s=5)
        notes.append(f"number after SayNumber (pre PLAYBACKSTATUS {said.get('Value')}), keys 1 2 #: Digits "
                     f"{got.get('Digits')!r} Status {got.get('Status')}")
        # no key at all
        asked = await ask(watch, a, "ask", DIALER_SV_STEP="3", DIALER_SV_PRE="", DIALER_SV_NUM="",
                          DIALER_SV_PROMPT="beep", DIALER_SV_MAX="1", DIALER_SV_TIMEOUT="1.5")
        got = await watch.wait_for(answer_of(a, "3"), timeout_s=10)
        notes.append(f"no key: Digits {got.get('Digits')!r} Status {got.get('Status')} "
                     f"{1000 * (got.at - asked):.0f} ms after the Redirect (beep + 1.5 s)")
        # a spoken answer
        asked = await ask(watch, a, "record", DIALER_SV_STEP="4", DIALER_SV_PROMPT="beep",
                          DIALER_SV_FILE="/tmp/n1-survey-spoken", DIALER_SV_REC_S="2")
        got = await watch.wait_for(answer_of(a, "4"), timeout_s=15)
        notes.append(f"spoken answer: Recording {got.get('Recording')} Status {got.get('Status')} "
                     f"{1000 * (got.at - asked):.0f} ms after the Redirect")
        # hangs up in the middle of a question
        await ask(watch, a, "ask", DIALER_SV_STEP="5", DIALER_SV_PROMPT="vm-enter-num-to-call", DIALER_SV_MAX="1",
                  DIALER_SV_TIMEOUT="5")
        await asyncio.sleep(1.0)
        listed = await watch.channels()
        far = next(m.get("Channel") for m in listed if m.get("Uniqueid") == f"{a}-2")
        await watch.action({"Action": "Hangup", "Channel": far, "Cause": "16"})
        gone = await watch.wait_for(event("Hangup", Uniqueid=a), timeout_s=5)
        await asyncio.sleep(0.3)
        late = watch.matching(answer_of(a, "5"))
        notes.append(f"customer A hung up during question 5: our leg's Hangup cause {gone.get('Cause')}, "
                     f"{len(late)} answer event for it")
        # B: the engine never sends the next step
        b = "n1-cust-b"
        await customer(watch, b)
        await ask(watch, b, "ask", DIALER_SV_STEP="1", DIALER_SV_PROMPT="beep", DIALER_SV_MAX="1",
                  DIALER_SV_TIMEOUT="1", DIALER_SV_WAIT_S="1")
        got = await watch.wait_for(answer_of(b, "1"), timeout_s=10)
        played = await watch.wait_for(lambda s: s.get("Event") == "VarSet" and s.get("Uniqueid") == b
                                      and s.get("Variable") == "PLAYBACKSTATUS" and s.at > got.at, timeout_s=10)
        gone = await watch.wait_for(event("Hangup", Uniqueid=b), timeout_s=10)
        notes.append(f"customer B, no next step: goodbye PLAYBACKSTATUS {played.get('Value')} then hung up with cause "
                     f"{gone.get('Cause')} {gone.at - got.at:.1f} s after its answer")
        await hang_up(watch, (agent_leg,))
    save(watch, out, target, "Scenario n1: a survey in the shipped [dialer-survey] (Setvar + Redirect per step, Read, "
         "SayNumber, Record, UserEvent DialerSurveyAnswer), the customer taken out of its agent's conference", notes,
         keys=True, started=t0)
    return notes


if __name__ == "__main__":
    main(record, OUT)
