"""AMI messages as values: a streaming parser for what Asterisk sends and a serialiser for actions.

Pure code, no I/O. The wire format (see ``../shared/asterisk-ami/README.md``): the server first sends a
banner line ``Asterisk Call Manager/11.0.0`` ended by CRLF but *not* followed by an empty line; then
every message is ``Key: Value`` lines ended by CRLF, and an empty line ends the message. A message with an
``Event`` header is an event even when it also has a ``Response`` header (``OriginateResponse`` does).
Headers may repeat (``Variable``, ``Output``, ``ActionID`` in ``Status``): the first value is in
``fields``, every value in ``values()``.

Why not ``panoramisk.message.Message``: it is a case-insensitive dict (every read lower-cases the key;
``benchmarks/bench_ami.py`` compares the two parsers), it decodes each TCP chunk on its own
with ``errors='ignore'`` (a UTF-8 character split across two reads is lost), and its protocol glues the banner
to the first message. The splitting rule (``': '`` once per line, repeated keys collected) is the same.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

EOL = "\r\n"
BANNER_PREFIX = b"Asterisk Call Manager/"
_END = b"\r\n\r\n"
_MAX_BUFFER = 4 * 1024 * 1024  # a peer that never ends a message is broken, not slow


class MessageKind(enum.Enum):
    EVENT = "event"
    RESPONSE = "response"
    OTHER = "other"        # neither header (malformed; kept so nothing is silently dropped)


class AmiProtocolError(ValueError):
    """The byte stream is not AMI (oversized message, bad action header)."""


@dataclass(frozen=True, slots=True)
class AmiMessage:
    """One message from Asterisk: ``name`` is the Event name or the Response status."""

    kind: MessageKind
    name: str
    fields: Mapping[str, str]
    multi: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        """The first value of header ``key`` (exact case, as Asterisk sends it), or ``default``."""
        return self.fields.get(key, default)

    def values(self, key: str) -> tuple[str, ...]:
        """Every value of a header that may repeat, in order."""
        if key in self.multi:
            return self.multi[key]
        value = self.fields.get(key)
        return () if value is None else (value,)

    @property
    def action_id(self) -> str:
        return self.fields.get("ActionID", "")

    @property
    def is_event(self) -> bool:
        return self.kind is MessageKind.EVENT


def parse_message(text: str) -> AmiMessage:
    """Parse one message (its lines joined by CRLF, without the terminating empty line)."""
    fields: dict[str, str] = {}
    multi: dict[str, list[str]] | None = None
    for line in text.split(EOL):
        key, sep, value = line.partition(": ")
        if not sep:
            if line.endswith(":"):          # "Key:" with nothing after the colon
                key, value = line[:-1], ""
            elif not line:
                continue
            else:                           # not a header: keep it rather than lose it
                key, value = "", line
        if key in fields:
            if multi is None:
                multi = {}
            bucket = multi.get(key)
            if bucket is None:
                multi[key] = [fields[key], value]
            else:
                bucket.append(value)
        else:
            fields[key] = value
    frozen_multi: dict[str, tuple[str, ...]] = (
        {k: tuple(v) for k, v in multi.items()} if multi else _EMPTY_MULTI
    )
    name = fields.get("Event")
    if name is not None:
        return AmiMessage(MessageKind.EVENT, name, fields, frozen_multi)
    name = fields.get("Response")
    if name is not None:
        return AmiMessage(MessageKind.RESPONSE, name, fields, frozen_multi)
    return AmiMessage(MessageKind.OTHER, "", fields, frozen_multi)


_EMPTY_MULTI: dict[str, tuple[str, ...]] = {}


class AmiParser:
    """Incremental parser: ``feed(bytes)`` returns the complete messages so far; keeps the remainder.

    The banner is recognised only at the very start of the stream and exposed as ``banner``.
    """

    __slots__ = ("_buffer", "_started", "banner")

    def __init__(self) -> None:
        self._buffer = b""
        self._started = False
        self.banner: str | None = None

    def feed(self, data: bytes) -> list[AmiMessage]:
        """Add received bytes; return every message they complete, in order."""
        buffer = self._buffer + data if self._buffer else data
        if not self._started:
            if len(buffer) < len(BANNER_PREFIX) and BANNER_PREFIX.startswith(buffer):
                self._buffer = buffer
                return []
            self._started = True
            if buffer.startswith(BANNER_PREFIX):
                end = buffer.find(b"\r\n")
                if end < 0:
                    self._started = False
                    self._buffer = buffer
                    return []
                self.banner = buffer[:end].decode("utf-8", "replace")
                buffer = buffer[end + 2:]
        chunks = buffer.split(_END)
        self._buffer = chunks.pop()
        if len(self._buffer) > _MAX_BUFFER:
            raise AmiProtocolError(f"no message end after {len(self._buffer)} bytes")
        return [parse_message(chunk.decode("utf-8", "replace")) for chunk in chunks if chunk]


def _check(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise AmiProtocolError(f"{what} must not contain a line break: {value!r}")
    return value


def format_action(action: str, action_id: str, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """Serialise an action: ``Action``, ``ActionID``, the headers in order (keys may repeat), a blank line."""
    lines = [f"Action: {_check(action, 'Action')}", f"ActionID: {_check(action_id, 'ActionID')}"]
    for key, value in headers:
        lines.append(f"{_check(key, 'header name')}: {_check(value, key)}")
    lines.append(EOL)
    return EOL.join(lines).encode("utf-8")


def format_message(fields: Iterable[tuple[str, str]]) -> bytes:
    """Serialise any message (as the simulated PBX or a test server sends them)."""
    return ("".join(f"{k}: {v}{EOL}" for k, v in fields) + EOL).encode("utf-8")
