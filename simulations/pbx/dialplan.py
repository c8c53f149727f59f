"""Our dialplan after answer, as ``asterisk/extensions_dialer.conf`` runs it: AMD, the ready UserEvent, hold,
safe harbor, machines, inbound, agent conferences (ConfBridge) and the Bridge action.

``Dialplan`` emits the events Asterisk 22 emits for these steps (see the recordings d1, d2, e, g) and
asks the ``Switch`` for timers and hang-ups.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from dialer.pbx_port import (
    CTX_AGENT,
    CTX_CONNECT,
    CTX_CUSTOMER,
    CTX_INBOUND,
    CTX_MACHINE,
    CTX_SAFE_HARBOR,
    CTX_TRANSFER,
    VAR_AGENT_ID,
    VAR_AMD,
    VAR_CALL_ID,
    VAR_LEG_ID,
    VAR_MACHINE_MSG,
    VAR_TRANSFER_TO,
)
from simulations.pbx import channels as ev
from simulations.pbx.channels import Activity, Bridge, Channel, Leg
from simulations.pbx.config import ConferenceUpdate

if TYPE_CHECKING:
    from simulations.pbx.switch import Switch

log = logging.getLogger(__name__)


class Dialplan:
    """The contexts of extensions_dialer.conf, and the conferences and bridges channels meet in."""

    def __init__(self, switch: Switch) -> None:
        self.sw = switch
        self.conferences: dict[str, Bridge] = {}
        self.hooks: list[Callable[[ConferenceUpdate], None]] = []

    # --- our dialplan ---------------------------------------------------------------------------
    def run_context(self, ch: Channel, context: str, exten: str) -> None:
        """Run ``context``/``exten`` of extensions_dialer.conf on ``ch`` from priority 1."""
        leg = ch.leg
        assert leg is not None
        ch.context, ch.exten, ch.priority = context, exten, 1
        if context == CTX_CUSTOMER:
            if ch.variables.get(VAR_AMD) == "1":
                ch.activity, ch.priority, ch.application, ch.app_data = Activity.AMD, 4, "AMD", ""
                self.sw.after(leg, "flow", leg.plan.amd_s, self._amd_done)
            else:
                self._ready(leg)
        elif context in (CTX_AGENT, CTX_CONNECT):
            ch.priority = 3
            self.join_conference(ch, exten)
        elif context == CTX_SAFE_HARBOR:
            self._safe_harbor(leg)
        elif context == CTX_MACHINE:
            self._machine(leg)
        elif context == CTX_INBOUND:
            self._inbound_ready(leg)
        elif context == CTX_TRANSFER:
            # Dial(${DIALER_TRANSFER_TO}): the far party talks with the customer, then the call ends
            ch.activity, ch.application, ch.app_data = Activity.HOLD, "Dial", ch.variables.get(VAR_TRANSFER_TO, "")
            self.sw.after(leg, "flow", max(leg.plan.talk_s, 1.0) if leg.plan.talk_s != float("inf") else 60.0,
                          lambda l: self.sw.near_hangup(l, 16))
        else:
            self.sw.near_hangup(leg, 16)

    def _amd_done(self, leg: Leg) -> None:
        near, plan = leg.near, leg.plan
        leg.amd_status = plan.amd_status
        near.variables["AMDSTATUS"], near.variables["AMDCAUSE"] = plan.amd_status, plan.amd_cause
        self.sw.emit(ev.var_set(near, "AMDSTATUS", plan.amd_status), "dialplan")
        self.sw.emit(ev.var_set(near, "AMDCAUSE", plan.amd_cause), "dialplan")
        self._ready(leg)

    def _ready(self, leg: Leg) -> None:
        near = leg.near
        near.priority = 6
        fields = [
            ("LegId", near.variables.get(VAR_LEG_ID, "")),
            ("CallId", near.variables.get(VAR_CALL_ID, "")),
            ("AMDStatus", near.variables.get("AMDSTATUS", "")),
            ("AMDCause", near.variables.get("AMDCAUSE", "")),
        ]
        self.sw.emit(ev.user_event(near, "DialerCustomerReady", fields), "user")
        self._hold(leg, self._hold_limit(near, self.sw.config.hold_limit_s))

    def _hold(self, leg: Leg, limit_s: float) -> None:
        near = leg.near
        leg.ready_at = self.sw.now()
        near.priority += 1
        near.activity, near.application, near.app_data = Activity.HOLD, "MusicOnHold", f",{limit_s:g}"
        near.moh = True
        self.sw.emit(ev.channel_event("MusicOnHoldStart", near, "Class: default\r\n"))
        self.sw.after(leg, "flow", limit_s, self._hold_expired)

    def _hold_limit(self, ch: Channel, default: float) -> float:
        raw = ch.variables.get("DIALER_HOLD_S", "")
        return float(raw) if _is_number(raw) else default

    def _hold_expired(self, leg: Leg) -> None:
        self.stop_moh(leg.near)
        self.run_context(leg.near, CTX_SAFE_HARBOR, "s")

    def stop_moh(self, ch: Channel) -> None:
        if ch.moh:
            ch.moh = False
            self.sw.emit(ev.channel_event("MusicOnHoldStop", ch))

    def _safe_harbor(self, leg: Leg) -> None:
        near = leg.near
        leg.safe_harbor = True
        near.priority = 2
        fields = [
            ("LegId", near.variables.get(VAR_LEG_ID, "")),
            ("CallId", near.variables.get(VAR_CALL_ID, "")),
        ]
        self.sw.emit(ev.user_event(near, "DialerSafeHarbor", fields), "user")
        near.priority, near.activity, near.application = 4, Activity.PLAYBACK, "Playback"
        self.sw.after(leg, "flow", self.sw.config.safe_harbor_s, self.sw.near_hangup, 16)

    def _machine(self, leg: Leg) -> None:
        near = leg.near
        if not near.variables.get(VAR_MACHINE_MSG, ""):
            near.priority = 5
            self.sw.near_hangup(leg, 16)
            return
        near.priority, near.activity, near.application = 3, Activity.PLAYBACK, "WaitForSilence"
        beep_at = leg.answered_at + leg.plan.greeting_s + 1.5 if leg.plan.machine else self.sw.now() + 1.5
        wait = max(beep_at - self.sw.now(), 0.0)
        self.sw.after(leg, "flow", wait + self.sw.config.machine_message_s, self.sw.near_hangup, 16)

    def _inbound_ready(self, leg: Leg) -> None:
        near = leg.near
        near.priority = 3
        self.sw.emit(
            ev.user_event(near, "DialerInbound", [("Caller", near.caller_num), ("DID", near.exten)]), "user"
        )
        self._hold(leg, self._hold_limit(near, self.sw.config.inbound_hold_limit_s))

    # --- conferences and bridges ----------------------------------------------------------------
    def join_conference(self, ch: Channel, name: str) -> None:
        """ConfBridge(name): create the conference if needed, stop the lone agent's music, enter."""
        leg = ch.leg
        assert leg is not None
        emit = self.sw.emit
        conf = self.conferences.get(name)
        if conf is None:
            conf = self.conferences[name] = Bridge(str(uuid.uuid4()), conference=name)
            emit(ev.bridge_event("BridgeCreate", conf))
            emit(ev.conference_event("ConfbridgeStart", conf))
        if len(conf.members) == 1:
            self.stop_moh(conf.members[0])
        ch.activity, ch.application, ch.app_data = Activity.CONFERENCE, "ConfBridge", name
        ch.bridge = conf
        conf.members.append(ch)
        if leg.kind == "agent" and len(conf.members) == 1:
            ch.moh = True
            emit(ev.channel_event("MusicOnHoldStart", ch, "Class: default\r\n"))
        emit(ev.bridge_member_event("BridgeEnter", conf, ch))
        emit(ev.conference_event("ConfbridgeJoin", conf, ch, "Admin: No\r\nMuted: No\r\n"))
        if ch.variables.get("DIALER_RECORDING") and not ch.mixmonitor:
            self.start_mixmonitor(ch)
        self.notify(ch, name, True)
        if leg.kind != "agent":
            self.start_talk(leg, any(_leg_kind(m) == "agent" for m in conf.members))

    def start_talk(self, leg: Leg, with_agent: bool) -> None:
        if with_agent:
            leg.met_agent = True
        if with_agent and not leg.talking:
            leg.talking = True
            if not leg.plan.machine:
                self.sw.after(leg, "far", leg.plan.talk_s, self.sw.far_hangup, 16)

    def leave(self, ch: Channel, *, resume_other: bool = True) -> None:
        """Take ``ch`` out of its conference or bridge, with the events the rest of the room causes."""
        room, emit = ch.bridge, self.sw.emit
        if room is None:
            return
        ch.bridge = None
        self.stop_moh(ch)
        if room.conference:
            room.members.remove(ch)
            emit(ev.conference_event("ConfbridgeLeave", room, ch, "Admin: No\r\n"))
            emit(ev.bridge_member_event("BridgeLeave", room, ch))
            self.notify(ch, room.conference, False)
            if len(room.members) == 1 and _leg_kind(room.members[0]) == "agent":
                lone = room.members[0]
                lone.moh = True
                emit(ev.channel_event("MusicOnHoldStart", lone, "Class: default\r\n"))
            elif not room.members:
                self.conferences.pop(room.conference, None)
                emit(ev.conference_event("ConfbridgeEnd", room))
                emit(ev.bridge_event("BridgeDestroy", room))
            return
        room.members.remove(ch)
        emit(ev.bridge_member_event("BridgeLeave", room, ch))
        others = list(room.members)
        room.members.clear()
        for other in others:
            other.bridge = None
            emit(ev.bridge_member_event("BridgeLeave", room, other))
        emit(ev.bridge_event("BridgeDestroy", room))
        self.notify(ch, _conference_of(ch, others), False)
        if resume_other:
            for other in others:
                self._after_bridge(other)

    def _after_bridge(self, ch: Channel) -> None:
        """A bridge ended under ``ch``: it resumes at the next priority of its dialplan."""
        leg = ch.leg
        assert leg is not None
        if ch.context == CTX_AGENT:
            self.join_conference(ch, ch.exten)
        elif ch.context in (CTX_CUSTOMER, CTX_INBOUND) and not ch.variables.get(VAR_AGENT_ID):
            self.run_context(ch, CTX_SAFE_HARBOR, "s")
        else:
            ch.priority += 1
            self.sw.near_hangup(leg, 16)

    def bridge(self, one: Channel, two: Channel) -> None:
        """The Bridge action: both channels leave what they were in and meet in a basic bridge."""
        room = Bridge(str(uuid.uuid4()))
        self.sw.emit(ev.bridge_event("BridgeCreate", room))
        for ch in (one, two):
            leg = ch.leg
            assert leg is not None
            self.sw.cancel(leg, "flow")
            self.stop_moh(ch)
            self.leave(ch, resume_other=False)
            ch.priority += 1
        for ch in (one, two):
            ch.activity, ch.bridge = Activity.BRIDGE, room
            room.members.append(ch)
            self.sw.emit(ev.bridge_member_event("BridgeEnter", room, ch))
        kinds = {_leg_kind(one), _leg_kind(two)}
        for ch in (one, two):
            leg = ch.leg
            assert leg is not None
            if leg.kind != "agent":
                self.start_talk(leg, "agent" in kinds)
                self.notify(ch, _conference_of(ch, [one, two]), True)

    def redirect(self, ch: Channel, context: str, exten: str) -> None:
        """The Redirect action: leave the current application and run ``context``/``exten``."""
        leg = ch.leg
        assert leg is not None
        if ch is leg.far:  # redirecting the far half: it simply hangs up in our model
            self.sw.far_hangup(leg, 16)
            return
        self.sw.cancel(leg, "flow")
        self.stop_moh(ch)
        self.leave(ch)
        self.run_context(ch, context, exten)

    def notify(self, ch: Channel, conference: str, joined: bool) -> None:
        if not self.hooks or not conference:
            return
        update = ConferenceUpdate(self.sw.now(), conference, ch.name, ch.uniqueid, _leg_kind(ch), joined)
        for hook in list(self.hooks):
            try:
                hook(update)
            except Exception:
                log.exception("conference hook failed for %s on %s", ch.name, conference)

    # --- recordings -----------------------------------------------------------------------------
    def start_mixmonitor(self, ch: Channel) -> None:
        ch.mixmonitor = True
        self.sw.emit(ev.channel_event("MixMonitorStart", ch))

    def stop_mixmonitor(self, ch: Channel) -> bool:
        if not ch.mixmonitor:
            return False
        ch.mixmonitor = False
        self.sw.emit(ev.channel_event("MixMonitorStop", ch))
        return True


def _leg_kind(ch: Channel) -> str:
    return ch.leg.kind if ch.leg is not None else ""


def _conference_of(ch: Channel, members: list[Channel]) -> str:
    """The agent conference a basic bridge stands for (the agent leg's exten), for hooks."""
    for m in [ch, *members]:
        if m.context == CTX_AGENT:
            return m.exten
    return ""


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True
