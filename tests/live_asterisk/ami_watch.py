"""A small, independent AMI client for the live suite: it watches what Asterisk itself reports.

It shares no code with ``dialer.ami`` on purpose: the live tests compare the engine's records with
Asterisk's own events, so the witness must not be the code under test. It logs in with the plain
``Secret``, keeps every message with its arrival time (``time.monotonic()``), answers actions by their
ActionID, and can write what it saw in the recording format of ``../shared/asterisk-ami/``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dialer.aio import wait_within

Message = dict[str, str]


@dataclass(frozen=True, slots=True)
class AmiTarget:
    host: str
    port: int
    username: str
    secret: str

    @classmethod
    def parse(cls, raw: str) -> AmiTarget:
        """``host:port:user:secret`` (the secret may itself contain ``:``)."""
        host, port, user, secret = raw.split(":", 3)
        return cls(host, int(port), user, secret)


@dataclass
class Seen:
    at: float
    fields: Message

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)


@dataclass
class AmiWatch:
    target: AmiTarget
    events: list[Seen] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    _task: asyncio.Task[None] | None = None
    _pending: dict[str, asyncio.Future[list[Message]]] = field(default_factory=dict)
    _lists: dict[str, list[Message]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    t0: float = field(default_factory=time.monotonic)
    closed: bool = False

    async def connect(self, timeout_s: float = 5.0) -> None:
        await self.close()   # a reconnect: the old connection is done with
        self._reader, self._writer = await wait_within(
            asyncio.open_connection(self.target.host, self.target.port), timeout_s)
        banner = await wait_within(self._reader.readline(), timeout_s)
        self._log("<<", banner.decode().rstrip("\r\n"))
        self.closed = False
        self._task = asyncio.create_task(self._read_loop())
        answer = await self.action({"Action": "Login", "Username": self.target.username,
                                    "Secret": self.target.secret}, timeout_s=timeout_s)
        if answer[0].get("Response") != "Success":
            raise RuntimeError(f"AMI login failed: {answer[0]}")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self._writer = None
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _log(self, direction: str, line: str) -> None:
        self.transcript.append(f"{time.monotonic() - self.t0:9.3f} [w] {direction} {line}".rstrip())

    async def _read_loop(self) -> None:
        assert self._reader is not None
        current: Message = {}
        try:
            while True:
                raw = await self._reader.readline()
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self._log("<<", line)
                if line == "":
                    if current:
                        self._dispatch(current)
                    current = {}
                    continue
                key, _, value = line.partition(":")
                if key in current:  # repeated keys (Output:, ChanVariable): keep them all, one per line
                    current[key] += "\n" + value.strip()
                else:
                    current[key] = value.strip()
        finally:
            self.closed = True
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("AMI connection closed"))
            self._changed.set()

    def _dispatch(self, msg: Message) -> None:
        action_id = msg.get("ActionID", "")
        if "Event" in msg:
            self.events.append(Seen(time.monotonic(), msg))
            self._changed.set()
            if action_id in self._lists:
                self._lists[action_id].append(msg)
                if msg.get("EventList") == "Complete" or msg["Event"].endswith("Complete"):
                    future = self._pending.pop(action_id, None)
                    if future is not None and not future.done():
                        future.set_result(self._lists.pop(action_id))
            return
        future = self._pending.get(action_id)
        if future is None or future.done():
            return
        if msg.get("EventList") == "start":
            self._lists[action_id] = [msg]
            return
        self._pending.pop(action_id)
        future.set_result([msg])

    async def action(self, fields: Message, *, timeout_s: float = 10.0) -> list[Message]:
        """Send an action; its response (and, for list actions, every event of the list)."""
        assert self._writer is not None
        action_id = f"w-{next(self._ids)}"
        future: asyncio.Future[list[Message]] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = future
        lines = [f"{k}: {v}" for k, v in {**fields, "ActionID": action_id}.items()]
        for line in [*lines, ""]:
            self._log(">>", line)
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self._writer.drain()
        return await wait_within(future, timeout_s)

    async def command(self, command: str, *, timeout_s: float = 10.0) -> tuple[str, str]:
        """A CLI command through AMI: (Response, the output lines joined)."""
        answer = (await self.action({"Action": "Command", "Command": command}, timeout_s=timeout_s))[0]
        return answer.get("Response", ""), answer.get("Output", "")

    async def channels(self) -> list[Message]:
        listed = await self.action({"Action": "CoreShowChannels"})
        return [m for m in listed if m.get("Event") == "CoreShowChannel"]

    def matching(self, predicate: Callable[[Seen], bool]) -> list[Seen]:
        return [e for e in self.events if predicate(e)]

    async def wait_for(self, predicate: Callable[[Seen], bool], *, timeout_s: float) -> Seen:
        """The first event (already seen or to come) for which ``predicate`` holds."""
        deadline = time.monotonic() + timeout_s
        checked = 0
        while True:
            for event in self.events[checked:]:
                if predicate(event):
                    return event
            checked = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the awaited AMI event did not come")
            self._changed.clear()
            try:
                await wait_within(self._changed.wait(), left)
            except TimeoutError:
                pass

    def save(self, path: Path, header: list[str]) -> None:
        """Write what was exchanged, in the format of ``../shared/asterisk-ami/``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"# {h}" for h in header] + ["#" + "-" * 78] + self.transcript
        path.write_text("\n".join(lines) + "\n")


def event(name: str, **fields: str) -> Callable[[Seen], bool]:
    """A predicate: an event named ``name`` whose fields have these values (UserEvent names match too)."""
    def check(seen: Seen) -> bool:
        if seen.get("Event") != name and seen.get("UserEvent") != name:
            return False
        return all(seen.get(k) == v for k, v in fields.items())
    return check
