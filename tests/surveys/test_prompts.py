"""Uploaded prompts: real WAV and MP3 files checked, converted to 8 kHz 16-bit mono, stored for Asterisk."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

from surveys.prompts import MAX_SECONDS, PromptRefused, convert_prompt, sound_name, store_prompt


def sine(seconds: float, rate: int, channels: int = 1, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.5 * np.sin(2 * np.pi * freq * t)
    return np.repeat(tone[:, None], channels, axis=1)


def wav_file(seconds: float, rate: int, channels: int = 1, width: int = 2, freq: float = 440.0) -> bytes:
    audio = sine(seconds, rate, channels, freq)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        if width == 2:
            out.writeframes((audio * 32767).astype("<i2").tobytes())
        else:
            out.writeframes((audio * 127 + 128).astype(np.uint8).tobytes())
    return buffer.getvalue()


def dominant_hz(samples: np.ndarray, rate: int = 8000) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(float)))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def refused(data: bytes, name: str = "prompt.wav") -> PromptRefused:
    with pytest.raises(PromptRefused) as caught:
        convert_prompt(data, name)
    return caught.value


def test_an_8khz_mono_wav_is_kept_sample_for_sample() -> None:
    converted = convert_prompt(wav_file(2.0, 8000), "hello.wav")
    assert converted.samples.dtype == np.dtype("<i2") and len(converted.samples) == 16000
    expected = (sine(2.0, 8000)[:, 0] * 32767).astype("<i2")
    assert np.max(np.abs(converted.samples.astype(int) - expected)) <= 1


def test_a_stereo_44_1khz_wav_is_converted_to_8khz_mono_keeping_its_pitch() -> None:
    converted = convert_prompt(wav_file(3.0, 44100, channels=2, freq=1000.0), "studio.wav")
    assert (converted.source_rate_hz, converted.source_channels) == (44100, 2)
    assert abs(converted.duration_s - 3.0) < 0.01
    assert abs(dominant_hz(converted.samples) - 1000.0) < 2.0


def test_an_8_bit_wav_is_converted() -> None:
    assert abs(convert_prompt(wav_file(1.0, 16000, width=1), "old.wav").duration_s - 1.0) < 0.01


def test_an_mp3_is_decoded() -> None:
    buffer = io.BytesIO()
    soundfile.write(buffer, sine(2.0, 48000), 48000, format="MP3")
    converted = convert_prompt(buffer.getvalue(), "jingle.mp3")
    assert converted.source_kind == "MP3"
    assert 1.9 < converted.duration_s < 2.2
    assert abs(dominant_hz(converted.samples) - 440.0) < 3.0


def test_a_text_file_renamed_wav_is_refused_as_not_audio() -> None:
    error = refused(b"Dear customer,\nthank you for calling.\n" * 20, "letter.wav")
    assert error.code == "not_audio" and "letter.wav" in str(error)


def test_a_broken_wav_header_is_refused_as_unreadable() -> None:
    assert refused(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").code == "unreadable"


def test_an_empty_file_is_refused() -> None:
    assert refused(b"").code == "empty"


def test_a_huge_file_is_refused_before_decoding() -> None:
    with pytest.raises(PromptRefused) as caught:
        convert_prompt(b"RIFF" + b"\0" * 1000, "big.wav", max_bytes=500)
    assert caught.value.code == "too_big"


def test_a_recording_over_the_limit_is_refused_naming_its_length() -> None:
    error = refused(wav_file(MAX_SECONDS + 1, 8000))
    assert error.code == "too_long" and "61.0 s" in str(error) and "60 s" in str(error)


def test_a_silent_or_too_short_recording_is_refused() -> None:
    assert refused(wav_file(0.05, 8000)).code == "too_short"
    silent = io.BytesIO()
    with wave.open(silent, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000)
    assert refused(silent.getvalue()).code == "silent"


def test_a_stored_prompt_is_an_8khz_mono_wav_asterisk_can_read(tmp_path: Path) -> None:
    converted = convert_prompt(wav_file(1.0, 22050, channels=2), "x.wav")
    folder = tmp_path / "sounds" / "surveys"
    prompt_id = store_prompt(folder, converted)
    assert store_prompt(folder, converted) == prompt_id, "the same sound is stored once"
    path = folder / f"{prompt_id}.wav"
    with wave.open(str(path)) as stored:
        assert (stored.getnchannels(), stored.getsampwidth(), stored.getframerate()) == (1, 2, 8000)
        assert stored.getnframes() == 8000
    assert path.stat().st_mode & 0o444 == 0o444
    assert [p.name for p in folder.iterdir()] == [path.name], "no temporary file is left"
    assert sound_name("/var/lib/asterisk/sounds/dialer-surveys/", prompt_id) == (
        f"/var/lib/asterisk/sounds/dialer-surveys/{prompt_id}")
