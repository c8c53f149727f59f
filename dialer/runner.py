"""One runner per running campaign: each tick, snapshot -> pacer -> hopper -> dial-time check -> originate.

The runner asks its pacer how many calls to place, takes that many leads from its hopper (claimed
from PostgreSQL in batches, ``FOR UPDATE SKIP LOCKED``), checks each again at dial time against the
DNC lists and the callee's calling window (failing closed: an error in the check means no dial), and
asks the engine to dial. Outcomes come back through the engine's outcome listener: the pacer learns
from them and the lead goes through the campaign's retry policy.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from campaigns import repository as campaigns_repo
from campaigns.eligibility import Eligibility, Reason, check_eligibility
from campaigns.errors import CampaignError
from campaigns.model import Campaign, CampaignState, Lead
from dialer import call_records, callback_places, inbound_forecast
from dialer.agents import AgentState
from dialer.calls import Call, CallOutcome, CallState, Pool, PoolKind
from dialer.campaign_health import Health, HealthPause, observe
from dialer.campaign_view import CampaignView
from dialer.engine import Engine
from dialer.metrics import PACER_DECISION_SECONDS
from dialer.pbx_health import pbx_health
from dialer.sound_check import check_sound
from dnc.errors import DncError
from pacing import (
    Abandoned,
    CallHandled,
    DialOutcome,
    Event,
    InboundAbandoned,
    InboundAnswered,
    InboundArrived,
    Pacer,
    Snapshot,
    make_pacer,
)

log = logging.getLogger(__name__)
BUSY_AGENT_STATES = (AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)
SOUND_RECHECK_S = 30.0      # a campaign held for its safe-harbor sound asks the PBX again this often


class DncLookup(Protocol):
    def is_blocked(self, number_e164: str, *, campaign_id: int | None, now: datetime) -> Any: ...


class LeadStore(Protocol):
    """The hopper's storage (``campaigns.repository`` over PostgreSQL)."""

    async def claim(self, *, campaign_id: int, limit: int, now: datetime) -> list[Lead]: ...

    async def defer(self, lead: Lead, verdict: Eligibility, *, now: datetime) -> None: ...

    async def release_all(self, *, campaign_id: int) -> None: ...

    async def settle(self, call: Call, *, campaign: Campaign, callback: Any, agent_id: int | None,
                     at: datetime) -> None:
        """Apply the retry policy (or schedule the agent's callback) after the call's final outcome."""


def dial_time_check(lead: Lead, campaign: Campaign, *, now: datetime, dnc: DncLookup | None,
                    ignore_state: bool = False) -> Eligibility:
    """The last check before a number is dialled: DNC and window, failing closed on any error.
    ``ignore_state``: a person's call from a paused campaign (every other rule still applies)."""
    try:
        if dnc is None:
            return check_eligibility(lead, campaign, now=now, dnc_blocked=None, ignore_state=ignore_state)
        hit = dnc.is_blocked(lead.phone_e164, campaign_id=campaign.id, now=now)
        label = getattr(hit, "label", "") if hit is not None else ""
        return check_eligibility(lead, campaign, now=now, dnc_blocked=hit is not None, dnc_list=str(label),
                                 ignore_state=ignore_state)
    except DncError as exc:
        return Eligibility(False, Reason.DNC_UNKNOWN, str(exc))
    except Exception as exc:  # noqa: BLE001 - compliance fails closed on anything unexpected
        log.exception("dial-time check failed for lead %s", lead.id)
        return Eligibility(False, Reason.DNC_UNKNOWN, f"check failed: {exc}")


