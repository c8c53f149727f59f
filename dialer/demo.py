"""The demo: a sample campaign with a generated list, users for each role, and virtual agents.

``seed_demo`` is idempotent: a second start reuses what the first created. Leads get time zones where it
is daytime now, so calls flow at any hour while the US calling window (08:00-21:00 local) is enforced;
a few leads sit outside their window and a few are on the DNC list, so the refusals show too.

Dial strings: on the in-process simulated PBX the demo uses its own (``Local/{digits}@carrier``, virtual
phones that answer at once). On a real Asterisk (``DIALER_AMI_SERVERS`` set) they come from the settings
``trunk_template`` and ``agent_phone_template`` (``asterisk/extensions_test_network.conf`` is a network to
point them at), and the demo refuses to start without them. The last four digits of every generated number
follow that test network's rule (kind, ring seconds, seconds on the line), so a real Asterisk gives the
same mix of people, machines, busy lines and rejects.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg

from campaigns import repository as campaigns_repo
from campaigns.errors import NotFound
from campaigns.model import Campaign, CampaignState, DialMode, Pacing
from dialer import users
from dialer.errors import SettingsError
from dialer.settings import Settings
from dialer.users import Role
from dnc import repository as dnc_repo
from dnc.lists import ListKind
from simulations.call_model import LogNormal
from simulations.pbx.inbound_traffic import InboundStream
from simulations.virtual_agents import virtual_phone

DEMO_CAMPAIGN = "Demo campaign"
SIMULATED_TRUNK = "Local/{digits}@carrier"   # the simulated PBX draws each customer from its own model
# (kind digit, weight, ring seconds, seconds on the line) of asterisk/extensions_test_network.conf
OUTCOME_MIX = [("1", 60, (1, 6), (25, 99)), ("2", 6, (1, 4), (0, 0)), ("3", 8, (0, 0), (0, 0)),
               ("4", 2, (1, 3), (0, 0)), ("5", 12, (2, 6), (10, 30)), ("6", 3, (1, 4), (0, 0)),
               ("7", 3, (0, 0), (0, 0)), ("8", 2, (0, 0), (0, 0)), ("9", 4, (1, 5), (10, 30))]
AREAS = [212, 310, 415, 617, 702, 305]
ZONES = ["Pacific/Honolulu", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
         "Europe/London", "Europe/Paris", "Asia/Dubai", "Asia/Kolkata", "Asia/Ho_Chi_Minh", "Asia/Tokyo",
         "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo"]


@dataclass(frozen=True, slots=True)
class DemoPhones:
    """The demo's dial strings: the campaign's trunk, and each agent's phone."""

    trunk_template: str
    agent_phone_template: str | None    # None: the simulated PBX's virtual phones

    def agent_phone(self, user_id: int) -> str:
        if self.agent_phone_template is None:
            return virtual_phone(user_id)
        return self.agent_phone_template.format(agent_id=user_id)


def demo_sms_providers(settings: Settings, *, sim_url: str, dialer_url: str) -> list[dict[str, object]]:
    """``DIALER_SMS_PROVIDERS`` for the demo: the providers already configured, then the simulated provider at
    ``sim_url`` as ``sim`` (generic), ``sim-twilio`` and ``sim-esms`` (names already taken are left alone), its
    reports and STOP replies sent to the dialer at ``dialer_url``."""
    from sms.sim.server import sim_provider_settings
    from sms.sim.state import SimConfig

    mine = [{**p.model_dump(), "credentials": {k: v.get_secret_value() for k, v in p.credentials.items()}}
            for p in settings.sms_providers]
    taken = {p.name for p in settings.sms_providers}
    sims = sim_provider_settings(sim_url, SimConfig(), callback_base_url=dialer_url)
    return mine + [entry for entry in sims if entry["name"] not in taken]


def demo_phones(settings: Settings) -> DemoPhones:
    """The dial strings the demo uses; ``SettingsError`` on a real Asterisk without them."""
    if settings.ami_servers:
        missing = [name for name, value in (("DIALER_TRUNK_TEMPLATE", settings.trunk_template),
                                            ("DIALER_AGENT_PHONE_TEMPLATE", settings.agent_phone_template))
                   if not value]
        if missing:
            raise SettingsError(
                f"dialer demo on a real Asterisk (DIALER_AMI_SERVERS is set) needs {' and '.join(missing)}: "
                "numbers your Asterisk can call for the customers and the virtual agents' phones, e.g. "
                "Local/{digits}@dialer-test-network and Local/agent-{agent_id}@dialer-test-network "
                "(asterisk/README.md, 'A test network for demos and the live suite')")
        assert settings.trunk_template is not None
        return DemoPhones(settings.trunk_template, settings.agent_phone_template)
    return DemoPhones(settings.trunk_template or SIMULATED_TRUNK, settings.agent_phone_template)


