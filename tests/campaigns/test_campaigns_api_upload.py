"""The JSON API's list upload offers what the web upload and ``dialer list import`` offer: a file that is not a
list is refused at once (422, in the user's language, nothing stored), the header row can be chosen or is
proposed (a title row above the column names is detected and said), columns are mapped by name or by
position (``#N``), and a list has its own region. Real app, PostgreSQL and the real ``dialer worker``."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from dialer import jobs
from dialer.services import Services
from dialer.users import Role
from tests.admin_ui.test_pages_campaigns import run_worker_burst

VIETNAMESE = {"name": "Khuyến mãi Tết", "trunk_template": "PJSIP/{number}@carrier", "default_region": "VN",
              "timezone": "Asia/Ho_Chi_Minh"}


@pytest.fixture
async def team_lead(api_client, services: Services, database_url: str) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    async with api_client(Role.TEAM_LEAD) as client:
        yield client


async def _campaign_url(client: httpx.AsyncClient) -> str:
    created = await client.post("/api/campaigns", json=VIETNAMESE)
    assert created.status_code == 201, created.text
    return f"/api/campaigns/{created.json()['id']}"


async def _upload(client: httpx.AsyncClient, base: str, filename: str, data: bytes, **form: str) -> httpx.Response:
    return await client.post(f"{base}/lists", files={"file": (filename, data, "application/octet-stream")}, data=form)


async def _import(client: httpx.AsyncClient, base: str, filename: str, data: bytes, *, database_url: str,
                  redis_url: str, **form: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Upload, let the real worker run the import job, and return (the upload's answer, the list after)."""
    started = await _upload(client, base, filename, data, **form)
    assert started.status_code == 202, started.text
    await run_worker_burst(database_url, redis_url)
    listed = (await client.get(started.json()["list_url"])).json()
    assert listed["status"] == "ready", listed
    return started.json(), listed


async def _phones(client: httpx.AsyncClient, base: str) -> list[str]:
    return [lead["phone"] for lead in (await client.get(f"{base}/leads")).json()["leads"]]


def _zip_of_notes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "0912345678\n")
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
NOT_LISTS = [
    ("clients.png", PNG, "unreadable_image",
     "clients.png is an image, not a list. Export the list as CSV or Excel (.xlsx).",
     "Tệp clients.png là hình ảnh, không phải danh sách. Hãy xuất danh sách ra tệp CSV hoặc Excel (.xlsx)."),
    ("clients.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "unreadable_pdf",
     "clients.pdf is a PDF document, not a list. Export the list as CSV or Excel (.xlsx).", None),
    ("clients.xlsx", _zip_of_notes(), "unreadable_archive",
     "clients.xlsx is a ZIP archive, not an Excel workbook. Export the list as CSV or Excel (.xlsx).", None),
    ("clients.csv", random.Random(14).randbytes(8192), "unreadable_binary",
     "clients.csv is not a text or Excel file: it holds binary data. Export the list as CSV or Excel (.xlsx).",
     None),
    ("clients.csv", b"", "unreadable_empty", "clients.csv is empty: there is nothing to import.", None),
]


@pytest.mark.parametrize(("filename", "data", "code", "english", "vietnamese"), NOT_LISTS,
                         ids=["png", "pdf", "zip", "random-bytes", "empty"])
async def test_a_file_that_is_not_a_list_is_refused_at_upload_in_the_users_language_and_nothing_is_kept(  # type: ignore[no-untyped-def]
        team_lead, services: Services, filename: str, data: bytes, code: str, english: str,
        vietnamese: str | None) -> None:
    await services.pool.execute("UPDATE users SET language = 'vi' WHERE id = $1", team_lead.user.id)
    base = await _campaign_url(team_lead)
    queued = jobs.queue(services.redis).count
    refused = await _upload(team_lead, base, filename, data, mapping="phone=#1")
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail["code"] == code
    assert detail["messages"]["en"] == english
    assert detail["message"] == detail["messages"]["vi"] != english      # the team lead reads Vietnamese
    if vietnamese:
        assert detail["message"] == vietnamese
    assert (await team_lead.get(f"{base}/lists")).json() == []               # no list,
    assert jobs.queue(services.redis).count == queued                       # no job,
    uploads = services.settings.data_dir / "uploads"
    assert not uploads.exists() or not list(uploads.iterdir())              # and the upload is gone


