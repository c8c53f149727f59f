"""All lists together: which list blocks a number for a campaign and channel, single and batch alike."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dnc.index import DncIndex
from dnc.lists import DncList, ListKind
from dnc.snapshot import Change, DncSnapshot, ListIndex, parse_change

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KINDS = list(ListKind)

list_st = st.tuples(
    st.sampled_from(KINDS),
    st.integers(1, 3),  # campaign of a campaign list
    st.sets(st.integers(33600000000, 33600000050), max_size=20),
)


def make(specs: list[tuple[ListKind, int, set[int]]]) -> DncSnapshot:
    items = []
    for i, (kind, campaign, keys) in enumerate(specs, start=1):
        lst = DncList(i, f"l{i}", kind, campaign if kind is ListKind.CAMPAIGN else None, T0)
        items.append(ListIndex(lst, DncIndex.build(np.array(sorted(keys), dtype=np.int64))))
    return DncSnapshot.of(items)


@settings(max_examples=150, deadline=None)
@given(
    specs=st.lists(list_st, max_size=5),
    campaign=st.one_of(st.none(), st.integers(1, 3)),
    channel=st.sampled_from(["call", "sms"]),
)
def test_single_and_batch_checks_agree_with_the_list_rules(specs, campaign, channel) -> None:
    snap = make(specs)
    probes = list(range(33600000000, 33600000052))
    batch = snap.blocking_lists(np.array(probes), campaign_id=campaign, channel=channel, now_s=0.0)
    for key, pos in zip(probes, batch.tolist(), strict=True):
        hit = snap.first_hit(key, campaign_id=campaign, channel=channel, now_s=0.0)
        blocking = [
            item.list
            for item in snap.lists
            if item.list.applies_to(campaign_id=campaign, channel=channel) and item.index.contains(key, 0.0)
        ]
        assert (hit is None) == (not blocking) == (pos < 0)
        if hit is not None:
            assert hit.list_id == blocking[0].id == snap.lists[pos].list.id
            assert hit.kind is not ListKind.SMS_OPTOUT or channel == "sms"
            assert hit.kind is not ListKind.NATIONAL or channel == "call"


def test_internal_lists_are_named_before_national_ones() -> None:
    snap = make([(ListKind.NATIONAL, 1, {33612345678}), (ListKind.INTERNAL, 1, {33612345678})])
    hit = snap.first_hit(33612345678, campaign_id=None, channel="call", now_s=0.0)
    assert hit is not None and hit.kind is ListKind.INTERNAL


def test_a_change_for_an_unknown_list_or_an_unreadable_payload_asks_for_a_reload() -> None:
    snap = make([(ListKind.INTERNAL, 1, set())])
    assert snap.apply(Change("add", 99, 33612345678)) is None
    assert parse_change("not json").op == "reload"
    assert parse_change('{"op": "drop"}').op == "reload"
    change = parse_change('{"op": "add", "list_id": 1, "key": 33612345678, "expires_s": null}')
    updated = snap.apply(change)
    assert updated is not None and updated.first_hit(33612345678, campaign_id=None, channel="call", now_s=0.0)
    assert (
        snap.first_hit(33612345678, campaign_id=None, channel="call", now_s=0.0) is None
    )  # old one unchanged
