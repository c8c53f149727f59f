"""The shipped Asterisk configuration parses, uses only Asterisk 20/22 applications and functions, and
names the contexts, variables and profiles the engine and the simulated PBX rely on.

The parser is the simulated PBX's own (``simulations.pbx.conf_parser``: contexts, ``exten =>``/``same =>``
with priorities and labels, ``include =>``); it is checked first on the real configuration recorded from
Asterisk 22. The rules the shipped file keeps against the defects of issue 12 are checked here too: every
context with a pattern has an explicit ``failed`` extension, and every loop is bounded by a counter.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from dialer import pbx_port
from simulations.pbx.conf_parser import (
    Conf,
    DialplanError,
    Step,
    applications_used,
    functions_used,
    parse_extensions,
    pattern_matches,
)

ASTERISK_DIR = Path(__file__).resolve().parents[2] / "asterisk"
RECORDED_CONFIG = Path("/work/shared/asterisk-ami/config")

# Dialplan applications of Asterisk 20 and 22 (core, app_*, res_* modules shipped by default).
# Removed in 21 and so absent on purpose: Macro, MacroIf, SIPAddHeader, SIPDtmfMode, Monitor.
APPLICATIONS = {
    "AGI",
    "AMD",
    "Answer",
    "AttendedTransfer",
    "Authenticate",
    "Background",
    "BackgroundDetect",
    "BlindTransfer",
    "Bridge",
    "BridgeWait",
    "Busy",
    "CallCompletionCancel",
    "CallCompletionRequest",
    "ChanIsAvail",
    "ChanSpy",
    "ConfBridge",
    "Congestion",
    "ContinueWhile",
    "ControlPlayback",
    "DumpChan",
    "Dial",
    "Directory",
    "DISA",
    "EndWhile",
    "Echo",
    "ExecIf",
    "ExecIfTime",
    "Exec",
    "ExitWhile",
    "ExtenSpy",
    "FollowMe",
    "Gosub",
    "GosubIf",
    "Goto",
    "GotoIf",
    "GotoIfTime",
    "Hangup",
    "ImportVar",
    "Incomplete",
    "Log",
    "MixMonitor",
    "MSet",
    "MusicOnHold",
    "NoCDR",
    "NoOp",
    "Originate",
    "Page",
    "Park",
    "ParkedCall",
    "Playback",
    "PlayTones",
    "Progress",
    "Queue",
    "QueueLog",
    "Read",
    "ReadExten",
    "Record",
    "RemoveQueueMember",
    "AddQueueMember",
    "ResetCDR",
    "Return",
    "Ringing",
    "SayAlpha",
    "SayDigits",
    "SayNumber",
    "SayUnixTime",
    "SendDTMF",
    "SendText",
    "Set",
    "SetAMAFlags",
    "SoftHangup",
    "StartMusicOnHold",
    "Stasis",
    "StopMixMonitor",
    "StopMusicOnHold",
    "StopPlayTones",
    "System",
    "TryExec",
    "TrySystem",
    "UserEvent",
    "Verbose",
    "VoiceMail",
    "VoiceMailMain",
    "Wait",
    "WaitDigit",
    "WaitExten",
    "WaitForNoise",
    "WaitForSilence",
    "WaitUntil",
    "While",
    "Zapateller",
}
# Dialplan functions of Asterisk 20 and 22 that a dialer's dialplan may reasonably use.
FUNCTIONS = {
    "AMI_CLIENT",
    "ARRAY",
    "BASE64_DECODE",
    "BASE64_ENCODE",
    "CALLERID",
    "CDR",
    "CHANNEL",
    "CHANNELS",
    "CONFBRIDGE",
    "CONFBRIDGE_INFO",
    "CONNECTEDLINE",
    "CUT",
    "DB",
    "DEC",
    "DEVICE_STATE",
    "DIALPLAN_EXISTS",
    "EVAL",
    "EXISTS",
    "EXTENSION_STATE",
    "FIELDQTY",
    "FILTER",
    "GLOBAL",
    "GROUP",
    "HANGUPCAUSE",
    "IF",
    "IFTIME",
    "INC",
    "ISNULL",
    "LEN",
    "LOCAL",
    "MATH",
    "PJSIP_HEADER",
    "QUEUE_MEMBER",
    "QUOTE",
    "RAND",
    "REGEX",
    "SET",
    "SHARED",
    "SHELL",
    "SPRINTF",
    "STRFTIME",
    "STRPTIME",
    "TIMEOUT",
    "TOLOWER",
    "TOUPPER",
    "VOLUME",
}


def _exists(steps: list[Step], context: str, exten: str) -> bool:
    return any(s.context == context and s.priority == 1 and pattern_matches(s.exten, exten) for s in steps)


@pytest.fixture(scope="module")
def shipped() -> list[Step]:
    return parse_extensions((ASTERISK_DIR / "extensions_dialer.conf").read_text())[0]


@pytest.mark.skipif(not RECORDED_CONFIG.is_dir(), reason="recorded configuration not available")
def test_the_parser_accepts_the_configuration_recorded_from_asterisk_22():
    steps, includes = parse_extensions((RECORDED_CONFIG / "extensions.conf").read_text())
    assert applications_used(steps) <= APPLICATIONS
    assert functions_used(steps) <= FUNCTIONS
    assert includes["dialer-answered-failhook"] == ["dialer-answered"]
    assert _exists(steps, "sim-customer", "1205") and not _exists(steps, "sim-customer", "99")


@pytest.mark.parametrize(
    "bad",
    [
        "[ctx]\nexten => s,1,NoOp(unclosed\n",
        "[ctx]\nsame => n,NoOp(x)\n",
        "exten => s,1,NoOp(x)\n",
        "[ctx]\nexten => s,n,NoOp(x)\n",
        "[ctx]\nexten => s,1(a),NoOp()\n same => n(a),NoOp()\n",
        "[ctx]\nexten => s,1,Set(X=${IF($[1 = 1]?a:b)\n",
        "[ctx]\nexten s,1,NoOp()\n",
    ],
)
def test_the_parser_rejects_broken_dialplan(bad):
    with pytest.raises(DialplanError):
        parse_extensions(bad)


def test_the_shipped_dialplan_uses_only_asterisk_20_and_22_applications_and_functions(shipped):
    assert applications_used(shipped) <= APPLICATIONS
    assert functions_used(shipped) <= FUNCTIONS
    assert {"AMD", "ConfBridge", "MusicOnHold", "UserEvent", "Playback", "MixMonitor"} <= applications_used(
        shipped
    )


def test_every_context_of_the_engine_contract_is_in_the_shipped_dialplan(shipped):
    contexts = {s.context for s in shipped}
    for name in (
        pbx_port.CTX_CUSTOMER,
        pbx_port.CTX_CONNECT,
        pbx_port.CTX_SAFE_HARBOR,
        pbx_port.CTX_MACHINE,
        pbx_port.CTX_AGENT,
        pbx_port.CTX_INBOUND,
        pbx_port.CTX_HOLD,
    ):
        assert name in contexts
    text = (ASTERISK_DIR / "extensions_dialer.conf").read_text()
    for var in (
        pbx_port.VAR_LEG_ID,
        pbx_port.VAR_CALL_ID,
        pbx_port.VAR_AMD,
        pbx_port.VAR_AGENT_ID,
        pbx_port.VAR_SAFE_HARBOR,
        pbx_port.VAR_MACHINE_MSG,
    ):
        assert "${" + var + "}" in text


def test_gotos_land_on_existing_labels_and_extensions(shipped):
    labels = {(s.context, s.exten, s.label) for s in shipped if s.label}
    for step in shipped:
        if step.app not in ("Goto", "GotoIf"):
            continue
        targets = step.args.split("?", 1)[1].split(":") if step.app == "GotoIf" else [step.args]
        for target in targets:
            parts = [p.strip() for p in target.split(",")]
            if len(parts) == 1:
                assert (
                    step.context,
                    step.exten,
                    parts[0],
                ) in labels, f"line {step.line}: no label {parts[0]}"
            elif len(parts) == 3 and "$" not in parts[1]:
                assert _exists(shipped, parts[0], parts[1]), f"line {step.line}: no {parts[0]},{parts[1]}"


def test_the_simulated_pbx_accepts_exactly_the_landings_the_dialplan_has(shipped):
    conf = Conf.load(ASTERISK_DIR / "extensions_dialer.conf")
    cases = [
        (pbx_port.CTX_CUSTOMER, "s"),
        (pbx_port.CTX_CUSTOMER, "dl-4f2a"),
        (pbx_port.CTX_CONNECT, "agent-7"),
        (pbx_port.CTX_AGENT, "agent-12"),
        (pbx_port.CTX_SAFE_HARBOR, "s"),
        (pbx_port.CTX_MACHINE, "s"),
        (pbx_port.CTX_INBOUND, "5000"),
        (pbx_port.CTX_INBOUND, "+15551230000"),
        (pbx_port.CTX_SAFE_HARBOR, "x"),
        (pbx_port.CTX_CONNECT, "s"),
        ("nosuchcontext", "s"),
        (pbx_port.CTX_MACHINE, "agent-1"),
        (pbx_port.CTX_HOLD, "agent-7"),
        (pbx_port.CTX_HOLD, "s"),
    ]
    for context, exten in cases:
        assert conf.exists(context, exten) == _exists(shipped, context, exten), (context, exten)


def test_an_exact_extension_beats_a_pattern_and_the_narrower_pattern_wins():
    conf = Conf.parse(
        "[ctx]\nexten => _[a-z0-9].,1,NoOp(pattern)\nexten => failed,1,Hangup()\n"
        "exten => _X.,1,NoOp(digits)\nexten => _5XXX,1,NoOp(four)\nexten => _+X.,1,NoOp(plus)\n"
    )
    assert conf.match("ctx", "failed").name == "failed"  # as Asterisk: not the pattern written first
    assert conf.match("ctx", "agent-7").name == "_[a-z0-9]."
    assert conf.match("ctx", "5000").name == "_5XXX"
    assert conf.match("ctx", "50001").name == "_X."
    assert conf.match("ctx", "+3361").name == "_+X."
    assert conf.match("ctx", "A") is None


# --- the rules of issue 12 -------------------------------------------------------------------------
# What the dialer shipped before (git 7356366^): the agent's pattern caught `failed`, and the loop had
# no bound; a failed agent Originate spun ~330 conferences a second on an OutgoingSpoolFailed channel.
OLD_AGENT_CONTEXT = """
[dialer-agent]
exten => _[a-z0-9].,1,NoOp(agent ${DIALER_AGENT_ID} waits in conference ${EXTEN})
 same => n,Answer()
 same => n(loop),ConfBridge(${EXTEN},dialer_bridge,dialer_agent)
 same => n,GotoIf($["${CONFBRIDGE_RESULT}" = "KICKED"]?end)
 same => n,Goto(loop)
 same => n(end),Hangup(16)
