"""AMI actions that act on calls (Originate, Redirect, PlayDTMF, Bridge, Hangup, Getvar/Setvar, MixMonitor,
ConfbridgeKick, ConfbridgeMute/Unmute) and the dispatch of every action; Asterisk 22's replies and error
messages, as recorded.

``dispatch`` answers ``Permission denied`` to an action outside the user's ``write`` classes
(``manager_conf.ACTION_CLASSES``), as manager.c does. Each handler takes the PBX, the session and the
request, answers with ``session.reply`` and asks the ``Switch`` to act. Reporting actions live in
``queries``; login and the MD5 challenge in ``session``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from dialer.pbx_port import CTX_INBOUND
from simulations.pbx import queries, wire
from simulations.pbx.asterisk_args import channel_variables, escape_c, originate_variables
from simulations.pbx.channels import DIALPLAN, OriginateSpec, channel_event, conference_event, var_set
from simulations.pbx.config import OriginateRecord
from simulations.pbx.fates import parse_dial_string
from simulations.pbx.manager_conf import may_send
from simulations.pbx.queries import channel_value

TEST_NETWORK = "dialer-test-network"   # asterisk/extensions_test_network.conf

if TYPE_CHECKING:
    from simulations.pbx.channels import Channel
    from simulations.pbx.server import SimulatedPbx
    from simulations.pbx.session import AmiSession
    from simulations.pbx.switch import Switch

Handler = Callable[["SimulatedPbx", "AmiSession", wire.Request], None]


def _unescape_quoted(text: str) -> str:
    """utils.c ``ast_unescape_quoted``: a backslash makes the next character literal and goes."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 1
            if i >= len(text):
                break
        out.append(text[i])
        i += 1
    return "".join(out)


def parse_caller_id(raw: str | None) -> tuple[str, str]:
    """``"Name" <num>`` or ``num`` -> (num, name), with Asterisk's ``<unknown>`` for missing parts.

    As callerid.c ``ast_callerid_parse``: the number is between the last ``<`` and ``>``; the name before it
    loses its blanks and one pair of surrounding quotes, then ``ast_unescape_quoted`` drops each escaping
    backslash (checked on Asterisk 22.10.1: ``"say \\"hi\\", Việt | x" <1>`` gives ``say "hi", Việt | x``).
    """
    if not raw:
        return "<unknown>", "<unknown>"
    text = raw.strip()
    ls = text.rfind("<")
    if ls < 0:
        return text, "<unknown>"
    le = text.rfind(">", ls)
    number = text[ls + 1 : le if le >= 0 else len(text)]
    name = text[:ls].strip()
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
        name = name[1:-1]
    name = _unescape_quoted(name)
    return number or "<unknown>", name or "<unknown>"


def parse_variables(values: list[str]) -> dict[str, str]:
    """Originate's ``Variable`` headers as the channel ends up holding them (``asterisk_args``)."""
    return channel_variables(originate_variables(values))


