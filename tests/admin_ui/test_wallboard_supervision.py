"""Live supervision from the wallboard, on the real engine and the simulated PBX over TCP (which runs the shipped
``dialer-supervise`` context and answers ChanSpy as Asterisk 22 does, recording o1).

A team lead listens to an agent's call (its own phone rings into ChanSpy on exactly that agent's phone leg),
switches to whisper, then barges in (a Redirect of the same phone leg: the lead's phone is not called again), then
stops; it also sends the agent a message. Every one of these is in the audit trail with the call; the agent's panel
says it is monitored while the lead listens, because its campaign asks for it, and shows the message.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from campaigns.model import DialMode
from dialer import supervision, users
from dialer.clock import RealClock
from dialer.live_supervision import SupervisionRefused, check_can_supervise
from dialer.system import run_system
from dialer.users import Role
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone
from tests.admin_ui.test_wallboard_agents import sign_in

SPEED = 4.0
# every customer answers after 1 s and talks for 10 minutes: the call lasts the whole test
STAYING = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0, invalid_rate=0.0,
                        ring=LogNormal(1.0, 0.0), talk=LogNormal(600.0, 0.0))


async def until(predicate, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def lead_on_a_phone(services, make_user, **details: Any):  # type: ignore[no-untyped-def]
    """Team lead 'lena' (with ``details``), whose phone is a virtual phone of the simulated PBX."""
    lead = await make_user(Role.TEAM_LEAD, "lena", **details)
    await users.update_user(services.pool, user_id=lead.id, phone_dial_string=virtual_phone(lead.id))
    return lead


async def agent_ready(engine: Any, campaign_id: int, agent_id: int) -> None:
    """The agent signed in to the loaded campaign on its virtual phone, ready."""
    await until(lambda: campaign_id in engine.campaigns)
    await engine.agent_login(agent_id, campaign_id, phone_dial_string=virtual_phone(agent_id))
    await until(lambda: engine.agent_state(agent_id)["state"] == "ready")


async def preview_call(engine: Any, agent_id: int) -> int:
    """The agent dials its next preview lead; the call's id once the customer answered."""
    row = await engine.preview_next(agent_id)
    assert row is not None
    call_id = int(await engine.preview_dial(agent_id, row["lead_id"]))
    await until(lambda: engine.agent_state(agent_id)["state"] == "on_call")
    return call_id


@pytest.fixture
async def preview_campaign(db_pool, services):  # type: ignore[no-untyped-def]
    from tests.dialer.conftest import build

    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    scenario = await build(db_pool, leads=3, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                           dnc_share=0.0, outside_share=0.0)
    await db_pool.execute("UPDATE campaigns SET notify_monitored = true WHERE id = $1", scenario.campaign.id)
    return scenario


def spies(system: Any) -> list[Any]:
    """The ChanSpy sessions the simulated PBX is running, started (ChanSpyStart sent)."""
    return [s for s in system.sim.switch.dialplan.interpreter.spies.running.values() if s.started]


async def test_a_lead_listens_whispers_and_barges_in_and_the_agent_is_told(
        services, preview_campaign, app, browser_client, make_user) -> None:
    scenario = preview_campaign
    agent_id = scenario.agent_ids[0]
    await users.update_user(services.pool, user_id=agent_id, display_name="Hoa Tran")
    lead = await lead_on_a_phone(services, make_user, display_name="Lena")
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=2, customer_model=STAYING),
                          engine_id="wb-sup", tick_s=0.5) as system:
        engine = system.engine
        seen: list[dict[str, Any]] = []

        async def panel() -> None:       # what the agent's panel receives (agents_ws sends these views)
            async for view in engine.subscribe_agent(agent_id):
                seen.append(dict(view))

        watcher = asyncio.create_task(panel())
        try:
            await agent_ready(engine, scenario.campaign.id, agent_id)
            csrf = await sign_in(browser_client, "lena")
            headers = {"x-csrf-token": csrf, "accept": "application/json"}

            # not on a call yet: refused, and the refusal is kept
            early = await browser_client.post(f"/wallboard/agents/{agent_id}/listen", headers=headers)
            assert early.status_code == 409 and "not on a call" in early.json()["detail"]

            sent = await browser_client.post(f"/wallboard/agents/{agent_id}/message", headers=headers,
                                             data={"text": "  Remember   the offer ends Friday "})
            assert sent.status_code == 200
            await until(lambda: any((v.get("lead_message") or {}).get("text") == "Remember the offer ends Friday"
                                    and v["lead_message"]["from"] == "Lena" for v in seen))

            call_id = await preview_call(engine, agent_id)
            agent_leg = engine.agents[agent_id].leg_id
            assert not any(v.get("monitored") for v in seen)

            listen = await browser_client.post(f"/wallboard/agents/{agent_id}/listen", headers=headers)
            assert listen.status_code == 200 and listen.json()["mode"] == "listen"
            await until(lambda: len(spies(system)) == 1)
            (spy,) = spies(system)
            lead_leg = engine.supervision.sessions[lead.id].leg_id
            # the lead's own phone spies on exactly the agent's phone leg, in the listen extension
            assert (spy.spyer.uniqueid, spy.spyer.exten, spy.spyee.uniqueid) == (lead_leg, "listen", agent_leg)
            assert "u" in spy.options and "w" not in spy.options and "B" not in spy.options
            await until(lambda: bool(seen) and seen[-1].get("monitored") is True)

            for mode, option in (("whisper", "w"), ("barge", "B")):
                switched = await browser_client.post(f"/wallboard/agents/{agent_id}/{mode}", headers=headers)
                assert switched.status_code == 200
                await until(lambda m=mode: [s.spyer.exten for s in spies(system)] == [m])
                (spy,) = spies(system)
                assert spy.spyer.uniqueid == lead_leg and spy.spyee.uniqueid == agent_leg and option in spy.options
            assert seen[-1].get("monitored") is True

            stopped = await browser_client.post("/wallboard/supervise/stop", headers=headers)
            assert stopped.status_code == 200 and stopped.json()["done"] is True
            await until(lambda: spies(system) == [] and lead.id not in engine.supervision.sessions)
            await until(lambda: seen[-1].get("monitored") is None)
            assert engine.agent_state(agent_id)["state"] == "on_call"      # the agent's call goes on
        finally:
            watcher.cancel()

    trail = await supervision.recent_actions(services.pool)
    assert [(a.action, a.actor, a.agent, a.call_id, a.detail, a.result) for a in reversed(trail)] == [
        ("listen", "Lena", "Hoa Tran", None, "", "this agent is not on a call"),
        ("message", "Lena", "Hoa Tran", None, "Remember the offer ends Friday", ""),
        ("listen", "Lena", "Hoa Tran", call_id, "", ""),
        ("whisper", "Lena", "Hoa Tran", call_id, "", ""),
        ("barge", "Lena", "Hoa Tran", call_id, "", "")]
    page = await browser_client.get("/wallboard")
    audit = page.text.split('id="wb-audit"')[1]
    for text in ("Listen", "Whisper", "Barge in", "Message", f"#{call_id}", "Remember the offer ends Friday"):
        assert text in audit


