"""A recorded call paused for a card payment, on the real engine and the simulated PBX over TCP.

The campaign records all its calls. The agent's call gets a MixMonitor on the customer leg and a ``recordings``
row; the agent pauses the recording (AMI MixMonitorMute, both directions), the panel's view says so, the agent
resumes it, hangs up. The simulated PBX wrote a real WAV file where the web server reads recordings: digital
silence over the pause, sound on either side; the row has the two timestamped events at the same offsets, the
file's size and length. Only the agent on the call may pause it. A campaign recording none sends no MixMonitor.
"""

from __future__ import annotations

import wave
from typing import Any

import pytest

from campaigns.model import DialMode
from dialer import recordings_store as store
from dialer.clock import RealClock
from dialer.engine_api import EngineError
from dialer.recordings import RecordingPolicy
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone
from tests.admin_ui.test_wallboard_supervision import agent_ready, preview_call, until

SPEED = 8.0
STAYING = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0, invalid_rate=0.0,
                        ring=LogNormal(1.0, 0.0), talk=LogNormal(600.0, 0.0))


async def sim_wait(engine: Any, seconds: float) -> None:
    start = engine.clock.monotonic()
    await until(lambda: engine.clock.monotonic() - start >= seconds)


@pytest.fixture
async def scenario(db_pool, services, tmp_path):  # type: ignore[no-untyped-def]
    from tests.dialer.conftest import build

    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    services.settings.recordings_dir = tmp_path / "recordings"
    return await build(db_pool, leads=3, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW, dnc_share=0.0,
                       outside_share=0.0)


async def test_a_call_paused_for_a_payment_has_silence_there_and_the_gap_on_its_row(services, scenario, tmp_path):
    agent_id, other_id = scenario.agent_ids
    await store.save_policy(services.pool, "campaign", scenario.campaign.id, RecordingPolicy("all"))
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3, customer_model=STAYING),
                          engine_id="rec-e2e", tick_s=0.5) as system:
        engine = system.engine
        await agent_ready(engine, scenario.campaign.id, agent_id)
        call_id = await preview_call(engine, agent_id)
        await until(lambda: (engine.agent_state(agent_id)["call"] or {}).get("recording", {}).get("active") is True)

        with pytest.raises(EngineError, match="no call whose recording"):
            await engine.recording_pause(other_id, True)          # not this agent's call
        await sim_wait(engine, 3.0)
        assert await engine.recording_pause(agent_id, True) == {"active": True, "paused": True}
        assert engine.agent_state(agent_id)["call"]["recording"] == {"active": True, "paused": True}
        await sim_wait(engine, 4.0)
        assert await engine.recording_pause(agent_id, False) == {"active": True, "paused": False}
        await sim_wait(engine, 3.0)
        await engine.hangup(agent_id)
        await until(lambda: engine.agent_state(agent_id)["state"] == "wrap_up")
        await until(lambda: engine.recordings.active == {})

    phone = await services.pool.fetchval("SELECT phone_e164 FROM call_records WHERE id=$1", call_id)
    (row,) = await store.search(services.pool, store.Search(number=phone[-7:]))
    assert row["call_record_id"] == call_id and row["agent_id"] == agent_id
    assert row["file_path"].endswith(f"/call-{call_id}.wav")
    assert [(e["action"], e["by"]) for e in row["pauses"]] == [("pause", agent_id), ("resume", agent_id)]
    paused_at, resumed_at = (e["offset_s"] for e in row["pauses"])
    assert 2.5 < paused_at < 5.0 and 3.5 < resumed_at - paused_at < 6.0
    path = tmp_path / "recordings" / row["file_path"]
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        samples = memoryview(wav.readframes(wav.getnframes())).cast("h")
    assert row["size_bytes"] == path.stat().st_size
    assert row["duration_s"] == pytest.approx(len(samples) / rate)
    margin = int(0.4 * rate)    # the AMI round trip, in simulated time at x8
    gap = samples[int(paused_at * rate) + margin: int(resumed_at * rate) - margin]
    assert len(gap) > 2 * rate and not any(gap)                           # the card number was not recorded
    assert max(samples[: int(paused_at * rate) - margin]) > 1000          # the talk before it was
    assert max(samples[int(resumed_at * rate) + margin:]) > 1000          # and the talk after it


