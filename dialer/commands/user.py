"""``dialer user add|list|passwd|signout|token``: manage accounts from the command line.

``passwd NAME`` sets a new password (``--password``, ``$DIALER_NEW_PASSWORD``, or asked for twice) and
``signout NAME`` ends every session of the user; both revoke the user's sessions on the server.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os

from dialer import sites, users
from dialer.commands._common import settings_from
from dialer.errors import DialerError
from dialer.runtime import open_services
from dialer.services import Services
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
    add.add_argument("--site", help="the site an agent or team lead works at (default: the first site, main)")
    add.set_defaults(func=run_add)
    lst = usub.add_parser("list", help="list users")
    lst.set_defaults(func=run_list)
    pw = usub.add_parser("passwd", help="reset a user's password (ends all their sessions)")
    pw.add_argument("username")
    pw.add_argument("--password", help="new password (default: $DIALER_NEW_PASSWORD, else asked for)")
    pw.set_defaults(func=run_passwd)
    out = usub.add_parser("signout", help="sign a user out everywhere (ends all their sessions)")
    out.add_argument("username")
    out.set_defaults(func=run_signout)
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
            site = await sites.site_named(services.pool, args.site) if getattr(args, "site", None) else None
            return await users.create_user(services.pool, username=args.username, password=password,
                                           role=Role(args.role), display_name=args.name, language=args.language,
                                           phone_dial_string=args.phone, site_id=site.id if site else None)

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


async def _named(services: Services, username: str) -> users.User:
    user = await users.get_user_by_name(services.pool, username)
    if user is None:
        raise DialerError(f"no user named {username!r}")
    return user


def run_passwd(args: argparse.Namespace) -> int:
    password = _password(args)

    async def go() -> int:
        async with open_services(settings_from(args), bootstrap_admin=False) as services:
            user = await _named(services, args.username)
            return await users.set_password(services.pool, user_id=user.id, password=password,
                                            now=services.clock.now(), reason="password reset from the command line")

    revoked = asyncio.run(go())
    print(f"password of {args.username} changed; {revoked} session(s) ended")
    return 0


def run_signout(args: argparse.Namespace) -> int:
    async def go() -> int:
        async with open_services(settings_from(args), bootstrap_admin=False) as services:
            user = await _named(services, args.username)
            return await users.revoke_user_sessions(services.pool, user_id=user.id, now=services.clock.now(),
                                                    reason="signed out from the command line")

    revoked = asyncio.run(go())
    print(f"{args.username} signed out everywhere; {revoked} session(s) ended")
    return 0
