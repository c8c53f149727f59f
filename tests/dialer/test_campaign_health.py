"""A campaign that cannot dial says so and stops losing leads.

When the PBX refuses a campaign's originates (here: a trunk template naming a channel technology the
PBX does not have, ``Nope/{digits}``: Asterisk 22 answers "Originate successfully queued", runs the
``failed`` extension and reports Reason 0 with no channel), the campaign pauses itself with the reason
on its row, and the leads it tried keep their attempts: an attempt counts only when the network was
reached.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import asyncpg
import pytest

from campaigns.model import DialMode
from dialer import campaign_health
from dialer.calls import Call, CallOutcome, Pool, PoolKind
from dialer.campaign_health import FAILED_LIMIT, REJECTED_LIMIT, Health, observe
from dialer.system import run_system
from simulations.call_model import LogNormal
from simulations.pbx import PbxConfig
from simulations.virtual_agents import VirtualAgents
from tests.dialer.test_engine_e2e import SPEED, make_services


def ended(outcome: CallOutcome, *, answered: bool = False, detail: str = "") -> Call:
    return Call(call_id=1, leg_id="dl-x", pool=Pool(PoolKind.CAMPAIGN, 1), outcome=outcome,
                answered_at=1.0 if answered else None, detail=detail)


def run(calls: list[Call]) -> list[campaign_health.HealthPause | None]:
    health, pauses = Health(), []
    for call in calls:
        health, pause = observe(health, call)
        pauses.append(pause)
    return pauses


def test_originates_the_pbx_refuses_in_a_row_pause_the_campaign_with_the_pbx_s_word() -> None:
    pauses = run([ended(CallOutcome.REJECTED, detail="Extension does not exist.")] * REJECTED_LIMIT)
    assert pauses[:-1] == [None] * (REJECTED_LIMIT - 1)
    last = pauses[-1]
    assert last is not None and last.code == campaign_health.ORIGINATE_REJECTED
    assert (last.count, last.detail) == (REJECTED_LIMIT, "Extension does not exist.")


def test_a_call_that_reached_the_network_starts_the_count_again() -> None:
    reached = [ended(CallOutcome.BUSY), ended(CallOutcome.NO_ANSWER), ended(CallOutcome.HANDLED, answered=True)]
    for call in reached:
        calls = [ended(CallOutcome.REJECTED)] * (REJECTED_LIMIT - 1) + [call] + \
            [ended(CallOutcome.REJECTED)] * (REJECTED_LIMIT - 1)
        assert run(calls) == [None] * len(calls), call.outcome


def test_calls_never_placed_or_cut_by_a_pbx_restart_neither_count_nor_reset() -> None:
    calls = [ended(CallOutcome.REJECTED), ended(CallOutcome.PBX_CUT), ended(CallOutcome.CANCELLED),
             ended(CallOutcome.REJECTED), ended(CallOutcome.REJECTED)]
    assert run(calls)[-1] is not None


def test_too_many_failures_in_a_row_with_nobody_reached_pause_the_campaign() -> None:
    calls = [ended(CallOutcome.CONGESTION), ended(CallOutcome.FAILED)] * (FAILED_LIMIT // 2)
    pauses = run(calls)
    assert pauses[-1] is not None and pauses[-1].code == campaign_health.FAILURES_IN_A_ROW
    assert all(p is None for p in pauses[:-1])


async def _wait_paused(pool: asyncpg.Pool, campaign_id: int, *, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    state = ""
    while time.monotonic() < deadline:
        state = await pool.fetchval("SELECT state FROM campaigns WHERE id = $1", campaign_id)
        if state == "paused":
            break
        await asyncio.sleep(0.1)
    return state


async def test_a_campaign_whose_trunk_technology_does_not_exist_pauses_itself_and_its_leads_keep_their_attempts(
        db_pool, database_url, redis_url, tmp_path, build_scenario) -> None:  # type: ignore[no-untyped-def]
    services = make_services(db_pool, database_url, redis_url, tmp_path)
    scenario = await build_scenario(db_pool, leads=30, agents=3, dnc_share=0.0, outside_share=0.0,
                                    now=services.clock.now(), mode=DialMode.PROGRESSIVE)
    cid = scenario.campaign.id
    await db_pool.execute("UPDATE campaigns SET trunk_template = 'Nope/{digits}' WHERE id = $1", cid)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3), engine_id="health") as system:
        agents = VirtualAgents(system.engine, scenario.agent_ids, cid, seed=5, wrap=LogNormal(3.0, 0.3))
        task = asyncio.create_task(agents.run())
        try:
            started = services.clock.monotonic()
            state = await _wait_paused(db_pool, cid, timeout_s=60.0 / SPEED + 10.0)
            took_s = services.clock.monotonic() - started
            board = system.engine.board.snapshot()["health_pauses"]     # the wallboard's live state
            async with asyncio.timeout(10):     # the runner gives its hopper back as it stops
                while (entry := system.control.runners.get(cid)) is not None and not entry[1].done():
                    await asyncio.sleep(0.05)
            leads = await db_pool.fetch("SELECT id, attempts, status FROM leads WHERE campaign_id = $1", cid)
            pause = await db_pool.fetchval("SELECT health_pause FROM campaigns WHERE id = $1", cid)
            tried = await db_pool.fetch("SELECT lead_id, outcome FROM call_records WHERE campaign_id = $1", cid)
            # a person starts it again: the reason is cleared from its row and from the wallboard
            await system.control.campaign_start(cid)
            cleared = (await db_pool.fetchval("SELECT health_pause FROM campaigns WHERE id = $1", cid),
                       cid in system.engine.board.health_pauses)
            await system.control.campaign_pause(cid)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert state == "paused"
    assert took_s < 60.0, f"paused after {took_s:.0f} simulated seconds"
    assert pause["code"] == campaign_health.ORIGINATE_REJECTED and pause["count"] >= REJECTED_LIMIT
    assert "Nope/{digits}" in pause["detail"]
    assert board[str(cid)]["code"] == campaign_health.ORIGINATE_REJECTED
    assert len(tried) >= REJECTED_LIMIT
    assert {r["outcome"] for r in tried} == {"rejected"}
    assert all(r["attempts"] == 0 for r in leads), [dict(r) for r in leads if r["attempts"]]
    assert {r["status"] for r in leads} == {"new"}       # none lost, none left claimed
    assert cleared == (None, False)


@pytest.mark.parametrize("text", ["x"])
def test_the_reason_reads_in_english_for_logs(text: str) -> None:
    pause = campaign_health.HealthPause(campaign_health.ORIGINATE_REJECTED, 3, "Reason 0")
    assert pause.describe() == "paused by the dialer: the PBX refused 3 calls in a row (Reason 0)"


async def test_the_campaign_page_says_why_it_paused_itself_in_the_readers_language(
        db_pool, browser_client, make_user) -> None:  # type: ignore[no-untyped-def]
    from campaigns import repository as campaigns_repo
    from campaigns.model import Campaign, CampaignState
    from dialer.runner import save_health_pause
    from dialer.users import Role
    from tests.conftest import TEST_PASSWORD

    campaign = await campaigns_repo.create_campaign(db_pool, campaign=Campaign(
        id=0, name="Chiến dịch Nope", trunk_template="Nope/{digits}"))
    async with db_pool.acquire() as conn:
        for state in (CampaignState.RUNNING, CampaignState.PAUSED):
            await campaigns_repo.set_campaign_state(conn, campaign_id=campaign.id, target=state)
        pause = campaign_health.HealthPause(campaign_health.ORIGINATE_REJECTED, 3, "Reason 0; trunk template Nope/{digits}")
        await save_health_pause(conn, campaign_id=campaign.id, pause=pause, at=datetime.now(UTC))
    for language, words in (("en", "Paused by the dialer: the PBX refused 3 calls in a row"),
                            ("vi", "Hệ thống đã tạm dừng: tổng đài từ chối 3 cuộc gọi liên tiếp")):
        lead = await make_user(Role.TEAM_LEAD, language=language)
        form = (await browser_client.get("/login")).text    # echo the login form's CSRF token when it has one
        token = form.split('name="csrf_token" value="')[1].split('"')[0] if 'name="csrf_token"' in form else ""
        await browser_client.post("/login", data={"username": lead.username, "password": TEST_PASSWORD, "next": "/",
                                                  "csrf_token": token})
        page = await browser_client.get(f"/campaigns/{campaign.id}")
        assert page.status_code == 200
        assert words in page.text and "Nope/{digits}" in page.text, language
        browser_client.cookies.clear()


def test_an_attempt_counts_only_when_the_network_was_reached() -> None:
    from dataclasses import replace

    from dialer.lead_store import network_reached

    for outcome in (CallOutcome.REJECTED, CallOutcome.CANCELLED, CallOutcome.PBX_CUT, CallOutcome.FAILED):
        assert not network_reached(ended(outcome)), outcome          # refused, never sent, or cut before ringing
    for outcome in (CallOutcome.PBX_CUT, CallOutcome.FAILED):
        assert network_reached(replace(ended(outcome), ringing_at=1.0)), outcome     # it rang: it counts
    for outcome in (CallOutcome.BUSY, CallOutcome.NO_ANSWER, CallOutcome.CONGESTION, CallOutcome.INVALID_NUMBER):
        assert network_reached(ended(outcome)), outcome
    assert network_reached(ended(CallOutcome.HANDLED, answered=True))


async def test_an_originate_with_no_free_line_is_unavailable_not_the_campaign_s_fault() -> None:
    from dialer.ami.adapter import AmiAdapter
    from dialer.ami.config import AmiServerConfig
    from dialer.clock import RealClock
    from dialer.pbx_port import CTX_CUSTOMER, LegKind, LinkUp, OriginateRequest, PbxUnavailable, new_leg_id
    from simulations.pbx import SimulatedPbx

    pbx = SimulatedPbx(PbxConfig(username="dialer", secret="dialer-secret", seed=2, speed=20.0))
    await pbx.start(host="127.0.0.1", port=0)
    config = AmiServerConfig(name="one-line", host="127.0.0.1", port=pbx.port, username="dialer",
                             secret="dialer-secret", max_channels=1, action_timeout_s=2.0)
    try:
        async with AmiAdapter([config], clock=RealClock()) as ami:
            async with asyncio.timeout(5):
                async for event in ami.events():
                    if isinstance(event, LinkUp):
                        break
            calls = [OriginateRequest(leg_id=new_leg_id(), kind=LegKind.CUSTOMER, dial_string="Local/3000@sim-customer",
                                      context=CTX_CUSTOMER, exten="s", timeout_s=30.0) for _ in range(2)]
            await ami.originate(calls[0])
            with pytest.raises(PbxUnavailable, match="free channel"):
                await ami.originate(calls[1])
            await ami.hangup(calls[0].leg_id)
    finally:
        await pbx.stop()
