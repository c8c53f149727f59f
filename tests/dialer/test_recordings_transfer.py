"""A recorded customer sent to a queue: the first call's recording stops when that call ends for its agent
(StopMixMonitor: the customer is still there) and is tied to the first record; the queue records the rest under
its own record, by its own policy; never two MixMonitors on the customer's channel at once."""

from __future__ import annotations

import wave

from dialer import recordings_store as store
from dialer.engine_api import DispositionInput
from dialer.recordings import RecordingPolicy
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_transfer_queue import SPEED, TALKS_LONG, desk, until  # noqa: F401  (a fixture)


async def test_a_customer_sent_to_a_queue_has_one_recording_per_record(services, desk, db_pool, tmp_path) -> None:  # noqa: F811
    scenario, queue = desk
    ann, bob = scenario.agent_ids
    services.settings.recordings_dir = tmp_path / "recordings"
    await store.save_policy(db_pool, "campaign", scenario.campaign.id, RecordingPolicy("all"))
    await store.save_policy(db_pool, "queue", queue.id, RecordingPolicy("all"))
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3, customer_model=TALKS_LONG),
                          engine_id="rec-transfer", tick_s=0.5) as system:
        engine = system.engine
        assert system.sim is not None
        await until(lambda: scenario.campaign.id in engine.campaigns)
        for agent in (ann, bob):
            await engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in (ann, bob)))
        await engine.agent_pause(bob, "break")
        await until(lambda: engine.agent_state(bob)["state"] == "paused")
        lead = await engine.preview_next(ann)
        first = int(await engine.preview_dial(ann, lead["lead_id"]))  # type: ignore[index]
        await until(lambda: first in engine.recordings.active)
        leg = engine.calls[first].leg_id
        second = await engine.transfer_to_queue(ann, queue_id=queue.id)
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up")
        await until(lambda: engine.recordings.active == {})
        channel = next(ch for ch in system.sim.channels() if ch.uniqueid == leg)
        await until(lambda: not channel.mixmonitor)          # stopped while the customer holds for the queue
        await engine.set_disposition(ann, DispositionInput(str(first), "sale"))
        await engine.agent_ready(bob)
        await until(lambda: engine.agent_state(bob)["state"] == "on_call")
        await until(lambda: second in engine.recordings.active)
        assert channel.mixmonitor
        await engine.hangup(bob)
        await until(lambda: engine.agent_state(bob)["state"] == "wrap_up")
        await until(lambda: engine.recordings.active == {})
    assert [uid for uid, _ in system.sim.recordings] == [leg, leg]       # one after the other, never together
    rows = {r["call_record_id"]: r for r in await store.search(db_pool, store.Search())}
    assert set(rows) == {first, second} and rows[second]["queue_id"] == queue.id
    for call_id in (first, second):
        with wave.open(str(tmp_path / "recordings" / rows[call_id]["file_path"])) as wav:
            assert wav.getnframes() / wav.getframerate() == rows[call_id]["duration_s"]