def view_of(campaign: Campaign, *, server: str | None = None) -> CampaignView:
    """The engine's view of a campaign."""
    from dialer.calls import MachineAction

    options: dict[str, Any] = {}
    mode = campaign.dial_mode.value
    if mode == "predictive":
        options["target_abandon"] = campaign.pacing.target_abandon
    elif mode == "power":    # power keeps the abandonment budget too (issue 12, defect 7)
        options["ratio"] = campaign.pacing.ratio
        options["target_abandon"] = campaign.pacing.target_abandon
    return CampaignView(
        id=campaign.id, name=campaign.name, dial_mode=mode, pacer_options=options, caller_id=campaign.caller_id,
        trunk_template=campaign.trunk_template, amd=campaign.amd_enabled,
        machine_action=MachineAction(campaign.machine_action.value),
        safe_harbor_sound=campaign.safe_harbor_sound, record_calls=campaign.record_calls,
        dispositions=tuple(d.code for d in campaign.dispositions), crm_url_template=campaign.crm_url_template,
        server=server, timezone=campaign.timezone,
    )


class CampaignRunner:
    """Paces and dials one campaign on the engine."""

    def __init__(self, engine: Engine, campaign: Campaign, *, leads: LeadStore, dnc: DncLookup | None,
                 lines: int | None = None, tick_s: float = 1.0, hopper_size: int = 50) -> None:
        self.engine = engine
        self.campaign = campaign
        self.view = view_of(campaign)
        self.leads = leads
        self.dnc = dnc
        self.lines = lines
        self.tick_s = tick_s
        self.hopper_size = hopper_size
        self.hopper: deque[Lead] = deque()
        self.pacer: Pacer = make_pacer(self.view.pacer_name, **self.view.pacer_options)
        # blending: the inbound queues this campaign's agents serve and the strictest service level among them
        self.blend_queues: frozenset[int] = frozenset()
        self.service_level: tuple[float, float] | None = None
        self._forecast_due = 0.0
        self._inbound: dict[int, float] = {}     # those queues' callers seen waiting, not yet resolved: ready_at
        self.dialled = 0
        self.refused: dict[str, int] = {}
        self.hold = ""                              # why no call is placed now (see ``guard``)
        self._sound_hold = ""
        self._sound_checked_on: frozenset[str] = frozenset()   # servers that have the safe-harbor sound
        self._sound_next_check = 0.0
        self.health = Health()
        self.health_pause: HealthPause | None = None    # set when its own failures call for a pause
        engine.campaigns[campaign.id] = self.view
        engine.outcome_listeners.append(self.on_outcome)
        engine.change_listeners.append(self.on_change)

    # --- lifecycle -------------------------------------------------------------------------------
    async def seed_pacer(self) -> None:
        """Give the pacer this campaign's live answers and abandons of the last 30 days."""
        seed = getattr(self.pacer, "seed_history", None)
        if seed is None:
            return
        answers, abandons = await call_records.answer_history(self.engine.pool, campaign_id=self.campaign.id,
                                                              now=self.engine.clock.now())
        wall = self.engine.wall
        seed(answers=[wall.mono(t) for t in answers], abandons=[wall.mono(t) for t in abandons])
        await self.forecast_inbound()

    async def forecast_inbound(self) -> None:
        """Tell a blending pacer the inbound callers its queues expect (``dialer.inbound_forecast``)."""
        self._forecast_due = self.engine.clock.monotonic() + inbound_forecast.REFRESH_S
        if self.blend_queues:
            await inbound_forecast.tell_pacer(self.pacer, self.engine.pool, self.blend_queues, wall=self.engine.wall)

    async def follow_queues(self) -> bool:
        """Find the inbound queues this campaign's agents serve (assigned to it, or signed in to it, with a skill
        level for the queue); a predictive campaign whose agents serve queues paces with the strictest service
        level of those queues (highest target, shortest answer time). True when the pacer was made again."""
        from campaigns import queue_repository

        cid = self.campaign.id
        rows = await self.engine.pool.fetch(
            "SELECT DISTINCT s.queue_id FROM agent_queue_skills s JOIN campaign_agents c ON c.user_id = s.user_id"
            " WHERE c.campaign_id = $1", cid)
        ids = {r["queue_id"] for r in rows} | {
            p.id for agent in self.engine.agents.values() if self.engine.agent_campaign.get(agent.agent_id) == cid
            for p in agent.pools if p.kind is PoolKind.QUEUE}
        queues = [q for q in await queue_repository.list_queues(self.engine.pool) if q.id in ids] if ids else []
        self.blend_queues = frozenset(q.id for q in queues)
        level = ((max(q.sl_target for q in queues), float(min(q.sl_threshold_s for q in queues)))
                 if queues and self.view.pacer_name == "predictive" else None)
        if level == self.service_level:
            return False
        self.service_level = level
        self.pacer = make_pacer(self.view.pacer_name, **self.view.pacer_options, service_level=level)
        log.info("campaign %s paces %s", cid, f"blended with inbound queues {sorted(self.blend_queues)}: service "
                 f"level {level[0]:.0%} within {level[1]:g} s" if level else "without inbound queues")
        return True

    async def run(self) -> None:
        """Tick every ``tick_s`` until cancelled; the hopper's leads go back on the way out."""
        await self.engine.surveys.follow_campaign(self.campaign.id)
        await self.follow_queues()
        await self.seed_pacer()
        clock = self.engine.clock
        next_tick = clock.monotonic()
        next_figures = next_tick
        try:
            while True:
                if self.health_pause is not None:
                    # the hopper goes back first: once the state is paused, control may cancel this task
                    self.hopper.clear()
                    await self.leads.release_all(campaign_id=self.campaign.id)
                    await self.pause_itself(self.health_pause)
                    return          # control's next sync sees the campaign paused and retires this runner
                await self.tick()
                if clock.monotonic() >= next_figures:
                    await self.refresh_abandonment()
                    await self.engine.surveys.follow_campaign(self.campaign.id)
                    if await self.follow_queues():
                        await self.seed_pacer()
                    elif clock.monotonic() >= self._forecast_due:
                        await self.forecast_inbound()
                    next_figures = clock.monotonic() + 10.0
                self.engine.prune_finished()
                self.engine.roll_days()
                next_tick += self.tick_s
                await clock.sleep_until(max(next_tick, clock.monotonic()))
        finally:
            if self.engine.control is not None:     # calls still going on are settled without this runner
                self.engine.control.runnerless |= {c.call_id for c in self.engine.calls.values()
                                                   if self.mine(c) and c.lead_id is not None and not c.terminal}
            self.engine.outcome_listeners.remove(self.on_outcome)
            self.engine.change_listeners.remove(self.on_change)
            self.hopper.clear()
            await self.leads.release_all(campaign_id=self.campaign.id)

    # --- one tick --------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        engine, cid, now = self.engine, self.campaign.id, self.engine.clock.monotonic()
        ready = busy = 0
        busy_s: list[float] = []
        for agent in engine.agents.values():
            if engine.agent_campaign.get(agent.agent_id) != cid:
                continue
            if agent.state is AgentState.READY:
                ready += 1
            elif agent.state in BUSY_AGENT_STATES:
                busy += 1
                busy_s.append(now - (agent.on_call_since or agent.state_since))
        dialing: list[float] = []
        waiting = 0
        for call in engine.calls.values():
            if call.pool.kind is not PoolKind.CAMPAIGN or call.pool.id != cid or call.terminal:
                continue
            if call.state in (CallState.DIALING, CallState.RINGING, CallState.ANSWERED):
                dialing.append(now - (call.originated_at or now))
            elif call.state is CallState.WAITING:
                waiting += 1
        survey = engine.surveys.campaign_surveys.get(cid)
        if survey is not None:      # a survey campaign without agents: its "agents" are its lines
            ready, busy_s = max(0, survey.lines - engine.surveys.in_survey(cid)), []
        lines_free = None
        if self.lines is not None:
            in_use = sum(1 for c in engine.calls.values() if not c.terminal and c.state is not CallState.QUEUED)
            lines_free = max(0, self.lines - in_use)
        inbound_waiting = self.follow_inbound(now)
        return Snapshot(now=now, agents_ready=ready, agents_busy=tuple(busy_s), dialing=tuple(dialing),
                        waiting=waiting, lines_free=lines_free, inbound_waiting=inbound_waiting)

    def follow_inbound(self, now: float) -> tuple[float, ...]:
        """Seconds each caller of these agents' queues has waited (those holding, then the places kept by callers who
        pressed 1, since their first arrival); a pacing campaign learns of a new caller
        (``InboundArrived``), and of one that left its queue unanswered another way than hanging up (overflowed,
        sent to voicemail or a callback, told the queue is full: ``InboundAbandoned``)."""
        if self.service_level is None:
            return ()
        calls_now = self.engine.calls
        waits = []
        for call in calls_now.values():
            if call.inbound and call.state is CallState.WAITING and self.serves(call.pool):
                self._note_inbound(call)
                waits.append(now - (call.ready_at if call.ready_at is not None else now))
        for call_id in [c for c in self._inbound if c not in calls_now]:
            ready_at = self._inbound.pop(call_id)
            self.pacer.observe(InboundAbandoned(now=now, waited_s=max(0.0, now - ready_at)))
        # callers who pressed 1 keep their places: the router serves them as holding callers (callback_places)
        places = callback_places.place_waits(self.engine.inbound.callbacks.places.values(), self.blend_queues, now)
        return (*waits, *places)

    def _note_inbound(self, call: Call) -> None:
        if call.call_id not in self._inbound and call.ready_at is not None:
            self._inbound[call.call_id] = call.ready_at
            self.pacer.observe(InboundArrived(now=call.ready_at))

    def serves(self, pool: Pool) -> bool:
        """An inbound queue this campaign's agents serve (blending)."""
        return pool.kind is PoolKind.QUEUE and pool.id in self.blend_queues

    async def tick(self) -> int:
        """Decide and dial once; returns how many calls were placed."""
        from dialer.live import PacerWord

        snap = self.snapshot()
        self.hold = self.health_pause.describe() if self.health_pause is not None else await self.guard()
        if self.hold:       # visible on the wallboard and the campaign's page, never a silent stop
            self.engine.board.pacer[self.campaign.id] = PacerWord(snap.now, 0, self.hold)
            return 0
        started = time.perf_counter()
        decision = self.pacer.decide(snap)
        PACER_DECISION_SECONDS.observe(time.perf_counter() - started)
        self.engine.board.pacer[self.campaign.id] = PacerWord(snap.now, decision.calls, decision.why)
        placed = 0
        for lead in await self.take(decision.calls):
            now = self.engine.clock.now()
            verdict = dial_time_check(lead, self.campaign, now=now, dnc=self.dnc)
            if not verdict.ok:
                self.refused[verdict.reason.value] = self.refused.get(verdict.reason.value, 0) + 1
                await self.leads.defer(lead, verdict, now=now)
                continue
            await self.engine.dial(self.view, number_e164=lead.phone_e164, lead_id=lead.id)
            placed += 1
        self.dialled += placed
        return placed

    async def guard(self) -> str:
        """Why this campaign must place no call now, or "": no PBX connected, or its safe-harbor message
        missing (or not verifiable) on a connected server. Each server is asked once it is up (again
        after it was down: a restarted Asterisk may have other sounds), then every ``SOUND_RECHECK_S``
        while the answer is bad."""
        health = pbx_health(self.engine.pbx)
        if health is not None and not health.connected:
            self._sound_checked_on = frozenset()
            return f"no PBX connected: dialling paused until one is back ({health.describe()})"
        up = frozenset(health.up) if health is not None else frozenset({""})
        self._sound_checked_on &= up
        now = self.engine.clock.monotonic()
        if up <= self._sound_checked_on or (self._sound_hold and now < self._sound_next_check):
            return self._sound_hold
        check = await check_sound(self.engine.pbx, self.view.safe_harbor_sound)
        self._sound_next_check = now + SOUND_RECHECK_S
        if check.problem:
            self._sound_hold = f"safe-harbor message missing, not dialling: {check.problem}"
        elif not check.verified:
            self._sound_hold = f"safe-harbor message not verified, not dialling: {check.warning}"
        else:
            self._sound_hold = ""
            self._sound_checked_on = up
        if self._sound_hold:
            log.error("campaign %s (%s): %s", self.campaign.id, self.campaign.name, self._sound_hold)
        return self._sound_hold

    async def pause_itself(self, pause: HealthPause) -> None:
        """Pause this campaign for ``pause`` and keep the reason on its row (shown on its page and the
        wallboard until it is started again). A person who paused or stopped it meanwhile wins."""
        async with self.engine.pool.acquire() as conn, conn.transaction():
            try:
                await campaigns_repo.set_campaign_state(conn, campaign_id=self.campaign.id,  # type: ignore[arg-type]
                                                        target=CampaignState.PAUSED)
            except CampaignError as exc:
                log.warning("campaign %s: not paused for health (%s)", self.campaign.id, exc)
                return
            await save_health_pause(conn, campaign_id=self.campaign.id, pause=pause, at=self.engine.clock.now())
            self.engine.board.health_pauses[self.campaign.id] = {"name": self.campaign.name, **pause.as_dict()}
        log.error("campaign %s (%s) %s", self.campaign.id, self.campaign.name, pause.describe())

    async def take(self, n: int) -> list[Lead]:
        """Up to ``n`` leads from the hopper, refilled from PostgreSQL when it runs low."""
        if n <= 0:
            return []
        if len(self.hopper) < n:
            want = max(self.hopper_size, 2 * n) - len(self.hopper)
            self.hopper.extend(await self.leads.claim(campaign_id=self.campaign.id, limit=want,
                                                      now=self.engine.clock.now()))
        return [self.hopper.popleft() for _ in range(min(n, len(self.hopper)))]

    def set_campaign(self, campaign: Campaign) -> None:
        """Take new settings (edited while running); the pacer keeps what it learned."""
        if campaign.safe_harbor_sound != self.campaign.safe_harbor_sound:
            self._sound_checked_on = frozenset()      # a new message: ask the servers again
            self._sound_next_check = 0.0
        self.campaign = campaign
        self.view = replace(view_of(campaign), server=self.view.server)
        self.engine.campaigns[campaign.id] = self.view

    async def refresh_abandonment(self) -> None:
        now = self.engine.clock.now()
        day = await call_records.abandonment(self.engine.pool, campaign_id=self.campaign.id, now=now,
                                             window=timedelta(hours=24))
        month = await call_records.abandonment(self.engine.pool, campaign_id=self.campaign.id, now=now,
                                               window=timedelta(days=30))
        self.engine.board.abandonment[self.campaign.id] = {
            "24h": {"answers": day.answers, "abandons": day.abandons, "rate": day.rate},
            "30d": {"answers": month.answers, "abandons": month.abandons, "rate": month.rate},
            "cap": self.campaign.pacing.target_abandon,
        }

    # --- outcomes --------------------------------------------------------------------------------
    def mine(self, call: Call) -> bool:
        return call.pool.kind is PoolKind.CAMPAIGN and call.pool.id == self.campaign.id

    def on_change(self, before: Call, after: Call) -> None:
        """The pacer learns of a connect (or of its absence) as soon as the dialling phase ends, and of an inbound
        caller of its agents' queues starting to wait and reaching an agent."""
        if after.inbound and self.service_level is not None and self.serves(after.pool):
            if after.call_id not in self._inbound and after.connected_at is None and not after.terminal:
                self._note_inbound(after)
            if after.call_id in self._inbound and (after.connected_at is not None or after.terminal):
                arrived = self._inbound.pop(after.call_id)
                for inbound in inbound_resolved(after, arrived):
                    self.pacer.observe(inbound)
            return
        if self.mine(after):
            event = dial_outcome(before, after)
            if event is not None:
                self.pacer.observe(event)

    async def on_outcome(self, call: Call) -> None:
        """Teach the pacer the call's end and apply the retry policy to its lead."""
        if call.inbound and self.service_level is not None and self.serves(call.pool):
            mine = call.agent_id is not None and self.engine.agent_campaign.get(call.agent_id) == self.campaign.id
            handled = inbound_handled(call) if mine else None
            if handled is not None:
                self.pacer.observe(handled)
            return
        if not self.mine(call):
            return
        self.health, pause = observe(self.health, call)
        if pause is not None and self.health_pause is None:
            self.health_pause = HealthPause(pause.code, pause.count,
                                            f"{pause.detail}; trunk template {self.view.trunk_template}")
        for event in final_events(call):
            self.pacer.observe(event)
        if call.lead_id is not None:
            context = self.engine.call_context.get(call.call_id, {})
            await self.leads.settle(call, campaign=self.campaign, callback=context.get("callback"),
                                    agent_id=context.get("disposed_by"), at=self.engine.clock.now())


