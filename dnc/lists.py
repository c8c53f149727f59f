"""DNC domain values: list kinds, lists, entries, audit records, hits, and which lists apply where.

A number on an ``internal`` or ``national`` list may not be called by any campaign; a ``campaign``
list blocks calls of its own campaign only; an ``sms_optout`` list blocks text messages (of every
campaign), not calls. Internal lists block text messages too.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Channel = Literal["call", "sms"]


class ListKind(str, enum.Enum):
    INTERNAL = "internal"
    NATIONAL = "national"
    CAMPAIGN = "campaign"
    SMS_OPTOUT = "sms_optout"


# The order in which lists are consulted (and so which list a hit names when several block a number).
KIND_ORDER = {ListKind.INTERNAL: 0, ListKind.CAMPAIGN: 1, ListKind.SMS_OPTOUT: 2, ListKind.NATIONAL: 3}


@dataclass(frozen=True, slots=True)
class DncList:
    id: int
    name: str
    kind: ListKind
    campaign_id: int | None
    created_at: datetime

    def applies_to(self, *, campaign_id: int | None, channel: Channel = "call") -> bool:
        """Whether this list blocks ``channel`` contacts made for ``campaign_id`` (None: no campaign)."""
        if self.kind is ListKind.CAMPAIGN:
            return campaign_id is not None and self.campaign_id == campaign_id
        if self.kind is ListKind.SMS_OPTOUT:
            return channel == "sms"
        if self.kind is ListKind.NATIONAL:
            return channel == "call"
        return True


def consult_order(lists: list[DncList] | tuple[DncList, ...]) -> tuple[DncList, ...]:
    """``lists`` in the order they are consulted: by kind, then by id."""
    return tuple(sorted(lists, key=lambda lst: (KIND_ORDER[lst.kind], lst.id)))


@dataclass(frozen=True, slots=True)
class DncEntry:
    list_name: str
    number: str  # E.164
    added_by: str
    reason: str
    added_at: datetime
    expires_at: datetime | None
    reason_code: str = ""      # the reason as a dialer.reasons code and its parameters (JSON) when the product
    reason_params: str = ""    # wrote it (an import): pages say it in the reader's language; else "" (typed)

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str  # add, remove, import, scrub, create_list
    list_name: str | None
    number: str | None
    reason: str
    details: dict[str, Any]
    reason_code: str = ""      # as DncEntry's
    reason_params: str = ""


@dataclass(frozen=True, slots=True)
class DncHit:
    """Why a number may not be contacted: the list that blocks it."""

    number: str
    list_id: int
    list_name: str
    kind: ListKind

    @property
    def label(self) -> str:
        return f"{self.list_name} ({self.kind.value})"


@dataclass(frozen=True, slots=True)
class RegistryFile:
    """A national registry imported into a sorted int64 ``.npy`` file."""

    list_id: int
    path: str
    count: int
    sha256: str
    imported_at: datetime
    imported_by: str


@dataclass(frozen=True, slots=True)
class ListSummary:
    list: DncList
    entries: int  # rows (active or not)
    registry_count: int  # numbers in its newest registry file (0 if none)
