"""A queue's limits on a real Asterisk 22 running the shipped dialplan (issue 15). A pretend caller (the test
network's ``caller-<N>``) dials a DID whose queue nobody serves; past the queue's maximum wait the engine sends it
to ``dialer-inbound,voicemail`` with the queue's box. An independent AMI witness checks what Asterisk does:
``VoiceMail`` runs with the box; this lab Asterisk has no voicemail.conf, so app_voicemail answers VMSTATUS
FAILED and the dialplan plays the closed message (PLAYBACKSTATUS SUCCESS) instead of leaving silence.
A second caller, past the queue's maximum of one waiting caller, is sent to voicemail at once.
"""

from __future__ import annotations

import time

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from dialer.settings import AmiServer
from dialer.system import run_system
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen
from tests.live_asterisk.conftest import customer_number
from tests.live_asterisk.live_system import campaign_on_test_network
from tests.live_asterisk.record_inbound import inbound_caller
from tests.live_asterisk.test_live_transfer_hold import until

DID = "+842873001778"
ALL_WEEK = {d: "00:00-24:00" for d in DAY_NAMES}


def on_channel(name: str, uid: str, **fields: str):  # type: ignore[no-untyped-def]
    def check(seen: Seen) -> bool:
        return (seen.get("Event") == name or seen.get("UserEvent") == name) and seen.get("Uniqueid") == uid \
            and all(seen.get(k) == v for k, v in fields.items())
    return check


async def test_callers_past_max_wait_or_max_waiting_go_to_the_queues_voicemail_box_then_hear_the_closed_message(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    live = await campaign_on_test_network(services.pool, numbers=[customer_number(1, serial=52)], agents=1,
                                          now=services.clock.now(), mode=DialMode.PREVIEW, name="live-limits",
                                          amd=False)
    await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Live limits", "dids": [DID], "hours": ALL_WEEK, "max_wait_s": 10, "max_waiting": 1,
         "overflow_action": "voicemail", "voicemail_box": "100"}))
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    first, second = "live-vm-a-2", "live-vm-b-2"      # the Local channels' halves in dialer-inbound
    async with run_system(services, engine_id="live-limits", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: live.campaign.id in engine.campaigns, what="the campaign loaded")
        await inbound_caller(watch, "live-vm-a", DID.lstrip("+"), 40, "+15550005551")
        await watch.wait_for(on_channel("MusicOnHoldStart", first), timeout_s=10)
        held_at = time.monotonic()
        await until(lambda: any(c.inbound for c in engine.calls.values()), what="the first caller in its queue")
        # the queue holds one caller at most: the second is sent to voicemail at once
        await inbound_caller(watch, "live-vm-b", DID.lstrip("+"), 40, "+15550005552")
        # (this manager user gets no Newexten: app_voicemail's VMSTATUS, set in the voicemail extension, shows it ran)
        b_status = await watch.wait_for(on_channel("VarSet", second, Variable="VMSTATUS"), timeout_s=10)
        # the first, after its 10 s
        a_status = await watch.wait_for(on_channel("VarSet", first, Variable="VMSTATUS"), timeout_s=20)
        waited = time.monotonic() - held_at
        played = await watch.wait_for(on_channel("VarSet", first, Variable="PLAYBACKSTATUS"), timeout_s=15)
        await watch.wait_for(on_channel("Hangup", first), timeout_s=10)
        await watch.wait_for(on_channel("Hangup", second), timeout_s=15)

        async def closed() -> bool:
            rows = await services.pool.fetch("SELECT outcome FROM call_records WHERE direction = 'inbound'")
            return len(rows) == 2 and all(r["outcome"] for r in rows)
        await until(closed, what="both records closed")
    assert engine.errors == []
    boxes = [e.get("Value") for e in watch.matching(on_channel("VarSet", first, Variable="DIALER_VM_BOX"))]
    assert boxes == ["100"]
    for status in (a_status, b_status):
        assert (status.get("Context"), status.get("Exten"), status.get("Value")) == ("dialer-inbound", "voicemail",
                                                                                     "FAILED")   # no box here
    assert 9.0 <= waited <= 14.0, waited
    assert played.get("Value") == "SUCCESS" and played.get("Exten") == "closed"   # then never silence
    rows = await services.pool.fetch("SELECT * FROM call_records WHERE direction = 'inbound' ORDER BY id")
    assert [(r["phone_e164"], r["outcome"]) for r in rows] == [("+15550005551", "voicemail"),
                                                               ("+15550005552", "voicemail")]
    assert "waited the queue's maximum" in rows[0]["detail"] and "too many callers waiting" in rows[1]["detail"]
    assert 9.0 <= rows[0]["waited_s"] <= 14.0 and rows[1]["waited_s"] < 3.0


async def test_a_holding_caller_hears_its_place_every_n_seconds_then_holds_again(
        services, ami_target: AmiTarget, watch: AmiWatch) -> None:  # type: ignore[no-untyped-def]
    live = await campaign_on_test_network(services.pool, numbers=[customer_number(1, serial=53)], agents=1,
                                          now=services.clock.now(), mode=DialMode.PREVIEW, name="live-announce",
                                          amd=False)
    await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Live announce", "dids": [DID], "hours": ALL_WEEK, "announce_every_s": 15,
         "announce_position": True}))
    services.settings.ami_servers = [AmiServer(name="live", host=ami_target.host, port=ami_target.port,
                                               username=ami_target.username, secret=ami_target.secret)]
    caller = "live-ann-a-2"
    async with run_system(services, engine_id="live-announce", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: live.campaign.id in engine.campaigns, what="the campaign loaded")
        await inbound_caller(watch, "live-ann-a", DID.lstrip("+"), 30, "+15550005561")
        await watch.wait_for(on_channel("MusicOnHoldStart", caller), timeout_s=10)
        held_at = time.monotonic()
        message = await watch.wait_for(on_channel("VarSet", caller, Variable="DIALER_ANN_MSG"), timeout_s=25)
        said_at = time.monotonic()
        played = await watch.wait_for(on_channel("VarSet", caller, Variable="PLAYBACKSTATUS"), timeout_s=15)
        again = await watch.wait_for(on_channel("MusicOnHoldStart", caller, Exten="announce"), timeout_s=5)
        await watch.wait_for(on_channel("Hangup", caller), timeout_s=30)

        async def closed() -> bool:
            return bool(await services.pool.fetchval(
                "SELECT outcome IS NOT NULL FROM call_records WHERE direction = 'inbound'"))
        await until(closed, what="the record closed")
    assert engine.errors == []
    assert message.get("Value") == "queue-youarenext"           # nobody ahead of it
    assert 13.0 <= said_at - held_at <= 18.0, said_at - held_at
    assert (played.get("Exten"), played.get("Value")) == ("announce", "SUCCESS") and again is not None
    record = await services.pool.fetchrow("SELECT * FROM call_records WHERE direction = 'inbound'")
    assert record["outcome"] == "abandoned"                      # its phone hung up after 30 s
