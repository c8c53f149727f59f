"""The engine: owns every live call and agent, feeds them PBX events, carries out their effects, routes.

All state changes go through the pure machines (``dialer.calls.step``, ``dialer.agents.step``); this
module is the shell around them. Effects that only touch memory (timers, messages between machines,
routing) are applied at once, so state is consistent after every event; effects that do I/O (PBX
actions, call records) run in order in a background task per batch. Campaign runners
(``dialer.runner``) ask the engine to dial; the web layer uses the ``dialer.engine_api`` methods.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import date, datetime
from typing import Any

import asyncpg

from dialer import agents as agents_mod
from dialer import call_holds, call_records, calls, queue_board, routing
from dialer.agent_history import AgentHistory
from dialer.agents import Agent, AgentState
from dialer.aio import wait_within
from dialer.call_records import WallTime
from dialer.calls import Call, CallState, Pool, PoolKind
from dialer.campaign_view import CampaignView
from dialer.clock import Clock
from dialer.effects import (
    AgentLost,
    CloseCall,
    Effect,
    Hangup,
    Originate,
    RecordMilestone,
    RecordOutcome,
    RedirectToAgent,
    RedirectToMachineMessage,
    RedirectToSafeHarbor,
    ReleaseAgent,
    SeekAgent,
    StartAgentTimer,
    StartCallTimer,
)
from dialer.engine_api import DispositionInput, EngineError
from dialer.inbound import InboundDesk, queue_pool, write_inbound_outcome
from dialer.leg_keeper import AgentLegKeeper
from dialer.live import LiveBoard, call_view_of
from dialer.live_supervision import LiveSupervision
from dialer.metrics import ANSWER_TO_AGENT_SECONDS
from dialer.pbx_port import (
    CTX_AGENT,
    CTX_CONNECT,
    CTX_CUSTOMER,
    CTX_HOLD,
    CTX_MACHINE,
    CTX_SAFE_HARBOR,
    CTX_TRANSFER,
    VAR_AGENT_ID,
    VAR_AMD,
    VAR_CALL_ID,
    VAR_HOLD_S,
    VAR_LEG_ID,
    VAR_MACHINE_MSG,
    VAR_SAFE_HARBOR,
    VAR_TRANSFER_TO,
    ConferenceJoined,
    ConferenceLeft,
    LegFailed,
    LegHungUp,
    LegKind,
    LinkUp,
    OriginateRequest,
    PbxError,
    PbxEvent,
    PbxPort,
    PbxUnavailable,
    SafeHarborPlayed,
    conference_name,
    new_leg_id,
)
from dialer.presence import PanelWatch
from dialer.recordings_desk import RecordingDesk
from dialer.survey_desk import SurveyDesk

log = logging.getLogger(__name__)
KEEP_FINISHED_S = 120.0          # a finished call stays in memory this long, to absorb late PBX events
MILESTONE_WRITE_S = 2.0          # a milestone write taking longer is given up (real seconds; logged)

OutcomeListener = Callable[[Call], Awaitable[None]]
ChangeListener = Callable[[Call, Call], None]


TRANSFER_PAUSE = "transfer"   # the pause reason of an agent talking to a transferred customer (a panel key)


class Engine:
    """Live calls and agents of one engine process, driven by PBX events, timers and API calls."""

    def __init__(self, *, pool: asyncpg.Pool, pbx: PbxPort, clock: Clock, engine_id: str,
                 agent_ring_timeout_s: float = 30.0) -> None:
        self.pool = pool
        self.pbx = pbx
        self.clock = clock
        self.engine_id = engine_id
        self.wall = WallTime(clock)
        self.agent_ring_timeout_s = agent_ring_timeout_s
        self.calls: dict[int, Call] = {}
        self.finished_at: dict[int, float] = {}
        self.call_of_leg: dict[str, int] = {}
        self.agents: dict[int, Agent] = {}
        self.agent_of_leg: dict[str, int] = {}
        self.agent_campaign: dict[int, int] = {}
        self.campaigns: dict[int, CampaignView] = {}
        self.call_context: dict[int, dict[str, Any]] = {}   # per call: lead, campaign, number, for pops
        self.reserved_for: dict[int, int] = {}              # manual/preview call -> the agent who placed it
        self.transferred_to: dict[str, int] = {}             # customer leg -> the agent it was transferred to
        self.transfer_pops: dict[int, dict[str, Any]] = {}   # receiving agent -> the call it shows meanwhile
        self.transfer_owner: dict[int, int] = {}             # call transferred to an agent -> that agent (disposes it)
        self.consults: dict[int, dict[str, Any]] = {}        # sending agent -> its warm transfer or 3-way under way
        self.holds: dict[str, dict[str, Any]] = {}           # customer leg on hold (dialer-hold) -> its call, agent
        self.outcome_listeners: list[OutcomeListener] = []   # after a call's record is written
        self.change_listeners: list[ChangeListener] = []     # on every change of a call's state
        self.board = LiveBoard(self)
        self.legs = AgentLegKeeper(self)                  # calls phones a PBX restart cut again
        self.panels = PanelWatch(self)                    # pauses agents whose panels are all gone
        self.supervision = LiveSupervision(self, on_agent_change=self._publish_agent)   # leads' listen/whisper/barge
        self.agent_phone_template: str | None = None      # settings.agent_phone_template, from the composition root
        self._tasks: set[asyncio.Task[Any]] = set()
        self._agent_queues: dict[int, list[asyncio.Queue[dict[str, Any]]]] = {}
        self.errors: list[BaseException] = []
        self.agent_notices: dict[int, str] = {}           # agent -> i18n key of what its panel must say
        self._signing_in: set[int] = set()                # agents whose sign-in is under way
        self.agent_day: dict[int, date] = {}              # the day (campaign zone) of each agent's counters
        self.control: Any = None          # dialer.control.CampaignControl, set by the composition root
        self.queue_rules: dict[Pool, routing.QueueRule] = {}   # inbound queues' routing (none: the outbound router)
        self.site_id: int | None = None   # the site this engine works for (dialer.sites; None: every site)
        self.queue_last_agent: dict[Pool, int] = {}            # round robin: the agent each queue gave its last caller
        self._route_checks: set[float] = set()                 # times a re-route is already planned for
        self.inbound = InboundDesk(self)                       # inbound callers: queue lookup, records, rules
        self.surveys = SurveyDesk(self)                        # surveys on Asterisk: after a call (dialer.survey_desk)
        self.recordings = RecordingDesk(self)                  # MixMonitor per policy, pause for payments
        self.change_listeners.append(self.recordings.call_changed)
        self.wait_errors = self.inbound.wait_errors            # the estimated wait's error per queue (staffing page)
        self.history = AgentHistory(self)                      # agent_history: who was signed in, when (staffing)

    # --- background work ------------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str = "") -> asyncio.Task[Any]:
        """Run ``coro`` in the background; its failure is logged and kept, never lost."""
        task = asyncio.get_running_loop().create_task(coro, name=name or None)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            self.errors.append(exc)
            log.error("engine task %s failed", task.get_name(), exc_info=exc)

    async def consume_pbx_events(self) -> None:
        """Feed every PBX event to the machines, until cancelled."""
        async for event in self.pbx.events():
            try:
                self.on_pbx_event(event)
            except Exception:  # noqa: BLE001 - one bad event must not stop the engine
                log.exception("engine could not apply %r", event)

    async def drain(self, *, timeout_s: float = 10.0) -> None:
        """Wait for effects in progress (PBX actions, call records, lead outcomes) to finish."""
        pending = [t for t in self._tasks if t.get_name() == "effects"]
        if pending:
            await asyncio.wait(pending, timeout=timeout_s)

    async def close(self) -> None:
        """Let effects in progress finish, then stop every task."""
        await self.drain()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- events into machines -------------------------------------------------------------------
    def on_pbx_event(self, event: PbxEvent) -> None:
        event = self.legs.observe(event)     # an agent leg lost while its link was down: cut by the PBX
        if isinstance(event, LinkUp):
            self.spawn(self._link_up(event), name="reconcile")
            return
        leg = getattr(event, "leg_id", None)
        if leg is None:
            return
        if self.supervision.observe(event):  # a team lead's phone spying on an agent (dialer-supervise)
            return
        if self.inbound.observe(event):      # a caller arriving in dialer-inbound, or gone while looked up
            return
        if self.surveys.observe(event):      # an answer to a survey step (dialer-survey)
            return
        if isinstance(event, SafeHarborPlayed):
            self._safe_harbor_played(event)
            return
        if leg in self.holds and self._held_leg_event(leg, event):
            return       # the customer moved to hold: it did not leave the call, its agent stays on it
        if self.consults and isinstance(event, (LegHungUp, LegFailed)):
            self._consult_leg_gone(leg)
        if leg in self.transferred_to and (
                isinstance(event, (LegHungUp, LegFailed))
                or (isinstance(event, ConferenceLeft)
                    and event.conference == conference_name(self.transferred_to[leg]))):
            self._end_transfer(leg)
        call_id = self.call_of_leg.get(leg)
        if call_id is not None and call_id in self.calls:
            call_event = calls.from_pbx(event, self.calls[call_id])
            if call_event is not None:
                self.apply_call(call_id, call_event)
                if isinstance(call_event, calls.AmdDone):
                    self.surveys.person_ready(self.calls[call_id])   # a survey campaign's person: the survey
        # agents care about their own leg, and customers joining or leaving their conference
        agent_id = self.agent_of_leg.get(leg)
        if agent_id is None and isinstance(event, (ConferenceJoined, ConferenceLeft)):
            agent_id = _agent_of_conference(event.conference)
        if agent_id is not None and agent_id in self.agents:
            if isinstance(event, LegFailed) and event.leg_id == self.agents[agent_id].leg_id:
                log.warning("phone of agent %s could not be reached: %s %s", agent_id, event.reason.value,
                            event.detail)
                self.agent_notices[agent_id] = "phone_unreachable"
            agent = self.agents[agent_id]
            if (isinstance(event, LegHungUp) and event.leg_id == agent.leg_id and not event.pbx_cut
                    and not agent.pending_logout and not agent.awaiting_phone
                    and agent.state is not AgentState.LOGGED_OUT):
                self.agent_notices[agent_id] = "phone_hung_up"    # the agent is signed out: say why
            agent_event = agents_mod.from_pbx(event, self.agents[agent_id], self.call_of_leg)
            if agent_event is not None:
                self.apply_agent(agent_id, agent_event)

    def apply_call(self, call_id: int, event: calls.CallEvent) -> None:
        call = self.calls.get(call_id)
        if call is None:
            return
        now = self.clock.monotonic()
        new, effects = calls.step(call, event, now)
        self.calls[call_id] = new
        if new.state is not call.state:
            self.board.call_changed(call, new)
            for listener in self.change_listeners:
                listener(call, new)
            owner = self.reserved_for.get(call_id)
            if owner is not None and new.terminal:
                del self.reserved_for[call_id]
                if new.agent_id is None:   # never reached its agent: give the agent back
                    self.apply_agent(owner, agents_mod.Release(call_id))
            if new.state is CallState.CONNECTED and new.ready_at is not None and new.connected_at is not None:
                wait_s = (new.connected_at - new.ready_at) / getattr(self.clock, "speed", 1.0)
                ANSWER_TO_AGENT_SECONDS.observe(wait_s)
                self.board.answer_to_agent_s.append(wait_s)
            if new.state is CallState.CONNECTED and call.state is not CallState.CONNECTED:
                self.surveys.call_connected(call_id, new.leg_id, new.agent_id)   # offered its survey or not
            if call.state is CallState.CONNECTED and new.state is CallState.WRAP_UP and new.agent_id is not None:
                self.apply_agent(new.agent_id, agents_mod.CustomerLeft(call_id))
        if not new.terminal and _milestone(call, new):
            if new.inbound and new.state is CallState.CONNECTING:
                # a caller holds with music (no 2-second rule): its record names the agent before the Redirect,
                # so an engine dying in between leaves a record a restart can read (put through to that agent)
                effects = (RecordMilestone(new), *effects)
            else:
                effects = (*effects, RecordMilestone(new))   # after this batch's PBX actions: never delays them
        self.run_effects(effects)

    def apply_agent(self, agent_id: int, event: agents_mod.AgentEvent) -> None:
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        new, effects = agents_mod.step(agent, event, self.clock.monotonic())
        self.agents[agent_id] = new
        if new.leg_id and new.leg_id not in self.agent_of_leg:
            self.agent_of_leg[new.leg_id] = agent_id
        if new != agent:
            self.board.agent_changed(agent, new)
            self.history.changed(agent, new)
            self._publish_agent(agent_id)
        self.run_effects(effects)
        if new.state is AgentState.READY and agent.state is not AgentState.READY:
            self.route()

    # --- effects ---------------------------------------------------------------------------------
    def run_effects(self, effects: tuple[Effect, ...]) -> None:
        """Apply in-memory effects now; send the I/O ones, in order, to one background task."""
        io: list[Effect] = []
        for effect in effects:
            if isinstance(effect, StartCallTimer):
                self.spawn(self._call_timer(effect), name=f"timer-call-{effect.call_id}")
            elif isinstance(effect, StartAgentTimer):
                self.spawn(self._agent_timer(effect), name=f"timer-agent-{effect.agent_id}")
            elif isinstance(effect, SeekAgent):
                self.route()
            elif isinstance(effect, ReleaseAgent):
                self.apply_agent(effect.agent_id, agents_mod.Release(effect.call_id))
            elif isinstance(effect, AgentLost):
                self.apply_call(effect.call_id, calls.AgentGone(effect.agent_id))
            elif isinstance(effect, CloseCall):
                if effect.call_id not in self.transfer_owner:   # else the receiving agent closes it
                    self.apply_call(effect.call_id, calls.WrapUpDone(effect.disposition))
            elif isinstance(effect, RecordOutcome):
                self.finished_at[effect.call.call_id] = self.clock.monotonic()
                io.append(effect)
            else:
                io.append(effect)
        if io:
            self.spawn(self._carry_out(tuple(io)), name="effects")

    async def _carry_out(self, effects: tuple[Effect, ...]) -> None:
        for effect in effects:
            if isinstance(effect, Originate):
                await self._originate(effect.request)
            elif isinstance(effect, RedirectToAgent):
                await self._redirect_to_agent(effect)
            elif isinstance(effect, RedirectToSafeHarbor):
                await self._quietly(self.pbx.redirect(effect.leg_id, context=CTX_SAFE_HARBOR, exten="s"))
            elif isinstance(effect, RedirectToMachineMessage):
                await self._quietly(self.pbx.redirect(effect.leg_id, context=CTX_MACHINE, exten="s"))
            elif isinstance(effect, Hangup):
                if self.surveys.wants(effect.leg_id) and await self.surveys.take_over(effect.leg_id):
                    continue     # its agent ended the call: the customer goes into its after-call survey
                await self._quietly(self.pbx.hangup(effect.leg_id, cause=effect.cause))
            elif isinstance(effect, RecordOutcome):
                await self._record(effect.call)
            elif isinstance(effect, RecordMilestone):
                await self._record_milestone(effect.call)

    async def _quietly(self, action: Awaitable[None]) -> None:
        """A PBX action whose failure only means the leg is already gone."""
        try:
            await action
        except PbxError as exc:
            log.info("PBX action skipped: %s", exc)

    async def _originate(self, request: OriginateRequest) -> None:
        try:
            await self.pbx.originate(request)
        except PbxError as exc:
            from dialer.pbx_port import FailReason

            log.warning("originate of %s refused: %s", request.leg_id, exc)
            call_id = self.call_of_leg.get(request.leg_id)
            if call_id is not None:   # not sent for want of a PBX or a line: like a cut, never the campaign's fault
                reason = FailReason.PBX_CUT if isinstance(exc, PbxUnavailable) else FailReason.REJECTED
                self.apply_call(call_id, calls.Failed(reason, 0, str(exc)))
            agent_id = self.agent_of_leg.get(request.leg_id)
            if agent_id is not None:
                self.agent_notices[agent_id] = "phone_unreachable"
                self.apply_agent(agent_id, agents_mod.LegDown())

    async def _redirect_to_agent(self, effect: RedirectToAgent) -> None:
        try:
            await self.pbx.redirect(effect.leg_id, context=CTX_CONNECT, exten=conference_name(effect.agent_id))
        except PbxError as exc:
            log.warning("redirect of %s to agent %s failed: %s", effect.leg_id, effect.agent_id, exc)
            call_id = self.call_of_leg.get(effect.leg_id)
            if call_id is not None:
                self.apply_call(call_id, calls.AgentGone(effect.agent_id))

    async def _record(self, call: Call) -> None:
        try:
            await call_records.close_record(self.pool, call, self.wall)
            if call.inbound:
                await queue_board.write_estimate(self, call)   # before the desk learns from it (and forgets it)
                await write_inbound_outcome(self, call)
        finally:
            for listener in self.outcome_listeners:
                try:
                    await listener(call)
                except Exception:  # noqa: BLE001 - a listener's failure is logged, the record stands
                    log.exception("outcome listener failed for call %s", call.call_id)

    async def _record_milestone(self, call: Call) -> None:
        try:   # bounded: a caller's Redirect may wait for this write (``apply_call``)
            await wait_within(call_records.record_milestone(self.pool, call, self.wall), MILESTONE_WRITE_S)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:   # the outcome still writes at the end
            log.warning("milestone of call %s not written: %s", call.call_id, exc or "timed out")

    def _safe_harbor_played(self, event: SafeHarborPlayed) -> None:
        """Keep the safe-harbor message's PLAYBACKSTATUS on the call's record; a failed one is an error:
        the customer heard nothing, which the law does not allow."""
        call_id = self.call_of_leg.get(event.leg_id)
        if call_id is None:
            log.warning("safe-harbor playback %s for unknown leg %s", event.status, event.leg_id)
            return
        if event.status != "SUCCESS":
            context = self.call_context.get(call_id, {})
            log.error("safe-harbor message of call %s in campaign %s (%r) did not play (PLAYBACKSTATUS %s): check"
                      " that sound %r exists on PBX %s", call_id, context.get("campaign_id", "?"),
                      context.get("campaign_name", "?"), event.status or "-", context.get("safe_harbor_sound", "?"),
                      event.server)
        self.spawn(call_records.set_safe_harbor_playback(self.pool, call_id=call_id, status=event.status),
                   name=f"playback-{call_id}")

    async def _call_timer(self, effect: StartCallTimer) -> None:
        await self.clock.sleep_until(effect.at)
        self.apply_call(effect.call_id, calls.TimerFired(effect.timer))

    async def _agent_timer(self, effect: StartAgentTimer) -> None:
        await self.clock.sleep_until(effect.at)
        self.apply_agent(effect.agent_id, agents_mod.TimerFired(effect.timer))

    # --- routing ---------------------------------------------------------------------------------
    def route(self) -> None:
        """Give waiting calls to ready agents (longest idle first), or send late ones to safe harbor."""
        now = self.clock.monotonic()
        waiting = [c for c in self.calls.values() if c.state is CallState.WAITING]
        places = self.inbound.callbacks.waiting()    # callers who pressed 1 keep their places among the waiting
        if not waiting and not places:
            return
        for call in [c for c in waiting if c.call_id in self.reserved_for]:
            owner = self.reserved_for[call.call_id]  # a manual or preview call goes to its own agent
            self.apply_call(call.call_id, calls.AssignAgent(owner))
        waiting = [c for c in waiting if c.call_id not in self.reserved_for] + places
        held = self.inbound.callbacks.held           # agents picked for a callback being placed
        agents = [a for a in self.agents.values() if a.agent_id not in held] if held else self.agents.values()
        for decision in routing.assign(waiting, agents, now, queues=self.queue_rules,
                                       last_agent=self.queue_last_agent):
            if (decision.action is routing.RouteAction.CONNECT and decision.agent_id is not None
                    and decision.call_id not in self.calls):     # a place reached the front: call it back
                self.inbound.callbacks.front(decision.call_id, decision.agent_id)
                continue
            if decision.action is routing.RouteAction.CONNECT and decision.agent_id is not None:
                pool = self.calls[decision.call_id].pool
                if pool in self.queue_rules:
                    self.queue_last_agent[pool] = decision.agent_id
                self.apply_agent(decision.agent_id, agents_mod.Reserve(decision.call_id))
                self.apply_call(decision.call_id, calls.AssignAgent(decision.agent_id))
            elif decision.recheck_at is not None and decision.recheck_at not in self._route_checks:
                self._route_checks.add(decision.recheck_at)   # a skills floor widens then: route again
                self.spawn(self._route_at(decision.recheck_at), name=f"route-at-{decision.recheck_at:.1f}")
            elif decision.action is routing.RouteAction.SAFE_HARBOR:
                from dialer.effects import Timer

                self.apply_call(decision.call_id, calls.TimerFired(Timer.SAFE_HARBOR))

    async def _route_at(self, at: float) -> None:
        await self.clock.sleep_until(at)
        self._route_checks.discard(at)
        self.route()

    # --- dialling (used by runners and the agent API) ----------------------------------------------
    async def dial(self, campaign: CampaignView, *, number_e164: str, lead_id: int | None,
                   direction: str = "outbound", agent_id: int | None = None) -> int:
        """Open the call record, then originate; returns the call id. The record comes first, so a crash
        between the two leaves a row to reconcile, never an unrecorded call."""
        leg_id = new_leg_id()
        dial_string = campaign.dial_string(number_e164)
        call_id = await call_records.open_record(
            self.pool, campaign_id=campaign.id, lead_id=lead_id, agent_id=agent_id, engine_id=self.engine_id,
            leg_id=leg_id, direction=direction, phone_e164=number_e164, dial_string=dial_string,
            caller_id=campaign.caller_id, originated_at=self.clock.now(),
        )
        variables = {VAR_LEG_ID: leg_id, VAR_CALL_ID: str(call_id), VAR_AMD: "1" if campaign.amd else "0",
                     VAR_SAFE_HARBOR: campaign.safe_harbor_sound, VAR_MACHINE_MSG: campaign.machine_message_sound,
                     VAR_HOLD_S: f"{self.surveys.hold_s(campaign.id, campaign.hold_s):g}"}
        request = OriginateRequest(leg_id=leg_id, kind=LegKind.CUSTOMER, dial_string=dial_string,
                                   context=CTX_CUSTOMER, exten="s", caller_id=campaign.caller_id,
                                   timeout_s=campaign.ring_timeout_s, variables=variables, server=campaign.server)
        call = Call(call_id=call_id, leg_id=leg_id, pool=Pool(PoolKind.CAMPAIGN, campaign.id), policy=campaign.policy(),
                    lead_id=lead_id)
        self.calls[call_id] = call
        self.call_of_leg[leg_id] = call_id
        self.call_context[call_id] = {"campaign_id": campaign.id, "lead_id": lead_id, "number": number_e164,
                                      "direction": direction, "record": campaign.record_calls,
                                      "campaign_name": campaign.name, "safe_harbor_sound": campaign.safe_harbor_sound}
        self.board.call_changed(None, call)
        self.apply_call(call_id, calls.Dial(request))
        return call_id

    def adopt(self, call: Call, agent: Agent, *, campaign_id: int, context: dict[str, Any]) -> None:
        """Take over a conversation crash recovery found still live on the PBX (``dialer.recovery``): the
        call (CONNECTED) and its agent (ON_CALL, its panel shows the call and the pop again)."""
        assert agent.leg_id is not None and call.state is CallState.CONNECTED
        self.calls[call.call_id] = call
        self.call_of_leg[call.leg_id] = call.call_id
        self.call_context[call.call_id] = context
        self.agents[agent.agent_id] = agent
        self.agent_of_leg[agent.leg_id] = agent.agent_id
        self.agent_campaign[agent.agent_id] = campaign_id
        self.board.call_changed(None, call)
        self.history.changed(None, agent)
        self.recordings.adopted(call)       # its MixMonitor still runs: followed again, never started twice
        self._publish_agent(agent.agent_id)

    def _local_midnight(self, campaign_id: int) -> datetime:
        """The start of today in the zone of the campaign (UTC for an unknown one), where agents' days are cut."""
        campaign = self.campaigns.get(campaign_id)
        return agents_mod.day_start(self.clock.now(), campaign.timezone if campaign else "UTC")

    def roll_days(self) -> None:
        """At midnight in the zone of each agent's campaign, its calls and talk time of the day start again."""
        now = self.clock.now()
        for agent_id, agent in list(self.agents.items()):
            campaign = self.campaigns.get(self.agent_campaign.get(agent_id, -1))
            today = agents_mod.day_in(now, campaign.timezone if campaign else "UTC")
            seen = self.agent_day.setdefault(agent_id, today)
            if seen != today:
                self.agent_day[agent_id] = today
                new = agents_mod.new_day(agent)
                self.agents[agent_id] = new
                self.board.agent_changed(agent, new)
                self._publish_agent(agent_id)

    def prune_finished(self) -> None:
        """Forget finished calls after ``KEEP_FINISHED_S`` (late PBX events for them are ignored)."""
        now = self.clock.monotonic()
        for call_id, at in list(self.finished_at.items()):
            if now - at > KEEP_FINISHED_S:
                call = self.calls.pop(call_id, None)
                self.finished_at.pop(call_id, None)
                self.call_context.pop(call_id, None)
                if call is not None and self.call_of_leg.get(call.leg_id) == call_id:   # a leg sent to a queue
                    del self.call_of_leg[call.leg_id]                                 # is another call's now

    # --- links ---------------------------------------------------------------------------------
    async def _link_up(self, event: LinkUp) -> None:
        from dialer.recovery_inbound import adopt_strays

        await self.reconcile_links()
        self.legs.link_up(event)
        await adopt_strays(self)   # callers who arrived while the link was down: their arrival event was lost

    async def reconcile_links(self) -> None:
        """After a reconnect: feed calls and agents what the PBX's live channels show they missed."""
        from dialer.reconcile import reconcile

        listed_at = self.clock.monotonic()
        try:
            live = await self.pbx.channels()
        except PbxError as exc:
            log.warning("cannot reconcile after reconnect: %s", exc)
            return
        result = reconcile(list(self.calls.values()), list(self.agents.values()), live,
                           now=self.clock.monotonic(), listed_at=listed_at)
        for call in result.calls:
            if call != self.calls.get(call.call_id):
                self.board.call_changed(self.calls[call.call_id], call)
                self.calls[call.call_id] = call
        for agent in result.agents:
            if agent != self.agents.get(agent.agent_id):
                before = self.agents.get(agent.agent_id)
                self.agents[agent.agent_id] = agent
                self.history.changed(before, agent)   # a state the reconnect found is a segment too (time sheets)
                self._publish_agent(agent.agent_id)
        self.run_effects(result.effects)

    # --- the agent API (dialer.engine_api.EngineApi) -------------------------------------------------
    def _agent(self, user_id: int) -> Agent:
        agent = self.agents.get(user_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            raise EngineError("you are not signed in to a campaign")
        return agent

    async def agent_login(self, user_id: int, campaign_id: int, *, phone_dial_string: str | None = None) -> None:
        if campaign_id not in self.campaigns:
            raise EngineError("this campaign is not running")
        current = self.agents.get(user_id)
        # two sign-ins at once (two tabs, a panel that reconnects) must not both pass and call the phone
        # twice, leaving a leg nobody follows: the second is refused while the first is under way
        if user_id in self._signing_in or (current is not None and current.state is not AgentState.LOGGED_OUT):
            raise EngineError("you are already signed in")
        self._signing_in.add(user_id)
        try:
            await self._sign_in(user_id, campaign_id, current, phone_dial_string)
        finally:
            self._signing_in.discard(user_id)

    async def _sign_in(self, user_id: int, campaign_id: int, current: Agent | None,
                       phone_dial_string: str | None) -> None:
        phone = await self.agent_phone(user_id, phone_dial_string)
        self.agent_notices.pop(user_id, None)
        request = self.agent_phone_request(user_id, campaign_id, phone)
        leg_id = request.leg_id
        queues = await self.inbound.agent_pools(user_id)   # the queues it has a skill level for
        if current is not None:
            calls_today, talk_s = current.calls_today, current.talk_s
        else:                                               # new to this engine: today's calls from the records
            calls_today, talk_s = await call_records.agent_day_totals(
                self.pool, agent_id=user_id, since=self._local_midnight(campaign_id))
        self.agents[user_id] = Agent(agent_id=user_id, pools=frozenset({Pool(PoolKind.CAMPAIGN, campaign_id)}) | queues,
                                     state_since=self.clock.monotonic(), calls_today=calls_today, talk_s=talk_s)
        self.agent_campaign[user_id] = campaign_id
        self.agent_of_leg[leg_id] = user_id
        await self.pool.execute(
            "INSERT INTO agent_sessions (user_id, campaign_id, engine_id, leg_id) VALUES ($1,$2,$3,$4)"
            " ON CONFLICT (user_id) DO UPDATE SET campaign_id=$2, engine_id=$3, leg_id=$4, logged_in_at=now()",
            user_id, campaign_id, self.engine_id, leg_id)
        self.legs.signed_in(user_id, campaign_id, phone_dial_string)
        self.apply_agent(user_id, agents_mod.Login(request))

    async def agent_phone(self, user_id: int, phone_dial_string: str | None = None) -> str:
        """The dial string of the agent's phone: given, the user's own, or ``agent_phone_template``."""
        phone = phone_dial_string or await self.pool.fetchval(
            "SELECT phone_dial_string FROM users WHERE id = $1", user_id)
        if not phone and self.agent_phone_template:
            phone = self.agent_phone_template.format(agent_id=user_id)
        if not phone:
            raise EngineError("no phone is set for you: ask an admin to set your phone's dial string")
        return str(phone)

    def agent_phone_request(self, user_id: int, campaign_id: int, phone: str) -> OriginateRequest:
        """The Originate of the agent's persistent leg: ``phone`` into its own conference."""
        leg_id = new_leg_id()
        conf = conference_name(user_id)
        campaign = self.campaigns.get(campaign_id)
        return OriginateRequest(leg_id=leg_id, kind=LegKind.AGENT, dial_string=phone, context=CTX_AGENT,
                                exten=conf, caller_id=f"Dialer <{conf}>", timeout_s=self.agent_ring_timeout_s,
                                variables={VAR_LEG_ID: leg_id, VAR_AGENT_ID: str(user_id)},
                                server=campaign.server if campaign is not None else None)

    async def agent_ready(self, user_id: int) -> None:
        agent = self._agent(user_id)
        if agent.state is AgentState.CONNECTING:
            raise EngineError("your phone is not connected yet: answer it first")
        if agent.state is AgentState.READY:
            return
        if self._received_transfer(user_id) is not None:   # ready would let the router send it a second customer
            raise EngineError("finish the call transferred to you first")
        self.apply_agent(user_id, agents_mod.Resume())

    async def agent_pause(self, user_id: int, reason: str) -> None:
        self._agent(user_id)
        self.apply_agent(user_id, agents_mod.Pause(reason.strip() or "break"))

    async def agent_logout(self, user_id: int) -> None:
        self.legs.signed_out(user_id)
        agent = self.agents.get(user_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            return
        self.apply_agent(user_id, agents_mod.Logout())
        if self.agents[user_id].state is AgentState.LOGGED_OUT:
            await self.pool.execute("DELETE FROM agent_sessions WHERE user_id = $1", user_id)

    async def hangup(self, user_id: int) -> None:
        agent = self._agent(user_id)
        received = self._received_transfer(user_id)
        sender = self._sender_of(user_id)
        if received is not None and sender is not None:   # asked to talk first or in a 3-way: it leaves the call
            await self._end_consult(sender)
            return
        if received is not None and received["transfer"]["stage"] == "talking":
            leg = next(leg for leg, to in self.transferred_to.items() if to == user_id)
            await self._quietly(self.pbx.hangup(leg))
            return
        call = self.calls.get(agent.call_id) if agent.call_id is not None else None
        if call is None or call.state is not CallState.CONNECTED:
            raise EngineError("you have no call to hang up")
        if self.surveys.wants(call.leg_id) and await self.surveys.take_over(call.leg_id):
            self.apply_call(call.call_id, calls.CustomerHungUp(0))   # out of the conference, into its survey
            return
        await self._quietly(self.pbx.hangup(call.leg_id))

    async def set_disposition(self, user_id: int, disposition: DispositionInput) -> None:
        agent = self._agent(user_id)
        received = self._received_transfer(user_id)
        if received is not None and received["call_id"] == str(disposition.call_id):
            await self._dispose_transferred(user_id, disposition, received)
            return
        if agent.state is not AgentState.WRAP_UP or agent.call_id != int(disposition.call_id):
            raise EngineError("this call is not waiting for a disposition")
        campaign = self.campaigns.get(self.agent_campaign.get(user_id, -1))
        queue_codes = self.call_context.get(agent.call_id or -1, {}).get("dispositions")
        if queue_codes is not None:    # an inbound call: its queue's dispositions
            if disposition.code not in queue_codes:
                raise EngineError(f"unknown disposition {disposition.code!r}; choose one of {', '.join(queue_codes)}")
        elif campaign is not None and disposition.code not in campaign.dispositions:
            raise EngineError(f"unknown disposition {disposition.code!r}; choose one of {', '.join(campaign.dispositions)}")
        call_id = agent.call_id
        if disposition.notes:
            await call_records.set_notes(self.pool, call_id=call_id, notes=disposition.notes)
        context = self.call_context.get(call_id, {})
        context["callback"] = disposition if disposition.callback_at is not None else None
        context["disposed_by"] = user_id
        rule = self.queue_rules.get(queue_pool(context["queue_id"])) if context.get("queue_id") else None
        self.apply_agent(user_id, agents_mod.Dispose(disposition.code, wrap_s=rule.wrapup_s if rule else 0.0))

    async def transfer(self, user_id: int, *, to_agent_id: int | None = None, to_number: str | None = None) -> None:
        """Blind transfer of the agent's customer to a ready agent or an external number.

        To a number, the customer leaves this agent, whose call goes to wrap-up as usual. To an agent, the
        receiving agent owns the call from then on: it is paused with the reason "transfer" (the router gives
        it no other call meanwhile), its panel shows the call with the sending agent's name, it can hang up,
        and when the customer is gone it sets the call's disposition and notes, then is ready again; the
        sending agent is done with the call (ready again, the call counted in its day).
        """
        agent = self._agent(user_id)
        call = self.calls.get(agent.call_id) if agent.call_id is not None else None
        if call is None or call.state is not CallState.CONNECTED:
            raise EngineError("you have no call to transfer")
        if (to_agent_id is None) == (to_number is None):
            raise EngineError("transfer to one agent or one number")
        if user_id in self.consults:
            raise EngineError("finish or cancel the transfer under way first")
        if to_agent_id is not None:
            await self._reserve_receiver(user_id, call, to_agent_id, stage="talking")
            await self._hand_over(user_id, call, to_agent_id)
            return
        number = _e164(to_number or "")
        campaign = self.campaigns.get(self.agent_campaign.get(user_id, -1))
        dial = campaign.dial_string(number) if campaign else number
        await self.pbx.set_var(call.leg_id, VAR_TRANSFER_TO, dial)
        self.call_context.setdefault(call.call_id, {})["transferred_to"] = to_number
        await self.pbx.redirect(call.leg_id, context=CTX_TRANSFER, exten="s")
        self.apply_call(call.call_id, calls.CustomerHungUp(0))

    async def transfer_to_queue(self, user_id: int, *, queue_id: int) -> int:
        """Cold transfer of the agent's customer to an inbound queue (``dialer.queue_transfer``): the agent goes to
        wrap-up, the customer holds in ``dialer-inbound`` as the queue's caller with its own linked record."""
        from dialer.queue_transfer import transfer_to_queue

        agent = self._agent(user_id)
        call = self.calls.get(agent.call_id) if agent.call_id is not None else None
        if call is None or call.state is not CallState.CONNECTED or self._received_transfer(user_id) is not None:
            raise EngineError("you have no call to transfer")
        if user_id in self.consults:
            raise EngineError("finish or cancel the transfer under way first")
        return await transfer_to_queue(self, user_id, call, queue_id)

    async def _reserve_receiver(self, user_id: int, call: Call, to_agent_id: int, *, stage: str) -> None:
        """The receiving agent is paused for the call ("transfer": the router gives it no other) and its panel
        shows the call with the sender's name and the ``stage`` (talking, consult, conference)."""
        target = self.agents.get(to_agent_id)
        if target is None or target.state is not AgentState.READY or to_agent_id == user_id:
            raise EngineError("that agent is not ready to take a call")
        sender = await self.pool.fetchval("SELECT display_name FROM users WHERE id = $1", user_id)
        pop = call_view_of(call.call_id, "transferred", self.call_context.get(call.call_id, {}), None)
        pop["transfer"] = {"from_agent_id": user_id, "from_name": sender or "", "stage": stage}
        self.transfer_pops[to_agent_id] = pop
        self.apply_agent(to_agent_id, agents_mod.Pause(TRANSFER_PAUSE))

    async def _hand_over(self, user_id: int, call: Call, to_agent_id: int) -> None:
        """The customer goes to the receiving agent's conference; that agent owns the call from now on (it hangs
        up, sets the disposition and notes); the sender is done (ready again, the call counted in its day)."""
        self._receiver_owns(call, to_agent_id)
        await self.pbx.redirect(call.leg_id, context=CTX_CONNECT, exten=conference_name(to_agent_id))
        self._sender_done(user_id, call, to_agent_id)

    def _receiver_owns(self, call: Call, to_agent_id: int) -> None:
        pop = self.transfer_pops[to_agent_id]
        pop["transfer"] = {**pop["transfer"], "stage": "talking"}
        self.transferred_to[call.leg_id] = to_agent_id
        self.transfer_owner[call.call_id] = to_agent_id
        self.call_context.setdefault(call.call_id, {})["transferred_to"] = to_agent_id

    def _sender_done(self, user_id: int, call: Call, to_agent_id: int) -> None:
        self.apply_call(call.call_id, calls.CustomerHungUp(0))
        if self.agents[user_id].state is AgentState.WRAP_UP:
            self.apply_agent(user_id, agents_mod.Dispose(TRANSFER_PAUSE))   # its CloseCall waits for the receiver
        self._publish_agent(to_agent_id)

    # --- warm transfer and three-way call -------------------------------------------------------------
    async def transfer_consult(self, user_id: int, *, to_agent_id: int, three_way: bool = False) -> None:
        """Bring a ready agent into this agent's conference: to talk first (warm transfer: the customer is put on
        hold first, out of the conference with music, ``dialer-hold``: it hears nothing of what the agents say)
        or all three together (``three_way``). The receiving agent's phone leg is redirected from its own
        conference into the sender's; it is paused for the call meanwhile and its panel shows the call. Then
        ``transfer_conference`` (the customer back, all three), ``transfer_complete`` (the sender leaves; the
        customer goes to the receiving agent, who owns the call as after a blind transfer) or ``transfer_cancel``
        (the receiving agent goes back, ready; the customer back with the sender)."""
        agent = self._agent(user_id)
        call = self.calls.get(agent.call_id) if agent.call_id is not None else None
        if call is None or call.state is not CallState.CONNECTED:
            raise EngineError("you have no call to transfer")
        if user_id in self.consults:
            raise EngineError("finish or cancel the transfer under way first")
        receiver = self.agents.get(to_agent_id)
        if receiver is None or receiver.leg_id is None:
            raise EngineError("that agent is not ready to take a call")
        stage = "conference" if three_way else "consult"
        await self._reserve_receiver(user_id, call, to_agent_id, stage=stage)
        name = await self.pool.fetchval("SELECT display_name FROM users WHERE id = $1", to_agent_id)
        self.consults[user_id] = {"to_agent_id": to_agent_id, "to_name": name or "", "stage": stage,
                                  "call_id": call.call_id, "leg_id": call.leg_id, "agent_leg": receiver.leg_id}
        try:
            if not three_way:
                await self._put_on_hold(call, user_id, to_agent_id)
            await self.pbx.redirect(receiver.leg_id, context=CTX_AGENT, exten=conference_name(user_id))
        except PbxError:
            await self._end_consult(user_id)
            raise
        self._publish_agent(user_id)

    async def transfer_conference(self, user_id: int) -> None:
        """From talking first to all three together: the customer comes back from hold into the conference."""
        consult = self._consult_of(user_id)
        if consult["stage"] != "conference":
            await self._take_off_hold(consult["leg_id"], conference_name(user_id), reason="three_way")
            consult["stage"] = "conference"
            self._set_receiver_stage(consult, "conference")
        self._publish_agent(user_id)

    async def transfer_complete(self, user_id: int) -> None:
        """The sender leaves: the receiving agent's leg goes back to its own conference and the customer follows
        it there; from then on the receiving agent owns the call."""
        consult = self._consult_of(user_id)
        call = self.calls.get(consult["call_id"])
        if call is None or call.state is not CallState.CONNECTED:
            raise EngineError("you have no call to transfer")
        del self.consults[user_id]
        receiver = consult["to_agent_id"]
        await self._quietly(self.pbx.redirect(consult["agent_leg"], context=CTX_AGENT, exten=conference_name(receiver)))
        if call.leg_id in self.holds:     # from hold straight into the receiving agent's conference (_hand_over)
            await self._hold_over(call.leg_id, conference_name(receiver), reason="transferred")
        await self._hand_over(user_id, call, receiver)
        self._publish_agent(user_id)

    async def transfer_cancel(self, user_id: int) -> None:
        """The receiving agent goes back to its own conference (ready again); the sender keeps the customer,
        heard again."""
        self._consult_of(user_id)
        await self._end_consult(user_id)

    def _consult_of(self, user_id: int) -> dict[str, Any]:
        consult = self.consults.get(user_id)
        if consult is None:
            raise EngineError("you are not transferring a call to an agent")
        return consult

    def _sender_of(self, receiver_id: int) -> int | None:
        return next((s for s, c in self.consults.items() if c["to_agent_id"] == receiver_id), None)

    def _set_receiver_stage(self, consult: dict[str, Any], stage: str) -> None:
        pop = self.transfer_pops.get(consult["to_agent_id"])
        if pop is not None and "transfer" in pop:
            pop["transfer"] = {**pop["transfer"], "stage": stage}
        self._publish_agent(consult["to_agent_id"])

    async def _end_consult(self, user_id: int) -> None:
        """Undo a warm transfer or 3-way: the receiving agent back home and ready, then the customer back from hold
        into the sender's conference."""
        consult = self.consults.pop(user_id, None)
        if consult is None:
            return
        receiver = consult["to_agent_id"]
        agent = self.agents.get(receiver)
        if agent is not None and agent.leg_id == consult["agent_leg"]:
            await self._quietly(self.pbx.redirect(consult["agent_leg"], context=CTX_AGENT,
                                                  exten=conference_name(receiver)))
        call = self.calls.get(consult["call_id"])
        if consult["leg_id"] in self.holds and call is not None and call.state is CallState.CONNECTED:
            await self._quietly(self._take_off_hold(consult["leg_id"], conference_name(user_id), reason="back"))
        self.transfer_pops.pop(receiver, None)
        if agent is not None and agent.state is AgentState.PAUSED and agent.pause_reason == TRANSFER_PAUSE:
            self.apply_agent(receiver, agents_mod.Resume())
        else:
            self._publish_agent(receiver)
        self._publish_agent(user_id)

    def _consult_leg_gone(self, leg_id: str) -> None:
        """The customer, or the receiving agent's phone, hung up during a warm transfer or 3-way: it ends. The
        sender's phone hung up: the transfer completes, the customer goes to the receiving agent (never cut)."""
        for sender, consult in list(self.consults.items()):
            if leg_id in (consult["leg_id"], consult["agent_leg"]):
                self.spawn(self._end_consult(sender), name=f"consult-end-{sender}")
            elif sender in self.agents and leg_id == self.agents[sender].leg_id:
                self._sender_phone_gone(sender)

    def _sender_phone_gone(self, sender: int) -> None:
        """Complete the consult of ``sender``, whose phone is gone, now (before its agent machine sees the phone
        go, which would hang the customer up): the receiving agent owns the call; then, in the background, its
        phone goes home and the customer follows it there, from hold or from the sender's conference."""
        consult = self.consults.pop(sender)
        call = self.calls.get(consult["call_id"])
        receiver = consult["to_agent_id"]
        if call is None or call.state is not CallState.CONNECTED or receiver not in self.transfer_pops:
            self.consults[sender] = consult
            self.spawn(self._end_consult(sender), name=f"consult-end-{sender}")
            return
        log.warning("phone of agent %s hung up during a warm transfer of call %s: agent %s takes the customer",
                    sender, call.call_id, receiver)
        self._receiver_owns(call, receiver)
        self._sender_done(sender, call, receiver)

        async def move() -> None:
            await self._quietly(self.pbx.redirect(consult["agent_leg"], context=CTX_AGENT,
                                                  exten=conference_name(receiver)))
            await self._hold_over(call.leg_id, conference_name(receiver), reason="transferred")
            await self._quietly(self.pbx.redirect(call.leg_id, context=CTX_CONNECT, exten=conference_name(receiver)))

        self.spawn(move(), name=f"consult-sender-gone-{sender}")

    # --- a customer on hold (dialer-hold) -------------------------------------------------------------
    async def _put_on_hold(self, call: Call, agent_id: int, consult_agent_id: int | None) -> None:
        """Take the customer out of its agent's conference into ``dialer-hold`` (music on hold, alone); the
        conference events that follow mean a move, not a customer who left. The hold goes on the call's
        timeline (``call_holds``)."""
        self.holds[call.leg_id] = {"call_id": call.call_id, "agent_id": agent_id, "back_to": None}
        try:
            await self.pbx.redirect(call.leg_id, context=CTX_HOLD, exten=conference_name(agent_id))
        except PbxError:
            self.holds.pop(call.leg_id, None)
            raise
        await call_holds.start(self.pool, call_id=call.call_id, agent_id=agent_id, consult_agent_id=consult_agent_id,
                               at=self.clock.now())

    async def _take_off_hold(self, leg_id: str, conference: str, *, reason: str) -> None:
        """Bring the customer on hold back into ``conference`` (``dialer-connect``)."""
        await self._hold_over(leg_id, conference, reason=reason)
        await self.pbx.redirect(leg_id, context=CTX_CONNECT, exten=conference)

    async def _hold_over(self, leg_id: str, conference: str, *, reason: str) -> None:
        """The hold of ``leg_id`` ends now (on the timeline); the customer is on its way to ``conference``, and
        stays known as held until it joins it (its leaving the conference for hold may still be on the way)."""
        hold = self.holds.get(leg_id)
        if hold is None:
            return
        hold["back_to"] = conference
        await call_holds.end(self.pool, call_id=hold["call_id"], at=self.clock.now(), reason=reason)

    def _held_leg_event(self, leg_id: str, event: PbxEvent) -> bool:
        """A PBX event of a customer on hold: True when it only means the move to or from hold (the machines must
        not see it). Hanging up on hold ends the hold (the call then ends as usual: its agent sets the
        disposition); joining a conference ends it too, by our Redirect or by the dialplan's own time limit
        (then the consult under way has all three together)."""
        hold = self.holds[leg_id]
        if isinstance(event, ConferenceLeft):
            return True
        if isinstance(event, (LegHungUp, LegFailed)):
            del self.holds[leg_id]
            if hold["back_to"] is None:
                self.spawn(call_holds.end(self.pool, call_id=hold["call_id"], at=self.clock.now(), reason="hung_up"),
                           name=f"hold-end-{hold['call_id']}")
            return False
        if isinstance(event, ConferenceJoined):
            del self.holds[leg_id]
            if hold["back_to"] is None:     # nobody brought it back: the dialplan did, after its time limit
                self.spawn(call_holds.end(self.pool, call_id=hold["call_id"], at=self.clock.now(), reason="dialplan"),
                           name=f"hold-end-{hold['call_id']}")
                consult = self.consults.get(hold["agent_id"])
                if consult is not None and consult["leg_id"] == leg_id and consult["stage"] == "consult":
                    consult["stage"] = "conference"
                    self._set_receiver_stage(consult, "conference")
                    self._publish_agent(hold["agent_id"])
            return True
        return False

    def ready_agents(self, campaign_id: int, *, but: int | None = None) -> list[int]:
        """The agents signed in to ``campaign_id`` who are ready now (those a call can be transferred to)."""
        return sorted(agent_id for agent_id, agent in self.agents.items()
                      if agent.state is AgentState.READY and agent_id != but
                      and self.agent_campaign.get(agent_id) == campaign_id)

    def _received_transfer(self, user_id: int) -> dict[str, Any] | None:
        """The transferred call this agent received and has not disposed of yet, if any."""
        pop = self.transfer_pops.get(user_id)
        return pop if pop is not None and "transfer" in pop else None

    def _end_transfer(self, leg_id: str) -> None:
        """The transferred customer is gone: its receiving agent, still paused for it, now sets the disposition."""
        agent_id = self.transferred_to.pop(leg_id)
        pop = self.transfer_pops.get(agent_id)
        if pop is not None and "transfer" in pop:
            pop["transfer"] = {**pop["transfer"], "stage": "wrap_up"}
            pop["state"] = "wrap_up"
        self._publish_agent(agent_id)

    async def _dispose_transferred(self, user_id: int, disposition: DispositionInput, pop: dict[str, Any]) -> None:
        """The receiving agent's disposition closes the transferred call; the agent is ready again."""
        if pop["transfer"]["stage"] != "wrap_up":
            raise EngineError("this call is not waiting for a disposition")
        call_id = int(disposition.call_id)
        context = self.call_context.get(call_id, {})
        campaign = self.campaigns.get(context.get("campaign_id") or self.agent_campaign.get(user_id, -1))
        if campaign is not None and disposition.code not in campaign.dispositions:
            raise EngineError(f"unknown disposition {disposition.code!r}; choose one of {', '.join(campaign.dispositions)}")
        if disposition.notes:
            await call_records.set_notes(self.pool, call_id=call_id, notes=disposition.notes)
        context["callback"] = disposition if disposition.callback_at is not None else None
        context["disposed_by"] = user_id
        self.transfer_pops.pop(user_id, None)
        self.transfer_owner.pop(call_id, None)
        if call_id in self.calls and self.calls[call_id].state is CallState.WRAP_UP:
            self.apply_call(call_id, calls.WrapUpDone(disposition.code))
        agent = self.agents.get(user_id)
        if agent is not None and agent.state is AgentState.PAUSED and agent.pause_reason == TRANSFER_PAUSE:
            self.apply_agent(user_id, agents_mod.Resume())
        else:
            self._publish_agent(user_id)

    # --- campaign control and preview/manual dialling (dialer.control) --------------------------------
    def _control(self) -> Any:
        if self.control is None:
            raise EngineError("campaign control is not running in this process")
        return self.control

    async def campaign_start(self, campaign_id: int) -> None:
        await self._control().campaign_start(campaign_id)

    async def campaign_pause(self, campaign_id: int) -> None:
        await self._control().campaign_pause(campaign_id)

    async def campaign_stop(self, campaign_id: int) -> None:
        await self._control().campaign_stop(campaign_id)

    async def preview_next(self, user_id: int) -> dict[str, Any] | None:
        return await self._control().preview_next(user_id)  # type: ignore[no-any-return]

    async def preview_dial(self, user_id: int, lead_id: int) -> str:
        return await self._control().preview_dial(user_id, lead_id)  # type: ignore[no-any-return]

    async def preview_skip(self, user_id: int, lead_id: int) -> None:
        await self._control().preview_skip(user_id, lead_id)

    async def manual_dial(self, user_id: int, lead_id: int) -> str:
        return await self._control().manual_dial(user_id, lead_id)  # type: ignore[no-any-return]

    async def manual_dial_number(self, user_id: int, number: str) -> str:
        """Dial a number the agent typed (``dialer.control.CampaignControl.manual_dial_number``)."""
        return await self._control().manual_dial_number(user_id, number)  # type: ignore[no-any-return]

    def agent_state(self, user_id: int) -> dict[str, Any]:
        """The panel's view of the agent. Its ``phone_notice`` (an ``admin_ui.i18n`` key the panel shows) is
        ``phone_unreachable`` when the phone leg's Originate failed and the agent was signed out, unless the
        leg keeper has something newer to say about that phone."""
        view = self.board.agent_view(user_id)
        consult = self.consults.get(user_id)
        if consult is not None:     # the sender's warm transfer or 3-way under way
            view["consult"] = {"to_agent_id": consult["to_agent_id"], "to_name": consult["to_name"],
                               "stage": consult["stage"]}
        notice = self.agent_notices.get(user_id)
        if notice is not None and not view.get("phone_notice"):
            view["phone_notice"] = notice
        view.update(self.supervision.panel_view(user_id))   # monitored (where its campaign says so), a lead's message
        return view

    async def subscribe_agent(self, user_id: int) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)
        self._agent_queues.setdefault(user_id, []).append(queue)
        try:
            yield self.agent_state(user_id)
            while True:
                yield await queue.get()
        finally:
            self._agent_queues[user_id].remove(queue)

    def _publish_agent(self, user_id: int) -> None:
        queues = self._agent_queues.get(user_id)
        if not queues:
            return
        view = self.agent_state(user_id)
        for queue in queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(view)

    async def recording_pause(self, user_id: int, paused: bool) -> dict[str, Any]:
        """The agent pauses (or resumes) its call's recording for a card payment (``dialer.recordings_desk``)."""
        return await self.recordings.pause(user_id, paused)

    def live_state(self) -> dict[str, Any]:
        return self.board.snapshot()

    async def subscribe_live(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield self.live_state()
            await self.clock.sleep(1.0)


def _e164(raw: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise EngineError(f"{raw!r} is not a phone number in international form (+33..., +1...): {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise EngineError(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _milestone(before: Call, after: Call) -> bool:
    """Whether ``after`` reached a milestone its record must show at once: answered, known to be a person,
    put through to its agent (a restart then knows the customer went to that agent even when the conversation
    ended before it looked; ``apply_call`` orders the write around the Redirect) or back from it, connected with
    its agent."""
    return ((after.answered_at is not None and before.answered_at is None)
            or (after.ready_at is not None and before.ready_at is None)
            or (after.state is CallState.CONNECTING) != (before.state is CallState.CONNECTING)
            or (after.connected_at is not None and before.connected_at is None))


def _agent_of_conference(conference: str) -> int | None:
    prefix = conference_name("")
    if conference.startswith(prefix):
        try:
            return int(conference[len(prefix):])
        except ValueError:
            return None
    return None
