"""Two sites on one database (issue 18, Done when #3): each site has its own engine and its own simulated PBX over
TCP, and a campaign. The engines never touch each other's campaigns; when site B's PBX stops, site A keeps
dialling and its campaign is untouched, while B's campaign pauses with the reason "site down" and the wallboard's
status says B is down; when B's PBX is back, B's campaign dials again by itself. The manager's report sums both
sites' records; a site filter gives each site's own."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from admin_ui import reports
from campaigns.model import DialMode
from dialer import sites, users
from dialer.clock import RealClock
from dialer.system import run_system
from dialer.users import Role
from simulations.call_model import LogNormal
from simulations.pbx import PbxConfig
from simulations.virtual_agents import VirtualAgents

SPEED = 20.0


async def until(predicate: Callable[[], Awaitable[bool]], timeout_s: float = 60.0) -> None:
    # a generous wall time: a CI run slowed 35 % by its machine took more than 20 s for site B to pause
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def customer_legs(system) -> list[str]:  # type: ignore[no-untyped-def]
    """The customer legs the system's PBX was asked to originate (agent phones left out)."""
    return [o.channel_id for o in system.sim.originate_log if "@carrier" in o.channel]


async def campaigns_of(pool, legs: list[str]) -> set[int]:  # type: ignore[no-untyped-def]
    rows = await pool.fetch("SELECT DISTINCT campaign_id FROM call_records WHERE leg_id = ANY($1::text[])", legs)
    return {r["campaign_id"] for r in rows}


