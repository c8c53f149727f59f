"""On a real Asterisk 22 running the shipped dialplan, inbound callers across a crash of the engine (issue 15):
``dialer serve`` is killed (``kill -9``) while a caller holds in ``dialer-inbound``; a second caller arrives while no
engine runs; ``dialer serve`` starts again. The dialplan kept both holding; the restarted engine adopts the first
under its record and finds the second (``CoreShowChannels``: ``dialer.recovery_inbound``) with its real arrival
time; agents signing in over the panel's websocket answer both; one record each, their waits counted in full.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES, Queue
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, event
from tests.live_asterisk.conftest import customer_number
from tests.live_asterisk.live_system import DialerProcess, agents_working, campaign_on_test_network
from tests.live_asterisk.record_inbound import arrived, inbound_caller

pytestmark = pytest.mark.slow
DID = "+842873001888"
STAY_S = 45          # each pretend caller hangs up this long after calling: time enough to be answered


async def wait_row(pool, sql: str, *args: object, timeout_s: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while (row := await pool.fetchrow(sql, *args)) is None:
        assert time.monotonic() < deadline, f"no row for {sql} {args}"
        await asyncio.sleep(0.3)
    return row


async def test_callers_holding_across_an_engine_kill_are_adopted_and_answered_with_their_whole_wait(
        db_pool, database_url, redis_url, tmp_path, ami_target: AmiTarget, watch: AmiWatch) -> None:
    live = await campaign_on_test_network(db_pool, numbers=[customer_number(1, serial=77)], agents=2,
                                          now=datetime.now(UTC), mode=DialMode.PREVIEW, name="live-in-restart",
                                          amd=False)
    queue = await queue_repository.save_queue(db_pool, queue=Queue.from_dict(
        {"name": "Live restart line", "dids": [DID], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    await queue_repository.set_queue_agents(db_pool, queue_id=queue.id, levels={a: 5 for a in live.agents})
    dialer = DialerProcess(database_url, redis_url, ami_target, tmp_path / "serve", engine_id="live-in-restart")
    await dialer.start()
    try:
        # A arrives while the engine runs (no agent signed in: it holds), and gets its record
        await inbound_caller(watch, "live-rs-a", DID.lstrip("+"), STAY_S, "+15550007001")
        first = await wait_row(db_pool, "SELECT * FROM call_records WHERE phone_e164 = '+15550007001'", timeout_s=10)
        await dialer.kill()
        # B arrives while no engine runs: nobody hears its DialerInboundArrived
        await inbound_caller(watch, "live-rs-b", DID.lstrip("+"), STAY_S, "+15550007002")
        await watch.wait_for(arrived("live-rs-b"), timeout_s=10)
        b_arrived = datetime.now(UTC)
        await asyncio.sleep(3.0)
        assert {"live-rs-a-2", "live-rs-b-2"} <= {c.get("Uniqueid") for c in await watch.channels()
                                                 if c.get("Context") == "dialer-inbound"}, "the dialplan let go"
        await dialer.start()
        second = await wait_row(db_pool, "SELECT * FROM call_records WHERE phone_e164 = '+15550007002'", timeout_s=10)
        async with agents_working(dialer.base_url, live, disposition="resolved"):
            for leg in ("live-rs-a-2", "live-rs-b-2"):
                await watch.wait_for(event("ConfbridgeJoin", Uniqueid=leg), timeout_s=30)
            for call_id in (first["id"], second["id"]):
                await wait_row(db_pool, "SELECT id FROM call_records WHERE id = $1 AND waited_s IS NOT NULL"
                               " AND disposition IS NOT NULL", call_id, timeout_s=STAY_S + 15)
    finally:
        await dialer.stop()
    rows = await db_pool.fetch("SELECT * FROM call_records WHERE direction = 'inbound' ORDER BY id")
    assert [r["phone_e164"] for r in rows] == ["+15550007001", "+15550007002"], "one record per caller"
    a, b = rows
    assert a["id"] == first["id"] and a["engine_id"] == "live-in-restart"
    for record in (a, b):
        assert (record["outcome"], record["queue_id"], record["did"]) == ("handled", queue.id, DID), dict(record)
        assert record["agent_id"] in live.agents and record["disposition"] == "resolved"
    # B's record starts at its arrival (its channel's age, whole seconds), not at the restart
    assert abs((b["ready_at"] - b_arrived).total_seconds()) <= 2.0, (b["ready_at"], b_arrived)
    assert b["pbx_channel"].startswith("Local/") and b["pbx_channel"].endswith(";2")
    # both waited across the outage, and their waits say so
    assert a["waited_s"] >= 4.0 and b["waited_s"] >= 4.0, (a["waited_s"], b["waited_s"])
    assert "Traceback" not in dialer.log(), dialer.log()[-3000:]
