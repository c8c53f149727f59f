"""AMI actions that report or configure the session, not calls: Ping, CoreSettings, CoreStatus,
CoreShowChannels, Status, Events, Filter, UserEvent, Command (``core show sound``, ``moh show classes``,
``core restart now``, ...), ConfbridgeListRooms, ConfbridgeList, Logoff; replies as Asterisk 22 sends them.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from simulations.pbx import faults, wire
from simulations.pbx.asterisk_args import cli_args
from simulations.pbx.channels import STATE_DESC, Bridge, Channel, duration
from simulations.pbx.sounds import sound_exists

if TYPE_CHECKING:
    from simulations.pbx.server import SimulatedPbx
    from simulations.pbx.session import AmiSession


def channel_value(ch: Channel, var: str, now: float) -> str:
    """A channel variable or one of the few functions the engine may read."""
    if var == "CHANNEL(state)":
        return STATE_DESC[ch.state]
    if var == "CHANNEL(name)":
        return ch.name
    if var in ("CALLERID(name)", "CALLERID(num)"):
        value = ch.caller_name if var == "CALLERID(name)" else ch.caller_num
        return "" if value == "<unknown>" else value
    if var in ("UNIQUEID", "CHANNEL(uniqueid)"):
        return ch.uniqueid
    if var == "CDR(duration)":
        return str(int(now - ch.created_at))
    if var.startswith("GLOBAL("):
        return ""
    return ch.variables.get(var, "")


def core_show_channels(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    aid, now = req.action_id, pbx.switch.now()
    chans = list(reversed(pbx.switch.channels.values()))
    parts = [wire.response("Success", aid, [("EventList", "start"), ("Message", "Channels will follow")])]
    for ch in chans:
        bridge_id = ch.bridge.uniqueid if ch.bridge is not None else ""
        parts.append(
            wire.list_event(
                "CoreShowChannel",
                aid,
                ch.block() + f"Application: {ch.application}\r\nApplicationData: {ch.app_data}\r\n"
                f"Duration: {duration(now - ch.created_at)}\r\nBridgeId: {bridge_id}\r\n",
            )
        )
    parts.append(
        wire.list_event(
            "CoreShowChannelsComplete", aid, f"EventList: Complete\r\nListItems: {len(chans)}\r\n"
        )
    )
    s.reply("".join(parts))


def status(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    aid, name, now = req.action_id, req.get("Channel") or "", pbx.switch.now()
    if name:
        ch = pbx.switch.find(name)
        if ch is None:
            return s.reply(wire.error(aid, "No such channel"))
        chans = [ch]
    else:
        chans = list(reversed(pbx.switch.channels.values()))
    wanted = [v.strip() for v in (req.get("Variables") or "").split(",") if v.strip()]
    parts = [
        wire.response("Success", aid, [("EventList", "start"), ("Message", "Channel status will follow")])
    ]
    for ch in chans:
        variables = "".join(f"Variable: {v}={channel_value(ch, v, now) or '(null)'}\r\n" for v in wanted)
        bridge_id = ch.bridge.uniqueid if ch.bridge is not None else ""
        tech = ch.name.split("/", 1)[0]
        parts.append(
            f"Event: Status\r\nPrivilege: Call\r\n{ch.block()}Type: {tech}\r\nDNID: \r\n"
            f"EffectiveConnectedLineNum: {ch.connected_num}\r\n"
            f"EffectiveConnectedLineName: {ch.connected_name}\r\nTimeToHangup: 0\r\nBridgeID: {bridge_id}\r\n"
            f"Application: {ch.application}\r\nData: {ch.app_data}\r\nNativeformats: (slin)\r\n"
            "Readformat: slin\r\nReadtrans: \r\nWriteformat: slin\r\nWritetrans: \r\n"
            f"Callgroup: 0\r\nPickupgroup: 0\r\nSeconds: {int(now - ch.created_at)}\r\n{variables}"
            f"{wire.action_id_line(aid)}\r\n"
        )
    parts.append(
        wire.list_event(
            "StatusComplete",
            aid,
            f"EventList: Complete\r\nListItems: {len(chans)}\r\n" f"Items: {len(chans)}\r\n",
        )
    )
    s.reply("".join(parts))


def ping(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    s.reply(wire.response("Success", req.action_id, [("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")]))


def core_settings(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    c = pbx.config
    s.reply(
        wire.response(
            "Success",
            req.action_id,
            [
                ("AMIversion", wire.AMI_VERSION),
                ("AsteriskVersion", wire.ASTERISK_VERSION),
                ("SystemName", c.system_name),
                ("CoreMaxCalls", str(c.max_calls)),
                ("CoreMaxLoadAvg", "0.000000"),
                ("CoreRunUser", ""),
                ("CoreRunGroup", ""),
                ("CoreMaxFilehandles", "0"),
                ("CoreRealTimeEnabled", "No"),
                ("CoreCDRenabled", "Yes"),
                ("CoreHTTPenabled", "No"),
                ("SoundsSearchCustomDir", "No"),
            ],
        )
    )


def core_status(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    started = time.localtime(pbx.switch.started_wall)
    day, clock = time.strftime("%Y-%m-%d", started), time.strftime("%H:%M:%S", started)
    calls = sum(1 for ch in pbx.switch.channels.values() if not ch.name.endswith(";2"))
    s.reply(
        wire.response(
            "Success",
            req.action_id,
            [
                ("CoreStartupDate", day),
                ("CoreStartupTime", clock),
                ("CoreReloadDate", day),
                ("CoreReloadTime", clock),
                ("CoreCurrentCalls", str(calls)),
                ("CoreProcessedCalls", str(pbx.switch.processed_calls)),
            ],
        )
    )


def events(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    s.set_event_mask(req.get("EventMask") or "off")
    s.reply(wire.response("Success", req.action_id, [("Events", "On" if s.events_on else "Off")]))


def filter_(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    raw = req.get("Filter") or ""
    if (req.get("Operation") or "Add").lower() != "add" or not raw:
        return s.reply(wire.error(req.action_id, "Unknown operation"))
    try:
        s.add_filter(raw)
    except re.error:
        return s.reply(wire.error(req.action_id, "Filter Not Added"))
    s.reply(wire.success(req.action_id, "Success"))


def user_event(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    name = req.get("UserEvent") or ""
    s.reply(wire.success(req.action_id, "Event Sent"))
    rest = "".join(
        f"{k}: {v}\r\n" for k, v in req.headers if k.lower() not in ("action", "actionid", "userevent")
    )
    pbx.emit(
        f"Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: {name}\r\n"
        f"{wire.action_id_line(req.action_id)}{rest}\r\n",
        "user",
    )


# Languages and format ``core show sound`` lists for a core sound, as the real Asterisk 22.10.1 on our build
# machine answers (Debian's asterisk-core-sounds-en: en and en_US link to en_US_f_Allison, .wav = slin)
CORE_SOUND_LANGUAGES = ("en_US_f_Allison", "en_US", "en")
SOUND_FORMAT = "slin"
SHOW_SOUND_USAGE = [
    "Usage: core show sound [soundid]",
    "       Shows information about the specified sound.",
]
_SHUTDOWN_MODES = {
    ("now",): faults.NOW,
    ("gracefully",): faults.GRACEFULLY,
    ("when", "convenient"): faults.WHEN_CONVENIENT,
}


def command(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    """The ``Command`` action: the CLI commands the engine and the tests use, answered as manager.c
    ``action_command`` does (``Success`` or ``Error`` by the CLI result, then ``Output`` lines)."""
    cmd, aid = req.get("Command") or "", req.action_id
    if not cmd:
        return s.reply(wire.error(aid, "No command provided"))
    words = cli_args(cmd)
    if words[:2] in (["core", "restart"], ["core", "stop"]) and tuple(words[2:]) in _SHUTDOWN_MODES:
        # the session's thread runs the shutdown: no reply, no event on this session any more
        mode = _SHUTDOWN_MODES[tuple(words[2:])]
        pbx.faults.start_shutdown(restart=words[1] == "restart", mode=mode, issuer=s)
        return None
    ok, lines = True, []
    if words == ["core", "show", "version"]:
        lines = [f"Asterisk {wire.ASTERISK_VERSION} (simulations.pbx)"]
    elif words == ["core", "show", "channels", "concise"]:
        lines = [
            f"{c.name}!{c.context}!{c.exten}!{c.priority}!{STATE_DESC[c.state]}!{c.application}!"
            f"{c.app_data}!{c.caller_num}!!!3!{int(pbx.switch.now() - c.created_at)}!!{c.uniqueid}"
            for c in pbx.switch.channels.values()
        ]
    elif words[:3] == ["core", "show", "sound"]:
        ok, lines = show_sound(pbx, cmd, words)
    elif words == ["moh", "show", "classes"]:    # res_musiconhold's listing (recording r1)
        lines = [line for name in sorted(pbx.config.moh_classes)
                 for line in (f"Class: {name}", "\tMode: files", "\tDirectory: moh")]
    else:
        first = " ".join(cmd.split()[:2])
        help_hint = f"(type 'core show help {first}' for other possible commands)"
        ok, lines = False, [f"No such command '{cmd}' {help_hint}"]
    s.reply(
        wire.response(
            "Success" if ok else "Error",
            aid,
            [("Message", "Command output follows")] + [("Output", ln) for ln in lines],
        )
    )
    return None


def show_sound(pbx: SimulatedPbx, cmd: str, words: list[str]) -> tuple[bool, list[str]]:
    """``core show sound NAME`` (main/sounds.c): the CLI result and its output lines."""
    if len(words) != 4:
        return False, SHOW_SOUND_USAGE
    name = words[3]
    extra = pbx.config.extra_sounds
    if not sound_exists(name, extra):
        return False, [f"ERROR: File {name} not found in index", f"Command '{cmd}' failed."]
    languages = ("en",) if extra and name in extra else CORE_SOUND_LANGUAGES
    lines = [f"Indexed Information for {name}:"]
    for language in languages:
        lines += [f"  Language {language}:", f"    Format: {SOUND_FORMAT}"]
    return True, lines


def confbridge_list_rooms(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    """ConfbridgeListRooms (app_confbridge.c): no conference at all is an Error, not an empty list (i5)."""
    aid, rooms = req.action_id, list(pbx.switch.dialplan.conferences.values())
    if not rooms:
        return s.reply(wire.error(aid, "No active conferences."))
    parts = [_list_start(aid, "Confbridge conferences will follow")]
    for room in rooms:
        parts.append(
            wire.list_event(
                "ConfbridgeListRooms",
                aid,
                f"Conference: {room.conference}\r\nParties: {len(room.members)}\r\nMarked: 0\r\n"
                "Locked: No\r\nMuted: No\r\n",
            )
        )
    complete = f"EventList: Complete\r\nListItems: {len(rooms)}\r\n"
    parts.append(wire.list_event("ConfbridgeListRoomsComplete", aid, complete))
    s.reply("".join(parts))
    return None


def confbridge_list(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    """ConfbridgeList: one event per member (the customer by its ;1 half), as recorded in i5."""
    aid, name = req.action_id, req.get("Conference") or ""
    room, error = find_conference(pbx, name)
    if room is None:
        return s.reply(wire.error(aid, error))
    now = pbx.switch.now()
    parts = [_list_start(aid, "Confbridge user list will follow")]
    for ch in room.members:
        leg = ch.leg
        up = int(now - leg.answered_at) if leg is not None and leg.answered_at >= 0 else 0
        muted = "Yes" if ch.uniqueid in pbx.conference_muted else "No"
        parts.append(
            wire.list_event(
                "ConfbridgeList",
                aid,
                f"Conference: {room.conference}\r\nAdmin: No\r\nMarkedUser: No\r\nWaitMarked: No\r\n"
                f"EndMarked: No\r\nEndMarkedAny: No\r\nWaiting: No\r\nMuted: {muted}\r\nTalking: No\r\n"
                f"AnsweredTime: {up}\r\n{ch.block()}",
            )
        )
    complete = f"EventList: Complete\r\nListItems: {len(room.members)}\r\n"
    parts.append(wire.list_event("ConfbridgeListComplete", aid, complete))
    s.reply("".join(parts))
    return None


def _list_start(action_id: str | None, message: str) -> str:
    return wire.response("Success", action_id, [("EventList", "start"), ("Message", message)])


def find_conference(pbx: SimulatedPbx, name: str) -> tuple[Bridge | None, str]:
    """The live conference ``name``, or None and app_confbridge's error message."""
    if not name:
        return None, "No Conference name provided."
    rooms = pbx.switch.dialplan.conferences
    if not rooms:
        return None, "No active conferences."
    room = rooms.get(name)
    return (room, "") if room is not None else (None, "No Conference by that name found.")


def logoff(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    s.reply(wire.response("Goodbye", req.action_id, [("Message", "Thanks for all the fish.")]))
    s.close_after_flush()
