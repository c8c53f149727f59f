"""Several sites on one database: named call centres, each with its own Asterisk servers and engine processes.

A site (migration ``dialer/0390``: ``sites``) is named; campaigns, inbound queues and users carry its id
(``site_id``; a user with none, an admin, a manager or a compliance officer, sees every site). An engine
started with ``DIALER_SITE=<name>`` (``dialer serve --site``) works for that site alone: it runs only that
site's campaigns, through that site's PBX servers (its own ``DIALER_AMI_SERVERS``), and recovers only the
work of dead engines of that site. An engine without a site works for every site, as a single-site
installation always did.

Every engine writes a heartbeat per site it serves (``site_engines``: is its PBX reachable) every
``REPORT_S`` seconds. ``site_statuses`` (pure) reads those rows: a site is down when every engine that
reported recently says its PBX is unreachable, or when its engines stopped reporting; the wallboard shows it.

When the PBX of a site engine has been unreachable for ``DOWN_GRACE_S`` (``watch_step``, pure), the engine
pauses its site's running campaigns with the reason ``site_down`` (``campaigns.health_pause``, shown on the
campaign page and the wallboard); when the PBX is back it starts again exactly the campaigns paused for that
reason (a campaign a person paused or stopped meanwhile stays as it is). Other sites are untouched: their
engines, PBXs and campaigns are their own. An engine without a site only holds its campaigns while no PBX is
connected (``dialer.runner``'s guard), as before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from dialer.errors import DialerError
from dialer.pbx_health import pbx_health

log = logging.getLogger(__name__)

DEFAULT_SITE_ID = 1           # migration 0390: every row that existed before sites is in it
SITE_DOWN = "site_down"       # campaigns.health_pause code (admin_ui/i18n.py: health_site_down)
REPORT_S = 2.0                # an engine writes its heartbeat this often (its own clock)
DOWN_GRACE_S = 5.0            # a PBX unreachable this long pauses the site's campaigns (a reconnect does not)
STALE_S = 20.0                # a site whose engines have not reported for this long (database time) is down
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


class SiteError(DialerError):
    """A site could not be created or found; the message says why."""


@dataclass(frozen=True, slots=True)
class Site:
    id: int
    name: str
    zone: str = ""


# --- pure decisions ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Watch:
    """What a site engine remembers between two looks at its PBX."""

    down_since: float | None = None   # when the PBX was first seen unreachable (engine clock), None: reachable
    paused: bool = False              # this engine paused the site's campaigns for it


PAUSE = "pause"
RESUME = "resume"


def watch_step(watch: Watch, *, pbx_up: bool, now: float, grace_s: float = DOWN_GRACE_S) -> tuple[Watch, str]:
    """The next ``Watch`` and what to do now: ``PAUSE`` the site's running campaigns (its PBX unreachable
    for ``grace_s``), ``RESUME`` those paused for it (the PBX back), or ``""``. A resume is asked on every look
    while the PBX is up and after the engine started (a pause of a previous run of the engine is undone too);
    it touches only campaigns paused with ``SITE_DOWN``."""
    if pbx_up:
        return Watch(), RESUME
    since = watch.down_since if watch.down_since is not None else now
    if now - since >= grace_s:
        return Watch(down_since=since, paused=True), "" if watch.paused else PAUSE
    return Watch(down_since=since, paused=watch.paused), ""


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """One engine's last word on a site (a ``site_engines`` row), with its age in seconds."""

    site_id: int
    engine_id: str
    pbx_up: bool
    detail: str
    age_s: float


@dataclass(frozen=True, slots=True)
class SiteStatus:
    """``up`` (an engine reported recently and its PBX is reachable), ``down`` (every recent report says the
    PBX is unreachable: ``detail`` says which servers), ``silent`` (engines reported once but none for
    ``STALE_S``: they stopped) or ``unknown`` (no engine ever reported for the site)."""

    site: Site
    status: str
    detail: str = ""
    engines: tuple[str, ...] = ()

    @property
    def down(self) -> bool:
        return self.status in ("down", "silent")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.site.id, "name": self.site.name, "status": self.status, "down": self.down,
                "detail": self.detail, "engines": list(self.engines)}


