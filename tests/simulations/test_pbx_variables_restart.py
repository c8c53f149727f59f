"""The simulated PBX's AMI surface where a real Asterisk 22.10.1 showed what the simulator hid (issue 12):
how ``Variable`` headers are split and escaped (i1), what ``core restart now`` does to live calls (i4), the
graceful stop (h2), and the ``Command`` action's ``core show sound`` (main/sounds.c, manager.c).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from dialer.aio import wait_within
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.asterisk_args import (
    channel_variables,
    cli_args,
    escape_c,
    originate_variables,
    separate_args,
)
from simulations.pbx.probe import AmiProbe
from simulations.pbx.transcripts import Message, load_transcript

RECORDINGS = Path("/work/shared/asterisk-ami")
I1 = RECORDINGS / "i1_originate_variable_special_chars.txt"
I4 = RECORDINGS / "i4_core_restart_live_calls.txt"
recorded = pytest.mark.skipif(not RECORDINGS.is_dir(), reason="recordings not available")


@pytest.fixture
async def pbx():
    server = SimulatedPbx(PbxConfig(seed=4, speed=10.0))
    await server.start(host="127.0.0.1", port=0)
    yield server
    await server.stop()


async def _login(pbx: SimulatedPbx, events: str = "on") -> AmiProbe:
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    await probe.login("dialer", "dialer-secret", events=events)
    return probe


# --- Variable headers: Asterisk's argument parser ------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("T=hello", {"T": "hello"}),
        ("T=a,b", {"T": "a"}),  # the piece after the comma has no '=': silently dropped
        ('T="a,b"', {"T": "a,b"}),  # quotes group and are removed
        (r"T=a\,b", {"T": "a,b"}),  # a backslash escapes and is removed
        ("T=f(a,b)", {"T": "f(a,b)"}),  # parentheses protect commas
        ('T=say "hi" there', {"T": "say hi there"}),
        (r"T=say \"hi\"", {"T": 'say "hi"'}),
        (r"T=C:\temp\new", {"T": "C:tempnew"}),
        (r"T=a\\b", {"T": "a\\b"}),
        ("T=a|b;c&d?e=f", {"T": "a|b;c&d?e=f"}),
        ("T=Xin lỗi quý khách, chúng tôi sẽ gọi lại", {"T": "Xin lỗi quý khách"}),
        ("  T=  two leading, two trailing  ", {"T": "  two leading"}),  # blanks before the name skipped
        ("T=", {"T": ""}),
        ("A=1,B=2,C=3", {"A": "1", "B": "2", "C": "3"}),
        ("H=has space, I=after", {"H": "has space", " I": "after"}),  # the name keeps its blank
        ("=x,novalue,B=2", {"B": "2"}),
    ],
)
def test_a_variable_header_is_split_like_asterisks_argument_parser(header, expected):
    assert channel_variables(originate_variables([header])) == expected


def test_the_first_of_a_repeated_name_wins_as_asterisk_sets_them_in_reverse_order():
    assert channel_variables(originate_variables(["A=1", "B=2,A=3"])) == {"A": "1", "B": "2"}


def test_the_parser_cuts_at_most_63_pieces_and_keeps_the_rest_untouched():
    pieces = separate_args(",".join(f'"{i}"' for i in range(70)))
    assert pieces[:63] == [str(i) for i in range(63)]
    assert pieces[63] == ",".join(f'"{i}"' for i in range(63, 70))


def test_varset_shows_values_c_escaped():
    assert escape_c('say "hi" C:\\x?') == 'say \\"hi\\" C:\\\\x\\?'
    assert escape_c("Xin lỗi") == "Xin lỗi"


def test_cli_words_are_split_as_the_asterisk_cli_does():
    assert cli_args('  core show  sound "please-try-call-later"') == [
        "core",
        "show",
        "sound",
        "please-try-call-later",
    ]
    assert cli_args(r"core show sound a\ b") == ["core", "show", "sound", "a b"]


def _i1_steps() -> list[tuple[Message, Message, list[Message]]]:
    """Each recorded Originate of i1, its recorded response, and the recorded Getvar actions after it."""
    messages = [m for m in load_transcript(I1) if m.conn == "c1"]
    steps: list[tuple[Message, Message, list[Message]]] = []
    for i, msg in enumerate(messages):
        if msg.sent_by_client and msg.get("Action") == "Originate":
            aid = msg.get("ActionID")
            reply = next(m for m in messages[i:] if not m.sent_by_client and m.get("ActionID") == aid)
            steps.append((msg, reply, []))
        elif msg.sent_by_client and msg.get("Action") == "Getvar":
            steps[-1][2].append(msg)
    return steps


def _varsets(messages: list[Message], uniqueid: str, names: set[str] | None = None) -> list[tuple[str, str]]:
    return [
        (m.get("Variable"), m.get("Value"))
        for m in messages
        if m.event == "VarSet"
        and m.get("Uniqueid") == uniqueid
        and (names is None or m.get("Variable") in names)
    ]


@recorded
async def test_replaying_i1_sets_the_variable_values_asterisk_reported_and_refuses_the_long_line(pbx):
    transcript = load_transcript(I1)
    probe = await _login(pbx)
    for originate, reply, getvars in _i1_steps():
        fields: dict[str, str | list[str]] = {}
        for key, value in originate.fields:
            if key in ("Action", "ActionID"):
                continue
            if key == "Variable":
                fields.setdefault("Variable", []).append(value)  # type: ignore[union-attr]
            else:
                fields[key] = "Local/1199@sim-customer" if key == "Channel" else value
        start = len(probe.events)
        got = await probe.action("Originate", **fields)
        assert (got.get("Response"), got.get("Message")) == (reply.get("Response"), reply.get("Message"))
        near, far = originate.get("ChannelId"), originate.get("OtherChannelId")
        if reply.get("Response") != "Success":
            assert reply.get("Message") == "Failed to parse message: line too long"
            assert all(r.channel_id != near for r in pbx.originate_log)  # nothing originated
            continue
        await probe.wait_for(lambda m, near=near: m.get("LocalOneUniqueid") == near, start=start)
        wanted = {name for name, _ in _varsets(transcript, near)}
        live = probe.events[start:]
        assert _varsets(live, near, wanted) == _varsets(transcript, near)  # ;1: reverse order, C-escaped
        assert _varsets(live, far, wanted) == _varsets(transcript, far, wanted)  # ;2: header order
        for getvar in getvars:
            if getvar.get("Variable") not in wanted:
                continue  # set by the recording's own dialplan, not by the Originate
            recorded_reply = next(
                m for m in transcript if not m.sent_by_client and m.get("ActionID") == getvar.get("ActionID")
            )
            value = await probe.action("Getvar", Channel=far, Variable=getvar.get("Variable"))
            assert value.get("Value") == recorded_reply.get("Value"), getvar.get("Variable")
    await probe.close()


@recorded
async def test_the_channel_holds_what_asterisks_dumpchan_showed_for_every_variable_of_i1(pbx):
    dumped: dict[str, str] = {}
    for line in I1.read_text(encoding="utf-8").splitlines():
        if line.startswith("##   | ") and "=" in line and not line.startswith("##   | ="):
            name, _, value = line[len("##   | ") :].partition("=")
            dumped[name] = value
    originate = _i1_steps()[0][0]
    values = [v for k, v in originate.fields if k == "Variable"]
    probe = await _login(pbx)
    await probe.action(
        "Originate",
        Channel="Local/1199@sim-customer",
        Application="Wait",
        Data="10",
        ChannelId="dump-a",
        OtherChannelId="dump-b",
        Variable=values,
        Async="true",
    )
    for name, value in dumped.items():
        got = await probe.action("Getvar", Channel="dump-b", Variable=name)
        assert got.get("Value") == value, name
    await probe.close()


async def test_a_setvar_value_is_kept_whole_and_its_varset_is_escaped(pbx):
    probe = await _login(pbx)
    await probe.action(
        "Originate",
        Channel="Local/1199@sim-customer",
        Application="Wait",
        Data="10",
        ChannelId="sv-a",
        Async="true",
    )
    await probe.action("Setvar", Channel="sv-a", Variable="NOTE", Value='a,b "c" \\d?')
    event = await probe.wait_for(lambda m: m.event == "VarSet" and m.get("Variable") == "NOTE")
    assert event.get("Value") == 'a,b \\"c\\" \\\\d\\?'
    assert (await probe.action("Getvar", Channel="sv-a", Variable="NOTE")).get("Value") == 'a,b "c" \\d?'
    await probe.close()


# --- the AMI input buffer ------------------------------------------------------------------------------


LINE_TOO_LONG = b"Failed to parse message: line too long"  # i1
TOO_MANY_LINES = b"Too many lines in message or allocation failure"  # manager.c, more than 128 lines


async def _raw(pbx: SimulatedPbx, data: bytes, replies: int = 1) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", pbx.port)
    await reader.readline()
    writer.write(b"Action: Login\r\nUsername: dialer\r\nSecret: dialer-secret\r\nEvents: off\r\n\r\n")
    await reader.readuntil(b"\r\n\r\n")
    writer.write(data)
    out = [await wait_within(reader.readuntil(b"\r\n\r\n"), 2.0) for _ in range(replies)]
    writer.close()
    await writer.wait_closed()
    return out


@pytest.mark.parametrize(
    ("value_bytes", "accepted"), [(987, True), (1010, True), (1012, False), (1108, False)]
)
async def test_a_header_line_that_does_not_fit_asterisks_1024_byte_buffer_fails_the_whole_action(
    pbx, value_bytes, accepted
):
    # i1: a 1004-byte line passed, a 1120-byte one failed. manager.c reads into 1024 bytes and needs the
    # line's LF inside them: "Variable: L=" (12 bytes) + 1010 + CRLF fills them exactly
    line = b"Variable: L=" + b"7" * value_bytes
    message = (
        b"Action: Originate\r\nActionID: long-1\r\nChannel: Local/1199@sim-customer\r\nApplication: Wait\r\n"
    )
    message += b"Data: 1\r\n" + line + b"\r\nVariable: AFTER=x\r\nAsync: true\r\n\r\n"
    (reply,) = await _raw(pbx, message)
    if accepted:
        assert (
            reply
            == b"Response: Success\r\nActionID: long-1\r\nMessage: Originate successfully queued\r\n\r\n"
        )
        assert pbx.originate_log[-1].variables["L"] == "7" * value_bytes
    else:
        assert reply == b"Response: Error\r\nActionID: long-1\r\nMessage: " + LINE_TOO_LONG + b"\r\n\r\n"
        assert pbx.originate_log == []


async def test_more_than_128_lines_in_one_message_are_refused(pbx):
    lines = b"".join(b"Variable: V%d=1\r\n" % i for i in range(130))
    (reply,) = await _raw(pbx, b"Action: Ping\r\nActionID: many\r\n" + lines + b"\r\n")
    assert reply == b"Response: Error\r\nActionID: many\r\nMessage: " + TOO_MANY_LINES + b"\r\n\r\n"


# --- core restart now (i4) ------------------------------------------------------------------------------

RESTART_EVENTS = {
    "SoftHangupRequest",
    "HangupRequest",
    "Hangup",
    "DialEnd",
    "OriginateResponse",
    "ConfbridgeLeave",
    "BridgeLeave",
}


def _restart_sequences(messages: list[Message]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in messages:
        if m.event in RESTART_EVENTS:
            uid = m.get("Uniqueid") or m.get("DestUniqueid")
            detail = m.get("Cause") or m.get("DialStatus") or m.get("Reason")
            out.setdefault(uid, []).append(f"{m.event}:{detail}" if detail else m.event)
    return out


async def _i4_calls(pbx: SimulatedPbx, probe: AmiProbe) -> None:
    """The live calls of i4: an agent and customer A in the agent's conference, B waiting, C ringing."""
    common = {"Priority": "1", "CallerID": '"Campaign 4" <5550105>', "Async": "true"}
    await probe.action(
        "Originate",
        Channel="Local/1006@sim-agent-phone",
        Context="dialer-agent",
        Exten="agent-1006",
        Timeout="30000",
        ChannelId="i4-ag-a",
        OtherChannelId="i4-ag-b",
        Variable="DIALER_AGENT_ID=1006",
        **common,
    )
    for leg, call in (("i4-ca-a", "401"), ("i4-cb-a", "402")):
        await probe.action(
            "Originate",
            Channel="Local/1199@sim-customer",
            Context="dialer-customer",
            Exten="s",
            Timeout="30000",
            ChannelId=leg,
            OtherChannelId=leg[:-1] + "b",
            Variable=[f"DIALER_LEG_ID={leg}", f"DIALER_CALL_ID={call}", "DIALER_HOLD_S=120"],
            **common,
        )
    await probe.wait_for(
        lambda m: m.get("UserEvent") == "DialerCustomerReady" and m.get("Uniqueid") == "i4-ca-a"
    )
    await probe.action("Setvar", Channel="i4-ca-a", Variable="DIALER_AGENT_ID", Value="1006")
    await probe.action(
        "Redirect", Channel="i4-ca-a", Context="dialer-connect", Exten="agent-1006", Priority="1"
    )
    await probe.action(
        "Originate",
        Channel="Local/3000@sim-customer",
        Context="dialer-customer",
        Exten="s",
        Timeout="60000",
        ChannelId="i4-cc-a",
        OtherChannelId="i4-cc-b",
        Variable=["DIALER_LEG_ID=i4-cc-a", "DIALER_CALL_ID=403"],
        **common,
    )
    await probe.wait_for(lambda m: m.event == "ConfbridgeJoin" and m.get("Uniqueid") == "i4-ca-a")
    await probe.wait_for(
        lambda m: m.get("UserEvent") == "DialerCustomerReady" and m.get("Uniqueid") == "i4-cb-a"
    )
    await probe.wait_for(lambda m: m.get("DialStatus") == "RINGING" and m.get("DestUniqueid") == "i4-cc-a")
    assert len(pbx.switch.channels) == 8


