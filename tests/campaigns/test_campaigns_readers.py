"""Readers: any delimiter and Excel encoding, quoted newlines across chunk boundaries, stray bytes, NULs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.readers import open_table, parse_lines

# Letters whose Windows-1252 bytes are all >= 0xC0, so cp1252 text can never pass for UTF-8 (as in real names).
CELL = st.text(alphabet=st.sampled_from(list("abzAZ09+-'éèàçôûÉÀïë") + ['"', "\n", ",", ";", "\t", "|", " "]),
               max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=25),
       delimiter=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
       chunk=st.integers(min_value=1, max_value=7))
def test_every_record_comes_back_with_its_line_number_whatever_the_chunking(
        tmp_path_factory, rows: list[list[str]], delimiter: str, encoding: str, chunk: int) -> None:  # type: ignore[no-untyped-def]
    header = ["Téléphone", "Prénom", "Nom"]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows([header, *rows])
    path = tmp_path_factory.mktemp("csv") / "rows.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    expected_lines, line = [], 2
    for row in rows:
        expected_lines.append(line)
        line += sum(cell.count("\n") for cell in row) + 1
    table = open_table(path)
    try:
        assert table.header == header
        got = [r for c in table.chunks(chunk) for r in parse_lines(c.lines, first_line=c.first_line,
                                                                    delimiter=table.delimiter)]
    finally:
        table.close()
    kept = [(n, r) for n, r in zip(expected_lines, rows, strict=True) if any(r)]
    assert [(n, cells) for n, cells, _ in got] == kept


def test_utf8_file_with_stray_windows_1252_bytes_keeps_both(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes("phone,name\n0612345678,Zoé\n".encode() + "0612345679,Noël\n".encode("cp1252"))
    table = open_table(path)
    try:
        assert [cells for _, cells, _ in table.rows] == [["0612345678", "Zoé"], ["0612345679", "Noël"]]
    finally:
        table.close()


def test_nul_bytes_are_dropped_and_blank_rows_skipped(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"phone,name\n06123\x0045678,Ana\n,,\n\n0612345679,Ben\n")
    table = open_table(path)
    try:
        assert list(table.rows) == [(2, ["0612345678", "Ana"], ""), (5, ["0612345679", "Ben"], "")]
    finally:
        table.close()
