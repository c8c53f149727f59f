"""The simulated PBX's AMI user comes from asterisk/manager_dialer.conf and is enforced as Asterisk 22 does:
an action outside the user's ``write`` classes gets ``Permission denied``, an event outside its ``read``
classes or dropped by its ``eventfilter`` lines never reaches the connection.

Found on a real Asterisk 22.10.1: the shipped user lacked the ``command`` write class, so the ``Command``
action the engine sends (``core show sound NAME``) was refused, while the simulator answered it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dialer.aio import wait_within
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.clock import RealClock
from dialer.pbx_port import PbxError
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.actions import HANDLERS
from simulations.pbx.channels import DIALPLAN
from simulations.pbx.manager_conf import (
    ACTION_CLASSES,
    ALL_CLASSES,
    SHIPPED_MANAGER_CONF,
    ManagerConfError,
    classes_of,
    parse_manager_conf,
)
from simulations.pbx.probe import AmiProbe
from simulations.pbx.transcripts import load_transcript

RECORDINGS = Path("/work/shared/asterisk-ami")
LAB_USERS = RECORDINGS / "config" / "manager.conf"  # dialer (all), readonly (write=reporting), filtered
SHIPPED = SHIPPED_MANAGER_CONF.read_text()
WRITE_LINE = "write = system,call,originate,reporting,command\n"


def _shipped_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped manager_dialer.conf with one line changed."""
    assert old in SHIPPED
    path = tmp_path / "manager_dialer.conf"
    path.write_text(SHIPPED.replace(old, new))
    return path


async def _logged_in(
    manager_conf: Path | None = SHIPPED_MANAGER_CONF, user: str = "dialer", secret: str = "dialer-secret",
    **config: object,
) -> tuple[SimulatedPbx, AmiProbe]:
    pbx = SimulatedPbx(PbxConfig(**{"seed": 7, "speed": 20.0, "manager_conf_path": manager_conf, **config}))
    await pbx.start(host="127.0.0.1", port=0)
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    reply = await probe.login(user, secret, md5=True)
    assert reply.get("Message") == "Authentication accepted"
    return pbx, probe


async def _stop(pbx: SimulatedPbx, probe: AmiProbe) -> None:
    await probe.close()
    await pbx.stop()


def test_the_pbx_user_secret_and_classes_come_from_the_shipped_file_by_default():
    config = PbxConfig()
    user = config.manager_users["dialer"]
    assert (config.username, config.secret) == ("dialer", "dialer-secret")
    assert user.read == {"system", "call", "dialplan", "user", "agent"}
    assert user.write == {"system", "call", "originate", "reporting", "command"}
    assert {(f.exclude, f.name) for f in user.filters} == {
        (True, "Newexten"),
        (True, "CEL"),
        (True, "Cdr"),
        (True, "DeviceStateChange"),
    }


def test_a_secret_set_in_the_config_replaces_the_files_and_an_unknown_user_is_refused():
    assert PbxConfig(username="dialer", secret="other").manager_users["dialer"].secret == "other"
    with pytest.raises(ValueError, match="not in"):
        PbxConfig(username="nobody")
    everything = PbxConfig(manager_conf_path=None).manager_users["dialer"]
    assert everything.read == everything.write == ALL_CLASSES and everything.filters == ()


def test_class_lists_are_read_as_asterisk_reads_them():
    assert classes_of("system,call") == {"system", "call"}
    assert classes_of("all") == ALL_CLASSES
    # manager.c get_perm compares each comma-separated token as it is: a space after a comma loses the class
    assert classes_of("system, call") == {"system"}
    assert classes_of("System,Call") == frozenset()


def test_a_filter_line_asterisk_would_not_take_is_refused():
    with pytest.raises(ManagerConfError, match="'action' option 'drop' is unknown"):
        parse_manager_conf("[u]\nsecret = s\neventfilter(action(drop),name(Cdr)) =\n")
    with pytest.raises(ManagerConfError, match="method can't be 'none' with a filter pattern"):
        parse_manager_conf("[u]\nsecret = s\neventfilter(name(Cdr)) = x\n")


async def test_a_user_whose_permit_lines_exclude_the_address_cannot_log_in(tmp_path):
    conf = _shipped_with(tmp_path, "permit = 127.0.0.1/255.255.255.255\n", "permit = 10.0.0.7/255.255.255.255\n")
    pbx = SimulatedPbx(PbxConfig(seed=7, manager_conf_path=conf, auth_fail_delay_real_s=0.05))
    await pbx.start(host="127.0.0.1", port=0)
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    reply = await probe.login("dialer", "dialer-secret")  # the right secret, from a refused address
    assert (reply.get("Response"), reply.get("Message")) == ("Error", "Authentication failed")
    await wait_within(probe.closed.wait(), 2.0)
    await probe.close()
    await pbx.stop()


