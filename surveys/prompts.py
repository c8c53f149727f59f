"""Uploaded survey prompts: a WAV or MP3 checked and converted to what Asterisk plays, stored where it reads.

``convert_prompt(data, filename)`` refuses with ``PromptRefused`` (``code``/``params``; the page words it in
the reader's language through ``admin_ui.survey_text``): an empty file, a file over ``MAX_UPLOAD_BYTES``, a
file that is neither WAV (``RIFF....WAVE``) nor MP3 (an ID3 tag or an MPEG audio frame) whatever its name
says (a text file renamed ``.wav``), one that libsndfile cannot decode, one shorter than 0.2 s or longer
than ``max_s`` (60 s). Anything else is converted: channels mixed to mono, resampled to 8 kHz with a
polyphase filter (``scipy.signal.resample_poly``), 16-bit signed linear, peaks clipped; so a stereo 44.1 kHz
WAV or a 48 kHz MP3 plays. Decoding is ``soundfile`` (its wheel bundles libsndfile with mpg123).

``store_prompt(folder, converted)`` writes ``<id>.wav`` (8 kHz 16-bit mono: Asterisk's ``wav`` format,
the same samples as ``.sln``, and a browser plays it for the preview) atomically, readable by all; ``id``
is the SHA-256 of the samples (32 hex digits), so the same sound uploaded twice is stored once.
``sound_name(pbx_folder, id)`` is what ``Playback`` takes: the absolute path as Asterisk sees the folder,
without extension. With Asterisk on the same machine the two folders are one (``DIALER_SURVEY_SOUNDS_DIR``,
default ``<data_dir>/sounds/surveys``); with a remote Asterisk, share the folder (NFS, or rsync after each
upload) and give the path it has there in ``DIALER_SURVEY_SOUNDS_PBX_DIR``.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

RATE_HZ = 8000
MAX_SECONDS = 60.0
MIN_SECONDS = 0.2
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

ENGLISH: dict[str, str] = {
    "empty": "the file {filename!r} is empty",
    "too_big": "the file {filename!r} is {size_mb:.1f} MB; the limit is {limit_mb:.0f} MB",
    "not_audio": "the file {filename!r} is not a WAV or MP3 recording (its first bytes are not a sound file's, "
                 "whatever its name says)",
    "unreadable": "the file {filename!r} looks like {kind} but cannot be decoded ({detail})",
    "too_long": "the recording {filename!r} lasts {seconds:.1f} s; a prompt may last at most {limit:.0f} s",
    "too_short": "the recording {filename!r} lasts {seconds:.2f} s: too short to be heard",
    "silent": "the recording {filename!r} is silent",
}


class PromptRefused(ValueError):
    """An upload that cannot be a prompt: ``code`` and ``params`` say why (English in ``ENGLISH``)."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(ENGLISH[code].format(**params))


@dataclass(frozen=True, slots=True)
class Converted:
    samples: np.ndarray          # int16, mono, RATE_HZ
    source_kind: str             # "WAV" | "MP3"
    source_rate_hz: int
    source_channels: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / RATE_HZ

    @property
    def prompt_id(self) -> str:
        return hashlib.sha256(self.samples.tobytes()).hexdigest()[:32]


def sniff(data: bytes) -> str | None:
    """``WAV``, ``MP3`` or None, from the first bytes."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "WAV"
    if data[:3] == b"ID3":
        return "MP3"
    if len(data) >= 2 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0 and (data[1] & 0x06) != 0:
        return "MP3"        # an MPEG audio frame header: 11 sync bits, a layer
    return None


def convert_prompt(data: bytes, filename: str, *, max_s: float = MAX_SECONDS,
                   max_bytes: int = MAX_UPLOAD_BYTES) -> Converted:
    """Check an upload and convert it to 8 kHz 16-bit mono; raises ``PromptRefused``."""
    if not data:
        raise PromptRefused("empty", filename=filename)
    if len(data) > max_bytes:
        raise PromptRefused("too_big", filename=filename, size_mb=len(data) / 2**20, limit_mb=max_bytes / 2**20)
    kind = sniff(data)
    if kind is None:
        raise PromptRefused("not_audio", filename=filename)
    try:
        info = soundfile.info(io.BytesIO(data))
        seconds = info.frames / info.samplerate if info.samplerate else 0.0
        if seconds > max_s + 0.05:          # refuse before decoding a long file
            raise PromptRefused("too_long", filename=filename, seconds=seconds, limit=max_s)
        audio, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except soundfile.SoundFileError as error:
        raise PromptRefused("unreadable", filename=filename, kind=kind, detail=_short(error)) from None
    seconds = audio.shape[0] / rate
    if seconds > max_s + 0.05:
        raise PromptRefused("too_long", filename=filename, seconds=seconds, limit=max_s)
    if seconds < MIN_SECONDS:
        raise PromptRefused("too_short", filename=filename, seconds=seconds)
    mono = audio.mean(axis=1, dtype=np.float64)
    if rate != RATE_HZ:
        common = math.gcd(int(rate), RATE_HZ)
        from scipy.signal import resample_poly  # here: scipy.signal costs every process start 1-3 s

        mono = resample_poly(mono, RATE_HZ // common, int(rate) // common)
    if not np.any(np.abs(mono) > 1e-4):
        raise PromptRefused("silent", filename=filename)
    pcm = np.clip(np.round(mono * 32767.0), -32768, 32767).astype("<i2")
    return Converted(samples=pcm, source_kind=kind, source_rate_hz=int(rate), source_channels=audio.shape[1])


def _short(error: Exception) -> str:
    text = str(error)
    return text.rsplit(": ", 1)[-1][:120] if ": " in text else text[:120]


def wav_bytes(converted: Converted) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        out.writeframes(converted.samples.tobytes())
    return buffer.getvalue()


def store_prompt(folder: Path, converted: Converted) -> str:
    """Write ``<id>.wav`` in ``folder`` (created 0755) atomically, mode 0644; returns the id."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o755)
    prompt_id = converted.prompt_id
    target = folder / f"{prompt_id}.wav"
    if target.exists():
        return prompt_id
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".wav")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(wav_bytes(converted))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return prompt_id


def prompt_path(folder: Path, prompt_id: str) -> Path:
    return folder / f"{prompt_id}.wav"


def sound_name(pbx_folder: str, prompt_id: str) -> str:
    """The name ``Playback`` takes for an uploaded prompt: the path as Asterisk sees it, no extension."""
    return f"{pbx_folder.rstrip('/')}/{prompt_id}"


def sounds_folders(settings: Any) -> tuple[Path, str]:
    """(where the dialer writes prompts, the same folder as Asterisk names it) from ``dialer.settings``."""
    folder = settings.survey_sounds_dir or settings.data_dir / "sounds" / "surveys"
    folder = Path(folder).expanduser().resolve()
    return folder, settings.survey_sounds_pbx_dir or str(folder)
