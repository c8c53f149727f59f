"""Reader for the AMI recordings in ``../shared/asterisk-ami/*.txt``: lines, messages and wire bytes.

Format: ``#`` header lines, then ``<secs> [conn] >> line`` (client to Asterisk), ``<< line`` (Asterisk
to client), a bare ``>>``/``<<`` ends a message, ``<secs> ## text`` is a recorder comment. Markers such
as ``<EOF: server closed the connection>`` are kept as ``marker`` lines, not protocol. Used by the
adapter's replay tests, the benchmark and the simulated PBX (to check it speaks the same way).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dialer.ami.message import EOL, AmiMessage, parse_message

_LINE = re.compile(r"^\s*(\d+(?:\.\d+)?) (?:\[([^\]]+)\] )?(##|>>|<<)(?: (.*))?$")


class Direction(enum.Enum):
    TO_ASTERISK = ">>"
    FROM_ASTERISK = "<<"
    COMMENT = "##"


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    at_s: float
    conn: str
    direction: Direction
    text: str

    @property
    def is_marker(self) -> bool:
        """``<EOF: ...>`` / ``<connection error: ...>``: what happened to the socket, not a line on it."""
        return self.text.startswith("<") and self.text.endswith(">")

    @property
    def is_banner(self) -> bool:
        return self.direction is Direction.FROM_ASTERISK and self.text.startswith("Asterisk Call Manager/")


@dataclass(frozen=True, slots=True)
class TranscriptMessage:
    """One complete message of one connection, stamped with the time of its last line."""

    at_s: float
    conn: str
    direction: Direction
    lines: tuple[str, ...]

    def parse(self) -> AmiMessage:
        return parse_message(EOL.join(self.lines))


@dataclass(frozen=True, slots=True)
class Transcript:
    name: str
    header: tuple[str, ...]
    lines: tuple[TranscriptLine, ...]

    def connections(self) -> list[str]:
        """Connection labels in order of first appearance."""
        seen: dict[str, None] = {}
        for line in self.lines:
            if line.conn:
                seen.setdefault(line.conn, None)
        return list(seen)

    def messages(self, direction: Direction | None = None, conn: str | None = None) -> list[TranscriptMessage]:
        """Complete messages in file order (interleaved across connections), optionally filtered."""
        return [m for m in self._all_messages()
                if (direction is None or m.direction is direction) and (conn is None or m.conn == conn)]

    def _all_messages(self) -> Iterator[TranscriptMessage]:
        pending: dict[tuple[str, Direction], list[str]] = {}
        for line in self.lines:
            if line.direction is Direction.COMMENT or line.is_marker or line.is_banner:
                continue
            key = (line.conn, line.direction)
            if line.text:
                pending.setdefault(key, []).append(line.text)
            elif pending.get(key):
                yield TranscriptMessage(line.at_s, line.conn, line.direction, tuple(pending.pop(key)))

    def wire_bytes(self, conn: str, direction: Direction = Direction.FROM_ASTERISK) -> bytes:
        """The exact bytes one side of one connection sent (banner, CRLF lines, empty lines)."""
        out = [line.text + EOL for line in self.lines
               if line.conn == conn and line.direction is direction and not line.is_marker]
        return "".join(out).encode("utf-8")

    def comments(self) -> list[str]:
        return [line.text for line in self.lines if line.direction is Direction.COMMENT]


def parse_transcript(text: str, name: str = "") -> Transcript:
    """Parse a recording's text; raises ``ValueError`` naming the first line that fits no rule."""
    header: list[str] = []
    lines: list[TranscriptLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith("#"):
            header.append(raw)
            continue
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if match is None:
            raise ValueError(f"{name}:{number}: not a transcript line: {raw!r}")
        at, conn, arrow, text_ = match.groups()
        lines.append(TranscriptLine(float(at), conn or "", Direction(arrow), text_ or ""))
    return Transcript(name, tuple(header), tuple(lines))


def read_transcript(path: Path | str) -> Transcript:
    """Read one recording file."""
    path = Path(path)
    return parse_transcript(path.read_text(encoding="utf-8"), path.stem)
