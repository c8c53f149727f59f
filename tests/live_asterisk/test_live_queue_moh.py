"""A queue's music-on-hold class on a real Asterisk 22 running the shipped dialplan, with the engine in this
process.

The lab's musiconhold.conf has a second class, ``dialer-lab`` (asterisk/README.md). The queue's class is
``dialer-lab``; its only agent is on a break. Caller A holds at its DID in ``default`` (no queue known yet),
then the engine sets ``DIALER_MOH`` and Redirects it to ``dialer-inbound,hold``: Asterisk's
``MusicOnHoldStart`` carries ``Class: dialer-lab``. The agent gets ready and takes A. Caller B arrives while
the agent is ready again: it is put through at once, never redirected to hold and its class never set. The
queue save's check asks the same Asterisk (``moh show classes``): ``dialer-lab`` is there, a class
musiconhold.conf lacks is refused naming the server (Asterisk would play ``default`` instead, recording r1).
An independent AMI witness checks what Asterisk reports.
"""

from __future__ import annotations

import asyncio

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer.engine_api import DispositionInput
from dialer.settings import AmiServer
from dialer.sound_check import check_moh_class
from dialer.system import run_system
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen
from tests.live_asterisk.live_system import campaign_on_test_network
from tests.live_asterisk.record_inbound import inbound_caller
from tests.live_asterisk.test_live_press1 import on_leg
from tests.live_asterisk.test_live_transfer_hold import until

DID = "+842873001779"
LAB_CLASS = "dialer-lab"


def music(watch: AmiWatch, uid: str) -> list[tuple[str, str]]:
    """Each MusicOnHoldStart of ``uid``: (the extension it started in, its Class)."""
    return [(seen.get("Exten"), seen.get("Class"))
            for seen in watch.matching(on_leg("MusicOnHoldStart", uid))]


def current_call(engine, agent: int) -> str:  # type: ignore[no-untyped-def]
    return engine.agent_state(agent)["call"]["call_id"]


def moh_set(uid: str):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return on_leg("VarSet", uid, Variable="DIALER_MOH")(seen)
    return check


async def test_a_waiting_caller_holds_in_its_queues_class_and_a_caller_taken_at_once_is_not_redirected(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    live = await campaign_on_test_network(services.pool, numbers=[], agents=1, now=services.clock.now(),
                                          mode=DialMode.PREVIEW, name="live-queue-moh", amd=False)
    (agent,) = live.agents
    queue = await queue_repository.save_queue(services.pool, queue=Queue.from_dict({
        "name": "Live jazz line", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES},
        "moh_class": LAB_CLASS}))
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={agent: 5})
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    a, b = "live-moh-a-2", "live-moh-b-2"      # the Local channels' halves in dialer-inbound
    async with run_system(services, engine_id="live-queue-moh", tick_s=0.5) as system:
        engine = system.engine
        async with asyncio.timeout(10):
            await system.dnc.wait_loaded()
        await until(lambda: live.campaign.id in engine.campaigns, what="the campaign loaded")
        known = await check_moh_class(engine.pbx, LAB_CLASS)
        unknown = await check_moh_class(engine.pbx, "no-such-class")
        await engine.agent_login(agent, live.campaign.id)
        await until(lambda: engine.agent_state(agent)["state"] == "ready",
                    what="the agent's phone in its conference")
        await engine.agent_pause(agent, "break")
        await inbound_caller(watch, "live-moh-a", DID.lstrip("+"), 12, "+15550007771")
        held = await watch.wait_for(lambda s: on_leg("MusicOnHoldStart", a)(s) and s.get("Exten") == "hold",
                                    timeout_s=10)
        await engine.agent_ready(agent)
        joined_a = await watch.wait_for(on_leg("ConfbridgeJoin", a), timeout_s=10)
        await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30,
                    what="A's talk over")
        await engine.set_disposition(agent, DispositionInput(current_call(engine, agent), "resolved"))
        await until(lambda: engine.agent_state(agent)["state"] == "ready", what="the agent ready again")
        await inbound_caller(watch, "live-moh-b", DID.lstrip("+"), 6, "+15550007772")
        joined_b = await watch.wait_for(on_leg("ConfbridgeJoin", b), timeout_s=10)
        await until(lambda: engine.agent_state(agent)["state"] == "wrap_up", timeout_s=30,
                    what="B's talk over")
        await engine.set_disposition(agent, DispositionInput(current_call(engine, agent), "resolved"))
        await engine.drain()
    assert engine.errors == []
    assert (known.verified, known.missing) == (True, ())
    assert unknown.missing == (("no-such-class", "live"),)
    # A: default at its DID (its queue not yet known), then the queue's class at `hold` until the agent
    # took it
    assert held.get("Class") == LAB_CLASS
    assert music(watch, a) == [(DID.lstrip("+"), "default"), ("hold", LAB_CLASS)]
    assert [s.get("Value") for s in watch.matching(moh_set(a))] == [LAB_CLASS]
    assert joined_a.get("Conference") == f"agent-{agent}" and joined_a.at > held.at
    # B: put through at once; no class set, never redirected to hold
    assert joined_b.get("Conference") == f"agent-{agent}"
    assert music(watch, b) in ([], [(DID.lstrip("+"), "default")]) and watch.matching(moh_set(b)) == []
    inbound = await services.pool.fetch("SELECT * FROM call_records WHERE direction = 'inbound' ORDER BY id")
    assert [(r["phone_e164"], r["outcome"]) for r in inbound] == [("+15550007771", "handled"),
                                                                   ("+15550007772", "handled")]
