"""Which row holds the column names, mapping by position, duplicate and empty header cells.

A title row above the header (one filled cell, as XLSX exports write it) is detected and proposed; the
team lead can choose another row or none (``--header-row N`` / ``--no-header``); columns are mapped by
name or by position (``#N``), so repeated or empty names can be mapped and are never merged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from campaigns import jobs, repository
from campaigns.errors import ImportFailed
from campaigns.imports import build_column_map, column_labels, parse_map_option
from campaigns.model import Campaign
from campaigns.readers import open_table, propose_header_row
from dialer.cli import main

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


async def _import(pool: asyncpg.Pool, campaign: Campaign, path: Path, **kwargs: object) -> tuple[int, dict[str, int]]:
    async with pool.acquire() as conn:
        lst = await repository.create_list(conn, campaign_id=campaign.id, name=path.name, source_filename=path.name)
        counts = await jobs.run_import(conn, campaign_id=campaign.id, list_id=lst.id, path=path, now=NOW,
                                       **kwargs)  # type: ignore[arg-type]
    return lst.id, counts


def test_the_header_is_the_first_row_with_two_filled_cells_unless_it_already_holds_a_number() -> None:
    assert propose_header_row([(1, ["Phone", "Name"]), (2, ["0612345678", "An"])]) == 1
    assert propose_header_row([(1, ["Customers, January", "", ""]), (2, ["", "", ""]),
                               (3, ["Phone", "Name", "City"]), (4, ["0612345678", "An", "Huế"])]) == 3
    assert propose_header_row([(1, ["0612345678", "An"]), (2, ["0612345679", "Bình"])]) is None
    assert propose_header_row([(1, ["Danh sách"]), (2, ["+84 912 345 678", "An"])]) is None
    assert propose_header_row([(1, ["phone"]), (2, ["0612345678"])]) == 1


def test_an_xlsx_title_row_is_detected_and_the_real_header_row_proposed(
        xlsx_file: Callable[[list[list[object]]], Path]) -> None:
    path = xlsx_file([["Danh sách khách hàng tháng 1", None, None],
                      ["Số điện thoại", "Họ và tên", "Ghi chú"],
                      [912345678, "Nguyễn Văn An", "vip"]])
    table = open_table(path)
    try:
        assert (table.header_row, table.proposed_header_row) == (2, 2)
        assert table.header == ["Số điện thoại", "Họ và tên", "Ghi chú"]
        chunks = list(table.chunks(10))
    finally:
        table.close()
    assert chunks[0].rejects == [(1, "above_header", "above the header row (row 2)", "Danh sách khách hàng tháng 1,,")]
    assert [row for c in chunks for row in c.rows] == [(3, ["912345678", "Nguyễn Văn An", "vip"], "")]


def test_a_csv_title_row_does_not_fool_the_delimiter_and_a_chosen_row_wins(tmp_path: Path) -> None:
    path = tmp_path / "title.csv"
    path.write_text("Relance, janvier\nTel;Nom;Ville\n0612345678;Dupré;Lyon\n", encoding="utf-8")
    table = open_table(path)
    try:
        assert (table.delimiter, table.header_row, table.header) == (";", 2, ["Tel", "Nom", "Ville"])
    finally:
        table.close()
    table = open_table(path, 1)              # the team lead's choice, even if odd
    try:
        assert table.header == ["Relance, janvier"] and table.header_row == 1 and table.proposed_header_row == 2
    finally:
        table.close()
    with pytest.raises(ImportFailed, match="row 30 cannot be the header row"):
        open_table(path, 30)


def test_duplicate_and_empty_header_cells_are_named_by_position_and_mapped_by_position() -> None:
    header = ["Phone", "Name", "Phone", "", "Name"]
    assert column_labels(header) == ["Phone (column 1)", "Name (column 2)", "Phone (column 3)", "column_4",
                                     "Name (column 5)"]
    columns = build_column_map(header, parse_map_option("phone=#3,alt_phones=#1,first_name=#5"))
    assert (columns.phone, columns.alt_phones, columns.first_name) == (2, (0,), 4)
    assert columns.extra == ((1, "Name (column 2)"), (3, "column_4"))
    with pytest.raises(ImportFailed, match=r"2 columns named 'Phone': choose one by position \(#1 or #3\)"):
        build_column_map(header, {"phone": "Phone"})
    with pytest.raises(ImportFailed, match="no column #9"):
        build_column_map(header, {"phone": "#9"})


async def test_duplicate_columns_are_kept_apart_in_the_lead_fields(
        db_pool: asyncpg.Pool, fr_campaign: Campaign, tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("Phone,Note,Phone,Note,\n0612345678,first,0698765432,second,x\n", encoding="utf-8")
    _, counts = await _import(db_pool, fr_campaign, path)
    assert counts["imported"] == 1
    (lead,) = await repository.search_leads(db_pool, campaign_id=fr_campaign.id)
    assert lead.phone_e164 == "+33612345678"
    assert dict(lead.fields) == {"Note (column 2)": "first", "Phone (column 3)": "0698765432",
                                 "Note (column 4)": "second", "column_5": "x"}


async def test_a_file_without_a_header_is_imported_by_position(
        db_pool: asyncpg.Pool, fr_campaign: Campaign, tmp_path: Path) -> None:
    path = tmp_path / "bare.csv"
    path.write_text("0612345678,Zoé,Lyon\n0612345679,Léa,Nice\n", encoding="utf-8")
    table = open_table(path)
    try:
        assert table.header_row is None and table.header == ["", "", ""]      # proposed: no header
    finally:
        table.close()
    _, counts = await _import(db_pool, fr_campaign, path, header_row=None,
                              mapping={"phone": ["#1"], "first_name": ["#2"]})
    assert (counts["rows"], counts["imported"]) == (2, 2)
    leads = await repository.search_leads(db_pool, campaign_id=fr_campaign.id)
    assert [(x.phone_e164, x.first_name, dict(x.fields)) for x in leads] == [
        ("+33612345678", "Zoé", {"column_3": "Lyon"}), ("+33612345679", "Léa", {"column_3": "Nice"})]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    monkeypatch.setenv("DIALER_REDIS_URL", redis_url)
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIALER_ADMIN_PASSWORD", "admin-password-123")
    return tmp_path / "data"


async def _run(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_header_row_and_no_header_on_the_command_line(
        cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], db_pool: asyncpg.Pool,
        xlsx_file: Callable[[list[list[object]]], Path]) -> None:
    assert await _run("campaign", "create", "Headers", "--trunk", "PJSIP/{number}@carrier", "--region", "VN",
                      "--timezone", "Asia/Ho_Chi_Minh") == 0
    titled = xlsx_file([["Khách hàng quý 1"], ["SĐT", "Tên", "SĐT"], ["0912345678", "An", "0987654321"]])
    capsys.readouterr()
    assert await _run("list", "import", "Headers", str(titled)) == 0
    out = capsys.readouterr().out
    assert "row 2 holds the column names (the rows above look like a title)" in out
    assert "1 rows, 1 leads imported, 0 rejected" in out
    bare = tmp_path / "bare.csv"
    bare.write_text("Phone list\n0912000001,Bình\n0912000002,Chi\n", encoding="utf-8")
    assert await _run("list", "import", "Headers", str(bare), "--no-header", "--map", "phone=#1,first_name=#2") == 0
    out = capsys.readouterr().out
    assert "3 rows, 2 leads imported, 1 rejected" in out          # "Phone list" is a row without a number
    named = tmp_path / "named.csv"
    named.write_text("exported 2026-01-05\nnotes\nphone,name\n0912000003,Dung\n", encoding="utf-8")
    assert await _run("list", "import", "Headers", str(named), "--header-row", "3") == 0
    assert "1 rows, 1 leads imported, 0 rejected" in capsys.readouterr().out
    assert await _run("list", "import", "Headers", str(named), "--header-row", "9") == 1
    assert "row 9 cannot be the header row" in capsys.readouterr().err
    assert await _run("list", "import", "Headers", str(titled), "--map", "phone=SĐT") == 1
    assert "2 columns named 'SĐT': choose one by position (#1 or #3)" in capsys.readouterr().err
    headless = tmp_path / "headless.csv"
    headless.write_text("0912000009,Giang\n0912000010,Hà\n", encoding="utf-8")
    assert await _run("list", "import", "Headers", str(headless)) == 1
    said = capsys.readouterr()
    assert "the first row looks like data, so the file is read without a header row" in said.out
    assert "no phone column found; map one with --map phone=COLUMN or phone=#N" in said.err
    campaign = await repository.find_campaign(db_pool, ref="Headers")
    leads = await repository.search_leads(db_pool, campaign_id=campaign.id)
    assert sorted((x.phone_e164, x.first_name, dict(x.fields)) for x in leads) == [
        ("+84912000001", "Bình", {}), ("+84912000002", "Chi", {}), ("+84912000003", "Dung", {}),
        ("+84912345678", "An", {"SĐT (column 3)": "0987654321"})]
