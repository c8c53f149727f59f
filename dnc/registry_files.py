"""National registry files: sorted unique int64 keys in a ``.npy`` file, written atomically and read back.

A registry of N numbers takes 8*N bytes on disk and in memory. A file of one number per line is read
by ``scan_numbers`` in 64 MiB blocks with numpy and no Python work per line: line ends are found with
one comparison over the block, the digits of every canonical E.164 line (``+`` and 6 to 15 digits) are
gathered position by position into int64 keys, and each number is validated by walking the digit
automaton of ``dnc.number_ranges`` (``phonenumbers``' metadata compiled once), a table lookup per
digit. Only lines that are not canonical, or that the automaton refuses, are parsed one by one with
``phonenumbers`` (so ``0612 34 56 78`` with a region, or ``+1 1 831...`` that it reads as
``+1831...``, give the same answer as before); a line that still does not parse is counted and the
first ``MAX_EXAMPLES`` are reported with their line numbers. ``write_registry`` sorts each block,
appends it to a run file, merges the runs in place in a memory map (timsort finds the runs) and
streams the unique keys into the ``.npy``, hashing as it writes: about 1 GB of memory for 10**8 numbers.
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

from dialer.reasons import reason
from dnc import number_ranges
from dnc.errors import DncError, InvalidNumber
from dnc.numbers import normalise

_CHUNK = 1 << 20
BLOCK_BYTES = 1 << 26  # bytes read at a time by scan_numbers
_MAX_LINE = 1 << 16  # a "line" longer than this without a line end is one invalid line, skipped
_MERGE_CHUNK = 1 << 23
MAX_EXAMPLES = 20  # invalid lines quoted in a report (all are counted)
BadLine = tuple[int, str, str]  # line, its text as shown (quoted), why (a dialer.reasons.Reason: code and params)
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class ParsedNumbers:
    """What reading a file of numbers gave: unique sorted keys and the lines that were not numbers."""

    keys: np.ndarray  # int64, sorted, unique
    lines: int  # data lines read (blank lines not counted)
    invalid: int
    examples: tuple[str, ...] = field(default=())  # the first few invalid lines, with the reason
    bad_lines: tuple[BadLine, ...] = field(default=())  # the same as (line, text, reason with its code)


@dataclass(slots=True)
class Tally:
    """What ``scan_numbers`` has read so far (updated in place, block by block)."""

    lines: int = 0  # data lines (blank lines not counted)
    invalid: int = 0
    bytes_read: int = 0
    examples: list[str] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)

    def reject(self, line_no: int, text: str, reason: str) -> None:
        self.invalid += 1
        if len(self.examples) < MAX_EXAMPLES:
            shown = text if len(text) <= 60 else text[:57] + "..."
            self.examples.append(f"line {line_no}: {shown!r}: {reason}")
            self.bad_lines.append((line_no, repr(shown), reason))


@dataclass(frozen=True, slots=True)
class WrittenRegistry:
    """A registry file written from a text file: its numbers, its sha256, and what reading found."""

    count: int  # distinct valid numbers in the file
    sha256: str
    lines: int
    invalid: int
    examples: tuple[str, ...]
    bad_lines: tuple[BadLine, ...] = ()


def scan_numbers(
    path: Path | str,
    *,
    default_region: str | None,
    tally: Tally,
    progress: Callable[[Tally], None] | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[np.ndarray]:
    """The int64 keys of the valid numbers of a one-number-per-line file, block by block (unsorted).

    ``tally`` counts lines and invalid lines (with the first examples); ``progress(tally)`` is called
    after each block. Blank lines are skipped; a UTF-8 BOM and CR line ends are accepted.
    """
    with open(path, "rb") as fh:
        carry = b""
        line_no = 0  # physical lines before the current block
        skipping = False  # inside an over-long line (already counted)
        first = True
        while True:
            raw = fh.read(block_bytes)
            eof = not raw
            data = carry + raw if carry else raw
            carry = b""
            if first and data.startswith(_BOM):
                data = data[3:]
            first = False
            if skipping:
                end = data.find(b"\n")
                if end < 0:
                    if eof:
                        break
                    continue
                data, skipping, line_no = data[end + 1 :], False, line_no + 1
            if eof:
                if not data:
                    break
                if not data.endswith(b"\n"):
                    data += b"\n"
                cut = len(data)
            else:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) > max(_MAX_LINE, block_bytes):
                        tally.lines += 1
                        tally.reject(line_no + 1, data[:60].decode("utf-8", "replace"), "line too long")
                        skipping = True
                    else:
                        carry = data
                    continue
            carry = data[cut:]
            keys, lines_in_block = _parse_block(data[:cut], line_no, default_region, tally)
            line_no += lines_in_block
            tally.bytes_read = fh.tell() - len(carry)
            yield keys
            if progress is not None:
                progress(tally)
            if eof:
                break


def _parse_block(body: bytes, line_no: int, default_region: str | None, tally: Tally) -> tuple[np.ndarray, int]:
    """Keys of the valid numbers of ``body`` (whole lines, each ending in a line feed), and its line count."""
    automaton = number_ranges.automaton()
    table = automaton.transitions.reshape(-1)
    size = len(body)
    buf = np.frombuffer(body + b"\0" * 24, dtype=np.uint8)  # padding: the digit gathers never go past it
    ends = np.flatnonzero(buf[:size] == 10)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    ends -= (buf.take(ends - 1) == 13) & (ends > starts)  # a CR before the LF is not part of the line
    lengths = ends - starts
    fast = (lengths >= 7) & (lengths <= 16) & (buf.take(starts) == 43)  # "+" and 6 to 15 characters
    candidates = np.flatnonzero(fast)
    digits = (lengths.take(candidates) - 1).astype(np.int8)
    pos = starts.take(candidates) + 1
    n = len(candidates)
    state = np.full(n, number_ranges.ROOT, dtype=np.int32)
    key = np.zeros(n, dtype=np.int64)
    ok = np.ones(n, dtype=bool)
    shortest = int(digits.min()) if n else 0
    for j in range(15):
        d = buf.take(pos) - np.uint8(48)  # a non-digit byte wraps to 10 or more
        if j < shortest:  # every candidate has a digit here
            ok &= d < 10
            np.minimum(d, np.uint8(number_ranges.STAY), out=d)
            key *= 10
            key += d
        else:
            inside = digits > j
            if not inside.any():
                break
            ok &= (d < 10) | ~inside
            d[~inside] = number_ranges.STAY
            np.minimum(d, np.uint8(number_ranges.STAY), out=d)
            key = np.where(inside, key * 10 + d, key)
        state = table.take(state * 11 + d)
        pos += 1
    ok &= automaton.accepting.take(state)
    keys = key[ok]
    slow = np.ones(len(starts), dtype=bool)
    slow[candidates[ok]] = False
    slow &= lengths > 0
    tally.lines += len(keys)
    extra: list[int] = []
    for i in np.flatnonzero(slow).tolist():
        text = body[starts[i] : ends[i]].decode("utf-8", "replace").strip().lstrip("\ufeff")
        if not text:
            continue
        tally.lines += 1
        try:
            extra.append(int(normalise(text, default_region=default_region)[1:]))
        except InvalidNumber as exc:
            tally.reject(line_no + 1 + i, text, exc.reason)
    if extra:
        keys = np.concatenate([keys, np.array(extra, dtype=np.int64)])
    return keys, len(starts)


def read_numbers(
    path: Path | str,
    *,
    default_region: str | None,
    progress: Callable[[Tally], None] | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> ParsedNumbers:
    """Every valid number of a one-number-per-line file, in memory (for lists kept as rows)."""
    tally = Tally()
    chunks = list(
        scan_numbers(path, default_region=default_region, tally=tally, progress=progress, block_bytes=block_bytes)
    )
    keys = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    del chunks
    return ParsedNumbers(sort_unique(keys), tally.lines, tally.invalid, tuple(tally.examples), tuple(tally.bad_lines))


def write_registry(
    source: Path | str,
    dest: Path,
    *,
    default_region: str | None,
    progress: Callable[[Tally], None] | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> WrittenRegistry:
    """Read a one-number-per-line file into the registry file ``dest`` (atomically, fsynced).

    Each block's keys are sorted and appended to a run file beside ``dest``; the runs are merged in
    place in a memory map, and the unique keys streamed into ``dest`` while hashing.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    runs_path = dest.with_name(dest.name + ".runs")
    part = dest.with_name(dest.name + ".part")
    tally = Tally()
    total = 0
    try:
        with open(runs_path, "wb") as runs:
            blocks = scan_numbers(
                source, default_region=default_region, tally=tally, progress=progress, block_bytes=block_bytes
            )
            for keys in blocks:
                keys.sort()
                runs.write(memoryview(keys))
                total += len(keys)
        if total:
            merged = np.memmap(runs_path, dtype=np.int64, mode="r+", shape=(total,))
            merged.sort(kind="stable")  # timsort: merges the sorted runs
        else:
            merged = np.zeros(0, dtype=np.int64)
        count = _count_unique(merged)
        digest = hashlib.sha256()
        with open(part, "wb") as fh:
            out = _Hashing(fh, digest)
            np.lib.format.write_array_header_1_0(
                out, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.int64)), "fortran_order": False,
                      "shape": (count,)}
            )
            previous: int | None = None
            for start in range(0, total, _MERGE_CHUNK):
                chunk = np.asarray(merged[start : start + _MERGE_CHUNK])
                keep = np.empty(len(chunk), dtype=bool)
                keep[0] = previous is None or int(chunk[0]) != previous
                np.not_equal(chunk[1:], chunk[:-1], out=keep[1:])
                out.write(memoryview(np.ascontiguousarray(chunk[keep])))
                previous = int(chunk[-1])
            fh.flush()
            os.fsync(fh.fileno())
        del merged
        os.replace(part, dest)
    finally:
        runs_path.unlink(missing_ok=True)
        part.unlink(missing_ok=True)
    return WrittenRegistry(count, digest.hexdigest(), tally.lines, tally.invalid, tuple(tally.examples),
                           tuple(tally.bad_lines))


