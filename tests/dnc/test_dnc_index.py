"""The in-memory index agrees with a plain Python set, honours expiry, and stays small."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dnc.index import NEVER, DncIndex, SortedKeys

keys_st = st.lists(st.integers(min_value=0, max_value=10**15), max_size=300)
# clustered keys exercise full buckets and the bucket directory's edges
clustered_st = st.lists(st.integers(min_value=33_600_000_000, max_value=33_600_000_400), max_size=300)
# several dense clusters far apart (country codes, mobile blocks): segments of very different fill
_CLUSTERS = (12_000_000_000, 33_612_000_000, 84_900_000_000, 999_000_000_000_000)
multi_st = st.lists(st.tuples(st.sampled_from(_CLUSTERS), st.integers(0, 5_000)).map(sum), max_size=300)


@settings(max_examples=150, deadline=None)
@given(base=st.one_of(keys_st, clustered_st, multi_st), added=keys_st, removed=keys_st, probes=keys_st)
def test_contains_agrees_with_a_python_set_for_any_additions_and_removals(
    base, added, removed, probes
) -> None:
    index = DncIndex.build(np.array(base, dtype=np.int64))
    expected = set(base)
    for k in added:
        index = index.with_added(k)
        expected.add(k)
    for k in removed:
        index = index.with_removed(k)
        expected.discard(k)
    queries = probes + base[:50] + added[:50] + removed[:50]
    assert [index.contains(k, 0.0) for k in queries] == [k in expected for k in queries]
    assert index.contains_many(np.array(queries, dtype=np.int64), 0.0).tolist() == [
        k in expected for k in queries
    ]
    assert len(index) == len(expected)


@settings(max_examples=100, deadline=None)
@given(base=st.one_of(keys_st, clustered_st, multi_st), probes=st.one_of(keys_st, multi_st))
def test_sorted_keys_finds_exactly_the_members(base, probes) -> None:
    sk = SortedKeys.build(np.array(base, dtype=np.int64))
    queries = np.array(probes + base, dtype=np.int64)
    found, pos = sk.locate(queries)
    members = set(base)
    assert found.tolist() == [q in members for q in queries.tolist()]
    assert (sk.keys[pos[found]] == queries[found]).all()
    assert [sk.position(q) >= 0 for q in queries.tolist()] == found.tolist()


@settings(max_examples=100, deadline=None)
@given(
    entries=st.dictionaries(st.integers(0, 10**12), st.one_of(st.none(), st.floats(0, 1000))),
    now=st.floats(0, 1000),
)
def test_expired_entries_do_not_block(entries, now) -> None:
    keys = np.array(list(entries), dtype=np.int64)
    expires = np.array([math.nan if v is None else v for v in entries.values()], dtype=np.float64)
    index = DncIndex.build(keys, expires)
    expected = [v is None or v > now for v in entries.values()]
    assert [index.contains(k, now) for k in entries] == expected
    assert index.contains_many(keys, now).tolist() == expected


def test_an_addition_with_expiry_stops_blocking_when_it_expires() -> None:
    index = DncIndex.build(np.array([5], dtype=np.int64)).with_added(7, 100.0)
    assert index.contains(7, 99.9) and not index.contains(7, 100.0)
    assert index.contains_many(np.array([5, 7]), 100.0).tolist() == [True, False]


def test_a_removed_then_re_added_number_blocks_again() -> None:
    index = DncIndex.build(np.array([1, 2, 3], dtype=np.int64)).with_removed(2)
    assert not index.contains(2, 0.0)
    assert index.with_added(2, NEVER).contains(2, 0.0)


def test_the_index_takes_under_ten_bytes_per_number() -> None:
    rng = np.random.default_rng(7)
    keys = np.unique(rng.integers(10**10, 10**12, 200_000, dtype=np.int64))
    index = DncIndex.build(keys, presorted=True)
    assert index.nbytes / len(keys) < 10
    assert np.shares_memory(index.base.keys, keys)  # the key array is not copied


def test_changes_leave_the_original_index_untouched() -> None:
    index = DncIndex.build(np.array([1, 2], dtype=np.int64))
    index.with_added(3)
    index.with_removed(1)
    assert index.contains(1, 0.0) and not index.contains(3, 0.0)


def test_clustered_numbers_still_get_small_buckets() -> None:
    """A registry of mobile blocks in three countries: no bucket holds more than about a hundred keys (with
    one directory over the whole range, the dense block's buckets held some 50,000)."""
    rng = np.random.default_rng(11)
    keys = np.unique(np.concatenate([
        12_000_000_000 + rng.integers(0, 8_000_000_000, 300_000),  # +1: wide and sparse
        33_612_000_000 + rng.integers(0, 3_000_000, 300_000),  # +336: dense
        84_900_000_000 + rng.integers(0, 90_000_000, 300_000),  # +849
    ]))
    index = DncIndex.build(keys, presorted=True)
    assert 2 ** len(index.base.steps) - 1 < 128
    assert index.nbytes / len(keys) < 10
    q = np.concatenate([keys[::97], keys[::89] + 1, [0, 10**15]])
    assert index.contains_many(q, 0.0).tolist() == np.isin(q, keys).tolist()
