"""Streaming readers for call-list files: CSV in any delimiter and common encodings, and XLSX via calamine.

``open_table(path)`` returns a ``Table``: the header, the detected encoding and delimiter, an estimate
of the row count (for progress) and ``chunks(size)``: CSV chunks are raw lines cut at record
boundaries (by quote parity) so worker processes do the parsing (``parse_lines``); a record the CSV
parser cannot read comes back as an error row instead of stopping the file. Encodings: UTF-8 with or
without BOM, UTF-16 with BOM (Excel's "Unicode text") or without, Windows-1252; a UTF-8 file with
stray Windows-1252 bytes has just those bytes read as Windows-1252. Delimiters: , ; tab |.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import Any

from campaigns.errors import ImportFailed

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
Row = tuple[int, list[str], str]          # line number (1 = header), cells, error ("" if none)


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    if isinstance(exc, UnicodeDecodeError):
        return exc.object[exc.start:exc.end].decode("cp1252", errors="replace"), exc.end
    raise exc


codecs.register_error("dialer-cp1252", _cp1252_fallback)


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive records: raw CSV ``lines`` starting at ``first_line`` (parsed by a worker), or parsed ``rows``."""

    first_line: int
    lines: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    _cells_by_line: dict[int, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def raw(self, line: int, delimiter: str) -> str:
        """The original text of the record starting at ``line`` (for the rejects report)."""
        if self.lines:
            index = line - self.first_line
            return self.lines[index].rstrip("\r\n") if 0 <= index < len(self.lines) else ""
        if not self._cells_by_line:
            self._cells_by_line.update((number, cells) for number, cells, _ in self.rows)
        return format_raw(self._cells_by_line.get(line, []), delimiter)


@dataclass
class Table:
    header: list[str]
    chunks: Callable[[int], Iterator[Chunk]]     # records per chunk (about) -> chunks
    encoding: str
    delimiter: str
    estimated_rows: int
    close: Callable[[], None] = lambda: None

    @property
    def rows(self) -> Iterator[Row]:
        """Every record, parsed, in file order (for previews; imports use ``chunks``)."""
        for chunk in self.chunks(1000):
            yield from chunk.rows or parse_lines(chunk.lines, first_line=chunk.first_line, delimiter=self.delimiter)


def detect_encoding(head: bytes) -> str:
    """The encoding of a file starting with ``head``: BOMs first, then NUL patterns, UTF-8, else cp1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.count(b"\x00") > len(head) // 4:
        even_nuls = head[0::2].count(b"\x00")
        return "utf-16-be" if even_nuls > head[1::2].count(b"\x00") else "utf-16-le"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        # real UTF-8 sequences beside the bad bytes: a UTF-8 file with stray Windows-1252 characters
        utf8_chars = sum(1 for ch in head.decode("utf-8", errors="ignore") if ord(ch) > 127)
        return "utf-8" if utf8_chars else "cp1252"
    return "utf-8"


def detect_delimiter(lines: list[str]) -> str:
    """The delimiter giving the most consistent field count (at least 2 in the header) over ``lines``."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts) / len(counts), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def _record_lines(stream: Iterator[str]) -> Iterator[list[str]]:
    """Physical lines grouped by record, by quote parity (a quoted field may hold newlines)."""
    buffer: list[str] = []
    open_quote = False
    for line in stream:
        buffer.append(line)
        if line.count('"') & 1:
            open_quote = not open_quote
        if not open_quote:
            yield buffer
            buffer = []
    if buffer:
        yield buffer


def _line_chunks(records: Iterator[list[str]], first_line: int, size: int) -> Iterator[Chunk]:
    lines: list[str] = []
    start = first_line
    for record in records:
        lines.extend(record)
        if len(lines) >= size:
            yield Chunk(start, lines)
            start += len(lines)
            lines = []
    if lines:
        yield Chunk(start, lines)


def parse_lines(lines: list[str], *, first_line: int, delimiter: str) -> Iterator[Row]:
    """CSV records of ``lines`` as ``(line number, cells, error)``; an unreadable record is an error row."""
    reader = csv.reader((ln.replace("\x00", "") if "\x00" in ln else ln for ln in lines),
                        delimiter=delimiter, strict=False)
    while True:
        line = first_line + reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, [], f"unreadable row: {exc}"
            continue
        if cells and any(cells):
            yield line, cells, ""


def open_csv(path: Path) -> Table:
    with path.open("rb") as raw:
        head = raw.read(SAMPLE_BYTES)
    if not head.strip():
        raise ImportFailed(f"{path.name} is empty")
    encoding = detect_encoding(head)
    errors = "dialer-cp1252" if encoding.startswith("utf-8") else "replace"
    sample = head.decode(encoding, errors=errors)
    lines = sample.splitlines()[:50]
    if len(head) == SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]                     # the last one may be cut
    delimiter = detect_delimiter(lines)
    stream = path.open("r", encoding=encoding, errors=errors, newline="")
    records = _record_lines(stream)
    header_lines = next(records, [])
    try:
        header = next(csv.reader(header_lines, delimiter=delimiter, strict=False), [])
    except csv.Error as exc:
        stream.close()
        raise ImportFailed(f"{path.name}: cannot read the header line ({exc})") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if not any(header):
        stream.close()
        raise ImportFailed(f"{path.name}: the first line holds no column names")
    first_line = 1 + len(header_lines)
    return Table(header, lambda size: _line_chunks(records, first_line, size), encoding, delimiter,
                 max(_count_lines(path) - 1, 0), stream.close)


_EXACT_FLOAT_DIGITS = 10**15       # a spreadsheet keeps 15 significant digits: smaller whole numbers are exact


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text: exact whole numbers without ".0", dates in ISO format, None as "".

    A float cell is written without ".0" only when it is a whole number below 10**15, whose digits a
    spreadsheet holds exactly; any other float keeps Python's ``repr`` (``8.4971e+16``, ``849876543.5``),
    so the phone reader (``campaigns.numbers``) sees that digits may be missing and refuses the number
    rather than inventing zeros or reading the ``.`` away. Text is returned in NFC.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < _EXACT_FLOAT_DIGITS else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    text = str(value).strip()
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def open_xlsx(path: Path) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        iterator = iter(sheet.iter_rows())
        header = [cell_text(v) for v in next(iterator)]
    except (CalamineError, StopIteration, OSError, ValueError) as exc:
        raise ImportFailed(f"{path.name}: cannot read the workbook ({exc})") from None

    def rows() -> Iterator[Row]:
        for index, values in enumerate(iterator, start=2):
            cells = [cell_text(v) for v in values]
            if any(cells):
                yield index, cells, ""

    def chunks(size: int) -> Iterator[Chunk]:
        source = rows()
        while batch := list(islice(source, size)):
            yield Chunk(batch[0][0], rows=batch)

    return Table(header, chunks, "xlsx", "", max(sheet.total_height - 1, 0), workbook.close)


def open_table(path: str | Path) -> Table:
    """The rows of a CSV/TSV/TXT or XLSX file (chosen by content: XLSX files are ZIP archives)."""
    path = Path(path)
    try:
        with path.open("rb") as raw:
            magic = raw.read(4)
    except OSError as exc:
        raise ImportFailed(f"cannot open {path.name}: {exc.strerror}") from None   # never the server's path
    if magic == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        return open_xlsx(path)
    return open_csv(path)


def format_raw(cells: list[str], delimiter: str = ",") -> str:
    """Cells back as one CSV line (for the rejects report)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter or ",", lineterminator="").writerow(cells)
    return out.getvalue()
