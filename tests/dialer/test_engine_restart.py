"""A restart settles every attempt the dead engine left half done, and dials none of them again."""

from __future__ import annotations

import asyncio

import pytest

from campaigns import repository as campaigns_repo
from campaigns.model import DialMode
from dialer import call_records
from dialer.errors import DialerError
from dialer.system import run_system
from simulations.pbx import PbxConfig

ENGINE = "restart-test"


async def test_a_lead_whose_attempt_ended_just_before_a_crash_gets_its_retry_not_a_second_dial(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    now = services.clock.now()
    # preview mode: the restarted engine places no call by itself, so only recovery touches the leads
    scenario = await build_scenario(services.pool, leads=3, agents=1, now=now, mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0)
    async with services.pool.acquire() as conn:
        ended, never_dialled = await campaigns_repo.claim_leads(conn, campaign_id=scenario.campaign.id, limit=2,
                                                               engine_id=ENGINE, now=now)
    # the dead engine dialled the first lead, the call ended and its record was closed; the crash came
    # before the lead was given its next step. The second lead was claimed but never dialled.
    call_id = await call_records.open_record(
        services.pool, campaign_id=scenario.campaign.id, lead_id=ended.id, agent_id=None, engine_id=ENGINE,
        leg_id="leg-before-crash", direction="outbound", phone_e164=ended.phone_e164, dial_string="x",
        caller_id="", originated_at=now)
    await services.pool.execute("UPDATE call_records SET outcome = 'no_answer', ended_at = $2 WHERE id = $1",
                                call_id, now)
    async with run_system(services, sim_config=PbxConfig(seed=1), engine_id=ENGINE, tick_s=0.2):
        pass
    leads = {r["id"]: r for r in await services.pool.fetch(
        "SELECT id, status, attempts, next_attempt_at FROM leads WHERE id = ANY($1)", [ended.id, never_dialled.id])}
    assert leads[ended.id]["status"] == "retry" and leads[ended.id]["attempts"] == 1
    assert leads[ended.id]["next_attempt_at"] > now          # the policy's delay, not at once
    assert leads[never_dialled.id]["status"] == "new" and leads[never_dialled.id]["attempts"] == 0
    assert await services.pool.fetchval("SELECT lead_settled FROM call_records WHERE id = $1", call_id)


async def _leave_work_of(services, scenario, engine_id: str, *, now) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """An engine's half-done work: a claimed lead with an attempt in flight, a claimed lead never dialled,
    and a signed-in agent. Returns (lead in flight, lead never dialled, call id)."""
    async with services.pool.acquire() as conn:
        dialled, waiting = await campaigns_repo.claim_leads(conn, campaign_id=scenario.campaign.id, limit=2,
                                                            engine_id=engine_id, now=now)
    call_id = await call_records.open_record(
        services.pool, campaign_id=scenario.campaign.id, lead_id=dialled.id, agent_id=None, engine_id=engine_id,
        leg_id=f"leg-of-{engine_id}", direction="outbound", phone_e164=dialled.phone_e164, dial_string="x",
        caller_id="", originated_at=now)
    await services.pool.execute("INSERT INTO agent_sessions (user_id, campaign_id, engine_id, leg_id)"
                                " VALUES ($1, $2, $3, NULL)", scenario.agent_ids[0], scenario.campaign.id, engine_id)
    return dialled.id, waiting.id, call_id


async def test_a_restart_leaves_the_calls_and_agents_of_other_live_engines_alone(services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    from dialer import takeover

    now = services.clock.now()
    scenario = await build_scenario(services.pool, leads=4, agents=1, now=now, mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0)
    dialled, waiting, call_id = await _leave_work_of(services, scenario, "other-live-engine", now=now)
    async with services.pool.acquire() as held:                 # the other engine is alive: it holds its lock
        assert await takeover.try_lock(held, "other-live-engine")
        async with run_system(services, sim_config=PbxConfig(seed=1), engine_id=ENGINE, tick_s=0.2,
                              takeover_every_s=0.1):
            await asyncio.sleep(1.0)                            # several rounds of the watch
            # a second engine with a running engine's id is refused with a clear message
            with pytest.raises(DialerError, match="already running"):
                await takeover.hold_engine_lock(services.pool, ENGINE, wait_s=0.5)
    assert await services.pool.fetchval("SELECT outcome FROM call_records WHERE id = $1", call_id) is None
    statuses = dict(await services.pool.fetch("SELECT id, status FROM leads WHERE id = ANY($1)", [dialled, waiting]))
    assert statuses == {dialled: "claimed", waiting: "claimed"}
    assert await services.pool.fetchval("SELECT count(*) FROM agent_sessions WHERE engine_id = 'other-live-engine'") == 1


async def test_a_live_engine_recovers_the_work_of_an_engine_that_died_for_good(services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    now = services.clock.now()
    scenario = await build_scenario(services.pool, leads=4, agents=1, now=now, mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0)
    dialled, waiting, call_id = await _leave_work_of(services, scenario, "dead-engine", now=now)
    async with run_system(services, sim_config=PbxConfig(seed=1), engine_id=ENGINE, tick_s=0.2,
                          takeover_every_s=0.1):
        deadline = asyncio.get_running_loop().time() + 15
        while await services.pool.fetchval("SELECT outcome FROM call_records WHERE id = $1", call_id) is None:
            assert asyncio.get_running_loop().time() < deadline, "the dead engine's call was never closed"
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
    record = await services.pool.fetchrow("SELECT outcome, detail, lead_settled FROM call_records WHERE id = $1",
                                          call_id)
    assert record["outcome"] == "failed" and "restarted" in record["detail"] and record["lead_settled"]
    leads = {r["id"]: r for r in await services.pool.fetch(
        "SELECT id, status, attempts FROM leads WHERE id = ANY($1)", [dialled, waiting])}
    assert leads[dialled]["status"] == "retry" and leads[dialled]["attempts"] == 1   # never dialled twice
    assert leads[waiting]["status"] == "new" and leads[waiting]["attempts"] == 0     # back in the hopper
    assert await services.pool.fetchval("SELECT count(*) FROM agent_sessions WHERE engine_id = 'dead-engine'") == 0
