"""End to end: a predictive campaign on the simulated PBX over TCP, on accelerated time.

2,000 leads (some on the DNC list, some outside their calling window now), 10 virtual agents. Every lead
ends final or with a retry scheduled; abandonment stays within 3 %; the PBX's own log of originates has
no DNC number and no number outside its window; the call records agree with the PBX call by call.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
import redis

from dialer.clock import RealClock
from dialer.services import Services
from dialer.settings import load_settings
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.virtual_agents import VirtualAgents

SPEED = 50.0
MODEL = CustomerModel(connect_rate=0.45, machine_rate=0.06, busy_rate=0.10, congestion_rate=0.02,
                      invalid_rate=0.02, ring=LogNormal(5.0, 0.4), talk=LogNormal(10.0, 0.5),
                      patience=LogNormal(6.0, 0.5), no_answer_s=15.0)


def make_services(db_pool: asyncpg.Pool, database_url: str, redis_url: str, tmp_path) -> Services:  # type: ignore[no-untyped-def]
    settings = load_settings(None, mode="development", secret_key="k" * 32, data_dir=tmp_path, speed=SPEED,
                             redis_url=redis_url)
    services = Services(settings=settings, pool=db_pool, redis=redis.Redis.from_url(redis_url),
                        clock=RealClock(speed=SPEED))
    services.extras["database_url"] = database_url
    return services


async def lead_states(pool: asyncpg.Pool, campaign_id: int) -> dict[str, int]:
    rows = await pool.fetch("SELECT status, count(*) AS n FROM leads WHERE campaign_id=$1 GROUP BY status", campaign_id)
    return {r["status"]: r["n"] for r in rows}


async def leads_left(pool: asyncpg.Pool, campaign_id: int, now) -> int:  # type: ignore[no-untyped-def]
    """Leads due now (new, or retries and callbacks already due) or claimed, plus calls in flight."""
    due = await pool.fetchval(
        "SELECT count(*) FROM leads WHERE campaign_id = $1 AND (status = 'claimed' OR"
        " (status IN ('new', 'retry', 'callback') AND (next_attempt_at IS NULL OR next_attempt_at <= $2)))",
        campaign_id, now)
    return int(due) + int(await pool.fetchval("SELECT count(*) FROM call_records WHERE outcome IS NULL"))


async def wait_until_worked(pool: asyncpg.Pool, campaign_id: int, *, clock, timeout_s: float,  # type: ignore[no-untyped-def]
                            errors: list[BaseException]) -> int:
    """Until every lead is final or scheduled for later (or the time is up, or the engine failed)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not errors:
        left = await leads_left(pool, campaign_id, clock.now())
        if left == 0:
            return 0
        await asyncio.sleep(0.5)
    return await leads_left(pool, campaign_id, clock.now())


@pytest.mark.slow
async def test_a_predictive_campaign_works_its_list_within_the_rules(db_pool, database_url, redis_url, tmp_path,
                                                                   build_scenario) -> None:
    services = make_services(db_pool, database_url, redis_url, tmp_path)
    scenario = await build_scenario(db_pool, leads=2000, agents=10, now=services.clock.now())
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3, customer_model=MODEL),
                          engine_id="e2e") as system:
        agents = VirtualAgents(system.engine, scenario.agent_ids, scenario.campaign.id, seed=5,
                               wrap=LogNormal(3.0, 0.3))
        task = asyncio.create_task(agents.run())
        try:
            left = await wait_until_worked(db_pool, scenario.campaign.id, clock=services.clock, timeout_s=240,
                                           errors=system.engine.errors)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        originates = list(system.sim.originate_log)  # type: ignore[union-attr]
    assert system.engine.errors == []
    # every lead ends final (done, dnc) or with a retry or callback scheduled; none lost, none left claimed
    assert left == 0
    states = await lead_states(db_pool, scenario.campaign.id)
    assert sum(states.values()) == 2000 and states.get("claimed", 0) == 0, states
    assert states.get("dnc", 0) == len(scenario.dnc_numbers)
    # the PBX never saw a DNC number or a number outside its window
    dialled = {o.channel.split("/", 1)[1].split("@", 1)[0] for o in originates if "@carrier" in o.channel}
    assert not {n.lstrip("+") for n in scenario.dnc_numbers} & dialled
    assert not {n.lstrip("+") for n in scenario.outside_numbers} & dialled
    # the records agree with the PBX call by call: one record per customer originate, same leg ids
    records = await db_pool.fetch("SELECT leg_id, outcome, phone_e164 FROM call_records WHERE campaign_id=$1",
                                  scenario.campaign.id)
    customer_legs = {o.channel_id for o in originates if "@carrier" in o.channel}
    assert {r["leg_id"] for r in records} == customer_legs
    assert all(r["outcome"] is not None for r in records)
    # abandonment within the cap
    answers = sum(1 for r in records if r["outcome"] in ("handled", "abandoned"))
    abandons = sum(1 for r in records if r["outcome"] == "abandoned")
    assert answers > 300
    assert abandons / answers <= 0.03, f"{abandons} abandons of {answers} live answers"
