"""``dialer simulate``: table on stdout, one PNG per scenario and a CSV of every call."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dialer.cli import main
from simulations.campaign_sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "simulations" / "scenarios"


def test_every_shipped_scenario_loads() -> None:
    files = sorted(SCENARIOS.glob("*.toml"))
    assert len(files) >= 9
    for f in files:
        scen = load_scenario(f)
        assert scen.duration_s > 0 and scen.pacers


def test_simulate_prints_a_table_and_writes_plots_and_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", str(SCENARIOS / "agents5_connect30.toml"), str(SCENARIOS / "team_ramp.toml"),
                 "--pacers", "predictive,vicidial", "--seeds", "1", "--hours", "0.25", "--out", str(tmp_path),
                 "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "predictive" in out and "vicidial" in out and "occup" in out
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(pngs) == 2 and all((tmp_path / p).stat().st_size > 1000 for p in pngs)
    with (tmp_path / "calls.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {r["pacer"] for r in rows} == {"predictive", "vicidial"}


def test_simulate_reports_a_missing_scenario_as_a_settings_error(tmp_path: Path) -> None:
    assert main(["simulate", str(tmp_path / "nope.toml"), "--out", str(tmp_path)]) == 2
