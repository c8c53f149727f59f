"""Inbound callers across an engine restart: the dialplan holds them, the restarted engine finds and adopts them.

``dialer-inbound`` answers a caller, sends ``DialerInboundArrived`` and holds it with music for up to
``DIALER_HOLD_S`` (600 s unless set) whether or not an engine hears it. So when an engine dies:

- a caller it had taken (its record open, its channel named in ``pbx_channel``) is adopted back into its
  queue by ``dialer.recovery`` (``InboundDesk.adopt``), with its first arrival (``ready_at``);
- a caller who arrived while no engine ran, or whose arrival the dead engine heard but never recorded, has
  no record: ``stray_callers`` finds its channel among the PBX's live channels (in ``dialer-inbound`` at a
  DID, answered, out of any bridge, followed by no leg of ours, named by no record since it was created) and
  ``adopt_strays`` opens its record as an arrival would, with the real arrival time: the channel's age
  (``CoreShowChannels``' ``Duration``, whole seconds, so at most a second short) before the listing, so its whole wait
  counts in the service level; the caller number is the channel's ``CallerIDNum``, the DID its extension;
- a conversation with an agent that was going on is adopted by ``dialer.recovery`` as an outbound one is;
  ``inbound_call``/``conversation_context`` make it the queue's inbound call again (its wait written at the
  end, its queue's dispositions offered to the agent);
- a caller found at ``callback`` (it pressed 1 while no engine heard it) keeps its place (``adopt_holding``);
- a caller whose channel is gone by then has its record closed by ``dialer.recovery``; ``write_waited``
  gives it a ``waited_s`` (to the restart when nobody answered it: the engine cannot know when it hung up), and
  ``fill_waits`` gives one to a record the dead engine closed without it;
- the same look for callers with no record runs when the AMI link comes back (``Engine._link_up``): their
  arrival events were lost with the link.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import asyncpg

from campaigns import queue_repository
from campaigns.errors import NotFound
from dialer.calls import Call
from dialer.inbound import EXTEN_ANNOUNCE, INBOUND_POLICY, queue_pool
from dialer.pbx_port import CTX_INBOUND, CallbackPressed, InboundCall, LegKind, LiveChannel, PbxError

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)
EXTEN_CALLBACK = "callback"   # dialer-inbound's "call me back": the caller pressed 1 (DialerCallbackRequest)
DECIDED = frozenset({"closed", "voicemail", "failed", EXTEN_CALLBACK, EXTEN_ANNOUNCE})   # reached past a decision
RECORD_SLACK_S = 5.0   # a record opened this long before its channel's creation (clock skew) still names it
YOUNG_S = 2.0          # a caller younger than this may have its arrival event under way (to us, or to a live engine
LOOK_AGAIN_S = 5.0     # opening its record): ``look_again`` takes it this long after the start if still unrecorded


def stray_callers(channels: Iterable[LiveChannel], *, min_age_s: float = YOUNG_S) -> list[LiveChannel]:
    """Callers holding in ``dialer-inbound`` at a DID (or ``s``) that no leg of ours follows, ``min_age_s`` old at
    least: candidates for ``adopt_strays`` (those a record names are dropped there). Oldest first."""
    found = [c for c in channels
             if c.context == CTX_INBOUND and c.exten not in DECIDED and c.leg_id is None and not c.bridge_id
             and c.state == "Up" and c.uniqueid and c.duration_s >= min_age_s]
    return sorted(found, key=lambda c: -c.duration_s)


def stray_leg_id(channel: LiveChannel) -> str:
    """The leg id a stray caller's record keeps (``call_records.leg_id`` is unique; a Uniqueid is per server)."""
    return f"in-{channel.server}-{channel.uniqueid}"


async def named_by_a_record(pool: asyncpg.Pool, channel: LiveChannel, *, created_at: Any) -> bool:
    """Whether an inbound record opened since ``channel`` was created names it (channel names repeat after
    an Asterisk restart, so older records do not count)."""
    return bool(await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM call_records WHERE direction = 'inbound' AND pbx_channel = $1"
        " AND COALESCE(pbx_server, '') = $2 AND originated_at >= $3)", channel.channel, channel.server, created_at))