class _Hashing:
    """A binary file that hashes what is written to it."""

    def __init__(self, fh: io.BufferedWriter, digest: hashlib._Hash) -> None:
        self.fh, self.digest = fh, digest

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        return self.fh.write(data)


def _count_unique(keys: np.ndarray) -> int:
    """Distinct values of sorted ``keys``, chunk by chunk."""
    total = len(keys)
    if total == 0:
        return 0
    count = 1
    for start in range(0, total - 1, _MERGE_CHUNK):
        a = keys[start : start + _MERGE_CHUNK + 1]
        count += int(np.count_nonzero(a[1:] != a[:-1]))
    return count


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
            raise DncError(reason("dnc_no_such_column", column=repr(column), header=str(header)))
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
    bad_lines: list[BadLine] = []
    for text in fields:
        lines += 1
        try:
            e164 = normalise(text, default_region=default_region)
        except InvalidNumber as exc:
            invalid += 1
            if len(examples) < 5:
                examples.append(f"line {lines}: {exc}")
                bad_lines.append((lines, repr(exc.raw), exc.reason))
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
    return ParsedNumbers(sort_unique(keys), lines, invalid, tuple(examples), tuple(bad_lines))


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


@dataclass(frozen=True, slots=True)
class RegistryPage:
    """A slice of a registry file: its first position and keys, and how many keys the file holds."""

    start: int
    keys: tuple[int, ...]
    total: int


def registry_page(path: Path | str, *, start: int = 0, limit: int = 100, key: int | None = None) -> RegistryPage:
    """Up to ``limit`` keys from position ``start`` (or from where ``key`` is or would be), memory-mapped:
    a page of a registry of 10**8 numbers reads a few kilobytes."""
    arr = load_keys(path, mmap=True)
    total = len(arr)
    if key is not None:
        start = int(np.searchsorted(arr, np.int64(key)))
    start = max(0, min(start, total))
    return RegistryPage(start, tuple(int(k) for k in arr[start : start + limit].tolist()), total)


def iter_key_chunks(path: Path | str, *, chunk: int = 1 << 18) -> Iterator[np.ndarray]:
    """The keys of a registry file in chunks, memory-mapped (for exports)."""
    arr = load_keys(path, mmap=True)
    for start in range(0, len(arr), chunk):
        yield np.asarray(arr[start : start + chunk])


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
