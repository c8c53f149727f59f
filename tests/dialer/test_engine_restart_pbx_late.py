"""A restart never judges the dead engine's calls against a PBX it cannot see (fail closed).

Found in CI under load: the restarted engine's first AMI connection failed, recovery saw no channel at all,
judged every call in flight as gone and dialled those numbers again while the PBX still had the calls. Now
the start waits (``pbx_wait_s``) for every server; recovery judges only against every server's channel
list, and with a server still down the engine does not start: nothing is settled, released or dialled.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest

from campaigns.model import DialMode
from dialer.pbx_port import PbxError
from dialer.system import run_system
from simulations.pbx import SimulatedPbx
from tests.dialer.test_engine_restart import ENGINE, DoomedEngine, _claim, live, outliving_pbx, until

RINGING = "Local/3000@sim-customer"     # the recordings' first-digit rules: 3xxx rings, never answered


async def _crash_with_calls_ringing(services, sim: SimulatedPbx, scenario) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """An engine dials two leads and dies while both still ring; returns {call id: leg id}."""
    first = DoomedEngine(services, sim, scenario.campaign)
    first.view = replace(first.view, trunk_template=RINGING)
    await first.start()
    legs = {}
    for lead in await _claim(services, scenario, 2):
        call_id = await first.dial(lead)
        legs[call_id] = first.engine.calls[call_id].leg_id
    await until(lambda: all(live(sim, leg) for leg in legs.values()), what="both calls ringing")
    await first.kill()
    return legs


def _customer_originates(sim: SimulatedPbx) -> list[str]:
    return [o.channel for o in sim.originate_log if "sim-customer" in o.channel]


async def test_a_pbx_that_answers_late_at_restart_is_waited_for_and_no_call_in_flight_is_dialled_twice(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=1.0) as sim:
        scenario = await build_scenario(services.pool, leads=3, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        legs = await _crash_with_calls_ringing(services, sim, scenario)
        await sim.close_listener()      # the PBX keeps its calls but does not answer the restarted engine at first

        async def answer_in_a_second() -> None:
            await asyncio.sleep(1.0)
            await sim.open_listener()

        late = asyncio.create_task(answer_in_a_second())
        try:
            async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
                # judged against the PBX's real channel list: both calls were still ringing, so recovery hung
                # them up itself (no leg is left up that nobody follows) and closed them as such
                await until(lambda: not any(live(sim, leg) for leg in legs.values()), timeout_s=5,
                            what="the ringing legs hung up by recovery")
                assert system.engine.errors == []
        finally:
            await late
        rows = await services.pool.fetch("SELECT outcome, detail, lead_settled FROM call_records WHERE id = ANY($1)",
                                         list(legs))
        assert [(r["outcome"], r["detail"], r["lead_settled"]) for r in rows] == [
            ("failed", "engine restarted before the call was answered", True)] * 2
        assert len(_customer_originates(sim)) == 2                  # each number dialled once, never again
        attempts = await services.pool.fetch("SELECT attempts FROM leads WHERE claimed_by IS NULL AND"
                                             " id IN (SELECT lead_id FROM call_records WHERE id = ANY($1))", list(legs))
        assert [r["attempts"] for r in attempts] == [1, 1]


async def test_with_the_pbx_still_down_after_the_wait_the_engine_does_not_start_and_its_calls_stay_unjudged(
        services, build_scenario, caplog) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=1.0) as sim:
        scenario = await build_scenario(services.pool, leads=3, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        legs = await _crash_with_calls_ringing(services, sim, scenario)
        await sim.close_listener()
        services.settings.pbx_wait_s = 1.0
        with caplog.at_level(logging.ERROR, logger="dialer.system"), pytest.raises(PbxError, match="cannot recover"):
            async with run_system(services, engine_id=ENGINE, tick_s=0.2):
                pytest.fail("the engine started without seeing the PBX that has its calls")
        said = [r.getMessage() for r in caplog.records if r.name == "dialer.system" and r.levelno == logging.ERROR]
        assert len(said) == 1 and "not started" in said[0] and "pbx1" in said[0] and "2 calls in flight" in said[0]
        # nothing judged, nothing released, nothing dialled: the calls are still the PBX's, the leads still claimed
        rows = await services.pool.fetch(
            "SELECT r.outcome, l.status, l.claimed_by FROM call_records r JOIN leads l ON l.id = r.lead_id"
            " WHERE r.id = ANY($1)", list(legs))
        assert [tuple(r) for r in rows] == [(None, "claimed", ENGINE)] * 2
        assert await services.pool.fetchval("SELECT count(*) FROM leads WHERE status = 'claimed' AND claimed_by = $1",
                                            ENGINE) == 2
        assert all(live(sim, leg) for leg in legs.values()) and len(_customer_originates(sim)) == 2
