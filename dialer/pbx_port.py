"""The engine's view of a PBX: requests it makes and domain events it receives, free of AMI field names.

``dialer.ami`` implements ``PbxPort`` over the Asterisk Manager Interface (and so talks equally to a
real Asterisk and to ``simulations.pbx``); the engine uses only what is here. Every originated leg is
named by our own ``leg_id`` (it is also the Asterisk ChannelId/Uniqueid of the leg, never reused), and
every event carries the ``leg_id`` it concerns, so the engine never sees a channel name it must parse.

The dialplan contexts shipped in ``asterisk/extensions_dialer.conf`` and followed by the simulated PBX
are named by the constants below.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

# --- dialplan contexts (asterisk/extensions_dialer.conf; simulations.pbx follows the same) ---------
CTX_CUSTOMER = "dialer-customer"        # answered customer leg lands here: optional AMD(), UserEvent, holds
CTX_CONNECT = "dialer-connect"          # Redirect a customer here, exten = the agent's conference name
CTX_SAFE_HARBOR = "dialer-safe-harbor"  # Redirect here: recorded message, then hang up (exten "s")
CTX_MACHINE = "dialer-machine"          # Redirect here: wait for the beep, leave a message, hang up ("s")
CTX_AGENT = "dialer-agent"              # agent's persistent leg: exten = conference name, loops in ConfBridge
CTX_INBOUND = "dialer-inbound"          # DIDs enter here: UserEvent to the engine, music on hold
CTX_TRANSFER = "dialer-transfer"        # Redirect here (exten "s"): Dial(${DIALER_TRANSFER_TO}), blind transfer
CTX_HOLD = "dialer-hold"                # Redirect a customer here (exten = its agent's conference): music on hold
CTX_SURVEY = "dialer-survey"            # Redirect a customer here to ask one survey step (exten ask, record, bye)

# channel variables our dialplan and adapter use
VAR_LEG_ID = "DIALER_LEG_ID"
VAR_CALL_ID = "DIALER_CALL_ID"
VAR_AMD = "DIALER_AMD"                  # "1" to run AMD() on answer
VAR_AGENT_ID = "DIALER_AGENT_ID"
VAR_SAFE_HARBOR = "DIALER_SAFE_HARBOR"  # sound file name for the safe-harbor message
VAR_MACHINE_MSG = "DIALER_MACHINE_MSG"  # sound file to leave on a machine ("" to hang up)
VAR_TRANSFER_TO = "DIALER_TRANSFER_TO"  # dial string a transferred customer is connected to
VAR_HOLD_S = "DIALER_HOLD_S"            # seconds an answered customer holds before the dialplan's own safe harbor
VAR_CLOSED_MSG = "DIALER_CLOSED_MSG"    # sound of dialer-inbound's closed message (default please-try-call-later)

# UserEvents our dialplan sends (asterisk/extensions_dialer.conf)
UE_CUSTOMER_READY = "DialerCustomerReady"        # LegId, CallId, AMDStatus, AMDCause
UE_SAFE_HARBOR = "DialerSafeHarbor"              # LegId, CallId: the safe-harbor message starts
UE_ORIGINATE_FAILED = "DialerOriginateFailed"    # LegId, CallId, Reason: `failed` of dialer-customer ran
UE_AGENT_FAILED = "DialerAgentFailed"            # AgentId, LegId, Reason: `failed` of dialer-agent ran
UE_CALLBACK_REQUEST = "DialerCallbackRequest"    # LegId, CallerId: an inbound caller pressed 1 (dialer-inbound)
UE_SURVEY_ANSWER = "DialerSurveyAnswer"          # LegId, Step, Digits + Status (READSTATUS) or Recording + Status
VAR_PRESS1 = "DIALER_PRESS1"            # "1" on an inbound caller whose queue offers "press 1 to be called back"


LEG_ID_PREFIX = "dl-"


def new_leg_id() -> str:
    """A fresh leg id, usable as an Asterisk ChannelId (never reused: a duplicate leaks a channel)."""
    return LEG_ID_PREFIX + uuid.uuid4().hex


def conference_name(agent_id: int | str) -> str:
    """The ConfBridge an agent's persistent leg waits in."""
    return f"agent-{agent_id}"