def test_every_action_the_simulator_answers_has_the_class_asterisk_registers_it_with():
    assert set(HANDLERS) <= set(ACTION_CLASSES)


async def test_with_the_shipped_file_the_command_action_works():
    pbx, probe = await _logged_in()
    reply = await probe.action("Command", Command="core show sound beep")
    assert (reply.get("Response"), reply.get("Message")) == ("Success", "Command output follows")
    await _stop(pbx, probe)


async def test_without_the_command_write_class_the_command_action_is_permission_denied(tmp_path):
    conf = _shipped_with(tmp_path, WRITE_LINE, "write = system,call,originate,reporting\n")
    pbx, probe = await _logged_in(conf)
    reply = await probe.action("Command", Command="core show sound beep")
    assert reply.keys == ("Response", "ActionID", "Message")
    assert (reply.get("Response"), reply.get("Message")) == ("Error", "Permission denied")
    pong = await probe.action("Ping")  # the session goes on
    assert pong.get("Ping") == "Pong"
    await _stop(pbx, probe)


async def test_the_engines_sound_check_says_the_user_lacks_command_instead_of_calling_the_sound_missing(tmp_path):
    conf = _shipped_with(tmp_path, WRITE_LINE, "write = system,call,originate,reporting\n")
    pbx = SimulatedPbx(PbxConfig(seed=7, manager_conf_path=conf))
    await pbx.start(host="127.0.0.1", port=0)
    server = AmiServerConfig(name="pbx1", host="127.0.0.1", port=pbx.port, username="dialer",
                             secret="dialer-secret", max_channels=10, action_timeout_s=2.0)
    adapter = AmiAdapter([server], clock=RealClock())
    await adapter.start()
    try:
        with pytest.raises(PbxError, match="Permission denied.*write = command"):
            await adapter.sound_exists("please-try-call-later")
        with pytest.raises(PbxError, match="music-on-hold class 'jazz' on pbx1: Permission denied.*write = command"):
            await adapter.moh_class_exists("jazz")     # the queue's class check says so too
    finally:
        await adapter.close()
        await pbx.stop()


async def test_a_write_reporting_user_gets_the_recorded_replies(tmp_path):
    """h1's user 'readonly' (write = reporting): Originate and Command refused, Ping and CoreStatus answered."""
    transcript = load_transcript(RECORDINGS / "h1_errors_bad_actions_auth.txt")
    recorded = [m for m in transcript if m.conn == "c5" and not m.sent_by_client and m.get("Response")]
    by_id = {m.get("ActionID").split("-")[1]: m for m in recorded}
    pbx, probe = await _logged_in(LAB_USERS, "readonly", "readonly-secret")
    originate = await probe.action("Originate", Channel="Local/1205@sim-customer", Application="Wait", Data="1")
    command = await probe.action("Command", Command="core show channels")
    ping = await probe.action("Ping")
    status = await probe.action("CoreStatus")
    for live, name in ((originate, "originate"), (command, "command"), (ping, "ping"), (status, "corestatus")):
        assert (live.get("Response"), live.get("Message")) == (
            by_id[name].get("Response"),
            by_id[name].get("Message"),
        )
        assert live.keys == by_id[name].keys
    assert pbx.originate_log == []
    await _stop(pbx, probe)


async def test_events_excluded_by_the_shipped_eventfilter_lines_never_reach_the_client(tmp_path):
    # read = all, so that only the filters can drop Cdr (a cdr-class event) and Newexten (dialplan)
    conf = _shipped_with(tmp_path, "read = system,call,dialplan,user,agent\n", "read = all\n")
    pbx, probe = await _logged_in(conf)
    pbx.emit(
        f"Event: Newexten\r\n{DIALPLAN}Channel: Local/1-1;1\r\nExtension: s\r\nApplication: Wait\r\n\r\n",
        "dialplan",
    )
    pbx.emit("Event: Cdr\r\nPrivilege: cdr,all\r\nSource: 1\r\nDisposition: ANSWERED\r\n\r\n", "cdr")
    pbx.emit(f"Event: VarSet\r\n{DIALPLAN}Channel: none\r\nVariable: MARK\r\nValue: 1\r\n\r\n", "dialplan")
    await probe.wait_for(lambda m: m.event == "VarSet" and m.get("Variable") == "MARK")
    assert [m.event for m in probe.events if m.event not in ("FullyBooted", "SuccessfulAuth")] == ["VarSet"]
    await _stop(pbx, probe)