async def adopt_strays(engine: Engine) -> int:
    """Find the callers holding in ``dialer-inbound`` with no record and take them as arrivals that came
    ``duration_s`` ago: each gets its record (``ready_at`` = its arrival) and joins its DID's queue (or hears
    the closed message). Returns how many were taken. Run at start, and once more by ``look_again``."""
    try:
        channels = await engine.pbx.channels()
    except PbxError as exc:
        log.warning("callers who arrived while no engine ran cannot be looked for: %s", exc)
        return 0
    listed_at = engine.clock.monotonic()    # the ages are as of the listing, not of each caller's turn below
    taken = 0
    for channel in stray_callers(channels):
        now = engine.clock.monotonic()
        arrived_at = listed_at - channel.duration_s
        if await named_by_a_record(engine.pool, channel,
                                   created_at=engine.wall.at(arrived_at - RECORD_SLACK_S)):
            continue
        leg_id = stray_leg_id(channel)
        try:   # no await between the check above and here: a late DialerInboundArrived is ignored from now on
            engine.pbx.adopt(replace(channel, leg_id=leg_id), LegKind.INBOUND)
        except PbxError as exc:      # its arrival reached this engine meanwhile: it is taken that way
            log.info("inbound channel %s not adopted: %s", channel.channel, exc)
            continue
        did = channel.exten if channel.exten != "s" else ""
        event = InboundCall(channel.server, now, leg_id, channel.channel, channel.caller_id, did)
        log.warning("inbound caller %s to %r held %.0f s with no engine; taking it with that wait",
                    channel.caller_id or "-", did, channel.duration_s)
        engine.inbound.arriving.add(leg_id)
        try:
            await engine.inbound._take(event, arrived_at=arrived_at)
        finally:
            engine.inbound.arriving.discard(leg_id)
            engine.inbound.gone.discard(leg_id)
        taken += 1
    return taken


async def adopt_holding(engine: Engine, record: Mapping[str, Any], channel: LiveChannel) -> None:
    """``InboundDesk.adopt`` of a caller the dead engine had in a queue; one found at ``callback`` pressed 1 while
    no engine heard its ``DialerCallbackRequest``: its press is taken now, so it keeps its place (a
    ``queue_callbacks`` row, its record ``called_back``) instead of ending as an abandon after its thank-you."""
    await engine.inbound.adopt(record, channel)
    if channel.exten == EXTEN_CALLBACK:
        engine.inbound.callbacks.observe(CallbackPressed(channel.server, engine.clock.monotonic(),
                                                         str(record["leg_id"])))


async def look_again(engine: Engine, *, after_s: float = LOOK_AGAIN_S) -> int:
    """``adopt_strays`` once more ``after_s`` after the start: callers too young to be sure of at the start."""
    await engine.clock.sleep(after_s)
    return await adopt_strays(engine)


def inbound_call(call: Call, record: Mapping[str, Any]) -> Call:
    """An adopted conversation rebuilt from an inbound record: its queue's call again (waited_s at the end)."""
    if record.get("direction") != "inbound" or record.get("queue_id") is None:
        return call
    return replace(call, pool=queue_pool(int(record["queue_id"])), inbound=True, policy=INBOUND_POLICY,
                   lead_id=record.get("lead_id"))


async def conversation_context(pool: asyncpg.Pool, record: Mapping[str, Any]) -> dict[str, Any]:
    """The call context of an adopted inbound conversation: its queue, DID and the queue's dispositions."""
    context: dict[str, Any] = {"campaign_id": None, "lead_id": record.get("lead_id"),
                               "number": record.get("phone_e164"), "direction": "inbound",
                               "queue_id": record.get("queue_id"), "did": record.get("did") or "", "record": False}
    if record.get("queue_id") is not None:
        try:
            queue = await queue_repository.get_queue(pool, queue_id=int(record["queue_id"]))
        except NotFound:
            return context
        context.update(queue_name=queue.name, dispositions=[d.code for d in queue.dispositions])
    return context


WAITED_S = ("GREATEST(0, EXTRACT(EPOCH FROM COALESCE(connected_at, ended_at) - COALESCE(ready_at, originated_at)))")


async def write_waited(pool: asyncpg.Pool, call_id: int) -> None:
    """``waited_s`` of an inbound record recovery closed: to its agent's answer, else to its end."""
    await pool.execute(f"UPDATE call_records SET waited_s = {WAITED_S} WHERE id = $1 AND direction = 'inbound'"
                       " AND waited_s IS NULL", call_id)


async def fill_waits(pool: asyncpg.Pool, *, engine_id: str) -> int:
    """``waited_s`` of inbound records ``engine_id`` closed but died before giving their wait (the engine writes
    the outcome, then the wait): from the record's own times, as the engine would have. Returns how many."""
    status = await pool.execute(f"UPDATE call_records SET waited_s = {WAITED_S} WHERE engine_id = $1"
                                " AND direction = 'inbound' AND outcome IS NOT NULL AND waited_s IS NULL", engine_id)
    return int(status.split()[-1])
