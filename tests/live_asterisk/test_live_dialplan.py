"""On a real Asterisk 22: the shipped dialplan ends failed Originates at once, plays the safe-harbor
message within 2 seconds by itself, and its sounds exist.

These drive Asterisk directly over AMI (no engine), so a failure here is a fault of
``asterisk/extensions_dialer.conf`` or of what we believed Asterisk does.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from dialer.pbx_port import CTX_AGENT, CTX_CUSTOMER
from dialer.sound_names import unplayable_part
from tests.live_asterisk.ami_watch import AmiWatch, Seen, event
from tests.live_asterisk.conftest import TEST_NETWORK, customer_number


def leg_id() -> str:
    return "dl-live-" + uuid.uuid4().hex[:16]


async def originate(watch: AmiWatch, *, channel: str, context: str, exten: str, leg: str,
                    variables: dict[str, str], timeout_ms: int = 20000) -> None:
    answer = (await watch.action({
        "Action": "Originate", "Channel": channel, "Context": context, "Exten": exten, "Priority": "1",
        "Async": "true", "ChannelId": leg, "OtherChannelId": leg + "-2", "Timeout": str(timeout_ms),
        "Variable": ",".join(f"{k}={v}" for k, v in variables.items())}))[0]
    assert answer.get("Response") == "Success", answer


async def our_channels(watch: AmiWatch, leg: str) -> list[dict[str, str]]:
    return [c for c in await watch.channels()
            if c.get("Uniqueid", "").startswith(leg) or c.get("Channel", "").startswith("OutgoingSpoolFailed")]


async def test_every_context_the_engine_originates_into_has_a_failed_extension(watch: AmiWatch) -> None:
    for context, user_event in ((CTX_CUSTOMER, "DialerOriginateFailed"), (CTX_AGENT, "DialerAgentFailed")):
        response, output = await watch.command(f"dialplan show failed@{context}")
        assert response == "Success", output
        assert f"UserEvent({user_event}" in output and "Hangup()" in output, output


async def test_an_agent_phone_that_cannot_be_reached_is_reported_and_leaves_no_channel(watch: AmiWatch) -> None:
    leg = leg_id()
    sent = time.monotonic()
    await originate(watch, channel=f"Local/no-such-phone@{TEST_NETWORK}", context=CTX_AGENT, exten="agent-990",
                    leg=leg, variables={"DIALER_AGENT_ID": "990", "DIALER_LEG_ID": leg})
    reported = await watch.wait_for(event("DialerAgentFailed", LegId=leg), timeout_s=5)
    failed = await watch.wait_for(lambda e: e.get("Event") == "OriginateResponse" and e.get("Uniqueid") == leg,
                                  timeout_s=5)
    assert failed.get("Response") == "Failure"
    assert reported.get("AgentId") == "990" and reported.get("Channel") == "OutgoingSpoolFailed"
    assert reported.at - sent < 1.0, "the failed extension must end at once, not loop"
    # and no channel is left behind: the dummy channel ended, nothing loops in a conference
    deadline = time.monotonic() + 3.0
    while (left := await our_channels(watch, leg)) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert left == []
    conferences = watch.matching(lambda e: e.get("Event") == "ConfbridgeStart" and e.at >= sent)
    assert conferences == [], "a failed agent originate must not start any conference"


async def test_a_failed_customer_originate_is_reported_with_our_ids(watch: AmiWatch) -> None:
    leg = leg_id()
    await originate(watch, channel=f"Local/{customer_number(2).lstrip('+')}@{TEST_NETWORK}", context=CTX_CUSTOMER,
                    exten="s", leg=leg, variables={"DIALER_LEG_ID": leg, "DIALER_CALL_ID": "77"})
    reported = await watch.wait_for(event("DialerOriginateFailed", LegId=leg), timeout_s=10)
    assert reported.get("CallId") == "77"
    busy = await watch.wait_for(lambda e: e.get("Event") == "OriginateResponse" and e.get("Uniqueid") == leg,
                                timeout_s=5)
    assert (busy.get("Response"), busy.get("Reason")) == ("Failure", "5")
    # the customer script never ran on the dummy channel: no DialerCustomerReady, no safe harbor
    await asyncio.sleep(0.5)
    assert not watch.matching(event("DialerCustomerReady", LegId=leg))
    assert not watch.matching(event("DialerSafeHarbor", LegId=leg))


def playback_status_of(leg: str) -> object:
    def check(e: Seen) -> bool:
        return e.get("Event") == "VarSet" and e.get("Variable") == "PLAYBACKSTATUS" and e.get("Uniqueid") == leg
    return check


async def test_an_untouched_customer_hears_the_default_safe_harbor_message_within_two_seconds(watch: AmiWatch) -> None:
    """The engine is not there at all: the dialplan itself plays the message, and it really plays."""
    leg = leg_id()
    await originate(watch, channel=f"Local/{customer_number(1, stay_s=20).lstrip('+')}@{TEST_NETWORK}",
                    context=CTX_CUSTOMER, exten="s", leg=leg, variables={"DIALER_LEG_ID": leg, "DIALER_CALL_ID": "78"})
    ready = await watch.wait_for(event("DialerCustomerReady", LegId=leg), timeout_s=10)
    harbor = await watch.wait_for(event("DialerSafeHarbor", LegId=leg), timeout_s=5)
    assert harbor.at - ready.at < 2.0, f"safe harbor began {harbor.at - ready.at:.3f} s after ready"
    status = await watch.wait_for(playback_status_of(leg), timeout_s=10)  # type: ignore[arg-type]
    assert status.get("Value") == "SUCCESS"
    assert status.at - harbor.at > 1.5, "please-try-call-later lasts about 2.2 s: it was really played"


async def test_a_missing_safe_harbor_sound_fails_silently_which_is_why_the_engine_checks_sounds(watch: AmiWatch) -> None:
    leg = leg_id()
    await originate(watch, channel=f"Local/{customer_number(1, stay_s=20).lstrip('+')}@{TEST_NETWORK}",
                    context=CTX_CUSTOMER, exten="s", leg=leg,
                    variables={"DIALER_LEG_ID": leg, "DIALER_CALL_ID": "79", "DIALER_HOLD_S": "0.5",
                               "DIALER_SAFE_HARBOR": "dialer/no-such-sound"})
    status = await watch.wait_for(playback_status_of(leg), timeout_s=15)  # type: ignore[arg-type]
    assert status.get("Value") == "FAILED"
    present, _ = await watch.command("core show sound please-try-call-later")
    absent, output = await watch.command("core show sound dialer/no-such-sound")
    assert (present, absent) == ("Success", "Error"), output
    assert "not found in index" in output


@pytest.mark.parametrize(("sound", "status"), [("silence/1 & please-try-call-later", "SUCCESS"),
                                               ("silence/1&&please-try-call-later", "FAILED")])
async def test_playback_trims_each_part_of_a_list_and_fails_on_a_blank_part_as_the_settings_rule_assumes(
        watch: AmiWatch, sound: str, status: str) -> None:
    """``dialer.sound_names`` accepts spaces around ``&`` and refuses a blank part; this is why (2026-12-07,
    Asterisk 22.10.1: the blank part logs "Unable to open  (format (slin))" and "Playback failed")."""
    assert (unplayable_part(sound) is None) == (status == "SUCCESS")
    leg = leg_id()
    await originate(watch, channel=f"Local/{customer_number(1, stay_s=20).lstrip('+')}@{TEST_NETWORK}",
                    context=CTX_CUSTOMER, exten="s", leg=leg,
                    variables={"DIALER_LEG_ID": leg, "DIALER_CALL_ID": "80", "DIALER_HOLD_S": "0.5",
                               "DIALER_SAFE_HARBOR": sound})
    harbor = await watch.wait_for(event("DialerSafeHarbor", LegId=leg), timeout_s=10)
    played = await watch.wait_for(playback_status_of(leg), timeout_s=15)  # type: ignore[arg-type]
    assert played.get("Value") == status
    if status == "SUCCESS":
        assert played.at - harbor.at > 2.5, "silence/1 then please-try-call-later (about 2.2 s): both played"