@recorded
async def test_core_restart_now_ends_every_call_with_the_recorded_events_then_shutdown_then_comes_back(pbx):
    recording = [m for m in load_transcript(I4) if m.conn == "c1" and m.at >= 3.03 and not m.sent_by_client]
    probe = await _login(pbx)
    await _i4_calls(pbx, probe)
    start = len(probe.events)
    restarting = asyncio.ensure_future(pbx.faults.restart())
    shutdown = await probe.wait_for(lambda m: m.event == "Shutdown", start=start)
    after = probe.events[start:]
    assert _restart_sequences(after) == _restart_sequences(recording)  # every channel, event by event
    hangups = [m for m in after if m.event == "Hangup"]
    assert len(hangups) == 8 and shutdown is after[-1]
    assert shutdown.at - hangups[-1].at >= 1.0  # Asterisk waits ~1.1 s before it says Shutdown
    assert (
        shutdown.keys == ("Event", "Privilege", "Shutdown", "Restart") and shutdown.get("Restart") == "True"
    )
    await wait_within(probe.closed.wait(), 1.0)
    closed_at = time.monotonic()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", pbx.port)
    await restarting
    assert 0.3 <= time.monotonic() - closed_at < 1.5  # the port accepts again after ~0.43 s
    again = await _login(pbx)  # login works while booting: FullyBooted comes on its own afterwards
    booted = await again.wait_for(lambda m: m.event == "FullyBooted")
    assert (
        booted.keys == ("Event", "Privilege", "Status", "Uptime", "LastReload")
        and booted.get("Uptime") == "0"
    )
    listing = await again.action_list("CoreShowChannels")
    assert listing[-1].get("ListItems") == "0" and not pbx.switch.channels
    await probe.close()
    await again.close()


