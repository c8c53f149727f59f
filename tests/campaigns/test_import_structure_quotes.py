"""No row is lost silently: unterminated quotes and rows of the wrong length end in the rejects report.

The files are written here as a team lead's spreadsheet or hand-edited CSV would be; every rule is
checked through the reader, through ``run_import`` (the job) and through ``dialer list import``.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns import jobs, repository
from campaigns.model import Campaign
from campaigns.readers import RUNAWAY_LINES, _ends_in_quote, _records, open_table, parse_lines
from dialer.cli import main

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _read(path: Path) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str, str, str]]]:
    """(line, cells) of the records and the rejects the reader found, in file order."""
    table = open_table(path)
    rows, rejects = [], []
    try:
        for chunk in table.chunks(3):
            rejects.extend(chunk.rejects)
            rows.extend((n, cells) for n, cells, _ in parse_lines(chunk.lines, first_line=chunk.first_line,
                                                                   delimiter=table.delimiter))
    finally:
        table.close()
    return rows, sorted(rejects)


async def _import(pool: asyncpg.Pool, campaign: Campaign, path: Path, **kwargs: object) -> tuple[int, dict[str, int]]:
    async with pool.acquire() as conn:
        lst = await repository.create_list(conn, campaign_id=campaign.id, name=path.name, source_filename=path.name)
        counts = await jobs.run_import(conn, campaign_id=campaign.id, list_id=lst.id, path=path, now=NOW,
                                       **kwargs)  # type: ignore[arg-type]
    return lst.id, counts


async def _rejects(pool: asyncpg.Pool, list_id: int) -> list[dict[str, str]]:
    async with pool.acquire() as conn:
        text = "".join([piece async for piece in jobs.rejects_csv(conn, list_id=list_id)])
    return list(csv.DictReader(io.StringIO(text)))


def test_a_quote_the_file_ends_inside_is_reported_with_its_line_and_every_line_it_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "eof.csv"
    path.write_text("phone,name,city\n"
                    "0612345678,An,Huế\n"
                    '0612345679,"Bình,Hà Nội\n'          # line 3: the quote never closes
                    "0612345680,Chi,Đà Nẵng\n"
                    "\n"
                    "0612345681,Dung,Huế\n", encoding="utf-8")
    rows, rejects = _read(path)
    assert rows == [(2, ["0612345678", "An", "Huế"])]
    assert [(line, kind) for line, kind, _, _ in rejects] == [
        (3, "unterminated_quote"), (4, "unterminated_quote"), (6, "unterminated_quote")]
    assert rejects[0][2].startswith("unterminated quote opened on line 3:")
    assert "the file ends inside it" in rejects[0][2] and "lines 3-6 were not imported" in rejects[0][2]
    assert rejects[0][3] == '0612345679,"Bình,Hà Nội'
    assert rejects[1][2] == "swallowed by the unterminated quote opened on line 3"
    assert rejects[2][3] == "0612345681,Dung,Huế"


def test_a_stray_quote_closed_by_another_does_not_hide_the_rows_between_in_a_note(tmp_path: Path) -> None:
    path = tmp_path / "paired.csv"
    path.write_text("phone;name;note\n"
                    '0612345678;"An;call after 5\n'       # line 2 opens a field ...
                    "06 12 34 56 79;Bình;vip\n"
                    "0612345680;Chi;new\n"
                    "0612345681;Dung;new\n"
                    '0612345682;Em";x\n'                  # ... that only closes here
                    "0612345683;Giang;ok\n", encoding="utf-8")
    rows, rejects = _read(path)
    assert rows == [(7, ["0612345683", "Giang", "ok"])]
    assert [line for line, *_ in rejects] == [2, 3, 4, 5, 6]
    assert "looks like rows of the file" in rejects[0][2] or "look like rows of the file" in rejects[0][2]
    assert "it closes only on line 6" in rejects[0][2]


def test_a_field_beyond_a_sane_size_is_unterminated_even_without_rows_inside(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    lines = "".join(f"note {i}\n" for i in range(RUNAWAY_LINES + 50))
    path.write_text(f'phone,name\n0612345678,"A\n{lines}0612345679,B\n', encoding="utf-8")
    rows, rejects = _read(path)
    assert rows == []
    assert rejects[0][0] == 2 and f"grows beyond {RUNAWAY_LINES} lines" in rejects[0][2]
    assert len(rejects) == RUNAWAY_LINES + 50 + 2      # the quote's line, each note line, the last row


def test_legitimate_quoted_fields_are_kept_whole(tmp_path: Path) -> None:
    """Addresses over two lines, doubled quotes, quotes inside a word and delimiters inside quotes are data."""
    path = tmp_path / "good.csv"
    path.write_text("phone,name,address\n"
                    '0612345678,"Nguyễn, An","12 Lê Lợi\nQuận 1, TP HCM"\n'
                    '0612345679,Bình 5" TV,"say ""hi"""\n'
                    "0612345680,Chi,Huế\n", encoding="utf-8")
    rows, rejects = _read(path)
    assert rejects == []
    assert rows == [(2, ["0612345678", "Nguyễn, An", "12 Lê Lợi\nQuận 1, TP HCM"]),
                    (4, ["0612345679", 'Bình 5" TV', 'say "hi"']), (5, ["0612345680", "Chi", "Huế"])]