async def test_an_xlsx_with_a_title_row_is_imported_from_the_proposed_header_row_which_the_answer_names(  # type: ignore[no-untyped-def]
        team_lead, database_url: str, redis_url: str, xlsx_file: Callable[[list[list[object]]], Path]) -> None:
    base = await _campaign_url(team_lead)
    workbook = xlsx_file([["Danh sách khách hàng tháng 1", None, None],
                          ["Số điện thoại", "Họ và tên", "Ghi chú"],
                          [912345678, "Nguyễn Văn An", "vip"],
                          ["0987 654 321", "Trần Thị Bình", None]]).read_bytes()
    started, listed = await _import(team_lead, base, "khach-hang.xlsx", workbook, database_url=database_url,
                                    redis_url=redis_url)             # no header_row, no mapping: all proposed
    assert (started["header_row_used"], started["header_row_proposed"]) == (2, 2)
    assert started["header_row_proposed_because"] == (
        "Row 2 was read as the header row: the rows above it look like a title (send header_row to choose another).")
    assert (started["region"], started["region_from"]) == ("VN", "campaign")
    assert (listed["header_row"], listed["region"], listed["region_from"]) == (2, "VN", "campaign")
    assert (listed["counts"]["rows"], listed["counts"]["imported"]) == (2, 2)
    assert sorted(await _phones(team_lead, base)) == ["+84912345678", "+84987654321"]
    report = list(csv.reader(io.StringIO((await team_lead.get(listed["rejects_url"])).text)))
    assert [row[:2] for row in report[1:]] == [["1", "above_header"]]     # the title is reported, not lost
    assert [lst["header_row"] for lst in (await team_lead.get(f"{base}/lists")).json()] == [2]


async def test_a_file_without_a_header_row_is_read_from_its_first_row_with_the_phone_mapped_by_position(  # type: ignore[no-untyped-def]
        team_lead, database_url: str, redis_url: str) -> None:
    base = await _campaign_url(team_lead)
    # the first row holds no number, so it would be proposed as column names: the team lead says there are none
    data = "Nguyễn Văn An,chưa có số,Hà Nội\nTrần Thị Bình,0912 345 678,Huế\nLê Văn Cường,0987654321,Đà Nẵng\n"
    refused = await _upload(team_lead, base, "khach.csv", data.encode(), header_row="40", mapping="phone=#2")
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("khach.csv: row 40 cannot be the header row")   # its own name
    started, listed = await _import(team_lead, base, "khach.csv", data.encode(), database_url=database_url,
                                    redis_url=redis_url, header_row="none", mapping="phone=#2,full_name=#1")
    assert (started["header_row_used"], started["header_row_proposed"]) == ("none", 1)
    assert started["header_row_proposed_because"] is None                # chosen, not proposed
    assert listed["header_row"] == "none"
    counts = listed["counts"]
    assert (counts["rows"], counts["imported"], counts["invalid"]) == (3, 2, 1)
    assert sorted(await _phones(team_lead, base)) == ["+84912345678", "+84987654321"]
    report = list(csv.reader(io.StringIO((await team_lead.get(listed["rejects_url"])).text)))
    assert [row[:2] for row in report[1:]] == [["1", "invalid"]]          # the first row is a record
    assert report[1][3] == "Nguyễn Văn An,chưa có số,Hà Nội"


async def test_a_french_file_is_read_with_region_fr_in_a_vietnamese_campaign(  # type: ignore[no-untyped-def]
        team_lead, database_url: str, redis_url: str) -> None:
    base = await _campaign_url(team_lead)
    data = "Téléphone;Prénom;Nom\n06 12 34 56 78;Éloïse;Dupré\n+84 912 345 678;An;Nguyen\n".encode("cp1252")
    refused = await _upload(team_lead, base, "clients.csv", data, region="XX")
    assert refused.status_code == 422
    assert refused.json()["detail"]["code"] == "bad_list_region"
    assert refused.json()["detail"]["message"] == "Unknown country code 'XX': use an ISO code such as FR, VN or US."
    assert (await team_lead.get(f"{base}/lists")).json() == []
    started, listed = await _import(team_lead, base, "clients.csv", data, database_url=database_url,
                                    redis_url=redis_url, region="fr")
    assert (started["region"], started["region_from"], started["header_row_used"]) == ("FR", "list", 1)
    assert (listed["region"], listed["region_from"], listed["header_row"]) == ("FR", "list", 1)
    assert listed["counts"]["imported"] == 2
    assert sorted(await _phones(team_lead, base)) == ["+33612345678", "+84912345678"]   # a + number keeps its own
