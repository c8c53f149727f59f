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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from campaigns import repository as campaigns_repo
from campaigns.errors import NotFound
from dialer import call_records, db, takeover
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.calls import CallOutcome
from dialer.control import CampaignControl
from dialer.engine import Engine
from dialer.lead_store import PgLeadStore
from dialer.pbx_port import PbxError
from dialer.recovery import OrphanVerdict, recover_after_crash
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
                     takeover_every_s: float = 30.0) -> AsyncIterator[DialerSystem]:
    """Start the engine on ``services`` under its engine id's lock; stops everything on exit."""
    engine_id = engine_id or default_engine_id()
    async with takeover.holding_engine_lock(services.pool, engine_id):
        async with _start_system(services, sim_config=sim_config, engine_id=engine_id, tick_s=tick_s,
                                 sim_lines=sim_lines, takeover_every_s=takeover_every_s) as system:
            yield system


@asynccontextmanager
async def _start_system(services: Services, *, sim_config: PbxConfig | None, engine_id: str, tick_s: float,
                        sim_lines: int, takeover_every_s: float) -> AsyncIterator[DialerSystem]:
    settings = services.settings
    clock = services.clock
    sim: SimulatedPbx | None = None
    if settings.ami_servers:
        configs = [AmiServerConfig(name=s.name, host=s.host, port=s.port, username=s.username, secret=s.secret,
                                   max_channels=s.max_channels) for s in settings.ami_servers]
    else:
        sim = SimulatedPbx(sim_config or PbxConfig(speed=settings.speed))
        await sim.start(host="127.0.0.1", port=0)
        configs = [AmiServerConfig(name="simulated-pbx", host="127.0.0.1", port=sim.port,
                                   username=sim.config.username, secret=sim.config.secret, max_channels=sim_lines)]
    adapter = AmiAdapter(configs, clock=clock)
    await adapter.start()
    engine = Engine(pool=services.pool, pbx=adapter, clock=clock, engine_id=engine_id)
    database_url = services.extras.get("database_url")
    dnc = DncChecker(clock=clock)
    async with services.pool.acquire() as conn:
        await dnc.reload(conn)
    leads = PgLeadStore(services.pool, engine_id=engine_id)
    control = CampaignControl(engine, leads=leads, dnc=dnc, lines=sum(c.max_channels for c in configs),
                              tick_s=tick_s)
    engine.control = control
    system = DialerSystem(engine=engine, control=control, adapter=adapter, dnc=dnc, sim=sim)
    control_task: asyncio.Task[Any] | None = None
    try:
        await recover(system, engine_id=engine_id)
        if database_url:
            system.tasks.append(engine.spawn(dnc.run(lambda: db.connect(database_url)), name="dnc-checker"))
        system.tasks.append(engine.spawn(engine.consume_pbx_events(), name="pbx-events"))
        control_task = engine.spawn(control.run(), name="campaign-control")
        system.tasks.append(control_task)
        system.tasks.append(engine.spawn(watch_other_engines(system, every_s=takeover_every_s), name="engine-watch"))
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
        await engine.close()
        await adapter.close()
        if sim is not None:
            await sim.stop()


async def watch_other_engines(system: DialerSystem, *, every_s: float) -> None:
    """Every ``every_s`` (on the engine's clock), recover the work of engines that died for good."""
    engine = system.engine
    while True:
        await engine.clock.sleep(every_s)
        try:
            for other in await takeover.engines_with_work(engine.pool, besides=engine.engine_id):
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
    """After a crash of ``engine_id`` (this engine before its restart, or another that died): close its
    in-flight attempts against the PBX, settle or return its claimed leads, sign its agents out."""
    engine = system.engine
    leads = PgLeadStore(engine.pool, engine_id=engine_id)
    campaigns: dict[int, Any] = {}

    async def finish_lead(record: dict[str, Any], verdict: OrphanVerdict) -> None:
        if record.get("lead_id") is None or record.get("campaign_id") is None:
            return
        cid = int(record["campaign_id"])
        if cid not in campaigns:
            try:
                campaigns[cid] = await campaigns_repo.get_campaign(engine.pool, campaign_id=cid)  # type: ignore[arg-type]
            except NotFound:
                campaigns[cid] = None
        if campaigns[cid] is None:
            return
        await leads.settle_outcome(lead_id=int(record["lead_id"]), campaign=campaigns[cid], outcome=verdict.outcome,
                                   disposition_code=record.get("disposition") or "engine_restart", callback=None,
                                   agent_id=None, at=engine.clock.now(), call_id=int(record["id"]))

    await recover_after_crash(pool=engine.pool, pbx=engine.pbx, clock=engine.clock, engine_id=engine_id,
                              finish_lead=finish_lead)
    # attempts whose record was closed but whose lead the crash caught before its next step: settle them
    # from the record (a lead handed back as new would be dialled a second time)
    settled = 0
    for record in await call_records.unsettled(engine.pool, engine_id=engine_id):
        await finish_lead(dict(record), OrphanVerdict(int(record["id"]), CallOutcome(record["outcome"]),
                                                      "settled from its record after a restart"))
        settled += 1
    if settled:
        log.warning("settled %s leads from attempts that ended just before the restart", settled)
    released = 0
    async with engine.pool.acquire() as conn:
        for campaign in await campaigns_repo.list_campaigns(conn):
            released += await campaigns_repo.release_leads(conn, campaign_id=campaign.id, engine_id=engine_id)
    if released:
        log.warning("returned %s leads claimed before the restart to the hopper", released)
