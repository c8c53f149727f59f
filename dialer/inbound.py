"""Inbound callers (issue 15): from ``dialer-inbound``'s ``DialerInboundArrived`` to a call in its queue's pool.

The dialplan answers a DID, tells the engine (``InboundCall``) and holds the caller with music. Here the
engine looks the DID up (``queue_for_did``), checks the queue is open (``is_open``) and then either

- sends the caller to ``dialer-inbound,closed`` (the closed message, then hang-up) with a log line, when no
  queue owns the DID or its queue is closed now; or
- opens the caller's call record (direction ``inbound``, its queue, DID and number) and puts a ``Call`` in
  the queue's pool (``Pool(QUEUE, id)``, no safe-harbor deadline, the queue's and VIP priority) through
  ``Arrive``. The one router (``Engine.route`` with ``Engine.queue_rules``) gives it to a ready agent who
  works the queue; the call machine then Redirects it into that agent's conference as an outbound customer.
  A caller who hangs up while waiting is recorded ``abandoned``; ``waited_s`` is written with the outcome.

Which agents work a queue (the simple rule): an agent signed in to a campaign also serves every queue it
has a skill level for (``agent_queue_skills``); ``Engine._sign_in`` adds those queues to its pools. The queue
rules (strategy, priority, skill steps, the agents' levels) are loaded at start (``load_rules``) and again on
each inbound caller, so a queue changed by a team lead (its settings, or who serves it) applies from the next
caller on, to agents already signed in too.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from campaigns import queue_repository
from campaigns.queue_hours import is_open
from dialer import call_records, calls, routing
from dialer.calls import Call, CallPolicy, Pool, PoolKind
from dialer.pbx_port import CTX_INBOUND, VAR_CLOSED_MSG, InboundCall, LegFailed, LegHungUp, PbxError, PbxEvent

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)
EXTEN_CLOSED = "closed"     # dialer-inbound's closed message (then hang-up)
INBOUND_POLICY = CallPolicy(safe_harbor_s=None)   # a caller holds with music: no 2-second rule


def did_e164(did: str) -> str:
    """The DID as the queues store it (E.164): the dialplan's ``_+X.`` strips the '+'."""
    did = did.strip()
    if not did or not did.lstrip("+").isdigit():
        return ""
    return did if did.startswith("+") else f"+{did}"


def queue_pool(queue_id: int) -> Pool:
    return Pool(PoolKind.QUEUE, queue_id)