class FailReason(enum.Enum):
    """Why an originated leg never answered, classified from OriginateResponse, DialEnd and Hangup cause."""

    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CONGESTION = "congestion"
    INVALID_NUMBER = "invalid_number"
    REJECTED = "rejected"       # the PBX refused the originate itself (bad channel, no such extension, ...)
    PBX_CUT = "pbx_cut"         # the PBX shut down or restarted under the call (not the callee's doing)
    OTHER = "other"


class LegKind(enum.Enum):
    CUSTOMER = "customer"
    AGENT = "agent"
    INBOUND = "inbound"


@dataclass(frozen=True, slots=True)
class OriginateRequest:
    """Place one outbound leg. ``dial_string`` is the full Asterisk dial string (``PJSIP/...``, ``Local/...``)."""

    leg_id: str
    kind: LegKind
    dial_string: str
    context: str
    exten: str
    caller_id: str = ""
    timeout_s: float = 30.0
    variables: Mapping[str, str] = field(default_factory=dict)
    server: str | None = None     # which PBX (None: the adapter picks one with free capacity)


@dataclass(frozen=True, slots=True)
class LiveChannel:
    """One channel the PBX reports alive (``CoreShowChannels``), for reconciliation after a reconnect."""

    server: str
    leg_id: str | None        # our leg id if the channel is one of ours
    channel: str
    state: str                # Asterisk ChannelStateDesc: Down, Ring, Ringing, Up, ...
    context: str
    exten: str
    duration_s: float
    bridge_id: str = ""
    uniqueid: str = ""        # the channel's Uniqueid (an inbound caller's leg is followed by it after a restart)
    caller_id: str = ""       # CallerIDNum ('' when unknown): a caller found holding with no record is named by it


# --- events -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PbxEvent:
    server: str
    at: float                 # clock.monotonic() when the adapter received it


@dataclass(frozen=True, slots=True)
class LegRinging(PbxEvent):
    leg_id: str


@dataclass(frozen=True, slots=True)
class LegAnswered(PbxEvent):
    """The far end answered; for customer legs AMD (if asked) is still running."""

    leg_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class CustomerReady(PbxEvent):
    """An answered customer leg reached the holding point of ``dialer-customer`` (after AMD if asked).

    ``amd_status`` is HUMAN, MACHINE, NOTSURE or HANGUP as AMD reported it, or "" without AMD.
    """

    leg_id: str
    channel: str
    amd_status: str = ""
    amd_cause: str = ""


@dataclass(frozen=True, slots=True)
class LegFailed(PbxEvent):
    """The leg never answered. ``cause`` is the Q.850 hangup cause when known (0 if not)."""

    leg_id: str
    reason: FailReason
    cause: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LegHungUp(PbxEvent):
    """An answered leg ended (either side hung up, or we did). ``pbx_cut``: the PBX shut down or restarted
    under it (its channels got the shutdown soft hang-up first), so nobody chose to end the call."""

    leg_id: str
    cause: int = 16
    pbx_cut: bool = False


@dataclass(frozen=True, slots=True)
class SafeHarborStarted(PbxEvent):
    """The leg entered ``dialer-safe-harbor`` (our Redirect, or the dialplan's own after ``DIALER_HOLD_S``)."""

    leg_id: str


@dataclass(frozen=True, slots=True)
class SafeHarborPlayed(PbxEvent):
    """The safe-harbor message of a leg ended: ``status`` is Asterisk's PLAYBACKSTATUS, SUCCESS or FAILED
    (a missing sound fails in milliseconds and the call ends as if it had played: only this tells)."""

    leg_id: str
    status: str


@dataclass(frozen=True, slots=True)
class ConferenceJoined(PbxEvent):
    conference: str
    leg_id: str | None
    channel: str


@dataclass(frozen=True, slots=True)
class ConferenceLeft(PbxEvent):
    conference: str
    leg_id: str | None
    channel: str