async def test_core_restart_now_by_the_command_action_silences_its_sender_and_refuses_other_actions(pbx):
    sender, watcher = await _login(pbx), await _login(pbx)
    await sender.action(
        "Originate",
        Channel="Local/1006@sim-agent-phone",
        Context="dialer-agent",
        Exten="agent-1006",
        Priority="1",
        ChannelId="rs-ag-a",
        Async="true",
    )
    await watcher.wait_for(lambda m: m.event == "ConfbridgeJoin")
    seen_before = len(sender.received)
    sender.send("Command", "restart-1", Command="core restart now")
    await watcher.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == "rs-ag-a")
    refused = await watcher.action("Ping")
    assert (refused.get("Response"), refused.get("Message")) == ("Error", "Asterisk is shutting down")
    shutdown = await watcher.wait_for(lambda m: m.event == "Shutdown")
    assert shutdown.get("Restart") == "True"
    await wait_within(sender.closed.wait(), 1.0)
    assert sender.received[seen_before:] == []  # no reply and no event: its thread ran the restart
    for probe in (sender, watcher):
        await probe.close()
    again = await _login_when_back(pbx)  # the PBX restarted
    assert (await again.action("Ping")).get("Ping") == "Pong"
    await again.close()


async def _login_when_back(pbx: SimulatedPbx, within_s: float = 5.0) -> AmiProbe:
    deadline = time.monotonic() + within_s
    while True:
        try:
            return await _login(pbx)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def test_core_stop_now_without_calls_says_shutdown_at_once_and_the_port_stays_closed(pbx):
    sender, watcher = await _login(pbx), await _login(pbx, events="system")
    started = time.monotonic()
    sender.send("Command", "stop-1", Command="core stop now")
    shutdown = await watcher.wait_for(lambda m: m.event == "Shutdown")
    assert shutdown.get("Restart") == "False" and time.monotonic() - started < 0.5
    await wait_within(watcher.closed.wait(), 1.0)
    await asyncio.sleep(0.6)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", pbx.port)
    await pbx.faults.boot()  # Asterisk started again
    again = await _login(pbx)
    assert (await again.action("Ping")).get("Ping") == "Pong"
    for probe in (sender, watcher, again):
        await probe.close()