class InboundDesk:
    """The engine's inbound side: callers arriving, their queue's rules, their records."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.arriving: set[str] = set()     # legs being looked up (their queue, their record)
        self.gone: set[str] = set()         # of those, legs that hung up meanwhile

    # --- queue rules -------------------------------------------------------------------------------
    async def load_rules(self) -> None:
        """``Engine.queue_rules`` from every configured queue and its agents' skill levels."""
        engine = self.engine
        rules: dict[Pool, routing.QueueRule] = {}
        for queue in await queue_repository.list_queues(engine.pool):
            agents = await queue_repository.queue_agents(engine.pool, queue_id=queue.id)
            rules[queue_pool(queue.id)] = routing.QueueRule.from_queue(
                queue, {r["user_id"]: r["level"] for r in agents})
        engine.queue_rules = rules
        for agent_id, agent in list(engine.agents.items()):   # signed-in agents follow their queues' changes
            pools = frozenset(p for p in agent.pools if p.kind is not PoolKind.QUEUE) | frozenset(
                pool for pool, rule in rules.items() if agent_id in rule.levels)
            if pools != agent.pools:
                engine.agents[agent_id] = replace(agent, pools=pools)

    async def agent_pools(self, user_id: int) -> frozenset[Pool]:
        """The queues an agent serves (those it has a skill level for)."""
        levels = await queue_repository.agent_queue_levels(self.engine.pool, user_id=user_id)
        return frozenset(queue_pool(q) for q in levels)

    # --- callers -----------------------------------------------------------------------------------
    def observe(self, event: PbxEvent) -> bool:
        """Take ``InboundCall``; note a caller that hangs up while being looked up. True when consumed."""
        if isinstance(event, InboundCall):
            self.arriving.add(event.leg_id)
            self.engine.spawn(self._arrived(event), name=f"inbound-{event.leg_id}")
            return True
        leg = getattr(event, "leg_id", None)
        if leg in self.arriving and isinstance(event, (LegHungUp, LegFailed)):
            self.gone.add(leg)
            return True
        return False

    async def _arrived(self, event: InboundCall) -> None:
        try:
            await self._take(event)
        finally:
            self.arriving.discard(event.leg_id)
            self.gone.discard(event.leg_id)

    async def _take(self, event: InboundCall) -> None:
        engine = self.engine
        did = did_e164(event.did)
        queue = await queue_repository.queue_for_did(engine.pool, did=did) if did else None
        if queue is None:
            log.warning("inbound call from %s to DID %r (channel %s): no queue owns this DID; the caller hears the"
                        " closed message", event.caller or "-", event.did, event.channel)
            await self._closed(event.leg_id, "")
            return
        state = is_open(queue, engine.clock.now())
        if not state.open:
            log.info("inbound call from %s to %s: queue %r is %s; the caller hears the closed message",
                     event.caller or "-", did, queue.name, state.why)
            await self._closed(event.leg_id, queue.closed_sound_played)
            return
        await self.load_rules()
        vip = bool(event.caller) and await queue_repository.is_vip_number(engine.pool, queue_id=queue.id,
                                                                          phone_e164=event.caller)
        call_id = await call_records.open_record(
            engine.pool, campaign_id=None, lead_id=None, agent_id=None, engine_id=engine.engine_id,
            leg_id=event.leg_id, direction="inbound", phone_e164=event.caller, dial_string="", caller_id=did,
            originated_at=engine.clock.now())
        await engine.pool.execute("UPDATE call_records SET queue_id=$2, did=$3, pbx_server=$4 WHERE id=$1",
                                  call_id, queue.id, did, event.server)
        call = Call(call_id=call_id, leg_id=event.leg_id, pool=queue_pool(queue.id), policy=INBOUND_POLICY,
                    inbound=True, priority=queue.caller_priority(vip=vip))
        engine.calls[call_id] = call
        engine.call_of_leg[event.leg_id] = call_id
        context: dict[str, Any] = {"campaign_id": None, "lead_id": None, "number": event.caller,
                                   "direction": "inbound", "queue_id": queue.id, "queue_name": queue.name,
                                   "did": did, "vip": vip, "dispositions": [d.code for d in queue.dispositions]}
        engine.call_context[call_id] = context
        engine.board.call_changed(None, call)
        engine.apply_call(call_id, calls.Arrive())
        if event.leg_id in self.gone:      # hung up while we looked its queue up: an abandon all the same
            engine.apply_call(call_id, calls.CustomerHungUp(16))

    async def _closed(self, leg_id: str, sound: str) -> None:
        pbx = self.engine.pbx
        try:
            if sound:
                await pbx.set_var(leg_id, VAR_CLOSED_MSG, sound)
            await pbx.redirect(leg_id, context=CTX_INBOUND, exten=EXTEN_CLOSED)
        except PbxError as exc:
            log.info("inbound caller %s not sent to the closed message: %s", leg_id, exc)


async def write_inbound_outcome(engine: Engine, call: Call) -> None:
    """``waited_s`` of a finished inbound call: from its arrival to its agent's answer, or to its end."""
    if not call.inbound or call.ready_at is None:
        return
    until = call.connected_at if call.connected_at is not None else call.ended_at
    if until is None:
        return
    await engine.pool.execute("UPDATE call_records SET waited_s=$2 WHERE id=$1", call.call_id,
                              max(0.0, until - call.ready_at))
