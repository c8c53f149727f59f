"""Every CSV and XLSX the product writes goes through here, so no cell runs as a spreadsheet formula.

The rule (OWASP "CSV injection"): text whose first character (after spaces) is ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, or their full-width forms, is a formula to Excel, LibreOffice and
Google Sheets, and may run commands or leak data when a person opens the file. ``neutralise`` is the
one decision; the writers apply it:

* **CSV** (``csv_writer``, ``csv_line``): such text gets a leading single quote, so ``=HYPERLINK(...)``
  is written ``'=HYPERLINK(...)``. E.164 numbers are no exception: Excel reads ``+84987654321`` as a
  formula (and shows ``84987654321``, losing the plus), so it is written ``'+84987654321``. The dialer's
  own imports read that back as the same number (the quote is not a digit).
* **XLSX** (``write_xlsx``, ``xlsx_bytes``): every text is a text cell (never a formula element), and
  text that ``neutralise`` would change carries Excel's own hidden quote prefix (``quotePrefix``), so
  ``+84987654321`` shows and copies as written and stays text even when the cell is edited.

Numbers passed as ``int``/``float`` are data, not formulas, and are written as numbers (``-5`` stays a
number); ``None`` is an empty cell; anything else is written as its ``str``. Give phone numbers as text.
The XLSX writer is a small streaming one (one row in memory at a time), with no dependency.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")  # ASCII and full-width forms
Cell = str | int | float | Decimal | bool | dt.date | None


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula (its first non-space character is one of
    ``= + - @``, tab or carriage return, ASCII or full-width)."""
    start = text.lstrip(" \u00a0")
    return bool(start) and start[0] in FORMULA_STARTS


def neutralise(value: object) -> str | int | float | Decimal | bool:
    """The CSV cell for ``value``: formula-like text gets a leading ``'``; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
    return "'" + text if is_formula_like(text) else text


class SafeCsvWriter:
    """``csv.writer`` with every cell passed through ``neutralise``."""

    def __init__(self, out: IO[str], **fmtparams: Any) -> None:
        self._writer = csv.writer(out, **fmtparams)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: IO[str], **fmtparams: Any) -> SafeCsvWriter:
    """A CSV writer on ``out`` (same options as ``csv.writer``) that never writes a formula."""
    return SafeCsvWriter(out, **fmtparams)


def csv_line(cells: Sequence[object], *, delimiter: str = ",") -> str:
    """``cells`` as one safe CSV line, without a line ending."""
    out = io.StringIO()
    csv_writer(out, delimiter=delimiter or ",", lineterminator="").writerow(cells)
    return out.getvalue()


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows (the header first) as one safe CSV text."""
    out = io.StringIO()
    csv_writer(out).writerows(rows)
    return out.getvalue()


# --- XLSX -----------------------------------------------------------------------------------------------

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPED = re.compile("_(x[0-9A-Fa-f]{4})_")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_MAX_EXACT_INT = 2**53  # larger integers lose digits in a spreadsheet: written as text

_CONTENT_TYPES_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
# Style 0: default; style 1: Excel's hidden quote prefix (the cell is text, shown as written).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1" applyNumberFormat="1"/>'
    '</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)


def _xml_text(text: str) -> str:
    text = _ESCAPED.sub(r"_x005F_\1_", text)  # a literal "_x0041_" must not be read as an escape
    text = _XML_BAD.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def column_letter(index: int) -> str:
    """``0 -> "A"``, ``25 -> "Z"``, ``26 -> "AA"``."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _xlsx_cell(ref: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    exact = not isinstance(value, int) or abs(value) < _MAX_EXACT_INT
    finite = not isinstance(value, float | Decimal) or math.isfinite(value)
    if isinstance(value, int | float | Decimal) and exact and finite:
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
    style = ' s="1"' if is_formula_like(text) else ""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"{style}><is><t{space}>{_xml_text(text)}</t></is></c>'


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_BAD.sub("_", name).strip().strip("'")[:31] or "Sheet"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def write_xlsx(out: Path | IO[bytes], sheets: Mapping[str, Iterable[Sequence[object]]]) -> None:
    """Write ``sheets`` (name -> rows, the header first) as an XLSX workbook to a path or binary file.

    Rows are streamed into the file one at a time. No cell is ever a formula; see the module docstring.
    """
    names: list[str] = []
    taken: set[str] = set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for number, (name, rows) in enumerate(sheets.items(), start=1):
            names.append(_sheet_name(name, taken))
            with zf.open(f"xl/worksheets/sheet{number}.xml", "w") as raw:
                part = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                part.write(
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    "<sheetData>"
                )
                for r, row in enumerate(rows, start=1):
                    cells = "".join(_xlsx_cell(f"{column_letter(c)}{r}", v) for c, v in enumerate(row))
                    part.write(f'<row r="{r}">{cells}</row>')
                part.write("</sheetData></worksheet>")
                part.flush()
                part.detach()
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(names) + 1)
        )
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES_HEAD + overrides + "</Types>")
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(
                f'<sheet name="{_xml_text(n).replace(chr(34), "&quot;")}" sheetId="{i}" r:id="rId{i}"/>'
                for i, n in enumerate(names, start=1)
            )
            + "</sheets></workbook>",
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(names) + 1)
            )
            + f'<Relationship Id="rId{len(names) + 1}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/></Relationships>',
        )
        zf.writestr("xl/styles.xml", _STYLES)


def xlsx_bytes(rows: Iterable[Sequence[object]], *, sheet: str = "Sheet1") -> bytes:
    """One sheet of ``rows`` (the header first) as XLSX bytes."""
    out = io.BytesIO()
    write_xlsx(out, {sheet: rows})
    return out.getvalue()


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
