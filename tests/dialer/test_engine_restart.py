"""A restart settles every attempt the dead engine left half done, and dials none of them again."""

from __future__ import annotations

from campaigns import repository as campaigns_repo
from campaigns.model import DialMode
from dialer import call_records
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