@pytest.mark.slow
async def test_two_sites_one_database_one_pbx_down_the_other_keeps_dialling_and_the_manager_sees_both(
        db_pool, database_url, services, build_scenario, app, make_user) -> None:
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    services.extras["database_url"] = database_url      # each engine's DNC checker follows the lists
    now = services.clock.now()
    hanoi = await sites.create_site(db_pool, name="hanoi", zone="Asia/Ho_Chi_Minh")
    a = await build_scenario(db_pool, leads=400, agents=2, seed=31, now=now, mode=DialMode.PROGRESSIVE,
                             dnc_share=0.0, outside_share=0.0)          # site 1, "main"
    b = await build_scenario(db_pool, leads=400, agents=2, seed=32, now=now, mode=DialMode.PROGRESSIVE,
                             dnc_share=0.0, outside_share=0.0)
    await sites.set_campaign_site(db_pool, campaign_id=b.campaign.id, site_id=hanoi.id)
    for agent_id in b.agent_ids:
        await sites.set_user_site(db_pool, user_id=agent_id, site_id=hanoi.id)

    def state(cid: int):  # type: ignore[no-untyped-def]
        return db_pool.fetchrow("SELECT state, health_pause FROM campaigns WHERE id = $1", cid)

    async with (run_system(services, sim_config=PbxConfig(speed=SPEED, seed=1), engine_id="site-main", tick_s=0.2,
                           site="main") as site_a,
                run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2), engine_id="site-hanoi", tick_s=0.2,
                           site="hanoi") as site_b):
        wrap = LogNormal(2.0, 0.2)
        agents = [asyncio.create_task(VirtualAgents(system.engine, s.agent_ids, s.campaign.id, seed=n, wrap=wrap).run())
                  for n, (system, s) in enumerate(((site_a, a), (site_b, b)), start=1)]
        try:
            # each engine runs its own site's campaign only, through its own PBX
            async def both_dial() -> bool:
                return len(customer_legs(site_a)) >= 3 and len(customer_legs(site_b)) >= 3
            await until(both_dial)
            assert set(site_a.control.runners) == {a.campaign.id} and set(site_b.control.runners) == {b.campaign.id}
            assert await campaigns_of(db_pool, customer_legs(site_a)) == {a.campaign.id}
            assert await campaigns_of(db_pool, customer_legs(site_b)) == {b.campaign.id}

            # site B's Asterisk stops: B's campaign pauses with the reason, the status says B is down
            assert site_b.sim is not None
            await site_b.sim.faults.stop()

            async def b_paused() -> bool:
                row = await state(b.campaign.id)
                return row["state"] == "paused" and row["health_pause"] is not None
            await until(b_paused)
            pause = (await state(b.campaign.id))["health_pause"]
            assert pause["code"] == sites.SITE_DOWN and pause["detail"] == "hanoi"

            async def b_runner_retired() -> bool:
                return b.campaign.id not in site_b.control.runners
            await until(b_runner_retired)
            shown = {s.site.name: s for s in await sites.statuses(db_pool)}
            assert shown["hanoi"].status == "down" and shown["main"].status == "up"
            assert [p["id"] for p in await sites.site_down_pauses(db_pool)] == [b.campaign.id]

            # site A keeps dialling: new originates keep reaching PBX A; its campaign is untouched
            seen = len(customer_legs(site_a))

            async def a_dials_on() -> bool:
                return len(customer_legs(site_a)) >= seen + 5
            await until(a_dials_on)
            row = await state(a.campaign.id)
            assert row["state"] == "running" and row["health_pause"] is None
            assert a.campaign.id in site_a.control.runners and not site_a.control.hold_of(a.campaign.id)

            # B's Asterisk is back: its campaign runs again by itself and dials through PBX B
            await site_b.sim.faults.boot()
            before = len(customer_legs(site_b))

            async def b_dials_again() -> bool:
                row = await state(b.campaign.id)
                return row["state"] == "running" and len(customer_legs(site_b)) > before
            await until(b_dials_again, timeout_s=30.0)
            assert (await state(b.campaign.id))["health_pause"] is None
            assert {s.site.name: s.status for s in await sites.statuses(db_pool)}["hanoi"] == "up"
        finally:
            for task in agents:
                task.cancel()
            await asyncio.gather(*agents, return_exceptions=True)
    assert site_a.engine.errors == [] and site_b.engine.errors == []

    # the manager's report sums both sites; a site filter gives each site's own records
    period = reports.Period(None, now - timedelta(days=1), services.clock.now() + timedelta(minutes=1))

    def attempts(rows: list[reports.Figures]) -> dict[int, int]:
        return {r.key: r.attempts for r in rows}

    every = attempts(await reports.figures(db_pool, period, "campaign"))
    main = attempts(await reports.figures(db_pool, replace(period, site_id=1), "campaign"))
    only_b = attempts(await reports.figures(db_pool, replace(period, site_id=hanoi.id), "campaign"))
    records = {r["campaign_id"]: r["n"] for r in await db_pool.fetch(
        "SELECT campaign_id, count(*) AS n FROM call_records GROUP BY campaign_id")}
    assert every == records and set(every) == {a.campaign.id, b.campaign.id}
    assert main == {a.campaign.id: records[a.campaign.id]} and only_b == {b.campaign.id: records[b.campaign.id]}
    assert sum(every.values()) == sum(main.values()) + sum(only_b.values())

    # the same through the web app's report export: a manager's sums both sites, a Hanoi team lead's only Hanoi
    names = {a.campaign.id: a.campaign.name, b.campaign.id: b.campaign.name}
    by_name = {names[cid]: n for cid, n in records.items()}
    manager = await make_user(Role.MANAGER)
    lead = await make_user(Role.TEAM_LEAD, site_id=hanoi.id)
    hanoi_only = {b.campaign.name: by_name[b.campaign.name]}
    for who, url, expected in ((manager, "/reports/campaigns.csv?days=1", by_name),
                               (manager, f"/reports/campaigns.csv?days=1&site={hanoi.id}", hanoi_only),
                               (lead, "/reports/campaigns.csv?days=1", hanoi_only)):
        token = await users.create_api_token(db_pool, user_id=who.id, label="report")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            response = await client.get(url)
        assert response.status_code == 200, response.text
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0][:2] == ["campaign", "attempts"]
        assert {r[0]: int(r[1]) for r in rows[1:]} == expected, url
