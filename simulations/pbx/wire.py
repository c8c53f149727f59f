"""AMI framing, pure: split a byte stream into action messages and format replies as Asterisk does.

An AMI message is ``Key: Value`` lines ended by CRLF and closed by an empty line. Header names are
case-insensitive on input (``action: ping`` works); a header may repeat (``Variable``). Replies keep
Asterisk's field order, ``ActionID`` second and only when the request carried one.

``MessageReader`` reads lines as manager.c does (``get_input``, ``do_message``): a 1024-byte input
buffer, so a line that does not fit (1023 bytes or more before its CRLF) is discarded and the whole
message is answered ``Failed to parse message: line too long``; more than 128 lines in one message
give ``Too many lines in message or allocation failure``. Neither message is acted on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BANNER = "Asterisk Call Manager/11.0.0\r\n"
AMI_VERSION = "11.0.0"
ASTERISK_VERSION = "22.10.1"


INPUT_BUFFER = 1024  # manager.c: char inbuf[1025], one byte kept for the terminating NUL
MAX_HEADERS = 128  # AST_MAX_MANHEADERS
LINE_TOO_LONG = "Failed to parse message: line too long"
TOO_MANY_LINES = "Too many lines in message or allocation failure"


@dataclass(frozen=True, slots=True)
class Request:
    """One message received from a client; ``headers`` keeps order and repeats.

    ``error`` is set when Asterisk would refuse the message before looking at its action.
    """

    headers: tuple[tuple[str, str], ...]
    error: str | None = None

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


def parse_header(line: str) -> tuple[str, str] | None:
    """``Key: value`` -> (key, value with its leading blanks skipped, as ``astman_get_header`` does)."""
    key, sep, value = line.partition(":")
    if not sep:
        return None
    i = 0
    while i < len(value) and ord(value[i]) < 33:
        i += 1
    return key.strip(), value[i:]


class MessageReader:
    """Cut a client's byte stream into requests the way Asterisk's manager reads it, line by line."""

    def __init__(self) -> None:
        self.buffer = b""
        self.lines: list[str] = []
        self.too_long = False
        self.too_many = False

    def feed(self, data: bytes) -> list[Request]:
        """Every message completed by ``data``, in order (with ``error`` set on a refused one)."""
        buf = self.buffer + data
        out: list[Request] = []
        pos = 0
        while True:
            end = buf.find(b"\n", pos, pos + INPUT_BUFFER)
            if end < 0:
                if len(buf) - pos < INPUT_BUFFER:
                    self.buffer = buf[pos:]
                    return out
                # no line end in a full buffer: discard it, keeping its last byte (maybe half a CRLF)
                pos += INPUT_BUFFER - 1
                self.too_long = True
                continue
            stop = end - 1 if end > pos and buf[end - 1] == 13 else end
            raw, pos = buf[pos:stop], end + 1
            if raw:
                if len(self.lines) < MAX_HEADERS:
                    self.lines.append(raw.decode("utf-8", "replace"))
                else:
                    self.too_many = True
                continue
            request = self._end_of_message()
            if request is not None:
                out.append(request)

    def _end_of_message(self) -> Request | None:
        headers = tuple(h for line in self.lines if (h := parse_header(line)) is not None)
        error = TOO_MANY_LINES if self.too_many else LINE_TOO_LONG if self.too_long else None
        had_lines = bool(self.lines)
        self.lines, self.too_long, self.too_many = [], False, False
        if not had_lines and error is None:
            return None  # a blank line between messages
        return Request(headers, error)


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
