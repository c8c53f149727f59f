"""Streaming readers for call-list files: CSV in any delimiter and common encodings, and XLSX via calamine.

``open_table(path, header_row=...)`` returns a ``Table``: the header (from the row the team lead chose,
the row ``propose_header_row`` proposes, or none), the detected encoding and delimiter, an estimate of
the row count (for progress) and ``chunks(size)``: CSV chunks are raw lines cut at record boundaries
(found by ``_ends_in_quote``, which follows the csv module's quoting rules) so worker processes do the
parsing (``parse_lines``); a record the CSV parser cannot read comes back as an error row instead of
stopping the file. A quote that never closes (the file ends inside it, or its field swallows what
looks like rows of the file or grows beyond a sane size, ``RUNAWAY_*``) is reported in the chunk's
``rejects`` with the line where it starts and every line it swallowed, never imported as a note.
``check_readable`` refuses a file that is not a table at all (an image, a PDF, an archive, random bytes,
an empty file) with ``UnreadableFile``, whose ``code`` names the problem for the pages' translations.
Encodings: UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text") or without,
Windows-1252; a UTF-8 file with stray Windows-1252 bytes has just those bytes read as Windows-1252.
Delimiters: , ; tab |.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain, islice
from pathlib import Path
from typing import Any, Literal

from campaigns.errors import ImportFailed
from dialer.reasons import Reason, reason

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
Row = tuple[int, list[str], str]          # line number (1 = header), cells, error ("" if none)
Reject = tuple[int, str, str, str]        # line, kind, reason, raw
HeaderChoice = int | None | Literal["auto"]   # row number (1 = first), None = the file has no header, or "auto"
HEADER_SEARCH_ROWS = 20                   # the header row is one of the first rows
RUNAWAY_ROW_LIKE = 2                      # lines inside one quoted field that look like rows of the file
RUNAWAY_LINES = 200                       # line breaks inside one quoted field, whatever they hold
RUNAWAY_CHARS = 64 * 1024                 # characters inside one quoted field, whatever they hold
UNTERMINATED = "unterminated_quote"
_PHONE_LIKE = re.compile(r"\d(?:[ .\-]?\d){5,}")


class UnreadableFile(ImportFailed):
    """The file is not a table (an image, a PDF, an archive, random bytes, empty); ``code`` names which."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


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
    rejects: list[Reject] = field(default_factory=list)      # found while reading (unterminated quotes)
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
    header: list[str]                            # "" for each column when the file has no header row
    chunks: Callable[[int], Iterator[Chunk]]     # records per chunk (about) -> chunks
    encoding: str
    delimiter: str
    estimated_rows: int
    close: Callable[[], None] = lambda: None
    header_row: int | None = 1                   # the row the header was read from; None: no header
    proposed_header_row: int | None = 1          # what ``propose_header_row`` said about the first rows
    first_rows: list[tuple[int, list[str]]] = field(default_factory=list)   # (row, cells), for the page

    @property
    def rows(self) -> Iterator[Row]:
        """Every record, parsed, in file order (for previews; imports use ``chunks``)."""
        for chunk in self.chunks(1000):
            if chunk.rows or chunk.lines:        # (not what the reader reported: ``chunk.rejects``)
                yield from chunk.rows or parse_lines(chunk.lines, first_line=chunk.first_line,
                                                     delimiter=self.delimiter)


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


def _most_common(counts: list[int]) -> int:
    """The most frequent value of ``counts`` (the larger one on a tie), 0 for none."""
    tally: dict[int, int] = {}
    for count in counts:
        tally[count] = tally.get(count, 0) + 1
    return max(tally, key=lambda c: (tally[c], c)) if tally else 0


