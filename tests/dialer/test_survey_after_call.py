"""After-call surveys end to end: a campaign on the simulated PBX over TCP, accelerated; virtual agents end their
calls themselves and the engine moves each customer offered the survey out of the agent's conference into
``dialer-survey``, where the simulated customers answer from a known distribution and one in five hangs up at the
second question.

What must hold: every call an agent handled was offered the survey (share 1: chosen by the system), the offer is
counted per agent (offer rate 1 for each); every answer kept is exactly the keys that customer typed (the simulated
PBX logs them); the answers' distribution agrees with the simulated truth within its 95 % intervals
(``surveys.stats``; the simulated customers draw from the scenario's seed and their number, so the sample is the same
however the machine's load orders the calls); a customer who hung up halfway keeps its first answer (partial, not completed);
nobody is surveyed twice; the dialplan never faulted.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from campaigns.model import DialMode
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.pbx.survey_customer import SurveyCustomer
from simulations.virtual_agents import VirtualAgents
from surveys import repository as survey_repo
from surveys import stats as survey_stats
from surveys.model import SurveyDefinition
from tests.dialer.test_engine_e2e import SPEED, make_services

LEADS = 160     # about 140 surveys in 10 s of wall time; 1,000: benchmarks/bench_surveys.py
AGENTS = 16
# customers stay on the line as long as the agent talks (the agent ends each call)
MODEL = CustomerModel(connect_rate=0.9, machine_rate=0.0, busy_rate=0.05, congestion_rate=0.0, invalid_rate=0.0,
                      ring=LogNormal(3.0, 0.3), talk=LogNormal(600.0, 0.1), patience=LogNormal(600.0, 0.1),
                      no_answer_s=15.0)
RATING = {"5": 0.40, "4": 0.30, "3": 0.15, "2": 0.10, "1": 0.05}
YES_NO = {"1": 0.7, "2": 0.3}
NPS = {"10": 0.3, "9": 0.3, "8": 0.2, "5": 0.2}
TAKER = SurveyCustomer(answers={"q1": RATING, "q2": YES_NO, "q3": NPS}, hangup_at={"q2": 0.2},
                       think_s=(0.3, 1.5), key_gap_s=0.2)
SURVEY = {
    "name": "after-call satisfaction",
    "intro": [{"kind": "sound", "value": "vm-intro"}],
    "outro": [{"kind": "sound", "value": "auth-thankyou"}],
    "questions": [
        {"id": "q1", "kind": "rating", "prompt": [{"kind": "sound", "value": "vm-press"}], "timeout_s": 4},
        {"id": "q2", "kind": "yes_no", "prompt": [{"kind": "sound", "value": "vm-press"}], "timeout_s": 4},
        {"id": "q3", "kind": "nps", "prompt": [{"kind": "sound", "value": "vm-press"}], "timeout_s": 4},
    ],
}


async def kept_and_typed(pool, rows: list[survey_stats.ResponseRow],  # type: ignore[no-untyped-def]
                         keyed: list[tuple[str, str, str]]) -> tuple[dict, dict]:
    """The answers kept, by (number, question), and what those customers last typed at those questions on the
    simulated PBX (``Switch.survey_keys``; yes/no as stored)."""
    typed: dict[tuple[str, str], str] = {}
    for number, step, keys in keyed:
        typed[(number.lstrip("+"), step.rsplit(".", 1)[0])] = keys
    phone_of = {r["id"]: r["phone"] for r in await pool.fetch("SELECT id, phone FROM survey_responses")}
    kept = {(phone_of[row.id].lstrip("+"), q): value for row in rows for q, value in row.answers.items()
            if value is not None}
    decoded = {key: {"1": "yes", "2": "no"}[keys] if key[1] == "q2" else keys for key, keys in typed.items()
               if key in kept}
    return kept, decoded


async def surveys_open(pool) -> int:  # type: ignore[no-untyped-def]
    return int(await pool.fetchval("SELECT count(*) FROM survey_responses WHERE ended_at IS NULL"))


@pytest.mark.slow
async def test_after_call_surveys_follow_the_simulated_truth_and_keep_partial_answers(
        db_pool, database_url, redis_url, tmp_path, build_scenario) -> None:  # type: ignore[no-untyped-def]
    services = make_services(db_pool, database_url, redis_url, tmp_path)
    scenario = await build_scenario(db_pool, leads=LEADS, agents=AGENTS, now=services.clock.now(), dnc_share=0.0,
                                    outside_share=0.0, mode=DialMode.PROGRESSIVE, seed=11)
    version = await survey_repo.create_survey(db_pool, SurveyDefinition.from_dict(SURVEY), created_by=None)
    await db_pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, share) VALUES ($1, $2,"
                          " 'after_call', 1.0)", version.survey_id, scenario.campaign.id)
    sim = PbxConfig(speed=SPEED, seed=9, customer_model=MODEL, survey_customer=TAKER)
    started = time.monotonic()
    async with run_system(services, sim_config=sim, engine_id="survey-e2e") as system:
        # the dialplan's wait for the next step, in simulated seconds: at 50x, 10 s is 0.2 s of a loaded machine
        system.engine.surveys.wait_s = 60.0
        agents = VirtualAgents(system.engine, scenario.agent_ids, scenario.campaign.id, seed=5,
                               wrap=LogNormal(2.0, 0.3), talk=LogNormal(3.0, 0.3))
        task = asyncio.create_task(agents.run())
        try:
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline and not system.engine.errors:
                left = await db_pool.fetchval(
                    "SELECT count(*) FROM leads WHERE campaign_id = $1 AND status IN ('new', 'claimed')",
                    scenario.campaign.id)
                if left == 0 and await db_pool.fetchval("SELECT count(*) FROM call_records WHERE outcome IS NULL") == 0 \
                        and await surveys_open(db_pool) == 0:
                    break
                await asyncio.sleep(0.5)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        faults = list(system.sim.switch.dialplan.faults)  # type: ignore[union-attr]
        keyed = list(system.sim.switch.survey_keys)  # type: ignore[union-attr]
    wall = time.monotonic() - started
    assert system.engine.errors == []
    assert faults == []
    assert await surveys_open(db_pool) == 0
    handled = await db_pool.fetch("SELECT id, agent_id, phone_e164 FROM call_records WHERE campaign_id = $1"
                                  " AND connected_at IS NOT NULL", scenario.campaign.id)
    rows = [survey_stats.ResponseRow.from_record(r)
            for r in await survey_repo.response_rows(db_pool, survey_id=version.survey_id)]
    assert len(handled) > 100, len(handled)
    # every handled call was offered the survey, linked to its record and agent: the offer rate is 1 for each agent
    responses = await db_pool.fetch("SELECT call_record_id, agent_id, mode, phone FROM survey_responses")
    assert sorted(r["call_record_id"] for r in responses) == sorted(r["id"] for r in handled)
    assert {r["mode"] for r in responses} == {"after_call"}
    handled_by = Counter(r["agent_id"] for r in handled)
    rates = survey_stats.offer_rates(rows, dict(handled_by))
    assert all(rate.share == 1.0 for rate in rates.values()), rates
    # nobody surveyed twice
    phones = [r["phone"] for r in responses]
    assert len(phones) == len(set(phones))
    # every answer kept is exactly what that customer last typed at that question on the simulated PBX
    kept, typed = await kept_and_typed(db_pool, rows, keyed)
    assert kept == typed
    figures = survey_stats.survey_stats(version.definition, rows)
    q1, q2, q3 = figures.questions
    # one in five hangs up at the second question: partial answers kept (q1 answered, not completed)
    hung = [r for r in rows if r.ended_reason == "hangup"]
    assert hung and all(r.answers.get("q1") is not None and not r.completed for r in hung)
    assert q2.dropped_here == len(hung)
    assert 0.10 <= len(hung) / figures.started <= 0.32, (len(hung), figures.started)
    assert figures.completed + len(hung) == figures.started
    # the distributions agree with the truth within their 95 % intervals
    true_mean = sum(int(k) * p for k, p in RATING.items())
    assert q1.mean is not None and q1.mean.ci is not None
    assert q1.mean.ci.low <= true_mean <= q1.mean.ci.high, (q1.mean, true_mean)
    true_nps = 100 * (NPS["10"] + NPS["9"] - NPS["5"])
    assert q3.nps is not None and q3.nps.ci.low <= true_nps <= q3.nps.ci.high, (q3.nps, true_nps)
    yes = dict(q2.distribution)["yes"]
    share_yes = survey_stats.share(yes, q2.answered)
    assert share_yes.ci is not None and share_yes.ci.low <= YES_NO["1"] <= share_yes.ci.high
    print(f"{len(rows)} after-call surveys, {figures.completed} completed, {len(hung)} hung up; {wall:.1f} s wall")