def site_statuses(sites: Iterable[Site], beats: Iterable[Heartbeat], *, stale_s: float = STALE_S) -> list[SiteStatus]:
    """The status of each site from its engines' heartbeats (see ``SiteStatus``)."""
    by_site: dict[int, list[Heartbeat]] = {}
    for beat in beats:
        by_site.setdefault(beat.site_id, []).append(beat)
    out = []
    for site in sites:
        mine = by_site.get(site.id, [])
        fresh = [b for b in mine if b.age_s <= stale_s]
        if not mine:
            out.append(SiteStatus(site, "unknown"))
        elif not fresh:
            last = min(b.age_s for b in mine)
            out.append(SiteStatus(site, "silent", f"{int(last)} s", tuple(sorted(b.engine_id for b in mine))))
        elif any(b.pbx_up for b in fresh):
            out.append(SiteStatus(site, "up", "", tuple(sorted(b.engine_id for b in fresh))))
        else:
            detail = "; ".join(sorted({b.detail for b in fresh if b.detail}))
            out.append(SiteStatus(site, "down", detail, tuple(sorted(b.engine_id for b in fresh))))
    return out


def visible_site(user_site: int | None, wanted: int | None) -> int | None:
    """The site a page shows: a user of one site (a team lead, an agent) sees that site whatever they ask for;
    one of every site (``user_site`` None: admins, managers) sees the site asked for, or all (None)."""
    return user_site if user_site is not None else wanted


def check_name(name: str) -> str:
    name = name.strip()
    if not NAME_PATTERN.match(name):
        raise SiteError("name: 1 to 40 letters, digits, '.', '_' or '-'")
    return name


# --- SQL --------------------------------------------------------------------------------------------------

Conn = asyncpg.Connection | asyncpg.Pool


async def list_sites(conn: Conn) -> list[Site]:
    rows = await conn.fetch("SELECT id, name, zone FROM sites ORDER BY id")
    return [Site(r["id"], r["name"], r["zone"]) for r in rows]


async def site_named(conn: Conn, name: str) -> Site:
    row = await conn.fetchrow("SELECT id, name, zone FROM sites WHERE name = $1", name)
    if row is None:
        raise SiteError(f"there is no site named {name!r}; create it on the users page first")
    return Site(row["id"], row["name"], row["zone"])


async def create_site(conn: Conn, *, name: str, zone: str = "") -> Site:
    name = check_name(name)
    row = await conn.fetchrow("INSERT INTO sites (name, zone) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
                              " RETURNING id, name, zone", name, zone.strip())
    if row is None:
        raise SiteError(f"name: a site named {name!r} exists already")
    return Site(row["id"], row["name"], row["zone"])


async def set_user_site(conn: Conn, *, user_id: int, site_id: int | None) -> None:
    await conn.execute("UPDATE users SET site_id = $2, updated_at = now() WHERE id = $1", user_id, site_id)


async def user_site(conn: Conn, user_id: int) -> int | None:
    """The site of a user (None: every site). Admins, managers and compliance officers see every site."""
    row = await conn.fetchrow("SELECT role, site_id FROM users WHERE id = $1", user_id)
    if row is None or row["role"] in ("admin", "manager", "compliance"):
        return None
    return row["site_id"]  # type: ignore[no-any-return]


async def site_of_campaign(conn: Conn, campaign_id: int) -> int | None:
    site: int | None = await conn.fetchval("SELECT site_id FROM campaigns WHERE id = $1", campaign_id)
    return site


async def site_of_queue(conn: Conn, queue_id: int) -> int | None:
    site: int | None = await conn.fetchval("SELECT site_id FROM inbound_queues WHERE id = $1", queue_id)
    return site


