"""``dialer demo`` on a real Asterisk: its dial strings come from the settings, or it refuses to start."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from campaigns import repository as campaigns_repo
from dialer.demo import DEMO_CAMPAIGN, DemoPhones, demo_phones, seed_demo
from dialer.errors import SettingsError
from dialer.settings import load_settings
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.virtual_agents import VirtualAgents

TEST_NETWORK = DemoPhones("Local/{digits}@dialer-test-network", "Local/agent-{agent_id}@dialer-test-network")
ASTERISK = json.dumps([{"name": "pbx1", "host": "127.0.0.1", "port": 1, "secret": "s"}])


def test_on_a_real_asterisk_the_demo_needs_both_dial_string_templates() -> None:
    real = load_settings(None, ami_servers=json.loads(ASTERISK))
    with pytest.raises(SettingsError, match="DIALER_TRUNK_TEMPLATE and DIALER_AGENT_PHONE_TEMPLATE"):
        demo_phones(real)
    with pytest.raises(SettingsError, match="needs DIALER_AGENT_PHONE_TEMPLATE:"):
        demo_phones(load_settings(None, ami_servers=json.loads(ASTERISK), trunk_template=TEST_NETWORK.trunk_template))
    phones = demo_phones(load_settings(None, ami_servers=json.loads(ASTERISK), trunk_template=TEST_NETWORK.trunk_template,
                                       agent_phone_template=TEST_NETWORK.agent_phone_template))
    assert phones == TEST_NETWORK and phones.agent_phone(7) == "Local/agent-7@dialer-test-network"
    simulated = demo_phones(load_settings(None))
    assert simulated.agent_phone(7) == "Local/agent-7@sim-agent-phone"


def test_dialer_demo_refuses_a_real_asterisk_without_dial_strings_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "DIALER_AMI_SERVERS": ASTERISK, "DIALER_DATA_DIR": str(tmp_path)}
    for name in ("DIALER_TRUNK_TEMPLATE", "DIALER_AGENT_PHONE_TEMPLATE", "DIALER_CONFIG"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-m", "dialer.cli", "demo"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "DIALER_AGENT_PHONE_TEMPLATE" in result.stderr
    assert not (tmp_path / "postgres").exists()      # refused before starting anything


def test_a_template_with_a_placeholder_that_does_not_exist_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match=r"DIALER_AGENT_PHONE_TEMPLATE: .*unknown placeholder \{endpoint\}"):
        load_settings(None, agent_phone_template="PJSIP/{endpoint}")
    with pytest.raises(SettingsError, match="DIALER_TRUNK_TEMPLATE: .*must contain"):
        load_settings(None, trunk_template="PJSIP/carrier")


async def test_the_demo_campaign_and_its_agents_use_the_configured_dial_strings(services) -> None:  # type: ignore[no-untyped-def]
    setup = await seed_demo(services.pool, now=services.clock.now(), leads=50, virtual_agents=2)
    campaign = await campaigns_repo.find_campaign(services.pool, ref=DEMO_CAMPAIGN)
    assert campaign.trunk_template == "Local/{digits}@carrier"
    again = await seed_demo(services.pool, now=services.clock.now(), leads=50, virtual_agents=2, phones=TEST_NETWORK)
    assert again.campaign_id == setup.campaign_id
    campaign = await campaigns_repo.find_campaign(services.pool, ref=DEMO_CAMPAIGN)
    assert campaign.trunk_template == TEST_NETWORK.trunk_template      # an earlier demo is brought along
    human = await services.pool.fetchrow("SELECT id, phone_dial_string FROM users WHERE username = 'agent'")
    assert human["phone_dial_string"] == f"Local/agent-{human['id']}@dialer-test-network"
    # the last four digits say what the test network does: kinds 1-9 all appear, and numbers are distinct
    numbers = [r["phone_e164"] for r in await services.pool.fetch(
        "SELECT phone_e164 FROM leads WHERE campaign_id = $1", setup.campaign_id)]
    assert len(numbers) == 50 and all(len(n) == 12 and n.startswith("+1") for n in numbers)
    assert {n[-4] for n in numbers} >= {"1", "2", "3", "5"} and "0" not in {n[-4] for n in numbers}


async def test_the_virtual_agents_call_the_phones_the_settings_name(services) -> None:  # type: ignore[no-untyped-def]
    setup = await seed_demo(services.pool, now=services.clock.now(), leads=20, virtual_agents=2, phones=TEST_NETWORK)
    async with run_system(services, sim_config=PbxConfig(speed=20.0, seed=4), engine_id="demo-test") as system:
        engine = system.engine
        deadline = time.monotonic() + 20
        while setup.campaign_id not in engine.campaigns:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        agents = VirtualAgents(engine, setup.virtual_agent_ids, setup.campaign_id, phone=TEST_NETWORK.agent_phone)
        task = asyncio.create_task(agents.run())
        try:
            while not all(engine.agent_state(a)["state"] != "logged_out" for a in setup.virtual_agent_ids):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        phones = {o.channel for o in system.sim.originate_log if o.context == "dialer-agent"}  # type: ignore[union-attr]
    assert phones == {f"Local/agent-{a}@dialer-test-network" for a in setup.virtual_agent_ids}


async def test_an_agent_without_a_phone_of_their_own_is_called_at_the_agent_phone_template(services) -> None:  # type: ignore[no-untyped-def]
    setup = await seed_demo(services.pool, now=services.clock.now(), leads=5, virtual_agents=1)
    bot = setup.virtual_agent_ids[0]
    assert await services.pool.fetchval("SELECT phone_dial_string FROM users WHERE id = $1", bot) == ""
    services.settings.agent_phone_template = "Local/agent-{agent_id}@dialer-test-network"
    async with run_system(services, sim_config=PbxConfig(speed=20.0, seed=4), engine_id="demo-test") as system:
        engine = system.engine
        deadline = time.monotonic() + 20
        while setup.campaign_id not in engine.campaigns:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        await engine.agent_login(bot, setup.campaign_id)
        while engine.agent_state(bot)["state"] != "ready":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        phones = [o.channel for o in system.sim.originate_log if o.context == "dialer-agent"]  # type: ignore[union-attr]
    assert phones == [f"Local/agent-{bot}@dialer-test-network"]


@pytest.mark.slow
async def test_the_demo_is_a_blended_team_with_two_queues_one_vip_fed_by_the_simulated_pbx(services) -> None:  # type: ignore[no-untyped-def]
    """``dialer demo``'s agents also serve a VIP line and a hotline; the simulated PBX sends them callers."""
    from campaigns import queue_repository
    from dialer.clock import RealClock
    from dialer.demo import DEMO_DID, DEMO_VIP_DID, DEMO_VIP_NUMBERS, demo_inbound_streams, seed_demo_queues
    from simulations.pbx.inbound_traffic import InboundTraffic

    speed = 40.0
    services.clock = RealClock(speed=speed)
    services.settings.speed = speed
    setup = await seed_demo(services.pool, now=services.clock.now(), leads=100, virtual_agents=4)
    human = await services.pool.fetchval("SELECT id FROM users WHERE username = 'agent'")
    queues = await seed_demo_queues(services.pool, agent_ids=[human, *setup.virtual_agent_ids])
    assert await seed_demo_queues(services.pool, agent_ids=[human, *setup.virtual_agent_ids]) == queues  # idempotent
    vip = await queue_repository.get_queue(services.pool, queue_id=queues.vip_queue_id)
    hotline = await queue_repository.get_queue(services.pool, queue_id=queues.queue_id)
    assert vip.dids == (DEMO_VIP_DID,) and hotline.dids == (DEMO_DID,) and vip.priority > hotline.priority
    assert set(await queue_repository.vip_numbers(services.pool, queue_id=vip.id)) == set(DEMO_VIP_NUMBERS)
    served = {r["user_id"] for r in await queue_repository.queue_agents(services.pool, queue_id=hotline.id)}
    assert served == {human, *setup.virtual_agent_ids}
    assert {s.did for s in demo_inbound_streams()} == {DEMO_VIP_DID, DEMO_DID}
    async with run_system(services, sim_config=PbxConfig(speed=speed, seed=4), engine_id="demo-blend",
                          tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        agents = VirtualAgents(engine, setup.virtual_agent_ids, setup.campaign_id)
        agent_task = asyncio.create_task(agents.run())
        traffic = InboundTraffic(sim, demo_inbound_streams(), duration_s=10 * 60.0, start_hour=10.0, seed=3)
        traffic.start()
        try:
            deadline = time.monotonic() + 10 * 60.0 / speed + 40
            while True:
                closed = await services.pool.fetchval(
                    "SELECT count(*) FROM call_records WHERE direction = 'inbound' AND outcome IS NOT NULL")
                if traffic.done and closed >= len(traffic.plan):
                    break
                assert time.monotonic() < deadline and not engine.errors, (closed, len(traffic.plan), engine.errors)
                await asyncio.sleep(0.5)
            runner = system.control.runners[setup.campaign_id][0]
        finally:
            await traffic.stop()
            agent_task.cancel()
            await asyncio.gather(agent_task, return_exceptions=True)
    assert engine.errors == []
    assert runner.service_level == (0.90, 20.0)       # the demo campaign paces blended, for the VIP line's target
    rows = await services.pool.fetch("SELECT queue_id, outcome FROM call_records WHERE direction = 'inbound'")
    assert len(rows) == len(traffic.plan) >= 5
    assert {r["queue_id"] for r in rows} == {vip.id, hotline.id}
    # the team's agents answer both lines; with 4 agents also dialling out, some hotline callers (patience
    # from 20 s) may hang up first: the callers are few (7 in these 10 minutes), so "most" means a majority
    handled = [r for r in rows if r["outcome"] == "handled"]
    assert {r["queue_id"] for r in handled} == {vip.id, hotline.id}
    assert len(handled) > len(rows) / 2
    assert {r["outcome"] for r in rows} <= {"handled", "abandoned", "called_back"}   # press 1: called back
