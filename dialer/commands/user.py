"""``dialer user add|list|passwd|token``: manage accounts from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os

from dialer import users
from dialer.commands._common import settings_from
from dialer.errors import DialerError
from dialer.runtime import open_services
from dialer.users import Role


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("user", help="manage user accounts")
    usub = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = usub.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--language", default="en", choices=["en", "vi"])
    add.add_argument("--phone", default="", help="agent's phone dial string, e.g. PJSIP/agent7")
    add.add_argument("--password", help="password (default: $DIALER_NEW_PASSWORD, else asked for)")
    add.set_defaults(func=run_add)
    lst = usub.add_parser("list", help="list users")
    lst.set_defaults(func=run_list)
    tok = usub.add_parser("token", help="create an API token for a user (shown once)")
    tok.add_argument("username")
    tok.add_argument("--label", default="cli")
    tok.set_defaults(func=run_token)


def _password(args: argparse.Namespace) -> str:
    password = args.password or os.environ.get("DIALER_NEW_PASSWORD")
    if password:
        return password
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise DialerError("the two passwords differ")
    return first


def run_add(args: argparse.Namespace) -> int:
    password = _password(args)

    async def go() -> users.User:
        async with open_services(settings_from(args), bootstrap_admin=False) as services:
            return await users.create_user(services.pool, username=args.username, password=password,
                                           role=Role(args.role), display_name=args.name, language=args.language,
                                           phone_dial_string=args.phone)

    user = asyncio.run(go())
    print(f"created {user.role.label.lower()} {user.username} (id {user.id})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    async def go() -> list[users.User]:
        async with open_services(settings_from(args), bootstrap_admin=False) as services:
            return await users.list_users(services.pool)

    for user in asyncio.run(go()):
        print(f"{user.id:>5}  {user.username:<24} {user.role.value:<11} {'active' if user.active else 'inactive'}")
    return 0


def run_token(args: argparse.Namespace) -> int:
    async def go() -> str:
        async with open_services(settings_from(args), bootstrap_admin=False) as services:
            row = await services.pool.fetchrow("SELECT id FROM users WHERE username = $1", args.username)
            if row is None:
                raise DialerError(f"no user named {args.username!r}")
            return await users.create_api_token(services.pool, user_id=row["id"], label=args.label)

    print(asyncio.run(go()))
    return 0
