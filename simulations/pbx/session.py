"""One AMI connection: banner, login (plain or MD5 challenge), event mask and filters, batched writes.

The user's ``read`` classes, ``write`` classes and ``eventfilter`` lines come from ``PbxConfig.manager_users``
(``asterisk/manager_dialer.conf`` by default): an event reaches the session only if the user reads its
class, the session asked for it and the filters pass it; ``actions.dispatch`` checks ``write``.

Output is queued and written once per event-loop turn (one ``transport.write`` for many events).
A failed login waits ``auth_fail_delay_real_s``, answers ``Authentication failed`` and closes, as
Asterisk does; a connection that never logs in is closed after ``auth_timeout_real_s``.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import logging
import random
import socket
from typing import TYPE_CHECKING

from simulations.pbx import actions, queries, wire
from simulations.pbx.channels import SECURITY, SYSTEM
from simulations.pbx.manager_conf import (
    ALL_CLASSES,
    NO_CLASS,
    EventFilter,
    classes_of,
    parse_filter,
    should_send,
)

if TYPE_CHECKING:
    from simulations.pbx.server import SimulatedPbx

log = logging.getLogger(__name__)


def parse_mask(raw: str | None) -> frozenset[str]:
    """Login ``Events`` / action ``EventMask`` (manager.c ``strings_to_mask``): on, off, or a class list."""
    value = (raw if raw is not None else "on").strip()
    if value.lower() in ("on", "yes", "y", "true", "t", "1", "all"):
        return ALL_CLASSES
    if value.lower() in ("off", "no", "n", "false", "f", "0", ""):
        return frozenset()
    return classes_of(value)


class AmiSession(asyncio.Protocol):
    """The server side of one manager connection."""

    def __init__(self, pbx: SimulatedPbx) -> None:
        self.pbx = pbx
        self.loop = pbx.loop
        self.transport: asyncio.Transport | None = None
        self.reader = wire.MessageReader()
        self.out: list[str] = []
        self.flush_pending = False
        self.authenticated = False
        self.closing = False
        self.challenge: str | None = None
        self.mask: frozenset[str] = frozenset()  # the classes asked for (Login Events, Events action)
        self.read: frozenset[str] = NO_CLASS  # the user's classes (manager.conf read/write)
        self.write: frozenset[str] = NO_CLASS
        self.filters: list[EventFilter] = []  # the user's eventfilter lines, then Filter actions
        self.auth_timer: asyncio.TimerHandle | None = None
        self.held: list[str] | None = None  # events held back while a synchronous Originate runs
        self.waiting: list[wire.Request] = []  # requests read while blocked, answered afterwards

    # --- transport ------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and self.pbx.config.send_buffer_bytes > 0:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.pbx.config.send_buffer_bytes)
        self.pbx.sessions.add(self)
        transport.write(wire.BANNER.encode())
        self.auth_timer = self.loop.call_later(self.pbx.config.auth_timeout_real_s, self._auth_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self.pbx.sessions.discard(self)
        self.closing = True
        if self.auth_timer is not None:
            self.auth_timer.cancel()

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        self.waiting.extend(self.reader.feed(data))
        self._drain()

    def _drain(self) -> None:
        """Answer waiting requests in order, stopping while a synchronous Originate blocks the session."""
        while self.waiting and self.held is None:
            req = self.waiting.pop(0)
            if self.closing:
                return
            try:
                self._handle(req)
            except Exception:
                log.exception("simulated PBX failed on action %r", req.action)
                self.reply(wire.error(req.action_id, "Internal error"))

    def abort(self) -> None:
        """Drop the connection without a goodbye (fault injection, restart)."""
        self.closing = True
        if self.transport is not None:
            self.transport.abort()

    def close_after_flush(self) -> None:
        self.closing = True
        self.loop.call_soon(self._close_now)

    def _close_now(self) -> None:
        self.flush()
        if self.transport is not None:
            self.transport.close()

    # --- output ---------------------------------------------------------------------------------
    def send(self, text: str) -> None:
        self.out.append(text)
        if not self.flush_pending:
            self.flush_pending = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_pending = False
        if self.out and self.transport is not None and not self.transport.is_closing():
            data = "".join(self.out).encode()
            self.pbx.bytes_sent += len(data)
            self.transport.write(data)
        self.out.clear()

    def send_event(self, text: str) -> None:
        """Queue an event, or hold it back while a synchronous Originate blocks this session."""
        if self.held is not None:
            self.held.append(text)
        else:
            self.send(text)

    def block(self) -> None:
        """A synchronous Originate: no events and no other replies until ``unblock``."""
        self.held = []

    def unblock(self, reply: str) -> None:
        """Send the synchronous Originate's reply, then the held events, then answer waiting requests."""
        held, self.held = self.held or [], None
        self.reply(reply)
        for text in held:
            self.send(text)
        self._drain()

    def reply(self, text: str) -> None:
        """Send a response, late if the ``reply_delay_s`` fault is on."""
        delay = self.pbx.faults.reply_delay_s
        if delay > 0:
            self.loop.call_later(delay, self.send, text)
        else:
            self.send(text)

    def wants(self, cls: str, text: str) -> bool:
        """Whether this session receives an event of class ``cls``: the user reads it, the session asked
        for it, and the filters let it through (manager.c ``process_events``)."""
        return cls in self.read and cls in self.mask and should_send(self.filters, text)

    @property
    def events_on(self) -> bool:
        return bool(self.mask)

    def set_event_mask(self, raw: str | None) -> None:
        self.mask = parse_mask(raw)

    def add_filter(self, raw: str) -> None:
        """The Filter action's legacy regex syntax: ``!regex`` excludes, ``regex`` includes (``re.error``
        if it does not compile)."""
        self.filters.append(parse_filter("eventfilter", raw))

    # --- login ----------------------------------------------------------------------------------
    def _handle(self, req: wire.Request) -> None:
        if req.error is not None:  # manager.c refuses it before reading the action
            self.reply(wire.error(req.action_id, req.error))
            return
        if not req.action:
            self.reply(wire.error(req.action_id, "Missing action in request"))
            return
        if self.pbx.faults.shutting_down:
            self.reply(wire.error(req.action_id, "Asterisk is shutting down"))
            return
        if self.authenticated:
            actions.dispatch(self.pbx, self, req)
            return
        action = req.action.lower()
        if action == "challenge":
            if (req.get("AuthType") or "").lower() != "md5":
                self.reply(wire.error(req.action_id, "Must specify AuthType"))
                return
            self.challenge = str(random.randint(100_000_000, 999_999_999))
            self.reply(wire.response("Success", req.action_id, [("Challenge", self.challenge)]))
        elif action == "login":
            self._login(req)
        elif action == "logoff":
            queries.logoff(self.pbx, self, req)
        else:
            self.reply(wire.error(req.action_id, "Permission denied"))

    def _login(self, req: wire.Request) -> None:
        cfg = self.pbx.config
        user, secret, key = req.get("Username") or "", req.get("Secret"), req.get("Key")
        account = cfg.manager_users.get(user)
        peer = self.transport.get_extra_info("peername") if self.transport is not None else None
        # manager.c: an unknown user, one with no secret, or an address its deny/permit lines refuse
        if account is None or not account.secret or (peer and not account.permits(peer[0])):
            ok = False
        elif key is not None and self.challenge is not None:
            expected = hashlib.md5((self.challenge + account.secret).encode()).hexdigest()
            ok = key.strip().lower() == expected
        else:
            ok = secret is not None and secret == account.secret
        if account is None or not ok or self.pbx.faults.refuse_logins:
            self.closing = True
            self.loop.call_later(cfg.auth_fail_delay_real_s, self._fail_login, req.action_id)
            return
        self.authenticated = True
        if self.auth_timer is not None:
            self.auth_timer.cancel()
        self.read, self.write, self.filters = account.read, account.write, list(account.filters)
        self.mask = parse_mask(req.get("Events"))
        self.reply(wire.success(req.action_id, "Authentication accepted"))
        uptime = int(self.pbx.switch.now() / cfg.speed)
        # action_login writes FullyBooted itself: read and mask count, the filters do not (a2)
        if "system" in self.mask and "system" in self.read and not self.pbx.faults.booting:
            self.send(
                f"Event: FullyBooted\r\n{SYSTEM}Uptime: {uptime}\r\nLastReload: {uptime}\r\n"
                "Status: Fully Booted\r\n\r\n"
            )
        auth = self._successful_auth(user)
        if self.wants("security", auth):
            self.send(auth)

    def _successful_auth(self, user: str) -> str:
        local = remote = "IPV4/TCP/0.0.0.0/0"
        if self.transport is not None:
            sock, peer = self.transport.get_extra_info("sockname"), self.transport.get_extra_info("peername")
            if sock and peer:
                local, remote = f"IPV4/TCP/{sock[0]}/{sock[1]}", f"IPV4/TCP/{peer[0]}/{peer[1]}"

        tv = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
        return (
            f"Event: SuccessfulAuth\r\n{SECURITY}EventTV: {tv}\r\nSeverity: Informational\r\nService: AMI\r\n"
            f"EventVersion: 1\r\nAccountID: {user}\r\nSessionID: 0x{id(self):x}\r\nLocalAddress: {local}\r\n"
            f"RemoteAddress: {remote}\r\nUsingPassword: 0\r\nSessionTV: {tv}\r\n\r\n"
        )

    def _fail_login(self, action_id: str | None) -> None:
        self.send(wire.error(action_id, "Authentication failed"))
        self._close_now()

    def _auth_timeout(self) -> None:
        if not self.authenticated and self.transport is not None:
            self.closing = True
            self.transport.close()
