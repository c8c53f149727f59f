"""Answering "may this number be called, and if not, why": the blocking list plus every entry of the number.

Used by the CLI and the API (people asking); the engine asks ``dnc.checker`` instead. This module is
light on purpose (asyncpg, ``dnc.lists`` and the standard library; no numpy, no phonenumbers), so that
``dialer dnc check`` answers in a fraction of a second: one query for the number's rows, one for the
registry files, each registry file searched on disk (a binary search in the memory-mapped ``.npy``,
about 27 reads of 8 bytes for 10**8 numbers). The blocking rule is ``repository.numbers_on_dnc``'s:
internal lists first, then the campaign's own lists, then national rows, then national registries;
expired entries and SMS opt-outs do not block calls (a test holds the two to the same answers).
"""

from __future__ import annotations

import mmap
import re
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from dnc.errors import DncError, InvalidNumber
from dnc.lists import DncEntry

if TYPE_CHECKING:
    import asyncpg

_RANK = {"internal": 0, "campaign": 1, "national": 2}
_NPY_MAGIC = b"\x93NUMPY"
_SHAPE = re.compile(rb"'shape':\s*\((\d+),?\)")


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


def registry_holds(path: str, key: int) -> bool:
    """Whether the sorted int64 ``.npy`` registry file at ``path`` holds ``key`` (binary search on disk)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if not head.startswith(_NPY_MAGIC):
                raise DncError(f"the DNC registry file {path} is not a key file")
            major = head[6]
            if major == 1:
                offset = 10 + struct.unpack_from("<H", head, 8)[0]
            else:
                offset = 12 + struct.unpack_from("<I", head, 8)[0]
            fh.seek(0)
            header = fh.read(offset)
            shape = _SHAPE.search(header)
            if b"'<i8'" not in header or shape is None:
                raise DncError(f"the DNC registry file {path} does not hold int64 keys")
            count = int(shape.group(1))
            if count == 0:
                return False
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                lo, hi = 0, count
                while lo < hi:
                    mid = (lo + hi) // 2
                    if struct.unpack_from("<q", mm, offset + 8 * mid)[0] < key:
                        lo = mid + 1
                    else:
                        hi = mid
                return lo < count and struct.unpack_from("<q", mm, offset + 8 * lo)[0] == key
    except FileNotFoundError:
        raise DncError(f"the DNC registry file {path} is missing") from None


async def check_number(
    conn: asyncpg.Connection, *, number: str, campaign_id: int | None, now: datetime
) -> NumberCheck:
    """Whether E.164 ``number`` may be called for ``campaign_id`` now, with every list that holds it."""
    digits = number[1:]
    if number[:1] != "+" or not digits.isdigit() or not digits.isascii() or not 6 <= len(digits) <= 15:
        raise InvalidNumber(number, "not in E.164 form (+ and 6 to 15 digits)")
    rows = await conn.fetch(
        "SELECT l.id, l.name, l.kind, l.campaign_id, e.number, e.added_by, e.reason, e.added_at, e.expires_at,"
        " e.reason_code, e.reason_params"
        " FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id WHERE e.number = $1 ORDER BY l.id",
        number,
    )
    entries = tuple(
        DncEntry(r["name"], r["number"], r["added_by"], r["reason"], r["added_at"], r["expires_at"],
                 r["reason_code"], r["reason_params"]) for r in rows
    )
    blocking = [
        r for r in rows
        if (r["expires_at"] is None or r["expires_at"] > now)
        and (r["kind"] in ("internal", "national") or (r["kind"] == "campaign" and r["campaign_id"] == campaign_id))
    ]
    blocked_by = min(blocking, key=lambda r: (_RANK[r["kind"]], r["id"]))["name"] if blocking else None
    files = await conn.fetch(
        "SELECT DISTINCT ON (f.list_id) f.list_id, f.path, l.name FROM dnc_registry_files f"
        " JOIN dnc_lists l ON l.id = f.list_id ORDER BY f.list_id, f.id DESC"
    )
    key = int(digits)
    registries = tuple(f["name"] for f in files if registry_holds(f["path"], key))
    if blocked_by is None and registries:
        blocked_by = registries[0]
    return NumberCheck(number, campaign_id, blocked_by, entries, registries)
