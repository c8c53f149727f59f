"""Live supervision on a real Asterisk running the shipped dialplan (``dialer-supervise``).

With the engine in this process: an agent talks with a customer of the test network; its team lead listens (the
lead's own phone, ``Local/agent-<lead id>@dialer-test-network``, is originated into ChanSpy on the agent's phone leg),
whispers, barges in (each a Redirect of the same leg: Asterisk reports ChanSpyStop then ChanSpyStart in the new
extension), then stops; listening again, the end of the call hangs the lead's phone up. And, straight over AMI, the spied channel is chosen exactly: with phones
``Local/agent-1@...`` and ``Local/agent-10@...`` both up (the first name is a prefix of the second), a spy on agent 1's
leg id or on its full channel name reaches agent 1 and never agent 10.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from campaigns.model import DialMode
from dialer.settings import AmiServer
from dialer.system import run_system
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen, event
from tests.live_asterisk.conftest import TEST_NETWORK, customer_number
from tests.live_asterisk.live_system import campaign_on_test_network
from tests.live_asterisk.test_live_transfer_hold import until


async def agent_on_a_preview_call(engine: Any, campaign_id: int, agent: int) -> int:
    """The agent, signed in to the loaded campaign and ready on their phone, dials its next preview lead; the call's
    id once the customer answered."""
    await until(lambda: campaign_id in engine.campaigns, what="the campaign loaded")
    await engine.agent_login(agent, campaign_id)
    await until(lambda: engine.agent_state(agent)["state"] == "ready", what="the agent's phone")
    row = await engine.preview_next(agent)
    assert row is not None
    call_id = int(await engine.preview_dial(agent, row["lead_id"]))
    await until(lambda: engine.agent_state(agent)["state"] == "on_call", what="the customer answered")
    return call_id


async def leave_nothing_behind(engine: Any, agent: int, watch: AmiWatch) -> None:
    """Sign the agent out and hang up whatever of ours is still up in Asterisk: a logout during a call waits for
    its end, and the test network's phone stays up 10 h."""
    await engine.agent_logout(agent)
    await engine.drain()
    ours = {engine.agents[agent].leg_id, *(c.leg_id for c in engine.calls.values())} - {None}
    for channel in await watch.channels():
        if channel.get("Uniqueid") in ours:
            await watch.action({"Action": "Hangup", "Channel": channel.get("Channel", ""), "Cause": "16"})


def spy_start(spyer: str, since: int, watch: AmiWatch) -> Callable[[Seen], bool]:
    return lambda s: s in watch.events[since:] and s.get("Event") == "ChanSpyStart" and s.get("SpyerUniqueid") == spyer


