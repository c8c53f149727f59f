"""Simulation runs as the web page asks for them: checked at submit time, overrides applied, outputs written."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from simulations import runs


def _request(**kw: object) -> runs.RunRequest:
    base: dict[str, object] = {"scenario_toml": runs.shipped_toml("agents20_connect30"),
                               "pacers": ("predictive", "progressive")}
    return runs.RunRequest(**{**base, **kw})  # type: ignore[arg-type]


def test_every_shipped_scenario_is_offered_by_its_name_and_builds() -> None:
    offered = dict(runs.shipped())
    assert offered["agents20_connect30"] == "20 agents, 30% connect"
    for stem in offered:
        assert runs.build(_request(scenario_toml=runs.shipped_toml(stem))).duration_s == 8 * 3600


def test_overrides_replace_the_team_the_connect_rate_and_the_talk_time() -> None:
    scen = runs.build(_request(agents=7, connect_pct=18, talk_s=240, seeds=2, hours=1.5))
    assert scen.agents == ((0.0, 7),)
    assert scen.customers.connect_rate == pytest.approx(0.18)
    assert scen.customers.talk.mean_s == 240
    assert scen.seeds == (1, 2) and scen.duration_s == 5400
    assert [p.name for p in scen.pacers] == ["predictive", "progressive"]
    assert scen.name == "20 agents, 30% connect, changed to 7 agents, 18% connect, 240 s talk"


def test_a_connect_override_also_stops_a_scenario_s_decay() -> None:
    decaying = runs.build(_request(scenario_toml=runs.shipped_toml("agents20_decay")))
    assert decaying.customers.connect_rate_end is not None
    flat = runs.build(_request(scenario_toml=runs.shipped_toml("agents20_decay"), connect_pct=20))
    assert flat.customers.connect_rate_end is None


@pytest.mark.parametrize(("change", "message"), [
    ({"pacers": ()}, "at least one pacer"),
    ({"pacers": ("psychic",)}, "unknown pacer 'psychic'"),
    ({"seeds": 9}, "seeds must be between 1 and 5"),
    ({"hours": 0}, "hours must be more than 0"),
    ({"agents": 0}, "agents must be between 1"),
    ({"connect_pct": 140}, "connect rate"),
    ({"talk_s": 1}, "talk time"),
    ({"scenario_toml": "[agents\ncount = 3"}, "not valid TOML"),
    ({"scenario_toml": "[agents]\ncount = -2"}, "does not describe a campaign"),
])
def test_a_bad_request_is_refused_with_the_reason(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        runs.build(_request(**change))


def test_an_unknown_shipped_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        runs.shipped_toml("../../etc/passwd")


def test_the_job_writes_the_plot_and_every_call_and_returns_the_table(tmp_path: Path) -> None:
    result = runs.simulate_job(out_dir=str(tmp_path), request=_request(
        scenario_toml=runs.shipped_toml("agents5_connect30"), seeds=1, hours=0.5))
    assert [r["pacer"] for r in result["rows"]] == ["predictive", "progressive"]
    progressive = result["rows"][1]
    assert progressive["abandon_max"] == 0.0 and 0 < progressive["occupancy"] <= 1
    assert (tmp_path / "day.png").read_bytes().startswith(b"\x89PNG")
    with (tmp_path / "calls.csv").open() as fh:
        calls = list(csv.DictReader(fh))
    assert {c["pacer"] for c in calls} == {"predictive", "progressive"}
    # one seed is one simulated day for each pacer, not a day per pacer and seed added up
    assert result["summary"] == "1 simulated day of 0.5 h for each of 2 pacers: 5 agents, 30% connect"
    assert (result["days"], result["pacers"], result["hours"]) == (1, 2, 0.5)


def test_run_folders_older_than_a_week_are_pruned_and_newer_ones_kept(tmp_path: Path) -> None:
    old, new = tmp_path / "a", tmp_path / "b"
    for folder in (old, new):
        folder.mkdir()
        (folder / "day.png").write_bytes(b"x")
    now = 10_000_000.0
    os.utime(old, (now - 8 * 86_400, now - 8 * 86_400))
    os.utime(new, (now - 86_400, now - 86_400))
    assert runs.prune(tmp_path, now=now) == 1
    assert not old.exists() and new.exists()
    assert runs.prune(tmp_path / "missing", now=now) == 0