def demo_number(i: int, rng: random.Random) -> str:
    """The ``i``-th demo number (distinct for i < 4,800): +1, an area code, an exchange, then four digits
    that tell the test network what the callee does."""
    kind, _, ring, stay = rng.choices(OUTCOME_MIX, weights=[w for _, w, _, _ in OUTCOME_MIX])[0]
    code = f"{kind}{rng.randint(*ring)}{rng.randint(*stay):02d}"
    return f"+1{AREAS[(i // 800) % len(AREAS)]}{200 + i % 800}{code}"


@dataclass(frozen=True, slots=True)
class DemoSetup:
    campaign_id: int
    virtual_agent_ids: list[int]
    accounts: dict[str, str]        # username -> password, for the people trying the demo


def daytime_zones(now: datetime) -> tuple[list[str], list[str]]:
    """Zones where it is 09:00-19:00 now, and zones where it is night (22:00-07:00)."""
    day, night = [], []
    for name in ZONES:
        local = now.astimezone(ZoneInfo(name))
        minute = local.hour * 60 + local.minute
        if 9 * 60 <= minute <= 19 * 60:
            day.append(name)
        elif minute >= 22 * 60 or minute <= 7 * 60:
            night.append(name)
    return day, night


async def _user(pool: asyncpg.Pool, username: str, role: Role, password: str, **extra: str) -> users.User:
    row = await pool.fetchrow("SELECT id FROM users WHERE username = $1", username)
    if row is not None:
        user = await users.get_user(pool, row["id"])
        assert user is not None
        return user
    return await users.create_user(pool, username=username, password=password, role=role, **extra)  # type: ignore[arg-type]


async def seed_demo(pool: asyncpg.Pool, *, now: datetime, leads: int = 600, virtual_agents: int = 8,
                    seed: int = 1, phones: DemoPhones | None = None) -> DemoSetup:
    """Create (or find) the demo campaign, its list, its users; returns what the demo needs to run.

    ``phones`` (default: the simulated PBX's) sets the campaign's trunk and the demo agent's phone, also
    on a demo created by an earlier start."""
    phones = phones or DemoPhones(SIMULATED_TRUNK, None)
    rng = random.Random(seed)
    password = "demo-" + secrets.token_hex(4)
    accounts: dict[str, str] = {}
    people = [("lead", Role.TEAM_LEAD, "Team Lead"), ("compliance", Role.COMPLIANCE, "Compliance Officer")]
    for name, role, display in people:
        if await pool.fetchval("SELECT 1 FROM users WHERE username = $1", name) is None:
            accounts[name] = password
        await _user(pool, name, role, password, display_name=display)
    if await pool.fetchval("SELECT 1 FROM users WHERE username = 'agent'") is None:
        accounts["agent"] = password
    human = await _user(pool, "agent", Role.AGENT, password, display_name="Demo Agent")
    await users.update_user(pool, user_id=human.id, phone_dial_string=phones.agent_phone(human.id))
    bots = []
    for i in range(1, virtual_agents + 1):
        bot = await _user(pool, f"virtual-{i}", Role.AGENT, secrets.token_urlsafe(16),
                          display_name=f"Virtual agent {i}")
        bots.append(bot.id)
    try:
        campaign = await campaigns_repo.find_campaign(pool, ref=DEMO_CAMPAIGN)
    except NotFound:
        campaign = await campaigns_repo.create_campaign(pool, campaign=Campaign(
            id=0, name=DEMO_CAMPAIGN, trunk_template=phones.trunk_template, dial_mode=DialMode.PREDICTIVE,
            pacing=Pacing(target_abandon=0.03), caller_id="+15550100000", default_region="US",
            window_profile="us", crm_url_template=""))
        await _generate_list(pool, campaign.id, leads=leads, now=now, rng=rng)
    async with pool.acquire() as conn:
        if campaign.trunk_template != phones.trunk_template:
            campaign = await campaigns_repo.update_campaign(
                conn, campaign=replace(campaign, trunk_template=phones.trunk_template))
        await campaigns_repo.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[human.id, *bots])
        if campaign.state is not CampaignState.RUNNING:
            target = CampaignState.RUNNING if campaign.state is not CampaignState.FINISHED else None
            if target is not None:
                await campaigns_repo.set_campaign_state(conn, campaign_id=campaign.id, target=target)
    return DemoSetup(campaign.id, bots, accounts)