async def test_core_stop_gracefully_refuses_every_action_lets_the_call_end_then_shuts_down(pbx):
    sender, watcher = await _login(pbx), await _login(pbx)
    await watcher.action(
        "Originate",
        Channel="Local/1001@sim-agent-phone",
        Application="Wait",
        Data="6",
        ChannelId="h2-call-a",
        Async="true",
    )
    await watcher.wait_for(lambda m: m.event == "OriginateResponse")
    sender.send("Command", "stop-2", Command="core stop gracefully")
    await asyncio.sleep(0.05)
    refused = await watcher.action("Ping")
    assert refused.get("Message") == "Asterisk is shutting down"
    newcomer = AmiProbe()
    await newcomer.connect("127.0.0.1", pbx.port)
    challenge = await newcomer.action("Challenge", AuthType="MD5")
    assert (challenge.get("Response"), challenge.get("Message")) == ("Error", "Asterisk is shutting down")
    ended = await watcher.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == "h2-call-a")
    assert ended.get("Cause") == "16"  # the call ended by itself, not cut
    shutdown = await watcher.wait_for(lambda m: m.event == "Shutdown", timeout=5.0)
    assert shutdown.get("Restart") == "False" and shutdown.at - ended.at >= 1.0
    await wait_within(newcomer.closed.wait(), 1.0)
    for probe in (sender, watcher, newcomer):
        await probe.close()


