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
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import asyncpg

from campaigns import queue_repository
from campaigns import repository as campaigns_repository
from campaigns.errors import CampaignError, NotFound
from campaigns.queue_hours import is_open
from campaigns.queues import OverflowAction, Queue
from dialer import call_records, callback_places, inbound_policy, routing, sites
from dialer.calls import Call, CallOutcome, CallPolicy, CallState, Pool, PoolKind
from dialer.effects import SeekAgent
from dialer.inbound_policy import InboundOutcome, PastLimit
from dialer.inbound_pop import caller_numbers
from dialer.pbx_port import (
    CTX_INBOUND,
    VAR_CLOSED_MSG,
    VAR_PRESS1,
    InboundCall,
    LegFailed,
    LegHungUp,
    LegKind,
    LiveChannel,
    PbxError,
    PbxEvent,
)
from dialer.queue_callbacks import QueueCallbacks
from dialer.wait_model import Patience, WaitErrors, WaitModel, queue_view
from pacing.estimators import HandleTimeModel

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)
EXTEN_CLOSED = "closed"     # dialer-inbound's closed message (then hang-up)
EXTEN_VOICEMAIL = "voicemail"   # dialer-inbound's VoiceMail(${DIALER_VM_BOX}) (the closed message if it fails)
VAR_VM_BOX = "DIALER_VM_BOX"
EXTEN_ANNOUNCE = "announce"     # dialer-inbound's announcement of place and wait (DIALER_ANN_MSG), then hold again
VAR_ANNOUNCEMENT = "DIALER_ANN_MSG"
EXTEN_HOLD = "hold"     # dialer-inbound's hold again: the music restarts in the class of DIALER_MOH
VAR_MOH = "DIALER_MOH"  # the caller's queue's music-on-hold class ("" = Asterisk's default)
CALLBACK_SOUND = "auth-thankyou"   # a core sound ("thank you") after a callback request, unless the queue has one
INBOUND_POLICY = CallPolicy(safe_harbor_s=None)   # a caller holds with music: no 2-second rule


def did_e164(did: str) -> str:
    """The DID as the queues store it (E.164): the dialplan's ``_+X.`` strips the '+'."""
    did = did.strip()
    if not did or not did.lstrip("+").isdigit():
        return ""
    return did if did.startswith("+") else f"+{did}"


def queue_pool(queue_id: int) -> Pool:
    return Pool(PoolKind.QUEUE, queue_id)


@dataclass(frozen=True, slots=True)
class Caller:
    """An inbound caller as its queue sees it: its open record, leg, number, DID and first arrival (engine
    seconds; an overflowed caller keeps it)."""

    call_id: int
    leg_id: str
    number: str
    did: str
    server: str
    arrived_at: float
    channel: str = ""


