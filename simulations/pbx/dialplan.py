"""Our dialplan on the simulated PBX: the parsed ``asterisk/extensions_dialer.conf``
(``PbxConfig.dialplan_path``) run by ``Interpreter``, and the conferences (ConfBridge) and basic bridges
(the Bridge action) channels meet in.

``Dialplan`` emits the events Asterisk 22 emits for conferences and bridges (see the recordings d1, d2,
g, i3) and asks the ``Switch`` for timers and hang-ups.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from dialer.pbx_port import CTX_AGENT
from simulations.pbx import channels as ev
from simulations.pbx.channels import Activity, Bridge, Channel, Leg, OriginateSpec
from simulations.pbx.conf_parser import Conf
from simulations.pbx.config import ConferenceUpdate, DialplanFault
from simulations.pbx.interpreter import Interpreter
from simulations.pbx.mix_recorder import MixRecording
from simulations.pbx.mix_recorder import target as mix_target

if TYPE_CHECKING:
    from simulations.pbx.switch import Switch

log = logging.getLogger(__name__)


class Dialplan:
    """The dialplan file run on channels, and the conferences and bridges channels meet in."""

    def __init__(self, switch: Switch) -> None:
        self.sw = switch
        self.conf = Conf.load(switch.config.dialplan_path)
        self.interpreter = Interpreter(switch, self, self.conf)
        self.conferences: dict[str, Bridge] = {}
        self.hooks: list[Callable[[ConferenceUpdate], None]] = []

    @property
    def faults(self) -> list[DialplanFault]:
        """Channels hung up because their dialplan looped or called an unknown application."""
        return self.interpreter.faults

    def exists(self, context: str, exten: str, priority: int = 1) -> bool:
        """Whether the dialplan has ``context``/``exten`` (Originate and Redirect refuse otherwise)."""
        return self.conf.exists(context, exten, priority)

    # --- our dialplan ---------------------------------------------------------------------------
    def run_context(self, ch: Channel, context: str, exten: str) -> None:
        """Run ``context``/``exten`` of the dialplan on ``ch`` from priority 1."""
        self.interpreter.start(ch, context, exten)

    def has_failed_extension(self, spec: OriginateSpec) -> bool:
        """Whether a failure of ``spec`` runs a ``failed`` extension (its landing context has one)."""
        return self.interpreter.has_failed_extension(spec)

    def run_failed(self, spec: OriginateSpec, reason: int, respond: Callable[[], None]) -> None:
        """Run ``failed`` on an OutgoingSpoolFailed channel; ``respond`` sends the held OriginateResponse."""
        self.interpreter.run_failed(spec, reason, respond)

    def stop_moh(self, ch: Channel) -> None:
        if ch.moh:
            ch.moh = False
            self.sw.emit(ev.channel_event("MusicOnHoldStop", ch))

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
        """A bridge ended under ``ch``: it resumes at the priority after the one it was taken from."""
        self.interpreter.run(ch)

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
        busy = ch.application.lower() if "flow" in leg.timers else ""
        self.sw.cancel(leg, "flow")
        self.stop_moh(ch)
        if busy == "waitdigit":   # Asterisk 22 (recording m1): the music stops, then WaitDigit ends with CANCEL
            self.interpreter.set_variable(ch, "WAITDIGITSTATUS", "CANCEL")
        elif busy == "playback":  # a Playback cut short by a Redirect ends with SUCCESS (recording m1, caller C)
            self.interpreter.set_variable(ch, "PLAYBACKSTATUS", "SUCCESS")
        self.interpreter.spies.stop(ch)   # a spy switching mode: ChanSpyStop, then the new extension's ChanSpyStart
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
    def start_mixmonitor(self, ch: Channel, file: str = "") -> None:
        ch.mixmonitor = True
        ch.mix = MixRecording(mix_target(self.sw.config.recordings_dir, file), self.sw.now())
        self.sw.emit(ev.channel_event("MixMonitorStart", ch))

    def stop_mixmonitor(self, ch: Channel) -> bool:
        if not ch.mixmonitor:
            return False
        self.close_mixmonitor(ch)
        self.sw.emit(ev.channel_event("MixMonitorStop", ch))
        return True

    def close_mixmonitor(self, ch: Channel) -> None:
        """The recording ends (StopMixMonitor, or the channel hangs up): its file is written."""
        ch.mixmonitor = False
        if ch.mix is not None:
            ch.mix.stop(self.sw.now())
            ch.mix = None

    def mute_mixmonitor(self, ch: Channel, direction: str, muted: bool) -> bool:
        """MixMonitorMute: False when the channel has no MixMonitor (Asterisk: "Cannot set mute flag"). A muted
        direction writes silence; the simulated file mutes on ``both`` (and on either one: it has one stream)."""
        if not ch.mixmonitor:
            return False
        if ch.mix is not None:
            ch.mix.mute(self.sw.now(), muted)
        state = "1" if muted else "0"
        self.sw.emit(ev.channel_event("MixMonitorMute", ch, f"Direction: {direction}\r\nState: {state}\r\n"))
        return True


def _leg_kind(ch: Channel) -> str:
    return ch.leg.kind if ch.leg is not None else ""


def _conference_of(ch: Channel, members: list[Channel]) -> str:
    """The agent conference a basic bridge stands for (the agent leg's exten), for hooks."""
    for m in [ch, *members]:
        if m.context == CTX_AGENT:
            return m.exten
    return ""
