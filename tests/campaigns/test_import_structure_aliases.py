"""Auto-mapping knows the usual header names of the seeds' countries, whatever their case and accents."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from campaigns import jobs, repository
from campaigns.errors import ImportFailed
from campaigns.imports import build_column_map
from campaigns.model import Campaign

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _roles(header: list[str]) -> dict[str, object]:
    columns = build_column_map(header)
    found = {role: getattr(columns, role) for role in ("phone", "first_name", "last_name", "full_name", "timezone",
                                                        "postal_code")}
    found["alt_phones"] = columns.alt_phones
    return {role: value for role, value in found.items() if value not in (None, ())}


@pytest.mark.parametrize(("header", "expected"), [
    (["Số điện thoại", "Họ", "Tên", "Múi giờ", "Mã bưu chính"],
     {"phone": 0, "last_name": 1, "first_name": 2, "timezone": 3, "postal_code": 4}),
    (["ĐIỆN THOẠI", "họ và tên"], {"phone": 0, "full_name": 1}),
    (["sdt", "HO VA TEN"], {"phone": 0, "full_name": 1}),                       # typed without accents
    (["SĐT", "Di động"], {"phone": 0, "alt_phones": (1,)}),
    (["Téléphone", "Portable", "Nom", "Prénom", "Fuseau horaire", "Code postal"],
     {"phone": 0, "alt_phones": (1,), "last_name": 2, "first_name": 3, "timezone": 4, "postal_code": 5}),
    (["TELEPHONE", "prenom", "NOM"], {"phone": 0, "first_name": 1, "last_name": 2}),
    (["电话", "手机", "姓", "名"], {"phone": 0, "alt_phones": (1,), "last_name": 2, "first_name": 3}),
    (["姓名", "手机"], {"phone": 1, "full_name": 0}),           # a mobile column alone is the phone
    (["Телефон", "Мобильный", "Имя", "Фамилия", "Часовой пояс", "Индекс"],
     {"phone": 0, "alt_phones": (1,), "first_name": 2, "last_name": 3, "timezone": 4, "postal_code": 5}),
    (["ТЕЛЕФОН", "ФИО"], {"phone": 0, "full_name": 1}),
    (["Telefon", "Mobil", "Jméno", "Příjmení", "Časové pásmo", "PSČ"],
     {"phone": 0, "alt_phones": (1,), "first_name": 2, "last_name": 3, "timezone": 4, "postal_code": 5}),
    (["telefon", "JMENO", "prijmeni", "psc"], {"phone": 0, "first_name": 1, "last_name": 2, "postal_code": 3}),
    (["Phone Number", "First Name", "Last Name", "Time-Zone", "ZIP"],
     {"phone": 0, "first_name": 1, "last_name": 2, "timezone": 3, "postal_code": 4}),
    (["Full name", "Mobile"], {"phone": 1, "full_name": 0}),
])
def test_usual_header_names_map_in_every_language_case_and_accent_insensitively(
        header: list[str], expected: dict[str, object]) -> None:
    assert _roles(header) == expected


def test_a_full_name_column_stays_a_lead_field_when_first_and_last_names_are_there() -> None:
    columns = build_column_map(["SĐT", "Họ và tên", "Họ", "Tên"])
    assert (columns.full_name, columns.last_name, columns.first_name) == (None, 2, 3)
    assert columns.extra == ((1, "Họ và tên"),)
    with pytest.raises(ImportFailed, match="either the full name or the first and last names"):
        build_column_map(["SĐT", "Họ và tên", "Tên"], {"full_name": "Họ và tên", "first_name": "Tên"})


async def test_a_full_name_is_stored_as_written_in_the_first_name_and_never_split(
        db_pool: asyncpg.Pool, fr_campaign: Campaign, tmp_path: Path) -> None:
    path = tmp_path / "vn.csv"
    path.write_text("Điện thoại;Họ và tên;Gói\n0612345678;Nguyễn Văn An;gia đình\n0612345679;王小明;cá nhân\n",
                    encoding="utf-8")
    async with db_pool.acquire() as conn:
        lst = await repository.create_list(conn, campaign_id=fr_campaign.id, name="vn", source_filename="vn.csv")
        counts = await jobs.run_import(conn, campaign_id=fr_campaign.id, list_id=lst.id, path=path, now=NOW)
    assert counts["imported"] == 2
    leads = await repository.search_leads(db_pool, campaign_id=fr_campaign.id)
    assert [(x.first_name, x.last_name, dict(x.fields)) for x in leads] == [
        ("Nguyễn Văn An", "", {"Gói": "gia đình"}), ("王小明", "", {"Gói": "cá nhân"})]