_DIALLING = (CallState.DIALING, CallState.RINGING, CallState.ANSWERED)


async def save_health_pause(conn: Any, *, campaign_id: int, pause: HealthPause | None, at: datetime) -> None:
    """Keep (or clear, with None) why the campaign paused itself on its row."""
    value = {**pause.as_dict(), "at": at.isoformat()} if pause is not None else None
    await conn.execute("UPDATE campaigns SET health_pause = $2 WHERE id = $1", campaign_id, value)


async def health_pause_of(conn: Any, *, campaign_id: int) -> dict[str, Any] | None:
    """Why the campaign paused itself (``code``, ``count``, ``detail``, ``at``), or None."""
    value = await conn.fetchval("SELECT health_pause FROM campaigns WHERE id = $1", campaign_id)
    return dict(value) if value else None


def dial_outcome(before: Call, after: Call) -> DialOutcome | None:
    """The ``DialOutcome`` of a call leaving its dialling phase (answered and classified, or failed)."""
    if before.state not in _DIALLING or after.state in _DIALLING or after.originated_at is None:
        return None
    if after.outcome in (CallOutcome.CANCELLED, CallOutcome.REJECTED, CallOutcome.PBX_CUT):
        return None
    if after.answered_at is not None:
        machine = after.state is CallState.MACHINE or after.outcome is CallOutcome.MACHINE
        return DialOutcome(now=after.answered_at, connected=True, ring_s=after.answered_at - after.originated_at,
                           machine=machine)
    end = after.ended_at if after.ended_at is not None else after.originated_at
    return DialOutcome(now=end, connected=False, ring_s=end - after.originated_at)


