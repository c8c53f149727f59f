"""``dialer dnc add|remove|check|import|export|scrub|lists``: manage do-not-call lists.

Heavy modules are imported inside each action, so that ``dialer dnc check`` (which ``dialer.cli``
loads alone) answers in a fraction of a second: it reads the database URL without starting anything
(``DIALER_DATABASE_URL``, the config file, or the embedded PostgreSQL when it is running), asks
``dnc.lookup`` over one asyncpg connection and searches the registry files on disk. When none of that
is possible (no server running, no schema yet) it takes the ordinary way through ``open_services``.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dialer.errors import DialerError
from dnc.lists import ListKind

if TYPE_CHECKING:
    from dialer.services import Services

T = TypeVar("T")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("dnc", help="do-not-call lists: add, remove, check, import, export, scrub")
    dsub = p.add_subparsers(dest="dnc_command", metavar="ACTION", required=True)

    def common(q: argparse.ArgumentParser, *, actor: bool = True) -> None:
        q.add_argument("--region", default=None, help="default region for numbers without +CC, e.g. FR, US")
        if actor:
            q.add_argument("--actor", default=None, help="who is making the change (default: your login)")

    add = dsub.add_parser("add", help="put a number on a list")
    add.add_argument("number")
    add.add_argument("--list", default="internal", dest="list_name")
    add.add_argument("--reason", required=True)
    add.add_argument("--expires", default=None, help="expiry date or time (ISO 8601, UTC if no zone)")
    common(add)
    add.set_defaults(func=run_add)

    rem = dsub.add_parser("remove", help="take a number off a list")
    rem.add_argument("number")
    rem.add_argument("--list", default="internal", dest="list_name")
    rem.add_argument("--reason", required=True)
    common(rem)
    rem.set_defaults(func=run_remove)

    chk = dsub.add_parser("check", help="is a number blocked, by which list and why")
    chk.add_argument("number")
    chk.add_argument("--campaign", type=int, default=None)
    common(chk, actor=False)
    chk.set_defaults(func=run_check)

    imp = dsub.add_parser("import", help="import a file of numbers (national: into a registry file)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--list", required=True, dest="list_name")
    imp.add_argument("--kind", choices=[k.value for k in ListKind], default="national")
    imp.add_argument("--campaign", type=int, default=None, help="campaign of a campaign list")
    imp.add_argument("--column", default=None, help="CSV column (name or 0-based index) holding the number")
    common(imp)
    imp.set_defaults(func=run_import)

    exp = dsub.add_parser("export", help="write a list's entries as CSV (number, who, when, why, expiry)")
    exp.add_argument("--list", required=True, dest="list_name")
    exp.add_argument("-o", "--output", type=Path, default=None, help="file to write (default: stdout)")
    exp.set_defaults(func=run_export)

    scr = dsub.add_parser("scrub", help="take a campaign's dialable leads on DNC out of dialling")
    scr.add_argument("campaign_id", type=int)
    scr.add_argument("--actor", default=None)
    scr.add_argument("--show", action="store_true", help="print the removed numbers")
    scr.set_defaults(func=run_scrub)

    lst = dsub.add_parser("lists", help="show the lists (or create one with --create)")
    lst.add_argument("--create", default=None, metavar="NAME")
    lst.add_argument("--kind", choices=[k.value for k in ListKind], default="internal")
    lst.add_argument("--campaign", type=int, default=None)
    lst.add_argument("--actor", default=None)
    lst.set_defaults(func=run_lists)


def _run(args: argparse.Namespace, work: Callable[[Services], Awaitable[T]]) -> T:
    from dialer.commands._common import settings_from
    from dialer.runtime import open_services

    async def go() -> T:
        async with open_services(settings_from(args), bootstrap_admin=False) as services:
            return await work(services)

    return asyncio.run(go())


def _actor(args: argparse.Namespace) -> str:
    return args.actor or f"cli:{getpass.getuser()}"


def parse_expiry(text: str | None) -> datetime | None:
    """An ISO date (blocked through that day: 23:59:59 UTC, as on the DNC page) or date-time (naive: UTC)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise DialerError(f"--expires {text!r} is not an ISO date or date-time (e.g. 2027-01-01)") from None
    if len(text) == 10:
        value = datetime.combine(value.date(), time(23, 59, 59))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run_add(args: argparse.Namespace) -> int:
    from dnc import repository
    from dnc.numbers import normalise

    number = normalise(args.number, default_region=args.region)
    expires = parse_expiry(args.expires)

    async def work(s: Services) -> None:
        async with s.pool.acquire() as conn:
            await repository.add_entry(
                conn,
                list_name=args.list_name,
                number=number,
                actor=_actor(args),
                reason=args.reason,
                now=s.clock.now(),
                expires_at=expires,
            )

    _run(args, work)
    print(f"added {number} to {args.list_name}" + (f" until {expires:%Y-%m-%d %H:%M} UTC" if expires else ""))
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from dnc import repository
    from dnc.numbers import normalise

    number = normalise(args.number, default_region=args.region)

    async def work(s: Services) -> bool:
        async with s.pool.acquire() as conn:
            return await repository.remove_entry(
                conn,
                list_name=args.list_name,
                number=number,
                actor=_actor(args),
                reason=args.reason,
                now=s.clock.now(),
            )

    if not _run(args, work):
        print(f"{number} was not on {args.list_name}", file=sys.stderr)
        return 1
    print(f"removed {number} from {args.list_name}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from dnc.numbers import normalise

    number = normalise(args.number, default_region=args.region)
    url = quick_database_url(args.config)
    text = asyncio.run(_check_directly(url, number, args.campaign)) if url else None
    if text is None:
        from dnc.lookup import check_number

        async def work(s: Services) -> str:
            now = s.clock.now()
            async with s.pool.acquire() as conn:
                return (await check_number(conn, number=number, campaign_id=args.campaign, now=now)).describe(now)

        text = _run(args, work)
    print(text)
    return 0


async def _check_directly(url: str, number: str, campaign_id: int | None) -> str | None:
    """``check_number`` over one connection to ``url``; None when that does not work (the caller then
    goes the ordinary way, which starts what is missing or names the setting that is wrong)."""
    import asyncpg

    from dialer.clock import RealClock
    from dnc.lookup import check_number

    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError, ValueError):
        return None
    try:
        now = RealClock().now()
        return (await check_number(conn, number=number, campaign_id=campaign_id, now=now)).describe(now)
    except asyncpg.PostgresError:  # e.g. no schema yet: the ordinary way migrates
        return None
    finally:
        await conn.close()


