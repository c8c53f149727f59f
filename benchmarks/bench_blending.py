"""Blending figures: a team that answers inbound callers and makes outbound calls, paced by the blending pacer
and by the usual alternatives, on 8-hour days of the blended simulator (``simulations.blend_sim``).

Run: ``.venv/bin/python benchmarks/bench_blending.py [--seeds 3] [--first-seed 1] [--hours 8] [--workers 2]``.
Each policy runs every scenario on seeds first..first+N-1 (1..3 by default: one day's figures move 5-10 % with
the seed) and the verdict reads the figures averaged over the seeds, each target met on every seed (the worst hour
over all). ``--first-seed 4`` checks the verdict on other days.

Scenarios: flat and peaky inbound load (mean 40 % of the team's time; peaky hours from 0.5x to 1.6x the
mean), 10, 20 and 50 agents, low (12 %) and high (35 %) live-connect rates. Targets: inbound service
level 90 % answered within 15 s over the day by the README's rule (answered within 15 s / (answered + hung
up after 15 s); a caller who hangs up sooner is not counted), no hour more than 10 points under it; outbound abandonment <= 3 % of live answers over the day and <= 5 % in
every hour. Policies:
- ``blend``: ``make_pacer("predictive", target_abandon=0.03, service_level=(0.90, 15.0))``, reading
  ``inbound_waiting`` and the inbound events (the pacer keeps its own reserve, ``pacing.blending``);
- ``split@mean`` / ``split@peak``: a static split, Erlang C agents for the target at the mean (peak)
  inbound rate answer inbound only, the others make outbound calls only (predictive pacer);
- ``prog c``: progressive dialling that leaves c ready agents idle (c = 0..4);
- ``pred c``: the predictive pacer with the same fixed reserve of c ready agents;
- ``vici rule``: the predictive pacer, but no dialling while any inbound caller waits (VICIdial).
Plain pacers see waiting inbound callers as calls waiting for an agent. Every policy uses the same
router (``simulations.blend_sim.route``). Pass, the issue's words read as one policy against another: the blend
meets both targets in every scenario (on every seed); the best baseline policy that also meets them (in every
scenario, on every seed; the one with the most outbound talk on average) is beaten by at least 5 % of outbound
talk minutes per agent hour on average over the scenarios, and in no scenario is the blend below it. A baseline
is one policy run everywhere, as a centre would run it: its fixed reserve, or its split sized by the same Erlang
C rule. The benchmark also holds the blend to a stricter test and prints it: against the best baseline of each
scenario alone (a choice only hindsight can make), the blend's talk minus that baseline's, seed by seed, must
not be below zero by more than two standard errors. Each row also shows outbound talk as a share of the physical
limit: all agent time not spent on inbound calls spent on outbound calls (their talk share).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pacing import make_pacer  # noqa: E402
from pacing.erlang import agents_for_service_level  # noqa: E402
from simulations.blend_sim import BlendScenario, DayResult, InboundLoad, Policy, simulate_day  # noqa: E402
from simulations.call_model import CustomerModel  # noqa: E402

TARGET, ANSWER_S = 0.90, 15.0
HOUR_SLACK = 0.10
ABANDON_DAY, ABANDON_HOUR = 0.03, 0.05
PEAKY = (0.5, 1.0, 1.6, 1.3, 0.7, 1.0, 1.4, 0.5)
INBOUND = InboundLoad()
LOAD_SHARE = 0.40
RESERVES = (0, 1, 2, 3, 4)           # progressive reserves
FORECAST_DAYS = 4                  # the blend is told the staffing forecast of 4 earlier days (same weekday)
PRED_RESERVES = (0, 1, 2, 3)       # predictive reserves (c = 4 never won: each costs a day of decide() calls)


def scenarios(hours: float) -> list[BlendScenario]:
    out = []
    for agents, connect, shape in ((10, 0.12, "flat"), (10, 0.35, "peaky"), (20, 0.35, "flat"),
                                   (20, 0.12, "peaky"), (50, 0.12, "flat"), (50, 0.35, "peaky")):
        per_hour = LOAD_SHARE * agents / INBOUND.handle_mean_s * 3600.0
        profile = tuple(per_hour * m for m in PEAKY) if shape == "peaky" else (per_hour,)
        load = InboundLoad(profile, INBOUND.talk, INBOUND.wrap, INBOUND.patience_mean_s)
        customers = CustomerModel(connect_rate=connect, machine_rate=0.0)
        out.append(BlendScenario(f"{shape} {agents} agents {connect:.0%} connect", agents, customers, load,
                                 hours=hours, service_level=(TARGET, ANSWER_S)))
    return out


def _split(scen: BlendScenario, per_hour: float) -> int:
    h = scen.inbound.handle_mean_s
    return agents_for_service_level(per_hour / 3600.0 * h, h, ANSWER_S, TARGET)


def _predictive() -> object:
    return make_pacer("predictive", target_abandon=ABANDON_DAY)


def _blend() -> object:
    return make_pacer("predictive", target_abandon=ABANDON_DAY, service_level=(TARGET, ANSWER_S))


def _progressive() -> object:
    return make_pacer("progressive")


def policies(scen: BlendScenario) -> list[Policy]:
    rates = scen.inbound.calls_per_hour
    mean = sum(rates) / len(rates)
    pols = [Policy("blend", _blend, blended_snapshot=True, forecast_days=FORECAST_DAYS)]
    pols.append(Policy(f"split@mean ({_split(scen, mean)} in)", _predictive, inbound_only=_split(scen, mean)))
    if max(rates) > mean:
        pols.append(Policy(f"split@peak ({_split(scen, max(rates))} in)", _predictive,
                           inbound_only=_split(scen, max(rates))))
    pols += [Policy(f"prog c={c}", _progressive, reserve=c) for c in RESERVES]
    pols += [Policy(f"pred c={c}", _predictive, reserve=c) for c in PRED_RESERVES]
    pols.append(Policy("vici rule", _predictive, hold_while_inbound_waits=True))
    return pols


def _run(args: tuple[int, int, int, float]) -> tuple[DayResult, float]:
    s_idx, p_idx, seed, hours = args
    scen = scenarios(hours)[s_idx]
    t0 = time.perf_counter()
    res = simulate_day(scen, policies(scen)[p_idx], seed)
    return res, time.perf_counter() - t0


def faults(r: DayResult) -> list[str]:
    return r.faults(service_level=TARGET, hour_slack=HOUR_SLACK, abandon_day=ABANDON_DAY,
                    abandon_hour=ABANDON_HOUR)


def meets(r: DayResult) -> bool:
    return not faults(r)


class Row:
    """A policy's figures in one scenario, averaged over seeds; the worst hour over all of them."""

    def __init__(self, days: list[DayResult]) -> None:
        self.label = days[0].policy
        self.days = days
        n = len(days)
        self.sl = sum(d.service_level for d in days) / n
        self.worst_sl = min(d.worst_hour_sl for d in days)
        self.abandon = sum(d.abandons for d in days) / max(1, sum(d.live_answers for d in days))
        self.worst_ab = max(d.worst_hour_abandon for d in days)
        self.talk = sum(d.talk_min_per_agent_hour for d in days) / n
        self.limit = sum(d.limit_min_per_agent_hour for d in days) / n
        self.ok = all(meets(d) for d in days)


