"""The simulated PBX answers AMI like the recorded Asterisk 22: login, replies, errors, lists, field names."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from dialer.aio import wait_within
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.probe import AmiProbe
from simulations.pbx.transcripts import field_names, load_transcript

RECORDINGS = Path("/work/shared/asterisk-ami")


@pytest.fixture
async def pbx():
    # the lab's manager.conf, whose dialer user (read = all, write = all) made the recordings
    lab_users = RECORDINGS / "config" / "manager.conf"
    config = PbxConfig(seed=3, speed=20.0, auth_fail_delay_real_s=0.2, manager_conf_path=lab_users)
    server = SimulatedPbx(config)
    await server.start(host="127.0.0.1", port=0)
    yield server
    await server.stop()


@pytest.fixture
async def ami(pbx):
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    await probe.login("dialer", "dialer-secret")
    yield probe
    await probe.close()


async def _connect(pbx: SimulatedPbx) -> AmiProbe:
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    return probe


async def test_banner_is_asterisk_call_manager_11_without_a_blank_line(pbx):
    reader, writer = await asyncio.open_connection("127.0.0.1", pbx.port)
    assert await reader.readline() == b"Asterisk Call Manager/11.0.0\r\n"
    writer.write(b"Action: Ping\r\nActionID: p\r\n\r\n")
    assert await reader.readline() == b"Response: Error\r\n"  # nothing but the reply follows the banner
    writer.close()
    await writer.wait_closed()


async def test_md5_challenge_login_is_accepted_with_the_recorded_replies(pbx):
    probe = await _connect(pbx)
    challenge = await probe.action("Challenge", AuthType="MD5")
    assert challenge.keys == ("Response", "ActionID", "Challenge") and challenge.get("Challenge").isdigit()
    probe2 = await _connect(pbx)
    reply = await probe2.login("dialer", "dialer-secret", md5=True, events="system,call")
    assert reply.get("Message") == "Authentication accepted"
    booted = await probe2.wait_for(lambda m: m.event == "FullyBooted")
    assert booted.keys == ("Event", "Privilege", "Uptime", "LastReload", "Status")
    await probe.close()
    await probe2.close()


async def test_a_wrong_secret_waits_then_fails_and_closes_the_socket(pbx):
    probe = await _connect(pbx)
    started = time.monotonic()
    reply = await probe.action("Login", Username="dialer", Secret="wrong")
    assert reply.get("Response") == "Error" and reply.get("Message") == "Authentication failed"
    assert time.monotonic() - started >= 0.19
    await wait_within(probe.closed.wait(), 1.0)
    await probe.close()


async def test_a_wrong_md5_key_and_an_unknown_user_fail_the_same_way(pbx):
    probe = await _connect(pbx)
    await probe.action("Challenge", AuthType="MD5")
    reply = await probe.action("Login", AuthType="MD5", Username="dialer", Key="0" * 32)
    assert reply.get("Message") == "Authentication failed"
    probe2 = await _connect(pbx)
    reply2 = await probe2.action("Login", Username="nosuchuser", Secret="x")
    assert reply2.get("Message") == "Authentication failed"
    await probe.close()
    await probe2.close()


async def test_actions_before_login_are_refused_with_permission_denied(pbx):
    probe = await _connect(pbx)
    reply = await probe.action("Originate", Channel="Local/1205@sim-customer", Application="Wait", Data="1")
    assert (reply.get("Response"), reply.get("Message")) == ("Error", "Permission denied")
    await probe.close()


@pytest.mark.parametrize(
    ("action", "fields", "message"),
    [
        (
            "FooBar",
            {},
            "Invalid/unknown command: FooBar. Use Action: ListCommands to show available commands.",
        ),
        ("Originate", {"Context": "dialer-customer", "Exten": "s", "Priority": "1"}, "Channel not specified"),
        (
            "Originate",
            {"Channel": "Local/1205@sim-customer"},
            "Originate with 'Exten' requires 'Context' and 'Priority'",
        ),
        (
            "Originate",
            {
                "Channel": "Local/1205@sim-customer",
                "Context": "dialer-customer",
                "Exten": "s",
                "Priority": "abc",
            },
            "Invalid priority",
        ),
        (
            "Originate",
            {
                "Channel": "Local/1102@sim-customer",
                "Context": "nosuchcontext",
                "Exten": "s",
                "Priority": "1",
                "Async": "true",
            },
            "Extension does not exist.",
        ),
        ("Hangup", {"Channel": "Local/0000@nowhere-00000000;1"}, "No such channel"),
        (
            "Redirect",
            {
                "Channel": "Local/0000@nowhere-00000000;1",
                "Context": "dialer-connect",
                "Exten": "agent-1",
                "Priority": "1",
            },
            "Channel does not exist: Local/0000@nowhere-00000000;1",
        ),
        (
            "Setvar",
            {"Channel": "Local/0000@nowhere-00000000;1", "Variable": "X", "Value": "1"},
            "No such channel",
        ),
        ("Getvar", {"Channel": "Local/0000@nowhere-00000000;1", "Variable": "X"}, "No such channel"),
        (
            "Bridge",
            {"Channel1": "Local/nope@nowhere-00000000;1", "Channel2": "Local/nope2@x-1;1"},
            "Channel1 does not exist: Local/nope@nowhere-00000000;1",
        ),
        ("Bridge", {"Channel1": "Local/nope@nowhere-00000000;1"}, "Missing channel parameter in request"),
        ("StopMixMonitor", {"Channel": "Local/0000@nowhere-00000000;1"}, "No such channel"),
    ],
)
async def test_bad_actions_get_asterisks_error_messages(ami, action, fields, message):
    reply = await ami.action(action, **fields)
    assert (reply.get("Response"), reply.get("Message")) == ("Error", message)


async def test_the_recorded_error_messages_are_the_ones_the_simulator_uses():
    text = (RECORDINGS / "h1_errors_bad_actions_auth.txt").read_text()
    for message in (
        "Permission denied",
        "Authentication failed",
        "Missing action in request",
        "Channel not specified",
        "Invalid priority",
        "Extension does not exist.",
        "No such channel",
        "Channel does not exist: Local/0000@nowhere-00000000;1",
    ):
        assert f"Message: {message}" in text


async def test_a_message_without_action_is_answered_missing_action(ami):
    ami._writer.write(b"ActionID: noaction-1\r\nChannel: x\r\n\r\n")  # type: ignore[union-attr]
    await asyncio.sleep(0.1)
    answer = next(m for m in ami.received if m.get("ActionID") == "noaction-1")
    assert answer.get("Message") == "Missing action in request"


async def test_ping_without_actionid_has_no_actionid_and_lowercase_headers_work(pbx, ami):
    reader, writer = await asyncio.open_connection("127.0.0.1", pbx.port)
    await reader.readline()
    writer.write(
        b"action: login\r\nusername: dialer\r\nsecret: dialer-secret\r\nevents: off\r\n\r\n"
        b"Action: Ping\r\n\r\n"
    )
    data = await wait_within(reader.readuntil(b"Timestamp"), 2.0)
    assert b"Authentication accepted" in data and b"Response: Success\r\nPing: Pong\r\n" in data
    writer.close()
    await writer.wait_closed()


async def test_core_settings_and_core_status_have_the_recorded_fields(ami):
    recorded = load_transcript(RECORDINGS / "a1_login_handshake_basics.txt")
    by_id = {m.get("ActionID"): m for m in recorded if not m.sent_by_client and not m.event}
    settings = await ami.action("CoreSettings")
    status = await ami.action("CoreStatus")
    assert settings.keys == by_id["c1-coresettings-4"].keys
    assert status.keys == by_id["c1-corestatus-5"].keys
    assert settings.get("AsteriskVersion") == "22.10.1"


async def test_core_show_channels_and_status_list_live_channels_with_the_recorded_fields(pbx, ami):
    recorded = load_transcript(RECORDINGS / "a1_login_handshake_basics.txt")
    await ami.action(
        "Originate",
        Channel="Local/agent-1001@sim-agent-phone",
        Context="dialer-agent",
        Exten="agent-1001",
        Priority="1",
        ChannelId="ag-1",
        OtherChannelId="ag-1-phone",
        Async="true",
    )
    await ami.wait_for(lambda m: m.event == "ConfbridgeJoin")
    listing = await ami.action_list("CoreShowChannels")
    assert listing[0].get("Message") == "Channels will follow"
    items = [m for m in listing if m.event == "CoreShowChannel"]
    assert {m.get("Uniqueid") for m in items} == {"ag-1", "ag-1-phone"}
    assert items[0].keys == field_names(recorded, "CoreShowChannel")[0]
    assert listing[-1].get("ListItems") == "2" and listing[-1].get("EventList") == "Complete"
    status = await ami.action_list("Status", Channel=items[0].get("Channel"), Variables="DIALER_LEG_ID")
    st = next(m for m in status if m.event == "Status")
    recorded_status = [k for k in field_names(recorded, "Status")[-1] if k != "Variable"]
    assert [k for k in st.keys if k != "Variable"] == recorded_status
    assert st.keys[-2:] == ("Variable", "ActionID") and st.get("Variable") == "DIALER_LEG_ID=(null)"
    bad = await ami.action("Status", Channel="Local/agent-1001@sim-agent-phone-")
    assert bad.get("Message") == "No such channel"


async def test_setvar_and_getvar_round_trip_and_setvar_emits_varset(pbx, ami):
    await ami.action(
        "Originate",
        Channel="Local/1190@sim-customer",
        Context="dialer-customer",
        Exten="s",
        Priority="1",
        ChannelId="sv-1",
        Async="true",
    )
    await ami.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady")
    ok = await ami.action("Setvar", Channel="sv-1", Variable="DIALER_AGENT_ID", Value="7")
    assert ok.get("Message") == "Variable Set"
    got = await ami.action("Getvar", Channel="sv-1", Variable="DIALER_AGENT_ID")
    assert got.keys == ("Response", "ActionID", "Variable", "Value") and got.get("Value") == "7"
    await ami.wait_for(lambda m: m.event == "VarSet" and m.get("Variable") == "DIALER_AGENT_ID")
    glob = await ami.action("Getvar", Variable="GLOBAL(DIALER_HOLD_S)")
    assert glob.get("Value") == ""  # no [globals] entry: the dialplan's own default (1.8) applies
    await ami.action("Setvar", Variable="GLOBAL(DIALER_HOLD_S)", Value="30")
    assert (await ami.action("Getvar", Variable="GLOBAL(DIALER_HOLD_S)")).get("Value") == "30"


async def test_hangup_by_regex_lists_the_channels_it_hung_up(pbx, ami):
    await ami.action(
        "Originate",
        Channel="Local/agent-1001@sim-agent-phone",
        Context="dialer-agent",
        Exten="agent-1001",
        Priority="1",
        ChannelId="rx-1",
        Async="true",
    )
    await ami.wait_for(lambda m: m.event == "ConfbridgeJoin")
    listing = await ami.action_list(
        "Hangup", Channel=r"/^Local\/agent-1001@sim-agent-phone-.*;1$/", Cause="16"
    )
    assert [m.event for m in listing[1:]] == ["ChannelHungup", "ChannelsHungupListComplete"]
    hung = await ami.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == "rx-1")
    assert hung.get("Cause") == "16" and hung.get("Cause-txt") == "Normal Clearing"


async def test_events_action_switches_the_stream_off_and_on(pbx, ami):
    off = await ami.action("Events", EventMask="off")
    assert off.get("Events") == "Off"
    await ami.action("UserEvent", UserEvent="Quiet")
    on = await ami.action("Events", EventMask="on")
    assert on.get("Events") == "On"
    await ami.action("UserEvent", UserEvent="Loud", Campaign="camp7")
    loud = await ami.wait_for(lambda m: m.event == "UserEvent")
    assert loud.get("UserEvent") == "Loud" and loud.keys == (
        "Event",
        "Privilege",
        "UserEvent",
        "ActionID",
        "Campaign",
    )


async def test_logoff_says_goodbye_and_closes(pbx, ami):
    reply = await ami.action("Logoff")
    assert (reply.get("Response"), reply.get("Message")) == ("Goodbye", "Thanks for all the fish.")
    await wait_within(ami.closed.wait(), 1.0)


async def test_mixmonitor_with_an_id_option_returns_a_mixmonitorid_and_stop_twice_fails(pbx, ami):
    await ami.action(
        "Originate",
        Channel="Local/1190@sim-customer",
        Context="dialer-customer",
        Exten="s",
        Priority="1",
        ChannelId="mm-1",
        Async="true",
    )
    await ami.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady")
    started = await ami.action("MixMonitor", Channel="mm-1", File="/tmp/x.wav", Options="bi(MIXMON_ID)")
    assert started.keys == ("Response", "ActionID", "MixMonitorID")
    await ami.wait_for(lambda m: m.event == "MixMonitorStart")
    assert (await ami.action("StopMixMonitor", Channel="mm-1")).get("Response") == "Success"
    again = await ami.action("StopMixMonitor", Channel="mm-1")
    assert again.get("Message") == "Could not stop monitoring channel"
    assert pbx.recordings == [("mm-1", "/tmp/x.wav")]


async def test_a_synchronous_originate_replies_only_when_the_call_resolves_and_holds_events_until_then(
    pbx, ami
):
    started = time.monotonic()
    busy = await ami.action(
        "Originate",
        Channel="Local/2100@sim-customer",
        Context="dialer-customer",
        Exten="s",
        Priority="1",
        ChannelId="sync-busy",
    )
    assert (busy.get("Response"), busy.get("Message")) == ("Error", "Originate failed")
    assert time.monotonic() - started >= 1.0 / 20.0 * 0.9  # rang 1 simulated second first
    answered = await ami.action(
        "Originate",
        Channel="Local/1102@sim-customer",
        Context="dialer-customer",
        Exten="s",
        Priority="1",
        ChannelId="sync-up",
        Timeout="10000",
    )
    assert answered.get("Message") == "Originate successfully queued"
    await ami.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady")
    order = [m for m in ami.received if m.get("ActionID") == answered.get("ActionID") or m.event]
    reply_at = order.index(answered)
    assert all(m.get("Uniqueid") != "sync-up" for m in order[:reply_at])  # events came after the reply
    assert not any(m.event == "OriginateResponse" for m in ami.events)
