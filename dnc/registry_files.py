"""National registry files: sorted unique int64 keys in a ``.npy`` file, written atomically and read back.

A registry of N numbers takes 8*N bytes on disk and in memory. Reading text numbers is streaming: the
keys are gathered in int64 chunks (never one Python object per number kept), then sorted in place.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dnc.errors import DncError, InvalidNumber
from dnc.numbers import normalise

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ParsedNumbers:
    """What reading a file of numbers gave: unique sorted keys and the lines that were not numbers."""

    keys: np.ndarray  # int64, sorted, unique
    lines: int  # data lines read (blank lines not counted)
    invalid: int
    examples: tuple[str, ...] = field(default=())  # the first few invalid lines, with the reason


def number_fields(stream: Iterable[str], *, column: str | int | None = None) -> Iterator[str]:
    """The phone-number field of each non-blank line: the whole line, or a CSV column (name or 0-based index).

    With a column name the first line is the header; a named column missing from it is an error.
    """
    if column is None:
        for line in stream:
            text = line.strip()
            if text:
                yield text
        return
    reader = csv.reader(stream, dialect=_sniff(stream) if isinstance(stream, io.TextIOBase) else "excel")
    index = column if isinstance(column, int) else None
    if index is None:
        header = next(reader, [])
        names = [h.strip().lower() for h in header]
        if str(column).strip().lower() not in names:
            raise DncError(f"no column named {column!r} in the header {header}")
        index = names.index(str(column).strip().lower())
    for row in reader:
        if len(row) > index and row[index].strip():
            yield row[index].strip()


def _sniff(stream: io.TextIOBase) -> type[csv.Dialect] | str:
    if not stream.seekable():
        return "excel"
    start = stream.tell()
    sample = stream.read(8192)
    stream.seek(start)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return "excel"


def parse_numbers(
    fields: Iterable[str],
    *,
    default_region: str | None,
    progress: Callable[[int, int], None] | None = None,
    every: int = 100_000,
) -> ParsedNumbers:
    """Normalise each field to E.164 and collect the keys; calls ``progress(lines, invalid)`` now and then."""
    chunks: list[np.ndarray] = []
    buf = np.empty(_CHUNK, dtype=np.int64)
    filled = lines = invalid = 0
    examples: list[str] = []
    for text in fields:
        lines += 1
        try:
            e164 = normalise(text, default_region=default_region)
        except InvalidNumber as exc:
            invalid += 1
            if len(examples) < 5:
                examples.append(f"line {lines}: {exc}")
        else:
            buf[filled] = int(e164[1:])
            filled += 1
            if filled == _CHUNK:
                chunks.append(buf)
                buf = np.empty(_CHUNK, dtype=np.int64)
                filled = 0
        if progress is not None and lines % every == 0:
            progress(lines, invalid)
    chunks.append(buf[:filled])
    keys = np.concatenate(chunks) if len(chunks) > 1 else chunks[0].copy()
    del chunks, buf
    return ParsedNumbers(sort_unique(keys), lines, invalid, tuple(examples))


def sort_unique(keys: np.ndarray) -> np.ndarray:
    """``keys`` sorted and without duplicates, sorting in place (one extra copy at most)."""
    keys.sort()
    if len(keys) < 2:
        return keys
    keep = np.empty(len(keys), dtype=bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys if keep.all() else keys[keep]


def write_keys(keys: np.ndarray, path: Path) -> str:
    """Write sorted unique int64 ``keys`` to ``path`` atomically (temp, fsync, rename); returns the sha256."""
    arr = np.ascontiguousarray(keys, dtype=np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:
        np.save(fh, arr, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())
    digest = file_sha256(tmp)
    os.replace(tmp, path)
    return digest


def file_sha256(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def load_keys(path: Path | str, *, mmap: bool = False) -> np.ndarray:
    """The keys of a registry file, read into memory (or memory-mapped read-only with ``mmap``)."""
    try:
        arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError:
        raise DncError(f"the DNC registry file {path} is missing") from None
    except ValueError as exc:
        raise DncError(f"the DNC registry file {path} is not a key file: {exc}") from None
    if arr.dtype != np.int64 or arr.ndim != 1:
        raise DncError(f"the DNC registry file {path} holds {arr.dtype} {arr.shape}, not int64 keys")
    return arr


def contains_sorted(path: Path | str, keys: np.ndarray) -> np.ndarray:
    """Which of ``keys`` the registry file holds (memory-mapped, so a few lookups cost no full load)."""
    arr = load_keys(path, mmap=True)
    q = np.asarray(keys, dtype=np.int64)
    if len(arr) == 0 or len(q) == 0:
        return np.zeros(len(q), dtype=bool)
    order = np.argsort(q, kind="stable")
    pos = np.searchsorted(arr, q[order])
    np.minimum(pos, len(arr) - 1, out=pos)
    out = np.empty(len(q), dtype=bool)
    out[order] = arr[pos] == q[order]
    return out
