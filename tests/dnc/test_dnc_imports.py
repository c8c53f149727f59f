"""Importing numbers: national registries become key files, other lists rows; invalid lines are counted."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import numpy as np
import redis

from dialer import jobs
from dnc import registry_files, repository
from dnc.imports import import_file, import_job
from dnc.lists import ListKind

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def test_a_national_import_writes_a_sorted_key_file_and_audits_it(
    db_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    source = tmp_path / "bloctel.txt"
    source.write_text("0612345678\n+33 6 98 76 54 32\n\nnot a number\n06 12 34 56 78\n0100\n")
    seen: list[tuple[int, int, str]] = []
    async with db_pool.acquire() as conn:
        report = await import_file(
            conn,
            source=source,
            list_name="bloctel",
            kind=ListKind.NATIONAL,
            actor="olga",
            now=NOW,
            data_dir=tmp_path / "data",
            default_region="FR",
            progress=lambda d, t, m: seen.append((d, t, m)),
        )
        files = await repository.current_registry_files(conn)
        audit = (await repository.audit_page(conn, limit=1))[0]
        blocked = await repository.numbers_on_dnc(
            conn, ["+33612345678", "+33698765432", "+33600000000"], campaign_id=None, now=NOW
        )
    assert (report.lines, report.invalid, report.numbers) == (5, 2, 2)
    assert report.examples == ("line 4: 'not a number': not a phone number", "line 6: '0100': too short")
    assert registry_files.load_keys(report.path).tolist() == [33612345678, 33698765432]
    assert files[0].sha256 == registry_files.file_sha256(report.path) and files[0].count == 2
    assert (audit.action, audit.actor, audit.details["invalid"]) == ("import", "olga", 2)
    assert set(blocked) == {"+33612345678", "+33698765432"}
    assert seen[-1][0] == seen[-1][1] == source.stat().st_size


async def test_an_internal_import_adds_rows_from_a_csv_column(db_pool: asyncpg.Pool, tmp_path: Path) -> None:
    source = tmp_path / "optouts.csv"
    source.write_text("name;phone\nAnn;+14155550123\nBob;12\nCid;+14155550124\n")
    async with db_pool.acquire() as conn:
        await repository.add_entry(
            conn, list_name="internal", number="+14155550123", actor="c", reason="r", now=NOW
        )
        report = await import_file(
            conn,
            source=source,
            list_name="internal",
            kind=ListKind.INTERNAL,
            actor="olga",
            now=NOW,
            data_dir=tmp_path,
            column="phone",
        )
        entries = await repository.export_entries(conn, list_name="internal")
    assert (report.lines, report.invalid, report.numbers, report.added) == (3, 1, 2, 1)
    assert [(e.number, e.added_by) for e in entries] == [("+14155550123", "c"), ("+14155550124", "olga")]


async def test_progress_is_reported_along_the_way_in_the_callers_thread(
    db_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    source = tmp_path / "big.txt"
    source.write_text("".join(f"+1415555{i:04d}\n" for i in range(2000)))
    seen: list[tuple[int, int]] = []
    caller = threading.get_ident()
    async with db_pool.acquire() as conn:
        await import_file(
            conn,
            source=source,
            list_name="usdnc",
            kind=ListKind.NATIONAL,
            actor="olga",
            now=NOW,
            data_dir=tmp_path,
            progress=lambda d, t, m: seen.append((d, threading.get_ident())),
            block_bytes=4096,
        )
    assert len(seen) >= 4 and all(thread == caller for _, thread in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


async def test_the_import_job_runs_through_rq_and_reports_progress(
    database_url: str, redis_url: str, tmp_path: Path, db_pool: asyncpg.Pool
) -> None:
    source = tmp_path / "reg.txt"
    source.write_text("".join(f"+1415555{i:04d}\n" for i in range(2000)) + "garbage\n")
    conn = redis.Redis.from_url(redis_url)

    def run() -> str:
        job = jobs.enqueue(
            conn,
            import_job,
            database_url=database_url,
            source=str(source),
            list_name="usdnc",
            kind="national",
            actor="olga",
            data_dir=str(tmp_path / "data"),
            is_async=False,
        )
        return job.id

    job_id = await asyncio.to_thread(run)
    status = jobs.job_status(conn, job_id)
    assert status is not None and status.status == "finished", status
    assert status.result["numbers"] == 2000 and status.result["invalid"] == 1
    assert status.result["examples"] == ["line 2001: 'garbage': not a phone number"]
    assert status.done == status.total == source.stat().st_size
    async with db_pool.acquire() as c:
        files = await repository.current_registry_files(c)
    assert files and np.all(np.diff(registry_files.load_keys(files[0].path)) > 0)
