"""Runs the parsed dialplan (``asterisk/extensions_dialer.conf``) on the simulated PBX's channels.

``Interpreter.start`` puts a channel at context/extension/priority and executes priorities one after the
other, as Asterisk's pbx loop does: it substitutes the arguments, runs the application, goes on at the
next priority (or where a Goto sends it). Applications that take time (AMD, Wait, MusicOnHold, WaitDigit,
Playback, WaitForSilence, Dial) schedule a timer on the leg's ``flow`` slot and resume when it fires;
ConfBridge waits until the channel leaves the conference. Times come from the far end's plan (AMD
duration, machine greeting, talk time) and from ``sounds`` (Playback lengths).

As Asterisk 22 does: an unknown application ends the channel; falling off the end of an extension
hangs up; Playback of a missing sound fails in about 2 ms with ``PLAYBACKSTATUS=FAILED``. A channel
that runs more than ``PbxConfig.max_priorities`` priorities is looping: it is hung up and the fault
is recorded in ``faults`` and logged as an error. A failed Originate whose landing context has a
``failed`` extension (a pattern may match it) runs it on a dummy ``OutgoingSpoolFailed`` channel;
the OriginateResponse waits for that channel to end (see i3_failed_extension_pattern_match).
"""

from __future__ import annotations

import enum
import logging
import random
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from dialer.pbx_port import CTX_SAFE_HARBOR, CTX_SURVEY
from simulations.pbx import channels as ev
from simulations.pbx.channels import (
    STATE_DOWN,
    STATE_UP,
    Activity,
    Bridge,
    Channel,
    Leg,
    OriginateSpec,
    ReadState,
)
from simulations.pbx.conf_parser import Conf, Extension
from simulations.pbx.config import DialplanFault
from simulations.pbx.expressions import function_value, is_true, split_args, split_condition, substitute
from simulations.pbx.fates import NEVER, FarOutcome, FarPlan
from simulations.pbx.sounds import sound_length
from simulations.pbx.spy import Spies
from simulations.pbx.survey_customer import react

if TYPE_CHECKING:
    from simulations.pbx.dialplan import Dialplan
    from simulations.pbx.switch import Switch

log = logging.getLogger(__name__)

MISSING_SOUND_S = 0.002  # Playback of a file that does not exist fails this fast (i2)
DUMMY_CONFBRIDGE_S = 0.003  # ConfBridge on a channel without media returns at once: ~330 turns/s (i3)
SPOOL_FAILED = "OutgoingSpoolFailed"
# app_voicemail's "unavailable" greeting of a box with none recorded, then the beep's prompt
VOICEMAIL_GREETING = ("vm-theperson", "vm-isunavail", "vm-intro")


class Next(enum.Enum):
    NEXT = "next"  # go on at the next priority
    JUMP = "jump"  # a Goto placed the channel: run from there
    WAIT = "wait"  # the application takes time; a timer or an event resumes the channel
    GONE = "gone"  # the channel hung up


class _Scope:
    """Variables and functions as one channel sees them."""

    def __init__(self, ch: Channel, globals_: dict[str, str]) -> None:
        self.ch, self.globals = ch, globals_

    def variable(self, name: str) -> str:
        ch = self.ch
        special = {
            "EXTEN": ch.exten,
            "CONTEXT": ch.context,
            "PRIORITY": str(ch.priority),
            "CHANNEL": ch.name,
            "UNIQUEID": ch.uniqueid,
        }
        if name in special:
            return special[name]
        if name in ch.variables:
            return ch.variables[name]
        return self.globals.get(name, "")

    def function(self, name: str, args: str) -> str:
        if name == "CALLERID":
            num = "" if self.ch.caller_num == "<unknown>" else self.ch.caller_num
            cid_name = "" if self.ch.caller_name == "<unknown>" else self.ch.caller_name
            what = args.strip().lower()
            if what in ("num", "number"):
                return num
            if what == "name":
                return cid_name
            return f'"{cid_name}" <{num}>' if cid_name else num
        return function_value(name, args, self)


