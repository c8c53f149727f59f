"""Read recorded AMI transcripts (``/work/shared/asterisk-ami/*.txt``) and reduce event streams to
per-channel sequences, so the simulated PBX can be compared with real Asterisk, pure.

Transcript lines are ``<seconds> [conn] >> line`` (client to Asterisk) or ``<<`` (Asterisk to
client); a bare ``>>``/``<<`` ends a message; ``#`` and ``##`` lines are comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r"^\s*([\d.]+) \[(\w+)\] (<<|>>) ?(.*)$")

# fields that name the channel an event is about, in order of preference
_CHANNEL_KEYS = ("Uniqueid", "DestUniqueid", "LocalOneUniqueid")


@dataclass(frozen=True, slots=True)
class Message:
    """One AMI message of a transcript or of a live capture."""

    at: float
    conn: str
    sent_by_client: bool
    fields: tuple[tuple[str, str], ...]

    def get(self, key: str, default: str = "") -> str:
        for k, v in self.fields:
            if k == key:
                return v
        return default

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.fields)

    @property
    def event(self) -> str:
        return self.get("Event")


def parse_transcript(text: str) -> list[Message]:
    """Every message of a transcript, in order."""
    out: list[Message] = []
    pending: dict[tuple[str, str], tuple[float, list[tuple[str, str]]]] = {}
    for raw in text.splitlines():
        m = _LINE.match(raw)
        if not m:
            continue
        at, conn, direction, body = float(m.group(1)), m.group(2), m.group(3), m.group(4)
        key = (conn, direction)
        if body == "":
            if key in pending:
                start, fields = pending.pop(key)
                out.append(Message(start, conn, direction == ">>", tuple(fields)))
            continue
        if body.startswith("<EOF"):
            continue
        name, sep, value = body.partition(":")
        if not sep:  # the banner line
            continue
        pending.setdefault(key, (at, []))[1].append((name, value[1:] if value.startswith(" ") else value))
    return out


def load_transcript(path: str | Path) -> list[Message]:
    return parse_transcript(Path(path).read_text(encoding="utf-8"))


def parse_wire(text: str, conn: str = "live") -> list[Message]:
    """Messages of raw AMI text (CRLF lines, empty line between messages)."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = []
        for line in block.split("\n"):
            name, sep, value = line.partition(":")
            if sep:
                fields.append((name, value[1:] if value.startswith(" ") else value))
        if fields:
            out.append(Message(0.0, conn, False, tuple(fields)))
    return out


def label(msg: Message, detailed_vars: Iterable[str] = ("AMDSTATUS", "AMDCAUSE")) -> str:
    """The event name, with the variable for VarSet (``VarSet:AMDSTATUS``) and status for Dial*."""
    name = msg.event
    if name == "VarSet":
        var = msg.get("Variable")
        return f"VarSet:{var}" if var in detailed_vars else "VarSet"
    if name in ("DialEnd", "DialState"):
        return f"{name}:{msg.get('DialStatus')}"
    if name == "OriginateResponse":
        return f"{name}:{msg.get('Reason')}"
    return name


def per_channel(
    messages: Sequence[Message], names: set[str], *, uniqueids: Iterable[str] | None = None
) -> dict[str, list[str]]:
    """For each channel (by Uniqueid), the labels of its events whose label or name is in ``names``."""
    wanted = set(uniqueids) if uniqueids is not None else None
    out: dict[str, list[str]] = {}
    for msg in messages:
        if msg.sent_by_client or not msg.event:
            continue
        lab = label(msg)
        if lab not in names and msg.event not in names:
            continue
        uid = next((msg.get(k) for k in _CHANNEL_KEYS if msg.get(k)), "")
        if not uid or (wanted is not None and uid not in wanted):
            continue
        out.setdefault(uid, []).append(lab)
    return out


def field_names(messages: Sequence[Message], event: str) -> list[tuple[str, ...]]:
    """The distinct field-name sequences of ``event`` in ``messages``."""
    seen: list[tuple[str, ...]] = []
    for msg in messages:
        if msg.event == event and not msg.sent_by_client and msg.keys not in seen:
            seen.append(msg.keys)
    return seen
