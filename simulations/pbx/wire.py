"""AMI framing, pure: split a byte stream into action messages and format replies as Asterisk does.

An AMI message is ``Key: Value`` lines ended by CRLF and closed by an empty line. Header names are
case-insensitive on input (``action: ping`` works); a header may repeat (``Variable``). Replies keep
Asterisk's field order, ``ActionID`` second and only when the request carried one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BANNER = "Asterisk Call Manager/11.0.0\r\n"
AMI_VERSION = "11.0.0"
ASTERISK_VERSION = "22.10.1"


@dataclass(frozen=True, slots=True)
class Request:
    """One message received from a client; ``headers`` keeps order and repeats."""

    headers: tuple[tuple[str, str], ...]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``default``."""
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of a repeated header, in order."""
        low = name.lower()
        return [value for key, value in self.headers if key.lower() == low]

    @property
    def action(self) -> str:
        return (self.get("Action") or "").strip()

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")


def parse_request(block: str) -> Request:
    """Parse one message (without its closing empty line) into a ``Request``."""
    headers: list[tuple[str, str]] = []
    for line in block.split("\n"):
        line = line.rstrip("\r")
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        headers.append((key.strip(), value[1:] if value.startswith(" ") else value))
    return Request(tuple(headers))


def split_messages(buffer: bytes) -> tuple[list[Request], bytes]:
    """Cut every complete message out of ``buffer``; return them and the unfinished rest."""
    text = buffer.replace(b"\r\n", b"\n")
    parts = text.split(b"\n\n")
    rest = parts.pop()
    requests = [parse_request(p.decode("utf-8", "replace")) for p in parts if p.strip()]
    return requests, rest


def response(status: str, action_id: str | None, fields: Iterable[tuple[str, str]] = ()) -> str:
    """A reply: ``Response``, ``ActionID`` (if any), then ``fields``, as one wire message."""
    lines = [f"Response: {status}\r\n"]
    if action_id is not None:
        lines.append(f"ActionID: {action_id}\r\n")
    lines.extend(f"{k}: {v}\r\n" for k, v in fields)
    lines.append("\r\n")
    return "".join(lines)


def success(action_id: str | None, message: str | None = None) -> str:
    """``Response: Success`` with an optional ``Message``."""
    return response("Success", action_id, [("Message", message)] if message is not None else ())


def error(action_id: str | None, message: str) -> str:
    """``Response: Error`` with its ``Message``."""
    return response("Error", action_id, [("Message", message)])


def event(name: str, body: str) -> str:
    """An event message; ``body`` is pre-formatted ``Key: Value\\r\\n`` lines (starting with Privilege)."""
    return f"Event: {name}\r\n{body}\r\n"


def action_id_line(action_id: str | None) -> str:
    """``ActionID: ...`` line, or nothing when the request had no ActionID."""
    return f"ActionID: {action_id}\r\n" if action_id is not None else ""


def list_event(name: str, action_id: str | None, body: str) -> str:
    """An event that belongs to an action's list (ActionID right after the event name)."""
    aid = f"ActionID: {action_id}\r\n" if action_id is not None else ""
    return f"Event: {name}\r\n{aid}{body}\r\n"