def quick_database_url(config: str | None) -> str | None:
    """The database URL, found without starting anything: ``DIALER_DATABASE_URL``, the config file's
    ``database_url``, or the embedded PostgreSQL under the data directory when it is running; None
    when only starting a server (or reading settings in full) would tell."""
    path = config or os.environ.get("DIALER_CONFIG")
    values: dict[str, object] = {}
    if path:
        import tomllib

        try:
            values = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError):
            return None
    url = os.environ.get("DIALER_DATABASE_URL") or values.get("database_url")
    if url:
        return str(url)
    data_dir = Path(str(os.environ.get("DIALER_DATA_DIR") or values.get("data_dir") or "var"))
    try:
        lines = (data_dir.expanduser().resolve() / "postgres" / "postmaster.pid").read_text().splitlines()
        pid, port, socket_dir, host = int(lines[0]), lines[3].strip(), lines[4].strip(), lines[5].strip()
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    if socket_dir:
        return f"postgresql://postgres:@/postgres?host={socket_dir}" + (f"&port={port}" if port else "")
    if host and port:
        return f"postgresql://postgres:@{host}:{port}/postgres"
    return None


def run_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise DialerError(f"{args.file} is not a file")
    column: str | int | None = int(args.column) if args.column and args.column.isdigit() else args.column
    from tqdm import tqdm

    from dnc.imports import import_file

    async def work(s: Services) -> str:
        bar = tqdm(
            total=args.file.stat().st_size,
            unit="B",
            unit_scale=True,
            desc="import",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        )

        def progress(done: int, total: int, message: str) -> None:
            bar.update(done - bar.n)
            bar.set_postfix_str(message, refresh=False)

        try:
            async with s.pool.acquire() as conn:
                report = await import_file(
                    conn,
                    source=args.file,
                    list_name=args.list_name,
                    kind=ListKind(args.kind),
                    actor=_actor(args),
                    now=s.clock.now(),
                    data_dir=s.settings.data_dir,
                    default_region=args.region,
                    column=column,
                    campaign_id=args.campaign,
                    progress=progress,
                )
        finally:
            bar.close()
        return "\n".join([report.summary(), *(f"  {e}" for e in report.examples)])

    print(_run(args, work))
    return 0


