"""A restart settles every attempt the dead engine left half done, and dials none of them again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from campaigns import repository as campaigns_repo
from campaigns.model import DialMode
from dialer import call_records
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.calls import CallOutcome
from dialer.clock import RealClock
from dialer.engine import Engine
from dialer.engine_api import DispositionInput
from dialer.errors import DialerError
from dialer.pbx_port import LiveChannel
from dialer.recovery import OrphanVerdict, judge_orphan
from dialer.runner import view_of
from dialer.settings import AmiServer
from dialer.system import run_system
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.virtual_agents import virtual_phone

ENGINE = "restart-test"
PBX_NAME = "pbx1"


async def test_a_lead_whose_attempt_ended_just_before_a_crash_gets_its_retry_not_a_second_dial(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    now = services.clock.now()
    # preview mode: the restarted engine places no call by itself, so only recovery touches the leads
    scenario = await build_scenario(services.pool, leads=3, agents=1, now=now, mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0)
    async with services.pool.acquire() as conn:
        ended, never_dialled = await campaigns_repo.claim_leads(conn, campaign_id=scenario.campaign.id, limit=2,
                                                               engine_id=ENGINE, now=now)
    # the dead engine dialled the first lead, the call ended and its record was closed; the crash came
    # before the lead was given its next step. The second lead was claimed but never dialled.
    call_id = await call_records.open_record(
        services.pool, campaign_id=scenario.campaign.id, lead_id=ended.id, agent_id=None, engine_id=ENGINE,
        leg_id="leg-before-crash", direction="outbound", phone_e164=ended.phone_e164, dial_string="x",
        caller_id="", originated_at=now)
    await services.pool.execute("UPDATE call_records SET outcome = 'no_answer', ended_at = $2 WHERE id = $1",
                                call_id, now)
    async with run_system(services, sim_config=PbxConfig(seed=1), engine_id=ENGINE, tick_s=0.2):
        pass
    leads = {r["id"]: r for r in await services.pool.fetch(
        "SELECT id, status, attempts, next_attempt_at FROM leads WHERE id = ANY($1)", [ended.id, never_dialled.id])}
    assert leads[ended.id]["status"] == "retry" and leads[ended.id]["attempts"] == 1
    assert leads[ended.id]["next_attempt_at"] > now          # the policy's delay, not at once
    assert leads[never_dialled.id]["status"] == "new" and leads[never_dialled.id]["attempts"] == 0
    assert await services.pool.fetchval("SELECT lead_settled FROM call_records WHERE id = $1", call_id)


async def _leave_work_of(services, scenario, engine_id: str, *, now) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """An engine's half-done work: a claimed lead with an attempt in flight, a claimed lead never dialled,
    and a signed-in agent. Returns (lead in flight, lead never dialled, call id)."""
    async with services.pool.acquire() as conn:
        dialled, waiting = await campaigns_repo.claim_leads(conn, campaign_id=scenario.campaign.id, limit=2,
                                                            engine_id=engine_id, now=now)
    call_id = await call_records.open_record(
        services.pool, campaign_id=scenario.campaign.id, lead_id=dialled.id, agent_id=None, engine_id=engine_id,
        leg_id=f"leg-of-{engine_id}", direction="outbound", phone_e164=dialled.phone_e164, dial_string="x",
        caller_id="", originated_at=now)
    await services.pool.execute("INSERT INTO agent_sessions (user_id, campaign_id, engine_id, leg_id)"
                                " VALUES ($1, $2, $3, NULL)", scenario.agent_ids[0], scenario.campaign.id, engine_id)
    return dialled.id, waiting.id, call_id


async def test_a_restart_leaves_the_calls_and_agents_of_other_live_engines_alone(services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    from dialer import takeover

    now = services.clock.now()
    scenario = await build_scenario(services.pool, leads=4, agents=1, now=now, mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0)
    dialled, waiting, call_id = await _leave_work_of(services, scenario, "other-live-engine", now=now)
    async with services.pool.acquire() as held:                 # the other engine is alive: it holds its lock
        assert await takeover.try_lock(held, "other-live-engine")
        async with run_system(services, sim_config=PbxConfig(seed=1), engine_id=ENGINE, tick_s=0.2,
                              takeover_every_s=0.1):
            await asyncio.sleep(1.0)                            # several rounds of the watch
            # a second engine with a running engine's id is refused with a clear message
            with pytest.raises(DialerError, match="already running"):
                await takeover.hold_engine_lock(services.pool, ENGINE, wait_s=0.5)
    assert await services.pool.fetchval("SELECT outcome FROM call_records WHERE id = $1", call_id) is None
    statuses = dict(await services.pool.fetch("SELECT id, status FROM leads WHERE id = ANY($1)", [dialled, waiting]))
    assert statuses == {dialled: "claimed", waiting: "claimed"}
    assert await services.pool.fetchval("SELECT count(*) FROM agent_sessions WHERE engine_id = 'other-live-engine'") == 1


async def test_a_live_engine_recovers_the_work_of_an_engine_that_died_for_good(services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    now = services.clock.now()
    scenario = await build_scenario(services.pool, leads=4, agents=1, now=now, mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0)
    dialled, waiting, call_id = await _leave_work_of(services, scenario, "dead-engine", now=now)
    async with run_system(services, sim_config=PbxConfig(seed=1), engine_id=ENGINE, tick_s=0.2,
                          takeover_every_s=0.1):
        deadline = asyncio.get_running_loop().time() + 15
        while await services.pool.fetchval("SELECT outcome FROM call_records WHERE id = $1", call_id) is None:
            assert asyncio.get_running_loop().time() < deadline, "the dead engine's call was never closed"
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
    record = await services.pool.fetchrow("SELECT outcome, detail, lead_settled FROM call_records WHERE id = $1",
                                          call_id)
    assert record["outcome"] == "failed" and "restarted" in record["detail"] and record["lead_settled"]
    leads = {r["id"]: r for r in await services.pool.fetch(
        "SELECT id, status, attempts FROM leads WHERE id = ANY($1)", [dialled, waiting])}
    assert leads[dialled]["status"] == "retry" and leads[dialled]["attempts"] == 1   # never dialled twice
    assert leads[waiting]["status"] == "new" and leads[waiting]["attempts"] == 0     # back in the hopper
    assert await services.pool.fetchval("SELECT count(*) FROM agent_sessions WHERE engine_id = 'dead-engine'") == 0


# --- the verdict on each in-flight record, from the record and the PBX's live channels (pure) ---------------

def _record(**milestones: object) -> dict[str, object]:
    return {"id": 9, "leg_id": "dl-9", "agent_id": None, "answered_at": None, "ready_at": None,
            "connected_at": None, **milestones}


def _channel(context: str, exten: str = "s", state: str = "Up", bridge_id: str = "") -> LiveChannel:
    return LiveChannel(server=PBX_NAME, leg_id="dl-9", channel="PJSIP/trunk-1", state=state, context=context,
                       exten=exten, duration_s=12.0, bridge_id=bridge_id)


T = "2026-12-06T03:00:00+00:00"
AGENT_LEG = LiveChannel(server=PBX_NAME, leg_id="dl-a7", channel="PJSIP/agent7-2", state="Up",
                        context="dialer-agent", exten="agent-7", duration_s=600.0)


def test_a_customer_in_an_agents_conference_whose_agent_is_still_there_is_adopted_not_cut() -> None:
    verdict = judge_orphan(_record(ready_at=T, connected_at=T, agent_id=7), _channel("dialer-connect", "agent-7",
                           bridge_id="b1"), {7: AGENT_LEG})
    assert verdict.adopted and verdict.agent_id == 7 and not verdict.hangup
    # the milestone may not have reached the record yet (the redirect was under way): the channel says enough
    assert judge_orphan(_record(ready_at=T), _channel("dialer-connect", "agent-7"), {7: AGENT_LEG}).adopted


def test_a_customer_left_alone_in_a_conference_is_cut_and_recorded_as_handled_by_its_agent() -> None:
    verdict = judge_orphan(_record(ready_at=T, connected_at=T, agent_id=7), _channel("dialer-connect", "agent-7"), {})
    assert verdict.outcome is CallOutcome.HANDLED and verdict.agent_id == 7 and verdict.hangup


def test_legs_already_hearing_a_message_are_left_to_finish_it() -> None:
    harbor = judge_orphan(_record(ready_at=T), _channel("dialer-safe-harbor"), {})
    assert harbor.outcome is CallOutcome.ABANDONED and not (harbor.hangup or harbor.safe_harbor)
    machine = judge_orphan(_record(answered_at=T), _channel("dialer-machine"), {})
    assert machine.outcome is CallOutcome.MACHINE and not (machine.hangup or machine.safe_harbor)


def test_a_customer_waiting_for_an_agent_goes_to_safe_harbor_at_once() -> None:
    verdict = judge_orphan(_record(answered_at=T, ready_at=T), _channel("dialer-customer"), {})
    assert verdict.outcome is CallOutcome.ABANDONED and verdict.safe_harbor


def test_a_call_whose_leg_is_gone_is_settled_from_how_far_its_record_got() -> None:
    assert judge_orphan(_record(answered_at=T, ready_at=T, connected_at=T, agent_id=7), None) == OrphanVerdict(
        9, CallOutcome.HANDLED, "engine restarted; the conversation ended meanwhile", agent_id=7)
    assert judge_orphan(_record(answered_at=T, ready_at=T), None).outcome is CallOutcome.ABANDONED
    assert judge_orphan(_record(answered_at=T), None).outcome is CallOutcome.CUSTOMER_HUNG_UP
    assert judge_orphan(_record(), None).outcome is CallOutcome.FAILED


def test_a_customer_put_through_to_its_agent_whose_line_is_gone_at_the_restart_is_settled_by_direction() -> None:
    # the Redirect to agent 7 was sent and written, the join never was (the engine died in between) and the
    # conversation had ended before the restart looked: an inbound caller was answered by agent 7; an outbound
    # call counts as an abandon, as the abandonment budget fails closed
    caller = judge_orphan(_record(ready_at=T, agent_id=7, direction="inbound"), None)
    assert caller.outcome is CallOutcome.HANDLED and caller.agent_id == 7, caller
    assert "put through to agent 7" in caller.detail
    customer = judge_orphan(_record(answered_at=T, ready_at=T, agent_id=7, direction="outbound"), None)
    assert customer.outcome is CallOutcome.ABANDONED and "put through to agent 7" in customer.detail
    # nobody was put through: the caller left holding
    assert judge_orphan(_record(ready_at=T, direction="inbound"), None).outcome is CallOutcome.ABANDONED


async def test_the_record_names_the_agent_a_customer_is_put_through_to_and_forgets_it_if_the_agent_is_lost(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    from dialer.calls import AgentGone, AssignAgent, Call, CallState, JoinedAgent, Pool, PoolKind, step
    from dialer.engine import _milestone

    clock, wall = services.clock, call_records.WallTime(services.clock)
    scenario = await build_scenario(services.pool, leads=1, agents=2, now=clock.now())
    first, second = scenario.agent_ids[:2]
    call_id = await call_records.open_record(
        services.pool, campaign_id=scenario.campaign.id, lead_id=None, agent_id=None, engine_id=ENGINE,
        leg_id="dl-put-through", direction="outbound", phone_e164="+15550001234", dial_string="x", caller_id="",
        originated_at=clock.now())
    now = clock.monotonic()
    waiting = Call(call_id=call_id, leg_id="dl-put-through", pool=Pool(PoolKind.CAMPAIGN, scenario.campaign.id),
                   state=CallState.WAITING, answered_at=now, ready_at=now)

    async def written(before: Call, after: Call) -> Any:
        assert _milestone(before, after)
        await call_records.record_milestone(services.pool, after, wall)
        return await services.pool.fetchrow("SELECT agent_id, connected_at FROM call_records WHERE id = $1", call_id)

    connecting, _ = step(waiting, AssignAgent(first), now)
    assert tuple(await written(waiting, connecting)) == (first, None)
    lost, _ = step(connecting, AgentGone(first), now)           # the Redirect failed: back to waiting
    assert lost.state is CallState.WAITING
    assert tuple(await written(connecting, lost)) == (None, None)
    again, _ = step(lost, AssignAgent(second), now)
    joined, _ = step(again, JoinedAgent(), now)
    assert tuple(await written(lost, again)) == (second, None)
    row = await written(again, joined)
    assert row["agent_id"] == second and row["connected_at"] is not None


# --- kill -9 in the middle of calls: the PBX outlives the engine ---------------------------------------
# The first engine is the real Engine on its own AMI link to a simulated PBX that this test owns. It is
# killed as SIGKILL would: its tasks stop where they are (no drain, no hang-up, no record closed) and its
# AMI link goes away; the channels stay on the PBX. The second engine is the whole system (run_system)
# with the same engine id, on the same PBX and database, as after a restart.



@asynccontextmanager
async def outliving_pbx(services, *, speed: float, hold_limit_s: float | None = 30.0, seed: int = 5,  # type: ignore[no-untyped-def]
                        **config: Any) -> AsyncIterator[SimulatedPbx]:
    """A simulated PBX that outlives the engines (``config``: more ``PbxConfig`` fields); ``services`` is pointed at
    it (and at its speed)."""
    sim = SimulatedPbx(PbxConfig(speed=speed, seed=seed, hold_limit_s=hold_limit_s, **config))
    await sim.start(host="127.0.0.1", port=0)
    services.clock = RealClock(speed=speed)
    services.settings.speed = speed
    services.settings.ami_servers = [AmiServer(name=PBX_NAME, port=sim.port, username=sim.config.username,
                                               secret=sim.config.secret, max_channels=50)]
    try:
        yield sim
    finally:
        await sim.stop()


class DoomedEngine:
    """The engine before the crash: a real ``Engine`` on its own AMI link, killed without any clean-up."""

    def __init__(self, services, sim: SimulatedPbx, campaign, engine_id: str = ENGINE) -> None:  # type: ignore[no-untyped-def]
        self.services = services
        self.adapter = AmiAdapter([AmiServerConfig(name=PBX_NAME, host="127.0.0.1", port=sim.port,
                                                   username=sim.config.username, secret=sim.config.secret,
                                                   max_channels=50)], clock=services.clock)
        self.engine = Engine(pool=services.pool, pbx=self.adapter, clock=services.clock, engine_id=engine_id)
        # dialled numbers follow the simulated network's first-digit rules: 1RTT answers after R seconds
        # and talks TT seconds with an agent
        self.view = replace(view_of(campaign), trunk_template="Local/1190@sim-customer")
        self.engine.campaigns[campaign.id] = self.view

    async def start(self) -> None:
        await self.adapter.start()
        self.engine.spawn(self.engine.consume_pbx_events(), name="pbx-events")

    async def dial(self, lead) -> int:  # type: ignore[no-untyped-def]
        return await self.engine.dial(self.view, number_e164=lead.phone_e164, lead_id=lead.id)

    async def kill(self) -> None:
        """As SIGKILL: whatever it was doing stops here; its AMI link goes; the PBX keeps every channel."""
        tasks = list(self.engine._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.adapter.close()


async def until(predicate, timeout_s: float = 20.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not await _value(predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _value(result):  # type: ignore[no-untyped-def]
    return await result if asyncio.iscoroutine(result) else result


async def _no_work_left(pool, *, besides: str) -> bool:  # type: ignore[no-untyped-def]
    from dialer import takeover

    return await takeover.engines_with_work(pool, besides=besides) == []


def in_conference(sim: SimulatedPbx, leg_id: str, agent_id: int) -> bool:
    return any(ch.uniqueid == leg_id and ch.bridge is not None and ch.bridge.conference == f"agent-{agent_id}"
               for ch in sim.channels())


def live(sim: SimulatedPbx, leg_id: str) -> bool:
    return any(ch.uniqueid == leg_id for ch in sim.channels())


async def _claim(services, scenario, n: int, engine_id: str = ENGINE):  # type: ignore[no-untyped-def]
    async with services.pool.acquire() as conn:
        return await campaigns_repo.claim_leads(conn, campaign_id=scenario.campaign.id, limit=n,
                                                engine_id=engine_id, now=services.clock.now())


async def test_each_milestone_is_on_the_record_while_the_call_is_in_progress(services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=20.0) as sim:
        scenario = await build_scenario(services.pool, leads=2, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        agent = scenario.agent_ids[0]
        (lead,) = await _claim(services, scenario, 1)
        first = DoomedEngine(services, sim, scenario.campaign)
        await first.start()
        try:
            await first.engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
            await until(lambda: first.engine.agent_state(agent)["state"] == "ready", what="the agent ready")
            call_id = await first.dial(lead)
            leg = first.engine.calls[call_id].leg_id
            await until(lambda: in_conference(sim, leg, agent), what="the customer with the agent")
            record = "SELECT answered_at, ready_at, connected_at, agent_id, outcome FROM call_records WHERE id = $1"
            await until(lambda: services.pool.fetchval("SELECT connected_at IS NOT NULL FROM call_records"
                                                       " WHERE id = $1", call_id), timeout_s=5,
                        what="connected_at on the record while the call goes on")
            row = await services.pool.fetchrow(record, call_id)
            assert row["outcome"] is None                               # still in progress
            assert row["answered_at"] <= row["ready_at"] <= row["connected_at"]
            assert row["agent_id"] == agent
        finally:
            await first.kill()


async def test_a_customer_talking_when_the_engine_dies_keeps_talking_and_is_never_redialled(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=20.0) as sim:
        scenario = await build_scenario(services.pool, leads=2, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        agent = scenario.agent_ids[0]
        (lead,) = await _claim(services, scenario, 1)
        first = DoomedEngine(services, sim, scenario.campaign)
        await first.start()
        await first.engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: first.engine.agent_state(agent)["state"] == "ready", what="the agent ready")
        call_id = await first.dial(lead)
        leg = first.engine.calls[call_id].leg_id
        agent_leg = first.engine.agents[agent].leg_id
        await until(lambda: in_conference(sim, leg, agent), what="the customer with the agent")
        await asyncio.sleep(0.2)
        await first.kill()
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            engine = system.engine
            # the conversation goes on: the customer is still with the agent, nobody hung up
            assert in_conference(sim, leg, agent) and live(sim, agent_leg)
            # the agent is back on that call, and its panel gets the call and the lead's pop
            view = engine.agent_state(agent)
            assert view["state"] == "on_call" and view["campaign_id"] == scenario.campaign.id
            assert view["call"]["call_id"] == str(call_id) and view["call"]["lead_id"] == lead.id
            assert view["call"]["number"] == lead.phone_e164
            assert await services.pool.fetchval("SELECT outcome FROM call_records WHERE id = $1", call_id) is None
            # the customer hangs up when done; the agent sets the disposition as after any call
            await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30,
                        what="the customer to finish talking")
            await engine.set_disposition(agent, DispositionInput(str(call_id), "sale"))
            await until(lambda: engine.agent_state(agent)["state"] == "ready", what="the agent ready again")
            await until(lambda: services.pool.fetchval("SELECT lead_settled FROM call_records WHERE id = $1",
                                                       call_id), what="the lead settled")
            assert live(sim, agent_leg)                     # the agent's phone was never hung up either
        record = await services.pool.fetchrow(
            "SELECT outcome, disposition, agent_id, detail FROM call_records WHERE id = $1", call_id)
        assert dict(record) == {"outcome": "handled", "disposition": "sale", "agent_id": agent,
                                "detail": "adopted after an engine restart during the conversation"}
        settled = await services.pool.fetchrow("SELECT status, attempts FROM leads WHERE id = $1", lead.id)
        assert settled["status"] == "done" and settled["attempts"] == 1
        dialled = [o for o in sim.originate_log if "sim-customer" in o.channel]
        assert len(dialled) == 1                             # called once, never again
        hangups = [r for r in sim.call_records if r.uniqueid == leg]
        assert hangups and hangups[0].met_agent and not hangups[0].safe_harbor


async def test_a_live_engine_adopts_the_conversation_of_an_engine_that_died_for_good(services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=20.0) as sim:
        scenario = await build_scenario(services.pool, leads=3, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        agent = scenario.agent_ids[0]
        lead, untouched = await _claim(services, scenario, 2, engine_id="dead-engine")
        dead = DoomedEngine(services, sim, scenario.campaign, engine_id="dead-engine")
        await dead.start()
        await dead.engine.agent_login(agent, scenario.campaign.id, phone_dial_string=virtual_phone(agent))
        await until(lambda: dead.engine.agent_state(agent)["state"] == "ready", what="the agent ready")
        call_id = await dead.dial(lead)
        leg = dead.engine.calls[call_id].leg_id
        await until(lambda: in_conference(sim, leg, agent), what="the customer with the agent")
        await asyncio.sleep(0.2)
        await dead.kill()
        async with run_system(services, engine_id=ENGINE, tick_s=0.2, takeover_every_s=0.1) as system:
            engine = system.engine
            await until(lambda: engine.agent_state(agent)["state"] == "on_call", what="the conversation adopted")
            assert in_conference(sim, leg, agent)
            from dialer import takeover

            # the takeover completes in the database just after the conversation is adopted in memory
            await until(lambda: _no_work_left(services.pool, besides=ENGINE), what="the takeover written")
            owners = await services.pool.fetchrow(
                "SELECT r.engine_id AS record, l.claimed_by AS lead, s.engine_id AS session FROM call_records r"
                " JOIN leads l ON l.id = r.lead_id JOIN agent_sessions s ON s.user_id = $2 WHERE r.id = $1",
                call_id, agent)
            assert dict(owners) == {"record": ENGINE, "lead": ENGINE, "session": ENGINE}   # taken over, whole
            # the dead engine's other lead went back to the campaign (the survivor's hopper may have taken it
            # again at once: then it is claimed under the survivor's name, never the dead engine's)
            back = await services.pool.fetchrow("SELECT status, claimed_by FROM leads WHERE id = $1", untouched.id)
            assert back["status"] == "new" or (back["status"], back["claimed_by"]) == ("claimed", ENGINE), dict(back)
            # nothing is left under the dead engine's name, so the watch never recovers (and cuts) it again
            assert await takeover.engines_with_work(services.pool, besides=ENGINE) == []
            await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30,
                        what="the customer to finish talking")
            await engine.set_disposition(agent, DispositionInput(str(call_id), "not_interested"))
            await until(lambda: services.pool.fetchval("SELECT lead_settled FROM call_records WHERE id = $1",
                                                       call_id), what="the lead settled")
        record = await services.pool.fetchrow("SELECT outcome, disposition, agent_id FROM call_records WHERE id = $1",
                                              call_id)
        assert dict(record) == {"outcome": "handled", "disposition": "not_interested", "agent_id": agent}
        assert len([o for o in sim.originate_log if "sim-customer" in o.channel]) == 1


async def test_calls_that_ended_while_the_engine_was_down_are_settled_from_what_their_records_say(
        services, build_scenario) -> None:  # type: ignore[no-untyped-def]
    """Each milestone was written when it happened; the legs are gone when the engine comes back."""
    now = services.clock.now()
    scenario = await build_scenario(services.pool, leads=5, agents=1, now=now, mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0)
    agent = scenario.agent_ids[0]
    talked, left_waiting, hung_up_in_amd, never_answered = await _claim(services, scenario, 4)
    at = now - timedelta(seconds=20)
    calls = {}
    for lead, milestones in ((talked, ("answered_at", "ready_at", "connected_at")),
                             (left_waiting, ("answered_at", "ready_at")), (hung_up_in_amd, ("answered_at",)),
                             (never_answered, ())):
        call_id = await call_records.open_record(
            services.pool, campaign_id=scenario.campaign.id, lead_id=lead.id, agent_id=None, engine_id=ENGINE,
            leg_id=f"dl-gone-{lead.id}", direction="outbound", phone_e164=lead.phone_e164, dial_string="x",
            caller_id="", originated_at=at)
        for column in milestones:
            await services.pool.execute(f"UPDATE call_records SET {column} = $2 WHERE id = $1", call_id, at)
        calls[lead.id] = call_id
    await services.pool.execute("UPDATE call_records SET agent_id = $2 WHERE id = $1", calls[talked.id], agent)
    async with run_system(services, sim_config=PbxConfig(seed=1), engine_id=ENGINE, tick_s=0.2):
        pass
    rows = {r["id"]: r for r in await services.pool.fetch(
        "SELECT id, outcome, agent_id, lead_settled FROM call_records WHERE id = ANY($1)", list(calls.values()))}
    leads = {r["id"]: r for r in await services.pool.fetch(
        "SELECT id, status, attempts, last_outcome, next_attempt_at, last_abandoned_at FROM leads WHERE id = ANY($1)",
        list(calls))}
    assert all(r["lead_settled"] for r in rows.values())
    # the customer who talked with the agent: handled by that agent, and never called again
    assert rows[calls[talked.id]]["outcome"] == "handled" and rows[calls[talked.id]]["agent_id"] == agent
    assert leads[talked.id]["status"] == "done" and leads[talked.id]["last_outcome"] == "no_disposition"
    # the customer known to be a person who got no agent: abandoned, with the no-re-call rule
    assert rows[calls[left_waiting.id]]["outcome"] == "abandoned"
    assert leads[left_waiting.id]["last_abandoned_at"] is not None
    assert leads[left_waiting.id]["next_attempt_at"] >= now + timedelta(hours=72) - timedelta(minutes=1)
    # answered, hung up before AMD could tell; never answered: failed, retried later
    assert rows[calls[hung_up_in_amd.id]]["outcome"] == "customer_hung_up"
    assert rows[calls[never_answered.id]]["outcome"] == "failed"
    assert all(leads[lead.id]["attempts"] == 1 for lead in (talked, left_waiting, hung_up_in_amd, never_answered))
    # and the abandonment figures count both live answers
    day = await call_records.abandonment(services.pool, campaign_id=scenario.campaign.id,
                                         now=services.clock.now(), window=timedelta(hours=24))
    assert (day.answers, day.abandons) == (2, 1)


def in_safe_harbor(sim: SimulatedPbx, leg: str) -> bool:
    return (any(r.uniqueid == leg and r.safe_harbor for r in sim.call_records)
            or any(ch.uniqueid == leg and ch.context == "dialer-safe-harbor" for ch in sim.channels()))


@pytest.mark.parametrize(("hold_s", "outage_s"), [(30.0, 0.0), (1.8, 2.5)],
                         ids=["still holding at restart", "sent to safe harbor by the dialplan meanwhile"])
async def test_a_customer_waiting_for_an_agent_when_the_engine_dies_hears_safe_harbor_at_once_and_counts_as_abandoned(
        services, build_scenario, hold_s: float, outage_s: float) -> None:  # type: ignore[no-untyped-def]
    async with outliving_pbx(services, speed=1.0, hold_limit_s=hold_s) as sim:
        scenario = await build_scenario(services.pool, leads=2, agents=1, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0)
        (lead,) = await _claim(services, scenario, 1)
        first = DoomedEngine(services, sim, scenario.campaign)   # nobody signed in: the customer waits
        first.view = replace(first.view, trunk_template="Local/1060@sim-customer",
                             safe_harbor_sound="please-try-call-later")
        await first.start()
        call_id = await first.dial(lead)
        leg = first.engine.calls[call_id].leg_id

        def holding() -> bool:
            return any(ch.uniqueid == leg and ch.context == "dialer-customer" and ch.application in ("Wait", "MusicOnHold")
                       for ch in sim.channels())

        await until(holding, what="the customer holding for an agent")
        await first.kill()                       # within the 2 seconds: the dead engine never sent it anywhere
        if outage_s:
            # the shipped dialplan does not wait for a dead engine: after DIALER_HOLD_S it plays the message
            await asyncio.sleep(outage_s)
            assert in_safe_harbor(sim, leg)
        started = time.monotonic()
        async with run_system(services, engine_id=ENGINE, tick_s=0.2) as system:
            took_s = time.monotonic() - started
            await until(lambda: in_safe_harbor(sim, leg), timeout_s=5, what="the safe-harbor message")
            assert system.engine.errors == []
        assert took_s < 5.0      # the message started as soon as the engine was up, not after a long hold
        row = await services.pool.fetchrow("SELECT outcome, ready_at FROM call_records WHERE id = $1", call_id)
        assert row["outcome"] == "abandoned" and row["ready_at"] is not None
        figures = await call_records.abandonment(services.pool, campaign_id=scenario.campaign.id,
                                                 now=services.clock.now(), window=timedelta(days=30))
        assert (figures.answers, figures.abandons) == (1, 1)
        answers, abandons = await call_records.answer_history(services.pool, campaign_id=scenario.campaign.id,
                                                              now=services.clock.now())
        assert len(answers) == 1 and len(abandons) == 1            # the pacer's seed counts it too
        settled = await services.pool.fetchrow("SELECT last_abandoned_at FROM leads WHERE id = $1", lead.id)
        assert settled["last_abandoned_at"] is not None


async def test_a_planned_stop_signs_out_waiting_agents_and_hangs_up_their_phones(services, db_pool,
                                                                                 build_scenario) -> None:
    """Found on a real Asterisk: after ``dialer serve`` stopped, every agent's phone sat in its conference
    with music for good. A planned stop signs out agents waiting for a call; nothing is left on the PBX."""
    async with outliving_pbx(services, speed=20.0) as sim:
        scenario = await build_scenario(db_pool, leads=3, agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                        dnc_share=0.0, outside_share=0.0)
        cid = scenario.campaign.id
        async with run_system(services, engine_id=ENGINE, tick_s=0.5) as system:
            engine = system.engine
            deadline = time.monotonic() + 30
            while cid not in engine.campaigns:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            for agent_id in scenario.agent_ids:
                await engine.agent_login(agent_id, cid, phone_dial_string=virtual_phone(agent_id))
            await engine.agent_pause(scenario.agent_ids[1], "lunch")
            while not all(engine.agent_state(a)["state"] in ("ready", "paused") for a in scenario.agent_ids):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            phones = {id(c.leg) for c in sim.channels() if c.leg is not None and c.leg.kind == "agent"}
            assert len(phones) == 2
        assert engine.errors == []
        assert [c.name for c in sim.channels() if c.leg is not None and c.leg.kind == "agent"] == []
        assert await db_pool.fetchval("SELECT count(*) FROM agent_sessions") == 0
