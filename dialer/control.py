"""Campaign control: a runner for every running campaign, start/pause/stop, preview and manual dialling.

``CampaignControl.sync()`` (every few seconds, and at once after a state change) starts a runner for
each campaign in state ``running`` and stops the runners of the others, returning their hopper's leads.
Several engine processes split campaigns with PostgreSQL advisory locks: a runner runs only where
its lock was taken.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from campaigns import repository as campaigns_repo
from campaigns.errors import NotFound
from campaigns.model import Campaign, CampaignState, Lead, LeadStatus
from dialer import sites
from dialer.calls import Call
from dialer.engine import Engine
from dialer.engine_api import EngineError
from dialer.lead_store import PgLeadStore
from dialer.runner import CampaignRunner, DncLookup, dial_time_check, save_health_pause, view_of
from dialer.sound_check import check_sound

log = logging.getLogger(__name__)
LOCK_SPACE = 7201100          # advisory lock key = LOCK_SPACE * 2**20 + campaign id
SKIP_DELAY = timedelta(hours=1)   # a lead skipped in preview comes back this much later


class CampaignControl:
    def __init__(self, engine: Engine, *, leads: PgLeadStore, dnc: DncLookup | None, lines: int | None = None,
                 tick_s: float = 1.0, sync_s: float = 2.0) -> None:
        self.engine = engine
        self.leads = leads
        self.dnc = dnc
        self.lines = lines
        self.tick_s = tick_s
        self.sync_s = sync_s
        self.runners: dict[int, tuple[CampaignRunner, asyncio.Task[None]]] = {}
        # calls whose lead no runner will settle: going on when their campaign's runner stopped (a pause: the runner
        # hands them over as it ends), or adopted after a restart; their lead stays claimed
        # (repository.NO_CALL_GOING_ON) and is settled here
        self.runnerless: set[int] = set()
        engine.outcome_listeners.append(self.settle_runnerless)
        self._lock_conn: Any = None
        self._sync_lock = asyncio.Lock()

    async def run(self) -> None:
        """Keep runners in line with campaign states until cancelled."""
        self._lock_conn = await self.engine.pool.acquire()
        try:
            for row in await self.engine.pool.fetch(   # the wallboard keeps showing why campaigns paused themselves
                    "SELECT id, name, health_pause FROM campaigns WHERE state = 'paused'"
                    " AND health_pause IS NOT NULL"):
                self.engine.board.health_pauses[row["id"]] = {"name": row["name"], **row["health_pause"]}
            while True:
                await self.sync()
                await self.engine.clock.sleep(self.sync_s)
        finally:
            try:
                await self.stop_all()
            finally:
                conn, self._lock_conn = self._lock_conn, None
                await self.engine.pool.release(conn)

    async def sync(self) -> None:
        async with self._sync_lock:
            running = {c.id: c for c in await campaigns_repo.list_campaigns(self.engine.pool)  # type: ignore[arg-type]
                       if c.state is CampaignState.RUNNING}
            if self.engine.site_id is not None:     # a site's engine runs that site's campaigns only (dialer.sites)
                mine = await sites.campaign_ids(self.engine.pool, [self.engine.site_id])
                running = {cid: c for cid, c in running.items() if cid in mine}
            for campaign_id in list(self.runners):
                if campaign_id not in running:
                    await self._stop_runner(campaign_id)
            for campaign_id, campaign in running.items():
                if campaign_id in self.runners:
                    runner, _ = self.runners[campaign_id]
                    if campaign != runner.campaign:
                        runner.set_campaign(campaign)
                elif await self._lock(campaign_id):
                    self._start_runner(campaign)

    async def _lock(self, campaign_id: int) -> bool:
        return bool(await self._lock_conn.fetchval("SELECT pg_try_advisory_lock($1)",
                                                   LOCK_SPACE * 2**20 + campaign_id))

    def _start_runner(self, campaign: Campaign) -> None:
        runner = CampaignRunner(self.engine, campaign, leads=self.leads, dnc=self.dnc, lines=self.lines,
                                tick_s=self.tick_s)
        task = self.engine.spawn(runner.run(), name=f"runner-{campaign.id}")
        self.runners[campaign.id] = (runner, task)
        log.info("campaign %s (%s) started on engine %s", campaign.id, campaign.name, self.engine.engine_id)

    async def _stop_runner(self, campaign_id: int) -> None:
        if campaign_id not in self.runners:
            return          # stopped meanwhile by another path (a sync, or the shutdown)
        runner, task = self.runners.pop(campaign_id)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        self.engine.campaigns.pop(campaign_id, None)
        if self._lock_conn is not None:
            await self._lock_conn.execute("SELECT pg_advisory_unlock($1)", LOCK_SPACE * 2**20 + campaign_id)
        log.info("campaign %s stopped dialling", campaign_id)

    async def stop_all(self) -> None:
        for campaign_id in list(self.runners):
            await self._stop_runner(campaign_id)

    async def settle_runnerless(self, call: Call) -> None:
        """A call in ``runnerless`` ended: its lead gets its next step here (a runner that meanwhile dials its
        campaign again finds it settled already: the record's ``lead_settled``)."""
        if call.call_id not in self.runnerless:
            return
        self.runnerless.discard(call.call_id)
        if call.lead_id is None or call.inbound:    # an inbound call's lead (a queue transfer's) is not the queue's
            return
        try:
            campaign = await campaigns_repo.get_campaign(self.engine.pool, campaign_id=call.pool.id)  # type: ignore[arg-type]
        except NotFound:
            return
        context = self.engine.call_context.get(call.call_id, {})
        await self.leads.settle(call, campaign=campaign, callback=context.get("callback"),
                                agent_id=context.get("disposed_by"), at=self.engine.clock.now())

    # --- EngineApi: campaigns ------------------------------------------------------------------------
    async def _set_state(self, campaign_id: int, target: CampaignState) -> None:
        from campaigns.errors import CampaignError

        async with self.engine.pool.acquire() as conn:
            try:
                await campaigns_repo.set_campaign_state(conn, campaign_id=campaign_id, target=target)
            except CampaignError as exc:
                raise EngineError(str(exc)) from None
        if target is not CampaignState.PAUSED:     # started or stopped: why it paused itself is history
            self.engine.board.health_pauses.pop(campaign_id, None)
        await self.sync()

    async def campaign_start(self, campaign_id: int) -> None:
        """Start (or resume) a campaign; refused when a connected PBX lacks its safe-harbor message. With no
        PBX connected it starts, and its runner holds it (and says why) until a PBX has the sound."""
        try:
            campaign = await campaigns_repo.get_campaign(self.engine.pool, campaign_id=campaign_id)  # type: ignore[arg-type]
        except NotFound:
            raise EngineError(f"there is no campaign {campaign_id}") from None
        check = await check_sound(self.engine.pbx, campaign.safe_harbor_sound)
        if check.problem:
            raise EngineError(f"campaign not started: {check.problem}")
        # started again by a person: the reason it paused itself (if it did) is history
        await save_health_pause(self.engine.pool, campaign_id=campaign_id, pause=None, at=self.engine.clock.now())
        await self._set_state(campaign_id, CampaignState.RUNNING)

    def hold_of(self, campaign_id: int) -> str:
        """Why the runner of a running campaign places no call now ("" when it dials or runs elsewhere)."""
        entry = self.runners.get(campaign_id)
        return entry[0].hold if entry is not None else ""

    async def campaign_pause(self, campaign_id: int) -> None:
        await self._set_state(campaign_id, CampaignState.PAUSED)

    async def campaign_stop(self, campaign_id: int) -> None:
        await self._set_state(campaign_id, CampaignState.FINISHED)

    # --- EngineApi: preview and manual dialling ------------------------------------------------------
    async def _campaign_of_agent(self, user_id: int) -> Campaign:
        campaign_id = self.engine.agent_campaign.get(user_id)
        if campaign_id is None:
            raise EngineError("you are not signed in to a campaign")
        try:
            return await campaigns_repo.get_campaign(self.engine.pool, campaign_id=campaign_id)  # type: ignore[arg-type]
        except NotFound:
            raise EngineError("your campaign no longer exists") from None

    async def preview_next(self, user_id: int) -> dict[str, Any] | None:
        campaign = await self._campaign_of_agent(user_id)
        claimed = await self.leads.claim(campaign_id=campaign.id, limit=1, now=self.engine.clock.now())
        if not claimed:
            return None
        lead = claimed[0]
        return {"lead_id": lead.id, "phone": lead.phone_e164, "first_name": lead.first_name,
                "last_name": lead.last_name, "fields": dict(lead.fields), "attempts": lead.attempts}

    async def preview_dial(self, user_id: int, lead_id: int) -> str:
        return await self._dial_lead(user_id, lead_id, direction="preview")

    async def preview_skip(self, user_id: int, lead_id: int) -> None:
        """Put a previewed lead back, not to be offered again for ``SKIP_DELAY`` (no attempt is counted)."""
        await self._campaign_of_agent(user_id)
        async with self.engine.pool.acquire() as conn:
            await campaigns_repo.defer_lead(conn, lead_id=lead_id, next_attempt_at=self.engine.clock.now() + SKIP_DELAY)

    async def manual_dial(self, user_id: int, lead_id: int) -> str:
        return await self._dial_lead(user_id, lead_id, direction="manual")

    async def manual_dial_number(self, user_id: int, typed: str) -> str:
        """Dial a number the agent typed, read in the campaign's default region (``0612345678`` in France).

        The same dial-time check as any call (DNC, the callee's calling window in every zone of the number,
        attempts and abandon cool-down when it is a lead's): a lead of the campaign with that number is the
        one checked and goes on the call record (direction ``manual``); another number is checked in the zones
        of its number. A typo is refused naming what is wrong; a refusal names the rule.
        """
        campaign = await self._campaign_of_agent(user_id)
        self._agent_free(user_id)
        number = typed_number(typed, campaign.default_region)
        lead_id = await self.engine.pool.fetchval(
            "SELECT id FROM leads WHERE campaign_id = $1 AND phone_e164 = $2 ORDER BY id LIMIT 1", campaign.id, number)
        if lead_id is not None:
            lead = await campaigns_repo.get_lead(self.engine.pool, lead_id=lead_id)  # type: ignore[arg-type]
        else:
            lead = Lead(id=0, campaign_id=campaign.id, phone_e164=number, timezones=number_zones(number))
        return await self._place(user_id, campaign, lead, direction="manual", typed=True)

    def _agent_free(self, user_id: int) -> Any:
        from dialer.agents import AgentState

        agent = self.engine.agents.get(user_id)
        if agent is None or agent.state not in (AgentState.READY, AgentState.PAUSED):
            raise EngineError("you can dial only when ready or paused, with no call")
        return agent

    async def _dial_lead(self, user_id: int, lead_id: int, *, direction: str) -> str:
        campaign = await self._campaign_of_agent(user_id)
        self._agent_free(user_id)
        try:
            lead = await campaigns_repo.get_lead(self.engine.pool, lead_id=lead_id)  # type: ignore[arg-type]
        except NotFound:
            lead = None
        if lead is None or lead.campaign_id != campaign.id:
            raise EngineError("this lead is not in your campaign")
        return await self._place(user_id, campaign, lead, direction=direction)

    async def _place(self, user_id: int, campaign: Campaign, lead: Lead, *, direction: str,
                     typed: bool = False) -> str:
        from dialer import agents as agents_mod
        from dialer.agents import AgentState

        checked = lead
        if typed and lead.status is not LeadStatus.DNC:
            # a typed number is the agent's choice even when its lead is done or its retry not yet due: those
            # scheduling rules step aside, the compliance ones (DNC, window, attempts, cool-down) do not
            checked = replace(lead, status=LeadStatus.NEW, next_attempt_at=None)
        # a person dials on purpose: a paused campaign does not stop it, its windows still do
        verdict = dial_time_check(checked, campaign, now=self.engine.clock.now(), dnc=self.dnc, ignore_state=True)
        if not verdict.ok:
            raise EngineError(f"not allowed to dial this number now ({verdict.reason.value}): "
                              f"{verdict.detail or verdict.reason.value}")
        agent = self._agent_free(user_id)
        # the agent is reserved for this call before it is placed, so the router gives it nobody else
        if agent.state is AgentState.PAUSED:
            self.engine.apply_agent(user_id, agents_mod.Resume())
        call_id = await self.engine.dial(view_of(campaign), number_e164=lead.phone_e164, lead_id=lead.id or None,
                                         direction=direction, agent_id=user_id)
        self.engine.reserved_for[call_id] = user_id
        self.engine.apply_agent(user_id, agents_mod.Reserve(call_id))
        return str(call_id)


def typed_number(typed: str, region: str | None) -> str:
    """The E.164 form of a number an agent typed (national form read in ``region``); a typo is refused."""
    from dnc.errors import InvalidNumber
    from dnc.numbers import normalise

    try:
        return normalise(typed, default_region=region or None)
    except InvalidNumber as exc:
        raise EngineError(f"the number '{typed.strip()}' cannot be dialled: {exc.reason}") from None


def number_zones(e164: str) -> tuple[str, ...]:
    """The time zones of a number's range (none known: the campaign's zone applies)."""
    import phonenumbers
    from phonenumbers import timezone as number_timezone

    found = number_timezone.time_zones_for_number(phonenumbers.parse(e164, None))
    return tuple(z for z in found if z != number_timezone.UNKNOWN_TIMEZONE)
