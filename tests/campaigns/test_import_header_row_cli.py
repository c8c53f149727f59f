"""A list imported with the CLI records the header row it was read with, as the API and the web do
(``lists.header_row``: the row number, 0 = none), so ``GET /api/campaigns/{id}/lists/{id}`` shows it (issue 14)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from campaigns import repository
from dialer.cli import main
from dialer.users import Role


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    monkeypatch.setenv("DIALER_REDIS_URL", redis_url)
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIALER_ADMIN_PASSWORD", "admin-password-123")
    return tmp_path / "data"


async def _run(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_the_cli_records_the_header_row_each_list_was_read_with(
        cli_env: Path, tmp_path: Path, db_pool: asyncpg.Pool,
        xlsx_file: Callable[[list[list[object]]], Path], api_client) -> None:  # type: ignore[no-untyped-def]
    assert await _run("campaign", "create", "Rows", "--trunk", "PJSIP/{number}@carrier", "--region", "VN",
                      "--timezone", "Asia/Ho_Chi_Minh") == 0
    titled = xlsx_file([["Khách hàng quý 1"], ["SĐT", "Tên"], ["0912345678", "An"]])
    assert await _run("list", "import", "Rows", str(titled)) == 0                  # proposed: row 2
    named = tmp_path / "named.csv"
    named.write_text("exported 2026-01-05\nnotes\nphone,name\n0912000003,Dung\n", encoding="utf-8")
    assert await _run("list", "import", "Rows", str(named), "--header-row", "3") == 0
    bare = tmp_path / "bare.csv"
    bare.write_text("0912000001,Bình\n0912000002,Chi\n", encoding="utf-8")
    assert await _run("list", "import", "Rows", str(bare), "--no-header", "--map", "phone=#1") == 0
    campaign = await repository.find_campaign(db_pool, ref="Rows")
    lists = {x.source_filename: x for x in await repository.list_lists(db_pool, campaign_id=campaign.id)}
    assert {name: x.header_row for name, x in lists.items()} == {titled.name: 2, "named.csv": 3, "bare.csv": 0}
    async with api_client(Role.TEAM_LEAD) as client:
        shown = [(await client.get(f"/api/campaigns/{campaign.id}/lists/{lists[name].id}")).json()["header_row"]
                 for name in (titled.name, "bare.csv")]
    assert shown == [2, "none"]
