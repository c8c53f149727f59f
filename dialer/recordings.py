"""Call recordings, the pure part: who is recorded, HTTP byte ranges, where a pause falls, what retention keeps.

* ``RecordingPolicy``: per campaign, per inbound queue or global: ``all``, ``share`` (``share_percent`` of the
  calls, drawn per call by the engine's ``random.Random``: the same seed gives the same calls) or ``none``, and
  ``retention_days``. ``RecordingPolicy.from_form`` checks a form and names the field in its error.
* ``byte_range``: an HTTP ``Range`` header against a file's size (RFC 9110 14.1.2): ``bytes=a-b``, ``bytes=a-``,
  ``bytes=-n`` (the last n bytes); one range only (a browser's audio element sends one). ``RangeNotSatisfiable``
  for a range beyond the file or a malformed one (416), ``None`` for no header (200, the whole file).
* ``pause_spans``: the gaps in a recording, from its pause/resume events (``recordings.pauses``).
* ``retention_days_for``: the campaign's or queue's setting, else the global one.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dialer.errors import DialerError

MODES = ("all", "share", "none")
MAX_RETENTION_DAYS = 36500
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


class RecordingPolicyError(DialerError):
    """A recording setting that cannot be saved; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RangeNotSatisfiable(DialerError):
    """A ``Range`` header the file cannot serve (HTTP 416)."""


@dataclass(frozen=True, slots=True)
class RecordingPolicy:
    mode: str = "none"
    share_percent: int = 0
    retention_days: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise RecordingPolicyError("record_mode", f"must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode == "share" and not 1 <= self.share_percent <= 99:
            raise RecordingPolicyError("record_share", "a share is a whole percent from 1 to 99")
        if not 0 <= self.share_percent <= 100:
            raise RecordingPolicyError("record_share", "a share is a whole percent from 0 to 100")
        if self.retention_days is not None and not 1 <= self.retention_days <= MAX_RETENTION_DAYS:
            raise RecordingPolicyError("recording_retention_days",
                                       f"days must be from 1 to {MAX_RETENTION_DAYS}, or empty to keep the default")

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> RecordingPolicy:
        """From the campaign or queue form's ``record_mode``, ``record_share`` and ``recording_retention_days``."""
        mode = str(form.get("record_mode") or "none").strip()
        share = _whole(form.get("record_share"), "record_share") if mode == "share" else 0
        days = _whole(form.get("recording_retention_days"), "recording_retention_days")
        return cls(mode=mode, share_percent=share or 0, retention_days=days)

    def draws(self, rng: random.Random) -> bool:
        """Whether this call is recorded; a share draws once from ``rng`` (nothing is drawn for all or none)."""
        if self.mode == "all":
            return True
        if self.mode == "none":
            return False
        return rng.random() * 100.0 < self.share_percent


def _whole(value: Any, field: str) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d+", text):
        raise RecordingPolicyError(field, f"{text!r} is not a whole number")
    return int(text)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` byte positions (inclusive) the ``Range`` header asks of a file of ``size`` bytes."""
    if header is None or not header.strip():
        return None
    found = _RANGE.match(header)
    if found is None:
        raise RangeNotSatisfiable(f"unsupported range {header!r}")
    first_text, last_text = found.groups()
    if not first_text:
        if not last_text or int(last_text) == 0 or size == 0:
            raise RangeNotSatisfiable(f"empty suffix range {header!r}")
        return max(0, size - int(last_text)), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or last < first:
        raise RangeNotSatisfiable(f"range {header!r} is outside {size} bytes")
    return first, min(last, size - 1)


def pause_spans(pauses: Sequence[Mapping[str, Any]], duration_s: float | None) -> list[tuple[float, float | None]]:
    """``(start, end)`` seconds into the recording of each gap; ``end`` None: never resumed (to the end)."""
    spans: list[tuple[float, float | None]] = []
    start: float | None = None
    for event in pauses:
        if event.get("action") == "pause" and start is None:
            start = float(event.get("offset_s") or 0.0)
        elif event.get("action") == "resume" and start is not None:
            spans.append((start, float(event.get("offset_s") or start)))
            start = None
    if start is not None:
        spans.append((start, duration_s))
    return spans


def retention_days_for(own: int | None, global_days: int | None) -> int | None:
    """The days a recording is kept: its campaign's or queue's setting, else the global one (None: kept)."""
    return own if own is not None else global_days


def clock_text(seconds: float | None) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour) for a position in a recording."""
    if seconds is None:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
