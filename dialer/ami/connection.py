"""One AMI session to one Asterisk: connect, log in, match replies by ActionID, ping, reconnect.

Why not ``panoramisk.Manager`` (the recordings' README lists its 1.4 defects): it re-sends queued
actions after a reconnect (an Originate would place the call twice), its ping does not check replies
(a dead link goes unnoticed), it logs in with a plain Secret only, it hands ``OriginateResponse`` to the
action's future instead of the event handlers, and it runs callbacks with ``ensure_future`` whose
exceptions vanish. Here: actions are written once and never re-sent (a lost link fails every pending
reply with ``AmiLinkError``); our Ping must be answered within ``ping_timeout_s`` or the link is
dropped; login is MD5 challenge first, plain Secret if the server offers no challenge; every message
with an ``Event`` header goes to ``on_event`` (list-action items excepted); ``run`` is one task that
owns the session and its ping task.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from dialer.ami.config import AmiServerConfig
from dialer.ami.errors import AmiActionError, AmiError, AmiLinkError, AmiLoginError, AmiTimeout
from dialer.ami.message import AmiMessage, AmiParser, AmiProtocolError, MessageKind, format_action

log = logging.getLogger(__name__)

_SHUTTING_DOWN = "shutting down"


@dataclass(slots=True)
class _ListCollector:
    future: asyncio.Future[list[AmiMessage]]
    items: list[AmiMessage] = field(default_factory=list)
    started: bool = False


class _AmiProtocol(asyncio.Protocol):
    """Bytes to messages for one TCP connection; the session decides what each message means."""

    def __init__(self, session: AmiConnection) -> None:
        loop = asyncio.get_running_loop()
        self.session = session
        self.parser = AmiParser()
        self.transport: asyncio.Transport | None = None
        self.banner: asyncio.Future[str] = loop.create_future()
        self.lost: asyncio.Future[str] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            messages = self.parser.feed(data)
        except AmiProtocolError as exc:
            self.drop(f"protocol error: {exc}")
            return
        if not self.banner.done() and self.parser.banner is not None:
            self.banner.set_result(self.parser.banner)
        self.session.messages_received += len(messages)
        dispatch = self.session.dispatch
        for message in messages:
            dispatch(message)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(f"connection lost: {exc}" if exc else "connection closed by the server")
        if not self.banner.done():
            self.banner.set_exception(AmiLinkError("connection closed before the AMI banner"))

    def drop(self, reason: str) -> None:
        """Close now (no flush), recording why."""
        if not self.lost.done():
            self.lost.set_result(reason)
        if self.transport is not None:
            self.transport.abort()


class AmiConnection:
    """A self-healing AMI session to one server. ``run()`` until ``close()``; actions in between."""

    def __init__(self, config: AmiServerConfig, *, on_event: Callable[[AmiMessage], None],
                 on_up: Callable[[], Awaitable[None]], on_down: Callable[[str], None]) -> None:
        self.config = config
        self._on_event = on_event
        self._on_up = on_up
        self._on_down = on_down
        self._ids = itertools.count(1)
        self._prefix = f"{config.name}-{uuid.uuid4().hex[:8]}-"
        self._proto: _AmiProtocol | None = None
        self._logged_in = False
        self._pending: dict[str, asyncio.Future[AmiMessage]] = {}
        self._lists: dict[str, _ListCollector] = {}
        self._closing = False
        self.first_attempt: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.last_error = ""
        self.sessions = 0
        self.ping_rtt_s: float | None = None     # round trip of the last answered Ping
        self.messages_received = 0

    @property
    def is_up(self) -> bool:
        """Logged in with a live socket."""
        return self._logged_in and self._proto is not None and not self._proto.lost.done()

    # --- actions ---------------------------------------------------------------------------------
    def new_action_id(self) -> str:
        """A fresh ActionID, never reused by this process."""
        return self._prefix + str(next(self._ids))

    def submit(self, action: str, headers: Iterable[tuple[str, str]] = (), *,
               action_id: str | None = None, logged_in: bool = True) -> asyncio.Future[AmiMessage]:
        """Write an action once; the future gets its reply, or ``AmiLinkError`` if the link is lost first."""
        proto = self._proto
        if proto is None or proto.lost.done() or proto.transport is None or (logged_in and not self._logged_in):
            raise AmiLinkError(f"{action}: no AMI link to {self.config.name} ({self.config.address})")
        aid = action_id or self.new_action_id()
        future: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
        data = format_action(action, aid, headers)
        self._pending[aid] = future
        proto.transport.write(data)
        return future

    async def action(self, action: str, headers: Iterable[tuple[str, str]] = (), *,
                     timeout_s: float | None = None, logged_in: bool = True) -> AmiMessage:
        """Send an action and return its successful reply; ``AmiActionError`` on ``Response: Error``."""
        aid = self.new_action_id()
        future = self.submit(action, headers, action_id=aid, logged_in=logged_in)
        timeout = timeout_s if timeout_s is not None else self.config.action_timeout_s
        try:
            async with asyncio.timeout(timeout):
                reply = await future
        except TimeoutError:
            raise AmiTimeout(f"{action} to {self.config.name}: no reply in {timeout:g} s") from None
        finally:
            self._pending.pop(aid, None)
        return self.check(action, reply)

    async def list_action(self, action: str, headers: Iterable[tuple[str, str]] = (), *,
                          timeout_s: float | None = None) -> list[AmiMessage]:
        """Send a list action (``EventList: start`` ... ``EventList: Complete``); return the items."""
        aid = self.new_action_id()
        collector = _ListCollector(asyncio.get_running_loop().create_future())
        self._lists[aid] = collector
        timeout = timeout_s if timeout_s is not None else self.config.action_timeout_s
        try:
            reply_future = self.submit(action, headers, action_id=aid)
            async with asyncio.timeout(timeout):
                reply = await reply_future
            self.check(action, reply)
            async with asyncio.timeout(timeout):
                return await collector.future
        except TimeoutError:
            raise AmiTimeout(f"{action} to {self.config.name}: list not complete in {timeout:g} s") from None
        finally:
            self._pending.pop(aid, None)
            self._lists.pop(aid, None)

    async def command(self, cli: str, *, timeout_s: float | None = None) -> tuple[bool, tuple[str, ...]]:
        """Run one CLI command (AMI ``Command``, needs ``write = command``): whether the CLI succeeded and
        its ``Output`` lines. manager.c ``action_command`` answers ``Response: Success`` or ``Error`` by the
        CLI's result, both with ``Message: Command output follows``; any other Error (``Permission
        denied``, ``Command blacklisted``) raises ``AmiActionError``."""
        aid = self.new_action_id()
        future = self.submit("Command", [("Command", cli)], action_id=aid)
        timeout = timeout_s if timeout_s is not None else self.config.action_timeout_s
        try:
            async with asyncio.timeout(timeout):
                reply = await future
        except TimeoutError:
            raise AmiTimeout(f"Command {cli!r} to {self.config.name}: no reply in {timeout:g} s") from None
        finally:
            self._pending.pop(aid, None)
        if reply.get("Message") != "Command output follows":
            self.check(f"Command {cli!r}", reply)
        return reply.name == "Success", reply.values("Output")

    def check(self, action: str, reply: AmiMessage) -> AmiMessage:
        """Return a successful reply, raise ``AmiActionError`` for an error reply."""
        if reply.name in ("Error", "Failure", "Fail"):
            message = reply.get("Message")
            raise AmiActionError(f"{action} on {self.config.name} refused: {message}", message)
        return reply

    # --- incoming ------------------------------------------------------------------------------------
    def dispatch(self, message: AmiMessage) -> None:
        """Route one message: replies to their waiter, list items to their list, events to ``on_event``."""
        fields = message.fields
        if message.kind is MessageKind.EVENT:
            aid = fields.get("ActionID")
            if aid is not None and self._lists:
                collector = self._lists.get(aid)
                if collector is not None:
                    if fields.get("EventList") == "Complete":
                        if not collector.future.done():
                            collector.future.set_result(collector.items)
                    else:
                        collector.items.append(message)
                    return
            if message.name == "Shutdown" and self._proto is not None:
                self._proto.drop("Asterisk is shutting down (Event: Shutdown)")
            try:
                self._on_event(message)
            except Exception:   # the top of this callback: log with context, keep the link
                log.exception("AMI %s: handling event %s failed", self.config.name, message.name)
            return
        future = self._pending.pop(fields.get("ActionID", ""), None)
        if future is not None and not future.done():
            future.set_result(message)

    # --- session lifecycle -------------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect, log in and serve until ``close()``, reconnecting with exponential backoff."""
        delay = self.config.backoff_initial_s
        while not self._closing:
            try:
                await self._open()
            except (OSError, AmiError, TimeoutError) as exc:
                self.last_error = str(exc) or type(exc).__name__
                self._drop_session(self.last_error)
                if not self.first_attempt.done():
                    self.first_attempt.set_exception(exc if isinstance(exc, AmiError)
                                                     else AmiLinkError(self._describe(exc)))
                log.warning("AMI %s: %s; retrying in %.1f s", self.config.name, self.last_error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.config.backoff_max_s)
                continue
            delay = self.config.backoff_initial_s
            proto = self._proto
            assert proto is not None
            ping = asyncio.create_task(self._ping_loop(proto), name=f"ami-ping-{self.config.name}")
            try:
                await self._on_up()
                if not self.first_attempt.done():
                    self.first_attempt.set_result(None)
                reason = await proto.lost
            except (AmiError, TimeoutError) as exc:
                reason = f"setting up the session failed: {exc}"
                proto.drop(reason)
            finally:
                ping.cancel()
            self.last_error = reason
            self._drop_session(reason)
            self._on_down(reason)

    async def close(self) -> None:
        """Log off and stop reconnecting."""
        self._closing = True
        proto = self._proto
        if proto is not None and self.is_up:
            try:
                await self.action("Logoff", timeout_s=1.0)
            except AmiError:
                pass
        if proto is not None:
            proto.drop("closed by us")

    def _describe(self, exc: BaseException) -> str:
        return f"cannot reach AMI {self.config.name} at {self.config.address}: {exc or type(exc).__name__}"

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        cfg = self.config
        try:
            async with asyncio.timeout(cfg.connect_timeout_s):
                _, proto = await loop.create_connection(lambda: _AmiProtocol(self), cfg.host, cfg.port)
        except (OSError, TimeoutError) as exc:
            raise AmiLinkError(self._describe(exc)) from exc
        self._proto = proto
        self.sessions += 1
        async with asyncio.timeout(cfg.connect_timeout_s):
            await asyncio.shield(proto.banner)
        await self._login()
        self._logged_in = True

    async def _login(self) -> None:
        cfg = self.config
        timeout = max(cfg.action_timeout_s, 5.0)     # a refused login is answered after about 1 s
        headers: list[tuple[str, str]]
        try:
            challenge = await self.action("Challenge", [("AuthType", "MD5")], timeout_s=timeout, logged_in=False)
            token = challenge.get("Challenge")
        except AmiActionError as exc:
            if _SHUTTING_DOWN in exc.reply.lower():
                raise AmiLinkError(f"AMI {cfg.name}: Asterisk is shutting down") from exc
            token = ""
        if token:
            key = hashlib.md5((token + cfg.secret).encode("utf-8")).hexdigest()
            headers = [("AuthType", "MD5"), ("Username", cfg.username), ("Key", key)]
        else:
            headers = [("Username", cfg.username), ("Secret", cfg.secret)]
        headers.append(("Events", cfg.events))
        try:
            await self.action("Login", headers, timeout_s=timeout, logged_in=False)
        except AmiActionError as exc:
            if _SHUTTING_DOWN in exc.reply.lower():
                raise AmiLinkError(f"AMI {cfg.name}: Asterisk is shutting down") from exc
            raise AmiLoginError(
                f"AMI login to {cfg.name} at {cfg.address} as {cfg.username!r} refused: {exc.reply} "
                "(check the username, the secret and the permit/deny lines in manager.conf)") from exc

    async def _ping_loop(self, proto: _AmiProtocol) -> None:
        cfg = self.config
        while not proto.lost.done():
            await asyncio.sleep(cfg.ping_interval_s)
            sent = time.perf_counter()
            try:
                await self.action("Ping", timeout_s=cfg.ping_timeout_s)
                self.ping_rtt_s = time.perf_counter() - sent
            except AmiTimeout:
                log.warning("AMI %s: no reply to Ping in %.1f s, dropping the link", cfg.name, cfg.ping_timeout_s)
                proto.drop(f"no reply to Ping in {cfg.ping_timeout_s:g} s")
                return
            except AmiError:
                return

    def _drop_session(self, reason: str) -> None:
        """Forget the socket; fail every waiting reply (nothing is re-sent)."""
        self._logged_in = False
        proto = self._proto
        if proto is not None:
            proto.drop(reason)
        pending, self._pending = self._pending, {}
        for aid, future in pending.items():
            if not future.done():
                future.set_exception(AmiLinkError(f"AMI link to {self.config.name} lost before the reply "
                                                  f"to {aid} ({reason}); not re-sent"))
                future.exception()      # mark retrieved: a waiter, if any, still gets it
        lists, self._lists = self._lists, {}
        for collector in lists.values():
            if not collector.future.done():
                collector.future.set_exception(AmiLinkError(f"AMI link to {self.config.name} lost ({reason})"))
                collector.future.exception()