async def _generate_list(pool: asyncpg.Pool, campaign_id: int, *, leads: int, now: datetime,
                         rng: random.Random) -> None:
    day, night = daytime_zones(now)
    day = day or ZONES
    first = ["Anh", "Bao", "Chi", "Dung", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Linh", "Minh"]
    last = ["Nguyen", "Tran", "Smith", "Garcia", "Martin", "Le", "Pham", "Dubois", "Kim", "Silva"]
    rows = []
    dnc_numbers = []
    for i in range(leads):
        number = demo_number(i, rng)
        zone = rng.choice(night) if night and rng.random() < 0.03 else rng.choice(day)
        if rng.random() < 0.03:
            dnc_numbers.append(number)
        rows.append((number, rng.choice(first), rng.choice(last), zone,
                     {"customer_id": f"C{10000 + i}", "plan": rng.choice(["basic", "plus", "pro"])}))
    await pool.executemany(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, timezones, fields)"
        " VALUES ($1, $2, $3, $4, ARRAY[$5], $6) ON CONFLICT DO NOTHING",
        [(campaign_id, n, f, la, z, fields) for n, f, la, z, fields in rows])
    async with pool.acquire() as conn:
        await dnc_repo.ensure_list(conn, name="internal", kind=ListKind.INTERNAL, actor="demo", now=now)
        for number in dnc_numbers:
            await dnc_repo.add_entry(conn, list_name="internal", number=number, actor="demo",
                                     reason="demo: asked not to be called", now=now)


# --- the blended team: two inbound queues (one VIP) served by the demo's agents -------------------------------
DEMO_VIP_QUEUE, DEMO_QUEUE = "Demo VIP line", "Demo hotline"
DEMO_VIP_DID, DEMO_DID = "+842873001900", "+842873001901"
DEMO_VIP_NUMBERS = tuple(f"+8490200{i:04d}" for i in range(50))


@dataclass(frozen=True, slots=True)
class DemoQueues:
    vip_queue_id: int
    queue_id: int


async def seed_demo_queues(pool: asyncpg.Pool, *, agent_ids: list[int]) -> DemoQueues:
    """Create (or find) the demo's two queues, open around the clock: a VIP line (its callers from
    ``DEMO_VIP_NUMBERS``, priority 60 and VIP priority 40, 90 % answered within 20 s) and a hotline (80 % within
    30 s); every agent of the demo serves both (skill level 5), so the demo campaign paces blended."""
    from campaigns import queue_repository
    from campaigns.queues import DAY_NAMES, Queue

    hours = {d: "00:00-24:00" for d in DAY_NAMES}
    found = {q.name: q for q in await queue_repository.list_queues(pool)}
    ids = []
    for name, did, extra, vips in (
            (DEMO_VIP_QUEUE, DEMO_VIP_DID, {"priority": 60, "vip_priority": 40, "sl_target_pct": 90,
                                            "sl_threshold_s": 20}, list(DEMO_VIP_NUMBERS)),
            (DEMO_QUEUE, DEMO_DID, {"sl_target_pct": 80, "sl_threshold_s": 30}, None)):
        queue = found.get(name) or await queue_repository.save_queue(pool, queue=Queue.from_dict(
            {"name": name, "dids": [did], "hours": hours, **extra}), vip_numbers=vips)
        await queue_repository.set_queue_agents(pool, queue_id=queue.id, levels={a: 5 for a in agent_ids})
        ids.append(queue.id)
    return DemoQueues(*ids)


def demo_inbound_streams() -> tuple[InboundStream, ...]:
    """The inbound traffic the simulated PBX sends the demo's queues: VIP callers 10 an hour, the hotline 10 to 40
    an hour with a morning and an afternoon peak (hours of the day), talk about 2 minutes (under 2 erlangs at the
    peak, for the default 8 agents); 10 % press 1."""
    hotline = [10.0] * 8 + [25.0, 35.0, 40.0, 30.0, 20.0, 25.0, 35.0, 30.0, 25.0, 15.0] + [10.0] * 6
    return (InboundStream(did=DEMO_VIP_DID, rate_per_hour=[10.0], patience=LogNormal(120.0, 0.6),
                          talk=LogNormal(120.0, 0.5), callers=DEMO_VIP_NUMBERS, press_1_share=0.1),
            InboundStream(did=DEMO_DID, rate_per_hour=hotline, patience=LogNormal(90.0, 0.7),
                          talk=LogNormal(120.0, 0.6), press_1_share=0.1))
