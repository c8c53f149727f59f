"""Leads as a CSV or XLSX download, streamed: a million leads never sit in memory or in one transaction.

Rows come from ``campaigns.list_admin.iter_matching`` (chunks by id); every cell goes through the shared
``dialer.safe_export`` (no cell a spreadsheet would run as a formula). The CSV starts with a byte-order
mark so spreadsheets read Vietnamese as UTF-8. The XLSX is written by ``safe_export.write_xlsx`` in a
worker thread fed chunk by chunk, its bytes sent on as they come (the zip is written without seeking).
The response says how many leads it holds (``X-Leads-Total``), so a client can show progress; rows are in
id order, so an interrupted download is resumed with ``after`` = the last id received.
"""

from __future__ import annotations

import asyncio
import io
import queue
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from campaigns import list_admin
from campaigns.lead_search import LeadQuery, build_where
from campaigns.list_admin import LeadRow
from dialer import safe_export

BASE_COLUMNS = ("id", "campaign", "list", "phone", "first_name", "last_name", "status", "attempts", "last_outcome",
                "last_attempt_at", "next_attempt_at", "timezones", "postal_code")
MAX_FIELD_COLUMNS = 200
_STOP = object()


async def field_columns(conn: asyncpg.Connection | asyncpg.Pool, query: LeadQuery) -> list[str]:
    """The names of the file columns (``fields``) the matching leads hold, sorted."""
    regions = await list_admin.regions_of(conn, campaign_ids=query.campaign_ids)
    where, args = build_where(query, regions=regions)
    rows = await conn.fetch(f"SELECT DISTINCT k FROM leads l, jsonb_object_keys(l.fields) k WHERE {where}"
                            f" ORDER BY k LIMIT {MAX_FIELD_COLUMNS}", *args)
    return [r[0] for r in rows]


def _when(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def lead_cells(row: LeadRow, fields: Sequence[str]) -> list[Any]:
    lead = row.lead
    return [lead.id, row.campaign_name, row.list_name, lead.phone_e164, lead.first_name, lead.last_name,
            lead.status.value, lead.attempts, lead.last_outcome or "", _when(lead.last_attempt_at),
            _when(lead.next_attempt_at), " ".join(lead.timezones), lead.postal_code,
            *(str(lead.fields.get(name, "")) for name in fields)]


async def csv_chunks(pool: asyncpg.Pool, query: LeadQuery, fields: Sequence[str], *,
                     after_id: int = 0) -> AsyncIterator[bytes]:
    """The CSV, a chunk of leads at a time (those with an id above ``after_id``: an export resumed)."""
    out = io.StringIO()
    writer = safe_export.csv_writer(out)
    out.write("\ufeff")
    writer.writerow([*BASE_COLUMNS, *fields])
    async for chunk in list_admin.iter_matching(pool, query, after_id=after_id):
        for row in chunk:
            writer.writerow(lead_cells(row, fields))
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()
    if out.getvalue():
        yield out.getvalue().encode("utf-8")


class _Sink(io.RawIOBase):
    """A write-only, unseekable file whose bytes go to the event loop in pieces of 64 KiB or more."""

    def __init__(self, loop: asyncio.AbstractEventLoop, out: asyncio.Queue[Any]) -> None:
        super().__init__()
        self._loop, self._out, self._buffer = loop, out, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        if len(self._buffer) >= 1 << 16:
            self.send()
        return len(data)

    def send(self) -> None:
        if self._buffer:
            self._loop.call_soon_threadsafe(self._out.put_nowait, bytes(self._buffer))
            self._buffer.clear()


async def xlsx_chunks(pool: asyncpg.Pool, query: LeadQuery, fields: Sequence[str], *,
                      after_id: int = 0) -> AsyncIterator[bytes]:
    """The XLSX: ``safe_export.write_xlsx`` in a thread, fed each chunk of leads as it is read."""
    loop = asyncio.get_running_loop()
    rows_in: queue.Queue[Any] = queue.Queue(maxsize=2)
    out: asyncio.Queue[Any] = asyncio.Queue()
    cancelled = threading.Event()
    sink = _Sink(loop, out)

    def rows() -> Iterator[Sequence[object]]:
        yield [*BASE_COLUMNS, *fields]
        while True:
            try:
                chunk = rows_in.get(timeout=0.5)
            except queue.Empty:
                if cancelled.is_set():
                    raise RuntimeError("export cancelled") from None
                continue
            if chunk is _STOP:
                return
            yield from chunk

    def write() -> None:
        try:
            safe_export.write_xlsx(sink, {"Leads": rows()})
            sink.send()
            loop.call_soon_threadsafe(out.put_nowait, _STOP)
        except BaseException as exc:  # noqa: BLE001 - handed to the event loop, raised there
            loop.call_soon_threadsafe(out.put_nowait, exc)

    worker = threading.Thread(target=write, name="xlsx-export", daemon=True)
    worker.start()

    async def put(item: Any) -> None:
        while True:
            try:
                rows_in.put_nowait(item)
                return
            except queue.Full:
                if not worker.is_alive():
                    return          # the writer failed: its error is waiting in ``out``
                await asyncio.sleep(0.01)   # the writer thread is behind: wait for it (web I/O, not engine logic)

    try:
        async for chunk in list_admin.iter_matching(pool, query, after_id=after_id):
            await put([lead_cells(row, fields) for row in chunk])
            while not out.empty():
                piece = out.get_nowait()
                if isinstance(piece, BaseException):
                    raise piece
                yield piece
        await put(_STOP)
        while (piece := await out.get()) is not _STOP:
            if isinstance(piece, BaseException):
                raise piece
            yield piece
    finally:
        cancelled.set()
