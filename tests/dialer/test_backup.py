"""``dialer backup`` / ``dialer restore``: a database full of campaigns, leads, call records, DNC entries
and their audit, SMS and survey rows comes back row for row (counts and a checksum of every table), into
an empty database, on a configured URL and on the embedded server, and every refusal says why."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from campaigns import repository
from campaigns.model import Campaign
from dialer import backup, db, users
from dialer.backup import BackupError
from dialer.embedded import EmbeddedPostgres
from dnc import repository as dnc_repo
from dnc.lists import ListKind
from tests.environment import without_dialer_settings

DIALER = [sys.executable, "-m", "dialer.cli"]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def fresh_database(server_url: str) -> str:
    """A brand-new database with nothing in it (not the migrated template)."""
    name = "restore_" + uuid.uuid4().hex[:10]
    admin = await db.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return db.with_database(server_url, name)


async def drop_database(server_url: str, url: str) -> None:
    admin = await db.connect(server_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {url.split('/')[-1].split('?')[0]} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def empty_url(pg_server_url: str) -> AsyncIterator[str]:
    url = await fresh_database(pg_server_url)
    yield url
    await drop_database(pg_server_url, url)


async def fill(pool: asyncpg.Pool) -> None:
    """Two campaigns, 300 leads, 40 call records, DNC entries (audited), an SMS template and a survey."""
    agent = await users.create_user(pool, username="hoa", password="correct horse battery", role=users.Role.AGENT)
    ids = []
    for name in ("Winter sale", "Chiến dịch mùa đông"):
        campaign = await repository.create_campaign(pool, campaign=Campaign(
            id=0, name=name, trunk_template="PJSIP/{number}@trunk"))
        ids.append(campaign.id)
    await pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, alt_phones, first_name, last_name, timezones, fields, status,"
        " attempts, attempt_times)"
        " SELECT $1 + (i % 2), '+3361234' || lpad(i::text, 4, '0'), ARRAY['+3370000' || i], 'Nguyễn', 'Lê ' || i,"
        " ARRAY['Europe/Paris'], jsonb_build_object('note', 'l''ami \"' || i || '\"', 'n', i),"
        " CASE WHEN i % 5 = 0 THEN 'done' ELSE 'new' END, i % 3, ARRAY[$2::timestamptz]"
        " FROM generate_series(1, 300) i", ids[0], NOW)
    for i in range(40):
        at = NOW + timedelta(minutes=i)
        await pool.execute(
            "INSERT INTO call_records (campaign_id, agent_id, engine_id, leg_id, direction, phone_e164, originated_at,"
            " answered_at, connected_at, ended_at, outcome, disposition)"
            " VALUES ($1, $2, 'e1', $3, 'outbound', '+33612340001', $4, $5, $5, $6, $7, $8)",
            ids[i % 2], agent.id, f"leg-{i}", at, at + timedelta(seconds=6), at + timedelta(seconds=90),
            "handled" if i % 4 else "no_answer", "sale" if i % 4 == 1 else None)
    async with pool.acquire() as conn:
        await dnc_repo.ensure_list(conn, name="internal", kind=ListKind.INTERNAL, actor="admin", now=NOW)
        for i in range(12):
            await dnc_repo.add_entry(conn, list_name="internal", number=f"+3361234{i:04d}", actor="admin",
                                     reason="asked on the phone", now=NOW,
                                     expires_at=NOW + timedelta(days=30) if i % 2 else None)
    await pool.execute("INSERT INTO sms_templates (name, body, campaign_id, created_by) VALUES"
                       " ('Nhắc hẹn', 'Xin chào {{ first_name }}', $1, $2)", ids[0], agent.id)
    survey = await pool.fetchval("INSERT INTO surveys (name, created_by) VALUES ('After call', $1) RETURNING id",
                                 agent.id)
    await pool.execute("INSERT INTO survey_versions (survey_id, version, definition) VALUES ($1, 1, $2)",
                       survey, {"questions": [{"text": "Hài lòng?", "kind": "yes_no"}]})


async def contents(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and an md5 of its rows in a fixed order, and every sequence's position."""
    conn = await db.connect(url)
    try:
        tables = [r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        seen: dict[str, tuple[int, str]] = {}
        for table in tables:
            row = await conn.fetchrow(
                f'SELECT count(*) AS n, md5(coalesce(string_agg(t::text, E\'\\n\' ORDER BY t::text), \'\')) AS sum'
                f' FROM public."{table}" t')
            seen[table] = (row["n"], row["sum"])
        for seq in [r[0] for r in await conn.fetch(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")]:
            seen["sequence " + seq] = (int(await conn.fetchval(f'SELECT last_value FROM public."{seq}"')), "")
        return seen
    finally:
        await conn.close()


def assert_everything_came_back(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> None:
    for table, count in (("campaigns", 2), ("leads", 300), ("call_records", 40), ("dnc_entries", 12),
                         ("sms_templates", 1), ("survey_versions", 1)):
        assert after[table][0] == count, table
    assert after["dnc_audit"][0] >= 12                       # each entry added, audited
    differing = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
    assert differing == [], differing


async def test_a_backup_restored_into_an_empty_database_has_every_row(db_pool, database_url, empty_url,
                                                                      tmp_path: Path) -> None:
    await fill(db_pool)
    lines: list[str] = []
    made = await backup.backup(database_url, tmp_path / "dialer.dump", progress=lines.append)
    assert made.size_bytes > 0 and not (tmp_path / "dialer.dump.part").exists()
    assert any(line.startswith("[") and "public.leads" in line for line in lines)   # progress, table by table

    lines.clear()
    restored = await backup.restore(empty_url, tmp_path / "dialer.dump", progress=lines.append)
    assert restored.tables == made.tables and restored.migrated == []
    assert any("public.call_records" in line for line in lines) and lines[-1].startswith("restore complete")
    assert_everything_came_back(await contents(database_url), await contents(empty_url))

    # the restored database works: the next campaign gets a fresh id, a new DNC entry is accepted
    conn = await db.connect(empty_url)
    try:
        new = await repository.create_campaign(conn, campaign=Campaign(id=0, name="After restore",
                                                                       trunk_template="PJSIP/{number}@t"))
        assert new.id > max(r[0] for r in await conn.fetch("SELECT id FROM campaigns WHERE id <> $1", new.id))
        await dnc_repo.add_entry(conn, list_name="internal", number="+33699999999", actor="admin", reason="x", now=NOW)
    finally:
        await conn.close()


async def test_restore_refuses_a_database_that_is_not_empty_unless_forced(db_pool, database_url, pg_server_url,
                                                                          tmp_path: Path) -> None:
    await fill(db_pool)
    dump = tmp_path / "full.dump"
    await backup.backup(database_url, dump, progress=lambda _: None)
    target = await fresh_database(pg_server_url)
    try:
        conn = await db.connect(target)
        try:
            await db.migrate(conn)
            await conn.execute("INSERT INTO campaigns (name, trunk_template) VALUES ('Kept?', 'PJSIP/{number}@x')")
        finally:
            await conn.close()
        with pytest.raises(BackupError, match=r"not empty .*run again with --force\. Nothing was changed"):
            await backup.restore(target, dump, progress=lambda _: None)
        assert (await contents(target))["campaigns"][0] == 1

        lines: list[str] = []
        await backup.restore(target, dump, force=True, progress=lines.append)
        assert any(line.startswith("--force: dropping") for line in lines)
        assert_everything_came_back(await contents(database_url), await contents(target))
    finally:
        await drop_database(pg_server_url, target)


async def test_restore_refuses_while_another_session_uses_the_database(db_pool, database_url, empty_url,
                                                                       tmp_path: Path) -> None:
    await backup.backup(database_url, tmp_path / "b.dump", progress=lambda _: None)
    other = await db.connect(empty_url)
    try:
        with pytest.raises(BackupError, match=r"1 other session\(s\) are connected .*dialer serve"):
            await backup.restore(empty_url, tmp_path / "b.dump", progress=lambda _: None)
    finally:
        await other.close()


async def test_a_dump_older_than_the_code_is_migrated_after_the_restore(pg_server_url, empty_url,
                                                                        tmp_path: Path) -> None:
    known = db.discover_migrations()
    old = await fresh_database(pg_server_url)
    try:
        conn = await db.connect(old)
        try:   # the database of an older dialer: every migration but the last three
            await conn.execute("CREATE TABLE schema_migrations (name text PRIMARY KEY,"
                               " applied_at timestamptz NOT NULL DEFAULT now())")
            for migration in known[:-3]:
                await conn.execute(migration.sql)
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", migration.name)
        finally:
            await conn.close()
        await backup.backup(old, tmp_path / "old.dump", progress=lambda _: None)
    finally:
        await drop_database(pg_server_url, old)

    lines: list[str] = []
    result = await backup.restore(empty_url, tmp_path / "old.dump", progress=lines.append)
    assert result.migrated == [m.name for m in known[-3:]]
    assert "the dump is older than this dialer: applying 3 migration(s)" in lines
    conn = await db.connect(empty_url)
    try:
        assert await db.migrate(conn) == []                     # nothing left to apply
    finally:
        await conn.close()


async def test_each_unusable_file_is_refused_with_its_reason(database_url, pg_server_url, empty_url,
                                                             tmp_path: Path) -> None:
    quiet = {"progress": lambda _: None}
    with pytest.raises(BackupError, match="no such file"):
        await backup.restore(empty_url, tmp_path / "missing.dump", **quiet)
    (tmp_path / "notes.sql").write_text("SELECT 1;\n")
    with pytest.raises(BackupError, match=r"is not a dump made by 'dialer backup'"):
        await backup.restore(empty_url, tmp_path / "notes.sql", **quiet)
    (tmp_path / "broken.dump").write_bytes(b"PGDMP\x01\x63\x00" + b"\x00" * 40)
    with pytest.raises(BackupError, match="wrong version|cannot be read as a dump"):
        await backup.restore(empty_url, tmp_path / "broken.dump", **quiet)

    # a PostgreSQL dump, but of some other database
    other = await fresh_database(pg_server_url)
    try:
        await backup.backup(other, tmp_path / "other.dump", **quiet)
    finally:
        await drop_database(pg_server_url, other)
    with pytest.raises(BackupError, match="not of a dialer database"):
        await backup.restore(empty_url, tmp_path / "other.dump", **quiet)

    # a dump of a newer dialer: a migration this code does not know
    conn = await db.connect(database_url)
    try:
        await conn.execute("INSERT INTO schema_migrations (name) VALUES ('dialer/9999_from_the_future.sql')")
    finally:
        await conn.close()
    await backup.backup(database_url, tmp_path / "newer.dump", **quiet)
    with pytest.raises(BackupError, match=r"wrong version: .*newer dialer .*9999_from_the_future"):
        await backup.restore(empty_url, tmp_path / "newer.dump", **quiet)
    assert await contents(empty_url) == {}                       # every refusal left the database alone

    with pytest.raises(BackupError, match="folder .* does not exist"):
        await backup.backup(database_url, tmp_path / "no" / "such" / "x.dump", **quiet)


def test_the_tool_is_the_oldest_one_new_enough_and_a_missing_one_says_what_to_install() -> None:
    tools = {15: Path("/usr/bin/pg_dump"), 16: Path("/a/16/pg_dump"), 18: Path("/a/18/pg_dump")}
    assert backup.choose_tool(tools, at_least=16, name="pg_dump") == Path("/a/16/pg_dump")
    assert backup.choose_tool(tools, at_least=17, name="pg_dump") == Path("/a/18/pg_dump")
    with pytest.raises(BackupError, match=r"wrong version: .*PostgreSQL 19 or newer.*postgresql-client-19"):
        backup.choose_tool(tools, at_least=19, name="pg_dump")
    assert backup.tool_major("pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)") == 15


def test_the_password_is_passed_in_the_environment_not_on_the_command_line() -> None:
    dsn, env = backup.libpq_target("postgres://dialer:s%40cret@db.example:5433/dialer?sslmode=require")
    assert dsn == "postgresql://dialer@db.example:5433/dialer?sslmode=require"
    assert env == {"PGPASSWORD": "s@cret"}
    assert backup.libpq_target("postgresql://postgres:@/postgres?host=/var/pg") == (
        "postgresql://postgres@/postgres?host=%2Fvar%2Fpg", {})


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIALER, *args], check=False, env={**without_dialer_settings(), **env}, capture_output=True, text=True, timeout=180)


@pytest.mark.slow
async def test_the_dialer_command_backs_up_a_database_url_and_restores_into_the_embedded_server(
        db_pool, database_url, tmp_path: Path) -> None:
    await fill(db_pool)
    dump = tmp_path / "nightly.dump"
    made = run_cli("backup", str(dump), env={"DIALER_DATABASE_URL": database_url, "DIALER_DATA_DIR": str(tmp_path)})
    assert made.returncode == 0, made.stderr
    assert "backup written to" in made.stdout and dump.stat().st_size > 0

    data = Path(tempfile.mkdtemp(prefix="dialer-restore-"))      # reachable by the server's own system user
    try:
        restored = run_cli("restore", str(dump), env={"DIALER_DATA_DIR": str(data)})   # no URL: embedded
        assert restored.returncode == 0, restored.stderr
        assert "restore complete" in restored.stdout and "[1/" in restored.stdout
        again = run_cli("restore", str(dump), env={"DIALER_DATA_DIR": str(data)})
        assert again.returncode == 1 and "Traceback" not in again.stderr
        assert "not empty" in again.stderr and "--force" in again.stderr
        missing = run_cli("restore", str(tmp_path / "nope.dump"), env={"DIALER_DATA_DIR": str(data)})
        assert missing.returncode == 1 and "nope.dump: no such file" in missing.stderr

        server = EmbeddedPostgres(data / "postgres")
        url = server.start()
        try:
            assert_everything_came_back(await contents(database_url), await contents(url))
        finally:
            server.stop()
    finally:
        shutil.rmtree(data, ignore_errors=True)
