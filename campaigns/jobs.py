"""The list-import job: stream a file, normalise in a process pool, dedupe, DNC-scrub, COPY into PostgreSQL.

``import_list_job`` is the rq entry point (synchronous, opens its own connection, reports progress
with ``dialer.jobs.report_progress``); the CLI runs ``run_import`` in-process with a tqdm callback.
Chunks are normalised by up to ``workers`` processes while the main process deduplicates (within the
file, then against the campaign via ``ON CONFLICT``), asks the DNC repository about each chunk and
stores leads and rejects. One bad row never stops the import; a file that cannot be read at all, or a
DNC check that fails, fails the whole import (compliance fails closed). What the reader reports itself
(``Chunk.rejects``: unterminated quotes, rows above the header row) goes into the same rejects report;
rows above the header are not counted as rows of the list.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import asyncpg

from campaigns import repository
from campaigns.errors import ImportFailed
from campaigns.imports import ChunkResult, ColumnMap, build_column_map, normalise_chunk, normalise_lines
from campaigns.readers import Chunk, HeaderChoice, Table, open_table
from dialer.reasons import Reason, reason
from dialer.safe_export import csv_writer

CHUNK_ROWS = 20_000
Progress = Callable[[int, int | None, str], None]
DncLookup = Callable[..., Awaitable[Mapping[str, str]]]
COUNT_KINDS = ("imported", "invalid", "unreadable", "malformed", "unterminated_quote", "duplicate_file",
               "duplicate_campaign", "dnc")
NOT_ROWS = frozenset({"above_header"})      # reported (never dropped silently) but not rows of the list
ZONE_FLAGGED = "timezone_flagged"     # an imported lead whose file's time zone was not used (report row, not a reject)


async def default_dnc_lookup(conn: asyncpg.Connection, numbers: Sequence[str], *, campaign_id: int | None,
                             now: datetime) -> Mapping[str, str]:
    """The DNC package's answer (number -> list); without a DNC package the import fails closed."""
    try:
        from dnc.repository import numbers_on_dnc
    except ImportError:
        raise ImportFailed(reason("dnc_unavailable")) from None
    return await numbers_on_dnc(conn, numbers, campaign_id=campaign_id, now=now)


async def run_import(conn: asyncpg.Connection, *, campaign_id: int, list_id: int, path: str | Path,
                     mapping: Mapping[str, str | Sequence[str]] | None = None, now: datetime,
                     progress: Progress | None = None, workers: int = 2, chunk_rows: int = CHUNK_ROWS,
                     dnc_lookup: DncLookup = default_dnc_lookup, header_row: HeaderChoice = "auto") -> dict[str, int]:
    """Import ``path`` into list ``list_id`` of the campaign; returns counts by outcome (and ``rows``).
    ``header_row``: the row holding the column names (1 = first), None when there is none, "auto" for the
    row ``campaigns.readers.propose_header_row`` proposes."""
    campaign = await repository.get_campaign(conn, campaign_id=campaign_id)
    region = await repository.list_region(conn, list_id=list_id) or campaign.default_region
    # the file as the team lead named it (a web upload is stored as list-xxxx.csv), in progress and errors
    name = (await repository.get_list(conn, list_id=list_id)).source_filename or Path(path).name
    try:
        counts = await _import(conn, campaign_id=campaign_id, region=region, list_id=list_id,
                               path=Path(path), name=name, mapping=mapping, now=now, progress=progress or _no_progress,
                               workers=workers, chunk_rows=chunk_rows, dnc_lookup=dnc_lookup,
                               header_row=header_row)
    except Exception as exc:
        why = exc.args[0] if exc.args else None
        if isinstance(why, Reason) and "name" in why.params and why.params["name"] != name:
            why = Reason(why.code, {**why.params, "name": name})     # the file's own name, not the stored copy's
            exc.args = (why, *exc.args[1:])
        await repository.finish_list(conn, list_id=list_id, status="failed", counts={}, error=str(exc),
                                     at=datetime.now(UTC))
        if isinstance(why, Reason):          # why, for the reader's language
            await repository.set_list_error_reason(conn, list_id=list_id, reason=why)
        raise
    await repository.finish_list(conn, list_id=list_id, status="ready", counts=counts, error="",
                                 at=datetime.now(UTC))
    return counts


def _no_progress(done: int, total: int | None, message: str) -> None:
    return None


