"""The shipped Asterisk configuration parses, uses only Asterisk 20/22 applications and functions, and
names the contexts, variables and profiles the engine and the simulated PBX rely on.

A small parser of ``extensions.conf`` syntax (contexts, ``exten =>``/``same =>`` with priorities and
labels, ``include =>``); it is checked first on the real configuration recorded from Asterisk 22.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from dialer import pbx_port
from simulations.pbx.actions import landing_exists

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


@dataclass(frozen=True, slots=True)
class Step:
    """One priority of one extension."""

    context: str
    exten: str
    priority: int
    label: str
    app: str
    args: str
    line: int


class DialplanError(ValueError):
    pass


_EXTEN = re.compile(r"^(exten|same)\s*=>\s*(.*)$")
_PRIORITY = re.compile(r"^(\d+|n|hint)(?:\(([A-Za-z0-9_-]+)\))?$")
_APP = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\((.*)\))?$")


def _split_top(text: str, sep: str = ",", limit: int = -1) -> list[str]:
    """Split on ``sep`` outside (), [], {}; raise on unbalanced brackets."""
    parts, depth, start, pairs = [], [], 0, {"(": ")", "[": "]", "{": "}"}
    for i, ch in enumerate(text):
        if ch in pairs:
            depth.append(pairs[ch])
        elif ch in pairs.values():
            if not depth or depth.pop() != ch:
                raise DialplanError(f"unbalanced {ch!r} in {text!r}")
        elif ch == sep and not depth and limit != 0:
            parts.append(text[start:i])
            start = i + 1
            limit -= 1
    if depth:
        raise DialplanError(f"unclosed bracket in {text!r}")
    parts.append(text[start:])
    return parts


def parse_extensions(text: str) -> tuple[list[Step], dict[str, list[str]]]:
    """Every step of the dialplan and each context's includes; raise ``DialplanError`` on bad syntax."""
    steps: list[Step] = []
    includes: dict[str, list[str]] = {}
    context, exten, last = "", "", 0
    labels: set[tuple[str, str, str]] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(?<!\\);.*$", "", raw).strip()
        if not line or line.startswith("#include"):
            continue
        if line.startswith("["):
            if not re.fullmatch(r"\[[A-Za-z0-9_-]+\](\(.*\))?", line):
                raise DialplanError(f"line {number}: bad context header {line!r}")
            context = line[1 : line.index("]")]
            includes.setdefault(context, [])
            exten, last = "", 0
            continue
        if not context:
            raise DialplanError(f"line {number}: statement outside a context")
        if context in ("general", "globals"):
            if "=" not in line:
                raise DialplanError(f"line {number}: expected name = value in [{context}]")
            continue
        if line.startswith("include"):
            includes[context].append(line.split("=>", 1)[1].strip())
            continue
        m = _EXTEN.match(line)
        if not m:
            raise DialplanError(f"line {number}: not an exten/same/include line: {line!r}")
        kind, rest = m.groups()
        if kind == "exten":
            fields = _split_top(rest, ",", 2)
            if len(fields) != 3:
                raise DialplanError(f"line {number}: exten needs name,priority,application")
            exten, prio, app = (f.strip() for f in fields)
            if not exten or (exten.startswith("_") and len(exten) < 2):
                raise DialplanError(f"line {number}: bad extension {exten!r}")
        else:
            if not exten:
                raise DialplanError(f"line {number}: 'same' before any 'exten'")
            fields = _split_top(rest, ",", 1)
            if len(fields) != 2:
                raise DialplanError(f"line {number}: same needs priority,application")
            prio, app = (f.strip() for f in fields)
        pm = _PRIORITY.match(prio)
        if not pm:
            raise DialplanError(f"line {number}: bad priority {prio!r}")
        if pm.group(1) == "hint":
            continue
        value = last + 1 if pm.group(1) == "n" else int(pm.group(1))
        if pm.group(1) == "n" and last == 0:
            raise DialplanError(f"line {number}: priority n without a priority 1 before it")
        label = pm.group(2) or ""
        if label:
            if (context, exten, label) in labels:
                raise DialplanError(f"line {number}: duplicate label {label!r}")
            labels.add((context, exten, label))
        am = _APP.match(app)
        if not am:
            raise DialplanError(f"line {number}: bad application call {app!r}")
        _split_top(am.group(2) or "")  # balanced brackets in the arguments
        last = value
        steps.append(Step(context, exten, value, label, am.group(1), am.group(2) or "", number))
    return steps, includes


def applications_used(steps: list[Step]) -> set[str]:
    """Applications called directly and through ExecIf(cond?App(args):App(args))."""
    apps = {s.app for s in steps}
    for s in steps:
        if s.app == "ExecIf":
            for branch in s.args.split("?", 1)[1].split(":"):
                apps.add(branch.split("(", 1)[0].strip())
    return apps


def functions_used(steps: list[Step]) -> set[str]:
    return {name for s in steps for name in re.findall(r"\$\{([A-Z_]+)\(", s.args)}


def pattern_matches(pattern: str, exten: str) -> bool:
    """Asterisk extension matching: literal names, or ``_`` patterns with X Z N [..] . !"""
    if not pattern.startswith("_"):
        return pattern == exten
    regex, i, body = "", 0, pattern[1:]
    while i < len(body):
        ch = body[i]
        if ch == "[":
            end = body.index("]", i)
            regex += "[" + body[i + 1 : end] + "]"
            i = end + 1
            continue
        regex += {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}.get(
            ch.upper(), re.escape(ch)
        )
        i += 1
    return re.fullmatch(regex, exten) is not None


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
    ]
    for context, exten in cases:
        assert landing_exists(context, exten) == _exists(shipped, context, exten), (context, exten)


def test_the_customer_ready_user_event_carries_what_the_adapter_reads(shipped):
    events = [s.args for s in shipped if s.app == "UserEvent"]
    ready = next(a for a in events if a.startswith("DialerCustomerReady,"))
    assert "LegId: ${DIALER_LEG_ID}" in ready and "AMDStatus: ${AMDSTATUS}" in ready
    assert any(a.startswith("DialerInbound,") for a in events)


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
