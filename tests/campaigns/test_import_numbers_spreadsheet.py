"""A list import never invents a number: spreadsheet floats, scientific notation, formulas, Unicode digits.

A number a spreadsheet turned into a float or scientific notation is recovered only when no digit was
lost; otherwise its row is refused with "number was rounded by a spreadsheet". A ``.`` never becomes a
digit, a formula is not a number, Unicode spaces and digits are read as a person reads them, and text
is stored in NFC. Run through the real import (PostgreSQL) and through ``dialer list import`` as a user would.
"""

from __future__ import annotations

import asyncio
import csv
import io
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from campaigns import jobs, repository
from campaigns.model import Campaign, CampaignState
from campaigns.numbers import DECIMAL, FORMULA, ROUNDED, PhoneNormaliser, phone_text
from campaigns.readers import cell_text
from dialer.cli import main

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
VN = PhoneNormaliser("VN")


# --- the rules, on their own -------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["8.4971E+10", "9.0312E+08", "8,4971E+10", "8.4971e10", "+8.49E+10", "8E+10"])
def test_scientific_notation_that_lost_digits_is_refused_never_filled_with_zeros(cell: str) -> None:
    # the old reader made +84971000000 and +84903120000 of the first two: real numbers of other people
    assert VN.normalise(cell) == ROUNDED
    assert phone_text(cell) == cell


@pytest.mark.parametrize(("cell", "e164"), [
    ("8.4987654321E+10", "+84987654321"),       # the mantissa holds every digit
    ("8,4987654321E+10", "+84987654321"),       # decimal comma (French and Vietnamese Excel)
    ("8.49876543210E+10", "+84987654321"),      # a trailing zero after the point is not a digit of the number
    ("84987654321.0", "+84987654321"),
    ("84987654321,00", "+84987654321"),
    ("912345678.0", "+84912345678"),           # the float also lost the leading 0: the national number is kept
])
def test_a_float_that_kept_every_digit_is_recovered(cell: str, e164: str) -> None:
    result = VN.normalise(cell)
    assert not isinstance(result, str) and result[0] == e164


def test_a_dot_never_becomes_a_digit() -> None:
    # "030123456.0" was read as +49301234560 (the ".0" became a digit): it is Berlin 030 123456
    de = PhoneNormaliser("DE")
    assert de.normalise("030123456.0")[0] == "+4930123456"
    for region, cell in [("DE", "03012345.6"), ("VN", "0283812345.6"), ("US", "212555123.4"), ("VN", "98765432.15")]:
        assert PhoneNormaliser(region).normalise(cell) == DECIMAL, cell
    # dots that group digits stay separators
    assert PhoneNormaliser("FR").normalise("06.12.34.56.78")[0] == "+33612345678"
    assert VN.normalise("028.3812.3456")[0] == "+842838123456"


def test_a_plus_then_zero_is_no_country_code() -> None:
    # the fast path read "+01 201 200 0000" as +1 201 200 0000, a number in New Jersey
    assert PhoneNormaliser("FR").normalise("+012012000000") == "not a phone number"


@pytest.mark.parametrize("cell", ['=HYPERLINK("tel:+84912345678")', '=HYPERLINK("tel:0912345678";"Gọi")',
                                  "=0912345678", '="0912345678"'])
def test_a_formula_is_not_a_phone_number(cell: str) -> None:
    assert VN.normalise(cell) == FORMULA


@pytest.mark.parametrize("cell", [
    "0912\u00a0345\u00a0678",            # no-break spaces
    "0912\u2009345\u2009678",            # thin spaces
    "0912\u2007345\u2007678",            # figure spaces
    "0912\u202f345\u202f678",            # narrow no-break spaces
    "0912\u200b345\u200c678\u200d",      # zero-width space, non-joiner, joiner
    "\u20600912345678\u2060",            # word joiners
    "\ufeff0912345678",                  # a BOM left in the cell
    "０９１２ ３４５ ６７８",              # full-width digits
    "٠٩١٢٣٤٥٦٧٨",                        # Arabic-Indic digits
    "＋８４ ９１２ ３４５ ６７８",          # full-width plus
    "+84\u2011912\u2013345\u2212678",    # non-breaking hyphen, en dash, minus sign
])
def test_unicode_spaces_format_characters_and_digits_are_read_as_a_person_reads_them(cell: str) -> None:
    result = VN.normalise(cell)
    assert not isinstance(result, str) and result[0] == "+84912345678", result


