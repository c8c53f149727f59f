"""``dialer backup FILE`` and ``dialer restore FILE``: the whole database in one pg_dump file, and back.

Both work on the configured ``DIALER_DATABASE_URL`` or, when none is set, on the embedded PostgreSQL
under ``data_dir`` (started for the command and stopped after it when no other dialer process runs it).
The work is in ``dialer.backup``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dialer import backup as backups
from dialer.commands._common import settings_from
from dialer.errors import ServiceUnavailable, SettingsError
from dialer.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("backup", help="write the whole database to FILE (pg_dump custom format)",
                       description="Write the whole database (campaigns, leads, call records, DNC lists and "
                                   "audit, users, SMS, surveys, time sheets) to FILE with pg_dump. Recording "
                                   "files are not in it: back up the recordings folder separately.")
    p.add_argument("file", type=Path, help="the file to write (replaced when it exists)")
    p.set_defaults(func=run_backup)
    r = sub.add_parser("restore", help="restore a 'dialer backup' FILE into an empty database",
                       description="Restore FILE (made by 'dialer backup') into the database, then apply the "
                                   "migrations the backup is older than. The database must be empty unless "
                                   "--force, and no dialer may be running on it.")
    r.add_argument("file", type=Path, help="the backup file to read")
    r.add_argument("--force", action="store_true",
                   help="drop everything already in the database before restoring (it is replaced)")
    r.set_defaults(func=run_restore)


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """The configured URL, or the embedded server's (started here, stopped at the end)."""
    if settings.database_url:
        yield settings.database_url
        return
    from dialer.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(settings.data_dir / "postgres")
    try:
        url = server.start()
    except ServiceUnavailable as exc:
        raise SettingsError(f"embedded PostgreSQL: {exc}") from None
    try:
        yield url
    finally:
        server.stop()


def _progress(line: str) -> None:
    print(line, flush=True)


def run_backup(args: argparse.Namespace) -> int:
    with database_url(settings_from(args)) as url:
        asyncio.run(backups.backup(url, args.file, progress=_progress))
    return 0


def run_restore(args: argparse.Namespace) -> int:
    with database_url(settings_from(args)) as url:
        asyncio.run(backups.restore(url, args.file, force=args.force, progress=_progress))
    return 0
