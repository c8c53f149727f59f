"""1,000 after-call surveys on the simulated PBX, accelerated: the figures against the simulated truth.

    .venv/bin/python benchmarks/bench_surveys.py --leads 1150 --agents 40

The scenario of ``tests/dialer/test_survey_after_call.py`` (the CI test runs about 140 surveys of it): virtual agents
end their calls, every customer is offered the survey (share 1), answers come from a known distribution and one in
five hangs up at the second question. Prints the surveys, completion, the time taken, whether every answer kept is
the keys its customer typed (the simulated PBX logs them), and whether the mean rating,
the NPS and the share of "yes" hold the truth within their 95 % intervals. PostgreSQL and Valkey are the embedded
ones in a temporary data directory; the simulated PBX runs in this process (TCP on loopback).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from campaigns.model import DialMode
from dialer.clock import RealClock
from dialer.runtime import open_services
from dialer.settings import load_settings
from dialer.system import run_system
from simulations.call_model import LogNormal
from simulations.pbx import PbxConfig
from simulations.virtual_agents import VirtualAgents
from surveys import repository as survey_repo
from surveys import stats as survey_stats
from surveys.model import SurveyDefinition
from tests.dialer.conftest import build
from tests.dialer.test_survey_after_call import MODEL, NPS, RATING, SURVEY, TAKER, YES_NO, kept_and_typed

SPEED = 50.0


async def main(leads: int, agents: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-surveys-") as data:
        settings = load_settings(None, data_dir=Path(data), mode="development", speed=SPEED)
        async with open_services(settings, bootstrap_admin=False, pool_size=20, clock=RealClock(speed=SPEED)) as services:
            pool = services.pool
            scenario = await build(pool, leads=leads, agents=agents, now=services.clock.now(), dnc_share=0.0,
                                   outside_share=0.0, mode=DialMode.PROGRESSIVE, seed=21)
            version = await survey_repo.create_survey(pool, SurveyDefinition.from_dict(SURVEY), created_by=None)
            await pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, share) VALUES ($1, $2,"
                               " 'after_call', 1.0)", version.survey_id, scenario.campaign.id)
            sim = PbxConfig(speed=SPEED, seed=4, customer_model=MODEL, survey_customer=TAKER)
            started = time.monotonic()
            async with run_system(services, sim_config=sim, engine_id="bench-surveys") as system:
                system.engine.surveys.wait_s = 60.0
                task = asyncio.create_task(VirtualAgents(system.engine, scenario.agent_ids, scenario.campaign.id,
                                                         seed=5, wrap=LogNormal(2.0, 0.3),
                                                         talk=LogNormal(3.0, 0.3)).run())
                try:
                    while time.monotonic() - started < 1800:
                        left = await pool.fetchval("SELECT count(*) FROM leads WHERE campaign_id = $1 AND status IN"
                                                   " ('new', 'claimed')", scenario.campaign.id)
                        busy = await pool.fetchval("SELECT count(*) FROM call_records WHERE outcome IS NULL")
                        unfinished = await pool.fetchval("SELECT count(*) FROM survey_responses WHERE ended_at IS NULL")
                        if left == 0 and busy == 0 and unfinished == 0:
                            break
                        await asyncio.sleep(0.5)
                finally:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                errors = list(system.engine.errors)
                keyed = list(system.sim.switch.survey_keys)  # type: ignore[union-attr]
            wall = time.monotonic() - started
            rows = [survey_stats.ResponseRow.from_record(r)
                    for r in await survey_repo.response_rows(pool, survey_id=version.survey_id)]
            figures = survey_stats.survey_stats(version.definition, rows)
            q1, q2, q3 = figures.questions
            reasons = Counter(r.ended_reason for r in rows)
            true_mean = sum(int(k) * p for k, p in RATING.items())
            true_nps = 100 * (NPS["10"] + NPS["9"] - NPS["5"])
            yes = survey_stats.share(dict(q2.distribution)["yes"], q2.answered)
            print(f"{len(rows)} after-call surveys in {wall:.1f} s wall ({leads} leads, {agents} agents, x{SPEED:g}); "
                  f"engine errors: {len(errors)}")
            print(f"ended: {dict(reasons)}; completion {figures.completion.share:.3f}; "
                  f"dropped at q2: {q2.dropped_here}")
            kept, typed = await kept_and_typed(pool, rows, keyed)
            wrong = sum(1 for key, value in kept.items() if typed.get(key) != value)
            print(f"answers kept: {len(kept)}, each the keys its customer typed on the PBX: "
                  f"{'yes' if not wrong and kept == typed else f'NO ({wrong} differ)'}")
            assert q1.mean is not None and q1.mean.ci is not None and q3.nps is not None and yes.ci is not None
            print(f"mean rating {q1.mean.mean:.3f} [{q1.mean.ci.low:.3f}, {q1.mean.ci.high:.3f}] truth {true_mean:.3f}: "
                  f"{'within' if q1.mean.ci.low <= true_mean <= q1.mean.ci.high else 'OUTSIDE'}")
            print(f"NPS {q3.nps.score:.1f} [{q3.nps.ci.low:.1f}, {q3.nps.ci.high:.1f}] truth {true_nps:.1f}: "
                  f"{'within' if q3.nps.ci.low <= true_nps <= q3.nps.ci.high else 'OUTSIDE'}")
            print(f"yes {yes.share:.3f} [{yes.ci.low:.3f}, {yes.ci.high:.3f}] truth {YES_NO['1']:.3f}: "
                  f"{'within' if yes.ci.low <= YES_NO['1'] <= yes.ci.high else 'OUTSIDE'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1150)
    parser.add_argument("--agents", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.leads, args.agents))