# --- Command: core show sound ---------------------------------------------------------------------------


async def test_core_show_sound_of_a_core_sound_answers_its_languages_and_format(pbx):
    probe = await _login(pbx)
    reply = await probe.action("Command", Command="core show sound please-try-call-later")
    assert reply.fields == (
        ("Response", "Success"),
        ("ActionID", reply.get("ActionID")),
        ("Message", "Command output follows"),
        ("Output", "Indexed Information for please-try-call-later:"),
        ("Output", "  Language en_US_f_Allison:"),
        ("Output", "    Format: slin"),
        ("Output", "  Language en_US:"),
        ("Output", "    Format: slin"),
        ("Output", "  Language en:"),
        ("Output", "    Format: slin"),
    )
    await probe.close()


async def test_core_show_sound_of_a_missing_sound_is_an_error_with_the_cli_failure_text(pbx):
    probe = await _login(pbx)
    reply = await probe.action("Command", Command="core show sound dialer/safe-harbor")
    assert reply.fields[0] == ("Response", "Error")
    assert reply.fields[2:] == (
        ("Message", "Command output follows"),
        ("Output", "ERROR: File dialer/safe-harbor not found in index"),
        ("Output", "Command 'core show sound dialer/safe-harbor' failed."),
    )
    usage = await probe.action("Command", Command="core show sound")
    assert usage.get("Response") == "Error" and [v for k, v in usage.fields if k == "Output"] == [
        "Usage: core show sound [soundid]",
        "       Shows information about the specified sound.",
    ]
    await probe.close()


