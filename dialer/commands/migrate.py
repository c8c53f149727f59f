"""``dialer migrate``: apply pending SQL migrations and list what was applied."""

from __future__ import annotations

import argparse
import asyncio

from dialer.commands._common import settings_from
from dialer.runtime import open_services


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("migrate", help="apply pending database migrations")
    p.set_defaults(func=run)


async def _migrate(args: argparse.Namespace) -> list[str]:
    from dialer import db

    async with open_services(settings_from(args), migrate=False, bootstrap_admin=False) as services:
        async with services.pool.acquire() as conn:
            return await db.migrate(conn)


def run(args: argparse.Namespace) -> int:
    applied = asyncio.run(_migrate(args))
    print("\n".join(f"applied {name}" for name in applied) if applied else "database is up to date")
    return 0