def originate(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    aid = req.action_id
    channel = (req.get("Channel") or "").strip()
    if not channel:
        return s.reply(wire.error(aid, "Channel not specified"))
    exten, context = req.get("Exten") or "", req.get("Context") or ""
    priority, application = req.get("Priority") or "", req.get("Application") or ""
    if not application and (not exten or not context or not priority):
        return s.reply(wire.error(aid, "Originate with 'Exten' requires 'Context' and 'Priority'"))
    if not application and not priority.strip().isdigit():
        return s.reply(wire.error(aid, "Invalid priority"))
    target = parse_dial_string(channel)
    if target is None:
        return s.reply(wire.error(aid, "Invalid channel"))
    caller_stay = _pretend_caller_stay(target.context if target.local else "", context, exten)
    if caller_stay is None and not application and not pbx.switch.dialplan.exists(context, exten):
        return s.reply(wire.error(aid, "Extension does not exist."))
    variables = parse_variables(req.get_all("Variable"))
    timeout_ms = req.get("Timeout") or "30000"
    timeout_s = int(timeout_ms) / 1000.0 if timeout_ms.strip().isdigit() else 30.0
    channel_id = req.get("ChannelId") or None
    sw = pbx.switch
    pbx.originate_log.append(
        OriginateRecord(sw.now(), aid, channel, channel_id, dict(variables), context, exten)
    )
    pbx.log_originate(channel, context, exten, aid)
    synchronous = (req.get("Async") or "false").strip().lower() not in ("true", "yes", "1", "on")

    def sync_result(ok: bool) -> None:
        s.unblock(
            wire.success(aid, "Originate successfully queued") if ok else wire.error(aid, "Originate failed")
        )

    if synchronous:  # Asterisk answers only when the call is answered or failed, and holds events
        s.block()
    else:
        s.reply(wire.success(aid, "Originate successfully queued"))
    spec = OriginateSpec(
        target=target,
        dial=channel,
        context=context,
        exten=exten,
        variables=variables,
        caller=parse_caller_id(req.get("CallerID")),
        timeout_s=timeout_s,
        action_id=aid,
        channel_id=channel_id,
        other_channel_id=req.get("OtherChannelId") or None,
        application=application,
        app_data=req.get("Data") or "",
        on_sync_result=sync_result if synchronous else None,
    )
    if caller_stay is not None:
        sw.pretend_caller(spec, caller_stay)
        return
    sw.originate(spec)


def _pretend_caller_stay(local_context: str, context: str, exten: str) -> float | None:
    """Seconds a pretend inbound caller stays (``Local/<did>@dialer-inbound`` into the test network's
    ``caller-<N>``, ``asterisk/extensions_test_network.conf``; N empty: 30), or None for any other originate."""
    if local_context != CTX_INBOUND or context != TEST_NETWORK or not exten.startswith("caller-"):
        return None
    stay = exten[len("caller-"):]
    return float(stay) if stay.isdigit() else 30.0 if not stay else None


def redirect(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    aid, name = req.action_id, (req.get("Channel") or "")
    if not name:
        return s.reply(wire.error(aid, "Channel not specified"))
    ch = pbx.switch.find(name)
    if ch is None:
        return s.reply(wire.error(aid, f"Channel does not exist: {name}"))
    context, exten = req.get("Context") or ch.context, req.get("Exten") or ""
    if not pbx.switch.dialplan.exists(context, exten):
        return s.reply(wire.error(aid, "Extension does not exist."))
    s.reply(wire.success(aid, "Redirect successful"))
    pbx.switch.dialplan.redirect(ch, context, exten)


def play_dtmf(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    """``PlayDTMF`` (Asterisk 22, recording m1): ``Receive: true`` emulates the key arriving on the channel (what a
    caller pressing it does: a ``WaitDigit`` there takes it); without it the key is sent out to the far end, which
    the simulated far ends ignore. An unknown channel: "Channel not found"."""
    aid = req.action_id
    ch = pbx.switch.find(req.get("Channel") or "")
    if ch is None or ch.leg is None:
        return s.reply(wire.error(aid, "Channel not found"))
    digit = (req.get("Digit") or "").strip()[:1]
    if not digit:
        return s.reply(wire.error(aid, "No digit specified"))
    s.reply(wire.success(aid, "DTMF successfully queued"))
    if (req.get("Receive") or "").strip().lower() in ("true", "yes", "1", "on"):
        press_key(pbx.switch, ch, digit)


def press_key(switch: Switch, ch: Channel, digit: str) -> None:
    """A key received on ``ch``: DTMFBegin/DTMFEnd (class dtmf), then the dialplan's WaitDigit, if any, takes it."""
    block = ch.block()
    privilege = "Privilege: dtmf,all\r\n"
    switch.emit(f"Event: DTMFBegin\r\n{privilege}{block}Digit: {digit}\r\nDirection: Received\r\n\r\n", "dtmf")
    switch.emit(f"Event: DTMFEnd\r\n{privilege}{block}Digit: {digit}\r\nDurationMs: 120\r\n"
                "Direction: Received\r\n\r\n", "dtmf")
    switch.dialplan.interpreter.dtmf(ch, digit)


def bridge(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    aid, one, two = req.action_id, req.get("Channel1") or "", req.get("Channel2") or ""
    if not one or not two:
        return s.reply(wire.error(aid, "Missing channel parameter in request"))
    ch1 = pbx.switch.find(one, prefix=True)
    if ch1 is None:
        return s.reply(wire.error(aid, f"Channel1 does not exist: {one}"))
    ch2 = pbx.switch.find(two, prefix=True)
    if ch2 is None:
        return s.reply(wire.error(aid, f"Channel2 does not exist: {two}"))
    s.reply(wire.success(aid, "Channels have been bridged"))
    pbx.switch.dialplan.bridge(ch1, ch2)


def hangup(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    aid, name = req.action_id, req.get("Channel") or ""
    cause_raw = (req.get("Cause") or "16").strip()
    cause = int(cause_raw) if cause_raw.isdigit() else 16
    if not name:
        return s.reply(wire.error(aid, "No channel specified"))
    sw = pbx.switch
    if len(name) > 1 and name.startswith("/") and name.endswith("/"):
        try:
            regex = re.compile(name[1:-1])
        except re.error:
            return s.reply(wire.error(aid, "Invalid regex"))
        hits = [ch for n, ch in sw.channels.items() if regex.search(n)]
        parts = [
            wire.response(
                "Success", aid, [("EventList", "start"), ("Message", "Channels hung up will follow")]
            )
        ]
        aid_line = wire.action_id_line(aid)
        parts += [wire.list_event("ChannelHungup", None, f"Channel: {ch.name}\r\n{aid_line}") for ch in hits]
        parts.append(
            wire.list_event(
                "ChannelsHungupListComplete", aid, f"EventList: Complete\r\nListItems: {len(hits)}\r\n"
            )
        )
        s.reply("".join(parts))
        for hit in hits:
            if hit.leg is not None and not hit.leg.done:  # not gone with its other half already
                sw.hangup(hit, cause)
        return
    ch = sw.find(name)
    if ch is None:
        return s.reply(wire.error(aid, "No such channel"))
    s.reply(wire.success(aid, "Channel Hungup"))
    sw.hangup(ch, cause)


def getvar(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    aid, name, var = req.action_id, req.get("Channel") or "", req.get("Variable") or ""
    if not var:
        return s.reply(wire.error(aid, "No variable specified"))
    if not name:
        bare = var[7:-1] if var.startswith("GLOBAL(") and var.endswith(")") else var
        value = pbx.switch.global_vars.get(bare, "")
    else:
        ch = pbx.switch.find(name)
        if ch is None:
            return s.reply(wire.error(aid, "No such channel"))
        value = channel_value(ch, var, pbx.switch.now())
    s.reply(wire.response("Success", aid, [("Variable", var), ("Value", value)]))


def setvar(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    aid, name, var = req.action_id, req.get("Channel") or "", req.get("Variable") or ""
    value = req.get("Value") or ""
    if not var:
        return s.reply(wire.error(aid, "No variable specified"))
    if not name:  # a global variable: its VarSet names no channel (as after a restart in i4)
        bare = var[7:-1] if var.startswith("GLOBAL(") and var.endswith(")") else var
        pbx.switch.global_vars[bare] = value
        s.reply(wire.success(aid, "Variable Set"))
        return pbx.emit(
            f"Event: VarSet\r\n{DIALPLAN}Channel: none\r\nUniqueid: none\r\nVariable: {bare}\r\n"
            f"Value: {escape_c(value)}\r\n\r\n",
            "dialplan",
        )
    ch = pbx.switch.find(name)
    if ch is None:
        return s.reply(wire.error(aid, "No such channel"))
    s.reply(wire.success(aid, "Variable Set"))
    ch.variables[var] = value

    pbx.emit(var_set(ch, var, value), "dialplan")


def mixmonitor(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    aid, name = req.action_id, req.get("Channel") or ""
    if not name:
        return s.reply(wire.error(aid, "No channel specified"))
    ch = pbx.switch.find(name)
    if ch is None:
        return s.reply(wire.error(aid, "No such channel"))
    options = req.get("Options") or ""
    fields = [("MixMonitorID", f"0x{id(ch) & 0xFFFFFFFFFFFF:x}")] if "i(" in options else []
    s.reply(wire.response("Success", aid, fields))
    pbx.recordings.append((ch.uniqueid, req.get("File") or ""))
    pbx.switch.dialplan.start_mixmonitor(ch, req.get("File") or "")


def stop_mixmonitor(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    aid, name = req.action_id, req.get("Channel") or ""
    ch = pbx.switch.find(name) if name else None
    if ch is None:
        return s.reply(wire.error(aid, "No such channel"))
    if not pbx.switch.dialplan.stop_mixmonitor(ch):
        return s.reply(wire.error(aid, "Could not stop monitoring channel"))
    s.reply(wire.response("Success", aid))


def mixmonitor_mute(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    """MixMonitorMute (apps/app_mixmonitor.c manager_mute_mixmonitor; recording g): Success, then the event
    MixMonitorMute with the channel, Direction and State."""
    aid, name = req.action_id, req.get("Channel") or ""
    direction, state = (req.get("Direction") or "").strip(), (req.get("State") or "").strip()
    if not name:
        return s.reply(wire.error(aid, "No channel specified"))
    if not direction:
        return s.reply(wire.error(aid, "No direction specified. Must be read, write or both"))
    if not state:
        return s.reply(wire.error(aid, "No state specified"))
    if direction.lower() not in ("read", "write", "both"):
        return s.reply(wire.error(aid, "Invalid direction specified. Must be read, write or both"))
    ch = pbx.switch.find(name)
    if ch is None:
        return s.reply(wire.error(aid, "No such channel"))
    muted = state.lower() not in ("0", "no", "false", "n", "f", "off")   # Asterisk: clearmute = ast_false(State)
    if not ch.mixmonitor:
        return s.reply(wire.error(aid, "Cannot set mute flag"))
    s.reply(wire.response("Success", aid))
    pbx.switch.dialplan.mute_mixmonitor(ch, direction, muted)


def confbridge_kick(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    """ConfbridgeKick (app_confbridge.c): CONFBRIDGE_RESULT=KICKED, the member leaves and its dialplan goes
    on (``[dialer-connect]`` hangs up, ``[dialer-agent]`` ends); an agent left alone keeps its music (i5)."""
    aid, name = req.action_id, req.get("Channel") or ""
    room, error = queries.find_conference(pbx, req.get("Conference") or "")
    if room is None:
        return s.reply(wire.error(aid, error))
    everyone = name.lower() == "all"
    targets = [ch for ch in room.members if everyone or ch.name.lower() == name.lower()]
    if not targets:
        return s.reply(wire.error(aid, "No Channel by that name found in Conference."))
    s.reply(wire.success(aid, "All participants kicked" if name == "all" else "User kicked"))
    dialplan = pbx.switch.dialplan
    for ch in targets if everyone else targets[:1]:
        if ch.leg is None or ch.leg.done or ch.bridge is not room:
            continue
        pbx.conference_muted.discard(ch.uniqueid)
        dialplan.interpreter.set_variable(ch, "CONFBRIDGE_RESULT", "KICKED")
        music, ch.moh = ch.moh, False
        dialplan.leave(ch, resume_other=False)
        if music:  # Asterisk stops a lone agent's music after it has left the bridge
            pbx.emit(channel_event("MusicOnHoldStop", ch))
        dialplan.interpreter.resume(ch)


def confbridge_mute(pbx: SimulatedPbx, s: AmiSession, req: wire.Request, *, mute: bool = True) -> None:
    """ConfbridgeMute / ConfbridgeUnmute: the member whose name starts with ``Channel``."""
    aid, name = req.action_id, req.get("Channel") or ""
    if not req.get("Conference"):
        return s.reply(wire.error(aid, "No Conference name provided."))
    if not name:
        return s.reply(wire.error(aid, "No channel name provided."))
    room, error = queries.find_conference(pbx, req.get("Conference") or "")
    if room is None:
        return s.reply(wire.error(aid, error))
    target = next((ch for ch in room.members if ch.name.lower().startswith(name.lower())), None)
    if target is None:
        return s.reply(wire.error(aid, "No Channel by that name found in Conference."))
    s.reply(wire.success(aid, "User muted" if mute else "User unmuted"))
    if mute:
        pbx.conference_muted.add(target.uniqueid)
    else:
        pbx.conference_muted.discard(target.uniqueid)
    event = "ConfbridgeMute" if mute else "ConfbridgeUnmute"
    pbx.emit(conference_event(event, room, target, "Admin: No\r\n"))


def confbridge_unmute(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    confbridge_mute(pbx, s, req, mute=False)


HANDLERS: dict[str, Handler] = {
    "originate": originate,
    "redirect": redirect,
    "playdtmf": play_dtmf,
    "bridge": bridge,
    "hangup": hangup,
    "getvar": getvar,
    "setvar": setvar,
    "mixmonitor": mixmonitor,
    "stopmixmonitor": stop_mixmonitor,
    "mixmonitormute": mixmonitor_mute,
    "coreshowchannels": queries.core_show_channels,
    "status": queries.status,
    "ping": queries.ping,
    "coresettings": queries.core_settings,
    "corestatus": queries.core_status,
    "events": queries.events,
    "filter": queries.filter_,
    "userevent": queries.user_event,
    "command": queries.command,
    "logoff": queries.logoff,
    "confbridgelistrooms": queries.confbridge_list_rooms,
    "confbridgelist": queries.confbridge_list,
    "confbridgekick": confbridge_kick,
    "confbridgemute": confbridge_mute,
    "confbridgeunmute": confbridge_unmute,
}


def dispatch(pbx: SimulatedPbx, s: AmiSession, req: wire.Request) -> None:
    """Answer one request of a logged-in session."""
    name = req.action
    if not name:
        return s.reply(wire.error(req.action_id, "Missing action in request"))
    handler = HANDLERS.get(name.lower())
    if handler is None:
        return s.reply(
            wire.error(
                req.action_id,
                f"Invalid/unknown command: {name}. Use Action: ListCommands to show available " "commands.",
            )
        )
    if not may_send(s.write, name):  # the user lacks the action's class (manager.conf write=)
        return s.reply(wire.error(req.action_id, "Permission denied"))
    handler(pbx, s, req)
