"""A queue's music-on-hold class reaches its callers (``moh_class``), on the simulated PBX over TCP: the
engine sets ``DIALER_MOH`` on a caller that waits in a queue whose class is not ``default`` and Redirects it
to ``dialer-inbound,hold``, where ``StartMusicOnHold(${DIALER_MOH})`` plays that class (recording r1); a
caller an agent takes at once is never redirected to hold; an overflowed caller hears the next queue's
class."""

from __future__ import annotations

from campaigns import queue_repository
from campaigns.model import DialMode
from dialer.clock import RealClock
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.pbx.probe import AmiProbe
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_inbound_limits import QUIET, save, until, var_set, witness_for

SPEED = 20.0
JAZZ_DID = "+842873001234"
PLAIN_DID = "+842873005678"
CLASSES = frozenset({"default", "jazz"})
TALKS_LONG = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0,
                           invalid_rate=0.0, ring=LogNormal(1.0, 0.1), talk=LogNormal(600.0, 0.1),
                           patience=LogNormal(600.0, 0.1), no_answer_s=15.0)


def music(probe: AmiProbe, channel: str) -> list[tuple[str, str]]:
    """Each MusicOnHoldStart of ``channel``: (the extension it started in, its Class)."""
    return [(m.get("Exten"), m.get("Class")) for m in probe.events
            if m.event == "MusicOnHoldStart" and m.get("Channel") == channel]


async def test_waiting_callers_hold_in_their_queues_class_and_one_taken_at_once_is_not_redirected_to_hold(
        services, build_scenario, db_pool) -> None:  # type: ignore[no-untyped-def]
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    team = await build_scenario(db_pool, leads=2, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)
    ann = team.agent_ids[0]
    jazz = await save(db_pool, name="Jazz line", dids=[JAZZ_DID], moh_class="jazz")
    plain = await save(db_pool, name="Plain line", dids=[PLAIN_DID])
    assert plain.moh_class == "default"
    for queue in (jazz, plain):
        await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={ann: 5})
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=41, customer_model=QUIET,
                                                         moh_classes=CLASSES),
                          engine_id="queue-moh", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: team.campaign.id in engine.campaigns)
        await engine.agent_login(ann, team.campaign.id, phone_dial_string=virtual_phone(ann))
        await until(lambda: engine.agent_state(ann)["state"] == "ready")
        witness = await witness_for(sim)
        try:
            at_once = sim.inject_inbound(caller="+15550009001", did=JAZZ_DID, patience_s=600.0, talk_s=60.0)
            await until(lambda: engine.agent_state(ann)["state"] == "on_call")
            waits = sim.inject_inbound(caller="+15550009002", did=JAZZ_DID, patience_s=600.0, talk_s=2.0)
            await witness.wait_for(lambda m: m.event == "MusicOnHoldStart" and m.get("Channel") == waits
                                   and m.get("Exten") == "hold", timeout=10)
            plain_caller = sim.inject_inbound(caller="+15550009003", did=PLAIN_DID, patience_s=600.0,
                                              talk_s=2.0)
            await witness.wait_for(lambda m: m.event == "MusicOnHoldStart"
                                   and m.get("Channel") == plain_caller, timeout=10)
            await until(lambda: sum(1 for c in engine.calls.values()
                                    if c.inbound and c.state.value == "waiting") == 2)
            heard = {name: music(witness, channel) for name, channel in
                     (("at once", at_once), ("waits", waits), ("plain", plain_caller))}
            moh_vars = {name: var_set(witness, channel, "DIALER_MOH") for name, channel in
                        (("at once", at_once), ("waits", waits), ("plain", plain_caller))}
        finally:
            await witness.close()
    assert engine.errors == []
    # the jazz caller nobody could take: default at its DID (before its queue is known), then jazz at `hold`
    assert heard["waits"] == [(JAZZ_DID.lstrip("+"), "default"), ("hold", "jazz")]
    assert moh_vars["waits"] == ["jazz"]
    # the plain queue's caller holds in default where it arrived: nothing set, no Redirect
    assert heard["plain"] == [(PLAIN_DID.lstrip("+"), "default")] and moh_vars["plain"] == []
    # the jazz caller ann took at once: never redirected to hold, its class never set (it hears no music)
    assert all(exten != "hold" for exten, _ in heard["at once"]) and moh_vars["at once"] == []


