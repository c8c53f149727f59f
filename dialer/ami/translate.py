"""Per-server state tracker that turns AMI events into ``dialer.pbx_port`` domain events.

No I/O: the connection feeds it messages with the time they arrived and carries out nothing itself.
Legs are found by Asterisk ``Uniqueid``: we originate with ``ChannelId = leg_id`` and
``OtherChannelId = other_channel_id(leg_id)`` (the two halves of a Local channel). ``Linkedid`` is not
used because a ``Bridge`` rewrites it to the other party's (``d1`` recording). ``OriginateResponse`` is
correlated by ``ActionID`` only: a failed one carries the bare dial string as Channel and a Uniqueid
that may be ``<unknown>`` or even a live channel's (duplicate ChannelId, ``h1``).

Every leg handed to ``expect`` ends in exactly one terminal event, ``LegFailed`` (never answered) or
``LegHungUp`` (answered, then ended); ``reconcile`` supplies it for legs that vanished while the link
was down.

Three cases the recordings i2-i4 and j2 taught:
- A failed Originate into a context with a ``failed`` extension runs it on a dummy ``OutgoingSpoolFailed``
  channel with its own Uniqueid and a copy of our variables; our dialplan's ``DialerOriginateFailed`` /
  ``DialerAgentFailed`` UserEvent there names our ``LegId``. That channel is never taken for a leg of ours
  (legs are found by Uniqueid); its UserEvent only ends the leg it names, if nothing else ended it yet
  (before or after ``OriginateResponse``: both orders happen), classified as always from DialEnd, Hangup
  causes and the Reason.
- A restart or shutdown of Asterisk first sends ``SoftHangupRequest`` with the shutdown flag (``Cause: 4``)
  to every channel, then ``Event: Shutdown``: the legs it cuts end as ``FailReason.PBX_CUT`` or
  ``LegHungUp(pbx_cut=True)``, never as a no-answer or a normal hang-up.
- ``PLAYBACKSTATUS`` of a leg's own channel (not the ``;2`` half, which sets its own) after our
  ``DialerSafeHarbor`` UserEvent is the fate of the safe-harbor message: ``SafeHarborPlayed``.
- ``DialerCallbackRequest`` from an inbound caller's own channel (it pressed 1): ``CallbackPressed``.
- ``DialerSurveyAnswer`` from a leg's own channel (``dialer-survey``, one step answered): ``SurveyAnswered``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dialer.ami import causes
from dialer.ami.message import AmiMessage
from dialer.pbx_port import (
    UE_AGENT_FAILED,
    UE_CALLBACK_REQUEST,
    UE_ORIGINATE_FAILED,
    UE_SAFE_HARBOR,
    UE_SURVEY_ANSWER,
    CallbackPressed,
    ConferenceJoined,
    ConferenceLeft,
    CustomerReady,
    FailReason,
    InboundCall,
    LegAnswered,
    LegFailed,
    LegHungUp,
    LegKind,
    LegRinging,
    LiveChannel,
    OriginateRequest,
    PbxEvent,
    SafeHarborPlayed,
    SafeHarborStarted,
    SurveyAnswered,
    new_leg_id,
)

# UserEvent names the dialplans send (recordings' [dialer-answered], asterisk/extensions_dialer.conf)
READY_USER_EVENTS = frozenset({"CustomerWaiting", "CustomerReady", "DialerCustomerReady"})
INBOUND_USER_EVENTS = frozenset({"InboundCall", "DialerInbound", "DialerInboundArrived"})
FAILED_USER_EVENTS = frozenset({UE_ORIGINATE_FAILED, UE_AGENT_FAILED})   # sent from a `failed` extension
_NONE: tuple[PbxEvent, ...] = ()


def other_channel_id(leg_id: str) -> str:
    """The Uniqueid we give the second half (``;2``) of a leg's Local channel."""
    return leg_id + "-2"


