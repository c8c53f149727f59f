"""A warm transfer by the engine itself (``Engine.transfer_consult``, in this process) on a real Asterisk running the
shipped dialplan: while the agents talk first the customer is on hold, out of the conference with music
(``dialer-hold``); completing the transfer brings it straight to the receiving agent; cancelling brings it back to
the sender. An independent AMI witness checks what Asterisk reports: ``MusicOnHoldStart`` on the customer's
channel and the customer absent from the sender's conference during the consult, then in the right conference.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from campaigns import repository as campaigns_repo
from campaigns.model import DialMode
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.engine import Engine
from dialer.engine_api import DispositionInput
from dialer.runner import view_of
from dialer.settings import AmiServer
from dialer.system import run_system
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen
from tests.live_asterisk.conftest import customer_number
from tests.live_asterisk.live_system import campaign_on_test_network


async def until(check: Callable[[], Any], *, timeout_s: float = 15.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = check()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.1)


async def uniqueids_in(watch: AmiWatch, conference: str) -> set[str]:
    """The Uniqueids of the members of ``conference`` (none when there is no such conference)."""
    listed = await watch.action({"Action": "ConfbridgeList", "Conference": conference})
    names = {m.get("Channel") for m in listed if m.get("Event") == "ConfbridgeList"}
    return {c.get("Uniqueid", "") for c in await watch.channels() if c.get("Channel") in names}


def moh(name: str, uid: str) -> Callable[[Seen], bool]:
    return lambda seen: seen.get("Event") == name and seen.get("Uniqueid") == uid


async def test_talking_first_puts_the_customer_on_hold_and_completing_brings_it_to_the_receiving_agent(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    numbers = [customer_number(1, ring_s=1, stay_s=90, serial=s) for s in (41, 42)]
    live = await campaign_on_test_network(services.pool, numbers=numbers, agents=2, now=services.clock.now(),
                                          mode=DialMode.PREVIEW, name="live-hold", amd=False)
    first, second = live.agents
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    async with run_system(services, engine_id="live-hold", tick_s=0.5) as system:
        engine = system.engine
        try:
            await until(lambda: live.campaign.id in engine.campaigns, what="the campaign loaded")
            for agent in (first, second):
                await engine.agent_login(agent, live.campaign.id)
            await until(lambda: all(engine.agent_state(a)["state"] == "ready" for a in (first, second)),
                        what="both agents' phones in their conferences")
            sender_conf, receiver_conf = f"agent-{first}", f"agent-{second}"
            sender_leg, receiver_leg = engine.agents[first].leg_id, engine.agents[second].leg_id

            async def call_for_sender() -> tuple[str, str]:
                lead = await engine.preview_next(first)
                assert lead is not None
                call_id = await engine.preview_dial(first, lead["lead_id"])
                await until(lambda: engine.agent_state(first)["state"] == "on_call", what="the customer answered")
                customer = engine.calls[int(call_id)].leg_id
                await until(lambda: _has(watch, sender_conf, customer), what="the customer in the conference")
                return call_id, customer

            # a consult, cancelled: the customer on hold meanwhile, then back with the sender
            call_id, customer = await call_for_sender()
            mark = len(watch.events)
            await engine.transfer_consult(first, to_agent_id=second)
            await watch.wait_for(moh("MusicOnHoldStart", customer), timeout_s=5)
            await until(lambda: _equal(watch, sender_conf, {sender_leg, receiver_leg}),
                        what="only the two agents in the sender's conference")
            assert customer not in await uniqueids_in(watch, receiver_conf)
            assert engine.agent_state(first)["state"] == "on_call"
            await engine.transfer_cancel(first)
            await until(lambda: _equal(watch, sender_conf, {sender_leg, customer}), what="the customer back")
            await until(lambda: _equal(watch, receiver_conf, {receiver_leg}), what="the receiving agent home")
            assert [e.get("Event") for e in watch.events[mark:] if e.get("Uniqueid") == customer
                    and e.get("Event", "").startswith("MusicOnHold")] == ["MusicOnHoldStart", "MusicOnHoldStop"]
            await until(lambda: engine.agent_state(second)["state"] == "ready", what="the receiving agent ready")

            # talk first again, then complete: from hold straight into the receiving agent's conference
            await engine.transfer_consult(first, to_agent_id=second)
            await watch.wait_for(moh("MusicOnHoldStart", customer), timeout_s=5)
            await until(lambda: _equal(watch, sender_conf, {sender_leg, receiver_leg}), what="the consult")
            await engine.transfer_complete(first)
            await until(lambda: _equal(watch, receiver_conf, {receiver_leg, customer}),
                        what="the customer with the receiving agent")
            assert await uniqueids_in(watch, sender_conf) == {sender_leg}
            joins = [e.get("Conference") for e in watch.events[mark:]
                     if e.get("Event") == "ConfbridgeJoin" and e.get("Uniqueid") == customer]
            assert joins == [sender_conf, receiver_conf]        # back once after the cancel, never after completing
            await until(lambda: engine.agent_state(first)["state"] == "ready", what="the sender ready again")
            assert engine.agent_state(second)["call"]["transfer"]["stage"] == "talking"
            await engine.hangup(second)
            await until(lambda: engine.agent_state(second)["call"]["transfer"]["stage"] == "wrap_up",
                        what="the receiving agent's wrap-up")
            await engine.set_disposition(second, DispositionInput(call_id, "sale", notes="taken from hold"))
            await until(lambda: engine.agent_state(second)["state"] == "ready", what="the receiving agent ready")
            await engine.drain()
            assert engine.errors == [] and engine.holds == {}
            record = await services.pool.fetchrow("SELECT outcome, disposition FROM call_records WHERE id = $1",
                                                  int(call_id))
            assert dict(record) == {"outcome": "handled", "disposition": "sale"}
            timeline = await services.pool.fetch(
                "SELECT agent_id, consult_agent_id, end_reason FROM call_holds WHERE call_id = $1 ORDER BY id",
                int(call_id))
            assert [tuple(r) for r in timeline] == [(first, second, "back"), (first, second, "transferred")]
        finally:
            for agent in (first, second):
                await engine.agent_logout(agent)
            await engine.drain()


async def _has(watch: AmiWatch, conference: str, uid: str) -> bool:
    return uid in await uniqueids_in(watch, conference)


async def _equal(watch: AmiWatch, conference: str, uids: set[str | None]) -> bool:
    return await uniqueids_in(watch, conference) == uids


async def test_an_engine_killed_mid_consult_gives_the_customer_back_from_hold_to_its_agent(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    """As ``kill -9`` of the engine during the consult: the PBX keeps every channel (the customer on hold, the
    receiving agent's phone in the sender's conference); the restarted engine (same engine id) sends that phone
    home and the customer back to the sender, adopts the call, which ends with a disposition; nobody is dialled
    again."""
    engine_id = "live-hold-crash"
    number = customer_number(1, ring_s=1, stay_s=90, serial=43)
    live = await campaign_on_test_network(services.pool, numbers=[number], agents=2, now=services.clock.now(),
                                          mode=DialMode.PREDICTIVE, name="live-hold-crash", amd=False)
    sender, receiver = live.agents
    config = AmiServerConfig(name="live", host=ami_target.host, port=ami_target.port, username=ami_target.username,
                             secret=ami_target.secret, max_channels=10)
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    adapter = AmiAdapter([config], clock=services.clock)
    await adapter.start()
    doomed = Engine(pool=services.pool, pbx=adapter, clock=services.clock, engine_id=engine_id)
    view = view_of(live.campaign)
    doomed.campaigns[live.campaign.id] = view
    doomed.spawn(doomed.consume_pbx_events(), name="pbx-events")
    async with services.pool.acquire() as conn:
        (lead,) = await campaigns_repo.claim_leads(conn, campaign_id=live.campaign.id, limit=1, engine_id=engine_id,
                                                   now=services.clock.now())
    await doomed.agent_login(sender, live.campaign.id)
    await until(lambda: doomed.agent_state(sender)["state"] == "ready", what="the sender ready")
    call_id = await doomed.dial(view, number_e164=lead.phone_e164, lead_id=lead.id)
    await until(lambda: doomed.agent_state(sender)["state"] == "on_call", what="the customer with the sender")
    await doomed.agent_login(receiver, live.campaign.id)
    await until(lambda: doomed.agent_state(receiver)["state"] == "ready", what="the receiver ready")
    customer = doomed.calls[call_id].leg_id
    legs = {a: doomed.agents[a].leg_id for a in (sender, receiver)}
    await doomed.transfer_consult(sender, to_agent_id=receiver)
    await watch.wait_for(moh("MusicOnHoldStart", customer), timeout_s=5)
    await until(lambda: _equal(watch, f"agent-{sender}", {legs[sender], legs[receiver]}), what="the consult")
    # kill -9: tasks stop where they are, the AMI link goes, every channel stays on Asterisk
    for task in list(doomed._tasks):
        task.cancel()
    await asyncio.gather(*doomed._tasks, return_exceptions=True)
    await adapter.close()
    mark = len(watch.events)
    async with run_system(services, engine_id=engine_id, tick_s=0.5) as system:
        engine = system.engine
        try:
            await until(lambda: _equal(watch, f"agent-{sender}", {legs[sender], customer}),
                        what="the customer back with its agent")
            assert any(moh("MusicOnHoldStop", customer)(e) for e in watch.events[mark:])
            view_now = engine.agent_state(sender)
            assert view_now["state"] == "on_call" and view_now["call"]["call_id"] == str(call_id)
            assert customer in {c.get("Uniqueid") for c in await watch.channels()}      # never cut
            await engine.hangup(sender)
            await until(lambda: engine.agent_state(sender)["state"] == "wrap_up", what="the sender's wrap-up")
            await engine.set_disposition(sender, DispositionInput(str(call_id), "sale"))
            await until(lambda: engine.agent_state(sender)["state"] == "ready", what="the sender ready again")
            await engine.drain()
        finally:
            for agent in (sender, receiver):
                await engine.agent_logout(agent)
            await engine.drain()
    record = await services.pool.fetchrow("SELECT outcome, disposition, agent_id FROM call_records WHERE id = $1",
                                          call_id)
    assert dict(record) == {"outcome": "handled", "disposition": "sale", "agent_id": sender}
    timeline = await services.pool.fetch("SELECT end_reason FROM call_holds WHERE call_id = $1", call_id)
    assert [r["end_reason"] for r in timeline] == ["recovered"]
    dialled = {e.get("Uniqueid") for e in watch.events if e.get("Event") == "Newchannel"
               and e.get("Channel", "").startswith(f"Local/{number.removeprefix('+')}@")
               and e.get("Channel", "").endswith(";1")}
    assert dialled == {customer}                                                  # dialled once, never again
