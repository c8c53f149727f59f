"""The in-memory DNC index: sorted int64 keys with a bucket directory, expiry, and a small delta.

``SortedKeys`` holds unique int64 keys (E.164 digits) in one sorted array plus a two-level directory.
The key range is cut into 2**shift-wide segments (about one per 64 keys); each segment is cut into its
own power-of-two number of buckets, chosen from how many keys it holds (about 4-8 keys a bucket), so
numbers clustered by country and range (a registry's mobile blocks, the gaps between country codes)
still get small buckets. ``directory[b]`` is the position of the first key of bucket ``b`` (the buckets of
all segments in key order); ``seg_base[s]`` is segment ``s``'s first bucket and ``seg_shift[s]`` its bucket
width. A lookup finds its bucket in O(1) and searches a few keys, one or two cache lines. Memory: 8
bytes per key plus about 1 (the directory, a uint32 per 4-8 keys, and 9 bytes per segment), no Python
object per key.

``DncIndex`` is one list: the base keys (optionally with an expiry per key), plus recent additions (with
expiry) and removals that override the base until the next rebuild. Every method is pure; changes
return a new index, so a reader holding the old one is never disturbed.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

NEVER = math.inf  # expiry of an entry that never expires (epoch seconds)
_TARGET_BUCKET = 8  # keys per bucket the directory aims at (between 4 and 8 in each segment)
_KEYS_PER_SEGMENT = 64  # keys per segment on average (9 bytes of segment table each)
_CHUNK = 1 << 13  # batch lookups run in chunks whose scratch arrays stay in cache


@dataclass(frozen=True, slots=True)
class SortedKeys:
    """Unique int64 keys, sorted, with a two-level bucket directory for O(1)-ish lookups."""

    keys: np.ndarray  # int64, sorted, unique (may be a read-only memory map)
    directory: np.ndarray  # uint32 (or int64), len buckets + 1
    low: int  # smallest key (segment 0 starts here)
    shift: int  # segment width is 2**shift
    seg_base: np.ndarray  # int64 per segment: its first bucket
    seg_shift: np.ndarray  # uint8 per segment: its buckets are 2**seg_shift wide
    steps: tuple[int, ...]  # powers of two covering the largest bucket, descending
    _keys_view: memoryview = field(repr=False, compare=False)
    _dir_view: memoryview = field(repr=False, compare=False)
    _base_view: memoryview = field(repr=False, compare=False)
    _seg_shift_view: memoryview = field(repr=False, compare=False)

    @classmethod
    def build(cls, keys: np.ndarray, *, presorted: bool = False) -> SortedKeys:
        """The index of ``keys`` (sorted and deduplicated unless ``presorted`` says they already are)."""
        arr = np.asarray(keys, dtype=np.int64)
        if not presorted:
            arr = np.unique(arr)
        if arr.ndim != 1:
            raise ValueError("keys must be one-dimensional")
        if len(arr) and int(arr[0]) < 0:
            raise ValueError("keys must not be negative")
        arr = np.ascontiguousarray(arr)
        n = len(arr)
        if n == 0:
            return cls._assemble(arr, np.zeros(2, dtype=np.uint32), 0, 0, np.zeros(1, dtype=np.int64),
                                 np.zeros(1, dtype=np.uint8), ())
        low = int(arr[0])
        span = int(arr[-1]) - low + 1
        shift = (span // max(1, n // _KEYS_PER_SEGMENT)).bit_length()
        segments = ((span - 1) >> shift) + 1
        per_segment = _bincount_sorted(arr, low, lambda off: off >> shift, segments)
        wanted = (per_segment + _TARGET_BUCKET - 1) // _TARGET_BUCKET  # buckets wanted, at least 0
        bits = np.frexp(np.maximum(wanted - 1, 0).astype(np.float64))[1].astype(np.int64)  # ceil(log2)
        np.minimum(bits, shift, out=bits)  # a bucket is at least one key value wide
        seg_shift = (shift - bits).astype(np.uint8)
        seg_buckets = np.left_shift(np.int64(1), bits)
        seg_base = np.zeros(segments, dtype=np.int64)
        np.cumsum(seg_buckets[:-1], out=seg_base[1:])
        buckets = int(seg_base[-1] + seg_buckets[-1])

        def bucket(off: np.ndarray) -> np.ndarray:
            seg = off >> shift
            return seg_base[seg] + ((off - (seg << shift)) >> seg_shift[seg])

        counts = _bincount_sorted(arr, low, bucket, buckets)
        dtype = np.uint32 if n < 2**32 else np.int64
        directory = np.empty(buckets + 1, dtype=dtype)
        directory[0] = 0
        np.cumsum(counts, out=directory[1:], dtype=dtype)
        largest = int(counts.max())
        steps = tuple(1 << k for k in range(largest.bit_length() - 1, -1, -1))
        return cls._assemble(arr, directory, low, shift, seg_base, seg_shift, steps)

    @classmethod
    def _assemble(cls, arr: np.ndarray, directory: np.ndarray, low: int, shift: int, seg_base: np.ndarray,
                  seg_shift: np.ndarray, steps: tuple[int, ...]) -> SortedKeys:
        return cls(arr, directory, low, shift, seg_base, seg_shift, steps, arr.data, directory.data,
                   seg_base.data, seg_shift.data)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.directory.nbytes + self.seg_base.nbytes + self.seg_shift.nbytes)

    def position(self, key: int) -> int:
        """Position of ``key`` in ``keys``, or -1 when absent."""
        off = key - self.low
        seg = off >> self.shift
        if off < 0 or seg >= len(self._base_view):
            return -1
        b = self._base_view[seg] + ((off - (seg << self.shift)) >> self._seg_shift_view[seg])
        end = self._dir_view[b + 1]
        i = bisect.bisect_left(self._keys_view, key, self._dir_view[b], end)
        return i if i < end and self._keys_view[i] == key else -1

    def __contains__(self, key: int) -> bool:
        return self.position(key) >= 0

    def locate(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each query: (found, position); position is only meaningful where found.

        Branch-free search per query, in chunks whose scratch arrays stay in cache: ``pos`` starts at
        the bucket's first key and moves to ``min(pos + step, bucket end)`` while that key is <= the
        query, for the power-of-two steps covering the largest bucket. Memory-bound: about one cache
        miss in the directory and two in the keys per query.
        """
        q = np.ascontiguousarray(queries, dtype=np.int64)
        n = len(q)
        found = np.zeros(n, dtype=bool)
        positions = np.zeros(n, dtype=np.int64)
        if len(self.keys) == 0 or n == 0:
            return found, positions
        keys, first, after = self.keys, self.directory[:-1], self.directory[1:]
        segments = len(self.seg_base)
        size = min(_CHUNK, n)
        b, pos, top, cand, probe, off = (np.empty(size, dtype=np.int64) for _ in range(6))
        hit, inside = np.empty(size, dtype=bool), np.empty(size, dtype=bool)
        for start in range(0, n, size):
            qc = q[start : start + size]
            k = len(qc)
            bk, pk, tk, ck, gk, hk, ik = b[:k], pos[:k], top[:k], cand[:k], probe[:k], hit[:k], inside[:k]
            ok = off[:k]
            np.subtract(qc, self.low, out=ok)
            np.right_shift(ok, self.shift, out=bk)  # the segment
            np.less(bk.view(np.uint64), segments, out=ik)  # a negative segment is huge as unsigned
            np.clip(bk, 0, segments - 1, out=bk)
            np.left_shift(bk, self.shift, out=ck)
            np.subtract(ok, ck, out=ok)  # offset inside the segment (garbage outside: ik is False)
            np.right_shift(ok, np.take(self.seg_shift, bk), out=ok)
            np.take(self.seg_base, bk, out=bk)
            np.add(bk, ok, out=bk)  # the bucket
            np.clip(bk, 0, len(first) - 1, out=bk)
            pk[:] = first[bk]
            tk[:] = after[bk]
            tk -= 1  # last position of the bucket (first - 1 when it is empty)
            for step in self.steps:
                np.add(pk, step, out=ck)
                np.minimum(ck, tk, out=ck)
                np.take(keys, ck, out=gk, mode="clip")
                np.less_equal(gk, qc, out=hk)
                np.copyto(pk, ck, where=hk)
            np.take(keys, pk, out=gk, mode="clip")
            np.equal(gk, qc, out=hk)
            hk &= ik
            found[start : start + k] = hk
            positions[start : start + k] = pk
        return found, positions


