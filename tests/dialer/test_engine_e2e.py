"""End to end: a predictive campaign on the simulated PBX over TCP, on accelerated time.

2,000 leads (some on the DNC list, some outside their calling window now), 10 virtual agents. Every lead
ends final or with a retry scheduled; abandonment stays within 3 %; the PBX's own log of originates has
no DNC number and no number outside its window; the call records agree with the PBX call by call.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import asyncpg
import pytest
import redis

from dialer.aio import wait_within
from dialer.clock import RealClock
from dialer.services import Services
from dialer.settings import load_settings
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.virtual_agents import VirtualAgents
from tests.dialer.engine_process import timeline_env

SPEED = 50.0
LEADS = 1000          # enough for the abandonment figure and a crash with calls in flight; CI time counts
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


async def what_is_left(pool: asyncpg.Pool, campaign_id: int, now) -> list[dict]:  # type: ignore[no-untyped-def]
    """What ``leads_left`` counts, row by row: for a failure message."""
    leads = await pool.fetch(
        "SELECT id, status, attempts, next_attempt_at, claimed_by FROM leads WHERE campaign_id = $1 AND (status ="
        " 'claimed' OR (status IN ('new', 'retry', 'callback') AND (next_attempt_at IS NULL OR next_attempt_at <= $2)))",
        campaign_id, now)
    calls = await pool.fetch("SELECT id, lead_id, engine_id, leg_id, originated_at, answered_at, connected_at"
                             " FROM call_records WHERE outcome IS NULL")
    return [dict(r) for r in leads] + [{"in flight": dict(r)} for r in calls]


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
    scenario = await build_scenario(db_pool, leads=LEADS, agents=10, now=services.clock.now())
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
    assert sum(states.values()) == LEADS and states.get("claimed", 0) == 0, states
    assert states.get("dnc", 0) == len(scenario.dnc_numbers)
    # the PBX never saw a DNC number or a number outside its window
    dialled_list = [o.channel.split("/", 1)[1].split("@", 1)[0] for o in originates if "@carrier" in o.channel]
    dialled = set(dialled_list)
    assert len(dialled_list) == len(dialled), "a number was originated twice"
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
    assert answers > LEADS * 0.15
    assert abandons / answers <= 0.03, f"{abandons} abandons of {answers} live answers"


async def start_engine_process(env: dict[str, str], campaign_id: int, agent_ids: list[int]) -> asyncio.subprocess.Process:
    script = Path(__file__).with_name("engine_process.py")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(campaign_id), *map(str, agent_ids), env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert process.stdout is not None
    seen = []
    while True:  # log lines (a recovery report, say) may come first
        line = await wait_within(process.stdout.readline(), timeout=60)
        seen.append(line)
        assert line, b"".join(seen)
        if b"engine up" in line:
            break
    output = bytearray(b"".join(seen))
    asyncio.get_running_loop().create_task(_drain(process.stdout, output))
    process.output = output  # type: ignore[attr-defined]
    return process


async def _drain(stream: asyncio.StreamReader, into: bytearray) -> None:
    while line := await stream.readline():
        into += line


async def stop_engine_process(process: asyncio.subprocess.Process, timeout_s: float = 30.0) -> None:
    """SIGTERM, as a supervisor; if it has not exited in time, ask it for its stacks and fail with its output."""
    process.send_signal(signal.SIGTERM)
    try:
        await wait_within(process.wait(), timeout=timeout_s)
    except TimeoutError:
        process.send_signal(signal.SIGUSR2)   # asyncio tasks
        process.send_signal(signal.SIGUSR1)   # threads
        await asyncio.sleep(2)
        process.kill()
        await process.wait()
        tail = bytes(process.output[-20000:]).decode(errors="replace")  # type: ignore[attr-defined]
        raise AssertionError(f"the engine did not stop within {timeout_s}s of SIGTERM:\n{tail}") from None


@pytest.mark.slow
async def test_an_engine_killed_halfway_loses_no_lead_and_dials_none_twice(db_pool, database_url, redis_url,
                                                                          tmp_path, build_scenario) -> None:
    clock = RealClock(speed=SPEED)
    scenario = await build_scenario(db_pool, leads=LEADS, agents=10, now=clock.now(), seed=8)
    sim = SimulatedPbx(PbxConfig(speed=SPEED, seed=4, customer_model=MODEL))
    await sim.start(host="127.0.0.1", port=0)
    servers = [{"name": "sim", "host": "127.0.0.1", "port": sim.port, "username": sim.config.username,
                "secret": sim.config.secret, "max_channels": 500}]
    env = {"DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url, "DIALER_DATA_DIR": str(tmp_path),
           "DIALER_SPEED": str(SPEED), "DIALER_AMI_SERVERS": json.dumps(servers), "DIALER_ENGINE_ID": "crash-e2e",
           # both engines on the test's timeline: a restarted engine whose clock began at its own start stood
           # minutes behind the dead one's records, so its adopted calls looked placed after any channel listing
           # and the reconcile after adoption passed over them (a hang-up lost in the adoption stayed lost)
           **timeline_env(clock)}
    try:
        first = await start_engine_process(env, scenario.campaign.id, scenario.agent_ids)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # about half the list worked
            done = await db_pool.fetchval("SELECT count(*) FROM call_records WHERE campaign_id = $1 AND outcome IS NOT NULL",
                                          scenario.campaign.id)
            if done >= LEADS * 0.45:
                break
            await asyncio.sleep(0.2)
        first.kill()  # SIGKILL: no clean-up of any kind
        await first.wait()
        in_flight_at_crash = await db_pool.fetchval("SELECT count(*) FROM call_records WHERE outcome IS NULL")
        # each milestone is on the record when it happens: the conversations going on are known
        talking_at_crash = await db_pool.fetchval(
            "SELECT count(*) FROM call_records WHERE outcome IS NULL AND connected_at IS NOT NULL")
        old_agent_legs = {r["leg_id"] for r in await db_pool.fetch("SELECT leg_id FROM agent_sessions")}
        second = await start_engine_process(env, scenario.campaign.id, scenario.agent_ids)
        try:
            left = await wait_until_worked(db_pool, scenario.campaign.id, clock=clock, timeout_s=240, errors=[])
        finally:
            await stop_engine_process(second)
            # pytest shows a test's captured output when it fails: the restarted engine's log explains the failure
            print("--- the restarted engine's output ---\n" + bytes(second.output).decode(errors="replace"))  # type: ignore[attr-defined]
        originates = list(sim.originate_log)
        live_legs = {ch.uniqueid for ch in sim.channels()}
        on_the_pbx = [(ch.uniqueid, ch.name, ch.state, ch.context, ch.exten, ch.bridge and ch.bridge.conference)
                      for ch in sim.channels()]
    finally:
        await sim.stop()
    assert in_flight_at_crash > 0, "the crash should catch calls in flight"
    if left:    # in full (an assertion's message is cut short): what is left, and what the PBX still holds
        print("left:", await what_is_left(db_pool, scenario.campaign.id, clock.now()), "\non the PBX:", on_the_pbx)
    assert left == 0
    states = await lead_states(db_pool, scenario.campaign.id)
    assert sum(states.values()) == LEADS and states.get("claimed", 0) == 0, states
    customer = [o for o in originates if "@carrier" in o.channel]
    dialled = [o.channel.split("/", 1)[1].split("@", 1)[0] for o in customer]
    twice = sorted({n for n in dialled if dialled.count(n) > 1})
    assert not twice, f"originated twice: {twice}"
    assert not {n.lstrip("+") for n in scenario.dnc_numbers} & set(dialled)
    assert not {n.lstrip("+") for n in scenario.outside_numbers} & set(dialled)
    records = await db_pool.fetch("SELECT leg_id, outcome, detail, agent_id, connected_at, ready_at"
                                  " FROM call_records WHERE campaign_id=$1", scenario.campaign.id)
    assert all(r["outcome"] is not None for r in records)
    # a customer who talked with an agent is recorded as handled by that agent, never as failed (re-dialled)
    assert all(r["agent_id"] is not None for r in records if r["outcome"] == "handled")
    assert not [r for r in records if r["connected_at"] is not None and r["outcome"] != "handled"]
    assert all(r["ready_at"] is not None for r in records if r["outcome"] in ("handled", "abandoned"))
    # every call placed has its record; a record whose originate the crash cut off (it is written first)
    # was one of those in flight at the crash, and is closed as failed by the restart
    originated = {o.channel_id for o in customer}
    assert originated <= {r["leg_id"] for r in records}
    never_sent = [r for r in records if r["leg_id"] not in originated]
    assert len(never_sent) <= in_flight_at_crash
    assert all(r["outcome"] == "failed" and "restarted" in r["detail"] for r in never_sent), never_sent
    # the dead engine's agents were signed out and their phone legs hung up, except those still talking with
    # a customer: the restarted engine adopted them with their call (the conversation was never cut)
    assert len(old_agent_legs) == 10
    assert len(old_agent_legs & live_legs) <= talking_at_crash
    adopted = [r for r in records if "adopted" in r["detail"]]
    assert len(adopted) <= talking_at_crash
    assert all(r["outcome"] == "handled" and r["agent_id"] is not None for r in adopted)
