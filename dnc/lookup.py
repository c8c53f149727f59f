"""Answering "may this number be called, and if not, why": the blocking list plus every entry of the number.

Used by the CLI and the API (people asking); the engine asks ``dnc.checker`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
import numpy as np

from dnc import registry_files, repository
from dnc.lists import DncEntry
from dnc.numbers import to_key


@dataclass(frozen=True, slots=True)
class NumberCheck:
    number: str
    campaign_id: int | None
    blocked_by: str | None  # name of the list that blocks calls, None when callable
    entries: tuple[DncEntry, ...]  # every row of the number on any list (expired ones too)
    registries: tuple[str, ...]  # national lists whose imported registry holds the number

    def describe(self, now: datetime) -> str:
        """Several lines a person can read: the verdict, then each entry with who, when, why."""
        head = (
            f"{self.number}: BLOCKED by {self.blocked_by}"
            if self.blocked_by
            else f"{self.number}: not blocked"
        )
        if self.campaign_id is not None:
            head += f" (campaign {self.campaign_id})"
        lines = [head]
        for e in self.entries:
            state = "" if e.active(now) else " [expired]"
            until = f", until {e.expires_at:%Y-%m-%d %H:%M}" if e.expires_at else ""
            lines.append(
                f"  on {e.list_name}{state}: {e.reason or '(no reason)'} "
                f"- added by {e.added_by} on {e.added_at:%Y-%m-%d %H:%M}{until}"
            )
        lines.extend(f"  in the imported registry of {name}" for name in self.registries)
        return "\n".join(lines)


async def check_number(
    conn: asyncpg.Connection, *, number: str, campaign_id: int | None, now: datetime
) -> NumberCheck:
    """Whether E.164 ``number`` may be called for ``campaign_id`` now, with every list that holds it."""
    blocked = await repository.numbers_on_dnc(conn, [number], campaign_id=campaign_id, now=now)
    entries = await repository.entries_for_number(conn, number=number)
    names = {lst.id: lst.name for lst in await repository.all_lists(conn)}
    key = np.array([to_key(number)], dtype=np.int64)
    registries = tuple(
        names[f.list_id]
        for f in await repository.current_registry_files(conn)
        if registry_files.contains_sorted(f.path, key)[0]
    )
    return NumberCheck(number, campaign_id, blocked.get(number), tuple(entries), registries)
