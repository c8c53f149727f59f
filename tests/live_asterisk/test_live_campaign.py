"""On a real Asterisk 22: a short campaign with a number of every kind, worked by virtual agents over the
agent websocket, is recorded call by call as Asterisk itself saw it."""

from __future__ import annotations

import collections

import pytest

from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch, Seen
from tests.live_asterisk.conftest import customer_number
from tests.live_asterisk.live_system import (
    DialerProcess,
    agents_working,
    campaign_on_test_network,
    wait_until_worked,
)

# number kind (extensions_test_network.conf) -> the outcomes its record may have
EXPECTED = {
    1: {"handled", "abandoned"},      # a person
    5: {"machine"},                   # an answering machine
    2: {"busy"},                      # Busy()
    7: {"busy"},                      # rejected with cause 17 before answer
    4: {"congestion"},
    8: {"invalid_number"},            # cause 1, unallocated number
    3: {"no_answer"},
    6: {"customer_hung_up"},          # answers and hangs up during AMD
    9: {"handled", "abandoned", "machine"},   # silent at first: AMD says NOTSURE
}
PLAN = [(1, 20)] * 6 + [(5, 30)] * 2 + [(2, 0)] * 2 + [(7, 0), (4, 0), (8, 0), (3, 0), (6, 0), (9, 20)]


def by_leg(events: list[Seen], name: str, key: str = "Uniqueid") -> dict[str, list[Seen]]:
    found: dict[str, list[Seen]] = collections.defaultdict(list)
    for e in events:
        if e.get("Event") == name or e.get("UserEvent") == name:
            found[e.get(key)].append(e)
    return found


@pytest.mark.slow
async def test_a_campaign_of_every_outcome_class_is_recorded_as_asterisk_saw_it(
        db_pool, database_url, redis_url, tmp_path, ami_target: AmiTarget, watch: AmiWatch) -> None:
    before = {c.get("Uniqueid") for c in await watch.channels()}   # a lab may have others' channels up
    numbers = [customer_number(kind, stay_s=stay, serial=i) for i, (kind, stay) in enumerate(PLAN)]
    kind_of = {n: kind for n, (kind, _) in zip(numbers, PLAN, strict=True)}
    live = await campaign_on_test_network(db_pool, numbers=numbers, agents=6, now=_now())
    dialer = DialerProcess(database_url, redis_url, ami_target, tmp_path / "serve")
    await dialer.start()
    try:
        async with agents_working(dialer.base_url, live) as agents:
            left = await wait_until_worked(db_pool, live.campaign.id, timeout_s=150)
        status, health = await dialer.health()
    finally:
        await dialer.stop()
    records = await db_pool.fetch(
        "SELECT leg_id, phone_e164, outcome, agent_id, answered_at, ready_at, connected_at, amd_status"
        " FROM call_records WHERE campaign_id = $1 ORDER BY id", live.campaign.id)
    assert left == 0, f"{left} leads or calls left; log:\n{dialer.log()[-3000:]}"
    assert status == 200, health
    # every number dialled exactly once (retries fall due tomorrow), no other number
    assert sorted(r["phone_e164"] for r in records) == sorted(numbers)
    originated = by_leg(watch.events, "OriginateResponse")
    ready = by_leg(watch.events, "DialerCustomerReady", key="LegId")
    harbor = by_leg(watch.events, "DialerSafeHarbor", key="LegId")
    joined = by_leg(watch.events, "ConfbridgeJoin")
    playback = {e.get("Uniqueid"): e.get("Value") for e in watch.events
                if e.get("Event") == "VarSet" and e.get("Variable") == "PLAYBACKSTATUS"}
    for r in records:
        leg, kind = r["leg_id"], kind_of[r["phone_e164"]]
        assert r["outcome"] in EXPECTED[kind], (kind, dict(r))
        # Asterisk's own word on the same leg: answered or not
        response = originated[leg][0]
        assert (response.get("Response") == "Success") == (r["answered_at"] is not None), (dict(r), response.fields)
        if r["outcome"] == "handled":
            assert r["agent_id"] in live.agents and r["connected_at"] is not None
            assert any(j.get("Conference") == f"agent-{r['agent_id']}" for j in joined[leg]), dict(r)
        if r["outcome"] == "abandoned":
            # the message started within 2 s of the customer being known to be a person, and really played
            assert harbor[leg] and ready[leg], dict(r)
            assert harbor[leg][0].at - ready[leg][0].at < 2.0
            assert playback.get(leg) == "SUCCESS", dict(r)
    outcomes = collections.Counter(r["outcome"] for r in records)
    assert outcomes["handled"] >= 3, outcomes
    assert sum(len(a.disposed) for a in agents) == outcomes["handled"]
    # nothing of the campaign is left on Asterisk once the engine stopped (agent legs hung up too)
    left_up = [c for c in await watch.channels() if c.get("Uniqueid", "").startswith("dl-")
               and c.get("Uniqueid") not in before]
    assert left_up == []


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)
