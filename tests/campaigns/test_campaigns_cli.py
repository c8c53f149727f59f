"""``dialer campaign ...`` and ``dialer list import`` against the test database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from dialer.cli import main


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str, tmp_path: Path) -> Path:
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    monkeypatch.setenv("DIALER_REDIS_URL", redis_url)
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIALER_ADMIN_PASSWORD", "admin-password-123")
    return tmp_path / "data"


async def _run(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_campaign_create_list_show_and_list_import(cli_env: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert await _run("campaign", "create", "Relance", "--mode", "predictive", "--trunk", "PJSIP/{number}@carrier",
                      "--region", "FR", "--timezone", "Europe/Paris", "--window", "custom",
                      "--window-hours", "mon-fri=10:00-13:00,14:00-19:00", "--window-max-attempts", "3",
                      "--schedule-hours", "mon-sat=09:00-20:00", "--holidays", "FR", "--end-date", "2026-12-31") == 0
    assert "created campaign 1 'Relance'" in capsys.readouterr().out
    leads = tmp_path / "leads.csv"
    leads.write_text("Tel;Prénom;Ville\n06 12 34 56 78;Zoé;Lyon\n12;Bad;Nice\n", encoding="utf-8-sig")
    assert await _run("list", "import", "Relance", str(leads), "--map", "phone=Tel,first_name=Prénom") == 0
    out = capsys.readouterr().out
    assert "2 rows, 1 leads imported, 1 rejected" in out
    rejects = cli_env / "rejects" / "list-1-rejects.csv"
    assert f"rejects report: {rejects}" in out and rejects.read_text().splitlines()[1].startswith("3,invalid,")
    assert await _run("campaign", "show", "1") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["custom_window"]["hours"]["mon"] == ["10:00-13:00", "14:00-19:00"]
    assert shown["schedule"]["hours"]["sat"] == ["09:00-20:00"] and shown["schedule"]["hours"]["sun"] == []
    assert (shown["schedule"]["holiday_calendar"], shown["schedule"]["end_date"]) == ("FR", "2026-12-31")
    assert shown["leads"] == {"new": 1} and shown["lists"][0]["counts"]["imported"] == 1
    assert await _run("campaign", "list") == 0
    assert "Relance" in capsys.readouterr().out


async def test_bad_settings_and_unknown_campaigns_exit_with_a_message(cli_env: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert await _run("campaign", "create", "X", "--trunk", "PJSIP/oops") == 1
    assert "trunk template" in capsys.readouterr().err
    assert await _run("campaign", "state", "nope", "running") == 1
    assert "no campaign 'nope'" in capsys.readouterr().err