def paired(blend: Row, best: Row) -> tuple[float, float, str]:
    """The blend's talk minus the best baseline's, seed by seed (both days meet the same callers): the mean, its
    standard error (nan with one seed) and the line that shows them, to read a verdict against the noise of a few
    days."""
    theirs = {d.seed: d.talk_min_per_agent_hour for d in best.days}
    diffs = [d.talk_min_per_agent_hour - theirs[d.seed] for d in sorted(blend.days, key=lambda d: d.seed)
             if d.seed in theirs]
    if not diffs:
        return math.nan, math.nan, "no common seeds"
    mean = sum(diffs) / len(diffs)
    se = (math.sqrt(sum((x - mean) ** 2 for x in diffs) / (len(diffs) - 1) / len(diffs))
          if len(diffs) > 1 else math.nan)
    return mean, se, (f"blend - {best.label} by seed: {', '.join(f'{x:+.2f}' for x in diffs)} min "
                      f"(mean {mean:+.2f}, standard error {se:.2f})")


def below_beyond_noise(mean: float, se: float) -> bool:
    """The blend is below a baseline beyond noise: its paired mean is under zero by more than two standard
    errors (by any amount when one seed gives no error)."""
    return mean < 0 and (math.isnan(se) or mean < -2.0 * se)


def policy_of(label: str) -> str:
    """A baseline's policy without the size one scenario gives it: ``split@mean (13 in)`` -> ``split@mean``."""
    return label.split(" (")[0]


