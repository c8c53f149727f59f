"""``ChanSpy`` on the simulated PBX, as Asterisk 22.10.1 runs it in ``dialer-supervise`` (recording
``tests/recordings/o1_supervise_listen_whisper_barge.txt``; ``../shared/asterisk-ami/g_chanspy_whisper_mixmonitor``).

What AMI shows of it: no bridge, no BridgeEnter (ChanSpy works with audiohooks on the spied channel), only
``ChanSpyStart`` about 0.1 s after the spy's channel runs it (Spyer* fields: the spy's channel; Spyee*: the spied one)
and ``ChanSpyStop`` when it ends. It ends when the spy is redirected (a Redirect to another mode: Stop, then the new
mode's Start 0.1 s later), when the spy hangs up (Stop before its hang-up events) or when the spied channel ends (with
option ``E`` the spy's dialplan goes on: Hangup(16) in ours). Option ``u``: the target is a Uniqueid or a full channel
name, matched exactly; without it, a name prefix (``Local/agent-1`` would match ``Local/agent-10`` too). No such
channel with option ``S``: ChanSpy returns at once and the channel hangs up (cause 0), with no ChanSpyStart.
Whisper (``w``) and barge (``B``) are audio matters: over AMI they differ from a listen only by the extension run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulations.pbx import channels as ev
from simulations.pbx.channels import Channel, Leg
from simulations.pbx.expressions import split_args

if TYPE_CHECKING:
    from simulations.pbx.switch import Switch

SPY_START_S = 0.1     # ChanSpyStart follows the answer (or a Redirect's new start) by about 0.1 s


@dataclass(slots=True, eq=False)
class Spy:
    spyer: Channel
    spyee: Channel
    options: str
    started: bool = False


def spy_event(name: str, spy: Spy) -> str:
    return f"Event: {name}\r\n{ev.CALL}{spy.spyer.block('Spyer')}{spy.spyee.block('Spyee')}\r\n"


class Spies:
    """The ChanSpy sessions running on the switch, by the spy's Uniqueid."""

    def __init__(self, switch: Switch) -> None:
        self.sw = switch
        self.running: dict[str, Spy] = {}

    def find(self, target: str, options: str) -> Channel | None:
        """The channel ChanSpy picks: exact (option u: Uniqueid or full name) or the first name with that prefix."""
        channels = [c for c in self.sw.channels.values() if c.leg is not None and not c.leg.done and not c.dummy]
        if "u" in options:
            return next((c for c in channels if target in (c.uniqueid, c.name)), None)
        return next((c for c in sorted(channels, key=lambda c: c.name) if c.name.startswith(target)), None)

    def begin(self, ch: Channel, data: str) -> bool:
        """Run ``ChanSpy(data)`` on ``ch``; False when there is nothing to spy on and it returns at once (S)."""
        args = split_args(data)
        target = args[0].strip() if args else ""
        options = args[1].strip() if len(args) > 1 else ""
        spyee = self.find(target, options) if target or "u" not in options else None
        if spyee is None or spyee is ch:
            return "S" not in options          # without S it keeps looking: the spy sits in silence
        spy = Spy(ch, spyee, options)
        self.running[ch.uniqueid] = spy
        assert ch.leg is not None
        self.sw.after(ch.leg, "spy", SPY_START_S, self._started, spy)
        return True

    def _started(self, leg: Leg, spy: Spy) -> None:
        leg.timers.pop("spy", None)
        if leg.done or self.running.get(spy.spyer.uniqueid) is not spy:
            return
        spy.started = True
        self.sw.emit(spy_event("ChanSpyStart", spy))

    def stop(self, ch: Channel) -> bool:
        """The spy ``ch`` leaves ChanSpy (Redirect, its hang-up): ChanSpyStop if it had started."""
        spy = self.running.pop(ch.uniqueid, None)
        if spy is None:
            return False
        if ch.leg is not None:
            self.sw.cancel(ch.leg, "spy")
        if spy.started:
            self.sw.emit(spy_event("ChanSpyStop", spy))
        return True

    def target_gone(self, leg: Leg) -> list[Channel]:
        """``leg`` ended: the spies on its channels stop; those with option E go on in their dialplan (returned)."""
        resumed = []
        for spy in [s for s in self.running.values() if s.spyee in (leg.near, leg.far)]:
            self.stop(spy.spyer)
            if "E" in spy.options:
                resumed.append(spy.spyer)
        return resumed