_PATH_SITES = {   # a path parameter naming a row, and how to find that row's site
    "campaign_id": "SELECT site_id FROM campaigns WHERE id = $1",
    "queue_id": "SELECT site_id FROM inbound_queues WHERE id = $1",
    "lead_id": "SELECT c.site_id FROM leads l JOIN campaigns c ON c.id = l.campaign_id WHERE l.id = $1",
}


async def sites_of_path(conn: Conn, params: dict[str, Any]) -> set[int]:
    """The sites of the campaign, queue or lead a request's path names (``campaign_id``, ``queue_id``,
    ``lead_id``); rows that do not exist name no site (the route answers its own 404)."""
    found = set()
    for name, sql in _PATH_SITES.items():
        value = params.get(name)
        if value is None or not str(value).isdigit():
            continue
        site = await conn.fetchval(sql, int(value))
        if site is not None:
            found.add(site)
    return found


async def campaign_sites(conn: Conn) -> dict[int, int]:
    """Every campaign's site."""
    return {r["id"]: r["site_id"] for r in await conn.fetch("SELECT id, site_id FROM campaigns")}


async def queue_sites(conn: Conn) -> dict[int, int]:
    """Every inbound queue's site."""
    return {r["id"]: r["site_id"] for r in await conn.fetch("SELECT id, site_id FROM inbound_queues")}


async def campaign_ids(conn: Conn, site_ids: Sequence[int]) -> set[int]:
    rows = await conn.fetch("SELECT id FROM campaigns WHERE site_id = ANY($1::bigint[])", list(site_ids))
    return {r["id"] for r in rows}


async def set_campaign_site(conn: Conn, *, campaign_id: int, site_id: int) -> None:
    await conn.execute("UPDATE campaigns SET site_id = $2 WHERE id = $1", campaign_id, site_id)


async def set_queue_site(conn: Conn, *, queue_id: int, site_id: int) -> None:
    await conn.execute("UPDATE inbound_queues SET site_id = $2 WHERE id = $1", queue_id, site_id)


async def heartbeats(conn: Conn) -> list[Heartbeat]:
    rows = await conn.fetch("SELECT site_id, engine_id, pbx_up, detail,"
                            " extract(epoch FROM now() - seen_at)::float8 AS age_s FROM site_engines")
    return [Heartbeat(r["site_id"], r["engine_id"], r["pbx_up"], r["detail"], r["age_s"]) for r in rows]


async def statuses(conn: Conn, *, site_id: int | None = None) -> list[SiteStatus]:
    """Every site's status (or one site's), for the wallboard."""
    sites = [s for s in await list_sites(conn) if site_id is None or s.id == site_id]
    return site_statuses(sites, await heartbeats(conn))


async def site_down_pauses(conn: Conn, *, site_id: int | None = None) -> list[dict[str, Any]]:
    """Campaigns paused because their site's PBX is down: id, name, site."""
    rows = await conn.fetch(
        "SELECT c.id, c.name, c.site_id, s.name AS site FROM campaigns c JOIN sites s ON s.id = c.site_id"
        " WHERE c.state = 'paused' AND c.health_pause->>'code' = $1 AND ($2::bigint IS NULL OR c.site_id = $2)"
        " ORDER BY c.id", SITE_DOWN, site_id)
    return [dict(r) for r in rows]


async def report(conn: Conn, *, site_ids: Sequence[int], engine_id: str, pbx_up: bool, detail: str) -> None:
    """This engine's heartbeat for each site it serves (database time, so every reader ages it alike)."""
    await conn.execute(
        "INSERT INTO site_engines (site_id, engine_id, pbx_up, detail, seen_at)"
        " SELECT s, $2, $3, $4, now() FROM unnest($1::bigint[]) s"
        " ON CONFLICT (site_id, engine_id) DO UPDATE SET pbx_up = EXCLUDED.pbx_up, detail = EXCLUDED.detail,"
        " seen_at = EXCLUDED.seen_at", list(site_ids), engine_id, pbx_up, detail[:300])