def test_an_xlsx_float_cell_is_exact_only_below_fifteen_digits() -> None:
    assert cell_text(84987654321.0) == "84987654321"
    assert cell_text(8.4971e16) == "8.4971e+16"              # beyond a spreadsheet's 15 digits: not invented
    assert VN.normalise(cell_text(8.4971e16)) == ROUNDED
    assert cell_text(849876543.5) == "849876543.5" and VN.normalise(cell_text(849876543.5)) == DECIMAL
    assert cell_text(float("inf")) == "" and cell_text(7) == "7"
    assert cell_text("Nguye\u0302\u0303n") == "Nguyễn"           # decomposed text comes back composed (NFC)


# --- through the import into PostgreSQL ----------------------------------------------------------------

@pytest.fixture
async def vn_campaign(db_pool: asyncpg.Pool) -> Campaign:
    return await repository.create_campaign(db_pool, campaign=Campaign(
        id=0, name="Chăm sóc VN", trunk_template="PJSIP/{number}@carrier", state=CampaignState.RUNNING,
        default_region="VN", timezone="Asia/Ho_Chi_Minh"))


async def _import(pool: asyncpg.Pool, campaign: Campaign, path: Path) -> tuple[int, dict[str, int]]:
    async with pool.acquire() as conn:
        lst = await repository.create_list(conn, campaign_id=campaign.id, name=path.name, source_filename=path.name)
        counts = await jobs.run_import(conn, campaign_id=campaign.id, list_id=lst.id, path=path, now=NOW, workers=1)
    return lst.id, counts


async def _report(pool: asyncpg.Pool, list_id: int) -> dict[int, tuple[str, str]]:
    async with pool.acquire() as conn:
        text = "".join([piece async for piece in jobs.rejects_csv(conn, list_id=list_id)])
    return {int(r["line"]): (r["kind"], r["reason"]) for r in csv.DictReader(io.StringIO(text))}


