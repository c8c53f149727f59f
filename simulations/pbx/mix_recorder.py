"""What the simulated PBX's MixMonitor writes: a real WAV file, so players and byte ranges have something real.

Asterisk's MixMonitor writes the channel's mixed audio (8 kHz, 16-bit, mono for a ``.wav``) until
StopMixMonitor or the hang-up; ``MixMonitorMute`` with ``State: 1`` makes it write silence (the audiohook's
frames are replaced by silent ones, so the file keeps its length and the muted part is digital silence).
The simulated channel has no audio, so the file is a 440 Hz tone where the call was recorded and zeros where it
was muted, one sample per 1/8000 simulated second. The file is written when the recording stops.

A relative file name is written under ``PbxConfig.recordings_dir`` (Asterisk's ``astspooldir/monitor``); an
absolute one under it too, as if that folder were the simulated machine's root (``/x/y.wav`` ->
``recordings_dir/x/y.wav``: a simulation never writes outside its folder). No ``recordings_dir``: nothing is
written (as before).
"""

from __future__ import annotations

import logging
import math
import struct
import wave
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
RATE = 8000
_TONE = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / RATE))) for n in range(RATE))


@dataclass(slots=True)
class MixRecording:
    """One MixMonitor on a channel, in simulated seconds."""

    path: Path | None
    started: float
    muted_since: float | None = None
    gaps: list[tuple[float, float]] = field(default_factory=list)

    def mute(self, now: float, muted: bool) -> None:
        if muted and self.muted_since is None:
            self.muted_since = now
        elif not muted and self.muted_since is not None:
            self.gaps.append((self.muted_since - self.started, now - self.started))
            self.muted_since = None

    def stop(self, now: float) -> Path | None:
        """Write the file (when there is a folder); the path written, or None."""
        self.mute(now, False)
        if self.path is None:
            return None
        samples = max(0, round((now - self.started) * RATE))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with wave.open(str(self.path), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(RATE)
                out.writeframes(audio(samples, self.gaps))
        except OSError as exc:            # Asterisk logs a file it cannot open and records nothing
            log.warning("MixMonitor cannot write %s: %s", self.path, exc)
            return None
        return self.path


def audio(samples: int, gaps: list[tuple[float, float]]) -> bytes:
    """``samples`` 16-bit samples: the tone, with zeros over each ``(start_s, end_s)`` gap."""
    data = bytearray((_TONE * (samples // RATE + 1))[: samples * 2])
    for start_s, end_s in gaps:
        first = max(0, min(samples, round(start_s * RATE)))
        last = max(first, min(samples, round(end_s * RATE)))
        data[first * 2: last * 2] = bytes((last - first) * 2)
    return bytes(data)


def target(recordings_dir: Path | str | None, file: str) -> Path | None:
    """Where MixMonitor writes ``file`` (the option part after a comma is not part of it)."""
    name = file.split(",")[0].strip()
    if recordings_dir is None or not name:
        return None
    path = Path(name)
    return Path(recordings_dir) / (path.relative_to(path.anchor) if path.is_absolute() else path)