def by_policy(tables: list[dict[str, Row]]) -> dict[str, list[Row]]:
    """Each baseline policy's row in every scenario, in scenario order. A split at the peak rate in a flat
    scenario is the split at the mean (the peak is the mean), so the two policies are run in every scenario."""
    out: dict[str, list[Row]] = {}
    for table in tables:
        rows = {policy_of(label): row for label, row in table.items() if label != "blend"}
        if "split@mean" in rows:
            rows.setdefault("split@peak", rows["split@mean"])
        for name, row in rows.items():
            out.setdefault(name, []).append(row)
    return {name: rows for name, rows in out.items() if len(rows) == len(tables)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=1, help="other days than 1..N, to check a verdict holds")
    ap.add_argument("--hours", type=float, default=8.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    scens = scenarios(args.hours)
    jobs = [(s, p, seed, args.hours) for s, scen in enumerate(scens) for p in range(len(policies(scen)))
            for seed in range(args.first_seed, args.first_seed + args.seeds)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(_run, jobs))
    wall = time.perf_counter() - t0
    blend_wall = max(w for (res, w) in results if res.policy == "blend")
    print(f"{len(jobs)} simulated days of {args.hours:g} h in {wall:.0f} s on {args.workers} workers "
          f"(slowest blend day {blend_wall:.0f} s)\n")
    tables: list[dict[str, Row]] = []
    for scen in scens:
        by_label: dict[str, list[DayResult]] = {}
        for res, _ in results:
            if res.scenario == scen.name:
                by_label.setdefault(res.policy, []).append(res)
        table = {label: Row(days) for label, days in by_label.items()}
        tables.append(table)
        print(f"{scen.name}: inbound {', '.join(f'{r:.0f}' for r in scen.inbound.calls_per_hour)} calls/h, "
              f"handle {scen.inbound.handle_mean_s:.0f} s, patience {scen.inbound.patience_mean_s:.0f} s")
        print(f"  {'policy':22s} {'SL day':>7s} {'worst h':>7s} {'ab day':>7s} {'worst h':>7s} "
              f"{'talk/agent-h':>12s} {'of limit':>8s}  targets")
        for row in table.values():
            print(f"  {row.label:22s} {row.sl:7.1%} {row.worst_sl:7.1%} {row.abandon:7.2%} {row.worst_ab:7.2%} "
                  f"{row.talk:9.2f} min {row.talk / max(row.limit, 1e-9):8.1%}  {'met' if row.ok else 'missed'}")
        blend = table["blend"]
        missed = [f"seed {d.seed}: {', '.join(found)}" for d in sorted(blend.days, key=lambda d: d.seed)
                  if (found := faults(d))]
        print(f"  blend days meeting both targets: {len(blend.days) - len(missed)} of {len(blend.days)}"
              + (f" ({'; '.join(missed)})" if missed else ""))
        print(f"  blend: {blend.talk:.2f} min of outbound talk per agent hour, {blend.talk / blend.limit:.1%} of the "
              f"physical limit {blend.limit:.2f}")
        alone = best_alone(table)
        if alone is not None:
            best, gain, sunk, line = alone
            word = "above" if gain >= 0 else ("BELOW beyond noise" if sunk else "below within noise")
            print(f"  best baseline of this scenario alone: {best.label} {best.talk:.2f} min; the blend is {word} "
                  f"({100 * gain:+.1f} %); {line}")
        print()
    return verdict(tables)


def best_alone(table: dict[str, Row]) -> tuple[Row, float, bool, str] | None:
    """The best baseline of one scenario alone that meets both targets (None when none does), the blend's gain
    over it, whether the blend is below it beyond noise, and the seed-by-seed line."""
    safe = [r for label, r in table.items() if label != "blend" and r.ok]
    if not safe:
        return None
    best = max(safe, key=lambda r: r.talk)
    mean, se, line = paired(table["blend"], best)
    return best, table["blend"].talk / best.talk - 1.0, below_beyond_noise(mean, se), line


def verdict(tables: list[dict[str, Row]]) -> int:
    """The issue's pass: the blend meets both targets in every scenario, and against the best baseline policy that
    also meets them in every scenario its talk is at least 5 % above on average and below in none. Also: against
    the best baseline of each scenario alone (a choice made after seeing the days) it is below beyond noise in none.
    Prints the reasons; 0 on a pass, 1 otherwise."""
    names = [t["blend"].days[0].scenario for t in tables]
    oracle = [(n, a[1], a[1] >= 0, a[2]) for n, t in zip(names, tables, strict=True)
              if (a := best_alone(t)) is not None]
    blends = [t["blend"] for t in tables]
    blend_ok = all(b.ok for b in blends)
    print(f"the blend meets both targets in {sum(b.ok for b in blends)} of {len(blends)} scenarios on every day")
    policies_ = by_policy(tables)
    everywhere = {name: rows for name, rows in policies_.items() if all(r.ok for r in rows)}
    for name, rows in sorted(policies_.items()):
        missing = [n for n, r in zip(names, rows, strict=True) if not r.ok]
        if missing:
            print(f"  {name} misses a target in {len(missing)} of {len(rows)}: {', '.join(missing)}")
    if not everywhere:
        print("no baseline policy meets both targets in every scenario")
        policy_ok = blend_ok
    else:
        name, rows = max(everywhere.items(), key=lambda kv: sum(r.talk for r in kv[1]))
        print(f"baselines meeting both targets in every scenario: {', '.join(sorted(everywhere))}; the best: {name} "
              f"({sum(r.talk for r in rows) / len(rows):.2f} min on average)")
        gains = [b.talk / r.talk - 1.0 for b, r in zip(blends, rows, strict=True)]
        for scen, b, r, g in zip(names, blends, rows, gains, strict=True):
            print(f"  {scen}: blend {b.talk:.2f} min, {name} {r.talk:.2f} min ({100 * g:+.1f} %)")
        mean_gain = sum(gains) / len(gains)
        policy_ok = blend_ok and mean_gain >= 0.05 and min(gains) >= 0
        print(f"the blend against {name}: mean {100 * mean_gain:+.1f} %, lowest {100 * min(gains):+.1f} % "
              f"({'PASS' if policy_ok else 'FAIL'}: needs +5 % on average and no scenario below)")
    if oracle:
        above = [n for n, _, up, _ in oracle if up]
        within = [f"{n} {100 * g:+.1f} %" for n, g, up, sunk in oracle if not up and not sunk]
        sunk = [f"{n} {100 * g:+.1f} %" for n, g, _, s in oracle if s]
        mean_oracle = sum(g for _, g, _, _ in oracle) / len(oracle)
        print(f"against the best baseline of each scenario alone: above in {len(above)}, below within noise in "
              f"{len(within)}" + (f" ({'; '.join(within)})" if within else "")
              + f", below beyond noise in {len(sunk)}" + (f" ({'; '.join(sunk)})" if sunk else "")
              + f"; mean {100 * mean_oracle:+.1f} %")
    ok = policy_ok and not any(s for *_, s in oracle)
    print("blending PASS" if ok else "blending FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