def _csv(path: Path, rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


async def test_a_csv_saved_by_a_spreadsheet_imports_the_exact_numbers_and_refuses_the_rounded_ones(
        db_pool: asyncpg.Pool, vn_campaign: Campaign, tmp_path: Path) -> None:
    path = _csv(tmp_path / "khach-hang.csv", [
        ["Phone", "First name"],
        ["8.4971E+10", "Rounded"],                  # line 2
        ["9.0312E+08", "Rounded too"],              # line 3
        ["84987654321.0", "Exact float"],           # line 4
        ["8,4912345678E+10", "Exact scientific"],   # line 5
        ['=HYPERLINK("tel:+84903123456")', "Formula"],  # line 6
        ["0283\u00a0812\u00a03456", "No-break spaces"],  # line 7
        ["０９０３ １２３ ４５６", "Full width"],            # line 8
    ])
    list_id, counts = await _import(db_pool, vn_campaign, path)
    assert (counts["rows"], counts["imported"], counts["rejected"]) == (7, 4, 3)
    leads = await repository.search_leads(db_pool, campaign_id=vn_campaign.id)
    assert sorted((lead.first_name, lead.phone_e164) for lead in leads) == [
        ("Exact float", "+84987654321"), ("Exact scientific", "+84912345678"),
        ("Full width", "+84903123456"), ("No-break spaces", "+842838123456")]
    report = await _report(db_pool, list_id)
    assert report == {2: ("invalid", f"{ROUNDED}: 8.4971E+10"), 3: ("invalid", f"{ROUNDED}: 9.0312E+08"),
                      6: ("invalid", f'{FORMULA}: =HYPERLINK("tel:+84903123456")')}


async def test_xlsx_number_cells_are_exact_and_text_is_stored_composed(
        db_pool: asyncpg.Pool, vn_campaign: Campaign, xlsx_file: Callable[[list[list[object]]], Path]) -> None:
    decomposed = unicodedata.normalize("NFD", "Công ty Ánh Dương")
    path = xlsx_file([
        ["Phone", "Công ty", "Ghi chú"],
        [84987654321.0, decomposed, unicodedata.normalize("NFD", "Khách quen")],   # a number cell
        [912345678, "Lê", ""],                      # an integer cell that lost its leading 0
        [8.4971e16, "Too long", ""],                # beyond 15 digits: digits may be lost
        [849876543.5, "Decimal", ""],
        ["8.4971E+10", "Text cell", ""],
    ])
    list_id, counts = await _import(db_pool, vn_campaign, path)
    assert (counts["imported"], counts["rejected"]) == (2, 3)
    rows = await db_pool.fetch("SELECT phone_e164, fields FROM leads WHERE campaign_id = $1 ORDER BY phone_e164",
                               vn_campaign.id)
    assert [r["phone_e164"] for r in rows] == ["+84912345678", "+84987654321"]
    fields = {r["phone_e164"]: r["fields"] for r in rows}
    assert fields["+84987654321"] == {"Công ty": "Công ty Ánh Dương", "Ghi chú": "Khách quen"}
    assert unicodedata.is_normalized("NFC", fields["+84987654321"]["Công ty"])
    assert await db_pool.fetchval("SELECT count(*) FROM leads WHERE fields->>'Công ty' = 'Công ty Ánh Dương'") == 1
    report = await _report(db_pool, list_id)
    assert [kind_reason[1].split(":")[0] for _, kind_reason in sorted(report.items())] == [ROUNDED, DECIMAL, ROUNDED]


async def test_names_are_stored_in_nfc_so_a_search_finds_them(
        db_pool: asyncpg.Pool, vn_campaign: Campaign, tmp_path: Path) -> None:
    path = _csv(tmp_path / "nfd.csv", [["Phone", "First name", "Last name"],
                                      ["0912345678", unicodedata.normalize("NFD", "Ánh"),
                                       unicodedata.normalize("NFD", "Nguyễn")]], delimiter=",")
    await _import(db_pool, vn_campaign, path)
    (lead,) = await repository.search_leads(db_pool, campaign_id=vn_campaign.id, text="Nguyễn")
    assert (lead.first_name, lead.last_name) == ("Ánh", "Nguyễn")


# --- as a user would: dialer list import ------------------------------------------------------------------

@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    monkeypatch.setenv("DIALER_REDIS_URL", redis_url)
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIALER_ADMIN_PASSWORD", "admin-password-123")
    return tmp_path / "data"


async def _run(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_dialer_list_import_refuses_rounded_numbers_and_reads_a_french_file_with_region_fr(
        cli_env: Path, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await _run("campaign", "create", "Chăm sóc", "--trunk", "PJSIP/{number}@carrier", "--region", "VN",
                      "--timezone", "Asia/Ho_Chi_Minh") == 0
    capsys.readouterr()
    excel = _csv(tmp_path / "excel.csv", [["SĐT", "Tên"], ["8.4971E+10", "An"], ["8.4912345678E+10", "Bình"]],
                 encoding="utf-8-sig")
    assert await _run("list", "import", "Chăm sóc", str(excel), "--map", "phone=SĐT") == 0
    out = capsys.readouterr().out
    assert "2 rows, 1 leads imported, 1 rejected" in out
    report = (cli_env / "rejects" / "list-1-rejects.csv").read_text(encoding="utf-8").splitlines()
    assert report[1] == f"2,invalid,{ROUNDED}: 8.4971E+10,8.4971E+10;An"
    # a French file in the Vietnamese campaign: 06 ... is a French mobile, not a Vietnamese number
    french = _csv(tmp_path / "clients-fr.csv", [["Téléphone", "Prénom"], ["06 12 34 56 78", "Zoé"],
                                                ["01 23 45 67 89", "René"]], encoding="cp1252")
    assert await _run("list", "import", "Chăm sóc", str(french), "--region", "fr") == 0
    assert "2 rows, 2 leads imported, 0 rejected" in capsys.readouterr().out
    assert await _run("list", "import", "Chăm sóc", str(french), "--region", "XX") == 1
    assert "unknown region 'XX'" in capsys.readouterr().err
    conn = await asyncpg.connect(database_url)
    try:
        stored = await conn.fetch("SELECT l.region, d.phone_e164 FROM leads d JOIN lists l ON l.id = d.list_id"
                                  " ORDER BY d.id")
    finally:
        await conn.close()
    assert [(r["region"], r["phone_e164"]) for r in stored] == [
        ("", "+84912345678"), ("FR", "+33612345678"), ("FR", "+33123456789")]
