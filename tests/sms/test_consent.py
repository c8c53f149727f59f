"""SMS consent fails closed: never a message to a blocked number, never outside the recipient's window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.windows import FRANCE, US, WindowProfile
from dnc import repository as dnc_repo
from dnc.lists import DncHit, ListKind
from sms.consent import UNKNOWN, Verdict, decide, recipient_zones, sms_blocks

ZONES = ("America/New_York", "America/Los_Angeles", "Asia/Ho_Chi_Minh", "Europe/Paris", "Pacific/Chatham",
         "Australia/Lord_Howe", "America/St_Johns", "Asia/Kathmandu", "UTC")
NOW = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


@st.composite
def windows(draw: st.DrawFn) -> WindowProfile:
    if draw(st.booleans()):
        return draw(st.sampled_from((US, FRANCE)))
    days = []
    for _ in range(7):
        start = draw(st.integers(0, 1439))
        end = draw(st.integers(start + 1, 1440))
        days.append(((start, end),) if draw(st.booleans()) else ())
    return WindowProfile("custom", tuple(days))


def open_by_hand(window: WindowProfile, zone_name: str, at: datetime) -> bool:
    """An independent reading of the window: the local wall clock, minute by minute."""
    local = at.astimezone(ZoneInfo(zone_name))
    if window.closed_on(local.date()):
        return False
    minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6
    return any(a <= minute < b for a, b in window.weekly[local.weekday()])


HITS = st.builds(DncHit, number=st.just("+84912345678"), list_id=st.integers(1, 9),
                 list_name=st.sampled_from(("sms_optout", "internal", "camp-7")), kind=st.sampled_from(ListKind))


@given(hit=HITS, window=st.one_of(st.none(), windows()),
       zones=st.lists(st.sampled_from(ZONES), max_size=3), now=NOW)
@settings(max_examples=300, deadline=None)
def test_never_a_message_to_a_number_on_a_list_that_blocks_sms(hit: DncHit, window: WindowProfile | None,
                                                                zones: list[str], now: datetime) -> None:
    consent = decide(number=hit.number, block=hit, window=window, zones=zones, now=now)
    assert consent.verdict is Verdict.REFUSE
    assert consent.reason is not None
    assert consent.reason.code == ("sms_opted_out" if hit.kind is ListKind.SMS_OPTOUT else "sms_dnc")
    assert consent.reason.params["list"] == hit.list_name


@given(window=windows(), zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True), now=NOW)
@settings(max_examples=400, deadline=None)
def test_never_a_message_outside_the_window_in_any_of_the_recipients_zones(
        window: WindowProfile, zones: list[str], now: datetime) -> None:
    consent = decide(number="+14155550100", block=None, window=window, zones=zones, now=now)
    if consent.verdict is Verdict.SEND:
        assert all(open_by_hand(window, z, now) for z in zones)
    elif consent.verdict is Verdict.DEFER:
        assert consent.reason is not None and consent.reason.code == "sms_quiet_hours"
        assert consent.retry_at is not None and consent.retry_at > now
        assert not all(open_by_hand(window, z, now) for z in zones)
        assert all(open_by_hand(window, z, consent.retry_at) for z in zones), "deferred to a closed moment"
    else:   # refused only when the window never opens everywhere within its horizon
        assert consent.reason is not None and consent.reason.code == "sms_quiet_hours"
        assert consent.retry_at is None


@given(now=NOW)
def test_a_message_inside_the_window_everywhere_goes(now: datetime) -> None:
    always = WindowProfile("always", tuple(((0, 1440),) for _ in range(7)))
    assert decide(number="+14155550100", block=None, window=always, zones=ZONES, now=now).ok


def test_unknown_lists_an_unknown_zone_and_no_zone_at_all_refuse() -> None:
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    unknown = decide(number="+14155550100", block=UNKNOWN, window=US, zones=("America/New_York",), now=now)
    assert unknown.verdict is Verdict.REFUSE and unknown.reason is not None
    assert unknown.reason.code == "sms_dnc_unknown"
    bad_zone = decide(number="+14155550100", block=None, window=US, zones=("Mars/Olympus_Mons",), now=now)
    assert bad_zone.verdict is Verdict.REFUSE and bad_zone.reason is not None
    assert bad_zone.reason.code == "sms_no_zone" and "Mars/Olympus_Mons" in bad_zone.reason
    bad_zone_no_window = decide(number="+14155550100", block=None, window=None, zones=("Nowhere/X",), now=now)
    assert bad_zone_no_window.verdict is Verdict.REFUSE
    assert decide(number="+14155550100", block=None, window=US, zones=(), now=now).verdict is Verdict.REFUSE


def test_quiet_hours_defer_to_the_morning_in_the_recipients_zone() -> None:
    late = datetime(2026, 3, 4, 3, 30, tzinfo=UTC)          # 22:30 in New York (EST)
    consent = decide(number="+12125550100", block=None, window=US, zones=("America/New_York",), now=late)
    assert consent.verdict is Verdict.DEFER
    assert consent.retry_at == datetime(2026, 3, 4, 13, 0, tzinfo=UTC)   # 08:00 EST
    assert str(consent.reason) == "outside the us hours in America/New_York"


def test_the_lead_zones_win_over_the_campaign_zone() -> None:
    assert recipient_zones(("Asia/Ho_Chi_Minh",), "UTC") == ("Asia/Ho_Chi_Minh",)
    assert recipient_zones((), "Europe/Paris") == ("Europe/Paris",)
    assert recipient_zones((), None) == ()


async def _campaign(conn: asyncpg.Connection, name: str) -> int:
    return await conn.fetchval("INSERT INTO campaigns (name, trunk_template) VALUES ($1, 'PJSIP/{number}@t')"
                               " RETURNING id", name)


async def test_sms_blocks_reads_opt_outs_internal_and_the_campaigns_own_lists_but_not_national(
        db_pool: asyncpg.Pool) -> None:
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    async with db_pool.acquire() as conn:
        mine, other = await _campaign(conn, "mine"), await _campaign(conn, "other")
        await dnc_repo.create_list(conn, name="camp-mine", kind=ListKind.CAMPAIGN, actor="t", now=now,
                                   campaign_id=mine)
        await dnc_repo.create_list(conn, name="camp-other", kind=ListKind.CAMPAIGN, actor="t", now=now,
                                   campaign_id=other)
        await dnc_repo.create_list(conn, name="national", kind=ListKind.NATIONAL, actor="t", now=now)
        entries = {"+84900000001": "sms_optout", "+84900000002": "internal", "+84900000003": "camp-mine",
                   "+84900000004": "camp-other", "+84900000005": "national"}
        for number, list_name in entries.items():
            await dnc_repo.add_entry(conn, list_name=list_name, number=number, actor="t", reason="test", now=now)
        await dnc_repo.add_entry(conn, list_name="sms_optout", number="+84900000006", actor="t", reason="test",
                                 now=now - timedelta(days=2), expires_at=now - timedelta(days=1))
        await dnc_repo.add_entry(conn, list_name="sms_optout", number="+84900000002", actor="t", reason="x", now=now)
        numbers = [*entries, "+84900000006", "+84900000007"]
        blocked = await sms_blocks(conn, numbers, campaign_id=mine, now=now)
    assert {n: (h.list_name, h.kind) for n, h in blocked.items()} == {
        "+84900000001": ("sms_optout", ListKind.SMS_OPTOUT),
        "+84900000002": ("internal", ListKind.INTERNAL),        # internal is consulted first
        "+84900000003": ("camp-mine", ListKind.CAMPAIGN),
    }
