"""The simulated switch: channels, originated legs and their far ends, hang-ups, on a timer heap.

``Switch`` places legs, plays the far end's fate (ring, answer, busy, ...), hands answered legs
to ``Dialplan`` (our contexts) and emits the AMI events Asterisk 22 emits for the same steps, in
the recorded order (see ``/work/shared/asterisk-ami``). Timers are ``loop.call_later`` handles
(asyncio's heap), never tasks; simulated seconds are divided by ``speed``. Not emitted: Newexten,
CEL, Cdr, DeviceStateChange, NewCallerid, NewConnectedLine, NewAccountCode and the ConfBridge
announcer channel.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

from dialer.pbx_port import CTX_AGENT, CTX_INBOUND
from simulations.pbx import channels as ev
from simulations.pbx.channels import (
    STATE_BUSY,
    STATE_DOWN,
    STATE_RING,
    STATE_RINGING,
    STATE_UP,
    Activity,
    Channel,
    Leg,
    OriginateSpec,
)
from simulations.pbx.config import AbandonRecord, CallRecord, PbxConfig
from simulations.pbx.dialplan import Dialplan
from simulations.pbx.fates import NEVER, FarOutcome, FarPlan, dial_status, plan_for

log = logging.getLogger(__name__)

Sink = Callable[[str, str], None]  # (event text, class: call/dialplan/user/system)
REASON_HANGUP, REASON_TIMEOUT, REASON_ANSWERED, REASON_BUSY, REASON_CONGESTION = 1, 3, 4, 5, 8


class Switch:
    """Every live channel and leg; places legs and plays their far ends; hangs up."""

    def __init__(self, config: PbxConfig, sink: Sink, *, loop: asyncio.AbstractEventLoop) -> None:
        self.config = config
        self.sink = sink
        self.loop = loop
        self.rng = random.Random(config.seed)
        self.channels: dict[str, Channel] = {}
        self.by_uniqueid: dict[str, Channel] = {}
        self.abandons: list[AbandonRecord] = []
        self.records: list[CallRecord] = []
        # survey keys a simulated customer finished typing: (number called, or the channel's uniqueid for an inbound
        # caller; DIALER_SV_STEP; keys without '#')
        self.survey_keys: list[tuple[str, str, str]] = []
        self.dialplan = Dialplan(self)
        self.global_vars: dict[str, str] = (
            {} if config.hold_limit_s is None else {"DIALER_HOLD_S": f"{config.hold_limit_s:g}"}
        )
        self.processed_calls = 0
        self.reset()

    # --- time and ids ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every channel and timer (a restart loses them) and restart the clocks."""
        for ch in list(self.channels.values()):
            leg = ch.leg
            if leg is not None:
                for handle in leg.timers.values():
                    handle.cancel()
        self.channels.clear()
        self.by_uniqueid.clear()
        self.dialplan.conferences.clear()
        self.started_mono = time.monotonic()
        self.started_wall = time.time()
        self.epoch = int(self.started_wall)
        self.seq = 0
        self.uid_seq = 0
        self.processed_calls = 0

    def now(self) -> float:
        """Simulated seconds since start."""
        return (time.monotonic() - self.started_mono) * self.config.speed

    def after(self, leg: Leg, slot: str, sim_s: float, fn: Callable[..., None], *args: object) -> None:
        old = leg.timers.pop(slot, None)
        if old is not None:
            old.cancel()
        if sim_s == NEVER:
            return
        leg.timers[slot] = self.loop.call_later(max(sim_s, 0.0) / self.config.speed, fn, leg, *args)

    def cancel(self, leg: Leg, slot: str) -> None:
        old = leg.timers.pop(slot, None)
        if old is not None:
            old.cancel()

    def _uid(self) -> str:
        self.uid_seq += 1
        return f"{self.epoch}.{self.uid_seq}"

    def emit(self, text: str, cls: str = "call") -> None:
        self.sink(text, cls)

    # --- lookup ---------------------------------------------------------------------------------
    def find(self, name: str, *, prefix: bool = False) -> Channel | None:
        """A live channel by exact name (or name prefix), else by Uniqueid, as Asterisk looks them up."""
        ch = self.channels.get(name)
        if ch is None and prefix and name:
            ch = next((c for n, c in self.channels.items() if n.startswith(name)), None)
        return ch if ch is not None else self.by_uniqueid.get(name)

    def new_channel(
        self,
        name: str,
        uniqueid: str,
        linkedid: str,
        context: str,
        exten: str,
        state: int,
        caller: tuple[str, str],
    ) -> Channel:
        ch = Channel(
            name=name,
            uniqueid=uniqueid,
            linkedid=linkedid,
            context=context,
            exten=exten,
            priority=1,
            state=state,
            created_at=self.now(),
            caller_num=caller[0],
            caller_name=caller[1],
            connected_num=caller[0],
            connected_name=caller[1],
        )
        self.channels[name] = ch
        self.by_uniqueid[uniqueid] = ch
        return ch

    def _drop(self, ch: Channel | None) -> None:
        if ch is not None:
            ch.activity = Activity.GONE
            if self.channels.get(ch.name) is ch:
                del self.channels[ch.name]
            elif ch.dummy:  # a second OutgoingSpoolFailed at the same time: kept under name/uniqueid
                self.channels.pop(f"{ch.name}/{ch.uniqueid}", None)
            if self.by_uniqueid.get(ch.uniqueid) is ch:
                del self.by_uniqueid[ch.uniqueid]

    # --- originate ------------------------------------------------------------------------------
    def originate(self, spec: OriginateSpec) -> None:
        """Place a leg; its whole life is scheduled from here (call after the reply is queued)."""
        kind = "agent" if spec.context == CTX_AGENT else "customer"
        cfg, target = self.config, spec.target
        if target is None:
            raise ValueError("an originate needs a dial target")
        if target.tech not in cfg.channel_techs:
            # no channel driver (h1; checked on Asterisk 22.10.1 into dialer-customer): no channel at all,
            # `failed` runs on OutgoingSpoolFailed, then OriginateResponse Failure, Reason 0, our ChannelId
            uid = spec.channel_id or "<unknown>"
            if self.dialplan.has_failed_extension(spec):
                self.dialplan.run_failed(spec, 0, lambda: self._refuse(spec, uid))
            else:
                self._refuse(spec, uid)
            return
        plan = plan_for(
            target,
            agent_leg=kind == "agent",
            rng=self.rng,
            model=cfg.customer_model,
            elapsed_s=self.now(),
            agent_answer_s=cfg.agent_answer_s,
            machine_record_s=cfg.machine_record_s,
        )
        self.seq += 1
        uid1 = spec.channel_id or self._uid()
        if spec.channel_id is not None and spec.channel_id in self.by_uniqueid:
            # Asterisk refuses a live ChannelId: an OriginateResponse Failure and nothing else
            self._refuse(spec, uid1)
            return
        ctx, exten = (target.context, target.number) if target.local else ("default", "s")
        near = self._leg_channel(
            target.channel_name(self.seq, 1), uid1, uid1, ctx, exten, STATE_DOWN, spec.caller
        )
        near.application, near.app_data, near.activity = "AppDial2", "(Outgoing Line)", Activity.DIALING
        far = None
        if target.local:
            uid2 = spec.other_channel_id or self._uid()
            far = self._leg_channel(
                target.channel_name(self.seq, 2), uid2, uid1, ctx, exten, STATE_RING, spec.caller
            )
            far.application, far.peer, near.peer = "Wait", near, far
        leg = Leg(kind=kind, near=near, far=far, plan=plan, spec=spec)
        emit = self.emit
        if plan.outcome is FarOutcome.NO_EXTENSION:
            assert far is not None
            emit(ev.channel_event("Newchannel", near))
            emit(ev.channel_event("Newchannel", far))
            emit(ev.hangup(far, 0))
            if self.dialplan.has_failed_extension(spec):  # i3: both halves go, then `failed` runs
                emit(ev.hangup(near, 0))
                self.dialplan.run_failed(spec, 0, lambda: self._refuse(spec, uid1))
                return
            self._refuse(spec, uid1)
            emit(ev.hangup(near, 0))
            return
        for ch in (near, far):
            if ch is not None:
                ch.leg = leg
                ch.variables.update(spec.variables)
                self.channels[ch.name] = ch
                self.by_uniqueid[ch.uniqueid] = ch
                emit(ev.channel_event("Newchannel", ch))
        # Asterisk sets the Originate's variables on the ;1 half in reverse order (the first of a
        # repeated name wins), then copies them to the ;2 half in header order (b, i1 recordings)
        for name, value in reversed(spec.variables.items()):
            emit(ev.var_set(near, name, value), "dialplan")
        if far is not None:
            for name, value in spec.variables.items():
                emit(ev.var_set(far, name, value), "dialplan")
            emit(ev.local_bridge(near, far))
        emit(ev.dial_event("DialBegin", near, f"DialString: {target.resource}\r\n"))
        if plan.ringing:
            near.state = STATE_RINGING
            emit(ev.channel_event("Newstate", near))
            emit(ev.dial_event("DialState", near, "DialStatus: RINGING\r\n"))
        rings_out = plan.outcome is FarOutcome.NO_ANSWER or (
            plan.outcome is FarOutcome.ANSWER and plan.ring_s >= spec.timeout_s
        )
        if rings_out:
            self.after(leg, "flow", spec.timeout_s, self._ring_timeout)
        else:
            self.after(leg, "flow", plan.ring_s, self._far_result)

    def _leg_channel(
        self,
        name: str,
        uid: str,
        linkedid: str,
        context: str,
        exten: str,
        state: int,
        caller: tuple[str, str],
    ) -> Channel:
        return Channel(
            name=name,
            uniqueid=uid,
            linkedid=linkedid,
            context=context,
            exten=exten,
            priority=1,
            state=state,
            created_at=self.now(),
            caller_num=caller[0],
            caller_name=caller[1],
            connected_num=caller[0],
            connected_name=caller[1],
        )

    def _refuse(self, spec: OriginateSpec, uniqueid: str) -> None:
        """An originate that fails before any far end: Reason 0 (or the synchronous reply)."""
        if spec.on_sync_result is not None:
            spec.on_sync_result(False)
        else:
            self.emit(ev.originate_response(spec, False, spec.dial, 0, uniqueid))

    def _respond(self, leg: Leg, ok: bool, reason: int) -> None:
        near = leg.near
        if not ok and leg.failed_reason is None and self.dialplan.has_failed_extension(leg.spec):
            leg.failed_reason = reason  # held back: the `failed` extension runs first (see _finish)
            return
        if leg.spec.on_sync_result is not None:  # synchronous Originate: a reply, no OriginateResponse
            leg.spec.on_sync_result(ok)
            return
        self.emit(
            ev.originate_response(leg.spec, ok, near.name if ok else leg.spec.dial, reason, near.uniqueid)
        )

    def _send_failure(self, leg: Leg, reason: int) -> None:
        """The OriginateResponse of a failed leg, once its `failed` extension has run."""
        if leg.spec.on_sync_result is not None:
            leg.spec.on_sync_result(False)
        else:
            self.emit(ev.originate_response(leg.spec, False, leg.spec.dial, reason, leg.near.uniqueid))

    def _ring_timeout(self, leg: Leg) -> None:
        near, far, emit = leg.near, leg.far, self.emit
        if far is not None:
            emit(ev.hangup_request("HangupRequest", far, 19))
        self._respond(leg, False, REASON_TIMEOUT)
        if far is not None:
            emit(ev.hangup_request("SoftHangupRequest", far, 16))
            emit(ev.hangup(far, 19))
        emit(ev.hangup(near, 19))
        self._finish(leg, "no_answer", 19)

    def _far_result(self, leg: Leg) -> None:
        plan, near, far, emit = leg.plan, leg.near, leg.far, self.emit
        out = plan.outcome
        if out is FarOutcome.ANSWER:
            self._answer(leg)
            return
        if out in (FarOutcome.BUSY, FarOutcome.CONGESTION):
            busy = out is FarOutcome.BUSY
            cause, reason = (17, REASON_BUSY) if busy else (34, REASON_CONGESTION)
            status = "BUSY" if busy else "CONGESTION"
            if far is not None:
                far.state = STATE_BUSY
                emit(ev.channel_event("Newstate", far))
                emit(ev.dial_event("DialEnd", near, f"DialStatus: {status}\r\n"))
                emit(ev.hangup_request("HangupRequest", far, 0))
                emit(ev.hangup_request("SoftHangupRequest", far, 16))
                self._respond(leg, False, reason)
                emit(ev.hangup(near, 0))
                emit(ev.hangup(far, cause))
            else:
                emit(ev.dial_event("DialEnd", near, f"DialStatus: {status}\r\n"))
                self._respond(leg, False, reason)
                emit(ev.hangup(near, cause))
            self._finish(leg, out.value, cause)
            return
        cause = plan.cause  # REJECT: far end hangs up with a cause before answer
        if far is not None:
            emit(ev.hangup_request("SoftHangupRequest", far, 16))
            emit(ev.hangup_request("HangupRequest", near, cause))
            emit(ev.hangup(far, cause))
        emit(ev.dial_event("DialEnd", near, f"DialStatus: {dial_status(out, cause)}\r\n"))
        self._respond(leg, False, 0)
        emit(ev.hangup(near, cause))
        self._finish(leg, "rejected", cause)

    def _answer(self, leg: Leg) -> None:
        near, far, emit = leg.near, leg.far, self.emit
        leg.answered_at = self.now()
        if far is not None:
            far.state = STATE_UP
            emit(ev.channel_event("Newstate", far))
        near.state = STATE_UP
        emit(ev.channel_event("Newstate", near))
        emit(ev.dial_event("DialEnd", near, "DialStatus: ANSWER\r\n"))
        near.context, near.exten = leg.spec.context, leg.spec.exten
        self._respond(leg, True, REASON_ANSWERED)
        self.after(leg, "far", leg.plan.drop_s, self.far_hangup, 16)
        spec = leg.spec
        if spec.application:
            near.activity, near.application, near.app_data = Activity.APP, spec.application, spec.app_data
            wait = (
                float(spec.app_data)
                if spec.application.lower() == "wait" and _is_number(spec.app_data)
                else 0.0
            )
            self.after(leg, "flow", wait, self.near_hangup, 16)
            return
        self.dialplan.run_context(near, spec.context, spec.exten)

    # --- inbound --------------------------------------------------------------------------------
    def inject_inbound(self, caller: str, did: str, *, patience_s: float | None = None,
                       talk_s: float | None = None) -> Channel:
        """A caller enters ``dialer-inbound`` from a trunk; returns its channel. It hangs up after
        ``patience_s`` (default ``PbxConfig.inbound_patience_s``) unless with an agent, then talks ``talk_s``."""
        self.seq += 1
        uid = self._uid()
        name = f"PJSIP/sim-trunk-{self.seq:08x}"
        ch = self.new_channel(name, uid, uid, CTX_INBOUND, did or "s", STATE_RING, (caller, caller))
        model = self.config.customer_model
        plan = FarPlan(
            FarOutcome.ANSWER,
            0.0,
            ringing=False,
            drop_s=self.config.inbound_patience_s if patience_s is None else patience_s,
            talk_s=model.talk.sample(self.rng) if talk_s is None else talk_s,
            label="inbound",
        )
        leg = Leg(
            kind="inbound",
            near=ch,
            far=None,
            plan=plan,
            spec=OriginateSpec(None, name, CTX_INBOUND, ch.exten),
        )
        ch.leg = leg
        self.emit(ev.channel_event("Newchannel", ch))
        ch.state = STATE_UP
        leg.answered_at = self.now()
        self.emit(ev.channel_event("Newstate", ch))
        self.after(leg, "far", plan.drop_s, self.far_hangup, 16)
        self.dialplan.run_context(ch, CTX_INBOUND, ch.exten)
        return ch

    def pretend_caller(self, spec: OriginateSpec, stay_s: float) -> Channel:
        """``Originate Local/<did>@dialer-inbound`` into the test network's ``caller-<N>``
        (``asterisk/extensions_test_network.conf``), as recorded in l1: the ;2 half enters ``dialer-inbound``
        as an inbound caller, the ;1 half is the caller's phone, which hangs up ``stay_s`` after the answer (the
        simulated caller talks ``stay_s`` again once with an agent). Returns the ;2 half."""
        target = spec.target
        assert target is not None and target.local
        self.seq += 1
        uid1 = spec.channel_id or self._uid()
        uid2 = spec.other_channel_id or self._uid()
        phone = self.new_channel(target.channel_name(self.seq, 1), uid1, uid1, spec.context, spec.exten, STATE_UP,
                                 spec.caller)
        ch = self.new_channel(target.channel_name(self.seq, 2), uid2, uid1, CTX_INBOUND, target.number, STATE_RING,
                              spec.caller)
        plan = FarPlan(FarOutcome.ANSWER, 0.0, ringing=False, drop_s=stay_s, talk_s=stay_s, label="inbound")
        leg = Leg(kind="inbound", near=ch, far=phone, plan=plan, spec=spec)
        phone.leg = ch.leg = leg
        self.emit(ev.channel_event("Newchannel", phone))
        self.emit(ev.channel_event("Newchannel", ch))
        ch.state = STATE_UP
        leg.answered_at = self.now()
        self.emit(ev.channel_event("Newstate", ch))
        self.after(leg, "far", stay_s, self.far_hangup, 16)
        self.dialplan.run_context(ch, CTX_INBOUND, ch.exten)
        return ch

    # --- hang-ups -------------------------------------------------------------------------------
    def far_hangup(self, leg: Leg, cause: int) -> None:
        """The far end (customer, machine, caller) hangs up."""
        if leg.done:
            return
        near, far, emit = leg.near, leg.far, self.emit
        self.dialplan.interpreter.abort_read(near)   # recording n1: READSTATUS HANGUP before the hang-up's events
        self.dialplan.interpreter.spies.stop(near)
        if near.activity is Activity.HOLD and leg.kind != "agent":
            self.abandons.append(
                AbandonRecord(self.now(), near.uniqueid, near.name, self.now() - leg.ready_at, leg.amd_status)
            )
        if far is not None:
            emit(ev.hangup_request("SoftHangupRequest", far, 16))
            emit(ev.hangup_request("HangupRequest", near, cause))
            emit(ev.hangup(far, cause))
        else:
            emit(ev.hangup_request("HangupRequest", near, cause))
        if near.activity is Activity.AMD:
            leg.amd_status = "HANGUP"
            emit(ev.var_set(near, "AMDSTATUS", "HANGUP"), "dialplan")
            emit(ev.var_set(near, "AMDCAUSE", ""), "dialplan")
        self.dialplan.stop_moh(near)
        self.dialplan.interpreter.abort_wait_digit(near)   # r1: WAITDIGITSTATUS CANCEL, then the hang-up
        self.dialplan.leave(near)
        self._stop_recording_quietly(near)
        emit(ev.hangup_request("SoftHangupRequest", near, 16))
        emit(ev.hangup(near, cause))
        self._finish(leg, leg.plan.label, cause)

    def near_hangup(self, leg: Leg, cause: int) -> None:
        """Our side hangs up (dialplan Hangup())."""
        self.hangup(leg.near, cause, by_ami=False)

    def hangup(self, ch: Channel, cause: int, *, by_ami: bool = True) -> None:
        """Hang up ``ch`` (AMI Hangup or our dialplan); the far half follows."""
        leg = ch.leg
        assert leg is not None
        if leg.done:
            return
        if ch is leg.far:
            self.far_hangup(leg, cause)
            return
        near, far, emit = leg.near, leg.far, self.emit
        if near.activity is Activity.DIALING:
            emit(ev.hangup_request("SoftHangupRequest", near, cause))
            if far is not None:
                emit(ev.hangup_request("HangupRequest", far, cause))
            emit(ev.dial_event("DialEnd", near, "DialStatus: CANCEL\r\n"))
            self._respond(leg, False, REASON_HANGUP)
            if far is not None:
                emit(ev.hangup(far, cause))
            emit(ev.hangup(near, cause))
            self._finish(leg, "cancelled", cause)
            return
        in_basic_bridge = near.bridge is not None and not near.bridge.conference
        self.dialplan.interpreter.spies.stop(near)   # a spy hung up: ChanSpyStop first (recording o1)
        self.dialplan.interpreter.abort_read(near)
        self.dialplan.stop_moh(near)
        self.dialplan.interpreter.abort_wait_digit(near)
        self.dialplan.leave(near)
        self._stop_recording_quietly(near)
        if not (by_ami and in_basic_bridge):
            emit(ev.hangup_request("SoftHangupRequest", near, cause))
        if far is not None:
            emit(ev.hangup_request("HangupRequest", far, cause))
            emit(ev.hangup_request("SoftHangupRequest", far, 16))
            emit(ev.hangup(far, cause))
        emit(ev.hangup(near, cause))
        self._finish(leg, leg.plan.label if leg.answered_at >= 0 else "cancelled", cause)

    # --- shutdown -------------------------------------------------------------------------------
    def hang_up_all(self) -> int:
        """``core restart now`` / ``core stop now``: end every call as Asterisk 22 does; returns how many
        channels there were.

        As recorded in i4_core_restart_live_calls: every channel first gets ``SoftHangupRequest`` Cause 4
        (the shutdown flag, not a Q.850 cause); then legs in a conference (or bridge) hang up with cause
        16 and every other channel with cause 0; a ringing call also gets ``DialEnd`` NOANSWER and
        ``OriginateResponse`` Failure Reason 0. Agents leave their conferences first (no music starts).
        """
        chans = list(self.channels.values())
        legs: list[Leg] = []
        seen: set[int] = set()
        for ch in chans:
            leg = ch.leg
            if leg is not None and not leg.done and id(leg) not in seen:
                seen.add(id(leg))
                legs.append(leg)
        legs.sort(key=lambda leg: leg.kind != "agent")
        for leg in legs:
            for handle in leg.timers.values():
                handle.cancel()
            leg.timers.clear()
            for ch in (leg.far, leg.near):
                if ch is not None:
                    self.emit(ev.hangup_request("SoftHangupRequest", ch, 4))
        for ch in chans:  # a channel outside any call (none today): flag, then gone
            if ch.leg is None or ch.leg.done:
                self.emit(ev.hangup_request("SoftHangupRequest", ch, 4))
                self.emit(ev.hangup(ch, 0))
                self._drop(ch)
        for leg in legs:
            self._shut_down_leg(leg)
        return len(chans)

    def _shut_down_leg(self, leg: Leg) -> None:
        near, far, emit = leg.near, leg.far, self.emit
        if near.activity is Activity.DIALING:
            emit(ev.dial_event("DialEnd", near, "DialStatus: NOANSWER\r\n"))
            if far is not None:
                emit(ev.hangup_request("SoftHangupRequest", far, 16))
                emit(ev.hangup_request("HangupRequest", far, 0))
            emit(ev.hangup(near, 0))
            if far is not None:
                emit(ev.hangup(far, 0))
            # no `failed` extension: a shutting-down Asterisk allocates no OutgoingSpoolFailed channel
            if leg.spec.on_sync_result is not None:
                leg.spec.on_sync_result(False)
            else:
                emit(ev.originate_response(leg.spec, False, leg.spec.dial, 0, near.uniqueid))
            self._finish(leg, "shutdown", 0)
            return
        if near.bridge is not None or near.activity in (Activity.CONFERENCE, Activity.BRIDGE):
            conference = near.bridge is not None and bool(near.bridge.conference)
            self.dialplan.leave(near, resume_other=False)
            self._stop_recording_quietly(near)
            if conference:
                emit(ev.var_set(near, "CONFBRIDGE_RESULT", "HANGUP"), "dialplan")
            if leg.kind == "agent":  # the agent's ;1 hangs up first
                if far is not None:
                    emit(ev.hangup_request("SoftHangupRequest", far, 16))
                emit(ev.hangup_request("SoftHangupRequest", near, 16))
                if far is not None:
                    emit(ev.hangup_request("HangupRequest", far, 16))
                emit(ev.hangup(near, 16))
                if far is not None:
                    emit(ev.hangup(far, 0))
            else:  # the customer's ;2 hangs up first
                if far is not None:
                    emit(ev.hangup_request("SoftHangupRequest", far, 16))
                    emit(ev.hangup(far, 0))
                    emit(ev.hangup_request("HangupRequest", near, 0))
                emit(ev.hangup_request("SoftHangupRequest", near, 16))
                emit(ev.hangup(near, 16))
            self._finish(leg, "shutdown", 16)
            return
        self.dialplan.stop_moh(near)
        self._stop_recording_quietly(near)
        if near.activity is Activity.AMD:
            leg.amd_status = "HANGUP"
            emit(ev.var_set(near, "AMDSTATUS", "HANGUP"), "dialplan")
            emit(ev.var_set(near, "AMDCAUSE", ""), "dialplan")
        elif near.application == "Playback":  # an interrupted Playback still reports SUCCESS (i4)
            emit(ev.var_set(near, "PLAYBACKSTATUS", "SUCCESS"), "dialplan")
        emit(ev.hangup_request("SoftHangupRequest", near, 16))
        if far is not None:
            emit(ev.hangup_request("HangupRequest", far, 0))
        emit(ev.hangup(near, 0))
        if far is not None:
            emit(ev.hangup_request("SoftHangupRequest", far, 16))
            emit(ev.hangup(far, 0))
        self._finish(leg, "shutdown", 0)

    def _stop_recording_quietly(self, ch: Channel) -> None:
        self.dialplan.close_mixmonitor(ch)    # the hang-up ends the recording: its file is written

    def _finish(self, leg: Leg, outcome: str, cause: int) -> None:
        leg.done = True
        for handle in leg.timers.values():
            handle.cancel()
        leg.timers.clear()
        self._drop(leg.near)
        self._drop(leg.far)
        self.dialplan.interpreter.spies.running.pop(leg.near.uniqueid, None)
        for spyer in self.dialplan.interpreter.spies.target_gone(leg):   # ChanSpy option E: the spy goes on
            self.dialplan.interpreter.resume(spyer)
        self.processed_calls += 1
        if leg.kind in ("customer", "inbound"):
            self.records.append(
                CallRecord(
                    self.now(),
                    leg.near.uniqueid,
                    leg.near.name,
                    outcome,
                    leg.answered_at >= 0,
                    leg.amd_status,
                    leg.met_agent,
                    leg.safe_harbor,
                    cause,
                )
            )
        if leg.failed_reason is not None:
            reason = leg.failed_reason
            if outcome == "shutdown":  # no new channel during a shutdown: the response goes at once
                self._send_failure(leg, reason)
            else:
                self.dialplan.run_failed(leg.spec, reason, lambda: self._send_failure(leg, reason))
        if leg.on_done is not None:
            leg.on_done()


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True
