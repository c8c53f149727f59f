"""Call recording on a real Asterisk running the shipped dialplan and manager user, with the engine in this process:
the campaign records all its calls; the agent's call gets MixMonitor on the customer leg, the agent pauses it for a
payment and resumes it (MixMonitorMute both 1 / 0, seen as Asterisk's events on that leg), then hangs up. With
``DIALER_TEST_MONITOR_DIR`` (the Asterisk's ``astspooldir/monitor``, readable here) the engine reads the file Asterisk
wrote: the row's size and length are the file's, and the file is digital silence over the pause."""

from __future__ import annotations

import asyncio
import os
import wave
from pathlib import Path

import pytest

from campaigns.model import DialMode
from dialer import recordings_store as store
from dialer.recordings import RecordingPolicy
from dialer.settings import AmiServer
from dialer.system import run_system
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, event
from tests.live_asterisk.conftest import customer_number
from tests.live_asterisk.live_system import campaign_on_test_network
from tests.live_asterisk.test_live_supervise import agent_on_a_preview_call, leave_nothing_behind
from tests.live_asterisk.test_live_transfer_hold import until

MONITOR = os.environ.get("DIALER_TEST_MONITOR_DIR", "")


async def test_a_real_call_is_recorded_and_paused_for_a_payment(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    live = await campaign_on_test_network(services.pool, numbers=[customer_number(1, ring_s=1, stay_s=60, serial=71)],
                                          agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                          name="live-recording", amd=False)
    (agent,) = live.agents
    await store.save_policy(services.pool, "campaign", live.campaign.id, RecordingPolicy("all"))
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    if MONITOR:
        services.settings.recordings_dir = Path(MONITOR)
    async with run_system(services, engine_id="live-recording", tick_s=0.5) as system:
        engine = system.engine
        try:
            call_id = await agent_on_a_preview_call(engine, live.campaign.id, agent)
            leg = engine.calls[call_id].leg_id
            await watch.wait_for(event("MixMonitorStart", Uniqueid=leg), timeout_s=10)
            await asyncio.sleep(1.0)
            assert await engine.recording_pause(agent, True) == {"active": True, "paused": True}
            muted = await watch.wait_for(event("MixMonitorMute", Uniqueid=leg, State="1"), timeout_s=5)
            assert muted.get("Direction") == "both"
            await asyncio.sleep(2.0)
            assert await engine.recording_pause(agent, False) == {"active": True, "paused": False}
            await watch.wait_for(event("MixMonitorMute", Uniqueid=leg, State="0"), timeout_s=5)
            await asyncio.sleep(1.0)
            await engine.hangup(agent)
            await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", what="the call over")
            await until(lambda: engine.recordings.active == {}, what="the recording closed")
            assert engine.errors == []
        finally:
            await leave_nothing_behind(engine, agent, watch)
    (found,) = [r for r in await store.search(services.pool, store.Search()) if r["call_record_id"] == call_id]
    assert [e["action"] for e in found["pauses"]] == ["pause", "resume"]
    paused_at, resumed_at = (e["offset_s"] for e in found["pauses"])
    if not MONITOR:
        pytest.skip("DIALER_TEST_MONITOR_DIR not set: the file Asterisk wrote is not readable here")
    path = Path(MONITOR) / found["file_path"]
    try:
        with wave.open(str(path)) as wav:
            rate = wav.getframerate()
            samples = memoryview(wav.readframes(wav.getnframes())).cast("h")
        assert found["size_bytes"] == path.stat().st_size
        gap = samples[int((paused_at + 0.2) * rate): int((resumed_at - 0.2) * rate)]
        assert len(gap) > 1.2 * rate and not any(gap)          # the payment: digital silence
    finally:
        path.unlink(missing_ok=True)