async def test_a_campaign_recording_none_sends_no_mixmonitor_and_the_pause_is_refused(services, scenario):
    agent_id = scenario.agent_ids[0]
    await store.save_policy(services.pool, "campaign", scenario.campaign.id, RecordingPolicy("none"))
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3, customer_model=STAYING),
                          engine_id="rec-none", tick_s=0.5) as system:
        engine = system.engine
        await agent_ready(engine, scenario.campaign.id, agent_id)
        call_id = await preview_call(engine, agent_id)
        await sim_wait(engine, 2.0)
        with pytest.raises(EngineError, match="not being recorded"):
            await engine.recording_pause(agent_id, True)
        assert call_id in engine.recordings.decided and system.sim.recordings == []
        assert engine.agent_state(agent_id)["call"]["recording"] == {"active": False, "paused": False}
        await engine.hangup(agent_id)
    assert await services.pool.fetchval("SELECT count(*) FROM recordings") == 0


async def test_an_inbound_queue_recording_all_records_its_caller_with_the_queue_on_the_row(
        services, scenario, tmp_path) -> None:
    from campaigns import queue_repository
    from campaigns.queues import DAY_NAMES, Queue

    agent_id = scenario.agent_ids[0]
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Payments", "dids": ["+842873001299"], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={agent_id: 5})
    await store.save_policy(services.pool, "queue", queue.id, RecordingPolicy("all", retention_days=7))
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=5, customer_model=STAYING),
                          engine_id="rec-inbound", tick_s=0.5) as system:
        engine = system.engine
        await agent_ready(engine, scenario.campaign.id, agent_id)
        system.sim.inject_inbound(caller="+15550002222", did="+842873001299", patience_s=120.0,  # type: ignore[union-attr]
                                  talk_s=4.0)
        await until(lambda: engine.agent_state(agent_id)["state"] == "on_call")
        await until(lambda: (engine.agent_state(agent_id)["call"] or {}).get("recording", {}).get("active") is True)
        await until(lambda: engine.agent_state(agent_id)["state"] == "wrap_up", timeout_s=15)
        await until(lambda: engine.recordings.active == {})
    (row,) = await store.search(services.pool, store.Search(queue_id=queue.id))
    assert row["phone_e164"] == "+15550002222" and row["queue"] == "Payments" and row["campaign_id"] is None
    assert row["size_bytes"] and (tmp_path / "recordings" / row["file_path"]).is_file()


async def test_after_an_engine_restart_the_recording_is_followed_again_never_started_twice(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    from tests.dialer.test_engine_restart import ENGINE, DoomedEngine, _claim, in_conference, outliving_pbx

    async with outliving_pbx(services, speed=20.0) as sim:
        scenario = await build_scenario(services.pool, leads=2, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        agent = scenario.agent_ids[0]
        await store.save_policy(services.pool, "campaign", scenario.campaign.id, RecordingPolicy("all"))
        (lead,) = await _claim(services, scenario, 1)
        first = DoomedEngine(services, sim, scenario.campaign)
        await first.start()
        await first.engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: first.engine.agent_state(agent)["state"] == "ready")
        call_id = await first.dial(lead)
        leg = first.engine.calls[call_id].leg_id
        await until(lambda: in_conference(sim, leg, agent))
        await until(lambda: call_id in first.engine.recordings.active)
        await first.engine.recording_pause(agent, True)
        await first.kill()
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            await until(lambda: (engine.agent_state(agent)["call"] or {}).get("recording")
                        == {"active": True, "paused": True})        # the panel shows it paused, as it is
            assert await engine.recording_pause(agent, False) == {"active": True, "paused": False}
            await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30)
            await until(lambda: engine.recordings.active == {})
    assert [uid for uid, _ in sim.recordings] == [leg]                  # one MixMonitor for the call, not two
    (row,) = await store.search(services.pool, store.Search(number=lead.phone_e164))
    assert [e["action"] for e in row["pauses"]] == ["pause", "resume"] and row["ended_at"] is not None
