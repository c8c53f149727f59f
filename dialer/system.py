"""The running dialer: PBX link (Asterisk, or the in-process simulated PBX), DNC checker, engine, runners.

``run_system(services)`` is the composition root of the engine: it connects to the configured Asterisk
servers over AMI (or starts ``simulations.pbx`` when none is configured), loads the DNC lists, recovers
from a crash (in-flight attempts and claimed leads), and starts the campaign runners. The engine is
then reachable as ``services.extras["engine"]`` for the web layer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg

from campaigns import repository as campaigns_repo
from campaigns.errors import NotFound
from dialer import call_records, db, lead_store, recovery_inbound, sites, takeover
from dialer.agents import AgentState
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.calls import CallOutcome
from dialer.control import CampaignControl
from dialer.engine import Engine
from dialer.lead_store import PgLeadStore
from dialer.pbx_port import LegKind, LiveChannel, PbxError
from dialer.recordings_desk import recordings_folder
from dialer.recordings_retention import run as run_recording_retention
from dialer.recovery import (
    Adoption,
    CannotRecover,
    OrphanVerdict,
    adopted_agent,
    adopted_call,
    has_work,
    recover_after_crash,
)
from dialer.services import Services
from dnc.checker import DncChecker
from simulations.pbx import PbxConfig, SimulatedPbx

log = logging.getLogger(__name__)


@dataclass
class DialerSystem:
    engine: Engine
    control: CampaignControl
    adapter: AmiAdapter
    dnc: DncChecker
    sim: SimulatedPbx | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def health(self) -> str:
        stats = self.adapter.statistics()
        up = [s.name for s in stats if s.up]
        down = [s.name for s in stats if not s.up]
        label = " (simulated)" if self.sim is not None else ""
        if not down:
            return f"ok{label}: {', '.join(up)}"
        return f"down{label}: {', '.join(down)}" + (f"; up: {', '.join(up)}" if up else "")


def default_engine_id() -> str:
    return os.environ.get("DIALER_ENGINE_ID") or f"{socket.gethostname()}"


@asynccontextmanager
async def run_system(services: Services, *, sim_config: PbxConfig | None = None, engine_id: str | None = None,
                     tick_s: float = 1.0, sim_lines: int = 500,
                     takeover_every_s: float = 30.0, site: str | None = None) -> AsyncIterator[DialerSystem]:
    """Start the engine on ``services`` under its engine id's lock; stops everything on exit. ``site`` (else
    ``settings.site``): the site it works for (``dialer.sites``)."""
    engine_id = engine_id or default_engine_id()
    async with takeover.holding_engine_lock(services.pool, engine_id):
        async with _start_system(services, sim_config=sim_config, engine_id=engine_id, tick_s=tick_s,
                                 sim_lines=sim_lines, takeover_every_s=takeover_every_s,
                                 site=site or services.settings.site) as system:
            yield system


@asynccontextmanager
async def _start_system(services: Services, *, sim_config: PbxConfig | None, engine_id: str, tick_s: float,
                        sim_lines: int, takeover_every_s: float, site: str | None = None) -> AsyncIterator[DialerSystem]:
    settings = services.settings
    own_site = await sites.site_named(services.pool, site) if site else None   # an unknown site is refused
    clock = services.clock
    sim: SimulatedPbx | None = None
    if settings.ami_servers:
        configs = [AmiServerConfig(name=s.name, host=s.host, port=s.port, username=s.username, secret=s.secret,
                                   max_channels=s.max_channels) for s in settings.ami_servers]
    else:
        sim_config = sim_config or PbxConfig(speed=settings.speed)
        if sim_config.recordings_dir is None:   # the simulated Asterisk writes recordings where this process reads
            sim_config = replace(sim_config, recordings_dir=recordings_folder(settings))
        sim = SimulatedPbx(sim_config)
        await sim.start(host="127.0.0.1", port=0)
        configs = [AmiServerConfig(name="simulated-pbx", host="127.0.0.1", port=sim.port,
                                   username=sim.config.username, secret=sim.config.secret, max_channels=sim_lines)]
    adapter = AmiAdapter(configs, clock=clock)
    await adapter.start()
    engine = Engine(pool=services.pool, pbx=adapter, clock=clock, engine_id=engine_id)
    engine.agent_phone_template = settings.agent_phone_template
    engine.panels.grace_s = settings.panel_grace_s
    engine.recordings.files_dir = recordings_folder(settings)
    engine.recordings.rng.seed(sim.config.seed if sim is not None else None)   # a simulation's shares: reproducible
    engine.recordings.pbx_dir = settings.recordings_pbx_dir
    engine.site_id = own_site.id if own_site is not None else None
    site_watch = sites.SiteWatch(engine, own_site=own_site,
                                 sites=[own_site] if own_site is not None else await sites.list_sites(services.pool))
    database_url = services.extras.get("database_url")
    # a stale DNC snapshot means a lost database link, a wall-clock matter: on an accelerated clock (simulations,
    # tests at 10-50x) the 10 s allowed stay 10 real seconds, not a tenth of a second a loaded machine can miss
    dnc = DncChecker(clock=clock, max_stale_s=10.0 * max(1.0, getattr(clock, "speed", 1.0)))
    async with services.pool.acquire() as conn:
        await dnc.reload(conn)
    leads = PgLeadStore(services.pool, engine_id=engine_id)
    control = CampaignControl(engine, leads=leads, dnc=dnc, lines=sum(c.max_channels for c in configs),
                              tick_s=tick_s)
    engine.control = control
    system = DialerSystem(engine=engine, control=control, adapter=adapter, dnc=dnc, sim=sim)
    control_task: asyncio.Task[Any] | None = None
    try:
        # work left by a crash is judged against every server's channel list: give the servers time to answer
        if await has_work(services.pool, engine_id=engine_id) and (down := await adapter.wait_up(settings.pbx_wait_s)):
            log.warning("PBX server(s) %s not connected after %.0f s", ", ".join(down), settings.pbx_wait_s)
        try:
            await recover(system, engine_id=engine_id)
        except CannotRecover as exc:
            log.error("engine %r not started: %s", engine_id, exc)
            raise
        await recovery_inbound.adopt_strays(engine)   # callers who came while no engine ran hold in dialer-inbound
        await engine.inbound.load_rules()   # inbound queues' routing rules (again on each inbound caller)
        if database_url:
            system.tasks.append(engine.spawn(dnc.run(lambda: db.connect(database_url)), name="dnc-checker"))
        system.tasks.append(engine.spawn(engine.consume_pbx_events(), name="pbx-events"))
        system.tasks.append(engine.spawn(recovery_inbound.look_again(engine), name="inbound-strays-again"))
        await site_watch.look()          # the site's heartbeat, and its campaigns resumed if its PBX is back
        system.tasks.append(engine.spawn(site_watch.run(), name="site-watch"))
        control_task = engine.spawn(control.run(), name="campaign-control")
        system.tasks.append(control_task)
        system.tasks.append(engine.spawn(watch_other_engines(system, every_s=takeover_every_s), name="engine-watch"))
        system.tasks.append(engine.spawn(run_recording_retention(
            services.pool, clock=clock, folder=recordings_folder(settings),
            global_days=settings.recording_retention_days), name="recording-retention"))
        services.extras["engine"] = engine
        services.extras["system"] = system
        services.extras["pbx_health"] = system.health
        yield system
    finally:
        services.extras.pop("engine", None)
        services.extras.pop("pbx_health", None)
        await engine.drain()   # outcomes in progress reach their records and leads before runners stop
        if control_task is not None:
            # the control loop stops its runners and gives back its connection itself; cancelling it first
            # keeps a last sync from running beside the shutdown on the same connection
            control_task.cancel()
            await asyncio.gather(control_task, return_exceptions=True)
        await sign_out_idle_agents(engine)
        await engine.close()
        await adapter.close()
        if sim is not None:
            await sim.stop()


async def sign_out_idle_agents(engine: Engine, *, timeout_s: float = 5.0) -> None:
    """A planned stop: agents waiting for a call are signed out and their phones hung up, so no phone sits in
    a conference that nobody will ever fill; so are the phones of agents in wrap-up (their customer is gone,
    and no engine will take their disposition). Agents with a customer keep the call (the conversation goes
    on in the PBX; the next engine adopts it)."""
    idle = [a.agent_id for a in engine.agents.values()
            if a.state in (AgentState.READY, AgentState.PAUSED, AgentState.CONNECTING)]
    wrapping = [a.leg_id for a in engine.agents.values() if a.state is AgentState.WRAP_UP and a.leg_id]
    for agent_id in idle:
        try:
            await engine.agent_logout(int(agent_id))
        except (OSError, asyncpg.PostgresError, PbxError) as exc:
            log.warning("could not sign out agent %s at shutdown: %s", agent_id, exc)
    for leg_id in wrapping:
        try:
            await engine.pbx.hangup(leg_id)
        except PbxError as exc:
            log.warning("could not hang up the phone of an agent in wrap-up at shutdown: %s", exc)
    if idle or wrapping:
        log.info("signed out %d idle agents and hung up %d phones in wrap-up at shutdown", len(idle), len(wrapping))
        await engine.drain(timeout_s=timeout_s)


async def watch_other_engines(system: DialerSystem, *, every_s: float) -> None:
    """Every ``every_s`` (on the engine's clock), recover the work of engines that died for good."""
    engine = system.engine
    while True:
        await engine.clock.sleep(every_s)
        try:
            elsewhere: set[str] = set()   # a site engine never recovers another site's engine (another PBX)
            if engine.site_id is not None:
                elsewhere = await sites.other_sites_engines(engine.pool, site_ids=[engine.site_id])
            for other in await takeover.engines_with_work(engine.pool, besides=engine.engine_id):
                if other in elsewhere:
                    continue
                async with engine.pool.acquire() as conn:
                    if not await takeover.try_lock(conn, other):
                        continue          # alive
                    try:
                        log.warning("engine %r is gone; recovering its leads, calls and agents", other)
                        await recover(system, engine_id=other)
                    finally:
                        await takeover.unlock(conn, other)
        except (OSError, asyncpg.PostgresError, PbxError) as exc:
            log.warning("could not look after other engines' work this time: %s", exc)


async def recover(system: DialerSystem, *, engine_id: str) -> None:
    """After a crash of ``engine_id`` (this engine before its restart, or another that died): settle its
    in-flight attempts against the PBX, adopt its conversations still going on, settle or return its
    claimed leads, sign out its agents that keep no call."""
    engine = system.engine
    leads = PgLeadStore(engine.pool, engine_id=engine_id)
    campaigns: dict[int, Any] = {}

    async def campaign(cid: int) -> Any:
        if cid not in campaigns:
            try:
                campaigns[cid] = await campaigns_repo.get_campaign(engine.pool, campaign_id=cid)  # type: ignore[arg-type]
            except NotFound:
                campaigns[cid] = None
        return campaigns[cid]

    async def finish_lead(record: dict[str, Any], verdict: OrphanVerdict) -> None:
        if record.get("lead_id") is None or record.get("campaign_id") is None or verdict.outcome is None:
            return
        found = await campaign(int(record["campaign_id"]))
        if found is None:
            return
        # a handled call settled here had no disposition: the lead gets what such a call gets
        await leads.settle_outcome(lead_id=int(record["lead_id"]), campaign=found, outcome=verdict.outcome,
                                   disposition_code=record.get("disposition"), callback=None,
                                   agent_id=verdict.agent_id, at=engine.clock.now(), call_id=int(record["id"]))

    async def adopt(adoption: Adoption) -> None:
        record = adoption.record
        now = engine.clock.monotonic()
        call = recovery_inbound.inbound_call(adopted_call(record, adoption.agent_id, engine.wall, now), record)
        if not call.inbound and adoption.customer.leg_id and adoption.customer.leg_id != call.leg_id:
            call = replace(call, leg_id=adoption.customer.leg_id)   # a survey's press 0: "<leg>~<call>" on its record
        agent = adopted_agent(call, adoption.agent_id, leg_id=str(adoption.agent_leg.leg_id),
                              campaign_id=adoption.campaign_id, now=now)
        found = await campaign(adoption.campaign_id)
        context = {"campaign_id": record.get("campaign_id"), "lead_id": record.get("lead_id"),
                   "number": record.get("phone_e164"), "direction": record.get("direction"),
                   "record": bool(found.record_calls) if found is not None else False}
        if call.inbound:      # an inbound caller talking with its agent: its queue's call, dispositions and wait
            context = await recovery_inbound.conversation_context(engine.pool, record)
        # the PBX follows the legs and the engine knows the call in one step, with no await between: a hang-up
        # translated in between found no call and was dropped (one heard before is the reconcile's, below)
        if call.inbound:   # a caller's channel is followed by its Uniqueid, under its record's leg id
            engine.pbx.adopt(replace(adoption.customer, leg_id=str(record["leg_id"])), LegKind.INBOUND)  # type: ignore[attr-defined]
        else:
            engine.pbx.adopt(adoption.customer, LegKind.CUSTOMER)  # type: ignore[attr-defined]
        engine.pbx.adopt(adoption.agent_leg, LegKind.AGENT)  # type: ignore[attr-defined]
        engine.adopt(call, agent, campaign_id=adoption.campaign_id, context=context)
        system.control.runnerless.add(call.call_id)      # its lead is settled when it ends
        await call_records.adopt(engine.pool, call_id=call.call_id, engine_id=engine.engine_id)
        await engine.pool.execute("UPDATE agent_sessions SET engine_id = $2 WHERE user_id = $1",
                                  adoption.agent_id, engine.engine_id)
        if call.lead_id is not None:
            await lead_store.keep_claim(engine.pool, lead_id=call.lead_id, engine_id=engine.engine_id)
        log.warning("adopted call %s: agent %s is still talking with the customer", call.call_id,
                    adoption.agent_id)

    async def adopt_inbound(record: Mapping[str, Any], channel: LiveChannel) -> None:
        await recovery_inbound.adopt_holding(engine, record, channel)

    report, verdicts = await recover_after_crash(pool=engine.pool, pbx=engine.pbx, clock=engine.clock,
                                                 engine_id=engine_id, finish_lead=finish_lead, adopt=adopt,
                                                 adopt_inbound=adopt_inbound)
    if waits := await recovery_inbound.fill_waits(engine.pool, engine_id=engine_id):
        log.warning("gave %s inbound records closed just before the restart their wait", waits)
    # attempts whose record was closed but whose lead the crash caught before its next step: settle them
    # from the record (a lead handed back as new would be dialled a second time)
    settled = 0
    for record in await call_records.unsettled(engine.pool, engine_id=engine_id):
        await finish_lead(dict(record), OrphanVerdict(int(record["id"]), CallOutcome(record["outcome"]),
                                                      "settled from its record after a restart",
                                                      agent_id=record["agent_id"]))
        settled += 1
    if settled:
        log.warning("settled %s leads from attempts that ended just before the restart", settled)
    # the dead engine's claims go back, but those of calls still going on (adopted: recovery closed the others)
    released = await campaigns_repo.release_leads(engine.pool, campaign_id=None, engine_id=engine_id)  # type: ignore[arg-type]
    if released:
        log.warning("returned %s leads claimed before the restart to the hopper", released)
    await engine.inbound.callbacks.restore(from_engine=engine_id)   # callers who pressed 1 keep their places
    await engine.surveys.recover()     # surveys the crash cut: resumed if the customer is still in one, else closed
    if report.adopted:
        await engine.reconcile_links()   # a conversation that ended while being adopted is settled now
