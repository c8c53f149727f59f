"""Done when (issue 18): time sheets for a simulated day of 20 virtual agents add up: ready + talk + wrap-up +
pauses (+ reserved and the phone connecting) = logged-in time for every agent, to the second.

The engine on the simulated PBX over TCP, on accelerated time, 20 virtual agents taking a predictive
campaign's calls; a supervisor of the test pauses agents for lunch, a break or training and signs some out (the
virtual agents sign in again). The shift runs from 23:40 to 00:10 in the sheet's zone (the clock starts
there): it is split at midnight, and both days add up.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import redis

from campaigns import repository as campaigns_repo
from dialer import timesheet_repository
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput, EngineError
from dialer.services import Services
from dialer.settings import load_settings
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.virtual_agents import VirtualAgents

SPEED = 120.0
ZONE = "Asia/Ho_Chi_Minh"
SHIFT_S = 30 * 60                   # 23:40 to 00:10 local: across the midnight
AGENTS = 20
MODEL = CustomerModel(connect_rate=0.5, machine_rate=0.05, busy_rate=0.10, congestion_rate=0.02,
                      invalid_rate=0.02, ring=LogNormal(5.0, 0.4), talk=LogNormal(40.0, 0.5),
                      patience=LogNormal(8.0, 0.5), no_answer_s=15.0)
REASONS = ("lunch", "break", "training")


class ShiftClock(RealClock):
    """Accelerated time starting at ``wall0`` (a moment before a local midnight), as ``SharedTimeline`` does."""

    def __init__(self, *, speed: float, wall0: datetime) -> None:
        super().__init__(speed=speed)
        self._wall0 = wall0


async def sign_everyone_out(engine, agent_ids: list[int], clock) -> None:  # type: ignore[no-untyped-def]
    """The end of the shift: each agent finishes its call and wrap-up (a disposition) and signs out."""
    for _ in range(400):
        left = [u for u in agent_ids if engine.agent_state(u)["state"] != "logged_out"]
        if not left:
            return
        for user_id in left:
            view = engine.agent_state(user_id)
            try:
                if view["state"] == "wrap_up" and view.get("call"):
                    await engine.set_disposition(user_id, DispositionInput(view["call"]["call_id"], "not_interested"))
                await engine.agent_logout(user_id)     # on a call: once it ends
            except EngineError:
                pass
        await clock.sleep(2.0)
    raise AssertionError(f"still signed in: {left}")


async def cheap_agents(pool, campaign_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    """AGENTS agent users on the campaign (no password hashing: they never sign in with one)."""
    rows = await pool.fetch("INSERT INTO users (username, role, password_hash) SELECT 'ts-agent-' || n, 'agent',"
                            " 'no-password' FROM generate_series(1, $1) AS n RETURNING id", AGENTS)
    ids = [r["id"] for r in rows]
    async with pool.acquire() as conn:
        await campaigns_repo.set_campaign_agents(conn, campaign_id=campaign_id, user_ids=ids)
    return ids


async def supervise(engine, agent_ids: list[int], clock, rng: random.Random, signed_out: dict[int, int]) -> None:  # type: ignore[no-untyped-def]
    """Pauses a random agent now and then for a while (lunch, break, training) and sometimes signs one out."""
    async def pause_for(user_id: int, reason: str, seconds: float) -> None:
        try:
            await engine.agent_pause(user_id, reason)        # on a call: paused once its wrap-up is done
            await clock.sleep(seconds)
            if engine.agent_state(user_id)["state"] == "paused":
                await engine.agent_ready(user_id)
        except EngineError:
            pass                                            # signed out meanwhile, or the phone not in yet

    tasks = []
    try:
        while True:
            await clock.sleep(rng.uniform(10, 40))
            user_id = rng.choice(agent_ids)
            if rng.random() < 0.15:
                # ready or paused: signed out at once (on a call the sign-out waits for the wrap-up, and a pause
                # asked meanwhile replaces it: once in CI an agent counted as signed out never was)
                if engine.agent_state(user_id)["state"] in ("ready", "paused"):
                    await engine.agent_logout(user_id)      # the virtual agent signs in again a second later
                    assert engine.agent_state(user_id)["state"] == "logged_out"
                    signed_out[user_id] += 1
            else:
                tasks.append(asyncio.create_task(pause_for(user_id, rng.choice(REASONS), rng.uniform(30, 300))))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.slow
async def test_time_sheets_of_a_simulated_day_of_20_virtual_agents_add_up_to_the_second(
        db_pool, database_url, redis_url, tmp_path, build_scenario) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(None, mode="development", secret_key="k" * 32, data_dir=tmp_path, speed=SPEED,
                             redis_url=redis_url)
    tz = zoneinfo.ZoneInfo(ZONE)
    today = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    start = (today - timedelta(minutes=20)).astimezone(UTC)       # yesterday 23:40 local
    scenario = await build_scenario(db_pool, leads=800, agents=0, now=start)
    agent_ids = await cheap_agents(db_pool, scenario.campaign.id)
    services = Services(settings=settings, pool=db_pool, redis=redis.Redis.from_url(redis_url),
                        clock=ShiftClock(speed=SPEED, wall0=start))   # the shift starts now, at 23:40
    services.extras["database_url"] = database_url
    signed_out = dict.fromkeys(agent_ids, 0)
    wall = time.monotonic()
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=11, customer_model=MODEL),
                          engine_id="timesheets-e2e") as system:
        engine = system.engine
        agents = VirtualAgents(engine, agent_ids, scenario.campaign.id, seed=3, wrap=LogNormal(10.0, 0.4))
        tasks = [asyncio.create_task(agents.run()),
                 asyncio.create_task(supervise(engine, agent_ids, services.clock, random.Random(5),
                                               signed_out))]
        try:
            await services.clock.sleep(SHIFT_S)
            tasks[1].cancel()                   # no more sign-outs; one just made is followed by its sign-in
            await asyncio.gather(tasks[1], return_exceptions=True)
            await services.clock.sleep(60.0)     # a sign-out put off until a call's wrap-up is done, too
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await sign_everyone_out(engine, agent_ids, services.clock)
        for _ in range(500):
            if not engine.history.pending and not engine.history.writing:
                break
            await asyncio.sleep(0.01)
        end = services.clock.now()
        assert engine.errors == []
    wall = time.monotonic() - wall

    first_day = start.astimezone(tz).date()
    sheet = await timesheet_repository.read_sheet(db_pool, zone=ZONE, day_from=first_day,
                                                  day_to=first_day + timedelta(days=1), now=end)
    days = [d for d in sheet.days if d.user_id in signed_out]
    assert {d.user_id for d in days} == set(agent_ids)
    for day in days:   # the rule, to the second, for every agent and day
        assert day.parts["ready"] + day.parts["talk"] + day.parts["wrap_up"] + day.paused_s + day.parts["reserved"] \
            + day.parts["connecting"] == day.logged_in_s, day
        assert day.parts["unspecified"] == 0                # every segment says what the agent was doing
        assert day.last_logout is not None                  # all signed out at the end
    assert len(days) == 2 * AGENTS                          # the shift crossed the local midnight: two days each
    for second in (d for d in days if d.day != first_day):
        assert second.first_login.strftime("%H:%M:%S") == "00:00:00"

    # each sign-in is one unbroken stretch: the logged-in time is the history's span from sign-in to sign-out
    rows = await db_pool.fetch("SELECT user_id, started_at, ended_at FROM agent_history ORDER BY user_id, started_at")
    for user_id in agent_ids:
        mine = [r for r in rows if r["user_id"] == user_id]
        stretches = 1 + sum(1 for a, b in itertools.pairwise(mine) if b["started_at"] != a["ended_at"])
        assert stretches == 1 + signed_out[user_id], (user_id, stretches, signed_out[user_id])
        whole = sum(int((r["ended_at"].replace(microsecond=0) - r["started_at"].replace(microsecond=0))
                        .total_seconds()) for r in mine)
        assert sum(d.logged_in_s for d in days if d.user_id == user_id) == whole

    # the figures agree with the call records: calls talked on, and talk time within the engine's event latency
    records = await db_pool.fetch("SELECT agent_id, connected_at, ended_at FROM call_records"
                                  " WHERE agent_id IS NOT NULL AND connected_at IS NOT NULL")
    assert sum(d.calls for d in days) == len(records) > AGENTS * 5
    talk_records = sum((r["ended_at"] - r["connected_at"]).total_seconds() for r in records)
    talk_sheet = sum(d.parts["talk"] for d in days)
    assert abs(talk_sheet - talk_records) <= 0.05 * talk_records, (talk_sheet, talk_records)
    paused = {reason for d in days for reason in d.paused}
    assert set(REASONS) <= paused
    assert sum(d.parts["wrap_up"] for d in days) > 0 and sum(d.parts["ready"] for d in days) > 0
    print(f"time sheets e2e: {SHIFT_S / 60:.0f} simulated min in {wall:.1f} s wall, "
          f"{len(records)} calls, {sum(signed_out.values())} sign-outs")
