"""``dialer campaign agents|assign-agents|unassign-agents``: who works a campaign, from the command line.

Users are named by username or id. Only agents can be assigned (as on the campaign's page); assigning
adds to the agents already there and unassigning removes only the users named, so neither replaces
the whole team by accident.
"""

from __future__ import annotations

import argparse
import asyncio

from campaigns import repository
from dialer import users
from dialer.commands._common import settings_from
from dialer.errors import DialerError
from dialer.runtime import open_services
from dialer.users import Role


def register_agent_actions(csub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the three actions to ``dialer campaign``'s subcommands."""
    lst = csub.add_parser("agents", help="list the agents assigned to a campaign")
    lst.add_argument("campaign", help="id or name")
    lst.set_defaults(func=run_agents)
    add = csub.add_parser("assign-agents", help="assign agents to a campaign (added to those already there)")
    add.add_argument("campaign", help="id or name")
    add.add_argument("users", nargs="+", metavar="USER", help="username or id of an agent")
    add.set_defaults(func=run_assign)
    rm = csub.add_parser("unassign-agents", help="take agents off a campaign")
    rm.add_argument("campaign", help="id or name")
    rm.add_argument("users", nargs="+", metavar="USER", help="username or id")
    rm.set_defaults(func=run_unassign)


async def _find_users(pool: object, refs: list[str]) -> list[users.User]:
    found = []
    for ref in refs:
        row = await pool.fetchrow(  # type: ignore[attr-defined]
            "SELECT id FROM users WHERE username = $1 OR ($2::bigint IS NOT NULL AND id = $2)"
            " ORDER BY username = $1 DESC LIMIT 1", ref, int(ref) if ref.isdigit() else None)
        user = await users.get_user(pool, row["id"]) if row is not None else None  # type: ignore[arg-type]
        if user is None:
            raise DialerError(f"no user named {ref!r}")
        found.append(user)
    return found


def _change(args: argparse.Namespace, *, assign: bool) -> list[users.User]:
    async def go() -> list[users.User]:
        async with open_services(settings_from(args), bootstrap_admin=False) as services:
            pool = services.pool
            campaign = await repository.find_campaign(pool, ref=args.campaign)
            named = await _find_users(pool, args.users)
            if assign and (not_agents := [u.username for u in named if u.role is not Role.AGENT]):
                raise DialerError(f"only agents can be assigned to a campaign: {', '.join(not_agents)} "
                                  "is not an agent")
            ids = {u.id for u in named}
            async with pool.acquire() as conn, conn.transaction():
                current = set(await repository.campaign_agents(conn, campaign_id=campaign.id))
                chosen = current | ids if assign else current - ids
                kept = await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=sorted(chosen))
            return [u for u in await users.list_users(pool) if u.id in set(kept)]

    return asyncio.run(go())


def _print(campaign: str, team: list[users.User]) -> None:
    print(f"campaign {campaign!r}: {len(team)} agent{'s' if len(team) != 1 else ''}")
    for user in team:
        print(f"{user.id:>5}  {user.username:<24} {user.display_name[:28]:<28} {user.phone_dial_string or '-'}")


def run_assign(args: argparse.Namespace) -> int:
    _print(args.campaign, _change(args, assign=True))
    return 0


def run_unassign(args: argparse.Namespace) -> int:
    _print(args.campaign, _change(args, assign=False))
    return 0


def run_agents(args: argparse.Namespace) -> int:
    async def go() -> list[users.User]:
        async with open_services(settings_from(args), bootstrap_admin=False) as services:
            campaign = await repository.find_campaign(services.pool, ref=args.campaign)
            ids = set(await repository.campaign_agents(services.pool, campaign_id=campaign.id))
            return [u for u in await users.list_users(services.pool) if u.id in ids]

    _print(args.campaign, asyncio.run(go()))
    return 0
