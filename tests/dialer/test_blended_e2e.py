"""End to end, blended: one predictive campaign whose 20 virtual agents also serve two inbound queues (one VIP), on
the simulated PBX over TCP with its own inbound traffic, on accelerated time.

Scaled to keep the run under two minutes of wall time on a loaded 2-core machine: 20x, 30 simulated minutes of
inbound traffic (the issue asks for two hours; ``BLEND_E2E_MINUTES=120`` runs that, with ``--timeout 1400``:
about 7 minutes), talk times of tens of seconds.
Not faster: at 40x the engine's and the virtual agents' own milliseconds became seconds of simulated time (agents
ready late, so answered calls met nobody: 13/383 and 14/375 abandoned in two of four runs on a quiet machine); at
30x and at 20x each quiet run abandoned 8 of about 385, but 30x beside another CI worker 12/375.
Each queue meets its service level (answered within its time over answered plus hung up after it, the README's
rule), outbound abandonment stays within 3 %, no agent ever has two callers in its conference (the PBX's own
witness), every inbound caller the PBX placed ends with exactly one record, answered or abandoned (these queues
set no limits, so nobody is overflowed, sent to voicemail or called back), and VIP callers wait less on average
than the others. Figures are printed (``-s``).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from typing import Any

import pytest

from dialer.clock import RealClock
from dialer.system import run_system
from simulations.call_model import LogNormal
from simulations.pbx import PbxConfig
from simulations.pbx.inbound_traffic import InboundStream, InboundTraffic
from simulations.virtual_agents import VirtualAgents
from tests.dialer.blended_team import (
    MAIN_DID,
    OUTBOUND,
    VIP_DID,
    VIP_NUMBERS,
    ConferenceWitness,
    blended_queues,
    inbound_settled,
    service_level,
)

SPEED = 20.0
# The campaign plans 2.5 % (the pacer spends 95 % of it over 24 hours): the legal 3 % is asserted over a half hour
# that starts from an empty history, about 380 live answers, where a campaign planned at 3 % ends at 7-10 abandons
# (1.8-2.6 %) and chance alone carried a clean-clone CI run to 13/373
CAMPAIGN_ABANDON = 0.025
MINUTES = float(os.environ.get("BLEND_E2E_MINUTES", "30"))
STREAMS = (
    InboundStream(did=VIP_DID, rate_per_hour=[120.0], patience=LogNormal(90.0, 0.6), talk=LogNormal(50.0, 0.5),
                  callers=VIP_NUMBERS),
    InboundStream(did=MAIN_DID, rate_per_hour=[360.0], patience=LogNormal(60.0, 0.6), talk=LogNormal(50.0, 0.5)),
)


@pytest.mark.slow
async def test_a_blended_team_keeps_both_queues_service_levels_and_the_outbound_abandonment_cap(
        db_pool, database_url, services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url      # the DNC checker's own connection
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    scenario = await build_scenario(db_pool, leads=int(3000 * max(1.0, MINUTES / 30)), agents=20,
                                    now=services.clock.now(), seed=15,
                                    dnc_share=0.0, outside_share=0.0, target_abandon=CAMPAIGN_ABANDON)
    vip, main = await blended_queues(db_pool, scenario.agent_ids)
    witness = ConferenceWitness()

    started = time.monotonic()
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=6, customer_model=OUTBOUND),
                          engine_id="blend-e2e", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        sim.on_conference(witness)
        agents = VirtualAgents(engine, scenario.agent_ids, scenario.campaign.id, seed=5, wrap=LogNormal(4.0, 0.3))
        agent_task = asyncio.create_task(agents.run())
        traffic = InboundTraffic(sim, STREAMS, duration_s=MINUTES * 60.0, seed=11)
        try:
            deadline = time.monotonic() + 60
            while sum(1 for a in scenario.agent_ids if engine.agent_state(a)["state"] != "logged_out") < 20:
                assert time.monotonic() < deadline and not engine.errors, "the agents did not sign in"
                await asyncio.sleep(0.1)
            runner = system.control.runners[scenario.campaign.id][0]
            learnt: Counter[str] = Counter()
            observe = runner.pacer.observe

            ready_at_abandon: list[int] = []             # agents ready as each abandon is told: 0 unless late

            def watch(event: Any) -> None:               # what the pacer is told of the inbound side
                learnt[type(event).__name__] += 1
                if type(event).__name__ == "Abandoned":
                    ready_at_abandon.append(sum(1 for a in scenario.agent_ids
                                                if engine.agent_state(a)["state"] == "ready"))
                observe(event)

            runner.pacer.observe = watch  # type: ignore[method-assign]
            traffic.start()
            deadline = time.monotonic() + MINUTES * 60.0 / SPEED + 60
            placed: Counter[tuple[str, str]] = Counter()
            while not (traffic.done and await inbound_settled(db_pool, placed := Counter(
                    (c.arrival.caller, c.arrival.did) for c in traffic.injected))):
                assert time.monotonic() < deadline, "inbound callers left unsettled"
                assert not engine.errors, engine.errors
                await asyncio.sleep(0.5)
            why = engine.board.pacer[scenario.campaign.id].why
        finally:
            await traffic.stop()
            agent_task.cancel()
            await asyncio.gather(agent_task, return_exceptions=True)
    wall = time.monotonic() - started
    assert engine.errors == []
    # the campaign paced blended, with the strictest service level of its agents' queues
    assert runner.service_level == (0.90, 20.0) and runner.blend_queues == {vip.id, main.id}
    assert "reserve" in why and "inbound" in why, why
    assert not witness.two_at_once, witness.two_at_once[:3]
    # every inbound caller the PBX placed has one record, answered or abandoned
    inbound = await db_pool.fetch("SELECT phone_e164, did, queue_id, outcome, waited_s, agent_id FROM call_records"
                                  " WHERE direction = 'inbound'")
    assert Counter((r["phone_e164"], r["did"]) for r in inbound) == placed
    assert {r["outcome"] for r in inbound} <= {"handled", "abandoned"}
    # the pacer learnt of every caller of its agents' queues and of every one answered, once each (the pacer's
    # "on inbound" count is answered less handled: it reads 0 here only because every call has ended)
    answered_inbound = sum(1 for r in inbound if r["outcome"] == "handled")
    assert learnt["InboundArrived"] == len(inbound), learnt
    assert learnt["InboundAnswered"] == answered_inbound, (learnt, answered_inbound)
    assert all(r["agent_id"] is not None for r in inbound if r["outcome"] == "handled")
    by_queue = {q.id: [(r["outcome"], r["waited_s"]) for r in inbound if r["queue_id"] == q.id] for q in (vip, main)}
    sl_vip, sl_main = service_level(by_queue[vip.id], 20.0), service_level(by_queue[main.id], 30.0)
    avg = {q: sum(w for _, w in waits) / len(waits) for q, waits in by_queue.items()}
    outbound = await db_pool.fetch("SELECT outcome, detail, EXTRACT(EPOCH FROM ended_at - ready_at) AS held_s"
                                   " FROM call_records WHERE campaign_id = $1", scenario.campaign.id)
    why_abandoned = Counter((r["detail"], round(float(r["held_s"] or 0.0), 1)) for r in outbound
                            if r["outcome"] == "abandoned")
    answers = sum(1 for r in outbound if r["outcome"] in ("handled", "abandoned"))
    abandons = sum(1 for r in outbound if r["outcome"] == "abandoned")
    figures = (f"{MINUTES:g} simulated min in {wall:.0f} s wall: VIP {len(by_queue[vip.id])} callers SL "
               f"{sl_vip:.1%} avg wait {avg[vip.id]:.1f}s; hotline {len(by_queue[main.id])} callers SL {sl_main:.1%} "
               f"avg wait {avg[main.id]:.1f}s; outbound {abandons}/{answers} abandoned {dict(why_abandoned)}, agents ready at each {ready_at_abandon}; {why}")
    print(figures)
    assert len(by_queue[vip.id]) >= 20 and len(by_queue[main.id]) >= 60, figures
    assert sl_vip >= 0.90 and sl_main >= 0.80, figures
    assert answers >= 100 and abandons / answers <= 0.03, figures
    assert avg[vip.id] < avg[main.id], figures
