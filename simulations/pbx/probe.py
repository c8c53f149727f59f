"""A small AMI client over asyncio streams, for tests, the benchmark and poking at a PBX by hand.

It is not the engine's adapter (that is ``dialer.ami``): it keeps every message it receives, matches
responses (and list responses) to actions by ActionID, and lets a caller wait for an event.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import Awaitable, Callable, Sequence

from simulations.pbx.transcripts import Message

Predicate = Callable[[Message], bool]


class AmiProbe:
    """One AMI connection; ``events`` holds every event received, in order."""

    def __init__(self) -> None:
        self.banner = ""
        self.events: list[Message] = []
        self.received: list[Message] = []
        self.closed = asyncio.Event()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[str, tuple[asyncio.Future[list[Message]], list[Message]]] = {}
        self._changed = asyncio.Condition()

    async def connect(self, host: str, port: int) -> str:
        """Open the connection and return the banner line."""
        self._reader, self._writer = await asyncio.open_connection(host, port)
        self.banner = (await self._reader.readline()).decode().rstrip("\r\n")
        self._task = asyncio.get_running_loop().create_task(self._read_loop())
        return self.banner

    async def login(self, username: str, secret: str, *, md5: bool = False, events: str = "on") -> Message:
        """Log in with a plain secret or the MD5 challenge; returns the Login response."""
        if not md5:
            return await self.action("Login", Username=username, Secret=secret, Events=events)
        challenge = await self.action("Challenge", AuthType="MD5")
        key = hashlib.md5((challenge.get("Challenge") + secret).encode()).hexdigest()
        return await self.action("Login", AuthType="MD5", Username=username, Key=key, Events=events)

    def send(self, action: str, action_id: str | None = None, **fields: str | list[str]) -> str:
        """Write one action without waiting; returns its ActionID."""
        assert self._writer is not None, "not connected"
        aid = action_id if action_id is not None else f"probe-{next(self._ids)}"
        lines = [f"Action: {action}", f"ActionID: {aid}"]
        for key, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                lines.append(f"{key}: {item}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        return aid

    async def action(self, action: str, *, timeout: float = 5.0, **fields: str | list[str]) -> Message:
        """Send an action and return its response (for list actions, see ``action_list``)."""
        return (await self.action_list(action, timeout=timeout, **fields))[0]

    async def action_list(
        self, action: str, *, timeout: float = 5.0, **fields: str | list[str]
    ) -> list[Message]:
        """Send an action; return its response followed by its list events up to the ``Complete`` one."""
        aid = f"probe-{next(self._ids)}"
        future: asyncio.Future[list[Message]] = asyncio.get_running_loop().create_future()
        self._pending[aid] = (future, [])
        self.send(action, aid, **fields)
        try:
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self._pending.pop(aid, None)

    async def wait_for(self, predicate: Predicate, *, timeout: float = 5.0, start: int = 0) -> Message:
        """The first event (from index ``start``) matching ``predicate``, waiting up to ``timeout`` s."""

        async def scan() -> Message:
            seen = start
            async with self._changed:
                while True:
                    for msg in self.events[seen:]:
                        if predicate(msg):
                            return msg
                    seen = len(self.events)
                    await self._changed.wait()

        async with asyncio.timeout(timeout):
            return await scan()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except (ConnectionError, OSError):
                pass
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _read_loop(self) -> None:
        assert self._reader is not None
        buffer = b""
        try:
            while True:
                chunk = await self._reader.read(65536)
                if not chunk:
                    break
                buffer += chunk
                *blocks, buffer = buffer.split(b"\r\n\r\n")
                for block in blocks:
                    self._dispatch(block)
                async with self._changed:
                    self._changed.notify_all()
        finally:
            self.closed.set()
            for future, _ in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("AMI connection closed"))
            async with self._changed:
                self._changed.notify_all()

    def _dispatch(self, block: bytes) -> None:
        fields = []
        for line in block.decode("utf-8", "replace").split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                fields.append((name, value[1:] if value.startswith(" ") else value))
        msg = Message(asyncio.get_running_loop().time(), "probe", False, tuple(fields))
        self.received.append(msg)
        aid = msg.get("ActionID")
        pending = self._pending.get(aid) if aid else None
        if pending is not None:
            future, parts = pending
            parts.append(msg)
            is_list = parts[0].get("EventList") == "start"
            if not future.done() and (not is_list or msg.get("EventList") == "Complete"):
                future.set_result(list(parts))
            if msg.event and is_list:
                return
            if not msg.event:
                return
        if msg.event:
            self.events.append(msg)


async def replay_client_actions(probe: AmiProbe, recorded: Sequence[Message],
                                caught_up: Callable[[Sequence[Message]], Awaitable[None]],
                                rewrite: Callable[[str, dict[str, str]], dict[str, str]] | None = None) -> None:
    """Send a recording's client actions (Login and Logoff aside) in order, each once ``caught_up`` of what
    the recording held before it returns (the simulated PBX has sent what Asterisk had sent by then);
    ``rewrite(action, fields)`` may rename what only the real PBX could name (a channel by its counter)."""
    for i, msg in enumerate(recorded):
        if not msg.sent_by_client or msg.get("Action") in ("Login", "Logoff"):
            continue
        await caught_up(recorded[:i])
        fields = {k: v for k, v in msg.fields if k not in ("Action", "ActionID")}
        if rewrite is not None:
            fields = rewrite(msg.get("Action"), fields)
        await probe.action(msg.get("Action"), **fields)
