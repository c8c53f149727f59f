"""``SimulatedPbx``: an asyncio TCP server that speaks AMI like Asterisk 22 and runs our dialplan.

It owns the listening socket, the AMI sessions and the ``Switch``; every event is formatted once and
queued on each session that wants it. Start it in a running loop (``await pbx.start()``), stop it
with ``await pbx.stop()``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from simulations.pbx.channels import SYSTEM, Channel
from simulations.pbx.config import (
    AbandonRecord,
    CallRecord,
    ConferenceUpdate,
    DialplanFault,
    OriginateRecord,
    PbxConfig,
    PbxStatistics,
)
from simulations.pbx.faults import Faults
from simulations.pbx.inbound_traffic import InboundTraffic
from simulations.pbx.session import AmiSession
from simulations.pbx.switch import Switch

log = logging.getLogger(__name__)


class SimulatedPbx:
    """A fake Asterisk for demos, end-to-end tests and pacing experiments in real (or faster) time."""

    def __init__(
        self,
        config: PbxConfig | None = None,
        *,
        on_originate: Callable[[OriginateRecord], None] | None = None,
    ) -> None:
        self.config = config or PbxConfig()
        self.faults = Faults(self)
        self.sessions: set[AmiSession] = set()
        self.originate_log: list[OriginateRecord] = []
        self.recordings: list[tuple[str, str]] = []  # (uniqueid, file) of every MixMonitor action
        self.conference_muted: set[str] = set()  # Uniqueids muted by ConfbridgeMute
        self.events_sent = 0
        self.bytes_sent = 0
        self.host = "127.0.0.1"
        self.port = 0
        self._on_originate = on_originate
        self._server: asyncio.base_events.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._switch: Switch | None = None
        self.inbound_traffic: InboundTraffic | None = None   # PbxConfig.inbound_traffic's callers, once started

    # --- life cycle -----------------------------------------------------------------------------
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("SimulatedPbx is not started")
        return self._loop

    @property
    def switch(self) -> Switch:
        if self._switch is None:
            raise RuntimeError("SimulatedPbx is not started")
        return self._switch

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host``:``port`` (0: any free port, then read ``self.port``)."""
        self._loop = asyncio.get_running_loop()
        self._switch = Switch(self.config, self.emit, loop=self._loop)
        self.host, self.port = host, port
        await self.open_listener()
        if self.config.inbound_traffic:
            cfg = self.config
            self.inbound_traffic = InboundTraffic(self, cfg.inbound_traffic, duration_s=cfg.inbound_duration_s,
                                                  start_hour=cfg.inbound_start_hour, seed=cfg.seed)
            self.inbound_traffic.start()

    async def open_listener(self) -> None:
        self._server = await self.loop.create_server(
            lambda: AmiSession(self), self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def close_listener(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def stop(self) -> None:
        """Close the listener and every connection; forget every channel."""
        self.faults.cancel()
        if self.inbound_traffic is not None:
            await self.inbound_traffic.stop()
        await self.close_listener()
        for session in list(self.sessions):
            session.abort()
        if self._switch is not None:
            self._switch.reset()
        await asyncio.sleep(0)

    # --- events ---------------------------------------------------------------------------------
    def emit(self, text: str, cls: str = "call") -> None:
        """Queue one formatted event on every logged-in session that wants class ``cls``."""
        for session in self.sessions:
            if session.authenticated and session.wants(cls, text):
                session.send_event(text)
                self.events_sent += 1

    def broadcast_shutdown(self, *, restart: bool) -> None:
        flag = "True" if restart else "False"
        self.emit(f"Event: Shutdown\r\n{SYSTEM}Shutdown: Cleanly\r\nRestart: {flag}\r\n\r\n", "system")

    def log_originate(self, channel: str, context: str, exten: str, action_id: str | None) -> None:
        log.info("originate %s -> %s,%s (ActionID %s)", channel, context, exten, action_id)
        if self._on_originate is not None and self.originate_log:
            self._on_originate(self.originate_log[-1])

    # --- harness API ----------------------------------------------------------------------------
    def on_conference(self, hook: Callable[[ConferenceUpdate], None]) -> None:
        """Call ``hook`` whenever a leg joins or leaves an agent conference (or a bridge with an agent)."""
        self.switch.dialplan.hooks.append(hook)

    def inject_inbound(self, caller: str = "+15550001111", did: str = "5000", *, patience_s: float | None = None,
                       talk_s: float | None = None) -> str:
        """A call arrives from the trunk into ``dialer-inbound``; returns its channel name (``patience_s``: it
        hangs up after that long unless with an agent; ``talk_s``: then talks that long)."""
        return self.switch.inject_inbound(caller, did, patience_s=patience_s, talk_s=talk_s).name

    @property
    def abandons(self) -> list[AbandonRecord]:
        """Answered callers who hung up while held (waiting for an agent)."""
        return self.switch.abandons

    @property
    def call_records(self) -> list[CallRecord]:
        """How every finished customer and inbound leg ended."""
        return self.switch.records

    @property
    def dialplan_faults(self) -> list[DialplanFault]:
        """Channels hung up because their dialplan looped (``PbxConfig.max_priorities``) or went wrong."""
        return self.switch.dialplan.faults

    def channels(self) -> list[Channel]:
        """The live channels (a copy of the list; the channels themselves are live state)."""
        return list(self.switch.channels.values())

    def statistics(self) -> PbxStatistics:
        sw = self.switch
        return PbxStatistics(
            channels=len(sw.channels),
            sessions=len(self.sessions),
            originates=len(self.originate_log),
            events_sent=self.events_sent,
            bytes_sent=self.bytes_sent,
            conferences=len(sw.dialplan.conferences),
        )
