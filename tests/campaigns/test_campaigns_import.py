"""List import end to end: encodings, delimiters, XLSX, mapping, dedupe, DNC scrub, rejects report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from campaigns import jobs, repository
from campaigns.errors import ImportFailed
from campaigns.imports import build_column_map, parse_map_option
from campaigns.model import Campaign
from campaigns.readers import detect_delimiter, detect_encoding
from dnc import repository as dnc_repository
from dnc.lists import ListKind

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
ROWS = [["Téléphone", "Prénom", "Nom", "Ville"],
        ["06 12 34 56 78", "Éloïse", "Dupré", "Besançon"],
        ["+33 1 23 45 67 89", "René", "Noël", "Paris"],
        ["0756781234", "Zoé", "Lefèvre", ""]]


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


def _write(path: Path, rows: list[list[str]], *, delimiter: str, encoding: str) -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize(("encoding", "delimiter"), [
    ("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", ";"), ("utf-16", "\t"), ("utf-16-le", ","), ("utf-8", "|"),
])
async def test_csv_in_excel_encodings_and_any_delimiter_imports_every_row(
        db_pool: asyncpg.Pool, fr_campaign: Campaign, tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = _write(tmp_path / "leads.csv", ROWS, delimiter=delimiter, encoding=encoding)
    list_id, counts = await _import(db_pool, fr_campaign, path)
    assert counts["imported"] == 3 and counts["rejected"] == 0
    leads = await repository.search_leads(db_pool, campaign_id=fr_campaign.id)
    assert [(lead.phone_e164, lead.first_name, lead.last_name) for lead in leads] == [
        ("+33612345678", "Éloïse", "Dupré"), ("+33123456789", "René", "Noël"), ("+33756781234", "Zoé", "Lefèvre")]
    assert leads[0].fields == {"Ville": "Besançon"} and leads[0].timezones == ("Europe/Paris",)
    assert (await repository.get_list(db_pool, list_id=list_id)).status == "ready"


def test_encoding_and_delimiter_detection() -> None:
    assert detect_encoding("Prénom;Tél\n".encode("cp1252")) == "cp1252"
    assert detect_encoding("Prénom;Tél\n".encode()) == "utf-8"
    assert detect_encoding("ab\n".encode("utf-16-be")) == "utf-16-be"
    assert detect_delimiter(["a;b;c", "1;2,5;3", "4;5;6"]) == ";"
    assert detect_delimiter(["phone"]) == ","


def test_column_mapping_from_the_command_line_and_by_header_names() -> None:
    mapping = parse_map_option("phone=Tel,alt_phones=Mobile|Bureau,first_name=Prénom")
    columns = build_column_map(["Tel", "Prénom", "Mobile", "Bureau", "Code postal", "Client"], mapping)
    assert (columns.phone, columns.alt_phones, columns.first_name, columns.postal_code) == (0, (2, 3), 1, 4)
    assert columns.extra == ((5, "Client"),)
    with pytest.raises(ImportFailed, match="no column 'Fax'"):
        build_column_map(["Tel"], {"phone": "Fax"})
    with pytest.raises(ImportFailed, match="no phone column"):
        build_column_map(["a", "b"], None)


async def test_xlsx_float_and_scientific_phone_cells_import_as_numbers(
        db_pool: asyncpg.Pool, fr_campaign: Campaign, xlsx_file: Callable[[list[list[object]]], Path]) -> None:
    path = xlsx_file([["Phone", "First name", "Zip", "Score"],
                      [33612345678.0, "Ana", 75001, 12.5],
                      [612345679, "Ben", None, 3],
                      ["3.3612345680E+10", "Cid", "13001", None]])
    _, counts = await _import(db_pool, fr_campaign, path)
    assert counts["imported"] == 3
    leads = await repository.search_leads(db_pool, campaign_id=fr_campaign.id)
    assert [lead.phone_e164 for lead in leads] == ["+33612345678", "+33612345679", "+33612345680"]
    assert leads[0].postal_code == "75001" and leads[0].fields == {"Score": "12.5"}


async def test_broken_rows_are_reported_with_line_and_reason_and_the_rest_imported(
        db_pool: asyncpg.Pool, fr_campaign: Campaign, tmp_path: Path) -> None:
    async with db_pool.acquire() as conn:
        await dnc_repository.create_list(conn, name="interne", kind=ListKind.INTERNAL, actor="test", now=NOW)
        await dnc_repository.add_entry(conn, list_name="interne", number="+33699999999", actor="test",
                                       reason="asked", now=NOW)
    await _import(db_pool, fr_campaign, _write(tmp_path / "first.csv", [["phone"], ["0611111111"]],
                                               delimiter=",", encoding="utf-8"))
    text = ("phone,name\n"
            "0612345678,ok\n"             # 2 imported
            "not a number,x\n"            # 3 invalid
            ",empty\n"                    # 4 missing
            "0612345678,again\n"          # 5 duplicate in file
            "0611111111,already\n"        # 6 duplicate in campaign
            "06 99 99 99 99,dnc\n"        # 7 on DNC
            "0612345600,too,many\n"       # 8 malformed
            "\"0612345601,unterminated\n"  # 9 quote runs to the end of the file
            )
    path = tmp_path / "broken.csv"
    path.write_text(text, encoding="utf-8")
    list_id, counts = await _import(db_pool, fr_campaign, path)
    assert counts["imported"] == 1
    assert (counts["invalid"], counts["duplicate_file"], counts["duplicate_campaign"], counts["dnc"],
            counts["malformed"], counts["unterminated_quote"]) == (2, 1, 1, 1, 1, 1)
    rejects = await _rejects(db_pool, list_id)
    assert [(r["line"], r["kind"]) for r in rejects] == [
        ("3", "invalid"), ("4", "invalid"), ("5", "duplicate_file"), ("6", "duplicate_campaign"), ("7", "dnc"),
        ("8", "malformed"), ("9", "unterminated_quote")]
    assert "interne" in rejects[4]["reason"] and rejects[2]["raw"] == "0612345678,again"
    assert counts["rows"] == counts["imported"] + counts["rejected"]


async def test_a_file_full_of_broken_rows_produces_a_complete_rejects_report(
        db_pool: asyncpg.Pool, fr_campaign: Campaign, tmp_path: Path) -> None:
    lines = ["phone"] + [f"garbage-{i}" for i in range(300)]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    list_id, counts = await _import(db_pool, fr_campaign, path, chunk_rows=64)
    assert counts["imported"] == 0 and counts["rejected"] == 300
    rejects = await _rejects(db_pool, list_id)
    assert [int(r["line"]) for r in rejects] == list(range(2, 302))


async def test_the_process_pool_path_imports_the_same_as_in_process(
        db_pool: asyncpg.Pool, fr_campaign: Campaign, tmp_path: Path) -> None:
    rows = [["phone", "first_name"]] + [[f"06{i:08d}", f"n{i}"] for i in range(1000)] + [["0600000001", "dup"]]
    path = _write(tmp_path / "many.csv", rows, delimiter=",", encoding="utf-8")
    progress: list[tuple[int, int | None]] = []
    list_id, counts = await _import(db_pool, fr_campaign, path, workers=2, chunk_rows=200,
                                    progress=lambda done, total, msg: progress.append((done, total)))
    assert counts["imported"] == 1000 and counts["duplicate_file"] == 1
    assert progress[-1] == (1001, 1001) and len(progress) >= 6
    assert [r["line"] for r in await _rejects(db_pool, list_id)] == ["1002"]


async def test_an_unreadable_file_fails_the_list(db_pool: asyncpg.Pool, fr_campaign: Campaign,
                                                 tmp_path: Path) -> None:
    path = tmp_path / "nophone.csv"
    path.write_text("a,b\n1,2\n")
    async with db_pool.acquire() as conn:
        lst = await repository.create_list(conn, campaign_id=fr_campaign.id, name="x", source_filename="x")
        with pytest.raises(ImportFailed):
            await jobs.run_import(conn, campaign_id=fr_campaign.id, list_id=lst.id, path=path, now=NOW)
    failed = await repository.get_list(db_pool, list_id=lst.id)
    assert failed.status == "failed" and "phone" in failed.error


async def test_a_failing_dnc_check_fails_the_import_closed(db_pool: asyncpg.Pool, fr_campaign: Campaign,
                                                           tmp_path: Path) -> None:
    async def broken_dnc(conn: asyncpg.Connection, numbers: object, **kwargs: object) -> dict[str, str]:
        raise ImportFailed("DNC index unavailable")

    path = _write(tmp_path / "ok.csv", ROWS, delimiter=",", encoding="utf-8")
    async with db_pool.acquire() as conn:
        lst = await repository.create_list(conn, campaign_id=fr_campaign.id, name="x", source_filename="x")
        with pytest.raises(ImportFailed, match="DNC index unavailable"):
            await jobs.run_import(conn, campaign_id=fr_campaign.id, list_id=lst.id, path=path, now=NOW,
                                  dnc_lookup=broken_dnc)
    assert await repository.search_leads(db_pool, campaign_id=fr_campaign.id) == []
    assert (await repository.get_list(db_pool, list_id=lst.id)).status == "failed"