class InboundDesk:
    """The engine's inbound side: callers arriving, their queue's rules, their records."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.arriving: set[str] = set()     # legs being looked up (their queue, their record)
        self.gone: set[str] = set()         # of those, legs that hung up meanwhile
        self.callers: dict[int, Caller] = {}  # callers in a queue, by call id
        # the estimated wait (dialer.wait_model) of each caller as it joins a queue, and its measured error
        self.handle: dict[int, HandleTimeModel] = {}    # per queue: inbound talk + wrap-up seconds
        self.patience: dict[int, Patience] = {}         # per queue: callers' mean patience
        self.wait_errors = WaitErrors()
        self.estimates: dict[int, tuple[float, float]] = {}   # call id -> (estimate s, when made)
        self.callbacks = QueueCallbacks(engine)         # "press 1 to be called back and keep your place"
        self.music: dict[str, str] = {}     # leg -> the DIALER_MOH set on its channel (absent: unset, "")

    # --- queue rules -------------------------------------------------------------------------------
    async def load_rules(self) -> None:
        """``Engine.queue_rules`` from every configured queue and its agents' skill levels."""
        engine = self.engine
        rules: dict[Pool, routing.QueueRule] = {}
        theirs = set() if engine.site_id is None else {   # a site's engine routes its own site's queues only
            q for q, site in (await sites.queue_sites(engine.pool)).items() if site != engine.site_id}
        for queue in await queue_repository.list_queues(engine.pool):
            if queue.id in theirs:
                continue
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
        if isinstance(event, (LegHungUp, LegFailed)):
            self.music.pop(event.leg_id, None)    # its channel, and the class set on it, are gone
        if self.callbacks.observe(event):     # a caller pressed 1: it keeps its place, the line is let go
            return True
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

    async def _take(self, event: InboundCall, *, arrived_at: float | None = None) -> None:
        """A caller's record and its queue; ``arrived_at``: when it came, if before now (``recovery_inbound``)."""
        engine = self.engine
        did = did_e164(event.did)
        queue = await queue_repository.queue_for_did(engine.pool, did=did) if did else None
        if queue is not None and engine.site_id is not None and \
                await sites.site_of_queue(engine.pool, queue.id) != engine.site_id:
            log.warning("inbound call to DID %r: its queue %r is another site's; this site's engine does not take it",
                        event.did, queue.name)       # dialer.sites: a DID routed to the wrong site's Asterisk
            queue = None
        arrived_at = engine.clock.monotonic() if arrived_at is None else arrived_at
        call_id = await self._open_record(Caller(0, event.leg_id, event.caller, did or event.did.strip(), event.server,
                                                 arrived_at, event.channel), queue)
        if queue is None:
            log.warning("inbound call from %s to DID %r (channel %s): no queue owns this DID; the caller hears the"
                        " closed message", event.caller or "-", event.did, event.channel)
            await self._closed(event.leg_id, "")
            await self._close_record(call_id, InboundOutcome.NO_QUEUE, arrived_at, "no queue owns this DID")
            return
        await self._enter(Caller(call_id, event.leg_id, event.caller, did, event.server, arrived_at, event.channel),
                          queue)

    async def _enter(self, caller: Caller, queue: Queue) -> None:
        """``caller`` (its record open in ``queue``) joins the queue, or gets its closed or past-limit action."""
        engine = self.engine
        state = is_open(queue, engine.clock.now())
        if not state.open:
            log.info("inbound call from %s to %s: queue %r is %s; the caller gets its closed action (%s)",
                     caller.number or "-", caller.did, queue.name, state.why, queue.closed_action.value)
            await self._past_limit(caller, queue, inbound_policy.on_closed(queue))
            return
        await self.load_rules()
        pool = queue_pool(queue.id)
        waiting = sum(1 for c in engine.calls.values() if c.pool == pool and c.state is CallState.WAITING)
        past = inbound_policy.on_arrival(queue, waiting)
        if past is not None:
            await self._past_limit(caller, queue, past)
            return
        vip = await self._is_vip(caller, queue)
        if caller.leg_id in self.gone:     # hung up while we looked its queue up: an abandon all the same
            await self._close_record(caller.call_id, CallOutcome.ABANDONED, caller.arrived_at,
                                     "customer hung up waiting for an agent")
            return
        self.arriving.discard(caller.leg_id)   # from here on its hang-up reaches the call itself
        call = Call(call_id=caller.call_id, leg_id=caller.leg_id, pool=pool, policy=INBOUND_POLICY,
                    state=CallState.WAITING, inbound=True, priority=queue.caller_priority(vip=vip),
                    answered_at=caller.arrived_at, ready_at=caller.arrived_at)
        engine.calls[caller.call_id] = call
        engine.call_of_leg[caller.leg_id] = caller.call_id
        context: dict[str, Any] = {"campaign_id": None, "lead_id": None, "number": caller.number,
                                   "direction": "inbound", "queue_id": queue.id, "queue_name": queue.name,
                                   "did": caller.did, "vip": vip, "dispositions": [d.code for d in queue.dispositions]}
        engine.call_context[caller.call_id] = context
        engine.board.call_changed(None, call)
        self.callers[caller.call_id] = caller
        self.estimates[caller.call_id] = (self.estimate(call, queue.id), engine.clock.monotonic())
        at = inbound_policy.max_wait_at(queue, caller.arrived_at)
        if at is not None:
            engine.spawn(self._max_wait(caller, queue, at), name=f"inbound-max-wait-{caller.call_id}")
        if queue.press1_callback != (caller.leg_id in self.callbacks.offered):   # its key 1 asks for a callback
            (self.callbacks.offered.add if queue.press1_callback else self.callbacks.offered.discard)(caller.leg_id)
            engine.spawn(self._offer_callback(caller, queue.press1_callback), name=f"inbound-press1-{caller.call_id}")
        if callback_places.announce_every_s(queue, self.serving(queue.id)) is not None:
            engine.spawn(self._announce(caller, queue), name=f"inbound-announce-{caller.call_id}")
        engine.run_effects((SeekAgent(caller.call_id),))
        routed = engine.calls.get(caller.call_id)     # the router has decided (route() runs at once)
        music = inbound_policy.music_change(queue, self.music.get(caller.leg_id, ""),
                                            waiting=routed is not None and routed.state is CallState.WAITING)
        if music is not None:
            self.music[caller.leg_id] = music
            engine.spawn(self._hold_music(caller, music), name=f"inbound-moh-{caller.call_id}")

    async def _is_vip(self, caller: Caller, queue: Queue) -> bool:
        """Whether ``caller`` is VIP in ``queue``: its caller id read as E.164 in the campaigns' regions (a trunk
        that presents 0901... finds +84901...), on the VIP list or a lead's VIP field (``caller_is_vip``)."""
        if not caller.number:
            return False
        engine = self.engine
        regions = await queue_repository.campaign_regions(engine.pool)
        return await queue_repository.caller_is_vip(engine.pool, queue=queue,
                                                    numbers=caller_numbers(caller.number, regions))

    def serving(self, queue_id: int) -> int:
        """How many agents serve a queue (those with a skill level in it, signed in or not): its size."""
        rule = self.engine.queue_rules.get(queue_pool(queue_id))
        return len(rule.levels) if rule is not None else 0

    def estimate(self, call: Call, queue_id: int) -> float:
        """The wait ahead of the waiting ``call`` (s; inf when nobody serves its queue now): the wait model's
        median from the caller's view of the router's inputs and this queue's learnt handle times and patience."""
        engine = self.engine
        view = queue_view(call, [*engine.calls.values(), *self.callbacks.waiting()], engine.agents.values(),
                          engine.queue_rules, engine.clock.monotonic())     # callers who pressed 1 keep their places
        model = WaitModel(handle=self.handle.setdefault(queue_id, HandleTimeModel()),
                          patience_s=self.patience.setdefault(queue_id, Patience()).mean_s)
        return model.estimate(view).point_s

    def learn(self, call: Call) -> None:
        """A finished inbound call teaches its queue: handle time, patience, and the arrival estimate's error."""
        if call.pool.kind is not PoolKind.QUEUE or call.ready_at is None:
            return
        queue_id = call.pool.id
        estimated = self.estimates.pop(call.call_id, None)
        patience = self.patience.setdefault(queue_id, Patience())
        if call.connected_at is not None:
            patience.observe(call.connected_at - call.ready_at, abandoned=False)
            if estimated is not None:
                self.wait_errors.observe(queue_id, estimate_s=estimated[0], actual_s=call.connected_at - estimated[1])
            end = call.wrap_end_at if call.wrap_end_at is not None else call.ended_at
            if end is not None:
                self.handle.setdefault(queue_id, HandleTimeModel()).observe(max(0.0, end - call.connected_at))
        elif call.outcome is CallOutcome.ABANDONED and call.ended_at is not None:
            patience.observe(call.ended_at - call.ready_at, abandoned=True)

    async def _announce(self, caller: Caller, queue: Queue) -> None:
        """Every ``announce_every_s`` while the caller still waits for an agent (WAITING: the router found none
        to take it now), its place and estimated wait: a Redirect to ``dialer-inbound,announce``, which plays
        them and holds it again. An agent freeing meanwhile Redirects it at once, cutting the message short."""
        engine = self.engine
        every = callback_places.announce_every_s(queue, self.serving(queue.id)) or 0.0
        at = engine.clock.monotonic() + every
        while True:
            await engine.clock.sleep_until(at)
            call = engine.calls.get(caller.call_id)
            if call is None or call.state is not CallState.WAITING:
                return
            view = queue_view(call, [*engine.calls.values(), *self.callbacks.waiting()], engine.agents.values(),
                              engine.queue_rules, engine.clock.monotonic())
            message = "&".join(part for part in (
                inbound_policy.announcement(queue, ahead=view.ahead, estimate_s=self.estimate(call, queue.id),
                                            agents=self.serving(queue.id)),
                callback_places.offer(queue)) if part)
            at = engine.clock.monotonic() + every
            if not message:
                continue
            try:
                await engine.pbx.set_var(caller.leg_id, VAR_ANNOUNCEMENT, message)
                if engine.calls.get(caller.call_id, call).state is not CallState.WAITING:
                    return                 # an agent took it while the variable was set: no announcement
                await engine.pbx.redirect(caller.leg_id, context=CTX_INBOUND, exten=EXTEN_ANNOUNCE)
            except PbxError as exc:
                log.info("announcement to inbound caller %s skipped: %s", caller.leg_id, exc)
                return

    async def _hold_music(self, caller: Caller, music: str) -> None:
        """``DIALER_MOH`` = the queue's class on the caller's channel, then a Redirect to
        ``dialer-inbound,hold``, where the music starts again in it (recording r1). Only while the caller
        still waits: its state is read after the Setvar and the Redirect is written in that same step (the
        adapter writes an action before it yields), so an agent's Redirect into its conference, decided by
        the router after that, always reaches Asterisk after this one and wins; a caller taken meanwhile
        keeps the variable and is not redirected."""
        engine = self.engine
        try:
            await engine.pbx.set_var(caller.leg_id, VAR_MOH, music)
            call = engine.calls.get(caller.call_id)
            if call is None or call.state is not CallState.WAITING:
                return
            await engine.pbx.redirect(caller.leg_id, context=CTX_INBOUND, exten=EXTEN_HOLD)
        except PbxError as exc:
            log.info("inbound caller %s: music on hold %r not started: %s", caller.leg_id, music or "default",
                     exc)

    async def _offer_callback(self, caller: Caller, offered: bool) -> None:
        """``DIALER_PRESS1``: "1" while the caller's queue offers the callback, "" in a queue that does not (a caller
        overflowed or transferred from one that did)."""
        try:
            await self.engine.pbx.set_var(caller.leg_id, VAR_PRESS1, "1" if offered else "")
        except PbxError as exc:
            log.info("inbound caller %s: press 1 not %s: %s", caller.leg_id, "offered" if offered else "withdrawn",
                     exc)

    async def _max_wait(self, caller: Caller, queue: Queue, at: float) -> None:
        engine = self.engine
        await engine.clock.sleep_until(at)
        call = engine.calls.get(caller.call_id)
        if call is None:
            return
        past = inbound_policy.on_max_wait(queue, caller.arrived_at, engine.clock.monotonic(),
                                          still_waiting=call.state is CallState.WAITING)
        if past is None:
            return
        self._leave(caller)
        self.arriving.add(caller.leg_id)     # a hang-up while we carry the action out is still seen
        try:
            await self._past_limit(caller, queue, past)
        finally:
            self.arriving.discard(caller.leg_id)
            self.gone.discard(caller.leg_id)

    def _leave(self, caller: Caller) -> None:
        """Take a waiting caller out of the engine (its record stays open for what comes next)."""
        engine = self.engine
        engine.calls.pop(caller.call_id, None)
        engine.call_context.pop(caller.call_id, None)
        self.estimates.pop(caller.call_id, None)
        if engine.call_of_leg.get(caller.leg_id) == caller.call_id:
            del engine.call_of_leg[caller.leg_id]
        self.callers.pop(caller.call_id, None)

    async def _past_limit(self, caller: Caller, queue: Queue, past: PastLimit) -> None:
        """Carry out ``past`` for ``caller`` and close its record in ``queue`` with the outcome."""
        engine = self.engine
        outcome = inbound_policy.outcome_of(past)
        detail = f"{past.why}: {outcome.value}"
        log.info("inbound caller %s in queue %r: %s", caller.number or "-", queue.name, detail)
        if past.action is OverflowAction.QUEUE and past.queue_id is not None:
            try:
                target = await queue_repository.get_queue(engine.pool, queue_id=past.queue_id)
            except NotFound:
                log.warning("queue %r overflows to queue %s, which is gone: the caller hears the overflow message",
                            queue.name, past.queue_id)
                await self._past_limit(caller, queue, replace(past, action=OverflowAction.MESSAGE))
                return
            # the leg's id (unique in call_records, the key a restarted engine finds a live caller by) moves to
            # the record in the next queue; the overflowed one keeps it with "~<its id>" appended
            await engine.pool.execute("UPDATE call_records SET leg_id = leg_id || '~' || id WHERE id=$1",
                                      caller.call_id)
            next_id = await self._open_record(caller, target)
            await engine.pool.execute("UPDATE call_records SET overflowed_from=$2 WHERE id=$1", next_id,
                                      caller.call_id)
            await engine.pool.execute("UPDATE call_records SET overflowed_to=$2 WHERE id=$1", caller.call_id,
                                      next_id)
            await self._close_record(caller.call_id, outcome, caller.arrived_at, f"{detail} to {target.name}")
            await self._enter(replace(caller, call_id=next_id), target)
            return
        callback_id = None
        try:
            if past.action is OverflowAction.VOICEMAIL:
                await engine.pbx.set_var(caller.leg_id, VAR_VM_BOX, past.box)
                await engine.pbx.redirect(caller.leg_id, context=CTX_INBOUND, exten=EXTEN_VOICEMAIL)
            else:
                sound = past.sound
                if past.action is OverflowAction.CALLBACK:
                    callback_id = await self._callback(caller, queue, past)
                    if callback_id is None:
                        outcome, detail = InboundOutcome.MESSAGE, f"{past.why}: no callback could be placed"
                    else:   # on the record at once: an engine dying before the caller hears it places none again
                        await engine.pool.execute("UPDATE call_records SET callback_id=$2 WHERE id=$1",
                                                  caller.call_id, callback_id)
                        closed = past.limit is inbound_policy.Limit.CLOSED   # its own sound, not overflow's
                        sound = (queue.closed_sound if closed else queue.overflow_sound).strip()
                        sound = sound or CALLBACK_SOUND
                await engine.pbx.set_var(caller.leg_id, VAR_CLOSED_MSG, sound)
                await engine.pbx.redirect(caller.leg_id, context=CTX_INBOUND, exten=EXTEN_CLOSED)
        except PbxError as exc:
            log.info("inbound caller %s gone before %s: %s", caller.leg_id, outcome.value, exc)
            if callback_id is None:       # it hung up first: it waited and nobody took it
                outcome, detail = CallOutcome.ABANDONED, f"customer hung up before {outcome.value}"
        await self._close_record(caller.call_id, outcome, caller.arrived_at, detail, callback_id=callback_id)

    async def _callback(self, caller: Caller, queue: Queue, past: PastLimit) -> int | None:
        """A callback for the caller's number in the queue's callback campaign (its lead made if new)."""
        if not caller.number or past.campaign_id is None:
            return None
        note = f"inbound caller to queue {queue.name} ({past.why})"
        try:
            async with self.engine.pool.acquire() as conn:
                lead_id = await conn.fetchval(
                    "INSERT INTO leads (campaign_id, phone_e164) VALUES ($1, $2) ON CONFLICT (campaign_id, phone_e164)"
                    " DO UPDATE SET phone_e164 = EXCLUDED.phone_e164 RETURNING id", past.campaign_id, caller.number)
                callback = await campaigns_repository.create_callback(
                    conn, lead_id=lead_id, due_at=self.engine.clock.now(), agent_id=None, created_by=None, note=note)
        except (CampaignError, asyncpg.PostgresError) as exc:
            log.warning("no callback for inbound caller %s in campaign %s: %s", caller.number, past.campaign_id, exc)
            return None
        return callback.id

    async def _open_record(self, caller: Caller, queue: Queue | None) -> int:
        """The caller's record in ``queue``: its channel (a restarted engine finds it by that) and, as
        ``ready_at``, its first arrival (a person is on the line from the dialplan's answer)."""
        engine = self.engine
        # one transaction: a record without its channel (an engine killed between two statements) was found by no
        # restart, which closed it as failed and took the caller again under a second record
        async with engine.pool.acquire() as conn, conn.transaction():
            call_id = await call_records.open_record(
                conn, campaign_id=None, lead_id=None, agent_id=None, engine_id=engine.engine_id,
                leg_id=caller.leg_id, direction="inbound", phone_e164=caller.number, dial_string="",
                caller_id=caller.did, originated_at=engine.clock.now())
            await conn.execute(
                "UPDATE call_records SET queue_id=$2, did=$3, pbx_server=$4, pbx_channel=$5, answered_at=$6,"
                " ready_at=$6 WHERE id=$1", call_id, queue.id if queue else None, caller.did, caller.server,
                caller.channel, engine.wall.at(caller.arrived_at))
        return call_id

    async def adopt(self, record: Mapping[str, Any], channel: LiveChannel) -> None:
        """A caller a dead engine left holding in ``dialer-inbound`` (crash recovery found its channel): follow
        its leg, take its record, and put it back in its queue with its first arrival; it is routed as any."""
        engine = self.engine
        leg_id = str(record["leg_id"])
        engine.pbx.adopt(replace(channel, leg_id=leg_id), LegKind.INBOUND)  # type: ignore[attr-defined]
        await call_records.adopt(engine.pool, call_id=int(record["id"]), engine_id=engine.engine_id)
        first = record.get("ready_at") or record["originated_at"]
        caller = Caller(int(record["id"]), leg_id, record.get("phone_e164") or "", record.get("did") or "",
                        channel.server, engine.wall.mono(first), channel.channel)
        queue = None
        if record.get("queue_id") is not None:
            try:
                queue = await queue_repository.get_queue(engine.pool, queue_id=int(record["queue_id"]))
            except NotFound:
                queue = None
        log.warning("adopted inbound caller %s (call %s) holding since %s", caller.number or "-", caller.call_id,
                    first)
        try:    # the class the dead engine set: the music is restarted only if the queue's class differs
            self.music[leg_id] = await engine.pbx.get_var(leg_id, VAR_MOH) or ""
        except PbxError as exc:
            log.info("inbound caller %s: its music-on-hold class could not be read: %s", leg_id, exc)
        if queue is None:     # its queue was deleted meanwhile
            await self._closed(leg_id, "")
            await self._close_record(caller.call_id, InboundOutcome.NO_QUEUE, caller.arrived_at,
                                     "its queue was deleted while the engine restarted")
            return
        if record.get("callback_id") is not None:   # the dead engine placed its callback: it stands, never twice
            await self._closed(leg_id, queue.overflow_sound.strip() or CALLBACK_SOUND)
            await self._close_record(caller.call_id, InboundOutcome.CALLED_BACK, caller.arrived_at,
                                     "its callback was placed before the engine restarted",
                                     callback_id=int(record["callback_id"]))
            return
        await self._enter(caller, queue)

    async def _close_record(self, call_id: int, outcome: InboundOutcome | CallOutcome, arrived_at: float,
                            detail: str, *, callback_id: int | None = None) -> None:
        """The one outcome of a caller no agent took: when it ended and how long it waited."""
        engine = self.engine
        now = engine.clock.monotonic()
        await engine.pool.execute(
            "UPDATE call_records SET outcome=$2, detail=$3, ended_at=$4, waited_s=$5, callback_id=$6,"
            " ready_at=CASE WHEN $2 = 'abandoned' THEN COALESCE(ready_at, $7) ELSE ready_at END"
            " WHERE id=$1 AND outcome IS NULL",
            call_id, outcome.value, detail, engine.wall.at(now), max(0.0, now - arrived_at), callback_id,
            engine.wall.at(arrived_at))

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
    engine.inbound.callers.pop(call.call_id, None)
    engine.inbound.callbacks.offered.discard(call.leg_id)
    engine.inbound.learn(call)
    if not call.inbound or call.ready_at is None:
        return
    until = call.connected_at if call.connected_at is not None else call.ended_at
    if until is None:
        return
    await engine.pool.execute("UPDATE call_records SET waited_s=$2 WHERE id=$1", call.call_id,
                              max(0.0, until - call.ready_at))