def detect_delimiter(lines: list[str]) -> str:
    """The delimiter giving the most consistent field count (at least 2) over ``lines``; a title line of one
    cell above the header does not decide it."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delimiter) if r]
        except csv.Error:
            continue
        common = _most_common(counts)
        if common < 2:
            continue
        score = (sum(c == common for c in counts) / len(counts), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def _ends_in_quote(line: str, delimiter: str, in_quotes: bool) -> bool:
    """Whether a quoted field is still open at the end of ``line`` (the csv module's rules: a quote opens a
    field only at its start, ``""`` inside is a quote, a quote anywhere else is a character)."""
    i, n = 0, len(line)
    while True:
        if in_quotes:
            j = line.find('"', i)
            if j < 0:
                return True
            if j + 1 < n and line[j + 1] == '"':
                i = j + 2
                continue
            in_quotes = False
            i = j + 1
        elif i < n and line[i] == '"':
            in_quotes = True
            i += 1
            continue
        k = line.find(delimiter, i)            # the rest of this field is plain text
        if k < 0:
            return False
        i = k + 1


def _row_like(line: str, delimiter: str, fields: int) -> bool:
    """A line that looks like a whole row of the file: all its delimiters and a phone-like run of digits."""
    return fields >= 2 and line.count(delimiter) >= fields - 1 and _PHONE_LIKE.search(line) is not None


Record = tuple[int, list[str]]      # first line, physical lines


def _swallowed(start: int, number: int, line: str) -> Reject:
    return number, UNTERMINATED, reason("swallowed_by_quote", start=start), line.rstrip("\r\n")


def _records(stream: Iterator[str], *, delimiter: str, fields: int) -> Iterator[Record | list[Reject]]:
    """Physical lines grouped by record; an unterminated quote comes as the rejects of every line it holds.

    A quoted field is unterminated when the file ends inside it, when ``RUNAWAY_ROW_LIKE`` of its lines
    look like rows of the file (``fields`` fields and a phone number), or when it holds more than
    ``RUNAWAY_LINES`` line breaks or ``RUNAWAY_CHARS`` characters. Its lines up to where it closes are
    reported (the quote's own line with the reason, then each line it swallowed), and reading goes on after.
    """
    lines = iter(stream)
    line_no = 0
    d = re.escape(delimiter)
    field = rf'(?:"[^"]*(?:""[^"]*)*"|[^"{d}\r\n]*)'
    closed_record = re.compile(rf"{field}(?:{d}{field})*\r?\n?\Z")
    for line in lines:
        line_no += 1
        if '"' not in line or closed_record.match(line) or not _ends_in_quote(line, delimiter, False):
            yield line_no, [line]                  # (the pattern: every field whole, quoted or not; fast path)
            continue
        start, buffer, chars, row_like, why, closed = line_no, [line], len(line), 0, "", False
        for line in lines:
            line_no += 1
            buffer.append(line)
            chars += len(line)
            if '"' in line:
                if not _ends_in_quote(line, delimiter, True):
                    closed = True
                    break
                row_like = 0                  # that field closed and another opened
            elif _row_like(line, delimiter, fields):
                row_like += 1
            if row_like >= RUNAWAY_ROW_LIKE:
                why = "rows"        # its field swallows lines that look like rows of the file
                break
            if len(buffer) > RUNAWAY_LINES or chars > RUNAWAY_CHARS:
                why = "size"        # its field grows beyond RUNAWAY_LINES lines or RUNAWAY_CHARS
                break
        if closed:
            yield start, buffer
            continue
        ends = "eof"
        rejects = [_swallowed(start, start + i, ln) for i, ln in enumerate(buffer[1:], start=1) if ln.strip()]
        if why:                                   # the field may still close: its lines are swallowed until then
            for line in lines:
                line_no += 1
                if line.strip():
                    rejects.append(_swallowed(start, line_no, line))
                if '"' in line and not _ends_in_quote(line, delimiter, True):
                    ends = "closed"
                    break
                if len(rejects) >= 10_000:
                    yield rejects
                    rejects = []
        size = {"lines": RUNAWAY_LINES, "kib": RUNAWAY_CHARS // 1024} if why == "size" else {}
        why_not = Reason("_".join(filter(None, ("unterminated_quote", why, ends))),   # dialer.reasons.ENGLISH
                         {"start": start, "end": line_no, **size})
        yield [*rejects, (start, UNTERMINATED, why_not, buffer[0].rstrip("\r\n"))]


def _line_chunks(records: Iterator[Record | list[Reject]], size: int) -> Iterator[Chunk]:
    """Records in chunks of about ``size`` lines; the rejects of an unterminated quote as a chunk of their own."""
    lines: list[str] = []
    start = 0
    for item in records:
        if isinstance(item, list):
            if lines:
                yield Chunk(start, lines)
                lines = []
            yield Chunk(item[0][0], rejects=item)
            continue
        if not lines:
            start = item[0]
        lines.extend(item[1])
        if len(lines) >= size:
            yield Chunk(start, lines)
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
            yield line, [], reason("unreadable_row", error=str(exc))
            continue
        if cells and any(cells):
            yield line, cells, ""


def _cells(lines: list[str], delimiter: str) -> list[str]:
    try:
        return next(csv.reader([ln.replace("\x00", "") for ln in lines], delimiter=delimiter, strict=False), [])
    except csv.Error:
        return []


def looks_like_phone(cell: str) -> bool:
    """A cell holding only a phone number (6 digits or more, with spaces, dots, dashes or brackets)."""
    text = cell.strip().lstrip("+")
    return bool(text) and _PHONE_LIKE.fullmatch(text.replace("(", "").replace(")", "")) is not None


def propose_header_row(rows: list[tuple[int, list[str]]]) -> int | None:
    """The row holding the column names among the first ``rows`` (row number, cells), or None for no header.

    The header is the first row with two or more filled cells; rows above it with one filled cell at most
    are titles (a title row above the header is common in XLSX exports). When that row already holds a
    phone number, the file has no header row.
    """
    filled = [(number, cells) for number, cells in rows if any(c.strip() for c in cells)]
    if not filled:
        return rows[0][0] if rows else 1
    candidate = next(((n, c) for n, c in filled if sum(1 for x in c if x.strip()) >= 2), filled[0])
    return None if any(looks_like_phone(c) for c in candidate[1]) else candidate[0]


def _choose_header(first: list[tuple[int, list[str]]], header_row: HeaderChoice, name: str
                   ) -> tuple[int | None, int | None]:
    """(the header row to use, the proposed one) among the first rows; a bad choice fails the file."""
    proposed = propose_header_row(first)
    chosen = proposed if header_row == "auto" else header_row
    if chosen is not None:
        rows = dict(first)
        if chosen not in rows:
            raise ImportFailed(reason("header_row_not_offered", name=name, row=chosen, count=HEADER_SEARCH_ROWS,
                                      rows=", ".join(str(n) for n, _ in first[:HEADER_SEARCH_ROWS])))
        if not any(c.strip() for c in rows[chosen]):
            raise ImportFailed(reason("header_row_empty", name=name, row=chosen))
    return chosen, proposed


def _above_header(first: list[tuple[int, list[str]]], header_row: int | None, delimiter: str) -> list[Reject]:
    """Rows above the chosen header row that hold something: reported, never dropped silently."""
    if header_row is None:
        return []
    return [(n, "above_header", reason("above_header", row=header_row), format_raw(cells, delimiter))
            for n, cells in first if n < header_row and any(c.strip() for c in cells)]


def _no_header_width(first: list[tuple[int, list[str]]]) -> int:
    """Without a header row, the row length is the most common one among the first rows."""
    return _most_common([len(c) for _, c in first if any(x.strip() for x in c)]) or 1


def open_csv(path: Path, header_row: HeaderChoice = "auto") -> Table:
    """A CSV/TSV/TXT file as a ``Table``: encoding and delimiter from its first 64 KiB, header from ``header_row``."""
    with path.open("rb") as raw:
        head = raw.read(SAMPLE_BYTES)
    if not head.strip():
        raise UnreadableFile(f"{path.name} is empty: there is nothing to import", code="empty")
    encoding = detect_encoding(head)
    errors = "dialer-cp1252" if encoding.startswith("utf-8") else "replace"
    sample = head.decode(encoding, errors=errors)
    lines = sample.splitlines()[:50]
    if len(head) == SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]                     # the last one may be cut
    delimiter = detect_delimiter(lines)
    try:
        fields = _most_common([len(r) for r in csv.reader(lines, delimiter=delimiter, strict=False) if r])
    except csv.Error:
        fields = 0
    stream = path.open("r", encoding=encoding, errors=errors, newline="")
    records = _records(stream, delimiter=delimiter, fields=fields)
    head_items: list[Record | list[Reject]] = list(islice(records, HEADER_SEARCH_ROWS))
    first = [(item[0], _cells(item[1], delimiter)) for item in head_items if isinstance(item, tuple)]
    try:
        chosen, proposed = _choose_header(first, header_row, path.name)
    except ImportFailed:
        stream.close()
        raise
    if chosen is None:
        header = [""] * _no_header_width(first)
        rest = head_items
    else:
        header = [h.strip().lstrip("\ufeff") for h in dict(first)[chosen]]
        index = next(i for i, item in enumerate(head_items) if isinstance(item, tuple) and item[0] == chosen)
        above = _above_header(first, chosen, delimiter)
        swallowed_above = [item for item in head_items[:index] if isinstance(item, list)]   # unterminated quotes
        rest = [*swallowed_above, *([above] if above else []), *head_items[index + 1:]]
    data = chain(rest, records)
    return Table(header, lambda size: _line_chunks(data, size), encoding, delimiter,
                 max(_count_lines(path) - (chosen or 0), 0), stream.close, header_row=chosen,
                 proposed_header_row=proposed, first_rows=first)


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


def open_xlsx(path: Path, header_row: HeaderChoice = "auto") -> Table:
    """The first sheet of a workbook as a ``Table``; rows are numbered as the spreadsheet numbers them."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        iterator = iter(sheet.iter_rows())
        top = (sheet.start[0] if sheet.start else 0) + 1            # calamine starts at the first used row
        first = [(number, [cell_text(v) for v in values])
                 for number, values in enumerate(islice(iterator, HEADER_SEARCH_ROWS), start=top)]
    except (CalamineError, OSError, ValueError) as exc:
        raise ImportFailed(reason("workbook_unreadable", name=path.name, error=str(exc))) from None
    if not first:
        workbook.close()
        raise UnreadableFile(f"{path.name} is empty: there is nothing to import", code="empty")
    try:
        chosen, proposed = _choose_header(first, header_row, path.name)
    except ImportFailed:
        workbook.close()
        raise
    header = [""] * _no_header_width(first) if chosen is None else dict(first)[chosen]
    above = _above_header(first, chosen, ",")

    def rows() -> Iterator[Row]:
        numbered = chain(first, ((number, [cell_text(v) for v in values])
                                 for number, values in enumerate(iterator, start=top + len(first))))
        for number, cells in numbered:
            if (chosen is None or number > chosen) and any(cells):
                yield number, cells, ""

    def chunks(size: int) -> Iterator[Chunk]:
        if above:
            yield Chunk(above[0][0], rejects=above)
        source = rows()
        while batch := list(islice(source, size)):
            yield Chunk(batch[0][0], rows=batch)

    return Table(header, chunks, "xlsx", "", max(sheet.total_height - (chosen or 0), 0), workbook.close,
                 header_row=chosen, proposed_header_row=proposed, first_rows=first)


_MAGIC = ((b"\x89PNG", "image", "a PNG image"), (b"\xff\xd8\xff", "image", "a JPEG image"),
          (b"GIF8", "image", "a GIF image"), (b"BM", "image", "a bitmap image"), (b"%PDF", "pdf", "a PDF document"),
          (b"\x1f\x8b", "archive", "a gzip archive"), (b"Rar!", "archive", "a RAR archive"),
          (b"7z\xbc\xaf", "archive", "a 7-Zip archive"), (b"\x7fELF", "binary", "a program"),
          (b"MZ", "binary", "a program"))
_OLE2 = b"\xd0\xcf\x11\xe0"                 # an Excel 97-2003 workbook (.xls), which calamine reads
_TEXT_CONTROLS = frozenset("\t\n\r\x0c\x00")     # NULs are dropped when reading
_EXPORT_HINT = "export the list as CSV or Excel (.xlsx)"


def check_readable(path: Path) -> None:
    """Refuse a file that is not a table, naming what it is: ``UnreadableFile`` with a ``code`` of
    ``empty``, ``image``, ``pdf``, ``archive`` or ``binary`` (the pages translate it)."""
    with path.open("rb") as raw:
        head = raw.read(SAMPLE_BYTES)
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe").strip(b" \t\r\n\x00")
    if not stripped:
        raise UnreadableFile(f"{path.name} is empty: there is nothing to import", code="empty")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            names = set()
        if "xl/workbook.xml" in names or "content.xml" in names:
            return
        raise UnreadableFile(f"{path.name} is a ZIP archive, not an Excel workbook: {_EXPORT_HINT}",
                             code="archive")
    if head.startswith(_OLE2) and path.suffix.lower() in (".xls", ".xlsx", ".xlsm"):
        return
    for magic, code, what in _MAGIC:
        if head.startswith(magic) and not (magic == b"BM" and head[:64].isascii()):
            raise UnreadableFile(f"{path.name} is {what}, not a list: {_EXPORT_HINT}", code=code)
    encoding = detect_encoding(head)
    text = head.decode(encoding, errors="replace")
    bad = sum(1 for ch in text if (ch < " " and ch not in _TEXT_CONTROLS) or ch == "\ufffd" or ch == "\x7f")
    if bad > max(2, len(text) // 50):
        raise UnreadableFile(f"{path.name} is not a text or Excel file (it holds binary data): {_EXPORT_HINT}",
                             code="binary")


def open_table(path: str | Path, header_row: HeaderChoice = "auto") -> Table:
    """The rows of a CSV/TSV/TXT or XLSX file (chosen by content: XLSX files are ZIP archives), with its
    header read from ``header_row`` (a row number, None for no header, "auto" for the proposed row)."""
    path = Path(path)
    try:
        check_readable(path)
        with path.open("rb") as raw:
            magic = raw.read(4)
    except OSError as exc:
        raise ImportFailed(f"cannot open {path.name}: {exc.strerror}") from None   # never the server's path
    if magic in (b"PK\x03\x04", _OLE2):
        return open_xlsx(path, header_row)
    return open_csv(path, header_row)


def format_raw(cells: list[str], delimiter: str = ",") -> str:
    """Cells back as one CSV line (for the rejects report)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter or ",", lineterminator="").writerow(cells)
    return out.getvalue()