async def test_rows_with_too_few_or_too_many_fields_are_all_rejected_by_one_rule(
        db_pool: asyncpg.Pool, fr_campaign: Campaign, tmp_path: Path) -> None:
    path = tmp_path / "lengths.csv"
    path.write_text("phone,first_name,city\n"
                    "0612345678,An,Lyon\n"           # 2 right
                    "0612345679,Bình\n"              # 3 too few
                    "0612345680,Chi,Nice,extra\n"    # 4 too many
                    "0612345681,Dung,Paris,,\n"      # 5 empty fields after the last column: read
                    "0612345682\n", encoding="utf-8")  # 6 too few
    list_id, counts = await _import(db_pool, fr_campaign, path)
    assert (counts["rows"], counts["imported"], counts["malformed"], counts["rejected"]) == (5, 2, 3, 3)
    rejects = await _rejects(db_pool, list_id)
    assert [(r["line"], r["kind"]) for r in rejects] == [("3", "malformed"), ("4", "malformed"), ("6", "malformed")]
    assert rejects[0]["reason"].startswith("2 fields but the header has 3 (too few)")
    assert rejects[1]["reason"].startswith("4 fields but the header has 3 (too many)")
    assert rejects[0]["raw"] == "0612345679,Bình"
    leads = await repository.search_leads(db_pool, campaign_id=fr_campaign.id)
    assert sorted(lead.phone_e164 for lead in leads) == ["+33612345678", "+33612345681"]


async def test_unterminated_quotes_in_a_big_file_cost_no_row_and_keep_line_numbers(
        db_pool: asyncpg.Pool, fr_campaign: Campaign, tmp_path: Path) -> None:
    """Chunked over the process pool: every row is either imported or in the report, with its own line."""
    lines = ["phone,name"] + [f"06{i:08d},n{i}" for i in range(1, 3001)]
    lines[1500] = '0600001500,"n1500'                 # opens; the next rows look like rows: unterminated
    lines[1503] = '0600001503,n1503"'                 # closes it
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    list_id, counts = await _import(db_pool, fr_campaign, path, workers=2, chunk_rows=500)
    assert counts["rows"] == 3000 and counts["imported"] == 2996 and counts["unterminated_quote"] == 4
    rejects = await _rejects(db_pool, list_id)
    assert [int(r["line"]) for r in rejects] == [1501, 1502, 1503, 1504]
    assert rejects[1]["raw"] == "0600001501,n1501"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    monkeypatch.setenv("DIALER_REDIS_URL", redis_url)
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIALER_ADMIN_PASSWORD", "admin-password-123")
    return tmp_path / "data"


async def test_the_command_line_reports_swallowed_and_wrong_length_rows(
        cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await asyncio.to_thread(main, ["campaign", "create", "Quotes", "--trunk", "PJSIP/{number}@carrier",
                                          "--region", "FR", "--timezone", "Europe/Paris"]) == 0
    path = tmp_path / "export.csv"
    path.write_text("Téléphone;Prénom;Ville\n"
                    "0612345678;Zoé;Lyon\n"
                    "0612345679;Léa\n"
                    '0612345680;"Noé;Nice\n'
                    "0612345681;Inès;Paris\n", encoding="utf-8")
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["list", "import", "Quotes", str(path)]) == 0
    out = capsys.readouterr().out
    assert "4 rows, 1 leads imported, 3 rejected" in out
    assert "malformed: 1" in out and "unterminated quote: 2" in out
    report = list(csv.reader((cli_env / "rejects" / "list-1-rejects.csv").read_text(encoding="utf-8").splitlines()))
    assert [(r[0], r[1]) for r in report[1:]] == [("3", "malformed"), ("4", "unterminated_quote"),
                                                  ("5", "unterminated_quote")]
    assert report[2][2].startswith("unterminated quote opened on line 4")


@settings(max_examples=300, deadline=None)
@given(line=st.text(alphabet=st.sampled_from(['a', '"', ",", " "]), max_size=14))
def test_the_quote_scanner_agrees_with_the_csv_module(line: str) -> None:
    """A line leaves a quoted field open exactly when the csv module reads the next line into that field."""
    csv_open = list(csv.reader([line + "\n", "X,Y\n"], strict=False))[-1] != ["X", "Y"]
    assert _ends_in_quote(line + "\n", ",", False) == csv_open
    first = next(_records(iter([line + "\n", "X,Y\n"]), delimiter=",", fields=2))
    assert isinstance(first, list) if csv_open else first == (1, [line + "\n"])     # the fast path agrees too


def test_an_unterminated_quote_above_the_chosen_header_row_is_still_reported(tmp_path: Path) -> None:
    path = tmp_path / "above.csv"
    path.write_text('"Export of\n0612345678,a,b\n0612345679,c,d\nend"\nphone,name,city\n0612345670,e,f\n',
                    encoding="utf-8")
    table = open_table(path, 5)
    try:
        chunks = list(table.chunks(10))
    finally:
        table.close()
    assert table.header == ["phone", "name", "city"]
    assert sorted(line for c in chunks for line, *_ in c.rejects) == [1, 2, 3, 4]
    assert [c.lines for c in chunks if c.lines] == [["0612345670,e,f\n"]]
