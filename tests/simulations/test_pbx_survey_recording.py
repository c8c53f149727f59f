"""A survey in ``dialer-survey`` as Asterisk 22 runs it: the recording n1 (made on this project's Asterisk with the
shipped dialplan and manager user, ``tests/live_asterisk/record_survey.py``) replayed on the simulated PBX, and read
by the engine's translator.

Each step is Setvars then a Redirect. ``Read`` sets READSTATUS ERROR as it starts; a key during the prompt stops it
(one key asked: digits 4, OK); keys 1 2 # give 12, OK; no key gives an empty variable and TIMEOUT; ``Record`` sets
RECORDED_FILE as it starts and, on a channel that sends no audio, RECORD_STATUS HANGUP at its longest time (the leg
is still up: the dialplan goes on); a customer who hangs up during a Read leaves the variable empty, READSTATUS
HANGUP, and no answer event; with no next step from the engine the leg hears the goodbye and is hung up.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import pytest

from dialer.ami.message import MessageKind
from dialer.ami.transcript import read_transcript
from dialer.ami.translate import Translator
from dialer.pbx_port import LegKind, SurveyAnswered
from simulations.pbx.survey_customer import SurveyCustomer
from simulations.pbx.transcripts import Message, load_transcript
from tests.simulations.recording_replay import replay, running_pbx

RECORDING = Path(__file__).resolve().parents[1] / "recordings" / "n1_survey_read_record_redirect.txt"
SPEED = 4.0
LEGS = ("n1-cust-a", "n1-cust-b")
EVENTS = {"Hangup", "ConfbridgeJoin", "ConfbridgeLeave", "UserEvent"}
VARIABLES = {"READSTATUS", "DIALER_SV_DIGITS", "RECORDED_FILE", "RECORD_STATUS", "PLAYBACKSTATUS"}


def story(messages: Sequence[Message]) -> dict[str, list[str]]:
    """Each customer's events, the survey's variables and the answers' fields."""
    out: dict[str, list[str]] = {}
    for m in messages:
        uid = m.get("Uniqueid")
        if m.sent_by_client or uid not in LEGS:
            continue
        if m.event == "VarSet" and m.get("Variable") in VARIABLES:
            out.setdefault(uid, []).append(f"{m.get('Variable')}={m.get('Value')}")
        elif m.event == "UserEvent" and m.get("UserEvent") == "DialerSurveyAnswer":
            out.setdefault(uid, []).append(f"Answer:{m.get('Step')}:{m.get('Digits')}{m.get('Recording')}:"
                                           f"{m.get('Status')}")
        elif m.event in EVENTS and m.event != "UserEvent":
            out.setdefault(uid, []).append(m.event)
    return out


@functools.cache
def _recording() -> Sequence[Message]:
    return load_transcript(RECORDING)


@pytest.fixture
async def pbx():  # type: ignore[no-untyped-def]
    # the recording's keys are PlayDTMF actions: this customer presses none by itself
    async with running_pbx(seed=1, speed=SPEED, survey_customer=SurveyCustomer(silent_p=1.0)) as server:
        yield server


async def test_read_saynumber_record_and_a_hang_up_in_dialer_survey_give_the_recorded_events(pbx) -> None:  # type: ignore[no-untyped-def]
    recorded = _recording()

    def far_half(action: str, fields: dict[str, str]) -> dict[str, str]:
        if action == "Hangup" and fields.get("Channel", "").endswith(";2"):
            # the customer's phone hangs up: the far half, named by Asterisk's channel counter
            return {**fields, "Channel": pbx.switch.by_uniqueid["n1-cust-a-2"].name}
        return fields

    # each action once the PBX has sent what Asterisk had sent before it, and its time in the recording has come
    # (keys are pressed seconds after a Redirect: a key during SayNumber's figure is lost, as in Asterisk)
    probe = await replay(pbx.port, recorded, watched=("ConfbridgeJoin", "ConfbridgeLeave", "Hangup", "UserEvent"),
                         timeout=30.0 / SPEED + 5.0, speed=SPEED, rewrite=far_half)
    try:
        rec, got = story(recorded), story(probe.events)
    finally:
        await probe.close()
    for uid in LEGS:
        assert got.get(uid) == rec[uid], (uid, got.get(uid), rec[uid])
    a = rec["n1-cust-a"]
    assert [x for x in a if x.startswith("Answer:")] == [
        "Answer:1:4:OK", "Answer:2:12:OK", "Answer:3::TIMEOUT", "Answer:4:/tmp/n1-survey-spoken:HANGUP"]
    assert a[-3:] == ["DIALER_SV_DIGITS=", "READSTATUS=HANGUP", "Hangup"]     # hung up during question 5
    assert rec["n1-cust-b"][-3:] == ["Answer:1::TIMEOUT", "PLAYBACKSTATUS=SUCCESS", "Hangup"]
    assert pbx.switch.dialplan.faults == []


def test_the_engine_reads_each_recorded_answer_once_as_its_legs_survey_answer() -> None:
    translator = Translator("pbx1", new_id=iter(f"x-{n}" for n in range(1, 100)).__next__)
    for leg in LEGS:
        translator.adopt(leg, LegKind.CUSTOMER, "")
    answers = []
    for item in read_transcript(RECORDING).messages():
        msg = item.parse()
        if msg.kind is MessageKind.EVENT:
            answers += [e for e in translator.feed(msg, 0.0) if isinstance(e, SurveyAnswered)]
    assert [(e.leg_id, e.step, e.digits, e.status, e.recording) for e in answers] == [
        ("n1-cust-a", "1", "4", "OK", ""), ("n1-cust-a", "2", "12", "OK", ""), ("n1-cust-a", "3", "", "TIMEOUT", ""),
        ("n1-cust-a", "4", "", "HANGUP", "/tmp/n1-survey-spoken"), ("n1-cust-b", "1", "", "TIMEOUT", "")]
