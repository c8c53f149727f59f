"""Press 1 to be called back and keep your place (issue 15): the engine's side, over ``queue_callbacks`` rows.

``dialer-inbound`` holds a caller with ``WaitDigit``; the engine sets ``DIALER_PRESS1=1`` on callers of a queue that
offers a callback (``Queue.press1_callback``), whose announcements then include the offer
(``dialer.callback_places.offer``). A key 1 sends the caller to the ``callback`` extension, which sends
``UserEvent(DialerCallbackRequest)`` (the adapter's ``CallbackPressed``), thanks the caller and hangs up. Here:

1. **Press.** A caller still WAITING leaves the engine at once (its hang-up that follows is no abandon), its record
   is closed ``called_back`` (the detail says it pressed 1; ``waited_s`` until the press) and a ``queue_callbacks``
   row keeps its place: queue, priority, first arrival (``ON CONFLICT DO NOTHING``: one per inbound record). Then
   the place (``callback_places.place_call``) is routed by ``Engine.route`` with the waiting callers.
2. **Front.** When the router gives the place a ready agent, that agent is held out of routing, the row is claimed
   ``waiting -> dialing`` (compare and set: one claim ever), the number is checked as any dial is
   (``runner.dial_time_check``: DNC and the callee's calling window in the queue's callback campaign, failing
   closed) and, if refused, the row says why (``refused``). Otherwise ``Engine.dial`` opens the callback's record
   (direction ``outbound``, the callback campaign's trunk and caller id, the caller's lead in that campaign if it
   has one) and originates; the agent is reserved for it in the same step, the record gets ``callback_of`` (the
   inbound record; unique) and the row ``placed`` with it. The agent's pop says "called back from queue X,
   waited N s" (``call_context['queue_callback']``).

Never twice: the claim is the record-first rule's first write; a crash after it leaves the row ``dialing`` (or
``placed``), which no engine dials again; a crash before it leaves the row ``waiting``, which ``restore`` routes
again after a restart (the place is kept in the database, not in memory).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import asyncpg

from campaigns import queue_repository
from campaigns import repository as campaigns_repo
from campaigns.errors import CampaignError, NotFound
from campaigns.model import Lead, LeadStatus
from campaigns.queues import Queue
from dialer import agents as agents_mod
from dialer import call_records, callback_places
from dialer.agents import AgentState
from dialer.callback_places import Place
from dialer.calls import Call
from dialer.inbound_policy import InboundOutcome
from dialer.pbx_port import CallbackPressed, PbxError, PbxEvent

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)
PRESSED_DETAIL = "pressed 1: called back when its place reaches the front"


class QueueCallbacks:
    """The places kept for callers who pressed 1, and their callbacks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.places: dict[int, Place] = {}      # routable places, by place id (negative)
        self.held: dict[int, int] = {}          # agent -> place id: the agent picked for a place being claimed
        self.offered: set[str] = set()          # inbound legs whose DIALER_PRESS1 is "1" (their queue offers it)

    # --- what the router sees ----------------------------------------------------------------------
    def waiting(self) -> list[Call]:
        """The places the router may give an agent, as waiting callers of their queues."""
        return [callback_places.place_call(p) for p in self.places.values()]

    def front(self, place_id: int, agent_id: int) -> None:
        """The router gave ``place_id`` the ready ``agent_id``: hold the agent and call the caller back."""
        place = self.places.pop(place_id, None)
        if place is None:
            return
        self.held[agent_id] = place_id
        self.engine.spawn(self._call_back(place, agent_id), name=f"queue-callback-{place.inbound_call_id}")

    # --- the press -------------------------------------------------------------------------------
    def observe(self, event: PbxEvent) -> bool:
        """Take ``CallbackPressed``; True when consumed."""
        if not isinstance(event, CallbackPressed):
            return False
        self.offered.discard(event.leg_id)      # the caller leaves the line now
        engine = self.engine
        call_id = engine.call_of_leg.get(event.leg_id)
        call = engine.calls.get(call_id) if call_id is not None else None
        caller = engine.inbound.callers.get(call_id) if call_id is not None else None
        if not callback_places.accepts_press(call) or caller is None:
            log.info("press of 1 by inbound leg %s ignored: not a caller waiting in a queue", event.leg_id)
            return True
        assert call is not None
        place = callback_places.place_of(call, number=caller.number, pressed_at=engine.clock.monotonic())
        engine.inbound._leave(caller)        # its hang-up that follows is no abandon
        engine.spawn(self._keep(place), name=f"queue-callback-press-{call.call_id}")
        return True

    async def _keep(self, place: Place) -> None:
        """Store the place (one per inbound record), close the inbound record ``called_back``, then route it."""
        engine = self.engine
        now = engine.clock.monotonic()
        async with engine.pool.acquire() as conn, conn.transaction():
            stored = await conn.fetchval(
                "INSERT INTO queue_callbacks (inbound_call_id, queue_id, phone_e164, priority, first_arrival,"
                " requested_at, waited_s, engine_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
                " ON CONFLICT (inbound_call_id) DO NOTHING RETURNING 1",
                place.inbound_call_id, place.queue_id, place.number, place.priority, engine.wall.at(place.arrived_at),
                engine.wall.at(now), place.waited_s, engine.engine_id)
            await conn.execute(
                "UPDATE call_records SET outcome=$2, detail=$3, ended_at=$4, waited_s=$5 WHERE id=$1 AND outcome IS NULL",
                place.inbound_call_id, InboundOutcome.CALLED_BACK.value, PRESSED_DETAIL, engine.wall.at(now),
                place.waited_s)
        if not stored:
            log.info("inbound call %s already has its callback place", place.inbound_call_id)
            return
        log.info("inbound caller %s (call %s) pressed 1 after %.0f s in queue %s: called back when its place comes",
                 place.number or "-", place.inbound_call_id, place.waited_s, place.queue_id)
        self.places[place.call_id] = place
        engine.route()

    # --- the callback ------------------------------------------------------------------------------
    async def _call_back(self, place: Place, agent_id: int) -> None:
        engine = self.engine
        try:
            claimed = await engine.pool.fetchval(
                "UPDATE queue_callbacks SET state='dialing', agent_id=$2, updated_at=$3"
                " WHERE inbound_call_id=$1 AND state='waiting' RETURNING 1",
                place.inbound_call_id, agent_id, engine.wall.at(engine.clock.monotonic()))
            if not claimed:
                log.info("callback of inbound call %s already claimed: not placed again", place.inbound_call_id)
                return
            queue = await self._queue(place.queue_id)
            campaign, lead, why = await self._check(queue, place)
            if why:
                log.warning("callback of inbound caller %s (call %s) not placed: %s", place.number or "-",
                            place.inbound_call_id, why)
                await engine.pool.execute(
                    "UPDATE queue_callbacks SET state='refused', reason=$2 WHERE inbound_call_id=$1",
                    place.inbound_call_id, why)
                if why.startswith("dnc:") and campaign is not None:   # a DNC hit refused at dial time (0380)
                    await call_records.count_dnc_refusal(engine.pool, campaign_id=campaign.id, at=engine.clock.now())
                return
            assert queue is not None and campaign is not None
            await self._dial(place, queue, campaign, lead, agent_id)
        finally:
            if self.held.get(agent_id) == place.call_id:
                del self.held[agent_id]
                engine.route()            # the agent goes back to the router if it was not reserved

    async def _queue(self, queue_id: int) -> Queue | None:
        try:
            return await queue_repository.get_queue(self.engine.pool, queue_id=queue_id)
        except NotFound:
            return None

    async def _check(self, queue: Queue | None, place: Place) -> tuple[Any, Lead | None, str]:
        """The callback campaign, the caller's lead there (if any) and why the number may not be called ("")."""
        from dialer.control import number_zones
        from dialer.runner import dial_time_check

        why = callback_places.cannot_call_back(queue, place.number)
        if why or queue is None or queue.callback_campaign_id is None:
            return None, None, why
        engine = self.engine
        try:
            campaign = await campaigns_repo.get_campaign(engine.pool, campaign_id=queue.callback_campaign_id)
            lead_id = await engine.pool.fetchval(
                "SELECT id FROM leads WHERE campaign_id = $1 AND phone_e164 = $2 ORDER BY id LIMIT 1",
                campaign.id, place.number)
            lead = (await campaigns_repo.get_lead(engine.pool, lead_id=lead_id) if lead_id is not None
                    else Lead(id=0, campaign_id=campaign.id, phone_e164=place.number,
                              timezones=number_zones(place.number)))
        except (CampaignError, asyncpg.PostgresError, ValueError) as exc:
            return None, None, f"the callback campaign could not be read: {exc}"
        checked = lead if lead.status is LeadStatus.DNC else replace(lead, status=LeadStatus.NEW, next_attempt_at=None)
        dnc = getattr(engine.control, "dnc", None)     # no DNC checker: the check fails closed
        verdict = dial_time_check(checked, campaign, now=engine.clock.now(), dnc=dnc, ignore_state=True)
        return campaign, lead if lead.id else None, callback_places.refusal(verdict)

    async def _dial(self, place: Place, queue: Queue, campaign: Any, lead: Lead | None, agent_id: int) -> None:
        from dialer.runner import view_of

        engine = self.engine
        try:
            call_id = await engine.dial(view_of(campaign), number_e164=place.number,
                                        lead_id=lead.id if lead else None, direction="outbound", agent_id=agent_id)
        except (PbxError, asyncpg.PostgresError, ValueError) as exc:
            await engine.pool.execute("UPDATE queue_callbacks SET state='refused', reason=$2 WHERE inbound_call_id=$1",
                                      place.inbound_call_id, f"the callback could not be placed: {exc}")
            raise
        # the same step as the originate: the agent the router picked is reserved for this call
        del self.held[agent_id]
        agent = engine.agents.get(agent_id)
        if agent is not None and agent.state is AgentState.READY:
            engine.reserved_for[call_id] = agent_id
            engine.apply_agent(agent_id, agents_mod.Reserve(call_id))
        else:   # the agent paused or left meanwhile: the answered callback goes to the router like any answer
            log.info("agent %s left before the callback of inbound call %s (queue %r): the router gives it to a ready"
                     " agent of campaign %s when answered", agent_id, place.inbound_call_id, queue.name, campaign.id)
        engine.call_context.setdefault(call_id, {})["queue_callback"] = {
            "inbound_call_id": place.inbound_call_id, "queue_id": queue.id, "queue": queue.name,
            "waited_s": round(place.waited_s)}
        await engine.pool.execute("UPDATE call_records SET callback_of=$2 WHERE id=$1", call_id, place.inbound_call_id)
        await engine.pool.execute("UPDATE queue_callbacks SET state='placed', call_id=$2 WHERE inbound_call_id=$1",
                                  place.inbound_call_id, call_id)
        log.info("calling back inbound caller %s (call %s) as call %s for agent %s", place.number,
                 place.inbound_call_id, call_id, agent_id)

    # --- after a restart ----------------------------------------------------------------------------
    async def restore(self, *, from_engine: str | None = None) -> int:
        """Route again the places kept by ``from_engine`` (this engine's id by default: after its restart; another
        id: an engine that died, whose places this one takes over), rows still ``waiting``: nobody loses its
        place, and a row already claimed is never dialled again. Returns how many."""
        engine = self.engine
        rows = await engine.pool.fetch(
            "UPDATE queue_callbacks SET engine_id = $2 WHERE engine_id = $1 AND state = 'waiting'"
            " RETURNING inbound_call_id, queue_id, phone_e164, priority, first_arrival, waited_s",
            from_engine or engine.engine_id, engine.engine_id)
        rows = sorted(rows, key=lambda r: r["first_arrival"])
        for row in rows:
            place = Place(inbound_call_id=int(row["inbound_call_id"]), queue_id=int(row["queue_id"]),
                          number=row["phone_e164"], priority=int(row["priority"]),
                          arrived_at=engine.wall.mono(row["first_arrival"]), waited_s=float(row["waited_s"]))
            self.places[place.call_id] = place
        if rows:
            log.warning("%d callers who pressed 1 keep their places after the restart", len(rows))
            engine.route()
        return len(rows)

