"""Importing a file of numbers into a DNC list, in-process or as an rq job with progress.

A ``national`` list becomes a sorted int64 registry file under ``<data_dir>/dnc/`` registered in
``dnc_registry_files`` (the newest file replaces the list's previous contents); other kinds get rows
(added to what the list holds). Either way one ``import`` audit row and a reload notification follow.
A file of one number per line is read by ``registry_files``' vectorised reader (about 2 million
lines a second; a national file goes straight to its registry file without holding the numbers as
Python objects); a CSV ``column`` is read line by line. Lines that are not valid numbers are counted
and the first ``registry_files.MAX_EXAMPLES`` are quoted in the report with their line numbers.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from dialer import db, jobs
from dialer.reasons import Reason, reason
from dialer.settings import load_settings
from dnc import registry_files, repository
from dnc.errors import DncError
from dnc.lists import ListKind
from dnc.numbers import from_key

_ROWS_BATCH = 50_000


@dataclass(frozen=True, slots=True)
class ImportReport:
    list_name: str
    kind: str
    lines: int
    invalid: int
    numbers: int  # distinct valid numbers in the file
    added: int  # new rows (row lists) or numbers in the registry file (national)
    path: str  # the registry file ("" for row lists)
    sha256: str
    examples: tuple[str, ...]
    bad_lines: tuple[registry_files.BadLine, ...] = ()  # the examples as (line, text, reason with its code)

    def summary(self) -> str:
        text = (
            f"imported {self.numbers} numbers into {self.list_name} ({self.kind}) from {self.lines} lines, "
            f"{self.invalid} invalid"
        )
        return text + (f"; {self.added} new" if not self.path else f"; registry file {Path(self.path).name}")

    def summary_code(self) -> tuple[str, dict[str, object]]:
        """``summary()`` as an ``admin_ui.i18n`` key and its values (the web says it in the reader's language)."""
        values: dict[str, object] = {"numbers": self.numbers, "list": self.list_name, "kind": self.kind,
                                     "lines": self.lines, "invalid": self.invalid}
        if self.path:
            return "dnc_summary_registry", {**values, "file": Path(self.path).name}
        return "dnc_summary_rows", {**values, "added": self.added}


Progress = Callable[[int, int, str], None]  # (bytes read, bytes total, message)


async def import_file(
    conn: asyncpg.Connection,
    *,
    source: Path,
    list_name: str,
    kind: ListKind,
    actor: str,
    now: datetime,
    data_dir: Path,
    default_region: str | None = None,
    column: str | int | None = None,
    campaign_id: int | None = None,
    progress: Progress | None = None,
    progress_every: int = 100_000,
    block_bytes: int = registry_files.BLOCK_BYTES,
    source_name: str | None = None,
) -> ImportReport:
    """Read ``source`` (one number per line, or a CSV ``column``) into the list, creating it if missing.

    ``progress(bytes_read, bytes_total, message)`` is called after each ``block_bytes`` read (a CSV
    ``column``: every ``progress_every`` lines), always in the caller's thread (the event loop's),
    though the file is parsed in a worker thread.
    """
    lst = await repository.ensure_list(
        conn, name=list_name, kind=kind, actor=actor, now=now, campaign_id=campaign_id
    )
    total = os.path.getsize(source)
    loop = asyncio.get_running_loop()

    def report(done: int, lines: int, invalid: int) -> None:  # in the parsing thread
        if progress is not None:
            loop.call_soon_threadsafe(progress, done, total, reason("progress_lines", lines=lines, invalid=invalid))

    registry_path: Path | None = None
    if kind is ListKind.NATIONAL:
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
        registry_path = (data_dir / "dnc" / f"{lst.name}-{stamp}.npy").resolve()
    sha = ""
    if column is None:  # one number per line: the vectorised reader
        def tick(t: registry_files.Tally) -> None:
            report(t.bytes_read, t.lines, t.invalid)

        if registry_path is not None:
            written = await asyncio.to_thread(
                registry_files.write_registry, source, registry_path, default_region=default_region,
                progress=tick, block_bytes=block_bytes,
            )
            lines, invalid, count, examples, sha = (
                written.lines, written.invalid, written.count, written.examples, written.sha256
            )
            bad_lines = written.bad_lines
            keys = None
        else:
            parsed = await asyncio.to_thread(
                registry_files.read_numbers, source, default_region=default_region, progress=tick,
                block_bytes=block_bytes,
            )
            lines, invalid, count, examples, keys = (
                parsed.lines, parsed.invalid, len(parsed.keys), parsed.examples, parsed.keys
            )
            bad_lines = parsed.bad_lines
    else:
        parsed = await asyncio.to_thread(
            _parse_column, source, column=column, default_region=default_region, report=report,
            every=progress_every,
        )
        lines, invalid, count, examples, keys = (
            parsed.lines, parsed.invalid, len(parsed.keys), parsed.examples, parsed.keys
        )
        bad_lines = parsed.bad_lines
        if registry_path is not None:
            sha = await asyncio.to_thread(registry_files.write_keys, parsed.keys, registry_path)
    shown_name = source_name or source.name   # the file the person uploaded, not the server's copy
    source_reason = reason("dnc_import_of", name=shown_name)   # said in the reader's language on pages
    details = {
        "source": shown_name,
        "lines": lines,
        "invalid": invalid,
        "numbers": count,
    }
    if registry_path is not None:
        await repository.register_registry_file(
            conn,
            list_id=lst.id,
            path=str(registry_path),
            count=count,
            sha256=sha,
            actor=actor,
            now=now,
            details=details,
        )
        added, path_text = count, str(registry_path)
    else:
        assert keys is not None
        sha, path_text, added = "", "", 0
        async with conn.transaction():
            key_list = keys.tolist()
            for start in range(0, len(key_list), _ROWS_BATCH):
                batch = [from_key(k) for k in key_list[start : start + _ROWS_BATCH]]
                added += await repository.bulk_add(
                    conn,
                    list_id=lst.id,
                    numbers=batch,
                    actor=actor,
                    reason=source_reason,
                    now=now,
                )
            await repository.audit(
                conn,
                at=now,
                actor=actor,
                action="import",
                list_id=lst.id,
                number=None,
                reason=source_reason,
                details={**details, "added": added},
            )
            await repository.notify(conn, {"op": "reload"})
    if progress is not None:
        progress(total, total, reason("progress_lines", lines=lines, invalid=invalid))
    return ImportReport(lst.name, kind.value, lines, invalid, count, added, path_text, sha, examples, bad_lines)


def _bad_line_json(line: int, text: str, why: str) -> dict[str, object]:
    """A line that is not a number, for the job's result: the English reason and its code and parameters."""
    code, params = (why.code, why.params) if isinstance(why, Reason) else ("", {})
    return {"line": line, "text": text, "reason": str(why), "code": code, "params": params}


def _parse_column(
    source: Path,
    *,
    column: str | int,
    default_region: str | None,
    report: Callable[[int, int, int], None],
    every: int,
) -> registry_files.ParsedNumbers:
    """The numbers of one CSV column, line by line (blocking: run it in a thread)."""
    with open(source, encoding="utf-8-sig", errors="replace", newline="") as fh:

        def tick(lines: int, invalid: int) -> None:
            report(_tell(fh), lines, invalid)

        fields = registry_files.number_fields(fh, column=column)
        return registry_files.parse_numbers(fields, default_region=default_region, progress=tick, every=every)


def _tell(fh: object) -> int:
    try:
        return int(fh.buffer.tell())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return 0


def import_job(
    *,
    database_url: str | None = None,
    source: str,
    list_name: str,
    kind: str,
    actor: str,
    data_dir: str,
    default_region: str | None = None,
    column: str | int | None = None,
    campaign_id: int | None = None,
    remove_source: bool = False,
    source_name: str | None = None,
) -> dict[str, object]:
    """rq job: ``import_file`` on its own connection, reporting progress; returns the report as a dict.

    Without ``database_url`` the job uses the worker's settings (``dialer worker`` exports its URLs).
    A ``column`` of digits is a 0-based index, any other text a header name.
    """
    url = database_url or load_settings().database_url
    if not url:
        raise DncError("the DNC import job has no database URL (set DIALER_DATABASE_URL for the worker)")
    if isinstance(column, str):
        column = int(column) if column.isdigit() else (column or None)

    def progress(done: int, total: int, message: str) -> None:
        jobs.report_progress(done, total, message)

    async def work() -> ImportReport:
        conn = await db.connect(url)
        try:
            return await import_file(
                conn,
                source=Path(source),
                list_name=list_name,
                kind=ListKind(kind),
                actor=actor,
                now=datetime.now(UTC),
                data_dir=Path(data_dir),
                default_region=default_region,
                column=column,
                campaign_id=campaign_id,
                progress=progress,
                source_name=source_name,
            )
        finally:
            await conn.close()

    try:
        report = asyncio.run(work())
    except ValueError as exc:
        raise DncError(str(exc)) from None
    except DncError as exc:
        jobs.report_failure(exc)          # a reason with a code: /api/jobs says it in the reader's language
        raise
    finally:
        if remove_source:
            Path(source).unlink(missing_ok=True)
    return {
        "list": report.list_name,
        "kind": report.kind,
        "lines": report.lines,
        "invalid": report.invalid,
        "numbers": report.numbers,
        "added": report.added,
        "path": Path(report.path).name if report.path else "",   # the registry file's name, not where it lives
        "sha256": report.sha256,
        "examples": list(report.examples),
        "summary": report.summary(),
        # the same in the reader's language (admin_ui.i18n.localise_job_result): codes and their values
        "summary_code": report.summary_code()[0],
        "summary_params": report.summary_code()[1],
        "bad_lines": [_bad_line_json(*bad) for bad in report.bad_lines],
    }