async def test_a_lead_listens_whispers_and_barges_into_a_real_call(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    live = await campaign_on_test_network(services.pool, numbers=[customer_number(1, ring_s=1, stay_s=90, serial=61)],
                                          agents=2, now=services.clock.now(), mode=DialMode.PREVIEW,
                                          name="live-supervise", amd=False)
    agent, lead = live.agents       # the second user is the lead: its phone is a test-network phone too
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    async with run_system(services, engine_id="live-supervise", tick_s=0.5) as system:
        engine = system.engine
        try:
            await agent_on_a_preview_call(engine, live.campaign.id, agent)
            agent_leg = engine.agents[agent].leg_id

            mark = len(watch.events)
            session = await engine.supervision.supervise(lead, agent, "listen")
            start = await watch.wait_for(spy_start(session.leg_id, mark, watch), timeout_s=10)
            assert start.get("SpyeeUniqueid") == agent_leg and start.get("SpyerExten") == "listen"
            assert start.get("SpyerChannel", "").startswith(f"Local/agent-{lead}@{TEST_NETWORK}-")
            await until(lambda: engine.supervision.monitored(agent), what="the lead's answer seen by the engine")
            for mode in ("whisper", "barge"):
                mark = len(watch.events)
                again = await engine.supervision.supervise(lead, agent, mode)
                assert again.leg_id == session.leg_id           # the same phone call, redirected
                start = await watch.wait_for(spy_start(session.leg_id, mark, watch), timeout_s=10)
                assert start.get("SpyerExten") == mode and start.get("SpyeeUniqueid") == agent_leg
                stops = watch.matching(lambda s, m=mark: s in watch.events[m:] and s.get("Event") == "ChanSpyStop"
                                       and s.get("SpyerUniqueid") == session.leg_id)
                assert len(stops) == 1
            await engine.supervision.stop(lead)
            await watch.wait_for(event("Hangup", Uniqueid=session.leg_id), timeout_s=10)
            await until(lambda: lead not in engine.supervision.sessions, what="the session over")
            assert engine.agent_state(agent)["state"] == "on_call"     # the agent's call goes on
            # listening again, then the agent ends the call: the lead's phone is hung up with it
            mark = len(watch.events)
            again = await engine.supervision.supervise(lead, agent, "listen")
            await watch.wait_for(spy_start(again.leg_id, mark, watch), timeout_s=10)
            await engine.hangup(agent)
            await watch.wait_for(event("Hangup", Uniqueid=again.leg_id), timeout_s=10)
            assert engine.agents[agent].leg_id == agent_leg            # the agent's phone stays up
            assert engine.errors == []
        finally:
            await leave_nothing_behind(engine, agent, watch)


async def _agent_phone(watch: AmiWatch, number: int) -> tuple[str, str]:
    """An agent phone ``Local/agent-<number>@dialer-test-network`` waiting in its conference: (leg id, channel)."""
    leg = f"sv-{number}-{uuid.uuid4().hex[:8]}"
    answer = await watch.action({"Action": "Originate", "Channel": f"Local/agent-{number}@{TEST_NETWORK}",
                                 "Context": "dialer-agent", "Exten": f"agent-{number}", "Priority": "1",
                                 "Async": "true", "ChannelId": leg, "OtherChannelId": f"{leg}-2",
                                 "Variable": f"DIALER_LEG_ID={leg},DIALER_AGENT_ID={number}"})
    assert answer[0].get("Response") == "Success", answer
    joined = await watch.wait_for(event("ConfbridgeJoin", Uniqueid=leg), timeout_s=10)
    return leg, joined.get("Channel", "")


async def test_a_spy_on_agent_1_never_reaches_agent_10(watch: AmiWatch) -> None:
    ten, _ = await _agent_phone(watch, 10)      # agent 10 first: a prefix search would meet it too
    one, one_channel = await _agent_phone(watch, 1)
    assert one_channel.startswith(f"Local/agent-1@{TEST_NETWORK}-")
    try:
        for target in (one, one_channel):          # the leg id (Uniqueid), or the full channel name
            spyer = f"sv-lead-{uuid.uuid4().hex[:8]}"
            mark = len(watch.events)
            answer = await watch.action({"Action": "Originate", "Channel": f"Local/agent-99@{TEST_NETWORK}",
                                         "Context": "dialer-supervise", "Exten": "listen", "Priority": "1",
                                         "Async": "true", "ChannelId": spyer, "OtherChannelId": f"{spyer}-2",
                                         "Variable": f"DIALER_LEG_ID={spyer},DIALER_SPY_TARGET={target}"})
            assert answer[0].get("Response") == "Success", answer
            start = await watch.wait_for(spy_start(spyer, mark, watch), timeout_s=10)
            assert start.get("SpyeeUniqueid") == one and start.get("SpyeeChannel") == one_channel
            began = time.monotonic()
            await watch.action({"Action": "Hangup", "Channel": spyer, "Cause": "16"})
            await watch.wait_for(event("Hangup", Uniqueid=spyer), timeout_s=10)
            assert time.monotonic() - began < 5
            assert not watch.matching(lambda s: s.get("Event") == "ChanSpyStart" and s.get("SpyeeUniqueid") == ten)
        # a target that is no channel at all: no spy, the lead's leg ends at once (option S)
        spyer = f"sv-lead-{uuid.uuid4().hex[:8]}"
        await watch.action({"Action": "Originate", "Channel": f"Local/agent-99@{TEST_NETWORK}",
                            "Context": "dialer-supervise", "Exten": "listen", "Priority": "1", "Async": "true",
                            "ChannelId": spyer, "OtherChannelId": f"{spyer}-2",
                            "Variable": f"DIALER_LEG_ID={spyer},DIALER_SPY_TARGET=sv-nobody"})
        await watch.wait_for(event("Hangup", Uniqueid=spyer), timeout_s=5)
        assert not watch.matching(lambda s: s.get("Event") == "ChanSpyStart" and s.get("SpyerUniqueid") == spyer)
    finally:
        for leg in (one, ten):
            await watch.action({"Action": "Hangup", "Channel": leg, "Cause": "16"})