class Interpreter:
    """Executes ``conf`` on channels of ``switch``; conferences and bridges are ``dialplan``'s."""

    def __init__(self, switch: Switch, dialplan: Dialplan, conf: Conf) -> None:
        self.sw = switch
        self.dp = dialplan
        self.conf = conf
        self.faults: list[DialplanFault] = []
        self.spies = Spies(switch)
        self.apps: dict[str, Callable[[Channel, str], Next]] = {
            "noop": self._noop,
            "set": self._set,
            "answer": self._answer,
            "amd": self._amd,
            "userevent": self._user_event,
            "wait": self._wait,
            "musiconhold": self._music_on_hold,
            "startmusiconhold": self._start_music_on_hold,
            "stopmusiconhold": self._stop_music_on_hold,
            "waitdigit": self._wait_digit,
            "confbridge": self._confbridge,
            "goto": self._goto,
            "gotoif": self._goto_if,
            "execif": self._exec_if,
            "mixmonitor": self._mixmonitor,
            "playback": self._playback,
            "waitforsilence": self._wait_for_silence,
            "dial": self._dial,
            "hangup": self._hangup,
            "voicemail": self._voicemail,
            "read": self._read,
            "saynumber": self._say_number,
            "record": self._record,
            "chanspy": self._chanspy,
        }

    # --- running --------------------------------------------------------------------------------
    def start(self, ch: Channel, context: str, exten: str, priority: int = 1) -> None:
        """Run ``context``/``exten`` from ``priority`` on ``ch`` (Originate landing, Redirect)."""
        ch.context, ch.exten, ch.priority = context, exten, priority
        ext = self.conf.match(context, exten)
        if ext is None:
            log.error("no extension %s in context %s for %s: hanging up", exten, context, ch.name)
            self._hangup_now(ch, 16)
            return
        ch.extension = ext.name
        self.run(ch)

    def resume(self, ch: Channel) -> None:
        """The application ``ch`` was in has returned: go on at the next priority."""
        ch.priority += 1
        self.run(ch)

    def run(self, ch: Channel) -> None:
        """Execute priorities from ``ch.priority`` until an application waits or the channel ends."""
        leg = ch.leg
        assert leg is not None
        limit = self.sw.config.max_priorities
        while not leg.done:
            ch.activity = Activity.DIALPLAN
            ext = self._extension(ch)
            step = ext.steps.get(ch.priority) if ext is not None else None
            if step is None:  # autofallthrough: nothing left to run
                self._hangup_now(ch, 16)
                return
            ch.executed += 1
            if ch.executed > limit:
                self._fault(ch, f"ran more than {limit} dialplan priorities: a loop")
                self._hangup_now(ch, 16)
                return
            data = substitute(step.args, _Scope(ch, self.sw.global_vars))
            result = self.execute(ch, step.app, data)
            if result is Next.NEXT:
                ch.priority += 1
            elif result is not Next.JUMP:
                return

    def execute(self, ch: Channel, app: str, data: str) -> Next:
        """Run one application with its substituted ``data``."""
        ch.application, ch.app_data = app, data
        handler = self.apps.get(app.lower())
        if handler is None:
            self._fault(ch, f"no application {app!r}")
            self._hangup_now(ch, 16)
            return Next.GONE
        return handler(ch, data)

    def _extension(self, ch: Channel) -> Extension | None:
        ext = self.conf.contexts.get(ch.context, {}).get(ch.extension)
        return ext if ext is not None else self.conf.match(ch.context, ch.exten)

    def _fault(self, ch: Channel, reason: str) -> None:
        fault = DialplanFault(
            self.sw.now(), ch.name, ch.uniqueid, ch.context, ch.exten, ch.priority, ch.executed, reason
        )
        self.faults.append(fault)
        log.error(
            "dialplan fault on %s (%s) at %s,%s,%d after %d priorities: %s; hanging it up",
            ch.name,
            ch.uniqueid,
            ch.context,
            ch.exten,
            ch.priority,
            ch.executed,
            reason,
        )

    def _hangup_now(self, ch: Channel, cause: int) -> None:
        leg = ch.leg
        assert leg is not None
        if not leg.done:
            self.sw.hangup(ch, cause, by_ami=False)

    def _later(self, ch: Channel, seconds: float, then: Callable[[Channel], None] | None = None) -> Next:
        """Resume ``ch`` at the next priority ``seconds`` from now, after ``then`` (if any)."""
        leg = ch.leg
        assert leg is not None
        self.sw.after(leg, "flow", seconds, self._timer_done, then)
        return Next.WAIT

    def _timer_done(self, leg: Leg, then: Callable[[Channel], None] | None) -> None:
        leg.timers.pop("flow", None)
        if leg.done:
            return
        if then is not None:
            then(leg.near)
        if not leg.done:
            self.resume(leg.near)

    def set_variable(self, ch: Channel, name: str, value: str) -> None:
        ch.variables[name] = value
        self.sw.emit(ev.var_set(ch, name, value), "dialplan")

    # --- a failed Originate -----------------------------------------------------------------------
    def has_failed_extension(self, spec: OriginateSpec) -> bool:
        return not spec.application and self.conf.match(spec.context, "failed") is not None

    def run_failed(self, spec: OriginateSpec, reason: int, respond: Callable[[], None]) -> None:
        """Run the landing context's ``failed`` extension on a dummy channel; ``respond`` when it ends."""
        sw = self.sw
        uid = sw._uid()
        ch = Channel(
            name=SPOOL_FAILED,
            uniqueid=uid,
            linkedid=uid,
            context=spec.context,
            exten="failed",
            priority=1,
            state=STATE_DOWN,
            created_at=sw.now(),
            caller_num=spec.caller[0],
            caller_name=spec.caller[1],
            dummy=True,
        )
        plan = FarPlan(FarOutcome.ANSWER, ringing=False, label="failed")
        leg = Leg(kind="failed", near=ch, far=None, plan=plan, spec=spec, on_done=respond)
        ch.leg = leg
        # several can live at once under the same name (as in Asterisk): the others are kept under name/uniqueid
        sw.channels[ch.name if ch.name not in sw.channels else f"{ch.name}/{uid}"] = ch
        sw.by_uniqueid[uid] = ch
        sw.emit(ev.channel_event("Newchannel", ch))
        self.set_variable(ch, "REASON", str(reason))
        for name, value in spec.variables.items():
            self.set_variable(ch, name, value)
        self.start(ch, spec.context, "failed")

    # --- applications ---------------------------------------------------------------------------
    def _noop(self, ch: Channel, data: str) -> Next:
        return Next.NEXT

    def _set(self, ch: Channel, data: str) -> Next:
        name, sep, value = data.partition("=")
        name = name.strip()
        if not sep or not name:
            log.warning("Set(%s) on %s: expected name=value", data, ch.name)
            return Next.NEXT
        if name.upper().startswith("GLOBAL(") and name.endswith(")"):
            self.sw.global_vars[name[7:-1]] = value
            return Next.NEXT
        self.set_variable(ch, name, value)
        return Next.NEXT

    def _answer(self, ch: Channel, data: str) -> Next:
        if ch.state != STATE_UP and not ch.dummy:
            ch.state = STATE_UP
            self.sw.emit(ev.channel_event("Newstate", ch))
        return Next.NEXT

    def _amd(self, ch: Channel, data: str) -> Next:
        leg = ch.leg
        assert leg is not None
        if ch.dummy:  # nothing to read: AMD sees a hang-up
            self._amd_result(ch, "HANGUP", "")
            return Next.NEXT
        ch.activity = Activity.AMD
        plan = leg.plan
        return self._later(ch, plan.amd_s, lambda c: self._amd_result(c, plan.amd_status, plan.amd_cause))

    def _amd_result(self, ch: Channel, status: str, cause: str) -> None:
        leg = ch.leg
        assert leg is not None
        leg.amd_status = status
        self.set_variable(ch, "AMDSTATUS", status)
        self.set_variable(ch, "AMDCAUSE", cause)

    def _user_event(self, ch: Channel, data: str) -> Next:
        args = split_args(data)
        fields = []
        for arg in args[1:]:
            key, _, value = arg.partition(":")
            fields.append((key.strip(), value.strip()))
        self.sw.emit(ev.user_event(ch, args[0].strip(), fields), "user")
        return Next.NEXT

    def _hold(self, ch: Channel) -> None:
        leg = ch.leg
        assert leg is not None
        if leg.kind in ("customer", "inbound") and leg.met_agent:
            ch.activity = Activity.ON_HOLD      # its agent put it on hold: hanging up now is no abandon
        elif leg.kind in ("customer", "inbound"):
            ch.activity = Activity.HOLD
            leg.ready_at = self.sw.now()

    def _wait(self, ch: Channel, data: str) -> Next:
        if ch.context == CTX_SURVEY:   # between two survey steps: no agent is awaited (no abandon if it hangs up)
            ch.activity = Activity.PLAYBACK
            return self._later(ch, _seconds(data))
        self._hold(ch)
        return self._later(ch, _seconds(data))

    def _music_on_hold(self, ch: Channel, data: str) -> Next:
        args = split_args(data)
        duration = _seconds(args[1]) if len(args) > 1 else 0.0
        ch.moh = True
        self.sw.emit(ev.channel_event("MusicOnHoldStart", ch, f"Class: {self.moh_class(args[0])}\r\n"))
        self._hold(ch)
        return self._later(ch, duration if duration > 0 else NEVER, self.dp.stop_moh)

    def _start_music_on_hold(self, ch: Channel, data: str) -> Next:
        """``StartMusicOnHold([class])``: music starts and the dialplan goes on at once (Asterisk 22, recording m1)."""
        if not ch.moh and not ch.dummy:
            ch.moh = True
            self.sw.emit(ev.channel_event("MusicOnHoldStart", ch, f"Class: {self.moh_class(data)}\r\n"))
        return Next.NEXT

    def moh_class(self, asked: str) -> str:
        """The class res_musiconhold plays for ``asked`` (Asterisk 22, recording r1): a class of
        musiconhold.conf (``PbxConfig.moh_classes``, names compared without case, as its container does), else
        ``default``: an unknown class only logs "Music on Hold class '...' not found in memory"."""
        wanted = asked.strip().lower()
        known = sorted(self.sw.config.moh_classes)
        return next((name for name in known if name.lower() == wanted), "default")

    def _stop_music_on_hold(self, ch: Channel, data: str) -> Next:
        self.dp.stop_moh(ch)
        return Next.NEXT

    def _wait_digit(self, ch: Channel, data: str) -> Next:
        """``WaitDigit(seconds[,digits])`` as Asterisk 22 runs it (recording m1): a key among ``digits`` (any when
        empty) ends it with ``WAITDIGITRESULT`` then ``WAITDIGITSTATUS=DTMF``, other keys are ignored; the time
        passing gives ``WAITDIGITSTATUS=TIMEOUT``; a Redirect ends it with ``CANCEL`` (``Dialplan.redirect``).
        Keys reach it through ``dtmf``."""
        args = split_args(data)
        ch.wait_digits = args[1].strip() if len(args) > 1 and args[1].strip() else "0123456789*#ABCD"
        self._hold(ch)
        seconds = _seconds(args[0]) if args and args[0].strip() else 0.0
        return self._later(ch, seconds, lambda c: self.set_variable(c, "WAITDIGITSTATUS", "TIMEOUT"))

    def dtmf(self, ch: Channel, digit: str) -> bool:
        """A key the caller pressed (received on ``ch``): True when a ``WaitDigit`` or a ``Read`` took it. Elsewhere
        (music, Playback, a conference) our dialplan reads no key, so it is dropped, as Asterisk drops it."""
        leg = ch.leg
        if leg is not None and not leg.done and ch.read is not None and ch.application.lower() == "read":
            return self._read_key(ch, digit)
        if leg is None or leg.done or ch.application.lower() != "waitdigit" or digit not in ch.wait_digits:
            return False
        if "flow" not in leg.timers:
            return False
        self.sw.cancel(leg, "flow")
        self.set_variable(ch, "WAITDIGITRESULT", digit)
        self.set_variable(ch, "WAITDIGITSTATUS", "DTMF")
        self.resume(ch)
        return True

    def _confbridge(self, ch: Channel, data: str) -> Next:
        name = split_args(data)[0].strip()
        if ch.dummy:  # no media: the conference is made and torn down at once, without a join
            self._flash_conference(ch, name)
            return self._later(ch, DUMMY_CONFBRIDGE_S)
        self.dp.join_conference(ch, name)
        return Next.WAIT

    def _flash_conference(self, ch: Channel, name: str) -> None:
        emit, room = self.sw.emit, Bridge(str(uuid.uuid4()), conference=name)
        emit(ev.bridge_event("BridgeCreate", room))
        emit(ev.conference_event("ConfbridgeStart", room))
        emit(ev.channel_event("MusicOnHoldStart", ch, "Class: default\r\n"))
        room.members.append(ch)
        emit(ev.bridge_member_event("BridgeEnter", room, ch))
        room.members.clear()
        emit(ev.bridge_member_event("BridgeLeave", room, ch))
        emit(ev.channel_event("MusicOnHoldStop", ch))
        emit(ev.conference_event("ConfbridgeEnd", room))
        emit(ev.bridge_event("BridgeDestroy", room))

    def _goto(self, ch: Channel, data: str) -> Next:
        return self._jump(ch, data)

    def _goto_if(self, ch: Channel, data: str) -> Next:
        cond, yes, no = split_condition(data)
        target = yes if is_true(cond) else no
        return self._jump(ch, target) if target.strip() else Next.NEXT

    def _jump(self, ch: Channel, target: str) -> Next:
        parts = [p.strip() for p in split_args(target)]
        context, exten = ch.context, ch.exten
        if len(parts) == 3:
            context, exten, where = parts
        elif len(parts) == 2:
            exten, where = parts
        else:
            where = parts[0]
        ext = (
            self.conf.match(context, exten)
            if (context, exten) != (ch.context, ch.exten)
            else self._extension(ch)
        )
        priority = None
        if ext is not None:
            priority = int(where) if where.isdigit() else ext.labels.get(where)
        if ext is None or priority is None or priority not in ext.steps:
            self._fault(ch, f"Goto({target}): no such place")
            self._hangup_now(ch, 16)
            return Next.GONE
        ch.context, ch.exten, ch.extension, ch.priority = context, exten, ext.name, priority
        return Next.JUMP

    def _exec_if(self, ch: Channel, data: str) -> Next:
        cond, _, branches = data.partition("?")
        yes, no = _split_branches(branches)
        chosen = (yes if is_true(cond) else no).strip()
        if not chosen:
            return Next.NEXT
        m = re.match(r"^([A-Za-z][A-Za-z0-9_]*)(?:\((.*)\))?$", chosen, re.DOTALL)
        if m is None:
            self._fault(ch, f"ExecIf: bad application {chosen!r}")
            self._hangup_now(ch, 16)
            return Next.GONE
        return self.execute(ch, m.group(1), m.group(2) or "")

    def _mixmonitor(self, ch: Channel, data: str) -> Next:
        if not ch.mixmonitor and not ch.dummy:
            self.dp.start_mixmonitor(ch, data)
        return Next.NEXT

    def _playback(self, ch: Channel, data: str) -> Next:
        leg = ch.leg
        assert leg is not None
        # Asterisk trims each part; a blank part ("a&&b", "a&") cannot be opened: FAILED, the rest still plays
        # (live: tests/live_asterisk/test_live_dialplan.py, Playback's list)
        listed = split_args(data)[0]
        names = [n.strip() for n in listed.split("&")] if listed.strip() else []
        extra = self.sw.config.extra_sounds
        total, failed = 0.0, not names
        for name in names:
            if not name:
                log.warning("Playback on %s: Unable to open a blank part of %r", ch.name, listed)
                failed = True
                continue
            length = None if ch.dummy else sound_length(name, extra)
            if length is None:
                log.warning("Playback on %s: file %s does not exist in any format", ch.name, name)
                failed = True
                total += MISSING_SOUND_S
            else:
                total += length
        ch.activity = Activity.PLAYBACK
        if ch.context == CTX_SAFE_HARBOR:
            leg.safe_harbor = True
        status = "FAILED" if failed else "SUCCESS"
        return self._later(
            ch, max(total, MISSING_SOUND_S), lambda c: self.set_variable(c, "PLAYBACKSTATUS", status)
        )

    def _wait_for_silence(self, ch: Channel, data: str) -> Next:
        leg = ch.leg
        assert leg is not None
        args = split_args(data)
        silence_s = _seconds(args[0]) / 1000.0 if args and args[0].strip() else 0.0
        timeout_s = _seconds(args[2]) if len(args) > 2 and args[2].strip() else NEVER
        now, plan = self.sw.now(), leg.plan
        quiet_at = leg.answered_at + plan.greeting_s + silence_s if plan.machine else now + silence_s
        wait = max(quiet_at - now, 0.0)
        status = "SILENCE" if wait <= timeout_s else "TIMEOUT"
        ch.activity = Activity.PLAYBACK
        return self._later(ch, min(wait, timeout_s), lambda c: self.set_variable(c, "WAITSTATUS", status))

    def _dial(self, ch: Channel, data: str) -> Next:
        """Dial(dest,timeout): the far party talks with the caller for the leg's talk time, then hangs up."""
        leg = ch.leg
        assert leg is not None
        talk = leg.plan.talk_s
        ch.activity = Activity.DIALPLAN
        return self._later(
            ch,
            max(talk, 1.0) if talk != NEVER else 60.0,
            lambda c: self.set_variable(c, "DIALSTATUS", "ANSWER"),
        )

    def _voicemail(self, ch: Channel, data: str) -> Next:
        """``VoiceMail(box[@context],opts)`` as app_voicemail: a box voicemail.conf does not have logs "No entry
        in voicemail config file" and sets VMSTATUS FAILED at once (the dialplan goes on); a known box plays its
        greeting, the caller leaves a message of ``voicemail_message_s`` and hangs up, VMSTATUS SUCCESS."""
        box = split_args(data)[0].strip() if data.strip() else ""
        config = self.sw.config
        known = {b if "@" in b else f"{b}@default" for b in config.voicemail_boxes}
        if not box or (box if "@" in box else f"{box}@default") not in known:
            log.warning("No entry in voicemail config file for '%s'", box)
            self.set_variable(ch, "VMSTATUS", "FAILED")
            return Next.NEXT
        ch.activity = Activity.PLAYBACK
        greeting = sum(sound_length(n, config.extra_sounds) or 0.0 for n in VOICEMAIL_GREETING)

        def left(c: Channel) -> None:
            self.set_variable(c, "VMSTATUS", "SUCCESS")
            self._hangup_now(c, 16)

        return self._later(ch, greeting + config.voicemail_message_s, left)

    # --- surveys (dialer-survey; recording n1) ---------------------------------------------------
    def _read(self, ch: Channel, data: str) -> Next:
        """``Read(variable,prompt,maxdigits,options,attempts,timeout)`` as Asterisk 22 runs it (recording n1):
        ``READSTATUS`` ERROR at the start; the prompt plays and a key stops it; the keys end with ``#`` (not kept),
        with ``maxdigits`` keys, or ``timeout`` seconds after the prompt or the last key; then the variable (maybe
        empty) and ``READSTATUS`` OK, or TIMEOUT when nothing was typed. A hang-up: the variable empty and
        ``READSTATUS`` HANGUP before the hang-up's events (``abort_read``)."""
        leg = ch.leg
        assert leg is not None
        args = split_args(data)
        variable = args[0].strip() if args else ""
        names = [n.strip() for n in args[1].split("&") if n.strip()] if len(args) > 1 else []
        raw_max = args[2].strip() if len(args) > 2 else ""
        max_digits = int(raw_max) if raw_max.isdigit() else 0
        timeout = _seconds(args[5]) if len(args) > 5 and args[5].strip() else 10.0
        prompt_s = 0.0
        for name in names:
            length = None if ch.dummy else sound_length(name, self.sw.config.extra_sounds)
            if length is None:
                log.warning("Read on %s: file %s does not exist in any format", ch.name, name)
            prompt_s += length or 0.0
        self.set_variable(ch, "READSTATUS", "ERROR")
        ch.read = ReadState(variable, max_digits, timeout)
        ch.activity = Activity.PLAYBACK
        self._survey_customer(ch, max_digits, prompt_s + timeout, record=False)
        return self._later(ch, prompt_s + timeout, self._read_done)

    def _read_key(self, ch: Channel, digit: str) -> bool:
        leg, state = ch.leg, ch.read
        assert leg is not None and state is not None
        if digit == "#":
            self.sw.cancel(leg, "flow")
            self._read_done(ch)
            self.resume(ch)
            return True
        state.digits += digit
        if state.max_digits and len(state.digits) >= state.max_digits:
            self.sw.cancel(leg, "flow")
            self._read_done(ch)
            self.resume(ch)
            return True
        self.sw.after(leg, "flow", state.timeout_s, self._timer_done, self._read_done)   # the prompt stops
        return True

    def _read_done(self, ch: Channel) -> None:
        state, ch.read = ch.read, None
        if state is None:
            return
        self.set_variable(ch, state.variable, state.digits)
        self.set_variable(ch, "READSTATUS", "OK" if state.digits else "TIMEOUT")

    def abort_wait_digit(self, ch: Channel) -> None:
        """The channel hangs up during a WaitDigit (the hold in dialer-inbound): ``WAITDIGITSTATUS`` CANCEL,
        after its music stops and before its own hang-up events (recording r1: ast_waitfordigit_full returns
        -1)."""
        leg = ch.leg
        waiting = ch.application.lower() == "waitdigit"
        if leg is not None and not leg.done and waiting and "flow" in leg.timers:
            self.sw.cancel(leg, "flow")
            self.set_variable(ch, "WAITDIGITSTATUS", "CANCEL")

    def abort_read(self, ch: Channel) -> None:
        """The channel hangs up during a Read: the variable empty and ``READSTATUS`` HANGUP (recording n1)."""
        state, ch.read = ch.read, None
        if state is not None:
            self.set_variable(ch, state.variable, "")
            self.set_variable(ch, "READSTATUS", "HANGUP")

    def _say_number(self, ch: Channel, data: str) -> Next:
        """``SayNumber(n)``: the digits/ files of the number's English words, one after the other."""
        raw = split_args(data)[0].strip() if data.strip() else ""
        if not raw.lstrip("-").isdigit():
            log.warning("SayNumber on %s: %r is not a number", ch.name, raw)
            return Next.NEXT
        extra = self.sw.config.extra_sounds
        total = sum(sound_length(name, extra) or 0.0 for name in number_words(int(raw)))
        ch.activity = Activity.PLAYBACK
        return self._later(ch, max(total, MISSING_SOUND_S))

    def _record(self, ch: Channel, data: str) -> Next:
        """``Record(file.format,silence,maxduration,options)`` (recording n1): ``RECORDED_FILE`` (the name without
        its format) at the start; a customer who speaks ``speak_s`` then stops is cut after ``silence`` seconds of
        silence (``RECORD_STATUS`` SILENCE); one who never speaks runs to ``maxduration``, which Asterisk 22
        reported as HANGUP on a channel that sends no audio (n1)."""
        leg = ch.leg
        assert leg is not None
        args = split_args(data)
        name = args[0].strip().rsplit(".", 1)[0] if args else ""
        silence = _seconds(args[1]) if len(args) > 1 and args[1].strip() else 0.0
        longest = _seconds(args[2]) if len(args) > 2 and args[2].strip() else NEVER
        self.set_variable(ch, "RECORDED_FILE", name)
        ch.activity = Activity.PLAYBACK
        reaction = self._survey_customer(ch, 0, longest, record=True)
        if reaction is None or reaction.hang_up or not reaction.keys:
            return self._later(ch, longest, lambda c: self.set_variable(c, "RECORD_STATUS", "HANGUP"))
        spoken = reaction.after_s + reaction.speak_s + silence
        if spoken >= longest:
            return self._later(ch, longest, lambda c: self.set_variable(c, "RECORD_STATUS", "TIMEOUT"))
        return self._later(ch, spoken, lambda c: self.set_variable(c, "RECORD_STATUS", "SILENCE"))

    def _survey_customer(self, ch: Channel, max_digits: int, step_s: float, *, record: bool):  # type: ignore[no-untyped-def]
        """The simulated customer's answer to this survey step (``PbxConfig.survey_customer``): keys pressed
        later through ``dtmf``, or a hang-up; None for channels that are not customers in dialer-survey."""
        leg = ch.leg
        assert leg is not None
        if ch.context != CTX_SURVEY or ch.dummy or leg.kind not in ("customer", "inbound"):
            return None
        self.sw.cancel(leg, "keys")
        step = ch.variables.get("DIALER_SV_STEP", "")
        # drawn from the scenario's seed and the number called (the engine's channel ids are random), so a scenario
        # surveys the same customers the same way however the machine's load shifts the order of calls
        who = leg.spec.target.number if leg.kind == "customer" and leg.spec.target is not None else ch.uniqueid
        rng = random.Random(f"{self.sw.config.seed}:{who}:{step}")
        reaction = react(self.sw.config.survey_customer, rng, step, max_digits, step_s)
        if reaction.hang_up:
            self.sw.after(leg, "far", reaction.after_s, self.sw.far_hangup, 16)
        else:
            self.sw.cancel(leg, "far")     # the conversation is over: it stays for the survey
            if reaction.keys and not record:
                self._press_later(leg, reaction.keys, reaction.after_s, who, step)
        return reaction

    def _press_later(self, leg: Leg, keys: str, after_s: float, who: str, step: str) -> None:
        """Type ``keys`` one by one from ``after_s`` on; once the last is pressed, log them in ``survey_keys`` as
        typed by ``who`` at ``step``."""
        from simulations.pbx.actions import press_key

        def press(leg_: Leg, rest: str) -> None:
            leg_.timers.pop("keys", None)
            if leg_.done or not rest:
                return
            press_key(self.sw, leg_.near, rest[0])
            if rest[1:]:
                self.sw.after(leg_, "keys", self.sw.config.survey_customer.key_gap_s, press, rest[1:])
            else:
                self.sw.survey_keys.append((who, step, keys.rstrip("#")))

        self.sw.after(leg, "keys", after_s, press, keys)

    def _chanspy(self, ch: Channel, data: str) -> Next:
        """``ChanSpy(target,options)``: see ``simulations.pbx.spy`` (nothing to spy on with option S: hang up)."""
        if not self.spies.begin(ch, data):
            self._hangup_now(ch, 0)
            return Next.GONE
        return Next.WAIT

    def _hangup(self, ch: Channel, data: str) -> Next:
        raw = data.strip()
        cause = int(raw) if raw.isdigit() and int(raw) > 0 else 16
        self._hangup_now(ch, cause)
        return Next.GONE


_ONES = ("", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19")


def number_words(n: int) -> list[str]:
    """The core sound files SayNumber plays for ``n`` in English (digits/40, digits/2 for 42)."""
    if n < 0:
        return ["digits/minus", *number_words(-n)]
    if n == 0:
        return ["digits/0"]
    words: list[str] = []
    for size, name in ((1_000_000, "digits/million"), (1000, "digits/thousand"), (100, "digits/hundred")):
        if n >= size:
            words += [*number_words(n // size), name]
            n %= size
    if n >= 20:
        words.append(f"digits/{n // 10 * 10}")
        n %= 10
    if n:
        words.append(f"digits/{_ONES[n]}")
    return words


def _seconds(raw: str) -> float:
    try:
        return max(float(raw.strip()), 0.0)
    except ValueError:
        return 0.0


def _split_branches(text: str) -> tuple[str, str]:
    """``App(a:b):Other(c)`` -> the two applications, splitting at the first ':' outside parentheses."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == ":" and depth == 0:
            return text[:i], text[i + 1 :]
    return text, ""
