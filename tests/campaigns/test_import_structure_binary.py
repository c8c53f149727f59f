"""A file that is not a list (an image, a PDF, a ZIP that is no workbook, random bytes, an empty file) is
refused up front, naming what it is, in English and Vietnamese: by the reader, the command line and the
web upload (before the mapping page)."""

from __future__ import annotations

import asyncio
import io
import random
import zipfile
from pathlib import Path

import pytest

from campaigns.readers import UnreadableFile, check_readable, open_table
from dialer.cli import main
from dialer.users import Role
from tests.admin_ui.test_pages_campaigns import campaign_form, sign_in


def _zip_of_text() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("leads.csv", "phone\n0612345678\n")
    return out.getvalue()


NOT_LISTS = {
    "picture.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "image"),
    "scan.csv": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "pdf"),
    "leads.xlsx": (_zip_of_text(), "archive"),
    "noise.csv": (random.Random(7).randbytes(4096), "binary"),
    "blank.csv": (b"\xef\xbb\xbf \r\n\r\n", "empty"),
}


@pytest.mark.parametrize("name", sorted(NOT_LISTS))
def test_a_file_that_is_not_a_list_is_named_for_what_it_is(tmp_path: Path, name: str) -> None:
    content, code = NOT_LISTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as refused:
        open_table(path)
    assert refused.value.code == code and name in str(refused.value)


def test_text_with_accents_a_stray_nul_and_other_encodings_is_still_a_list(tmp_path: Path) -> None:
    for i, content in enumerate([b"phone,name\n06123\x0045678,Ana\n", "Tél;Prénom\n0612;Zoé\n".encode("cp1252"),
                                 "phone\tname\n0612\tZoé\n".encode("utf-16"), "SĐT,Tên\n0912,Ân\n".encode()]):
        path = tmp_path / f"ok{i}.csv"
        path.write_bytes(content)
        check_readable(path)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    monkeypatch.setenv("DIALER_REDIS_URL", redis_url)
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIALER_ADMIN_PASSWORD", "admin-password-123")
    return tmp_path / "data"


async def test_the_command_line_refuses_each_in_english_and_vietnamese_and_creates_no_list(
        cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await asyncio.to_thread(main, ["campaign", "create", "Files", "--trunk", "PJSIP/{number}@carrier"]) == 0
    expected = {"image": ("is an image, not a list", "là hình ảnh"), "pdf": ("is a PDF document", "là tài liệu PDF"),
                "archive": ("is a ZIP archive, not an Excel workbook", "là tệp nén ZIP"),
                "binary": ("is not a text or Excel file: it holds binary data", "dữ liệu nhị phân"),
                "empty": ("is empty", "trống")}
    for name, (content, code) in sorted(NOT_LISTS.items()):
        path = tmp_path / name
        path.write_bytes(content)
        capsys.readouterr()
        assert await asyncio.to_thread(main, ["list", "import", "Files", str(path)]) == 1
        err = capsys.readouterr().err
        english, vietnamese = expected[code]
        assert f"{name} {english}" in err and vietnamese in err and "Traceback" not in err
    assert await asyncio.to_thread(main, ["campaign", "show", "Files"]) == 0
    assert '"lists": []' in capsys.readouterr().out


async def test_the_web_upload_refuses_each_before_the_mapping_page(browser_client, make_user, services) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    created = await browser_client.post("/campaigns/new", data=campaign_form(csrf, name="Uploads"))
    campaign_id = int(created.headers["location"].split("/")[2].split("?")[0])
    for name, (content, code) in sorted(NOT_LISTS.items()):
        page = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                         files={"file": (name, content, "application/octet-stream")})
        assert page.status_code == 400, name
        assert 'id="mapping-form"' not in page.text and "Traceback" not in page.text
        if code == "image":
            assert f"{name} is an image, not a list. Export the list as CSV or Excel (.xlsx)." in page.text
        if code == "archive":
            assert f"{name} is a ZIP archive, not an Excel workbook." in page.text
    uploads = services.settings.data_dir / "uploads"
    assert not list(uploads.glob("list-*")), "refused files are not kept"
    await browser_client.post("/me/language", data={"csrf_token": csrf, "language": "vi"})
    page = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                     files={"file": ("scan.csv", NOT_LISTS["scan.csv"][0], "text/csv")})
    assert page.status_code == 400
    assert "Tệp scan.csv là tài liệu PDF, không phải danh sách." in page.text
