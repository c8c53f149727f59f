"""A conversation outlives its campaign's runner: pausing the campaign, or stopping the engine, while a customer
talks with an agent must neither hand the customer's lead back to the hopper (it would be dialled again, while
still on the line) nor leave it without its next step when the call ends."""

from __future__ import annotations

from campaigns.model import DialMode
from dialer.engine_api import DispositionInput
from dialer.system import run_system
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_engine_restart import ENGINE, in_conference, outliving_pbx, until

TALKING = "Local/1190@sim-customer"     # the simulated network answers after 1 s and talks 90 s


async def _preview_campaign(services, build_scenario):  # type: ignore[no-untyped-def]
    """A preview campaign of two leads and one agent, dialling the simulated network's talking number."""
    scenario = await build_scenario(services.pool, leads=2, agents=1, now=services.clock.now(),
                                    mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
    await services.pool.execute("UPDATE campaigns SET trunk_template = $2 WHERE id = $1", scenario.campaign.id,
                                TALKING)
    return scenario


async def _sale_settled(services, engine, agent: int, call_id: int, *, what: str) -> None:  # type: ignore[no-untyped-def]
    """The customer finishes talking, the agent sets the disposition "sale", and the call's lead is settled."""
    await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30,
                what="the customer to finish talking")
    await engine.set_disposition(agent, DispositionInput(str(call_id), "sale"))
    await until(lambda: services.pool.fetchval("SELECT lead_settled FROM call_records WHERE id = $1", call_id),
                what=what)


async def _talking(system, scenario, sim):  # type: ignore[no-untyped-def]
    """The campaign's agent signed in, its lead previewed and dialled, the customer talking with the agent."""
    engine, control, agent = system.engine, system.control, scenario.agent_ids[0]
    await until(lambda: scenario.campaign.id in engine.campaigns, what="the campaign's runner")
    await engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
    await until(lambda: engine.agent_state(agent)["state"] == "ready", what="the agent ready")
    offered = await control.preview_next(agent)
    call_id = int(await control.preview_dial(agent, offered["lead_id"]))
    leg = engine.calls[call_id].leg_id
    await until(lambda: in_conference(sim, leg, agent), what="the customer with the agent")
    return offered["lead_id"], call_id


async def test_a_campaign_paused_mid_conversation_keeps_the_lead_and_settles_it_when_the_call_ends(
        services, database_url, build_scenario) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url      # the DNC checker's own connection (the dial-time check)
    async with outliving_pbx(services, speed=20.0) as sim:
        scenario = await _preview_campaign(services, build_scenario)
        cid, agent = scenario.campaign.id, scenario.agent_ids[0]
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            lead_id, call_id = await _talking(system, scenario, sim)
            await system.control.campaign_pause(cid)
            assert cid not in system.control.runners
            # the customer is on the line: the lead is not back in the hopper
            assert await services.pool.fetchval("SELECT status FROM leads WHERE id = $1", lead_id) == "claimed"
            await _sale_settled(services, engine, agent, call_id, what="the lead settled without its runner")
            lead = await services.pool.fetchrow("SELECT status, attempts, last_outcome FROM leads WHERE id = $1",
                                                lead_id)
            assert (lead["status"], lead["attempts"], lead["last_outcome"]) == ("done", 1, "sale")
            # resumed: the next preview is the other lead, never this customer again
            await system.control.campaign_start(cid)
            await until(lambda: cid in engine.campaigns, what="the campaign's runner again")
            offered = await system.control.preview_next(agent)
            assert offered is not None and offered["lead_id"] != lead_id
        assert engine.errors == []
        assert len([o for o in sim.originate_log if "sim-customer" in o.channel]) == 1


async def test_a_planned_stop_mid_conversation_leaves_the_lead_to_the_engine_that_adopts_the_call(
        services, database_url, build_scenario) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url      # the DNC checker's own connection (the dial-time check)
    async with outliving_pbx(services, speed=20.0) as sim:
        scenario = await _preview_campaign(services, build_scenario)
        agent = scenario.agent_ids[0]
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            lead_id, call_id = await _talking(system, scenario, sim)
        # stopped (as by SIGTERM): the conversation goes on in the PBX, and its lead stays claimed
        assert await services.pool.fetchval("SELECT status FROM leads WHERE id = $1", lead_id) == "claimed"
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            assert engine.agent_state(agent)["state"] == "on_call"       # adopted with its call
            assert await services.pool.fetchval("SELECT status FROM leads WHERE id = $1", lead_id) == "claimed"
            await _sale_settled(services, engine, agent, call_id, what="the adopted call's lead settled")
            lead = await services.pool.fetchrow("SELECT status, attempts FROM leads WHERE id = $1", lead_id)
            assert (lead["status"], lead["attempts"]) == ("done", 1)
        assert engine.errors == []
        assert len([o for o in sim.originate_log if "sim-customer" in o.channel]) == 1
