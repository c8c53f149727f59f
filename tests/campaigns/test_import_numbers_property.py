"""Property: whatever a spreadsheet did to a list of valid numbers, the import stores exactly those numbers
or refuses a row with a reason, never a different number.

Numbers come from ``phonenumbers``' example numbers of six regions with random last digits (kept when still
valid). Each is written as E.164, in international format, in national format (numbers of the list's
region) or as the digits a spreadsheet keeps of a number cell: a float (``84912345678.0``), scientific
notation with every digit, scientific notation rounded as Excel shows it (``8.4912E+10``: refused) or an
XLSX number cell; to CSV in each supported encoding and delimiter, or to XLSX. The import is the real one
(``jobs.run_import`` into PostgreSQL), with the region set on the campaign or on the list.

Digits without their "+" are written only for numbers of the list's region: they are read in that region,
and a foreign number that lost its "+" can be a valid local one (hypothesis found ``84912345670``, a
Vietnamese mobile, which in a Russian list is 8 491 234-56-70, a Russian number). No reader can tell the
two apart; such files need the "+" kept (a text cell) or the list's region set to the numbers' country.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from campaigns import jobs, repository
from campaigns.model import Campaign, CampaignState
from campaigns.numbers import ROUNDED
from dialer import db

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
REGIONS = ("VN", "FR", "US", "CN", "RU", "CZ")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252")
DELIMITERS = (",", ";", "\t", "|")
EXACT_TEXT = ("e164", "international", "national", "digits")
SPREADSHEET = ("float", "float_comma", "scientific", "rounded", "xlsx_number")


@dataclass(frozen=True)
class Row:
    e164: str
    region: str                 # the number's own region
    form: str                   # one of EXACT_TEXT + SPREADSHEET
    cell: str | float


@st.composite
def valid_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(E.164, region): an example number of a region with up to 4 last digits replaced, if still valid."""
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(
        [PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE])))
    nsn = str(example.national_number)
    count = draw(st.integers(min_value=1, max_value=4))
    tail = draw(st.text(alphabet="0123456789", min_size=count, max_size=count))
    candidate = phonenumbers.parse(f"+{example.country_code}{nsn[:-count]}{tail}")
    if phonenumbers.is_valid_number(candidate) and phonenumbers.region_code_for_number(candidate) == region:
        example = candidate
    return phonenumbers.format_number(example, PhoneNumberFormat.E164), region


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


@st.composite
def rows_for(draw: st.DrawFn, number: tuple[str, str], list_region: str, xlsx: bool) -> Row:
    e164, region = number
    parsed = phonenumbers.parse(e164)
    home = region == list_region
    forms = ["e164", "international"]
    if home:        # digits without "+" are the list's region's by definition: see the module's docstring
        forms += ["national", "digits", "float", "float_comma", "scientific", "rounded"]
        forms += ["xlsx_number"] if xlsx else []
    form = draw(st.sampled_from(forms))
    if form == "e164":
        return Row(e164, region, form, e164)
    if form == "international":
        return Row(e164, region, form, phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL))
    national = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
    if form == "national":
        return Row(e164, region, form, national)
    if form == "digits":
        return Row(e164, region, form, _digits(national))
    # what a number cell keeps: the national digits (leading 0 lost) or the digits after the "+"
    digits = str(int(_digits(national))) if home and draw(st.booleans()) else e164[1:]
    if form == "float":
        return Row(e164, region, form, f"{digits}.0")
    if form == "float_comma":
        return Row(e164, region, form, f"{digits},0")
    if form == "xlsx_number":
        return Row(e164, region, form, float(digits))
    exponent = len(digits) - 1
    if form == "scientific":
        mantissa = digits[0] + ("." + digits[1:] if digits[1:] else "")
        return Row(e164, region, form, f"{mantissa}E+{exponent:02d}")
    kept = draw(st.integers(min_value=1, max_value=max(1, len(digits) - 1)))
    return Row(e164, region, form, f"{int(digits):.{kept - 1}E}")         # Excel's "8.4971E+10"


@st.composite
def files(draw: st.DrawFn) -> tuple[str, bool, list[Row], str, str]:
    list_region = draw(st.sampled_from(REGIONS))
    on_list = draw(st.booleans())          # the region set on the list (else on the campaign)
    xlsx = draw(st.booleans())
    numbers = draw(st.lists(valid_numbers(), min_size=1, max_size=12, unique_by=lambda n: n[0]))
    rows = [draw(rows_for(n, list_region, xlsx)) for n in numbers]
    encoding = "xlsx" if xlsx else draw(st.sampled_from(ENCODINGS))
    delimiter = "" if xlsx else draw(st.sampled_from(DELIMITERS))
    return list_region, on_list, rows, encoding, delimiter


def _write(path: Path, rows: list[Row], encoding: str, delimiter: str,
           xlsx_file: Callable[[list[list[object]]], Path]) -> Path:
    table: list[list[object]] = [["Phone", "Ref"]] + [[row.cell, f"row {i} é"] for i, row in enumerate(rows)]
    if encoding == "xlsx":
        return xlsx_file(table)
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(table)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


async def _import(database_url: str, path: Path, list_region: str, on_list: bool) -> tuple[dict[int, str],
                                                                                        dict[int, str], int]:
    conn = await db.connect(database_url)
    try:
        campaign = await repository.create_campaign(conn, campaign=Campaign(
            id=0, name=f"p-{uuid.uuid4().hex[:10]}", trunk_template="PJSIP/{number}@carrier",
            state=CampaignState.RUNNING, default_region="US" if on_list and list_region != "US" else list_region))
        lst = await repository.create_list(conn, campaign_id=campaign.id, name=path.name, source_filename=path.name)
        if on_list:
            await repository.set_list_region(conn, list_id=lst.id, region=list_region)
        counts = await jobs.run_import(conn, campaign_id=campaign.id, list_id=lst.id, path=path, now=NOW, workers=1)
        leads = await conn.fetch("SELECT first_name, phone_e164, fields FROM leads WHERE list_id = $1", lst.id)
        stored = {int(r["fields"]["Ref"].split()[1]): r["phone_e164"] for r in leads}
        rejects = {int(r["line_no"]) - 2: f'{r["kind"]}: {r["reason"]}'
                   for r in await conn.fetch("SELECT line_no, kind, reason FROM import_rejects WHERE list_id = $1",
                                             lst.id)}
    finally:
        await conn.close()
    return stored, rejects, counts["rows"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("property")


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(example=files())
def test_an_import_stores_exactly_the_numbers_written_or_refuses_the_row_never_another_number(
        database_url: str, folder: Path, xlsx_file: Callable[[list[list[object]]], Path],
        example: tuple[str, bool, list[Row], str, str]) -> None:
    list_region, on_list, rows, encoding, delimiter = example
    path = _write(folder / f"{uuid.uuid4().hex}.csv", rows, encoding, delimiter, xlsx_file)
    stored, rejects, read = asyncio.run(_import(database_url, path, list_region, on_list))
    assert read == len(rows)
    for index, row in enumerate(rows):
        where = (index, row, encoding, repr(delimiter), list_region)
        assert (index in stored) != (index in rejects), where          # every row: stored or refused
        if index in stored:
            assert stored[index] == row.e164, where                      # never another number
        else:
            assert rejects[index].startswith("invalid: "), where        # refused with a reason
        if row.form == "rounded":
            assert rejects.get(index, "").startswith(f"invalid: {ROUNDED}: "), where   # digits were lost
        if row.form != "rounded":
            assert stored.get(index) == row.e164, where                 # nothing was lost: it is imported
