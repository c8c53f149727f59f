"""After an Asterisk restart the engine calls the agents' phones again by itself (a few tries, on its clock)
and the agent's panel says what is happening; an agent who signed out on purpose is left alone. On the
real engine and the simulated PBX over TCP, whose restart hangs up every channel as Asterisk 22 does."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

import pytest

from campaigns.model import DialMode
from dialer.agent_legs import LostLeg, RestorePolicy, cut_by_link_loss
from dialer.clock import RealClock
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone

SPEED = 20.0


async def until(predicate, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_a_cut_phone_is_called_again_three_times_two_four_and_eight_seconds_apart() -> None:
    assert RestorePolicy().delays() == (2.0, 4.0, 8.0)
    with pytest.raises(ValueError):
        RestorePolicy(tries=0)


def test_only_a_leg_lost_shortly_before_its_servers_link_went_down_counts_as_cut_by_the_pbx() -> None:
    lost = LostLeg(agent_id=7, server="pbx1", at=100.0)
    assert cut_by_link_loss(lost, server="pbx1", link_down_at=101.1, window_s=5.0)      # i4: Shutdown 1.1 s later
    assert not cut_by_link_loss(lost, server="pbx1", link_down_at=130.0, window_s=5.0)  # the agent hung up
    assert not cut_by_link_loss(lost, server="pbx2", link_down_at=101.1, window_s=5.0)  # another server


@pytest.fixture
async def preview_campaign(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    return await build_scenario(db_pool, leads=5, agents=3, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)


async def _watch(engine: Any, agent_id: int, seen: dict[int, list[tuple[str, str | None]]]) -> None:
    async for view in engine.subscribe_agent(agent_id):
        step = (view["state"], view.get("phone_notice"))
        if not seen[agent_id] or seen[agent_id][-1] != step:
            seen[agent_id].append(step)


def _notices(steps: list[tuple[str, str | None]]) -> list[str]:
    """The panel notices in the order they appeared."""
    out: list[str] = []
    for _, notice in steps:
        if notice and (not out or out[-1] != notice):
            out.append(notice)
    return out


async def _signed_in(engine: Any, agents: list[int], campaign_id: int) -> None:
    await until(lambda: campaign_id in engine.campaigns)
    for agent_id in agents:
        await engine.agent_login(agent_id, campaign_id, phone_dial_string=virtual_phone(agent_id))
    await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in agents))


async def test_after_an_asterisk_restart_the_agents_phones_are_called_again_and_the_panel_says_so(
        services, preview_campaign) -> None:
    scenario = preview_campaign
    cid = scenario.campaign.id
    stayed, left = scenario.agent_ids[:2], scenario.agent_ids[2]
    seen: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2), engine_id="legs-test",
                          tick_s=0.5) as system:
        engine = system.engine
        await _signed_in(engine, scenario.agent_ids, cid)
        await engine.agent_logout(left)                 # stopped taking calls on purpose before the restart
        watchers = [asyncio.create_task(_watch(engine, a, seen)) for a in scenario.agent_ids]
        await system.sim.faults.restart()               # type: ignore[union-attr]
        await until(lambda: all(engine.agent_state(a).get("phone_notice") == "phone_reconnected" for a in stayed))
        states = {a: engine.agent_state(a) for a in scenario.agent_ids}
        phones = [o.channel for o in system.sim.originate_log if o.context == "dialer-agent"]  # type: ignore[union-attr]
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    assert system.engine.errors == []
    for agent_id in stayed:
        assert states[agent_id]["state"] == "ready"
        assert phones.count(virtual_phone(agent_id)) == 2          # signed in once by hand, once by the engine
        assert _notices(seen[agent_id]) == ["phone_pbx_restarting", "phone_reconnecting", "phone_reconnected"], seen[agent_id]
        assert ("logged_out", "phone_pbx_restarting") in seen[agent_id]   # the panel said why it was signed out
    assert states[left]["state"] == "logged_out" and states[left]["phone_notice"] is None
    assert phones.count(virtual_phone(left)) == 1 and _notices(seen[left]) == []


async def test_the_engine_gives_up_after_three_tries_and_tells_the_agent_to_sign_in_again(
        services, preview_campaign) -> None:
    scenario = preview_campaign
    cid, agent_id = scenario.campaign.id, scenario.agent_ids[0]
    seen: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2), engine_id="legs-test",
                          tick_s=0.5) as system:
        engine = system.engine
        await _signed_in(engine, [agent_id], cid)
        await engine.campaign_pause(cid)                # each try is refused: "this campaign is not running"
        watcher = asyncio.create_task(_watch(engine, agent_id, seen))
        started = time.monotonic()
        await system.sim.faults.restart()               # type: ignore[union-attr]
        await until(lambda: engine.agent_state(agent_id).get("phone_notice") == "phone_gave_up")
        took_s = (time.monotonic() - started) * SPEED
        final = engine.agent_state(agent_id)
        await engine.campaign_start(cid)
        await engine.agent_login(agent_id, cid, phone_dial_string=virtual_phone(agent_id))   # the person, again
        await until(lambda: engine.agent_state(agent_id)["state"] == "ready")
        after = engine.agent_state(agent_id)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    assert final["state"] == "logged_out"
    assert _notices(seen[agent_id]) == ["phone_pbx_restarting", "phone_reconnecting", "phone_gave_up"]
    assert took_s >= 2 + 4 + 8                           # three tries, 2, 4 and 8 s apart on the engine's clock
    assert after["phone_notice"] is None                 # signing in again clears it


async def test_an_agent_cut_in_the_middle_of_a_call_sets_the_disposition_first_then_the_phone_is_called(
        services, preview_campaign) -> None:
    from dialer.engine_api import DispositionInput
    from simulations.call_model import CustomerModel, LogNormal

    answers = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0,
                            invalid_rate=0.0, ring=LogNormal(2.0, 0.1), talk=LogNormal(600.0, 0.05),
                            patience=LogNormal(60.0, 0.1))
    scenario = preview_campaign
    cid, agent_id = scenario.campaign.id, scenario.agent_ids[0]
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2, customer_model=answers),
                          engine_id="legs-test", tick_s=0.5) as system:
        engine = system.engine
        await _signed_in(engine, [agent_id], cid)
        lead = await engine.preview_next(agent_id)
        call_id = await engine.preview_dial(agent_id, lead["lead_id"])
        await until(lambda: engine.agent_state(agent_id)["state"] == "on_call")
        await system.sim.faults.restart()               # type: ignore[union-attr]
        await until(lambda: engine.agent_state(agent_id)["state"] == "wrap_up")
        await asyncio.sleep(2.0)                        # 40 s on the engine's clock: no call while in wrap-up
        during = engine.agent_state(agent_id)
        rung = [o.channel for o in system.sim.originate_log if o.context == "dialer-agent"]  # type: ignore[union-attr]
        await engine.set_disposition(agent_id, DispositionInput(call_id, "call_back"))
        await until(lambda: engine.agent_state(agent_id).get("phone_notice") == "phone_reconnected")
        after = engine.agent_state(agent_id)
        phones = [o.channel for o in system.sim.originate_log if o.context == "dialer-agent"]  # type: ignore[union-attr]
    assert during["state"] == "wrap_up" and during["call"]["call_id"] == call_id
    assert rung.count(virtual_phone(agent_id)) == 1                # not called while the agent wraps up
    assert phones.count(virtual_phone(agent_id)) == 2 and after["state"] == "ready"