def run_export(args: argparse.Namespace) -> int:
    """The list's entries, then the numbers of its registry file (as on the list's page), as safe CSV."""
    from dialer.safe_export import csv_writer
    from dnc import registry_files, repository

    async def work(s: Services) -> tuple[list[list[str]], list[tuple[str, list[str]]]]:
        async with s.pool.acquire() as conn:
            entries = await repository.export_entries(conn, list_name=args.list_name)
            lst = await repository.get_list(conn, name=args.list_name)
            files = [f for f in await repository.current_registry_files(conn) if f.list_id == lst.id]
        rows = [
            [e.number, e.added_by, e.added_at.isoformat(), e.reason, e.expires_at.isoformat() if e.expires_at else ""]
            for e in entries
        ]
        return rows, [(f.path, [f.imported_by, f.imported_at.isoformat(), "registry file", ""]) for f in files]

    rows, files = _run(args, work)
    registry = 0
    with open(args.output, "w", newline="", encoding="utf-8") if args.output else nullcontext(sys.stdout) as out:
        writer = csv_writer(out)  # formula-like cells quoted (dialer.safe_export)
        writer.writerow(["number", "added_by", "added_at", "reason", "expires_at"])
        writer.writerows(rows)
        for path, meta in files:
            for chunk in registry_files.iter_key_chunks(path):
                writer.writerows([f"+{k}", *meta] for k in chunk.tolist())
                registry += len(chunk)
    if args.output:
        extra = f" and {registry} registry numbers" if files else ""
        print(f"wrote {len(rows)} entries{extra} of {args.list_name} to {args.output}", file=sys.stderr)
    return 0


def run_scrub(args: argparse.Namespace) -> int:
    from dnc.scrub import scrub_campaign

    async def work(s: Services) -> tuple[str, tuple[str, ...]]:
        async with s.pool.acquire() as conn:
            report = await scrub_campaign(
                conn, campaign_id=args.campaign_id, actor=_actor(args), now=s.clock.now()
            )
        return report.summary(), report.removed_numbers

    summary, numbers = _run(args, work)
    print(summary)
    if args.show:
        print("\n".join(numbers))
    return 0


def run_lists(args: argparse.Namespace) -> int:
    from dnc import repository

    async def work(s: Services) -> list[str]:
        async with s.pool.acquire() as conn:
            if args.create:
                await repository.create_list(
                    conn,
                    name=args.create,
                    kind=ListKind(args.kind),
                    actor=_actor(args),
                    now=s.clock.now(),
                    campaign_id=args.campaign,
                )
            return [
                f"{x.list.id:>4}  {x.list.name:<24} {x.list.kind.value:<10} "
                f"{'campaign ' + str(x.list.campaign_id) if x.list.campaign_id else '':<16}"
                f"{x.entries:>10} entries {x.registry_count:>12} in registry"
                for x in await repository.list_summaries(conn)
            ]

    print("\n".join(_run(args, work)) or "no DNC lists")
    return 0
