"""A compliance officer browses a DNC list page by page (its entries, and its registry file through a
memory map), searches a number in any format, and exports the list as a safe CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np

from dialer.users import Role
from dnc import repository
from dnc.imports import import_file
from dnc.lists import ListKind

PASSWORD = "correct horse battery"


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    form = (await client.get("/login")).text  # the login form carries its CSRF token
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                      "csrf_token": token})


def numbers_in(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"')[1].split("</table>")[0]
    return [cell.split("<")[0] for cell in body.split("<td>+")[1:]]


async def test_the_entries_are_paged_in_number_order_and_a_search_opens_the_page_of_the_number(
        browser_client, make_user, services) -> None:
    now = services.clock.now()
    numbers = [f"+336123{i:05d}" for i in range(250)]
    async with services.pool.acquire() as conn:
        await repository.ensure_list(conn, name="internal", kind=ListKind.INTERNAL, actor="t", now=now)
        await repository.bulk_add(conn, list_id=(await repository.get_list(conn, name="internal")).id,
                                  numbers=numbers[::-1], actor="olga", reason="asked", now=now)
    officer = await make_user(Role.COMPLIANCE, "chi")
    await sign_in(browser_client, officer.username)
    home = await browser_client.get("/dnc")
    assert 'href="/dnc/lists/internal"' in home.text
    first = await browser_client.get("/dnc/lists/internal")
    assert first.status_code == 200
    assert ["+" + n for n in numbers_in(first.text, "dnc-list-entries")] == numbers[:100]
    assert "250 entries added one by one" in first.text and 'id="dnc-entries-prev"' not in first.text
    second = await browser_client.get(first.text.split('id="dnc-entries-next" href="')[1].split('"')[0]
                                      .replace("&amp;", "&"))
    assert ["+" + n for n in numbers_in(second.text, "dnc-list-entries")] == numbers[100:200]
    back = await browser_client.get(second.text.split('id="dnc-entries-prev" href="')[1].split('"')[0])
    assert ["+" + n for n in numbers_in(back.text, "dnc-list-entries")] == numbers[:100]
    found = await browser_client.get("/dnc/lists/internal", params={"q": "06 12 30 01 42", "region": "FR"})
    assert "+33612300142 is on this list." in found.text
    assert numbers_in(found.text, "dnc-list-entries")[0] == "33612300142"
    missing = await browser_client.get("/dnc/lists/internal", params={"q": "+33699999999"})
    assert "+33699999999 is not on this list." in missing.text
    bad = await browser_client.get("/dnc/lists/internal", params={"q": "12", "region": "FR"})
    assert bad.status_code == 400 and "too short" in bad.text


async def test_the_registry_file_is_paged_and_searched_through_the_memory_map(
        browser_client, make_user, services, tmp_path: Path) -> None:
    keys = np.sort(84900000000 + np.random.default_rng(4).choice(90_000_000, 1000, replace=False))
    source = tmp_path / "vn.txt"
    source.write_text("".join(f"+{k}\n" for k in keys.tolist()))
    async with services.pool.acquire() as conn:
        await import_file(conn, source=source, list_name="vn-dnc", kind=ListKind.NATIONAL, actor="olga",
                          now=services.clock.now(), data_dir=tmp_path / "data")
    officer = await make_user(Role.COMPLIANCE)
    await sign_in(browser_client, officer.username)
    page = await browser_client.get("/dnc/lists/vn-dnc")
    assert "Numbers 1 to 100 of 1000, in numeric order." in page.text
    assert numbers_in(page.text, "dnc-registry") == [str(k) for k in keys[:100].tolist()]
    last = await browser_client.get("/dnc/lists/vn-dnc?at=900")
    assert numbers_in(last.text, "dnc-registry") == [str(k) for k in keys[900:].tolist()]
    assert 'id="dnc-registry-next"' not in last.text and 'id="dnc-registry-prev"' in last.text
    wanted = int(keys[537])
    local = f"0{str(wanted)[2:]}"  # the same number as written in Viet Nam
    found = await browser_client.get("/dnc/lists/vn-dnc", params={"q": local, "region": "VN"})
    assert f"+{wanted} is on this list." in found.text
    assert numbers_in(found.text, "dnc-registry")[0] == str(wanted)
    assert "Numbers 538 to 637 of 1000" in found.text


async def test_the_export_holds_entries_and_registry_numbers_with_formula_like_cells_quoted(
        browser_client, make_user, services, tmp_path: Path) -> None:
    source = tmp_path / "reg.txt"
    source.write_text("+33612345678\n+33612345679\n")
    now = services.clock.now()
    async with services.pool.acquire() as conn:
        await import_file(conn, source=source, list_name="bloctel", kind=ListKind.NATIONAL, actor="olga",
                          now=now, data_dir=tmp_path / "data")
        await repository.add_entry(conn, list_name="bloctel", number="+33699999999", actor="@olga",
                                   reason='=HYPERLINK("http://evil.example","x")', now=now,
                                   expires_at=now + timedelta(days=30))
    officer = await make_user(Role.COMPLIANCE)
    await sign_in(browser_client, officer.username)
    export = await browser_client.get("/dnc/lists/bloctel/export.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert 'filename="dnc-bloctel.csv"' in export.headers["content-disposition"]
    assert export.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0] == ["number", "added_by", "added_at", "reason", "expires_at"]
    assert rows[1][:2] == ["'+33699999999", "'@olga"] and rows[1][3] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert [r[0] for r in rows[2:]] == ["'+33612345678", "'+33612345679"]
    assert all(r[1] == "olga" and r[3] == "registry file" for r in rows[2:])


async def test_only_compliance_officers_browse_and_an_unknown_list_is_a_404(
        browser_client, make_user) -> None:
    agent = await make_user(Role.AGENT)
    await sign_in(browser_client, agent.username)
    assert (await browser_client.get("/dnc/lists/internal")).status_code == 403
    assert (await browser_client.get("/dnc/lists/internal/export.csv")).status_code == 403
    await browser_client.post("/logout")
    officer = await make_user(Role.COMPLIANCE, "vy")
    await sign_in(browser_client, officer.username)
    missing = await browser_client.get("/dnc/lists/nope")
    assert missing.status_code == 404 and "nope" in missing.text