async def pause_site(conn: Conn, *, site: Site, at: datetime) -> list[int]:
    """Pause the site's running campaigns for ``SITE_DOWN`` (the reason kept on each row); their ids."""
    pause = {"code": SITE_DOWN, "count": 0, "detail": site.name, "at": at.isoformat()}
    rows = await conn.fetch(
        "UPDATE campaigns SET state = 'paused', health_pause = $2, updated_at = now()"
        " WHERE site_id = $1 AND state = 'running' RETURNING id", site.id, pause)
    return sorted(r["id"] for r in rows)


async def resume_site(conn: Conn, *, site_id: int) -> list[int]:
    """Start again the site's campaigns paused for ``SITE_DOWN`` (no other); their ids."""
    rows = await conn.fetch(
        "UPDATE campaigns SET state = 'running', health_pause = NULL, updated_at = now()"
        " WHERE site_id = $1 AND state = 'paused' AND health_pause->>'code' = $2 RETURNING id", site_id, SITE_DOWN)
    return sorted(r["id"] for r in rows)


async def other_sites_engines(conn: Conn, *, site_ids: Sequence[int]) -> set[str]:
    """Engines that reported only for sites this engine does not serve: their work is on another site's PBX,
    so this engine never recovers it (``dialer.system.watch_other_engines``)."""
    rows = await conn.fetch(
        "SELECT engine_id FROM site_engines GROUP BY engine_id HAVING NOT bool_or(site_id = ANY($1::bigint[]))",
        list(site_ids))
    return {r["engine_id"] for r in rows}


# --- the engine's side --------------------------------------------------------------------------------------

class SiteWatch:
    """Run by every engine: heartbeats for its sites, and (a site engine) the pause and resume of its site's
    campaigns when its PBX goes and comes back."""

    def __init__(self, engine: Any, *, sites: Sequence[Site], own_site: Site | None,
                 every_s: float = REPORT_S, grace_s: float = DOWN_GRACE_S) -> None:
        self.engine = engine
        self.sites = list(sites)
        self.own_site = own_site         # None: an engine of every site, which never pauses for a site
        self.every_s = every_s
        self.grace_s = grace_s
        self.watch = Watch()

    async def look(self) -> None:
        """One look: write the heartbeats, then pause or resume the site's campaigns if that is called for (campaign
        control's next sync stops or starts their runners)."""
        engine = self.engine
        health = pbx_health(engine.pbx)
        up = health is None or health.connected
        detail = "" if up or health is None else health.describe()
        await report(engine.pool, site_ids=[s.id for s in self.sites], engine_id=engine.engine_id,
                     pbx_up=up, detail=detail)
        if self.own_site is None:
            return
        self.watch, action = watch_step(self.watch, pbx_up=up, now=engine.clock.monotonic(), grace_s=self.grace_s)
        if action == PAUSE:
            paused = await pause_site(engine.pool, site=self.own_site, at=engine.clock.now())
            for cid in paused:
                engine.board.health_pauses[cid] = {"name": engine.campaigns[cid].name if cid in engine.campaigns
                                                   else str(cid), "code": SITE_DOWN, "count": 0,
                                                   "detail": self.own_site.name}
            if paused:
                log.error("site %s: PBX down (%s); campaigns %s paused until it is back", self.own_site.name,
                          detail, paused)
        elif action == RESUME:
            resumed = await resume_site(engine.pool, site_id=self.own_site.id)
            for cid in resumed:
                engine.board.health_pauses.pop(cid, None)
            if resumed:
                log.warning("site %s: PBX back; campaigns %s dial again", self.own_site.name, resumed)

    async def run(self) -> None:
        while True:
            try:
                await self.look()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("site heartbeat not written this time: %s", exc)
            await self.engine.clock.sleep(self.every_s)