async def _calls_hangups(manager_conf: Path) -> list[str]:
    """Event names an answered customer's call sends to the user of ``manager_conf`` (safe harbor, hang-up)."""
    pbx, probe = await _logged_in(manager_conf, hold_limit_s=1.0)
    await probe.action(
        "Originate",
        Channel="Local/1190@sim-customer",
        Context="dialer-customer",
        Exten="s",
        Priority="1",
        ChannelId="mc-1",
        Variable="DIALER_LEG_ID=mc-1,DIALER_CALL_ID=c-mc-1",
        Async="true",
    )
    await probe.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady", timeout=10)
    for _ in range(200):
        if pbx.call_records and not pbx.channels():
            break
        await asyncio.sleep(0.02)
    assert [r.uniqueid for r in pbx.call_records] == ["mc-1"]
    await probe.action("Ping")  # every event of the call has been written before the Pong
    names = [m.event for m in probe.events]
    await _stop(pbx, probe)
    return names


async def test_every_event_goes_out_under_the_class_its_privilege_header_names():
    """Read classes are enforced on the class the PBX emits an event with: it must be the one Asterisk
    prints (``Privilege: call,all``), or a user without ``call`` would still get it."""
    pbx, probe = await _logged_in(hold_limit_s=30.0)
    seen: list[tuple[str, str]] = []
    sink = pbx.switch.sink

    def watch(text: str, cls: str) -> None:
        seen.append((cls, text))
        sink(text, cls)

    pbx.switch.sink = watch
    agent = {"Context": "dialer-agent", "Exten": "a1", "Priority": "1", "Async": "true"}
    await probe.action("Originate", Channel="Local/a1@sim-agent-phone", ChannelId="ag-1", **agent,
                       Variable="DIALER_AGENT_ID=a1")
    await probe.wait_for(lambda m: m.event == "ConfbridgeJoin" and m.get("Uniqueid") == "ag-1")
    await probe.action("Originate", Channel="Local/1103@sim-customer", Context="dialer-customer", Exten="s",
                       Priority="1", ChannelId="cu-1", Async="true",
                       Variable="DIALER_LEG_ID=cu-1,DIALER_CALL_ID=c-1,DIALER_AMD=1")
    ready = await probe.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady", timeout=10)
    await probe.action("Redirect", Channel=ready.get("Channel"), Context="dialer-connect", Exten="a1",
                       Priority="1")
    await probe.wait_for(lambda m: m.event == "ConfbridgeJoin" and m.get("Uniqueid") == "cu-1", timeout=10)
    await probe.action("Hangup", Channel="/^Local/")
    await probe.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == "ag-1", timeout=10)
    names = {text.split("\r\n", 1)[0][7:] for _, text in seen}
    assert {"Newchannel", "VarSet", "UserEvent", "ConfbridgeJoin", "BridgeEnter", "Hangup"} <= names
    for cls, text in seen:
        privilege = next(line for line in text.split("\r\n") if line.startswith("Privilege: "))
        assert privilege.removeprefix("Privilege: ").split(",")[0] == cls, text.split("\r\n", 1)[0]
    await _stop(pbx, probe)


async def test_a_user_without_the_call_read_class_gets_no_hangup_events(tmp_path):
    with_call = await _calls_hangups(SHIPPED_MANAGER_CONF)
    assert with_call.count("Hangup") == 2 and "OriginateResponse" in with_call
    read_line = "read = system,call,dialplan,user,agent\n"
    conf = _shipped_with(tmp_path, read_line, "read = system,dialplan,user,agent\n")
    without_call = await _calls_hangups(conf)
    assert "UserEvent" in without_call and "VarSet" in without_call  # user and dialplan classes still come
    assert not {"Hangup", "Newchannel", "OriginateResponse"} & set(without_call)


async def test_the_recorded_filtered_user_receives_only_its_included_events():
    """a2: eventfilter(action(include),name(X)) for OriginateResponse, Hangup, BridgeEnter, UserEvent; the
    FullyBooted the login writes itself passes."""
    recorded = {m.event for m in load_transcript(RECORDINGS / "a2_eventfilter_user.txt") if m.event}
    pbx, probe = await _logged_in(LAB_USERS, "filtered", "filtered-secret", hold_limit_s=1.0)
    await probe.action(
        "Originate",
        Channel="Local/1190@sim-customer",
        Context="dialer-customer",
        Exten="s",
        Priority="1",
        ChannelId="fl-1",
        Variable="DIALER_LEG_ID=fl-1,DIALER_CALL_ID=c-fl-1",
        Async="true",
    )
    await probe.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == "fl-1", timeout=10)
    await probe.action("Ping")
    live = {m.event for m in probe.events}
    assert {"FullyBooted", "OriginateResponse", "Hangup", "UserEvent"} <= live
    assert live <= {"FullyBooted", "OriginateResponse", "Hangup", "BridgeEnter", "UserEvent"}
    assert live <= recorded | {"BridgeEnter"}
    await _stop(pbx, probe)
