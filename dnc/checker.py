"""The dial-time DNC check: every list in memory, kept current through LISTEN/NOTIFY, failing closed.

API for the engine (the exact contract):

* ``checker.is_blocked(number_e164, *, campaign_id, now, channel="call") -> DncHit | None``: the list
  that blocks the number, or None when it may be contacted. It raises ``DncUnavailable`` when the
  checker has not loaded yet or has not confirmed its data for more than ``max_stale_s`` (lost
  database link): the caller must then not dial. A number not in E.164 form raises ``InvalidNumber``.
* ``checker.blocked_many(numbers, *, campaign_id, now, channel="call") -> dict[str, DncHit]``: the same
  for a batch (only blocked numbers are in the result), with the same exceptions.
* ``await checker.run(connect)``: the background task (owned by the engine's task group) that
  listens on ``dnc_changed``, applies single changes at once (well under a second after commit),
  rebuilds everything on bigger changes and every ``full_reload_s``, and checks its link every
  ``heartbeat_s``. Rebuilds happen beside the current snapshot, which is swapped in one assignment,
  so checks never wait. ``await checker.reload(conn)`` loads once (commands, tests).
* ``checker.apply(change)``: fold a change in directly (a process that just made it need not wait).

Wiring: ``checker = DncChecker(clock=services.clock)``; in the engine's task group
``run(connector(services.extras["database_url"]))``; ``await checker.wait_loaded()`` before dialling.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import numpy as np

from dialer.clock import Clock
from dnc import registry_files, repository
from dnc.errors import DncError, DncUnavailable
from dnc.index import DncIndex, SortedKeys
from dnc.lists import Channel, DncHit
from dnc.numbers import to_key, to_keys
from dnc.snapshot import Change, DncSnapshot, ListIndex, parse_change

log = logging.getLogger(__name__)
_NO_KEYS = np.zeros(0, dtype=np.int64)
_NO_TIMES = np.zeros(0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class CheckerStatus:
    loaded: bool
    fresh: bool
    age_s: float  # seconds since the data was last confirmed current (inf if never)
    lists: int
    numbers: int
    nbytes: int
    reloads: int


def load_registry(path: str, sha256: str) -> SortedKeys:
    """Read a registry file, check its sha256, and index it (blocking: run it in a thread)."""
    digest = registry_files.file_sha256(path)
    if digest != sha256:
        raise DncError(f"the DNC registry file {path} does not match its recorded sha256")
    return SortedKeys.build(registry_files.load_keys(path), presorted=True)


class DncChecker:
    """Holds the current ``DncSnapshot``; see the module docstring for the contract."""

    def __init__(
        self,
        *,
        clock: Clock,
        max_stale_s: float = 10.0,
        heartbeat_s: float = 1.0,
        full_reload_s: float = 300.0,
        retry_s: float = 1.0,
    ) -> None:
        self.clock = clock
        self.max_stale_s = max_stale_s
        self.heartbeat_s = heartbeat_s
        self.full_reload_s = full_reload_s
        self.retry_s = retry_s
        self._snapshot: DncSnapshot | None = None
        self._confirmed_at = -math.inf
        self._pending: list[Change] | None = None
        self._registry: dict[tuple[str, str], SortedKeys] = {}
        self._reload_wanted = asyncio.Event()
        self._loaded = asyncio.Event()
        self._reloads = 0
        self._failures = 0  # failed connects or reloads in a row (for the retry backoff)

    # --- checks (synchronous, never wait) -------------------------------------------------------------

    def _current(self) -> DncSnapshot:
        snap = self._snapshot
        if snap is None:
            raise DncUnavailable("dnc check unavailable: the DNC lists are not loaded yet")
        age = self.clock.monotonic() - self._confirmed_at
        if age > self.max_stale_s:
            raise DncUnavailable(f"dnc check unavailable: DNC data not confirmed for {age:.0f} s")
        return snap

    def is_blocked(
        self, number_e164: str, *, campaign_id: int | None, now: datetime, channel: Channel = "call"
    ) -> DncHit | None:
        """The list blocking ``number_e164`` for this campaign now, or None; may raise ``DncUnavailable``."""
        snap = self._current()
        return snap.first_hit(
            to_key(number_e164), campaign_id=campaign_id, channel=channel, now_s=now.timestamp()
        )

    def blocked_many(
        self, numbers: Sequence[str], *, campaign_id: int | None, now: datetime, channel: Channel = "call"
    ) -> dict[str, DncHit]:
        """The blocked ones of ``numbers`` with their list; ``DncUnavailable`` fails closed."""
        snap = self._current()
        positions = snap.blocking_lists(
            to_keys(numbers), campaign_id=campaign_id, channel=channel, now_s=now.timestamp()
        )
        out: dict[str, DncHit] = {}
        for i, pos in enumerate(positions.tolist()):
            if pos >= 0:
                lst = snap.lists[pos].list
                out[numbers[i]] = DncHit(numbers[i], lst.id, lst.name, lst.kind)
        return out

    async def wait_loaded(self) -> None:
        """Return once a first snapshot is in place (wrap in a timeout; checks fail closed until then)."""
        await self._loaded.wait()

    def status(self) -> CheckerStatus:
        snap = self._snapshot
        age = self.clock.monotonic() - self._confirmed_at
        return CheckerStatus(
            snap is not None,
            snap is not None and age <= self.max_stale_s,
            age,
            len(snap.lists) if snap else 0,
            snap.numbers if snap else 0,
            snap.nbytes if snap else 0,
            self._reloads,
        )

    # --- keeping current ------------------------------------------------------------------------------

    def apply(self, change: Change) -> None:
        """Fold one change into the current snapshot (or ask the background task for a reload)."""
        if self._pending is not None:
            self._pending.append(change)
        snap = self._snapshot
        updated = snap.apply(change) if snap is not None else None
        if updated is None:
            self._reload_wanted.set()
        else:
            self._snapshot = updated

    def _on_notify(self, conn: object, pid: int, channel: str, payload: object) -> None:
        self.apply(parse_change(str(payload)))

    async def reload(self, conn: asyncpg.Connection) -> None:
        """Build a fresh snapshot from the database and swap it in, keeping changes announced meanwhile."""
        self._pending = []
        try:
            now = self.clock.now()
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                lists = await repository.all_lists(conn)
                rows = await repository.active_rows(conn, now=now)
                files = {f.list_id: f for f in await repository.current_registry_files(conn)}
            items: list[ListIndex] = []
            registry: dict[tuple[str, str], SortedKeys] = {}
            for lst in lists:
                keys, expires = rows.get(lst.id, (_NO_KEYS, _NO_TIMES))
                file = files.get(lst.id)
                if file is None:
                    index = DncIndex.build(keys, expires) if len(keys) else DncIndex.empty()
                else:
                    cache_key = (file.path, file.sha256)
                    base = self._registry.get(cache_key)
                    if base is None:
                        base = await self._load_registry(conn, file.path, file.sha256)
                    registry[cache_key] = base
                    added = dict(zip(keys.tolist(), expires.tolist(), strict=True))
                    index = DncIndex.with_base(base, None, added=added)
                items.append(ListIndex(lst, index))
            snap = DncSnapshot.of(items)
            for change in self._pending:
                snap = snap.apply(change) or snap
            self._registry = registry
            self._snapshot = snap
            self._confirmed_at = self.clock.monotonic()
            self._reloads += 1
            self._failures = 0
            self._loaded.set()
        finally:
            self._pending = None

    async def run(self, connect: Callable[[], Awaitable[asyncpg.Connection]]) -> None:
        """Listen, reload and heartbeat forever; a lost link is retried (checks fail closed meanwhile)."""
        while True:
            try:
                conn = await connect()
            except (OSError, asyncpg.PostgresError, DncError, TimeoutError) as exc:
                self._failures += 1
                log.warning("DNC checker cannot connect (attempt %d): %s", self._failures, exc)
                await self.clock.sleep(self._backoff())
                continue
            try:
                await self._serve(conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, DncError, TimeoutError) as exc:
                self._failures += 1
                log.warning(
                    "DNC checker lost its link or could not reload (attempt %d): %s", self._failures, exc
                )
            finally:
                await _close_quietly(conn)
            await self.clock.sleep(self._backoff())

    def _backoff(self) -> float:
        """Seconds before the next attempt: ``retry_s``, doubling with each failure in a row, at most 30 s."""
        return min(30.0, self.retry_s * 2 ** max(0, self._failures - 1))

    async def _serve(self, conn: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _c: lost.set())
        await conn.add_listener(repository.CHANNEL, self._on_notify)
        self._reload_wanted.clear()
        await self.reload(conn)
        next_full = self.clock.monotonic() + self.full_reload_s
        while not lost.is_set():
            if self._reload_wanted.is_set() or self.clock.monotonic() >= next_full:
                self._reload_wanted.clear()
                await self.reload(conn)
                next_full = self.clock.monotonic() + self.full_reload_s
            else:
                await self._heartbeat(conn)
            await self._wait_for_work()

    async def _heartbeat(self, conn: asyncpg.Connection) -> None:
        async with asyncio.timeout(max(1.0, self.heartbeat_s * 2)):
            await conn.fetchval("SELECT 1")
        self._confirmed_at = self.clock.monotonic()

    async def _load_registry(self, conn: asyncpg.Connection, path: str, sha256: str) -> SortedKeys:
        """Load a registry file in a thread, confirming the link meanwhile (a big file takes seconds)."""
        loading = asyncio.ensure_future(asyncio.to_thread(load_registry, path, sha256))
        try:
            while True:
                tick = asyncio.ensure_future(self.clock.sleep(self.heartbeat_s))
                done, _ = await asyncio.wait({loading, tick}, return_when=asyncio.FIRST_COMPLETED)
                tick.cancel()
                await asyncio.gather(tick, return_exceptions=True)
                if loading in done:
                    return loading.result()
                await self._heartbeat(conn)
        finally:
            loading.cancel()  # no-op when done; otherwise the thread finishes and its result is dropped

    async def _wait_for_work(self) -> None:
        wanted = asyncio.ensure_future(self._reload_wanted.wait())
        tick = asyncio.ensure_future(self.clock.sleep(self.heartbeat_s))
        try:
            await asyncio.wait({wanted, tick}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (wanted, tick):
                task.cancel()
            await asyncio.gather(wanted, tick, return_exceptions=True)


def connector(database_url: str) -> Callable[[], Awaitable[asyncpg.Connection]]:
    """What ``run`` needs: a way to open its own (listening) connection to ``database_url``."""
    from dialer import db

    return lambda: db.connect(database_url)


async def _close_quietly(conn: asyncpg.Connection) -> None:
    try:
        async with asyncio.timeout(2):
            await conn.close()
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        conn.terminate()