@dataclass(frozen=True, slots=True)
class InboundCall(PbxEvent):
    """A caller entered ``dialer-inbound``; the adapter gave the channel a fresh ``leg_id``."""

    leg_id: str
    channel: str
    caller: str
    did: str


@dataclass(frozen=True, slots=True)
class SurveyAnswered(PbxEvent):
    """A customer answered one survey step in ``dialer-survey`` (``DialerSurveyAnswer``): ``step`` the token the
    engine set (DIALER_SV_STEP), ``digits`` the keys (``#`` not kept) and ``status`` READSTATUS (OK, TIMEOUT), or
    ``recording`` the file and ``status`` RECORD_STATUS (SILENCE, TIMEOUT, DTMF; HANGUP also at the longest time on
    a channel sending no audio, recording n1). A hang-up during a step sends none: the leg's ``LegHungUp`` says it."""

    leg_id: str
    step: str
    digits: str
    status: str
    recording: str = ""


@dataclass(frozen=True, slots=True)
class CallbackPressed(PbxEvent):
    """An inbound caller pressed 1 to be called back (``dialer-inbound``'s ``callback``); it hangs up next."""

    leg_id: str


@dataclass(frozen=True, slots=True)
class LinkDown(PbxEvent):
    """The AMI link to ``server`` is lost; events may be missing until ``LinkUp``."""

    reason: str = ""


@dataclass(frozen=True, slots=True)
class LinkUp(PbxEvent):
    """The link to ``server`` is (re)established and logged in; reconcile with ``channels()``."""


class PbxError(Exception):
    """A PBX action failed; the message says which action and what the PBX answered."""


class PbxUnavailable(PbxError):
    """Nothing was sent: no PBX connected, or none with a free channel (not the request's fault)."""


class PbxPort(Protocol):
    """What the engine asks of the PBX. Every method has its own timeout and raises ``PbxError``."""

    async def originate(self, request: OriginateRequest) -> None:
        """Queue an async originate; its fate arrives as events. Never re-sent after a reconnect."""

    async def redirect(self, leg_id: str, *, context: str, exten: str, priority: int = 1) -> None: ...

    async def bridge(self, leg_a: str, leg_b: str) -> None: ...

    async def hangup(self, leg_id: str, *, cause: int = 16) -> None: ...

    async def set_var(self, leg_id: str, name: str, value: str) -> None: ...

    async def get_var(self, leg_id: str, name: str) -> str | None: ...

    async def start_recording(self, leg_id: str, filename: str) -> None: ...

    async def stop_recording(self, leg_id: str) -> None:
        """StopMixMonitor on a leg still up (its call ended for its agent: a transfer); ``PbxError`` when it is gone."""

    async def mute_recording(self, leg_id: str, *, muted: bool) -> None:
        """Pause (``muted``) or resume the leg's MixMonitor on both directions: the paused part is silence."""

    async def conference_mute(self, leg_id: str, *, conference: str, muted: bool) -> None:
        """Mute (or unmute) the leg in ConfBridge ``conference`` (``ConfbridgeMute``/``ConfbridgeUnmute``): it still
        hears the conference, nobody hears it."""

    async def channels(self, *, every_server: bool = False) -> list[LiveChannel]:
        """Every live channel on every connected server (``CoreShowChannels``). ``every_server``: the list must
        be whole (crash recovery judges by it): ``PbxError`` naming the configured servers not connected."""

    async def sound_exists(self, name: str, server: str | None = None) -> bool:
        """Whether Playback would find sound ``name`` (each part of an ``a&b`` list) on ``server``, or on
        every connected server; ``PbxError`` when that cannot be told (no server connected, no permission)."""

    async def moh_class_exists(self, name: str, server: str | None = None) -> bool:
        """Whether music-on-hold class ``name`` (names compared without case) is loaded on ``server``, or on
        every connected server (StartMusicOnHold plays ``default`` instead of a class it lacks); ``PbxError``
        when that cannot be told."""

    def adopt(self, channel: LiveChannel, kind: LegKind) -> None:
        """Follow a leg of ours placed before a restart (crash recovery keeps it): its events flow again."""

    def events(self) -> AsyncIterator[PbxEvent]:
        """The stream of domain events from all servers, in arrival order."""
