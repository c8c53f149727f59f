"""Agents who are really there: an agent whose panels are all gone past the grace period is paused as
"disconnected" and routed no call, a call reserved for it goes to another agent or to safe harbor, and
the panel that comes back is told why; an agent whose phone hangs up is signed out and told why.

The machines together (pure), then end to end: a running campaign on the simulated PBX over TCP, on an
accelerated clock, worked by two agents through the panel's real websocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis

from campaigns import repository as campaigns_repo
from campaigns.model import DialMode
from dialer import agents as ag
from dialer import calls as ca
from dialer import routing, users
from dialer.agents import DISCONNECTED, Agent, AgentState
from dialer.calls import Call, CallPolicy, CallState, Pool, PoolKind
from dialer.clock import RealClock
from dialer.effects import AgentLost, RedirectToSafeHarbor, ReleaseAgent, SeekAgent
from dialer.routing import RouteAction
from dialer.services import Services
from dialer.settings import load_settings
from dialer.system import run_system
from dialer.users import Role
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from tests.agents_ws.conftest import PASSWORD, AsgiSocket, Closed, sign_in

SALES = Pool(PoolKind.CAMPAIGN, 1)


def agent(agent_id: int, state: AgentState = AgentState.READY, **changes: Any) -> Agent:
    return Agent(agent_id, pools=frozenset({SALES}), state=state, ready_since=0.0, leg_id=f"dl-a{agent_id}",
                 **changes)


def reserved_call(agent_id: int, ready_at: float = 10.0) -> Call:
    return Call(7, "dl-7", SALES, CallPolicy(), state=CallState.CONNECTING, ready_at=ready_at,
                answered_at=ready_at, agent_id=agent_id)


# --- the machines together ------------------------------------------------------------------------------
def test_a_ready_agent_whose_panels_are_gone_is_paused_as_disconnected_and_the_router_passes_it_by() -> None:
    ann, effects = ag.step(agent(1), ag.PanelGone(), 50.0)
    assert (ann.state, ann.pause_reason, effects) == (AgentState.PAUSED, DISCONNECTED, ())
    waiting = Call(8, "dl-8", SALES, CallPolicy(), state=CallState.WAITING, ready_at=50.0, answered_at=50.0)
    assert routing.decide(waiting, [ann], 50.1).action is RouteAction.WAIT


def test_a_call_reserved_for_an_agent_whose_panels_went_goes_to_another_agent() -> None:
    ann, effects = ag.step(agent(1, AgentState.RESERVED, call_id=7), ag.PanelGone(), 10.3)
    assert (ann.state, ann.pause_reason, ann.call_id) == (AgentState.PAUSED, DISCONNECTED, None)
    assert effects == (AgentLost(7, 1),)
    call, call_effects = ca.step(reserved_call(1), ca.AgentGone(1), 10.3)
    assert call.state is CallState.WAITING and call_effects == (ReleaseAgent(1, 7), SeekAgent(7))
    assert ag.step(ann, ag.Release(7), 10.3) == (ann, ()), "the paused agent stays paused"
    (decision,) = routing.assign([call], [ann, agent(2)], 10.3)
    assert (decision.action, decision.agent_id) == (RouteAction.CONNECT, 2)


def test_a_call_reserved_for_an_agent_whose_panels_went_after_the_deadline_goes_to_safe_harbor() -> None:
    _, effects = ag.step(agent(1, AgentState.RESERVED, call_id=7), ag.PanelGone(), 11.6)
    assert effects == (AgentLost(7, 1),)
    call, call_effects = ca.step(reserved_call(1, ready_at=10.0), ca.AgentGone(1), 11.6)
    assert call.state is CallState.ABANDONED or any(isinstance(e, RedirectToSafeHarbor) for e in call_effects)
    assert any(isinstance(e, RedirectToSafeHarbor) for e in call_effects)


def test_on_a_call_the_disconnected_pause_comes_after_the_disposition_and_an_own_pause_is_kept() -> None:
    on_call, effects = ag.step(agent(1, AgentState.ON_CALL, call_id=7, on_call_since=1.0), ag.PanelGone(), 5.0)
    assert (on_call.state, on_call.pending_pause, effects) == (AgentState.ON_CALL, DISCONNECTED, ())
    wrap, _ = ag.step(on_call, ag.CustomerLeft(7), 9.0)
    after, _ = ag.step(wrap, ag.Dispose("sale"), 12.0)
    assert (after.state, after.pause_reason) == (AgentState.PAUSED, DISCONNECTED)
    lunch = agent(2, AgentState.PAUSED, pause_reason="lunch")
    assert ag.step(lunch, ag.PanelGone(), 5.0) == (lunch, ())
    assert ag.step(agent(3, AgentState.LOGGED_OUT), ag.PanelGone(), 5.0)[1] == ()


# --- end to end -------------------------------------------------------------------------------------------
SPEED = 5.0
GRACE_S = 8.0          # clock seconds: 1.6 s of real time (a busy test machine stalls the loop a while)
MODEL = CustomerModel(connect_rate=0.9, machine_rate=0.0, busy_rate=0.05, congestion_rate=0.0, invalid_rate=0.0,
                      ring=LogNormal(6.0, 0.3), talk=LogNormal(8.0, 0.3), patience=LogNormal(30.0, 0.3),
                      no_answer_s=20.0)


class Person:
    """An agent at the panel: answers the heartbeats, sets a disposition after each call, keeps every state."""

    def __init__(self, ws: AsgiSocket) -> None:
        self.ws = ws
        self.states: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        with contextlib.suppress(Closed):
            while True:
                message = await self.ws.receive(timeout_s=120)
                if message["type"] == "heartbeat":
                    await self.ws.send({"type": "ping"})
                elif message["type"] == "state":
                    self.states.append(message)
                    if message["state"] == "wrap_up" and message.get("call"):
                        await self.ws.send({"type": "dispose", "call_id": str(message["call"]["call_id"]),
                                            "code": "sale"})

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def until(check: Any, *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


@dataclass
class Floor:
    """A running progressive campaign on the simulated PBX, its engine, the web app, two agents."""

    services: Services
    system: Any
    app: Any
    campaign_id: int
    ann: users.User
    bob: users.User
    stack: contextlib.AsyncExitStack

    @property
    def engine(self) -> Any:
        return self.system.engine

    def agent(self, user_id: int) -> Agent:
        return self.engine.agents[user_id]

    async def panel(self, user: users.User, stack: contextlib.AsyncExitStack | None = None) -> Person:
        cookies, token = await sign_in(self.app, user.username)
        ws = await (stack or self.stack).enter_async_context(
            AsgiSocket(self.app, "/agent/ws", query=f"csrf={token}", cookies=cookies))
        return Person(ws)

    async def connected_since(self, at: datetime) -> list[Any]:
        return await self.services.pool.fetch(
            "SELECT agent_id, connected_at FROM call_records WHERE campaign_id = $1 AND connected_at > $2",
            self.campaign_id, at)


@contextlib.asynccontextmanager
async def working_floor(db_pool, database_url, redis_url, tmp_path, build_scenario,  # type: ignore[no-untyped-def]
                        name: str) -> AsyncIterator[Floor]:
    from admin_ui.app import create_app

    settings = load_settings(None, mode="development", secret_key="k" * 32, data_dir=tmp_path, speed=SPEED,
                             redis_url=redis_url, panel_grace_s=GRACE_S,
                             agent_phone_template="Local/agent-{agent_id}@sim-agent-phone")
    clock = RealClock(speed=SPEED)
    services = Services(settings=settings, pool=db_pool, redis=redis.Redis.from_url(redis_url), clock=clock)
    services.extras["database_url"] = database_url
    app = create_app(services)
    ann = await users.create_user(db_pool, username=f"ann-{name}", password=PASSWORD, role=Role.AGENT)
    bob = await users.create_user(db_pool, username=f"bob-{name}", password=PASSWORD, role=Role.AGENT)
    scenario = await build_scenario(db_pool, leads=400, agents=0, dnc_share=0.0, outside_share=0.0,
                                    now=clock.now(), mode=DialMode.PROGRESSIVE)
    campaign_id = scenario.campaign.id
    async with db_pool.acquire() as conn:
        await campaigns_repo.set_campaign_agents(conn, campaign_id=campaign_id, user_ids=[ann.id, bob.id])
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=4, customer_model=MODEL),
                          engine_id=name) as system, contextlib.AsyncExitStack() as stack:
        floor = Floor(services, system, app, campaign_id, ann, bob, stack)
        await until(lambda: campaign_id in system.engine.campaigns, timeout_s=30, what="the campaign to run")
        yield floor


@pytest.mark.slow
async def test_an_agent_whose_panel_closes_gets_no_call_after_the_grace_period_and_is_told_why_when_back(
        db_pool, database_url, redis_url, tmp_path, build_scenario) -> None:
    async with working_floor(db_pool, database_url, redis_url, tmp_path, build_scenario, "panel") as floor:
        ann, bob, clock = floor.ann, floor.bob, floor.services.clock
        anns_panel = await floor.panel(ann)
        bobs_stack = await floor.stack.enter_async_context(contextlib.AsyncExitStack())
        bobs_panel = await floor.panel(bob, bobs_stack)
        for person in (anns_panel, bobs_panel):
            await person.ws.send({"type": "login", "campaign_id": floor.campaign_id})

        # both work the campaign; then Bob's browser closes while he waits for a call
        await until(lambda: ann.id in floor.engine.agents and bob.id in floor.engine.agents
                    and floor.agent(ann.id).calls_today >= 1 and floor.agent(bob.id).calls_today >= 1,
                    timeout_s=60, what="both agents to take a call")
        await until(lambda: floor.agent(bob.id).state is AgentState.READY, timeout_s=30, what="Bob to be ready")
        await bobs_panel.stop()
        await bobs_stack.aclose()
        closed_at = clock.now()
        bob_calls_before = floor.agent(bob.id).calls_today

        # every call connected after the grace period goes to Ann; Bob ends paused as disconnected
        anns_before = floor.agent(ann.id).calls_today
        await until(lambda: floor.agent(ann.id).calls_today >= anns_before + 5, timeout_s=60,
                    what="Ann to take more calls")
        rows = await floor.connected_since(closed_at + timedelta(seconds=GRACE_S + 0.5))
        assert len(rows) >= 4, rows
        assert {r["agent_id"] for r in rows} == {ann.id}, "a call reached the agent whose panel had closed"
        bob_now = floor.agent(bob.id)
        assert DISCONNECTED in (bob_now.pause_reason, bob_now.pending_pause), bob_now
        assert bob_now.calls_today <= bob_calls_before + 1     # at most the one that reached him in the grace
        assert floor.engine.errors == []

        # Bob's panel comes back: he is told why he was paused, presses Ready and takes calls again
        bobs_panel = await floor.panel(bob)
        await until(lambda: any(s.get("notice") == "paused_disconnected" for s in bobs_panel.states),
                    timeout_s=30, what="the panel to say why Bob is paused")
        told = next(s for s in bobs_panel.states if s.get("notice") == "paused_disconnected")
        assert (told["state"], told["pause_reason"]) == ("paused", DISCONNECTED)
        await bobs_panel.ws.send({"type": "ready"})
        back = floor.agent(bob.id).calls_today
        await until(lambda: floor.agent(bob.id).calls_today > back, timeout_s=60, what="Bob to take a call again")
        await anns_panel.stop()
        await bobs_panel.stop()


async def test_a_call_reserved_for_an_agent_when_its_panel_falls_silent_goes_to_the_other_agent_or_safe_harbor_in_time(
        db_pool, database_url, redis_url, tmp_path, build_scenario) -> None:
    async with working_floor(db_pool, database_url, redis_url, tmp_path, build_scenario, "reserved") as floor:
        ann, bob, engine = floor.ann, floor.bob, floor.engine
        anns_panel, bobs_panel = await floor.panel(ann), await floor.panel(bob)
        for person in (anns_panel, bobs_panel):
            await person.ws.send({"type": "login", "campaign_id": floor.campaign_id})
        await until(lambda: ann.id in engine.agents and bob.id in engine.agents
                    and floor.agent(bob.id).calls_today >= 1, timeout_s=60, what="Bob to take a call")

        # the moment the router reserves Bob for a call, his only panel turns out to have been silent for the
        # whole grace period (its network is gone)
        seen: dict[str, Any] = {}

        def watch(before: Call, after: Call) -> None:
            if "call" not in seen and after.state is CallState.CONNECTING and after.agent_id == bob.id:
                seen["call"] = after.call_id
                seen["bob_calls"] = floor.agent(bob.id).calls_today
                (panel_id,) = engine.panels.presence[bob.id].panels
                engine.panels.closed(bob.id, panel_id, silent_s=GRACE_S)
            if after.call_id == seen.get("call") and (after.terminal or after.state is CallState.CONNECTED):
                seen.setdefault("end", after)

        engine.change_listeners.append(watch)
        await until(lambda: "end" in seen, timeout_s=60, what="the reserved call to be settled")
        end: Call = seen["end"]
        assert end.ready_at is not None
        if end.state is CallState.CONNECTED:
            assert end.agent_id == ann.id and end.connected_at is not None
            assert end.connected_at - end.ready_at < 2.0
        else:
            assert end.outcome is ca.CallOutcome.ABANDONED and end.ended_at is not None, end
            assert end.ended_at - end.ready_at < 2.0, "safe harbor by the 2-second rule"
        bob_now = floor.agent(bob.id)
        assert (bob_now.state, bob_now.pause_reason, bob_now.call_id) == (AgentState.PAUSED, DISCONNECTED, None)
        assert bob_now.calls_today == seen["bob_calls"], "the call never reached Bob"
        assert engine.errors == []
        await anns_panel.stop()
        await bobs_panel.stop()


@pytest.mark.slow
async def test_an_agent_whose_phone_hangs_up_gets_no_call_and_its_panel_says_why(
        db_pool, database_url, redis_url, tmp_path, build_scenario) -> None:
    async with working_floor(db_pool, database_url, redis_url, tmp_path, build_scenario, "phone") as floor:
        ann, bob, clock = floor.ann, floor.bob, floor.services.clock
        anns_panel, bobs_panel = await floor.panel(ann), await floor.panel(bob)
        for person in (anns_panel, bobs_panel):
            await person.ws.send({"type": "login", "campaign_id": floor.campaign_id})
        await until(lambda: ann.id in floor.engine.agents and bob.id in floor.engine.agents
                    and floor.agent(ann.id).calls_today >= 1 and floor.agent(bob.id).calls_today >= 1,
                    timeout_s=60, what="both agents to take a call")

        # Ann's phone hangs up (she put it down) while she waits for a call
        await until(lambda: floor.agent(ann.id).state is AgentState.READY, timeout_s=30, what="Ann to be ready")
        leg_id = floor.agent(ann.id).leg_id
        (phone,) = {ch.leg for ch in floor.system.sim.channels() if ch.uniqueid == leg_id}
        floor.system.sim.switch.far_hangup(phone, 16)
        hung_up_at = clock.now()
        await until(lambda: floor.agent(ann.id).state is AgentState.LOGGED_OUT, timeout_s=10,
                    what="Ann to be signed out")
        await until(lambda: any(s.get("phone_notice") == "phone_hung_up" for s in anns_panel.states),
                    timeout_s=10, what="Ann's panel to say why")
        told = next(s for s in anns_panel.states if s.get("phone_notice") == "phone_hung_up")
        assert told["state"] == "logged_out"

        bobs_before = floor.agent(bob.id).calls_today
        await until(lambda: floor.agent(bob.id).calls_today >= bobs_before + 3, timeout_s=60,
                    what="Bob to take more calls")
        rows = await floor.connected_since(hung_up_at)
        assert rows and {r["agent_id"] for r in rows} == {bob.id}
        assert floor.engine.errors == []
        await anns_panel.stop()
        await bobs_panel.stop()
