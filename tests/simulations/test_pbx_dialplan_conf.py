"""The simulated PBX runs the dialplan file itself (asterisk/extensions_dialer.conf, or
PbxConfig.dialplan_path), so what the file says is what the simulator does: a change or a defect in the
file shows up in tests.

Expansion rules (``${VAR}``, ``${VAR:off}``, ``${IF(...)}``, ``$[...]``) are checked on their own first,
then whole calls on the simulated PBX over AMI.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.conf_parser import SHIPPED_DIALPLAN
from simulations.pbx.expressions import evaluate, split_args, substitute
from simulations.pbx.probe import AmiProbe

SPEED = 20.0


class Vars:
    """A scope of plain variables for the expansion tests."""

    def __init__(self, **values: str) -> None:
        self.values = values

    def variable(self, name: str) -> str:
        return self.values.get(name, "")

    def function(self, name: str, args: str) -> str:
        from simulations.pbx.expressions import function_value

        return function_value(name, args, self)


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ('${IF($["${DIALER_HOLD_S}" = ""]?1.8:${DIALER_HOLD_S})}', {}, "1.8"),
        ('${IF($["${DIALER_HOLD_S}" = ""]?1.8:${DIALER_HOLD_S})}', {"DIALER_HOLD_S": "0.5"}, "0.5"),
        ("${EXTEN:1}", {"EXTEN": "+15551230000"}, "15551230000"),
        ("${EXTEN:-4:2}", {"EXTEN": "5551234"}, "12"),
        ("$[${DIALER_LOOPS} + 1]", {"DIALER_LOOPS": "41"}, "42"),
        ("$[${DIALER_LOOPS} < 500]", {"DIALER_LOOPS": "500"}, "0"),
        ('$["${R}" = "KICKED" | "${R}" = "FAILED" | "${R}" = "HANGUP"]', {"R": "FAILED"}, "1"),
        ('$["${R}" = "KICKED" | "${R}" = "FAILED" | "${R}" = "HANGUP"]', {"R": ""}, "0"),
        ('$["${A}" != "1"]', {"A": "1"}, "0"),
        ("$[1.5 + 1]", {}, "2.5"),
        ("$[2 > 10]", {}, "0"),  # numbers compare as numbers
        ('$["b" > "a" & 1]', {}, "1"),
        ("leg ${X} done", {"X": "dl-1"}, "leg dl-1 done"),
    ],
)
def test_variables_functions_and_expressions_expand_as_asterisk_does(text, values, expected):
    assert substitute(text, Vars(**values)) == expected


def test_application_arguments_split_on_commas_outside_quotes_and_parentheses():
    assert split_args('a,"b,c",d(e,f),g\\,h') == ["a", "b,c", "d(e,f)", "g,h"]
    assert evaluate("") == ""


async def _start(**overrides) -> tuple[SimulatedPbx, AmiProbe]:
    pbx = SimulatedPbx(PbxConfig(**{"seed": 5, "speed": SPEED, **overrides}))
    await pbx.start(host="127.0.0.1", port=0)
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    await probe.login("dialer", "dialer-secret")
    return pbx, probe


async def _stop(pbx: SimulatedPbx, probe: AmiProbe) -> None:
    await probe.close()
    await pbx.stop()


async def _customer(probe: AmiProbe, uid: str, *variables: str, number: str = "1190") -> None:
    await probe.action(
        "Originate",
        Channel=f"Local/{number}@sim-customer",
        Context="dialer-customer",
        Exten="s",
        Priority="1",
        ChannelId=uid,
        Variable=[f"DIALER_LEG_ID={uid}", f"DIALER_CALL_ID=c-{uid}", *variables],
        Async="true",
    )


def _of(probe: AmiProbe, uid: str, user_event: str):
    return lambda m: m.get("Uniqueid") == uid and m.get("UserEvent") == user_event


def _dialplan(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED_DIALPLAN.read_text()
    assert old in text
    path = tmp_path / "extensions_dialer.conf"
    path.write_text(text.replace(old, new))
    return path


async def test_a_change_in_the_dialplan_file_is_what_the_simulated_pbx_does(tmp_path):
    path = _dialplan(tmp_path, "UserEvent(DialerCustomerReady,", "UserEvent(SomethingElse,")
    pbx, probe = await _start(dialplan_path=path)
    await _customer(probe, "cf-1")
    event = await probe.wait_for(lambda m: m.get("Uniqueid") == "cf-1" and m.event == "UserEvent")
    assert event.get("UserEvent") == "SomethingElse" and event.get("LegId") == "cf-1"
    assert not any(m.get("UserEvent") == "DialerCustomerReady" for m in probe.events)
    await _stop(pbx, probe)


async def test_an_unknown_application_hangs_the_channel_up_and_is_recorded(tmp_path, caplog):
    path = _dialplan(tmp_path, " same => n(hold),Wait(${DIALER_HOLD_S})", " same => n(hold),NoSuchApp(1)")
    pbx, probe = await _start(dialplan_path=path)
    with caplog.at_level(logging.ERROR, logger="simulations.pbx.interpreter"):
        await _customer(probe, "ua-1")
        hangup = await probe.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == "ua-1")
    assert hangup.get("Cause") == "16"
    (fault,) = pbx.dialplan_faults
    assert (fault.uniqueid, fault.context, fault.priority) == ("ua-1", "dialer-customer", 7)
    assert "NoSuchApp" in fault.reason and "NoSuchApp" in caplog.text
    await _stop(pbx, probe)


async def test_the_customer_waits_dialer_hold_s_simulated_seconds_then_the_dialplan_plays_safe_harbor():
    pbx, probe = await _start()
    await _customer(probe, "wh-1", "DIALER_HOLD_S=0.6")
    ready = await probe.wait_for(_of(probe, "wh-1", "DialerCustomerReady"))
    harbor = await probe.wait_for(_of(probe, "wh-1", "DialerSafeHarbor"))
    assert 0.6 <= (harbor.at - ready.at) * SPEED < 1.2  # Wait(0.6): fractions are kept
    assert harbor.get("Context") == "dialer-safe-harbor"
    await _stop(pbx, probe)


@pytest.mark.parametrize(("hold_limit_s", "expected_s"), [(None, 1.8), (3.0, 3.0)])
async def test_without_dialer_hold_s_the_dialplan_default_applies_unless_a_global_is_set(
    hold_limit_s, expected_s
):
    pbx, probe = await _start(hold_limit_s=hold_limit_s)
    await _customer(probe, "dh-1")
    ready = await probe.wait_for(_of(probe, "dh-1", "DialerCustomerReady"))
    harbor = await probe.wait_for(_of(probe, "dh-1", "DialerSafeHarbor"))
    assert expected_s <= (harbor.at - ready.at) * SPEED < expected_s + 0.6
    hold = next(
        m for m in probe.events if m.get("Uniqueid") == "dh-1" and m.get("Variable") == "DIALER_HOLD_S"
    )
    assert hold.get("Value") == f"{expected_s:g}"  # Set(DIALER_HOLD_S=...) as Asterisk reports it
    await _stop(pbx, probe)


async def test_an_inbound_call_to_a_plus_number_is_sent_to_its_digits_by_the_dialplan():
    pbx, probe = await _start()
    name = pbx.inject_inbound(caller="+15550001111", did="+15551230000")
    event = await probe.wait_for(lambda m: m.get("UserEvent") == "DialerInboundArrived")
    assert (event.get("Channel"), event.get("CallerId"), event.get("Did")) == (
        name,
        "+15550001111",
        "15551230000",
    )
    assert event.get("Exten") == "15551230000"  # _+X. -> Goto(${EXTEN:1},1) -> _X.
    await _stop(pbx, probe)


async def test_an_agent_loop_runs_through_the_dialplan_after_each_bridge_and_counts_its_turns():
    pbx, probe = await _start()
    await probe.action(
        "Originate",
        Channel="PJSIP/agent5",
        Context="dialer-agent",
        Exten="agent-5",
        Priority="1",
        ChannelId="ag-5",
        Variable="DIALER_AGENT_ID=5",
        Async="true",
    )
    await probe.wait_for(lambda m: m.event == "ConfbridgeJoin" and m.get("Uniqueid") == "ag-5")
    for turn in range(1, 3):
        uid = f"lp-{turn}"
        await _customer(probe, uid, "DIALER_HOLD_S=30", "DIALER_AGENT_ID=5", number="1102")
        await probe.wait_for(_of(probe, uid, "DialerCustomerReady"))
        await probe.action("Bridge", Channel1=uid, Channel2="ag-5", Tone="no")
        await probe.wait_for(lambda m, uid=uid: m.event == "Hangup" and m.get("Uniqueid") == uid)
        loops = await probe.wait_for(
            lambda m, turn=turn: (
                m.get("Uniqueid") == "ag-5"
                and m.get("Variable") == "DIALER_LOOPS"
                and m.get("Value") == str(turn)
            )
        )
        assert loops.get("Context") == "dialer-agent"
    await probe.wait_for(
        lambda m: m.event == "ConfbridgeJoin" and m.get("Uniqueid") == "ag-5", start=len(probe.events) - 5
    )
    assert pbx.dialplan_faults == []
    await _stop(pbx, probe)


async def test_wait_really_waits_its_simulated_seconds():
    pbx, probe = await _start(speed=10.0)
    started = time.monotonic()
    await probe.action(
        "Originate",
        Channel="Local/1190@sim-customer",
        Context="dialer-customer",
        Exten="s",
        Priority="1",
        ChannelId="wt-1",
        Variable=["DIALER_LEG_ID=wt-1", "DIALER_HOLD_S=1.8"],
        Async="true",
    )
    await probe.wait_for(_of(probe, "wt-1", "DialerCustomerReady"))
    ready_at = time.monotonic()
    await probe.wait_for(_of(probe, "wt-1", "DialerSafeHarbor"))
    assert 1.8 <= (time.monotonic() - ready_at) * 10.0 < 2.4
    assert (ready_at - started) * 10.0 >= 1.0  # the customer rang 1 s before answering
    await _stop(pbx, probe)