_EMPTY_KEYS = np.zeros(0, dtype=np.int64)
_EMPTY_TIMES = np.zeros(0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class DncIndex:
    """One list's numbers at a point in time: base keys plus a small delta of recent changes."""

    base: SortedKeys
    base_expires_s: np.ndarray | None  # float64 epoch seconds per base key (NEVER), None: none expire
    added: Mapping[int, float]  # key -> expiry (epoch s, NEVER); overrides the base
    removed: frozenset[int]  # keys removed since the base was built
    _added_keys: np.ndarray = field(repr=False, compare=False)
    _added_expires: np.ndarray = field(repr=False, compare=False)
    _removed_keys: np.ndarray = field(repr=False, compare=False)

    @classmethod
    def build(
        cls,
        keys: np.ndarray,
        expires_s: np.ndarray | None = None,
        *,
        presorted: bool = False,
        added: Mapping[int, float] | None = None,
        removed: frozenset[int] = frozenset(),
    ) -> DncIndex:
        """An index of ``keys`` (with optional parallel expiry times, NaN or inf for never) and a delta."""
        keys = np.asarray(keys, dtype=np.int64)
        exp: np.ndarray | None = None
        if expires_s is not None:
            exp = np.asarray(expires_s, dtype=np.float64)
            if exp.shape != keys.shape:
                raise ValueError("expires_s must have one value per key")
            exp = np.where(np.isnan(exp), NEVER, exp)
            if not presorted:
                order = np.argsort(keys, kind="stable")
                keys, exp = keys[order], exp[order]
                # keep the last expiry given for a duplicated key, then drop duplicates
                last = np.ones(len(keys), dtype=bool)
                last[:-1] = keys[1:] != keys[:-1]
                keys, exp = keys[last], exp[last]
                presorted = True
            if np.all(exp == NEVER):
                exp = None
        base = SortedKeys.build(keys, presorted=presorted)
        return cls.with_base(base, exp, added=added or {}, removed=removed)

    @classmethod
    def with_base(
        cls,
        base: SortedKeys,
        base_expires_s: np.ndarray | None = None,
        *,
        added: Mapping[int, float] | None = None,
        removed: frozenset[int] = frozenset(),
    ) -> DncIndex:
        """An index over an already built ``base`` (shared, not copied) and a delta."""
        add = dict(added or {})
        rem = frozenset(removed) - add.keys()
        added_keys = np.array(sorted(add), dtype=np.int64) if add else _EMPTY_KEYS
        added_expires = (
            np.array([add[k] for k in added_keys.tolist()], dtype=np.float64) if add else _EMPTY_TIMES
        )
        removed_keys = np.array(sorted(rem), dtype=np.int64) if rem else _EMPTY_KEYS
        return cls(base, base_expires_s, add, rem, added_keys, added_expires, removed_keys)

    @classmethod
    def empty(cls) -> DncIndex:
        return cls.build(_EMPTY_KEYS, presorted=True)

    def __len__(self) -> int:
        """Keys held (base plus additions, minus removals), expired ones included."""
        extra = sum(1 for k in self.added if self.base.position(k) < 0)
        gone = sum(1 for k in self.removed if self.base.position(k) >= 0)
        return len(self.base) + extra - gone

    @property
    def nbytes(self) -> int:
        exp = 0 if self.base_expires_s is None else int(self.base_expires_s.nbytes)
        delta = self._added_keys.nbytes + self._added_expires.nbytes + self._removed_keys.nbytes
        return self.base.nbytes + exp + int(delta)

    @property
    def is_empty(self) -> bool:
        """No keys at all (so no lookup is needed)."""
        return len(self.base.keys) == 0 and not self.added

    def contains(self, key: int, now_s: float) -> bool:
        """Whether ``key`` is on the list and not expired at ``now_s`` (epoch seconds)."""
        if self.added:
            expiry = self.added.get(key)
            if expiry is not None:
                return expiry > now_s
        if self.removed and key in self.removed:
            return False
        base = self.base  # SortedKeys.position, inlined: this is the dial-time path
        off = key - base.low
        seg = off >> base.shift
        if off < 0 or seg >= len(base._base_view):
            return False
        b = base._base_view[seg] + ((off - (seg << base.shift)) >> base._seg_shift_view[seg])
        directory = base._dir_view
        end = directory[b + 1]
        keys = base._keys_view
        i = bisect.bisect_left(keys, key, directory[b], end)
        if i >= end or keys[i] != key:
            return False
        return self.base_expires_s is None or float(self.base_expires_s[i]) > now_s

    def contains_many(self, keys: np.ndarray, now_s: float) -> np.ndarray:
        """A bool array: ``contains(k, now_s)`` for each of ``keys``."""
        q = np.asarray(keys, dtype=np.int64)
        found, pos = self.base.locate(q)
        if self.base_expires_s is not None:
            found &= self.base_expires_s[pos] > now_s
        if len(self._removed_keys):
            found &= ~_members(self._removed_keys, q)[0]
        if len(self._added_keys):
            hit, where = _members(self._added_keys, q)
            found[hit] = self._added_expires[where[hit]] > now_s
        return found

    def with_added(self, key: int, expires_s: float = NEVER) -> DncIndex:
        """This index with ``key`` added (or its expiry changed)."""
        added = dict(self.added)
        added[key] = expires_s
        return DncIndex.with_base(self.base, self.base_expires_s, added=added, removed=self.removed - {key})

    def with_removed(self, key: int) -> DncIndex:
        """This index without ``key``."""
        added = {k: v for k, v in self.added.items() if k != key}
        return DncIndex.with_base(self.base, self.base_expires_s, added=added, removed=self.removed | {key})


def _members(small_sorted: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(is member, position) of each query in a small sorted array."""
    where = np.searchsorted(small_sorted, q)
    np.minimum(where, len(small_sorted) - 1, out=where)
    return small_sorted[where] == q, where


def _bincount_sorted(arr: np.ndarray, low: int, to_bin: Callable[[np.ndarray], np.ndarray], bins: int) -> np.ndarray:
    """How many of sorted ``arr`` fall in each bin, where ``to_bin(key - low)`` is non-decreasing."""
    counts = np.zeros(bins, dtype=np.int64)
    chunk = 1 << 23
    for start in range(0, len(arr), chunk):
        part = to_bin(arr[start : start + chunk] - low)
        first = int(part[0])
        counts[first : int(part[-1]) + 1] += np.bincount(part - first)
    return counts
