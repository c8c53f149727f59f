"""Announcements while inbound callers hold (issue 15), on the simulated PBX over TCP: every N seconds a caller no
agent can take hears its place and estimated wait (``dialer-inbound,announce``) and holds again; a caller an agent
can take is connected and hears none."""

from __future__ import annotations

from campaigns import queue_repository
from campaigns.model import DialMode
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_inbound_limits import QUIET, finished, save, until, var_set, witness_for

SPEED = 20.0
DID = "+842873001234"


async def test_a_caller_behind_a_busy_agent_hears_its_place_and_wait_every_n_seconds_then_is_answered(
        services, build_scenario, db_pool) -> None:  # type: ignore[no-untyped-def]
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    team = await build_scenario(db_pool, leads=2, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)
    ann = team.agent_ids[0]
    queue = await save(db_pool, name="Hotline", dids=[DID], announce_every_s=15, announce_position=True,
                       announce_wait=True)
    await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={ann: 5})
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=31, customer_model=QUIET),
                          engine_id="announce", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: team.campaign.id in engine.campaigns)
        await engine.agent_login(ann, team.campaign.id, phone_dial_string=virtual_phone(ann))
        await until(lambda: engine.agent_state(ann)["state"] == "ready")
        witness = await witness_for(sim)
        try:
            first = sim.inject_inbound(caller="+15550008001", did=DID, patience_s=600.0, talk_s=40.0)
            await until(lambda: engine.agent_state(ann)["state"] == "on_call")
            second = sim.inject_inbound(caller="+15550008002", did=DID, patience_s=600.0, talk_s=2.0)
            played = await witness.wait_for(lambda m: m.event == "VarSet" and m.get("Channel") == second
                                            and m.get("Variable") == "PLAYBACKSTATUS", timeout=20)
            back = await witness.wait_for(lambda m: m.event == "MusicOnHoldStart" and m.get("Channel") == second
                                          and m.get("Exten") == "announce", timeout=10)
            for _ in range(2):
                await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", timeout_s=40)
                call_id = engine.agent_state(ann)["call"]["call_id"]
                await engine.set_disposition(ann, DispositionInput(call_id, "resolved"))
                await until(lambda: engine.agent_state(ann)["state"] in ("ready", "on_call"))
            rows = await finished(db_pool, 2)
            messages = var_set(witness, second, "DIALER_ANN_MSG")
            first_messages = var_set(witness, first, "DIALER_ANN_MSG")
        finally:
            await witness.close()
    assert engine.errors == []
    assert played.get("Value") == "SUCCESS" and played.get("Exten") == "announce" and back is not None
    # about 40 s behind the first caller's talk: 2 announcements at 15 and 30 s; it is next in line
    assert 1 <= len(messages) <= 3, messages
    assert all(m.startswith("queue-youarenext&queue-holdtime&") for m in messages), messages
    assert first_messages == []                  # connected at once: never announced to
    assert [r["outcome"] for r in rows] == ["handled", "handled"]