async def test_core_show_sound_knows_the_sounds_a_deployment_added(pbx):
    await pbx.stop()
    server = SimulatedPbx(PbxConfig(seed=4, extra_sounds={"dialer/safe-harbor": 6.5}))
    await server.start(host="127.0.0.1", port=0)
    probe = await _login(server)
    reply = await probe.action("Command", Command="core show sound dialer/safe-harbor")
    assert reply.get("Response") == "Success"
    assert [v for k, v in reply.fields if k == "Output"][:2] == [
        "Indexed Information for dialer/safe-harbor:",
        "  Language en:",
    ]
    await probe.close()
    await server.stop()


# --- ConfBridge actions (i5) ----------------------------------------------------------------------------

I5 = RECORDINGS / "i5_confbridge_kick_and_list.txt"
KICK_EVENTS = {
    "ConfbridgeLeave",
    "BridgeLeave",
    "MusicOnHoldStart",
    "MusicOnHoldStop",
    "ConfbridgeEnd",
    *RESTART_EVENTS,
}


def _after(messages: list[Message], action_id: str) -> list[Message]:
    """The events that follow the reply to ``action_id`` (up to the next client action)."""
    out: list[Message] = []
    started = False
    for m in messages:
        if not started:
            started = not m.sent_by_client and not m.event and m.get("ActionID") == action_id
            continue
        if m.sent_by_client:
            break
        if m.event:
            out.append(m)
    return out


