"""Faults the simulated PBX plays on purpose: dropped connections, Asterisk's own restarts and stops,
refused logins, slow replies.

A shutdown follows Asterisk 22 (main/asterisk.c ``can_safely_quit``, recordings h2 and i4):

- ``now`` (``core restart now``, ``core stop now``): from that moment every action on every session is
  refused with ``Asterisk is shutting down``; every channel is hung up (``Switch.hang_up_all``); when
  there were channels Asterisk polls for them every 0.1 s and then waits 1 s more, so ``Event: Shutdown``
  comes about 1.1 s after the hang-ups (at once when there were none); every socket closes about 34 ms
  later. A restart listens again after ``downtime_s`` (0.43 s in i4) with no channels; a login made in the
  first 0.2 s is accepted before ``FullyBooted``, which then comes as an event of its own.
- ``gracefully``: actions are refused at once, calls go on; when the last channel is gone (polled every
  second), 1 s later, the same Shutdown and close. ``when convenient``: the same without refusing actions.
- The session that sent the ``Command`` action gets no reply and no event any more (its thread is busy
  running the command until the process ends).

Delays are real seconds (Asterisk's, not the simulated clock).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from simulations.pbx.channels import SYSTEM

if TYPE_CHECKING:
    from simulations.pbx.server import SimulatedPbx
    from simulations.pbx.session import AmiSession

log = logging.getLogger(__name__)

NOW, GRACEFULLY, WHEN_CONVENIENT = "now", "gracefully", "when convenient"
POLL_NOW_S = 0.1  # wait_for_channels_to_die polls every 0.1 s for 'now' ...
POLL_NICE_S = 1.0  # ... and every second while waiting for inactivity
SETTLE_S = 1.0  # then sleep(1) when it had to wait: Shutdown ~1.1 s after the hang-ups (i4)
CLOSE_AFTER_SHUTDOWN_S = 0.034  # i4: EOF 34 ms after the Shutdown event
DOWNTIME_S = 0.43  # i4: the port accepts again 0.43 s after EOF
BOOT_S = 0.2  # i4: FullyBooted 0.2 s after a login made while booting


class Faults:
    """Switches and actions a test flips on a running ``SimulatedPbx``.

    ``refuse_logins``: every login fails (after the usual delay). ``reply_delay_s``: real seconds every
    response is held back (events are not delayed, as with a busy Asterisk). ``shutting_down``: actions are
    refused (a shutdown is under way). ``booting``: logins get no FullyBooted yet.
    """

    def __init__(self, pbx: SimulatedPbx) -> None:
        self._pbx = pbx
        self.refuse_logins = False
        self.reply_delay_s = 0.0
        self.shutting_down = False
        self.booting = False
        self.settle_s = SETTLE_S
        self.boot_s = BOOT_S
        self.stopped = False  # the process is gone (after a stop): the port refuses connections
        self._shutdown: asyncio.Task[None] | None = None
        self._boot_timer: asyncio.TimerHandle | None = None

    def drop_connections(self) -> int:
        """Abort every AMI connection at once (no goodbye); returns how many were dropped."""
        sessions = list(self._pbx.sessions)
        for session in sessions:
            session.abort()
        return len(sessions)

    async def restart(self, downtime_s: float = DOWNTIME_S, *, mode: str = NOW) -> None:
        """``core restart <mode>``: returns once the PBX listens again, with no channels."""
        await self.shutdown(restart=True, mode=mode, downtime_s=downtime_s)

    async def stop(self, *, mode: str = NOW) -> None:
        """``core stop <mode>``: returns once every connection is closed; the port stays closed until
        ``boot``."""
        await self.shutdown(restart=False, mode=mode)

    async def boot(self) -> None:
        """Asterisk starts (again): listen, no channels, ``FullyBooted`` ``boot_s`` later."""
        pbx = self._pbx
        pbx.switch.reset()
        self.stopped = False
        self.booting = True
        await pbx.open_listener()
        self._boot_timer = pbx.loop.call_later(self.boot_s, self._fully_booted)

    def _fully_booted(self) -> None:
        self.booting = False
        text = f"Event: FullyBooted\r\n{SYSTEM}Status: Fully Booted\r\nUptime: 0\r\nLastReload: 0\r\n\r\n"
        self._pbx.emit(text, "system")

    def cancel(self) -> None:
        """Forget a shutdown or boot under way (the PBX itself is being stopped)."""
        if self._shutdown is not None and not self._shutdown.done():
            self._shutdown.cancel()
        if self._boot_timer is not None:
            self._boot_timer.cancel()
        self.shutting_down = self.booting = False

    def start_shutdown(self, *, restart: bool, mode: str, issuer: AmiSession | None = None) -> bool:
        """Begin a shutdown in the background (the ``Command`` action); False if one is under way."""
        if self._shutdown is not None and not self._shutdown.done():
            kind = "restart" if restart else "stop"
            log.info("simulated PBX: ignoring %s request, already in progress", kind)
            return False
        self._shutdown = self._pbx.loop.create_task(self.shutdown(restart=restart, mode=mode, issuer=issuer))
        return True

    async def shutdown(
        self,
        *,
        restart: bool,
        mode: str = NOW,
        downtime_s: float = DOWNTIME_S,
        issuer: AmiSession | None = None,
    ) -> None:
        """Stop (and with ``restart`` start again) as Asterisk does for ``core stop|restart <mode>``."""
        if mode not in (NOW, GRACEFULLY, WHEN_CONVENIENT):
            raise ValueError(f"unknown shutdown mode {mode!r}")
        pbx = self._pbx
        if issuer is not None:
            issuer.block()
        waited = False
        if mode == NOW:
            self.shutting_down = True
            if pbx.switch.hang_up_all():
                waited = True
                await asyncio.sleep(POLL_NOW_S)
        else:
            self.shutting_down = mode == GRACEFULLY
            while pbx.switch.channels:
                waited = True
                await asyncio.sleep(POLL_NICE_S)
            self.shutting_down = True
        if waited:
            await asyncio.sleep(self.settle_s)
        pbx.broadcast_shutdown(restart=restart)
        await asyncio.sleep(CLOSE_AFTER_SHUTDOWN_S)
        for session in list(pbx.sessions):
            session.close_after_flush()
        await pbx.close_listener()
        if self._boot_timer is not None:
            self._boot_timer.cancel()
        self.booting = False
        pbx.switch.reset()
        self.shutting_down = False
        self.stopped = True
        await asyncio.sleep(0)  # let the sessions close
        if restart:
            await asyncio.sleep(downtime_s)
            await self.boot()