async def _import(conn: asyncpg.Connection, *, campaign_id: int, region: str, list_id: int, path: Path, name: str,
                  mapping: Mapping[str, str | Sequence[str]] | None, now: datetime, progress: Progress,
                  workers: int, chunk_rows: int, dnc_lookup: DncLookup, header_row: HeaderChoice) -> dict[str, int]:
    table = open_table(path, header_row)
    # the row used, as the API records it (a web or CLI upload too): GET /api/campaigns/{id}/lists/{id}
    await repository.set_list_header_row(conn, list_id=list_id, header_row=table.header_row)
    try:
        return await _import_table(conn, table=table, campaign_id=campaign_id, region=region, list_id=list_id,
                                   name=name, mapping=mapping, now=now, progress=progress, workers=workers,
                                   chunk_rows=chunk_rows, dnc_lookup=dnc_lookup)
    finally:
        table.close()


async def _import_table(conn: asyncpg.Connection, *, table: Table, campaign_id: int, region: str, list_id: int,
                        name: str, mapping: Mapping[str, str | Sequence[str]] | None, now: datetime,
                        progress: Progress, workers: int, chunk_rows: int, dnc_lookup: DncLookup) -> dict[str, int]:
    columns = build_column_map(table.header, mapping)
    counts = dict.fromkeys(COUNT_KINDS, 0)
    counts["rows"] = 0
    seen: dict[str, int] = {}        # number -> first line, for duplicates within the file
    progress(0, table.estimated_rows, reason("progress_reading", name=name))
    await repository.create_staging(conn)
    executor: Executor | None = None
    if workers > 1 and table.estimated_rows > chunk_rows:
        executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    queue: asyncio.Queue[tuple[Chunk, ChunkResult] | None] = asyncio.Queue(maxsize=2)
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(_produce(table, queue, executor=executor, columns=columns, region=region,
                                       workers=workers, chunk_rows=chunk_rows))
            while (item := await queue.get()) is not None:
                chunk, result = item
                await _store(conn, campaign_id=campaign_id, list_id=list_id, chunk=chunk, result=result,
                             counts=counts, now=now, delimiter=table.delimiter, dnc_lookup=dnc_lookup,
                             seen=seen)
                total = max(table.estimated_rows, counts["rows"])
                progress(counts["rows"], total, reason("progress_rows", rows=counts["rows"], imported=counts["imported"]))
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    counts["rejected"] = counts["rows"] - counts["imported"]
    if counts["imported"] > 10_000:
        await repository.analyze_leads(conn)
    progress(counts["rows"], counts["rows"],
             reason("progress_done", imported=counts["imported"], rejected=counts["rejected"]))
    return counts


async def _produce(table: Table, queue: asyncio.Queue[tuple[Chunk, ChunkResult] | None], *,
                   executor: Executor | None, columns: ColumnMap, region: str, workers: int,
                   chunk_rows: int) -> None:
    """Read chunks, normalise them (in the pool when there is one) and queue the results in file order."""
    def work(chunk: Chunk) -> Callable[[], ChunkResult]:
        if chunk.lines:
            return partial(normalise_lines, chunk.lines, first_line=chunk.first_line, columns=columns,
                           region=region, delimiter=table.delimiter)
        return partial(normalise_chunk, chunk.rows, columns=columns, region=region, delimiter=table.delimiter)

    pending: deque[tuple[Chunk, Future[ChunkResult]]] = deque()
    for chunk in table.chunks(chunk_rows):
        if executor is None:
            await queue.put((chunk, work(chunk)()))
            continue
        pending.append((chunk, executor.submit(work(chunk))))
        if len(pending) > workers:
            done_chunk, future = pending.popleft()
            await queue.put((done_chunk, await asyncio.wrap_future(future)))
    while pending:
        done_chunk, future = pending.popleft()
        await queue.put((done_chunk, await asyncio.wrap_future(future)))
    await queue.put(None)