async def test_an_overflowed_caller_hears_the_next_queues_class(services, build_scenario, db_pool) -> None:  # type: ignore[no-untyped-def]
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    team = await build_scenario(db_pool, leads=2, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)
    ann = team.agent_ids[0]
    second = await save(db_pool, name="Second line")        # default class, nobody signed in serves it
    first = await save(db_pool, name="Jazz line", dids=[JAZZ_DID], moh_class="jazz", max_wait_s=20,
                       overflow_action="queue", overflow_queue_id=second.id)
    await queue_repository.set_queue_agents(db_pool, queue_id=first.id, levels={ann: 5})
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=42, customer_model=QUIET,
                                                         moh_classes=CLASSES),
                          engine_id="queue-moh-overflow", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        witness = await witness_for(sim)
        try:
            caller = sim.inject_inbound(caller="+15550009004", did=JAZZ_DID, patience_s=600.0, talk_s=2.0)
            await witness.wait_for(lambda m: m.event == "MusicOnHoldStart" and m.get("Channel") == caller
                                   and m.get("Class") == "jazz", timeout=10)
            # 20 s in the jazz queue (1 s of real time), then the second queue's default class
            await witness.wait_for(lambda m: m.event == "MusicOnHoldStart" and m.get("Channel") == caller
                                   and m.get("Class") == "default" and m.get("Exten") == "hold", timeout=10)
            heard, moh_vars = music(witness, caller), var_set(witness, caller, "DIALER_MOH")
        finally:
            await witness.close()
    assert engine.errors == []
    assert heard == [(JAZZ_DID.lstrip("+"), "default"), ("hold", "jazz"), ("hold", "default")]
    assert moh_vars == ["jazz", ""]


async def test_a_customer_transferred_to_a_queue_holds_in_its_class_from_the_start_without_a_second_redirect(
        services, build_scenario, db_pool) -> None:  # type: ignore[no-untyped-def]
    """The transfer sets ``DIALER_MOH`` before its Redirect into ``dialer-inbound``: the hold at the queue's
    DID starts in the queue's class, and no Redirect to ``hold`` follows."""
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    team = await build_scenario(db_pool, leads=2, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)
    ann, bob = team.agent_ids
    jazz = await save(db_pool, name="Jazz line", dids=[JAZZ_DID], moh_class="jazz")
    await queue_repository.set_queue_agents(db_pool, queue_id=jazz.id, levels={bob: 5})
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=43, customer_model=TALKS_LONG,
                                                         moh_classes=CLASSES),
                          engine_id="queue-moh-transfer", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: team.campaign.id in engine.campaigns)
        await engine.agent_login(ann, team.campaign.id, phone_dial_string=virtual_phone(ann))
        await until(lambda: engine.agent_state(ann)["state"] == "ready")
        witness = await witness_for(sim)
        try:
            lead = await engine.preview_next(ann)
            assert lead is not None
            first = int(await engine.preview_dial(ann, lead["lead_id"]))
            await until(lambda: engine.agent_state(ann)["state"] == "on_call")
            channel = next(ch.name for ch in sim.channels() if ch.uniqueid == engine.calls[first].leg_id)
            await engine.transfer_to_queue(ann, queue_id=jazz.id)    # bob is not signed in: it holds
            await witness.wait_for(lambda m: m.event == "MusicOnHoldStart" and m.get("Channel") == channel,
                                   timeout=10)
            await until(lambda: engine.agent_state(ann)["state"] == "wrap_up")
            heard, moh_vars = music(witness, channel), var_set(witness, channel, "DIALER_MOH")
        finally:
            await witness.close()
    assert engine.errors == []
    assert heard == [(JAZZ_DID.lstrip("+"), "jazz")] and moh_vars == ["jazz"]