@dataclass(slots=True)
class _Leg:
    leg_id: str
    kind: LegKind
    action_id: str
    epoch: int
    primary: str                  # Uniqueid of the channel that is "the leg" (ChannelId, or inbound's)
    channel: str = ""
    uids: tuple[str, ...] = ()
    alive: set[str] = field(default_factory=set)
    seen: bool = False
    ringing: bool = False
    answered: bool = False
    ready: bool = False
    amd_status: str = ""
    amd_cause: str = ""
    dial_status: str = ""
    reason: int | None = None
    causes: list[int] = field(default_factory=list)
    pbx_cut: bool = False         # the PBX is shutting down or restarting under this leg
    safe_harbor: bool = False     # our safe-harbor message started on the leg's channel


def _int(text: str, default: int = 0) -> int:
    try:
        return int(text)
    except ValueError:
        return default


class Translator:
    """AMI events of one server in, domain events out; ``feed`` returns what a message caused."""

    def __init__(self, server: str, *, new_id: Callable[[], str] = new_leg_id) -> None:
        self.server = server
        self.epoch = 0
        self._new_id = new_id
        self._legs: dict[str, _Leg] = {}
        self._by_uid: dict[str, _Leg] = {}
        self._by_action: dict[str, _Leg] = {}
        self._handlers: dict[str, Callable[[AmiMessage, float], Sequence[PbxEvent]]] = {
            "Newchannel": self._on_newchannel,
            "Newstate": self._on_newstate,
            "DialEnd": self._on_dial_end,
            "OriginateResponse": self._on_originate_response,
            "Hangup": self._on_hangup,
            "VarSet": self._on_varset,
            "UserEvent": self._on_user_event,
            "ConfbridgeJoin": self._on_conference,
            "ConfbridgeLeave": self._on_conference,
            "Rename": self._on_rename,
            "SoftHangupRequest": self._on_soft_hangup_request,
            "Shutdown": self._on_shutdown,
        }

    # --- what the shell tells us -------------------------------------------------------------
    def expect(self, request: OriginateRequest, action_id: str, other_id: str | None = None) -> None:
        """Register a leg about to be originated with ``action_id`` (call before sending)."""
        if request.leg_id in self._legs:
            raise ValueError(f"leg {request.leg_id} is already active on {self.server}")
        other = other_id if other_id is not None else other_channel_id(request.leg_id)
        leg = _Leg(request.leg_id, request.kind, action_id, self.epoch, request.leg_id,
                   uids=(request.leg_id, other))
        self._legs[leg.leg_id] = leg
        self._by_action[action_id] = leg
        for uid in leg.uids:
            self._by_uid[uid] = leg

    def forget(self, leg_id: str) -> None:
        """Drop a leg that was never sent (the write failed): no event will be emitted for it."""
        leg = self._legs.get(leg_id)
        if leg is not None:
            self._finish(leg)

    def originate_refused(self, leg_id: str, message: str, now: float) -> Sequence[PbxEvent]:
        """The PBX answered the Originate with an error: the leg failed as REJECTED."""
        leg = self._legs.get(leg_id)
        if leg is None:
            return _NONE
        self._finish(leg)
        return (LegFailed(self.server, now, leg_id, FailReason.REJECTED, 0, message),)

    def link_up(self) -> None:
        """A new session is logged in: legs registered before now need ``reconcile``."""
        self.epoch += 1

    def reconcile(self, live: Mapping[str, LiveChannel], now: float) -> list[PbxEvent]:
        """Settle legs registered before the last ``link_up`` against channels alive now, by Uniqueid.

        A leg with a live channel is kept (and its answer reported if we missed it); a leg without one
        ended while we could not see it and gets its terminal event now.
        """
        out: list[PbxEvent] = []
        for leg in list(self._legs.values()):
            if leg.epoch >= self.epoch:
                continue
            leg.epoch = self.epoch
            present = [uid for uid in leg.uids if uid in live]
            if present:
                leg.alive = set(present)
                leg.seen = True
                primary = live.get(leg.primary)
                if primary is not None:
                    leg.channel = primary.channel
                    if primary.state == "Up" and not leg.answered:
                        out.extend(self._answer(leg, now))
                    elif primary.state == "Ringing" and not leg.ringing:
                        leg.ringing = True
                        out.append(LegRinging(self.server, now, leg.leg_id))
                continue
            if leg.answered:
                out.append(LegHungUp(self.server, now, leg.leg_id, causes.best_cause(leg.causes), leg.pbx_cut))
                self._finish(leg)
            elif leg.reason is None and not leg.seen and not leg.pbx_cut:
                self._finish(leg)
                out.append(LegFailed(self.server, now, leg.leg_id, FailReason.OTHER, 0,
                                     "lost with the AMI link: no channel on the PBX after reconnect"))
            else:
                out.append(self._fail(leg, now, " (ended while the AMI link was down)"))
        return out

    def adopt(self, leg_id: str, kind: LegKind, channel: str, *, uid: str = "") -> bool:
        """Follow a leg placed before a restart (crash recovery adopted it): it is answered (a customer is
        past its ready point), and its hang-up and conference moves give events like any other leg's. ``uid``:
        the channel's Uniqueid when it is not the leg id (an inbound caller's). False, and nothing changes, when
        another leg already follows that Uniqueid (an inbound caller whose arrival event came meanwhile)."""
        if leg_id in self._legs:
            return True
        if uid and uid in self._by_uid:
            return False
        uids = (uid,) if uid else (leg_id, other_channel_id(leg_id))
        leg = _Leg(leg_id, kind, "", self.epoch, uids[0], channel=channel, uids=uids, alive={uids[0]}, seen=True,
                   answered=True, ready=kind is not LegKind.AGENT)
        self._legs[leg_id] = leg
        for uid in uids:
            self._by_uid[uid] = leg
        return True

    # --- queries -------------------------------------------------------------------------------
    def channel_of(self, leg_id: str) -> str | None:
        """The current channel name of a leg's primary channel, if known."""
        leg = self._legs.get(leg_id)
        return leg.channel if leg is not None and leg.channel else None

    def is_active(self, leg_id: str) -> bool:
        return leg_id in self._legs

    def leg_of_channel(self, uid: str) -> str | None:
        """Our leg id if ``uid`` is the Uniqueid of a leg's primary channel."""
        leg = self._by_uid.get(uid)
        return leg.leg_id if leg is not None and leg.primary == uid else None

    @property
    def active_count(self) -> int:
        """Legs not yet ended (what counts against the server's channel capacity)."""
        return len(self._legs)

    # --- events --------------------------------------------------------------------------------
    def feed(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        """Translate one event; most events concern no leg of ours and give nothing."""
        handler = self._handlers.get(msg.name)
        if handler is None:
            return _NONE
        return handler(msg, now)

    def _on_newchannel(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        uid = msg.fields.get("Uniqueid", "")
        leg = self._by_uid.get(uid)
        if leg is not None:
            leg.alive.add(uid)
            leg.seen = True
            if uid == leg.primary:
                leg.channel = msg.fields.get("Channel", "")
        return _NONE

    def _on_newstate(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        leg = self._by_uid.get(fields.get("Uniqueid", ""))
        if leg is None:
            return _NONE
        state = fields.get("ChannelStateDesc", "")
        if state == "Ringing" and not leg.ringing and not leg.answered:
            leg.ringing = True
            return (LegRinging(self.server, now, leg.leg_id),)
        if state == "Up" and not leg.answered and fields.get("Uniqueid") == leg.primary:
            leg.channel = fields.get("Channel", leg.channel)
            return self._answer(leg, now)
        return _NONE

    def _on_dial_end(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        leg = self._by_uid.get(fields.get("DestUniqueid", ""))
        if leg is None:
            return _NONE
        status = fields.get("DialStatus", "")
        leg.dial_status = status
        if status == "ANSWER" and not leg.answered:
            if fields.get("DestUniqueid") == leg.primary:
                leg.channel = fields.get("DestChannel", leg.channel)
            return self._answer(leg, now)
        return _NONE

    def _on_originate_response(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        leg = self._by_action.get(fields.get("ActionID", ""))
        if leg is None:
            return _NONE
        leg.reason = _int(fields.get("Reason", ""), 0)
        if fields.get("Response") == "Success":
            if leg.answered:
                return _NONE
            leg.channel = fields.get("Channel", leg.channel)
            return self._answer(leg, now)
        if leg.answered or leg.alive:
            return _NONE          # wait for the Hangup of every channel: its cause says most
        return (self._fail(leg, now),)

    def _on_hangup(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        uid = fields.get("Uniqueid", "")
        leg = self._by_uid.get(uid)
        if leg is None:
            return _NONE
        cause = _int(fields.get("Cause", ""), 0)
        leg.alive.discard(uid)
        leg.seen = True
        leg.causes.append(cause)
        answered: Sequence[PbxEvent] = _NONE
        if not leg.answered and uid == leg.primary and fields.get("ChannelStateDesc") == "Up":
            leg.channel = fields.get("Channel", leg.channel)   # it answered while we were not told
            answered = self._answer(leg, now)
        if leg.answered:
            if uid != leg.primary:
                return _NONE
            self._finish(leg)
            return (*answered, LegHungUp(self.server, now, leg.leg_id, cause or causes.best_cause(leg.causes),
                                         leg.pbx_cut))
        if leg.alive:
            return _NONE
        return (self._fail(leg, now),)

    def _on_varset(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        variable = fields.get("Variable")
        if variable == "PLAYBACKSTATUS":
            return self._playback_status(msg, now)
        if variable != "AMDSTATUS" and variable != "AMDCAUSE":
            return _NONE
        leg = self._by_uid.get(fields.get("Uniqueid", ""))
        if leg is None or leg.ready:
            return _NONE
        if variable == "AMDSTATUS":
            leg.amd_status = fields.get("Value", "")
            return _NONE
        leg.amd_cause = fields.get("Value", "")   # AMD() sets AMDCAUSE right after AMDSTATUS
        return self._ready(leg, now) if leg.amd_status else _NONE

    def _on_user_event(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        name = fields.get("UserEvent", "")
        if name in FAILED_USER_EVENTS:
            return self._failed_extension(msg, now)
        uid = fields.get("Uniqueid", "")
        leg = self._by_uid.get(uid)
        if leg is None:
            if name in INBOUND_USER_EVENTS and uid:
                return self._inbound(msg, now)
            return _NONE
        if name == UE_CALLBACK_REQUEST:     # an inbound caller pressed 1 (dialer-inbound's callback exten)
            ok = uid == leg.primary and leg.kind is LegKind.INBOUND
            return (CallbackPressed(self.server, now, leg.leg_id),) if ok else _NONE
        if name == UE_SURVEY_ANSWER:        # one survey step answered (dialer-survey)
            if uid != leg.primary:
                return _NONE
            return (SurveyAnswered(self.server, now, leg.leg_id, fields.get("Step", ""), fields.get("Digits", ""),
                                   fields.get("Status", ""), fields.get("Recording", "")),)
        if name == UE_SAFE_HARBOR:
            if uid != leg.primary:
                return _NONE
            leg.safe_harbor = True
            return (SafeHarborStarted(self.server, now, leg.leg_id),)
        if leg.ready:
            return _NONE
        # recordings' AMDResult carries AMDSTATUS/AMDCAUSE; our dialplan's DialerCustomerReady AMDStatus/AMDCause
        status = fields.get("AMDSTATUS", fields.get("AMDStatus"))
        if status is None and name not in READY_USER_EVENTS:
            return _NONE
        if status:
            leg.amd_status = status
            leg.amd_cause = fields.get("AMDCAUSE", fields.get("AMDCause", ""))
        return self._ready(leg, now)

    def _on_conference(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        channel = fields.get("Channel", "")
        if channel.startswith("CBAnn/"):
            return _NONE          # ConfBridge's announcer, not a caller
        leg = self._by_uid.get(fields.get("Uniqueid", ""))
        kind = ConferenceJoined if msg.name == "ConfbridgeJoin" else ConferenceLeft
        return (kind(self.server, now, fields.get("Conference", ""),
                     leg.leg_id if leg is not None else None, channel),)

    def _failed_extension(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        """Our ``failed`` extension ran on the dummy channel of a failed Originate: end the leg it names."""
        fields = msg.fields
        leg = self._legs.get(fields.get("LegId", ""))
        if leg is None or leg.answered or leg.kind is LegKind.INBOUND:
            return _NONE          # already ended (its channels hung up first), or not ours
        if leg.reason is None:
            leg.reason = _int(fields.get("Reason", ""), 0)
        if leg.alive:
            return _NONE          # its own channels are still ending: their Hangup causes say most
        return (self._fail(leg, now, f" (failed extension: {fields.get('UserEvent', '')})"),)

    def _playback_status(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        uid = fields.get("Uniqueid", "")
        leg = self._by_uid.get(uid)
        if leg is None or uid != leg.primary or not leg.safe_harbor:
            return _NONE          # another Playback: the ;2 half's, a machine message, not ours
        return (SafeHarborPlayed(self.server, now, leg.leg_id, fields.get("Value", "")),)

    def _on_soft_hangup_request(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        leg = self._by_uid.get(fields.get("Uniqueid", ""))
        if leg is not None and _int(fields.get("Cause", ""), -1) == causes.SOFTHANGUP_SHUTDOWN:
            leg.pbx_cut = True
        return _NONE

    def _on_shutdown(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        """Asterisk is stopping or restarting: whatever of ours is still up goes with it (the link drops next,
        and ``reconcile`` settles these legs as cut)."""
        for leg in self._legs.values():
            leg.pbx_cut = True
        return _NONE

    def _on_rename(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        leg = self._by_uid.get(fields.get("Uniqueid", ""))
        if leg is not None and fields.get("Uniqueid") == leg.primary:
            leg.channel = fields.get("Newname", leg.channel)
        return _NONE

    # --- transitions ---------------------------------------------------------------------------
    def _answer(self, leg: _Leg, now: float) -> Sequence[PbxEvent]:
        leg.answered = True
        return (LegAnswered(self.server, now, leg.leg_id, leg.channel),)

    def _ready(self, leg: _Leg, now: float) -> Sequence[PbxEvent]:
        leg.ready = True
        ready = CustomerReady(self.server, now, leg.leg_id, leg.channel, leg.amd_status, leg.amd_cause)
        if leg.answered:
            return (ready,)
        return (*self._answer(leg, now), ready)

    def _fail(self, leg: _Leg, now: float, note: str = "") -> LegFailed:
        why, cause = causes.classify_failure(reason=leg.reason, dial_status=leg.dial_status,
                                             causes=leg.causes, channel_seen=leg.seen)
        if leg.pbx_cut:
            why, note = FailReason.PBX_CUT, " (cut by the PBX shutting down or restarting)" + note
        self._finish(leg)
        detail = (f"Reason {leg.reason if leg.reason is not None else '-'}, "
                  f"DialStatus {leg.dial_status or '-'}, causes {leg.causes or '-'}{note}")
        return LegFailed(self.server, now, leg.leg_id, why, cause, detail)

    def _finish(self, leg: _Leg) -> None:
        self._legs.pop(leg.leg_id, None)
        if self._by_action.get(leg.action_id) is leg:
            del self._by_action[leg.action_id]
        for uid in leg.uids:
            if self._by_uid.get(uid) is leg:
                del self._by_uid[uid]

    def _inbound(self, msg: AmiMessage, now: float) -> Sequence[PbxEvent]:
        fields = msg.fields
        uid = fields["Uniqueid"]
        leg = _Leg(self._new_id(), LegKind.INBOUND, "", self.epoch, uid, channel=fields.get("Channel", ""),
                   uids=(uid,), alive={uid}, seen=True, answered=True, ready=True)
        self._legs[leg.leg_id] = leg
        self._by_uid[uid] = leg
        caller = fields.get("CallerId") or fields.get("Caller") or fields.get("CallerIDNum", "")
        did = fields.get("Did") or fields.get("DID") or fields.get("Exten", "")
        return (InboundCall(self.server, now, leg.leg_id, leg.channel, caller, did),)