async def _store(conn: asyncpg.Connection, *, campaign_id: int, list_id: int, chunk: Chunk, result: ChunkResult,
                 seen: dict[str, int], counts: dict[str, int], now: datetime, delimiter: str,
                 dnc_lookup: DncLookup) -> None:
    """Dedupe within the file, scrub against DNC, insert (dedupe against the campaign), store rejects."""
    rejects = [*chunk.rejects, *result.rejects]
    unique: list[int] = []          # indexes into result.keys
    for index, (line, e164) in enumerate(result.keys):
        first = seen.setdefault(e164, line)
        if first != line:
            rejects.append((line, "duplicate_file", reason("duplicate_in_file", number=e164, line=first),
                            chunk.raw(line, delimiter)))
        else:
            unique.append(index)
    blocked = await dnc_lookup(conn, [result.keys[i][1] for i in unique], campaign_id=campaign_id, now=now)
    if blocked:
        kept = []
        for index in unique:
            line, e164 = result.keys[index]
            where = blocked.get(e164)
            if where is None:
                kept.append(index)
            else:
                rejects.append((line, "dnc", reason("on_dnc", number=e164, list=where), chunk.raw(line, delimiter)))
        unique = kept
    inserted: set[str] = set()
    if unique:
        payload = "".join([result.copy_lines[i] for i in unique]).encode("utf-8", "replace")
        inserted = await repository.store_chunk(conn, campaign_id=campaign_id, list_id=list_id, staging_csv=payload)
    if len(inserted) < len(unique):
        for index in unique:
            line, e164 = result.keys[index]
            if e164 not in inserted:
                rejects.append((line, "duplicate_campaign", reason("already_in_campaign", number=e164),
                                chunk.raw(line, delimiter)))
    flagged = [(line, e164, why) for line, e164, why in result.flags if e164 in inserted and seen[e164] == line]
    if flagged:
        await repository.flag_lead_zones(conn, campaign_id=campaign_id, flags=[(e, why) for _, e, why in flagged])
        rejects.extend((line, ZONE_FLAGGED, why, chunk.raw(line, delimiter)) for line, _, why in flagged)
    counts["imported"] += len(inserted)
    counts["rows"] += result.rows + sum(1 for r in chunk.rejects if r[1] not in NOT_ROWS)
    for reject in rejects:
        counts[reject[1]] = counts.get(reject[1], 0) + 1
    await repository.store_rejects(conn, list_id=list_id, rejects=rejects)


async def rejects_csv(conn: asyncpg.Connection, *, list_id: int,
                      reason_text: Callable[[str, str, str], str] | None = None) -> AsyncIterator[str]:
    """The rejects report as CSV text pieces: line, kind, reason (English), raw row. With ``reason_text``
    (the web's: ``(code, params JSON, stored text) -> text in the reader's language``) the reason is that
    text and a last column ``reason_code`` holds the stable code (``dialer.reasons``; "" for old rows)."""
    out = io.StringIO()
    writer = csv_writer(out)  # cells a spreadsheet would run as formulas are quoted
    writer.writerow(["line", "kind", "reason", "raw", *(["reason_code"] if reason_text else [])])
    async with conn.transaction():
        async for row in repository.iter_rejects(conn, list_id=list_id):
            if reason_text is None:
                writer.writerow([row["line_no"], row["kind"], row["reason"], row["raw"]])
            else:
                writer.writerow([row["line_no"], row["kind"],
                                 reason_text(row["reason_code"], row["reason_params"], row["reason"]), row["raw"],
                                 row["reason_code"]])
            if out.tell() > 64 * 1024:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


async def write_rejects_file(conn: asyncpg.Connection, *, list_id: int, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        async for piece in rejects_csv(conn, list_id=list_id):
            out.write(piece)
    return path


def import_list_job(database_url: str, *, campaign_id: int, list_id: int, path: str,
                    mapping: Mapping[str, Sequence[str]] | None = None, workers: int = 2,
                    remove_source: bool = False, header_row: HeaderChoice = "auto") -> dict[str, object]:
    """rq entry point: import a stored upload, reporting progress to the job's meta (``remove_source``
    deletes the upload afterwards, whatever the outcome). The result is the counts with a ``summary`` (English)
    and its ``summary_code``/``summary_params``, which ``/api/jobs`` says in the reader's language; a failure
    carrying a reason code is recorded for the same (``dialer.jobs.report_failure``)."""
    from dialer import db
    from dialer.jobs import report_failure, report_progress

    async def go() -> dict[str, int]:
        conn = await db.connect(database_url)
        try:
            return await run_import(conn, campaign_id=campaign_id, list_id=list_id, path=path, mapping=mapping,
                                    now=datetime.now(UTC), progress=report_progress, workers=workers,
                                    header_row=header_row)
        finally:
            await conn.close()
            if remove_source:
                Path(path).unlink(missing_ok=True)

    try:
        counts = asyncio.run(go())
    except Exception as exc:
        report_failure(exc)
        raise
    summary = reason("progress_done", imported=counts["imported"], rejected=counts["rejected"])
    return {**counts, "summary": str(summary), "summary_code": f"reason_{summary.code}",
            "summary_params": summary.params}


__all__ = ["ColumnMap", "import_list_job", "rejects_csv", "run_import", "write_rejects_file"]