def _kick_sequences(events: list[Message]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in events:
        if m.event == "VarSet" and m.get("Variable") == "CONFBRIDGE_RESULT":
            out.setdefault(m.get("Uniqueid"), []).append(f"CONFBRIDGE_RESULT={m.get('Value')}")
        elif m.event in KICK_EVENTS:
            key = m.get("Uniqueid") or m.get("Conference")
            out.setdefault(key, []).append(f"{m.event}:{m.get('Cause')}" if m.get("Cause") else m.event)
    return out


@recorded
async def test_confbridge_list_mute_and_kick_answer_as_recorded_and_the_agent_stays_alone_with_music(pbx):
    rec = [m for m in load_transcript(I5) if m.conn == "c1"]

    def reply_of(action_id: str) -> Message:
        return next(m for m in rec if not m.sent_by_client and not m.event and m.get("ActionID") == action_id)

    probe = await _login(pbx)
    none = await probe.action("ConfbridgeListRooms")
    assert (none.get("Response"), none.get("Message")) == ("Error", "No active conferences.")
    await probe.action(
        "Originate", Channel="Local/1005@sim-agent-phone", Context="dialer-agent", Exten="agent-1005",
        Priority="1", CallerID='"Agent 1005" <1005>', ChannelId="i5-ag-a", OtherChannelId="i5-ag-b",
        Variable="DIALER_AGENT_ID=1005", Async="true",
    )  # fmt: skip
    await probe.action(
        "Originate", Channel="Local/1199@sim-customer", Context="dialer-customer", Exten="s", Priority="1",
        CallerID='"Campaign 5" <5550105>', ChannelId="i5-cu-a", OtherChannelId="i5-cu-b",
        Variable=["DIALER_LEG_ID=i5-cu-a", "DIALER_CALL_ID=501", "DIALER_HOLD_S=60"], Async="true",
    )  # fmt: skip
    await probe.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady")
    await probe.action("Setvar", Channel="i5-cu-a", Variable="DIALER_AGENT_ID", Value="1005")
    await probe.action(
        "Redirect", Channel="i5-cu-a", Context="dialer-connect", Exten="agent-1005", Priority="1"
    )
    await probe.wait_for(lambda m: m.event == "ConfbridgeJoin" and m.get("Uniqueid") == "i5-cu-a")
    customer = pbx.switch.find("i5-cu-a").name
    agent = pbx.switch.find("i5-ag-a").name

    rooms = await probe.action_list("ConfbridgeListRooms")
    recorded_rooms = [reply_of("i5-rooms-1"), *_list_events(rec, "i5-rooms-1")]
    assert [m.keys for m in rooms] == [m.keys for m in recorded_rooms]
    assert [m.get("Parties") or m.get("ListItems") for m in rooms[1:]] == ["2", "1"]
    members = await probe.action_list("ConfbridgeList", Conference="agent-1005")
    recorded_members = [reply_of("i5-list-1"), *_list_events(rec, "i5-list-1")]
    assert [m.keys for m in members] == [m.keys for m in recorded_members]
    assert [m.get("Uniqueid") for m in members[1:3]] == ["i5-ag-a", "i5-cu-a"]

    muted = await probe.action("ConfbridgeMute", Conference="agent-1005", Channel=customer)
    assert muted.get("Message") == "User muted"
    event = await probe.wait_for(lambda m: m.event == "ConfbridgeMute")
    assert event.keys == next(m for m in rec if m.event == "ConfbridgeMute").keys
    listed = await probe.action_list("ConfbridgeList", Conference="agent-1005")
    assert [m.get("Muted") for m in listed[1:3]] == ["No", "Yes"]
    assert (await probe.action("ConfbridgeUnmute", Conference="agent-1005", Channel=customer)).get(
        "Message"
    ) == "User unmuted"
    for action, fields, recorded_id in (
        (
            "ConfbridgeMute",
            {"Conference": "agent-1005", "Channel": "Local/nobody@x-00000000;1"},
            "i5-mute-bad",
        ),
        (
            "ConfbridgeKick",
            {"Conference": "agent-1005", "Channel": "Local/nobody@x-00000000;1"},
            "i5-kick-bad",
        ),
        ("ConfbridgeList", {"Conference": "agent-nope"}, "i5-list-bad"),
    ):
        got = await probe.action(action, **fields)
        assert (got.get("Response"), got.get("Message")) == (
            reply_of(recorded_id).get("Response"),
            reply_of(recorded_id).get("Message"),
        )

    start = len(probe.events)
    kicked = await probe.action("ConfbridgeKick", Conference="agent-1005", Channel=customer)
    assert kicked.get("Message") == "User kicked"
    await probe.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == "i5-cu-b", start=start)
    assert _kick_sequences(probe.events[start:]) == _kick_sequences(_after(rec, "i5-kick-cust"))
    alone = await probe.action_list("ConfbridgeList", Conference="agent-1005")
    assert alone[-1].get("ListItems") == "1" and alone[1].get("Uniqueid") == "i5-ag-a"
    assert pbx.switch.find("i5-ag-a").moh  # the agent waits with music, not hung up

    start = len(probe.events)
    await probe.action("ConfbridgeKick", Conference="agent-1005", Channel=agent)
    await probe.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == "i5-ag-b", start=start)
    assert _kick_sequences(probe.events[start:]) == _kick_sequences(_after(rec, "i5-kick-agent"))
    gone = await probe.action("ConfbridgeListRooms")
    assert (gone.get("Response"), gone.get("Message")) == ("Error", "No active conferences.")
    await probe.close()


def _list_events(messages: list[Message], action_id: str) -> list[Message]:
    return [m for m in messages if m.event and m.get("ActionID") == action_id]


async def test_a_global_setvar_gives_a_varset_that_names_no_channel(pbx):
    probe = await _login(pbx)
    await probe.action("Setvar", Variable="GLOBAL(DIALER_NOTE)", Value='say "hi"')
    event = await probe.wait_for(lambda m: m.event == "VarSet" and m.get("Variable") == "DIALER_NOTE")
    assert event.fields == (
        ("Event", "VarSet"),
        ("Privilege", "dialplan,all"),
        ("Channel", "none"),
        ("Uniqueid", "none"),
        ("Variable", "DIALER_NOTE"),
        ("Value", 'say \\"hi\\"'),
    )
    assert (await probe.action("Getvar", Variable="GLOBAL(DIALER_NOTE)")).get("Value") == 'say "hi"'
    await probe.close()
