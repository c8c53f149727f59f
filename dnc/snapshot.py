"""All DNC lists at one moment, as indexes: the pure core the dial-time checker swaps atomically.

A ``DncSnapshot`` answers "which list, if any, blocks this number for this campaign and channel at
this time"; ``apply(change)`` returns the snapshot with one announced change (from ``NOTIFY
dnc_changed``) folded into the delta of its list, or None when the change needs a full reload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from dnc.errors import DncError
from dnc.index import NEVER, DncIndex
from dnc.lists import Channel, DncHit, DncList, consult_order
from dnc.numbers import from_key


@dataclass(frozen=True, slots=True)
class Change:
    """One announced change: ``op`` is add, remove or reload (the others carry list and key)."""

    op: str
    list_id: int = 0
    key: int = 0
    expires_s: float = NEVER


def parse_change(payload: str) -> Change:
    """The change a ``dnc_changed`` notification announces; anything unreadable asks for a reload."""
    try:
        data = json.loads(payload)
        op = data["op"]
        if op == "reload":
            return Change("reload")
        if op not in ("add", "remove"):
            raise ValueError(op)
        expires = data.get("expires_s")
        return Change(
            op, int(data["list_id"]), int(data["key"]), NEVER if expires is None else float(expires)
        )
    except (ValueError, KeyError, TypeError):
        return Change("reload")


@dataclass(frozen=True, slots=True)
class ListIndex:
    list: DncList
    index: DncIndex


@dataclass(frozen=True, slots=True)
class DncSnapshot:
    lists: tuple[ListIndex, ...]  # in consult order (internal, campaign, sms opt-out, national)
    _plans: dict[tuple[int | None, str], tuple[ListIndex, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )  # lists that apply, per (campaign, channel)

    @classmethod
    def of(cls, items: list[ListIndex]) -> DncSnapshot:
        by_id = {item.list.id: item for item in items}
        return cls(tuple(by_id[lst.id] for lst in consult_order([i.list for i in items])))

    @property
    def numbers(self) -> int:
        return sum(len(item.index) for item in self.lists)

    @property
    def nbytes(self) -> int:
        return sum(item.index.nbytes for item in self.lists)

    def applicable(self, campaign_id: int | None, channel: Channel) -> tuple[ListIndex, ...]:
        """The non-empty lists that apply to this campaign and channel, in consult order (cached)."""
        plan = self._plans.get((campaign_id, channel))
        if plan is None:
            plan = tuple(
                i
                for i in self.lists
                if i.list.applies_to(campaign_id=campaign_id, channel=channel) and not i.index.is_empty
            )
            if len(self._plans) > 10_000:
                self._plans.clear()
            self._plans[(campaign_id, channel)] = plan
        return plan

    def first_hit(
        self, key: int, *, campaign_id: int | None, channel: Channel, now_s: float
    ) -> DncHit | None:
        """The first list that blocks ``key`` for this campaign and channel at ``now_s``, or None."""
        for item in self.applicable(campaign_id, channel):
            if item.index.contains(key, now_s):
                lst = item.list
                return DncHit(from_key(key), lst.id, lst.name, lst.kind)
        return None

    def blocking_lists(
        self, keys: np.ndarray, *, campaign_id: int | None, channel: Channel, now_s: float
    ) -> np.ndarray:
        """For each key: the position in ``lists`` of the first list that blocks it, or -1."""
        q = np.asarray(keys, dtype=np.int64)
        out = np.full(len(q), -1, dtype=np.int64)
        plan = {id(item) for item in self.applicable(campaign_id, channel)}
        for pos, item in enumerate(self.lists):
            if id(item) not in plan:
                continue
            open_ = np.flatnonzero(out < 0)
            if len(open_) == 0:
                break
            hit = item.index.contains_many(q[open_], now_s)
            out[open_[hit]] = pos
        return out

    def apply(self, change: Change) -> DncSnapshot | None:
        """This snapshot with ``change`` in its list's delta; None if it needs a reload (or names no list)."""
        if change.op == "reload":
            return None
        items = list(self.lists)
        for i, item in enumerate(items):
            if item.list.id == change.list_id:
                if change.op == "add":
                    index = item.index.with_added(change.key, change.expires_s)
                elif change.op == "remove":
                    index = item.index.with_removed(change.key)
                else:  # pragma: no cover - parse_change only makes the three ops
                    raise DncError(f"unknown DNC change {change.op!r}")
                items[i] = ListIndex(item.list, index)
                return DncSnapshot(tuple(items))
        return None