def inbound_resolved(call: Call, arrived_at: float) -> Sequence[Event]:
    """What a blended pacer learns when a waiting inbound caller (waiting since ``arrived_at``) reaches an agent,
    or ends without one (hung up, or taken out of its queue)."""
    if call.connected_at is not None:
        return (InboundAnswered(now=call.connected_at, waited_s=max(0.0, call.connected_at - arrived_at)),)
    end = call.ended_at if call.ended_at is not None else arrived_at
    return (InboundAbandoned(now=end, waited_s=max(0.0, end - arrived_at)),)


def inbound_handled(call: Call) -> CallHandled | None:
    """A finished inbound call an agent handled: its talk plus wrap-up, for the pacer's inbound handle time."""
    if call.outcome is not CallOutcome.HANDLED or call.connected_at is None:
        return None
    end = call.wrap_end_at if call.wrap_end_at is not None else call.ended_at
    if end is None:
        return None
    return CallHandled(now=end, handle_s=max(0.0, end - call.connected_at), inbound=True)


def final_events(call: Call) -> Sequence[CallHandled | Abandoned]:
    """What the pacer learns when a call ends: an abandon, or a handled call's talk plus wrap-up."""
    end = call.ended_at if call.ended_at is not None else call.originated_at
    if end is None:
        return ()
    if call.outcome is CallOutcome.ABANDONED and call.ready_at is not None:
        return (Abandoned(now=end, waited_s=max(0.0, end - call.ready_at)),)
    if call.outcome is CallOutcome.HANDLED and call.connected_at is not None:
        finished = call.wrap_end_at if call.wrap_end_at is not None else end
        return (CallHandled(now=finished, handle_s=max(0.0, finished - call.connected_at)),)
    return ()
