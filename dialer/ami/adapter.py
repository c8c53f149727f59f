"""``AmiAdapter``: the engine's ``PbxPort`` over one AMI link per Asterisk server.

Each server has its own ``AmiConnection``, ``Translator`` and channel capacity; legs are placed on the
connected server with the most free capacity unless the request names one. Events of every server
reach one stream (``events()``), stamped with ``clock.monotonic()``.

Originate contract (stronger than "fate arrives as events"): ``originate()`` either raises
``PbxError`` and nothing was sent (no link, no capacity, reused leg id, bad variable), or returns and
exactly one terminal event (``LegFailed`` or ``LegHungUp``) will follow for that leg. An originate is
never re-sent: when the link drops the adapter reconnects, asks ``CoreShowChannels`` and settles the
legs it can no longer see before it emits ``LinkUp`` (so the engine need not reconcile itself).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Self

from dialer.ami.config import AmiServerConfig
from dialer.ami.connection import AmiConnection
from dialer.ami.errors import AmiActionError, AmiError, AmiLinkError, AmiLoginError
from dialer.ami.header_values import caller_id_header, check_line, variable_header
from dialer.ami.message import AmiMessage
from dialer.ami.translate import Translator, other_channel_id
from dialer.clock import Clock
from dialer.pbx_port import (
    LEG_ID_PREFIX,
    VAR_LEG_ID,
    LegKind,
    LinkDown,
    LinkUp,
    LiveChannel,
    OriginateRequest,
    PbxError,
    PbxEvent,
    PbxUnavailable,
)
from dialer.sound_names import sound_parts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerStats:
    """One server as the adapter sees it now."""

    name: str
    up: bool
    active_legs: int
    max_channels: int
    sessions: int          # logins so far (1 + reconnects)
    last_error: str
    messages_received: int  # AMI messages parsed on this server's links
    ping_rtt_s: float | None = None  # round trip of the last answered Ping

    @property
    def lines_free(self) -> int:
        return max(0, self.max_channels - self.active_legs) if self.up else 0


def _duration_s(text: str) -> float:
    """``HH:MM:SS`` (CoreShowChannel Duration) in seconds; 0 if unreadable."""
    try:
        hours, minutes, seconds = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return 0.0


def _caller_num(text: str) -> str:
    """A CallerIDNum as a number: Asterisk writes ``<unknown>`` when there is none."""
    return "" if text.strip() in ("", "<unknown>") else text.strip()


class _Server:
    def __init__(self, adapter: AmiAdapter, config: AmiServerConfig) -> None:
        self.adapter = adapter
        self.config = config
        self.translator = Translator(config.name)
        self.ready = False
        self.up = asyncio.Event()       # set while ``ready``: what ``AmiAdapter.wait_up`` waits for
        self.connection = AmiConnection(config, on_event=self.on_event, on_up=self.on_up, on_down=self.on_down)
        self.task: asyncio.Task[None] | None = None

    def on_event(self, message: AmiMessage) -> None:
        events = self.translator.feed(message, self.adapter.clock.monotonic())
        if events:
            put = self.adapter._queue.put_nowait
            for event in events:
                put(event)

    async def on_up(self) -> None:
        self.translator.link_up()
        live = await self.adapter._live_channels(self)
        now = self.adapter.clock.monotonic()
        for event in self.translator.reconcile({uid: channel for uid, channel in live}, now):
            self.adapter._queue.put_nowait(event)
        self.ready = True
        self.up.set()
        self.adapter._queue.put_nowait(LinkUp(self.config.name, now))

    def on_down(self, reason: str) -> None:
        self.up.clear()
        if self.ready:
            self.ready = False
            self.adapter._queue.put_nowait(LinkDown(self.config.name, self.adapter.clock.monotonic(), reason))

    def stats(self) -> ServerStats:
        conn = self.connection
        return ServerStats(self.config.name, self.ready and conn.is_up, self.translator.active_count,
                           self.config.max_channels, conn.sessions, conn.last_error, conn.messages_received,
                           conn.ping_rtt_s)


class AmiAdapter:
    """``PbxPort`` over AMI to several Asterisk servers. Use ``async with`` or ``start()``/``close()``."""

    def __init__(self, servers: Sequence[AmiServerConfig], *, clock: Clock, leg_id_memory: int = 500_000) -> None:
        if not servers:
            raise ValueError("the AMI adapter needs at least one server")
        names = [s.name for s in servers]
        if len(set(names)) != len(names):
            raise ValueError(f"AMI server names must be unique, got {names}")
        self.clock = clock
        self._configs = tuple(servers)
        self._servers: dict[str, _Server] = {}
        self._queue: asyncio.Queue[PbxEvent] = asyncio.Queue()
        # The last ``leg_id_memory`` leg ids sent (oldest first), so memory stays bounded on an engine that
        # runs for months; older ones are guarded by call_records.leg_id being UNIQUE.
        self._used_leg_ids: dict[str, None] = {}
        self._leg_id_memory = leg_id_memory

    # --- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect to every server and wait for each first attempt.

        Raises ``AmiLoginError`` if a server refuses our login (a configuration error). A server that
        cannot be reached is retried in the background; it joins with a ``LinkUp`` event.
        """
        for config in self._configs:
            server = _Server(self, config)
            self._servers[config.name] = server
            server.task = asyncio.create_task(server.connection.run(), name=f"ami-{config.name}")
        results = await asyncio.gather(*(s.connection.first_attempt for s in self._servers.values()),
                                       return_exceptions=True)
        for result in results:
            if isinstance(result, AmiLoginError):
                await self.close()
                raise result
            if isinstance(result, BaseException):
                log.warning("AMI adapter: %s (retrying in the background)", result)

    async def wait_up(self, timeout_s: float) -> list[str]:
        """Wait up to ``timeout_s`` seconds (real time: network time) for every server to be connected and
        ready; returns the names of those still not connected (empty: all up)."""
        try:
            async with asyncio.timeout(timeout_s):
                for server in self._servers.values():
                    await server.up.wait()
        except TimeoutError:
            pass
        return self.down_servers()

    def down_servers(self) -> list[str]:
        """The names of the configured servers not connected and ready now."""
        return [name for name, server in self._servers.items() if not server.ready]

    async def close(self) -> None:
        """Log off everywhere and stop the connection tasks."""
        servers = list(self._servers.values())
        await asyncio.gather(*(s.connection.close() for s in servers), return_exceptions=True)
        for server in servers:
            if server.task is not None:
                server.task.cancel()
        await asyncio.gather(*(s.task for s in servers if s.task is not None), return_exceptions=True)
        for server in servers:
            server.ready = False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def remembered_leg_ids(self) -> int:
        """How many recent leg ids the adapter refuses to send again (at most ``leg_id_memory``)."""
        return len(self._used_leg_ids)

    # --- PbxPort -----------------------------------------------------------------------------------
    async def originate(self, request: OriginateRequest) -> None:
        """Hand one async Originate to a PBX (see the module docstring for what raising means)."""
        if request.leg_id in self._used_leg_ids:
            raise PbxError(f"leg id {request.leg_id} was already used: a ChannelId is never reused")
        try:
            server = self._pick(request.server)
        except AmiLinkError as exc:
            raise PbxUnavailable(str(exc)) from exc
        headers = self._originate_headers(request)
        self._used_leg_ids[request.leg_id] = None
        if len(self._used_leg_ids) > self._leg_id_memory:
            del self._used_leg_ids[next(iter(self._used_leg_ids))]
        action_id = "orig-" + request.leg_id
        server.translator.expect(request, action_id)
        try:
            future = server.connection.submit("Originate", headers, action_id=action_id)
        except AmiError as exc:
            server.translator.forget(request.leg_id)
            raise PbxUnavailable(f"originate {request.leg_id} not sent: {exc}") from exc
        # attached before waiting, so a late reply (or our caller giving up) still settles the leg
        future.add_done_callback(lambda f: self._originate_replied(server, request.leg_id, f))
        done, _ = await asyncio.wait({future}, timeout=server.config.action_timeout_s)
        if not done:
            log.warning("AMI %s: no reply to Originate %s in %.1f s; its fate will come as events",
                        server.config.name, request.leg_id, server.config.action_timeout_s)

    def _originate_replied(self, server: _Server, leg_id: str, future: asyncio.Future[AmiMessage]) -> None:
        if future.cancelled() or future.exception() is not None:
            return              # link lost: reconciliation after the reconnect settles the leg
        reply = future.result()
        if reply.name == "Error":
            for event in server.translator.originate_refused(leg_id, reply.get("Message"), self.clock.monotonic()):
                self._queue.put_nowait(event)

    async def redirect(self, leg_id: str, *, context: str, exten: str, priority: int = 1) -> None:
        server, channel = await self._channel_anywhere(leg_id)
        await self._act(server, "Redirect", [("Channel", channel), ("Context", context), ("Exten", exten),
                                             ("Priority", str(priority))])

    async def bridge(self, leg_a: str, leg_b: str) -> None:
        server_a, channel_a = self._channel(leg_a)
        server_b, channel_b = self._channel(leg_b)
        if server_a is not server_b:
            raise PbxError(f"cannot bridge {leg_a} on {server_a.config.name} with {leg_b} on "
                           f"{server_b.config.name}: legs are on different servers")
        await self._act(server_a, "Bridge", [("Channel1", channel_a), ("Channel2", channel_b), ("Tone", "no")])

    async def conference_mute(self, leg_id: str, *, conference: str, muted: bool) -> None:
        server, channel = await self._channel_anywhere(leg_id)
        await self._act(server, "ConfbridgeMute" if muted else "ConfbridgeUnmute",
                        [("Conference", conference), ("Channel", channel)])

    async def hangup(self, leg_id: str, *, cause: int = 16) -> None:
        server, channel = await self._channel_anywhere(leg_id)
        await self._act(server, "Hangup", [("Channel", channel), ("Cause", str(cause))])

    async def set_var(self, leg_id: str, name: str, value: str) -> None:
        server, channel = self._channel(leg_id)
        try:    # Setvar's Value is not split at commas; only a line break (header injection) is refused
            check_line("Value", value)
        except ValueError as exc:
            raise PbxError(f"setvar {name} on {leg_id}: {exc}") from None
        await self._act(server, "Setvar", [("Channel", channel), ("Variable", name), ("Value", value)])

    async def get_var(self, leg_id: str, name: str) -> str | None:
        """The variable's value, or None when it is unset (Asterisk answers an empty Value)."""
        server, channel = self._channel(leg_id)
        reply = await self._act(server, "Getvar", [("Channel", channel), ("Variable", name)])
        value = reply.get("Value")
        return value if value and value != "(null)" else None

    async def start_recording(self, leg_id: str, filename: str) -> None:
        server, channel = self._channel(leg_id)
        await self._act(server, "MixMonitor", [("Channel", channel), ("File", filename)])

    async def stop_recording(self, leg_id: str) -> None:
        """StopMixMonitor; ``PbxError`` without a word on the wire when the leg is already gone (its hang-up ended
        the recording)."""
        server, channel = self._channel(leg_id)
        await self._act(server, "StopMixMonitor", [("Channel", channel)])

    async def mute_recording(self, leg_id: str, *, muted: bool) -> None:
        """MixMonitorMute on both directions (recording g): MixMonitor writes silence until unmuted."""
        server, channel = self._channel(leg_id)
        await self._act(server, "MixMonitorMute", [("Channel", channel), ("Direction", "both"),
                                                   ("State", "1" if muted else "0")])

    async def sound_exists(self, name: str, server: str | None = None) -> bool:
        """Whether sound ``name`` (an ``a&b`` list: each part) is on ``server``, or on every connected one.

        Asks ``core show sound PART`` (AMI ``Command``): main/sounds.c answers ``Indexed Information for
        PART:`` (CLI success) when the sounds index has it in some language, ``ERROR: File PART not found in
        index`` and ``Command '...' failed.`` (an Error reply) when not. ``PbxError`` when it cannot tell: no
        server connected, the AMI user lacks ``write = command``, or an answer of another kind.
        """
        targets = self._targets(server, f"cannot check sound {name!r}")
        for target in targets:
            for part in sound_parts(name):
                ok, output = await self._command(target, f"core show sound {part}",
                                                 cannot=f"cannot check sound {part!r}")
                first = output[0] if output else ""
                if ok and first.startswith(f"Indexed Information for {part}"):
                    continue
                if not ok and (first.startswith("ERROR: File ") or not first.strip()):
                    return False    # not in the index (an empty answer: the sounds folder has no index)
                raise PbxError(f"cannot check sound {part!r} on {target.config.name}: "
                               f"core show sound answered {first!r}")
        return True

    async def moh_class_exists(self, name: str, server: str | None = None) -> bool:
        """Whether music-on-hold class ``name`` is loaded on ``server``, or on every connected one.

        Asks ``moh show classes`` (AMI ``Command``): res_musiconhold lists ``Class: NAME`` then indented
        settings for each class of musiconhold.conf (recording r1); names are compared without case, as its
        container does. Realtime classes are not listed. ``PbxError`` when it cannot tell: no server
        connected, no ``write = command``, or res_musiconhold not loaded (the CLI has no such command).
        """
        cannot = f"cannot check music-on-hold class {name!r}"
        for target in self._targets(server, cannot):
            ok, output = await self._command(target, "moh show classes", cannot=cannot)
            if not ok:
                first = output[0] if output else ""
                raise PbxError(f"{cannot} on {target.config.name}: moh show classes answered {first!r}")
            classes = {line.removeprefix("Class: ").strip().lower()
                       for line in output if line.startswith("Class: ")}
            if name.strip().lower() not in classes:
                return False
        return True

    @staticmethod
    async def _command(target: _Server, command: str, *, cannot: str) -> tuple[bool, tuple[str, ...]]:
        """CLI ``command`` on ``target`` (AMI ``Command``): (CLI success, output lines); ``PbxError`` (``cannot``
        on the server, and why) when the AMI user may not run it."""
        try:
            return await target.connection.command(command)
        except AmiActionError as exc:
            raise PbxError(f"{cannot} on {target.config.name}: {exc.reply}"
                           " (the AMI user needs write = command in manager.conf)") from exc

    def _targets(self, server: str | None, cannot: str) -> list[_Server]:
        """``server``, or every connected server; ``PbxError`` (``cannot`` and why) when one is not
        connected."""
        if server is not None:
            if server not in self._servers:
                raise PbxError(f"no AMI server named {server!r}")
            targets = [self._servers[server]]
        else:
            targets = [s for s in self._servers.values() if s.ready]
        if not targets or not all(s.ready and s.connection.is_up for s in targets):
            raise AmiLinkError(f"{cannot}: {server or 'no PBX server'} is not connected")
        return targets

    async def channels(self, *, every_server: bool = False) -> list[LiveChannel]:
        """Every live channel on every connected server; ``leg_id`` is set on each leg's primary channel.
        ``every_server``: of every configured server, else ``AmiLinkError`` naming those not connected."""
        if every_server and (down := self.down_servers()):
            raise AmiLinkError(f"PBX server(s) not connected: {', '.join(down)}")
        out: list[LiveChannel] = []
        for server in self._servers.values():
            if server.ready:
                out.extend(channel for _, channel in await self._live_channels(server))
        return out

    def adopt(self, channel: LiveChannel, kind: LegKind) -> None:
        """Follow ``channel`` (one of ours, listed by ``channels()``, placed before a restart) as a live leg."""
        server = self._servers.get(channel.server)
        if server is None or channel.leg_id is None:
            raise PbxError(f"cannot adopt {channel.channel}: not a leg of ours on a known server")
        # an inbound caller's channel has Asterisk's own Uniqueid, not our leg id: it is followed by that
        uid = channel.uniqueid if kind is LegKind.INBOUND else ""
        if not server.translator.adopt(channel.leg_id, kind, channel.channel, uid=uid):
            raise PbxError(f"cannot adopt {channel.channel}: another leg follows it already")

    async def events(self) -> AsyncIterator[PbxEvent]:
        """Domain events from all servers in arrival order (one consumer)."""
        while True:
            yield await self._queue.get()

    # --- beyond the port -------------------------------------------------------------------------------
    def statistics(self) -> tuple[ServerStats, ...]:
        """An immutable snapshot per server: link, legs in progress, capacity."""
        return tuple(server.stats() for server in self._servers.values())

    def lines_free(self) -> int:
        """Channels left on all connected servers (the pacer's ``lines_free``)."""
        return sum(stats.lines_free for stats in self.statistics())

    def pending_events(self) -> int:
        return self._queue.qsize()

    # --- internals -------------------------------------------------------------------------------------
    def _pick(self, name: str | None) -> _Server:
        if name is not None:
            server = self._servers.get(name)
            if server is None:
                raise PbxError(f"no AMI server named {name!r}")
            stats = server.stats()
            if not stats.up:
                raise AmiLinkError(f"AMI server {name} is not connected ({stats.last_error or 'starting'})")
            if stats.lines_free <= 0:
                raise PbxUnavailable(f"AMI server {name} is at capacity ({stats.max_channels} channels)")
            return server
        best: _Server | None = None
        best_free = 0
        for server in self._servers.values():
            free = server.stats().lines_free
            if free > best_free:
                best, best_free = server, free
        if best is None:
            raise PbxUnavailable("no connected AMI server has a free channel")
        return best

    @staticmethod
    def _originate_headers(request: OriginateRequest) -> list[tuple[str, str]]:
        headers = [("Channel", request.dial_string), ("Context", request.context), ("Exten", request.exten),
                   ("Priority", "1"), ("Timeout", str(int(request.timeout_s * 1000)))]
        try:  # values escaped so Asterisk reads them whole (commas, quotes, UTF-8): see header_values
            if request.caller_id:
                headers.append(("CallerID", caller_id_header(request.caller_id)))
            headers += [("ChannelId", request.leg_id), ("OtherChannelId", other_channel_id(request.leg_id)),
                        ("Async", "true"), ("Variable", variable_header(VAR_LEG_ID, request.leg_id))]
            headers += [("Variable", variable_header(name, value)) for name, value in request.variables.items()]
        except ValueError as exc:
            raise PbxError(f"originate {request.leg_id}: {exc}") from None
        for _, value in headers:
            if "\r" in value or "\n" in value:
                raise PbxError(f"originate {request.leg_id}: a line break in {value!r}")
        return headers

    def _channel(self, leg_id: str) -> tuple[_Server, str]:
        for server in self._servers.values():
            if server.translator.is_active(leg_id):
                channel = server.translator.channel_of(leg_id)
                if channel is None:
                    raise PbxError(f"leg {leg_id} has no channel yet on {server.config.name}")
                return server, channel
        raise PbxError(f"leg {leg_id} is not a live leg on any AMI server")

    async def _channel_anywhere(self, leg_id: str) -> tuple[_Server, str]:
        """Like ``_channel``, and for a leg of ours placed before a restart (recovery after a crash), its
        channel found by Uniqueid among the live channels."""
        try:
            return self._channel(leg_id)
        except PbxError:
            if not leg_id.startswith(LEG_ID_PREFIX):
                raise
        for server in self._servers.values():
            if server.ready:
                for uid, live in await self._live_channels(server):
                    if uid == leg_id:
                        return server, live.channel
        raise PbxError(f"leg {leg_id} is not a live leg on any AMI server")

    async def _act(self, server: _Server, action: str, headers: list[tuple[str, str]]) -> AmiMessage:
        """One action with the server's timeout; raises ``AmiError`` (a ``PbxError``) naming it."""
        return await server.connection.action(action, headers)

    async def _live_channels(self, server: _Server) -> list[tuple[str, LiveChannel]]:
        items = await server.connection.list_action("CoreShowChannels")
        name = server.config.name
        known = server.translator.leg_of_channel

        def leg_of(uid: str) -> str | None:
            # a leg this process placed, or one placed by an engine before a restart: our ChannelIds
            # are the leg ids themselves (never the ";2" half, which gets other_channel_id)
            leg = known(uid)
            if leg is None and uid.startswith(LEG_ID_PREFIX) and not uid.endswith("-2"):
                return uid
            return leg

        out: list[tuple[str, LiveChannel]] = []
        for item in items:
            fields = item.fields
            uid = fields.get("Uniqueid", "")
            out.append((uid, LiveChannel(
                server=name, leg_id=leg_of(uid), channel=fields.get("Channel", ""),
                state=fields.get("ChannelStateDesc", ""), context=fields.get("Context", ""),
                exten=fields.get("Exten", ""), duration_s=_duration_s(fields.get("Duration", "")),
                bridge_id=fields.get("BridgeId", ""), uniqueid=uid,
                caller_id=_caller_num(fields.get("CallerIDNum", "")))))
        return out
