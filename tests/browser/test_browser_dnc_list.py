"""A compliance officer (reading Vietnamese) opens a do-not-call list in Debian's chromium, pages through its
registry file, finds a number typed the local way, and downloads the list as a CSV with no formula in it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from dialer.users import Role
from dnc import repository
from dnc.imports import import_file
from dnc.lists import ListKind

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


async def test_an_officer_browses_searches_and_exports_a_national_list(new_page, ui, make_user, services,
                                                                       tmp_path: Path) -> None:
    keys = np.sort(84900000000 + np.random.default_rng(9).choice(90_000_000, 350, replace=False))
    source = tmp_path / "vn.txt"
    source.write_text("".join(f"+{k}\n" for k in keys.tolist()))
    now = services.clock.now()
    async with services.pool.acquire() as conn:
        await import_file(conn, source=source, list_name="quoc-gia", kind=ListKind.NATIONAL, actor="olga",
                          now=now, data_dir=tmp_path / "data")
        await repository.add_entry(conn, list_name="quoc-gia", number="+84987654321", actor="olga",
                                   reason='=HYPERLINK("http://evil.example","xem")', now=now)
    await make_user(Role.COMPLIANCE, "vy", language="vi")
    page = await new_page(lang="vi")
    await ui.sign_in(page, "vy", PASSWORD)
    await page.goto("/dnc")
    async with page.expect_navigation():
        await page.click("#dnc-lists a[href='/dnc/lists/quoc-gia']")
    assert "Số thứ 1 đến 100 trên tổng số 350" in await page.locator("body").inner_text()
    assert await page.locator("#dnc-registry tbody tr").count() == 100
    async with page.expect_navigation():
        await page.click("#dnc-registry-next")
    assert (await page.locator("#dnc-registry tbody tr td").nth(1).inner_text()) == f"+{keys[100]}"
    wanted = int(keys[222])
    await page.fill("#dnc-list-search input[name=q]", "0" + str(wanted)[2:5] + " " + str(wanted)[5:])
    await page.fill("#dnc-list-search input[name=region]", "VN")
    async with page.expect_navigation():
        await page.click("#dnc-list-search button[type=submit]")
    assert f"+{wanted} có trong danh sách này." in await page.locator("#dnc-found").inner_text()
    assert (await page.locator("#dnc-registry tr.hit td").nth(1).inner_text()) == f"+{wanted}"
    assert "=HYPERLINK" in await page.locator("#dnc-list-entries").inner_text()
    await ui.shot(page, "dnc-list-vi")
    async with page.expect_download() as download_info:
        await page.click("#dnc-export")
    saved = tmp_path / "dnc.csv"
    await (await download_info.value).save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows[1][0] == "'+84987654321" and rows[1][3].startswith("'=HYPERLINK")
    assert [r[0] for r in rows[2:]] == [f"'+{k}" for k in keys.tolist()]
    assert page.errors == []


async def test_an_import_shows_the_lines_that_are_not_numbers_with_their_line_numbers(
        new_page, ui, make_user, worker, tmp_path: Path) -> None:
    source = tmp_path / "registry.txt"
    source.write_text("+84987654321\n+84987654322\nnot a number\n\n+8498765432x\n+84987654323\n")
    await make_user(Role.COMPLIANCE, "olga")
    page = await new_page()
    await ui.sign_in(page, "olga", PASSWORD)
    await page.goto("/dnc/import")
    await page.set_input_files("#dnc-import input[name=file]", str(source))
    await page.fill("#dnc-import input[name=list_name]", "vn-registry")
    async with page.expect_navigation():
        await page.click("#dnc-import button[type=submit]")
    await page.wait_for_selector("#dnc-import-invalid:not([hidden])", timeout=60_000)
    assert "imported 3 numbers into vn-registry (National registry) from 5 lines, 2 invalid" in \
        await page.locator(".job-result").inner_text()
    assert await page.locator("#dnc-import-invalid li").all_inner_texts() == [
        "line 3: 'not a number': not a phone number",
        "line 5: '+8498765432x': no such number range in its country"]
    await ui.shot(page, "dnc-import-invalid-lines")
    assert page.errors == []