"""


def contexts_without_failed(steps: list[Step]) -> list[str]:
    """Contexts with a pattern that matches `failed` but no explicit `failed` extension."""
    with_pattern = {
        s.context for s in steps if s.exten.startswith("_") and pattern_matches(s.exten, "failed")
    }
    with_failed = {s.context for s in steps if s.exten == "failed"}
    return sorted(with_pattern - with_failed)


def unguarded_loops(steps: list[Step]) -> list[str]:
    """Backward jumps (Goto/GotoIf to a priority at or before their own, in the same extension) that no
    counter bounds: a bounded one is a GotoIf on ``$[${N} < limit]`` with ``Set(N=$[${N} + 1])`` in the
    loop."""
    by_ext: dict[tuple[str, str], list[Step]] = {}
    for s in steps:
        by_ext.setdefault((s.context, s.exten), []).append(s)
    found = []
    for (context, exten), ext_steps in by_ext.items():
        labels = {s.label: s.priority for s in ext_steps if s.label}
        for step in ext_steps:
            if step.app not in ("Goto", "GotoIf"):
                continue
            cond, _, branches = step.args.partition("?") if step.app == "GotoIf" else ("", "", step.args)
            for target in branches.split(":"):
                parts = [p.strip() for p in target.split(",")]
                if len(parts) == 3 and parts[0] != context or len(parts) >= 2 and parts[-2] != exten:
                    continue  # another extension
                where = parts[-1]
                back_to = int(where) if where.isdigit() else labels.get(where)
                if back_to is None or back_to > step.priority:
                    continue
                counters = re.findall(r"\$\{(\w+)\}\s*<\s*\d+", cond)
                bumped = {
                    name
                    for s in ext_steps
                    if back_to <= s.priority <= step.priority and s.app == "Set"
                    for name in counters
                    if re.fullmatch(rf"{name}=\$\[\$\{{{name}\}}\+1\]", s.args.replace(" ", ""))
                }
                if not bumped:
                    found.append(f"line {step.line}: {step.app}({step.args}) in {context},{exten}")
    return found


def test_every_context_with_a_pattern_has_an_explicit_failed_extension(shipped):
    assert contexts_without_failed(shipped) == []
    originated_into = {pbx_port.CTX_CUSTOMER, pbx_port.CTX_AGENT}
    assert originated_into <= {s.context for s in shipped if s.exten == "failed"}
    assert contexts_without_failed(parse_extensions(OLD_AGENT_CONTEXT)[0]) == ["dialer-agent"]


def test_every_backward_goto_is_guarded_by_a_counter(shipped):
    assert unguarded_loops(shipped) == []
    old = unguarded_loops(parse_extensions(OLD_AGENT_CONTEXT)[0])
    assert len(old) == 1 and "Goto(loop)" in old[0]


def test_the_customer_ready_user_event_carries_what_the_adapter_reads(shipped):
    events = [s.args for s in shipped if s.app == "UserEvent"]
    ready = next(a for a in events if a.startswith("DialerCustomerReady,"))
    assert "LegId: ${DIALER_LEG_ID}" in ready and "AMDStatus: ${AMDSTATUS}" in ready
    inbound = [a for a in events if a.startswith("DialerInboundArrived,")]
    assert inbound and all("LegId: ${UNIQUEID}" in a and "CallerId: ${CALLERID(num)}" in a for a in inbound)


def test_confbridge_profiles_used_by_the_dialplan_exist_with_the_right_types(shipped):
    conf = configparser.ConfigParser(inline_comment_prefixes=(";",), comment_prefixes=(";",))
    conf.read_string((ASTERISK_DIR / "confbridge_dialer.conf").read_text())
    for step in (s for s in shipped if s.app == "ConfBridge"):
        _, bridge_profile, user_profile = (p.strip() for p in step.args.split(","))
        assert conf[bridge_profile]["type"] == "bridge"
        assert conf[user_profile]["type"] == "user"
    assert conf["dialer_agent"]["music_on_hold_when_empty"] == "yes"


def test_the_manager_user_can_read_and_write_what_the_engine_needs():
    text = (ASTERISK_DIR / "manager_dialer.conf").read_text()
    user = re.search(r"^\[dialer\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
    assert user is not None
    settings = dict(re.findall(r"^(read|write|secret)\s*=\s*(.+)$", user.group(1), re.M))
    assert {"call", "dialplan", "user", "system"} <= set(settings["read"].split(","))
    assert {"call", "originate"} <= set(settings["write"].split(","))
