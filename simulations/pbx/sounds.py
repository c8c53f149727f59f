"""The sounds the simulated PBX has, and how long each plays.

``core_sounds_en.txt`` lists Asterisk's English core sounds (``name<TAB>seconds``, names as Playback
takes them: no extension, sub-folders kept, e.g. ``digits/1``), generated from Debian's
asterisk-core-sounds-en with ``python -m simulations.pbx.sounds /usr/share/asterisk/sounds/en``.
Lengths are rounded up to whole 20 ms frames, as Asterisk plays them (please-try-call-later: 2.18 s,
as recorded in i2_playback_missing_file_safe_harbor). A campaign's own sounds come from
``PbxConfig.extra_sounds``.
"""

from __future__ import annotations

import math
import sys
import wave
from collections.abc import Mapping
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("core_sounds_en.txt")
FRAME_S = 0.02


@cache
def core_sounds() -> dict[str, float]:
    """Every core sound name and its length in seconds."""
    out: dict[str, float] = {}
    for line in DATA_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, seconds = line.partition("\t")
            out[name] = float(seconds)
    return out


def sound_length(name: str, extra: Mapping[str, float] | None = None) -> float | None:
    """Seconds ``name`` plays for, or None when the PBX does not have it (``extra`` first)."""
    name = name.strip()
    if extra and name in extra:
        return float(extra[name])
    return core_sounds().get(name)


def sound_exists(name: str, extra: Mapping[str, float] | None = None) -> bool:
    """Whether Playback(``name``) finds a file (what ``core show sound NAME`` answers)."""
    return sound_length(name, extra) is not None


def generate(folder: Path) -> str:
    """The data file's text for the sounds under ``folder`` (``.wav``, ``.gsm``, ``.ulaw``...)."""
    lengths: dict[str, float] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(folder).with_suffix("").as_posix()
        seconds = _seconds(path)
        if seconds is not None and name not in lengths:
            lengths[name] = seconds
    lines = [f"{name}\t{seconds:.2f}" for name, seconds in sorted(lengths.items())]
    header = f"# Asterisk core sounds (en), generated from {folder} by simulations/pbx/sounds.py\n"
    return header + "\n".join(lines) + "\n"


def _seconds(path: Path) -> float | None:
    suffix = path.suffix.lower()
    if suffix == ".wav":
        with wave.open(str(path)) as w:
            samples, rate = w.getnframes(), w.getframerate()
    elif suffix in (".ulaw", ".alaw", ".sln"):
        samples, rate = path.stat().st_size // (2 if suffix == ".sln" else 1), 8000
    elif suffix == ".gsm":
        samples, rate = path.stat().st_size // 33 * 160, 8000
    else:
        return None
    return math.ceil(samples / rate / FRAME_S - 1e-9) * FRAME_S


if __name__ == "__main__":  # pragma: no cover - maintenance tool
    DATA_FILE.write_text(generate(Path(sys.argv[1])), encoding="utf-8")
