"""Figures computed from a run's records: abandonment, occupancy, talk time, connects and idle time.

Definitions (all outbound unless stated; times clipped to the scenario's day [0, duration]):
- abandonment = abandoned live answers / live answers (a live answer is a person whose call was offered
  to agents after AMD; 47 CFR 64.1200(a)(7) and 16 CFR 310.4(b)(4) measure it per live answer);
  the worst hour is the highest such rate over the clock hours of the day;
- occupancy = agents' handle time (talk + wrap-up) / agents' logged-in time;
- talk minutes per agent hour = talk seconds / 60 / logged-in hours;
- connects per hour = live answers connected to an agent per hour of the day;
- idle between calls = logged-in time not handling calls, per handled call (seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from simulations.campaign_sim.records import SimResult

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Summary:
    """The headline figures of one run."""

    scenario: str
    pacer: str
    seed: int
    attempts: int
    live_answers: int
    abandons: int
    abandon_rate: float
    worst_hour_rate: float
    occupancy: float
    talk_min_per_agent_hour: float
    connects_per_hour: float
    idle_s_between_calls: float
    amd_hangups: int
    inbound_wait_share: float


def _overlap(starts: FloatArray, ends: FloatArray, lo: float, hi: float) -> float:
    """Total length of the intervals [starts, ends] inside [lo, hi]."""
    return float(np.clip(np.minimum(ends, hi) - np.maximum(starts, lo), 0.0, None).sum())


def _arrays(result: SimResult) -> dict[str, FloatArray]:
    calls = result.calls
    out = np.array([c.direction == "out" for c in calls], dtype=bool)
    live = np.array([c.live_answer for c in calls], dtype=bool) & out
    aband = np.array([c.abandoned for c in calls], dtype=bool) & live
    presented = np.array([c.presented_s if c.presented_s is not None else np.nan for c in calls])
    handled = np.array([c.connected_s is not None for c in calls], dtype=bool)
    conn = np.array([c.connected_s if c.connected_s is not None else np.nan for c in calls])
    talk = np.array([c.talk_s for c in calls])
    ended = np.array([c.ended_s for c in calls])
    return {"out": out, "live": live, "aband": aband, "presented": presented, "handled": handled,
            "conn": conn, "talk": talk, "ended": ended}


def hourly(result: SimResult, bin_s: float = 3600.0) -> dict[str, FloatArray]:
    """Per-bin series: bin starts (s), live answers, abandons, abandonment rate and occupancy."""
    a = _arrays(result)
    edges = np.arange(0.0, result.duration_s + 1e-9, bin_s)
    if edges[-1] < result.duration_s:
        edges = np.append(edges, result.duration_s)
    pres = a["presented"][a["live"]]
    answers = np.histogram(pres, edges)[0].astype(float)
    abandons = np.histogram(a["presented"][a["aband"]], edges)[0].astype(float)
    rate = np.divide(abandons, answers, out=np.zeros_like(answers), where=answers > 0)
    h = a["handled"]
    b_start, b_end = a["conn"][h], a["ended"][h]
    s_start = np.array([s.login_s for s in result.shifts])
    s_end = np.array([s.logout_s for s in result.shifts])
    occ = np.zeros(len(edges) - 1)
    for i in range(len(edges) - 1):
        logged = _overlap(s_start, s_end, edges[i], edges[i + 1])
        occ[i] = _overlap(b_start, b_end, edges[i], edges[i + 1]) / logged if logged > 0 else 0.0
    return {"start_s": edges[:-1], "answers": answers, "abandons": abandons, "abandon_rate": rate,
            "occupancy": occ}


def summarize(result: SimResult) -> Summary:
    """The headline figures of ``result``, computed from its records."""
    a = _arrays(result)
    day = result.duration_s
    live_answers = int(a["live"].sum())
    abandons = int(a["aband"].sum())
    h = a["handled"]
    handle = _overlap(a["conn"][h], a["ended"][h], 0.0, day)
    s_start = np.array([s.login_s for s in result.shifts])
    s_end = np.array([s.logout_s for s in result.shifts])
    logged = _overlap(s_start, s_end, 0.0, day)
    out_h = h & a["out"]
    talk_in_day = a["talk"][out_h & (a["conn"] < day)].sum()
    per_hour = hourly(result)
    worst = float(per_hour["abandon_rate"].max()) if len(per_hour["abandon_rate"]) else 0.0
    handled_calls = int((h & (a["conn"] < day)).sum())
    inbound = [c for c in result.calls if c.direction == "in"]
    in_wait = sum(1 for c in inbound if c.waited_s > 0 or c.abandoned) / len(inbound) if inbound else 0.0
    return Summary(
        scenario=result.scenario,
        pacer=result.pacer,
        seed=result.seed,
        attempts=int(a["out"].sum()),
        live_answers=live_answers,
        abandons=abandons,
        abandon_rate=abandons / live_answers if live_answers else 0.0,
        worst_hour_rate=worst,
        occupancy=handle / logged if logged > 0 else 0.0,
        talk_min_per_agent_hour=float(talk_in_day) / 60.0 / (logged / 3600.0) if logged > 0 else 0.0,
        connects_per_hour=int((out_h & (a["conn"] < day)).sum()) / (day / 3600.0),
        idle_s_between_calls=(logged - handle) / handled_calls if handled_calls else float("inf"),
        amd_hangups=sum(1 for c in result.calls if c.amd_hangup),
        inbound_wait_share=in_wait,
    )
