"""Campaign scenarios: who works when, who is called, how the trunk and AMD behave; loaded from TOML.

A scenario file (see ``simulations/scenarios/``) holds a ``[campaign]`` table (name, hours, seeds, trunk,
AMD, grace), an ``[agents]`` table (``count``, or ``schedule = [[t_s, count], ...]``, or ``ramp = {from,
to, over_s}``), a ``[customers]`` table of ``simulations.call_model.CustomerModel`` parameters (times as
``*_mean_s`` / ``*_cv``), an optional ``[inbound]`` table and a ``[pacers]`` table naming the pacers
to compare with their options.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialer.calls import SAFE_HARBOR_S
from simulations.call_model import CustomerModel, LogNormal


@dataclass(frozen=True, slots=True)
class Inbound:
    """Poisson inbound calls served by the same agents with priority: exponential handle and patience."""

    calls_per_hour: float = 0.0
    handle_mean_s: float = 180.0
    patience_mean_s: float = math.inf     # inf: callers wait as long as it takes (Erlang C)


@dataclass(frozen=True, slots=True)
class PacerSpec:
    """A pacer to run: its registry name, a label for tables, and keyword options."""

    name: str
    label: str
    options: tuple[tuple[str, Any], ...] = ()

    def kwargs(self) -> dict[str, Any]:
        return dict(self.options)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One campaign to simulate. ``agents`` is a step schedule of (seconds from start, agents logged in)."""

    name: str
    duration_s: float = 8 * 3600.0
    agents: tuple[tuple[float, int], ...] = ((0.0, 20),)
    customers: CustomerModel = field(default_factory=CustomerModel)
    inbound: Inbound = field(default_factory=Inbound)
    trunk_lines: int | None = None
    amd: bool = False
    grace_s: float = SAFE_HARBOR_S     # the engine's safe-harbor deadline (2 s less the Redirect's margin)
    decide_every_s: float = 1.0
    seeds: tuple[int, ...] = (1, 2, 3)
    pacers: tuple[PacerSpec, ...] = (
        PacerSpec("predictive", "predictive"),
        PacerSpec("progressive", "progressive"),
        PacerSpec("vicidial", "vicidial"),
    )

    def __post_init__(self) -> None:
        if self.duration_s <= 0 or not self.agents or self.decide_every_s <= 0:
            raise ValueError("a scenario needs a positive duration, an agent schedule and decide_every_s > 0")
        if any(c < 0 for _, c in self.agents):
            raise ValueError("agent counts must be >= 0")

    def agents_at(self, t_s: float) -> int:
        """Agents scheduled to be logged in at ``t_s``."""
        count = 0
        for start, c in self.agents:
            if start <= t_s:
                count = c
        return count


def ramp_schedule(start: int, end: int, over_s: float, at_s: float = 0.0) -> tuple[tuple[float, int], ...]:
    """A schedule that moves linearly from ``start`` to ``end`` agents over ``over_s`` seconds, one step each."""
    steps = abs(end - start)
    if steps == 0 or over_s <= 0:
        return ((at_s, end),)
    sign = 1 if end > start else -1
    return ((at_s, start),) + tuple((at_s + over_s * k / steps, start + sign * k) for k in range(1, steps + 1))


def _lognormal(table: dict[str, Any], key: str, default: LogNormal) -> LogNormal:
    return LogNormal(float(table.get(f"{key}_mean_s", default.mean_s)), float(table.get(f"{key}_cv", default.cv)))


def customers_from_table(table: dict[str, Any]) -> CustomerModel:
    """A ``CustomerModel`` from a ``[customers]`` table; missing keys keep the model's defaults."""
    base = CustomerModel()
    plain = {k: table[k] for k in (
        "connect_rate", "connect_rate_end", "decay_s", "machine_rate", "busy_rate", "congestion_rate",
        "invalid_rate", "no_answer_s", "amd_human_s", "amd_machine_s", "amd_false_machine",
        "amd_false_human", "amd_notsure") if k in table}
    lognormals = {k: _lognormal(table, k, getattr(base, k)) for k in (
        "ring", "fail_ring", "patience", "talk", "wrap", "machine_greeting")}
    return CustomerModel(**plain, **lognormals)


def _agents_from_table(table: dict[str, Any]) -> tuple[tuple[float, int], ...]:
    if "schedule" in table:
        return tuple((float(t), int(c)) for t, c in table["schedule"])
    if "ramp" in table:
        r = table["ramp"]
        return ramp_schedule(int(r["from"]), int(r["to"]), float(r["over_s"]), float(r.get("at_s", 0.0)))
    return ((0.0, int(table.get("count", 20))),)


def _pacers_from_table(table: dict[str, Any]) -> tuple[PacerSpec, ...]:
    specs = []
    for item in table.get("run", []):
        item = dict(item)
        name = item.pop("name")
        label = item.pop("label", name)
        specs.append(PacerSpec(name, label, tuple(sorted(item.items()))))
    return tuple(specs)


def scenario_from_dict(data: dict[str, Any], *, default_name: str = "scenario") -> Scenario:
    """Build a ``Scenario`` from parsed TOML."""
    camp = data.get("campaign", {})
    inbound = data.get("inbound", {})
    kwargs: dict[str, Any] = {
        "name": str(camp.get("name", default_name)),
        "duration_s": float(camp.get("hours", 8.0)) * 3600.0,
        "agents": _agents_from_table(data.get("agents", {})),
        "customers": customers_from_table(data.get("customers", {})),
        "inbound": Inbound(
            float(inbound.get("calls_per_hour", 0.0)),
            float(inbound.get("handle_mean_s", 180.0)),
            float(inbound.get("patience_mean_s", math.inf)),
        ),
        "trunk_lines": camp.get("trunk_lines"),
        "amd": bool(camp.get("amd", False)),
        "grace_s": float(camp.get("grace_s", SAFE_HARBOR_S)),
        "decide_every_s": float(camp.get("decide_every_s", 1.0)),
    }
    if "seeds" in camp:
        kwargs["seeds"] = tuple(int(s) for s in camp["seeds"])
    pacers = _pacers_from_table(data.get("pacers", {}))
    if pacers:
        kwargs["pacers"] = pacers
    return Scenario(**kwargs)


def load_scenario(path: str | Path) -> Scenario:
    """Read one scenario TOML file."""
    p = Path(path)
    with p.open("rb") as fh:
        return scenario_from_dict(tomllib.load(fh), default_name=p.stem)