async def test_an_agent_cannot_supervise_or_message_another_agent(browser_client, make_user) -> None:
    other = await make_user(Role.AGENT)
    agent = await make_user(Role.AGENT)
    csrf = await sign_in(browser_client, agent.username)
    for action in ("listen", "whisper", "barge", "message"):
        answer = await browser_client.post(f"/wallboard/agents/{other.id}/{action}", headers={"x-csrf-token": csrf})
        assert answer.status_code == 403
    assert (await browser_client.post("/wallboard/supervise/stop", headers={"x-csrf-token": csrf})).status_code == 403


@pytest.mark.parametrize(("kwargs", "why"), [
    ({"mode": "spy"}, "unknown supervision mode"),
    ({"lead_id": 7}, "your own calls"),
    ({"agent_leg": None, "agent_state": "logged_out"}, "not signed in"),
    ({"agent_state": "ready", "call_id": None}, "not on a call"),
])
def test_what_cannot_be_supervised_is_refused_with_its_reason(kwargs: dict[str, Any], why: str) -> None:
    base = {"lead_id": 3, "agent_id": 7, "agent_state": "on_call", "agent_leg": "dl-x", "call_id": 12,
            "mode": "listen"}
    with pytest.raises(SupervisionRefused, match=why):
        check_can_supervise(**(base | kwargs))
    check_can_supervise(**base)      # an agent on a call, with its phone leg: allowed


async def test_a_supervision_call_that_ends_while_the_link_is_down_is_over_after_the_reconnect(
        services, preview_campaign, make_user) -> None:
    """Its hang-up event was lost with the link: after the reconnect the adapter reports the lead's leg gone (it is
    not among the PBX's live channels), which ends the session, so the agent's panel stops saying it is monitored."""
    scenario = preview_campaign
    agent_id = scenario.agent_ids[0]
    lead = await lead_on_a_phone(services, make_user, phone_dial_string="")
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=3, customer_model=STAYING),
                          engine_id="wb-sup-link", tick_s=0.5) as system:
        engine = system.engine
        await agent_ready(engine, scenario.campaign.id, agent_id)
        await preview_call(engine, agent_id)
        session = await engine.supervision.supervise(lead.id, agent_id, "listen")
        await until(lambda: engine.agent_state(agent_id).get("monitored") is True)

        switch = system.sim.switch
        assert system.sim.faults.drop_connections() >= 1
        switch.hangup(switch.by_uniqueid[session.leg_id], 16)      # nobody hears of it: no AMI session is up
        await until(lambda: lead.id not in engine.supervision.sessions, timeout_s=15.0)
        assert engine.agent_state(agent_id).get("monitored") is None
        assert engine.agent_state(agent_id)["state"] == "on_call"


async def test_the_end_of_the_call_ends_the_supervision_and_the_agent_next_call_is_not_heard(
        services, preview_campaign, make_user) -> None:
    """ChanSpy follows the agent's phone leg, which stays up for the next customer: when the supervised call ends
    (here the customer hangs up), the engine hangs the lead's phone up."""
    scenario = preview_campaign
    agent_id = scenario.agent_ids[0]
    lead = await lead_on_a_phone(services, make_user)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=4, customer_model=STAYING),
                          engine_id="wb-sup-end", tick_s=0.5) as system:
        engine = system.engine
        await agent_ready(engine, scenario.campaign.id, agent_id)
        call_id = await preview_call(engine, agent_id)
        session = await engine.supervision.supervise(lead.id, agent_id, "listen")
        await until(lambda: len(spies(system)) == 1 and engine.supervision.monitored(agent_id))

        switch = system.sim.switch
        customer = switch.by_uniqueid[engine.calls[call_id].leg_id]
        switch.far_hangup(customer.leg, 16)                  # the customer hangs up
        await until(lambda: lead.id not in engine.supervision.sessions and spies(system) == [])
        assert session.leg_id not in switch.by_uniqueid       # the lead's phone was hung up
        assert engine.agent_state(agent_id)["state"] == "wrap_up" and engine.agents[agent_id].leg_id is not None
