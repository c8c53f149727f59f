"""Building blocks of the end-to-end engine tests: a campaign with generated leads and virtual agents.

Time zones are picked at run time (``dialer.demo.daytime_zones``) so that most leads are inside the US
calling window (08:00-21:00 local) right now and a known set is outside it, whatever the hour.
"""

from __future__ import annotations

import random
import zoneinfo
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from campaigns import repository as campaigns_repo
from campaigns.model import Campaign, CampaignState, DialMode, Pacing
from campaigns.retry_policy import RetryPolicy, RetryRule
from dialer import users
from dialer.demo import daytime_zones
from dialer.users import Role


def deep_night_zones(now: datetime) -> list[str]:
    """IANA zones where it is 21:15-01:30 now: outside the US window (08:00-21:00) for over six hours,
    however far accelerated time runs during a test."""
    found = []
    for name in sorted(zoneinfo.available_timezones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/")):
            continue
        local = now.astimezone(zoneinfo.ZoneInfo(name))
        minute = local.hour * 60 + local.minute
        if minute >= 21 * 60 + 15 or minute <= 90:
            found.append(name)
    return found


@dataclass(frozen=True, slots=True)
class Scenario:
    campaign: Campaign
    lead_ids: list[int]
    dnc_numbers: set[str]
    outside_numbers: set[str]
    agent_ids: list[int]


async def build(pool: asyncpg.Pool, *, leads: int, agents: int, dnc_share: float = 0.05,
                outside_share: float = 0.05, seed: int = 7, now: datetime,
                mode: DialMode = DialMode.PREDICTIVE, target_abandon: float = 0.03) -> Scenario:
    """A running campaign with ``leads`` leads (some on DNC, some outside their window) and agent users."""
    rng = random.Random(seed)
    inside, _ = daytime_zones(now)
    outside = deep_night_zones(now)
    assert inside and outside, f"no zone split at {now}"
    day = 86400  # retries fall due tomorrow: within a test run every lead ends final or scheduled
    policy = RetryPolicy(rules={"busy": RetryRule(day, 3), "no_answer": RetryRule(day, 3),
                                "machine": RetryRule(day, 2), "abandoned": RetryRule(day, 2),
                                "failed": RetryRule(day, 2)}, fallback=RetryRule(day, 2))
    campaign = await campaigns_repo.create_campaign(pool, campaign=Campaign(
        id=0, name=f"e2e-{seed}", trunk_template="Local/{digits}@carrier", dial_mode=mode,
        pacing=Pacing(target_abandon=target_abandon), caller_id="+15550000000", window_profile="us",
        retry_policy=policy, amd_enabled=False))
    numbers: list[tuple[str, str]] = []
    dnc: set[str] = set()
    outside_numbers: set[str] = set()
    for i in range(leads):
        number = f"+1{rng.choice([212, 310, 415, 617, 702])}555{i:04d}"
        u = rng.random()
        if u < dnc_share:
            dnc.add(number)
            zone = rng.choice(inside)
        elif u < dnc_share + outside_share:
            outside_numbers.add(number)
            zone = rng.choice(outside)
        else:
            zone = rng.choice(inside)
        numbers.append((number, zone))
    rows = await pool.fetch(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, timezones)"
        " SELECT $1, n, 'Lead ' || ordinality, ARRAY[z] FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(n, z)"
        " ON CONFLICT DO NOTHING RETURNING id",
        campaign.id, [n for n, _ in numbers], [z for _, z in numbers])
    async with pool.acquire() as conn:
        from dnc import repository as dnc_repo
        from dnc.lists import ListKind

        await dnc_repo.ensure_list(conn, name="internal", kind=ListKind.INTERNAL, actor="test", now=now)
        for number in sorted(dnc):
            await dnc_repo.add_entry(conn, list_name="internal", number=number, actor="test",
                                     reason="asked not to be called", now=now)
    agent_ids = []
    for i in range(agents):
        user = await users.create_user(pool, username=f"e2e-agent-{seed}-{i}", password="agent-password-1",
                                       role=Role.AGENT)
        agent_ids.append(user.id)
    async with pool.acquire() as conn:
        await campaigns_repo.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=agent_ids)
        campaign = await campaigns_repo.set_campaign_state(conn, campaign_id=campaign.id, target=CampaignState.RUNNING)
    return Scenario(campaign, [r["id"] for r in rows], dnc, outside_numbers, agent_ids)


import pytest  # noqa: E402


@pytest.fixture
def build_scenario():  # type: ignore[no-untyped-def]
    """``await build_scenario(pool, leads=..., agents=..., now=...)``: see ``build``."""
    return build
