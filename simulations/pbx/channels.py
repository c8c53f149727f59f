"""Channels, bridges and conferences of the simulated PBX, and the AMI text that describes them.

The text builders return pre-formatted ``Key: Value\\r\\n`` blocks with Asterisk's field names and
order (as recorded from Asterisk 22), so an event costs one f-string per channel snapshot.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from simulations.pbx.asterisk_args import escape_c
from simulations.pbx.fates import DialTarget, FarPlan
from simulations.pbx.mix_recorder import MixRecording

STATE_DOWN, STATE_RING, STATE_RINGING, STATE_UP, STATE_BUSY = 0, 4, 5, 6, 7
STATE_DESC = {0: "Down", 1: "Rsrvd", 2: "OffHook", 3: "Dialing", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}

CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    27: "Destination out of order",
    28: "Invalid number format (incomplete number)",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    41: "Temporary failure",
    42: "Switching equipment congestion",
}


class Activity(enum.Enum):
    """Where a channel is in its dialplan: what an event about it must say and what comes next."""

    DIALING = "dialing"  # ;1 half waiting for the far end (AppDial2)
    FAR = "far"  # ;2 half or trunk side running the far end's dialplan
    AMD = "amd"
    HOLD = "hold"  # waiting for the engine: Wait in dialer-customer, MusicOnHold in dialer-inbound
    ON_HOLD = "on_hold"  # put on hold by its agent (MusicOnHold in dialer-hold): met an agent, not waiting for one
    CONFERENCE = "conference"
    BRIDGE = "bridge"  # in a bridge made by the Bridge action
    PLAYBACK = "playback"  # safe harbor or machine message
    APP = "app"  # Originate Application= (Wait ...)
    DIALPLAN = "dialplan"  # running dialplan applications that take no time, or in Dial()
    GONE = "gone"


@dataclass(slots=True)
class ReadState:
    """A ``Read(variable,prompt,max,,,timeout)`` under way: the keys so far (``max`` 0: until #)."""

    variable: str
    max_digits: int
    timeout_s: float
    digits: str = ""


@dataclass(slots=True, eq=False)
class Channel:
    """One live channel; ``peer`` is the other half of a Local pair."""

    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    priority: int
    state: int
    created_at: float  # simulated seconds
    caller_num: str = "<unknown>"
    caller_name: str = "<unknown>"
    connected_num: str = "<unknown>"
    connected_name: str = "<unknown>"
    application: str = ""
    app_data: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    peer: Channel | None = None
    leg: Leg | None = None  # the call this channel belongs to
    activity: Activity = Activity.FAR
    bridge: Bridge | None = None
    moh: bool = False
    wait_digits: str = ""  # the keys a WaitDigit running on this channel accepts
    read: ReadState | None = None  # the Read() running on this channel (dialer-survey), if any
    mixmonitor: bool = False
    mix: MixRecording | None = None  # the MixMonitor's file under way (simulations.pbx.mix_recorder)
    extension: str = ""  # the dialplan extension running, as written ("s", "_[a-z0-9].")
    executed: int = 0  # dialplan priorities run so far (PbxConfig.max_priorities bounds it)
    dummy: bool = False  # OutgoingSpoolFailed: no media, no technology

    def block(self, prefix: str = "") -> str:
        """The channel snapshot fields (Channel .. Linkedid), optionally prefixed (Dest, LocalOne)."""
        p = prefix
        return (
            f"{p}Channel: {self.name}\r\n{p}ChannelState: {self.state}\r\n"
            f"{p}ChannelStateDesc: {STATE_DESC[self.state]}\r\n{p}CallerIDNum: {self.caller_num}\r\n"
            f"{p}CallerIDName: {self.caller_name}\r\n{p}ConnectedLineNum: {self.connected_num}\r\n"
            f"{p}ConnectedLineName: {self.connected_name}\r\n{p}Language: en\r\n{p}AccountCode: \r\n"
            f"{p}Context: {self.context}\r\n{p}Exten: {self.exten}\r\n{p}Priority: {self.priority}\r\n"
            f"{p}Uniqueid: {self.uniqueid}\r\n{p}Linkedid: {self.linkedid}\r\n"
        )


@dataclass(slots=True, eq=False)
class Bridge:
    """A bridge: a basic one made by the Bridge action, or a ConfBridge conference (softmix)."""

    uniqueid: str
    conference: str = ""  # "" for a basic bridge
    members: list[Channel] = field(default_factory=list)

    def block(self) -> str:
        if self.conference:
            kind, tech, creator, name = "base", "softmix", "ConfBridge", self.conference
        else:
            kind, tech, creator, name = "basic", "simple_bridge", "<unknown>", "<unknown>"
        return (
            f"BridgeUniqueid: {self.uniqueid}\r\nBridgeType: {kind}\r\nBridgeTechnology: {tech}\r\n"
            f"BridgeCreator: {creator}\r\nBridgeName: {name}\r\nBridgeNumChannels: {len(self.members)}\r\n"
            "BridgeVideoSourceMode: none\r\n"
        )


@dataclass(frozen=True, slots=True)
class OriginateSpec:
    """An Originate as the switch plays it (or an inbound call, with ``dial`` the trunk channel)."""

    target: DialTarget | None
    dial: str  # the bare dial string (what a failed OriginateResponse shows)
    context: str
    exten: str
    variables: dict[str, str] = field(default_factory=dict)
    caller: tuple[str, str] = ("<unknown>", "<unknown>")
    timeout_s: float = 30.0
    action_id: str | None = None
    channel_id: str | None = None
    other_channel_id: str | None = None
    application: str = ""
    app_data: str = ""
    on_sync_result: Callable[[bool], None] | None = None  # Async false: reply when answered or failed


@dataclass(slots=True, eq=False)
class Leg:
    """One originated (or inbound) call: the channel our dialplan runs on and its far end."""

    kind: str  # customer, agent, inbound, failed (the OutgoingSpoolFailed dummy channel)
    near: Channel
    far: Channel | None  # the ;2 half of a Local pair (None for PJSIP/SIP/... legs)
    plan: FarPlan
    spec: OriginateSpec
    answered_at: float = -1.0
    ready_at: float = -1.0
    amd_status: str = ""
    met_agent: bool = False
    safe_harbor: bool = False
    talking: bool = False
    done: bool = False
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    failed_reason: int | None = None  # failed: its OriginateResponse waits for the `failed` extension
    on_done: Callable[[], None] | None = None  # called once the leg has ended


CALL = "Privilege: call,all\r\n"
DIALPLAN = "Privilege: dialplan,all\r\n"
USER = "Privilege: user,all\r\n"
SYSTEM = "Privilege: system,all\r\n"
SECURITY = "Privilege: security,all\r\n"


def channel_event(name: str, ch: Channel, extra: str = "") -> str:
    """An event about one channel: Privilege call, the snapshot, then ``extra`` fields."""
    return f"Event: {name}\r\n{CALL}{ch.block()}{extra}\r\n"


def var_set(ch: Channel, variable: str, value: str) -> str:
    """A VarSet event: Asterisk shows the value C-escaped (``"`` as ``\\"``), the channel keeps it raw."""
    return f"Event: VarSet\r\n{DIALPLAN}{ch.block()}Variable: {variable}\r\nValue: {escape_c(value)}\r\n\r\n"


def hangup(ch: Channel, cause: int) -> str:
    text = CAUSE_TEXT.get(cause, "Unknown")
    return f"Event: Hangup\r\n{CALL}{ch.block()}Cause: {cause}\r\nCause-txt: {text}\r\n\r\n"


def hangup_request(name: str, ch: Channel, cause: int) -> str:
    """``HangupRequest`` or ``SoftHangupRequest`` with its Cause."""
    return f"Event: {name}\r\n{CALL}{ch.block()}Cause: {cause}\r\n\r\n"


def local_bridge(one: Channel, two: Channel) -> str:
    return (
        f"Event: LocalBridge\r\n{CALL}{one.block('LocalOne')}{two.block('LocalTwo')}"
        f"Context: {two.context}\r\nExten: {two.exten}\r\nLocalOptimization: Yes\r\n\r\n"
    )


def dial_event(name: str, dest: Channel, tail: str) -> str:
    """DialBegin / DialState / DialEnd of an Originate (no caller channel): Dest fields, then ``tail``."""
    return f"Event: {name}\r\n{CALL}{dest.block('Dest')}{tail}\r\n"


def bridge_event(name: str, bridge: Bridge) -> str:
    return f"Event: {name}\r\n{CALL}{bridge.block()}\r\n"


def bridge_member_event(name: str, bridge: Bridge, ch: Channel, extra: str = "") -> str:
    return f"Event: {name}\r\n{CALL}{bridge.block()}{ch.block()}{extra}\r\n"


def conference_event(name: str, bridge: Bridge, ch: Channel | None = None, extra: str = "") -> str:
    """ConfbridgeStart/End (no channel) or ConfbridgeJoin/Leave (with the channel and ``extra``)."""
    body = ch.block() + extra if ch is not None else ""
    return f"Event: {name}\r\n{CALL}Conference: {bridge.conference}\r\n{bridge.block()}{body}\r\n"


def user_event(ch: Channel, name: str, fields: list[tuple[str, str]]) -> str:
    """A dialplan ``UserEvent(name,Key: Value,...)`` on channel ``ch``."""
    tail = "".join(f"{k}: {v}\r\n" for k, v in fields)
    return f"Event: UserEvent\r\n{USER}{ch.block()}UserEvent: {name}\r\n{tail}\r\n"


def originate_response(spec: OriginateSpec, ok: bool, channel: str, reason: int, uniqueid: str) -> str:
    """OriginateResponse: Context/Exten or Application/Data as the Originate had, then Reason and ids."""
    aid = f"ActionID: {spec.action_id}\r\n" if spec.action_id is not None else ""
    if spec.application:
        where = f"Application: {spec.application}\r\nData: {spec.app_data}\r\n"
    else:
        where = f"Context: {spec.context}\r\nExten: {spec.exten}\r\n"
    return (
        f"Event: OriginateResponse\r\n{CALL}{aid}Response: {'Success' if ok else 'Failure'}\r\n"
        f"Channel: {channel}\r\n{where}Reason: {reason}\r\nUniqueid: {uniqueid}\r\n"
        f"CallerIDNum: {spec.caller[0]}\r\nCallerIDName: {spec.caller[1]}\r\n\r\n"
    )


def duration(seconds: float) -> str:
    """HH:MM:SS as CoreShowChannel's Duration."""
    s = max(int(seconds), 0)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
