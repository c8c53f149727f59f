"""A file's time-zone column: kept when it means exactly one zone consistent with the number, else flagged.

An offset (``UTC-5``, ``GMT+7``, ``+07:00``), an abbreviation (``PST``, ``ICT``, ``CET``) or a misspelt or
wrongly cased name (``Asia/Ho_Chi_Min``) is read as the zones it may mean; the lead takes the one of them
that its number (or postal code) allows. When none or several fit, the value is never silently replaced:
the lead takes its number's zones and carries a flag saying why, which the import report shows.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from campaigns import jobs, repository
from campaigns.model import Campaign, CampaignState
from campaigns.timezones import LeadZones, lead_zones, zone_candidates

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
HCM, NEW_YORK, CHICAGO, SHANGHAI = "Asia/Ho_Chi_Minh", "America/New_York", "America/Chicago", "Asia/Shanghai"


@pytest.mark.parametrize(("value", "number_zones", "zone"), [
    ("UTC-5", (NEW_YORK,), NEW_YORK),
    ("GMT-05:00", (NEW_YORK,), NEW_YORK),
    ("GMT+7", (HCM,), HCM),
    ("+07:00", (HCM,), HCM),
    ("+0700", (HCM,), HCM),
    ("UTC+8", (SHANGHAI,), SHANGHAI),
    ("PST", ("America/Los_Angeles",), "America/Los_Angeles"),
    ("ICT", (HCM,), HCM),
    ("CET", ("Europe/Prague",), "Europe/Prague"),
    ("CEST", ("Europe/Paris",), "Europe/Paris"),
    ("MSK", ("Europe/Moscow",), "Europe/Moscow"),
    ("CST", (SHANGHAI,), SHANGHAI),             # China Standard Time for a Chinese number ...
    ("CST", (CHICAGO,), CHICAGO),               # ... Central Standard Time for a Chicago one
    ("EST", (NEW_YORK,), NEW_YORK),             # not the fixed legacy zone "EST" (no summer time)
    ("Asia/Ho_Chi_Min", (HCM,), HCM),           # misspelt
    ("asia/ho_chi_minh", (HCM,), HCM),          # case
    ("ASIA/HO CHI MINH", (HCM,), HCM),
    ("Ho_Chi_Minh", (HCM,), HCM),
    ("America/Chicago", (NEW_YORK,), CHICAGO),  # an IANA name is the file's word, taken as written
])
def test_a_zone_value_that_means_one_zone_of_the_number_is_accepted(value: str, number_zones: tuple[str, ...],
                                                                     zone: str) -> None:
    assert lead_zones(own_zone=value, number_zones=number_zones) == LeadZones((zone,))


@pytest.mark.parametrize(("value", "number_zones", "why"), [
    ("UTC", (HCM,), "time zone 'UTC' does not match the number's zone; the number's zone (Asia/Ho_Chi_Minh) is used"),
    ("UTC-5", (HCM,), "does not match the number's zone"),
    ("PST", (HCM,), "does not match the number's zone"),
    ("Asia/Ho_Chi_Min", (NEW_YORK,), "does not match the number's zone"),
    ("asia/shanghai", (HCM,), "does not match the number's zone"),
    ("Mars/Olympus", (HCM,), "time zone 'Mars/Olympus' is not a known time zone"),
    ("soon", (HCM,), "is not a known time zone"),
    ("UTC-5", (NEW_YORK, "America/Toronto"), "may be any of 2 zones"),   # a toll-free number: both fit
    ("UTC-5", (), "may be any of"),                                       # no zone from the number
])
def test_a_zone_value_that_fits_none_or_several_zones_is_flagged_and_the_number_decides(
        value: str, number_zones: tuple[str, ...], why: str) -> None:
    found = lead_zones(own_zone=value, number_zones=number_zones)
    assert found.zones == number_zones and why in found.flag


def test_the_postal_code_narrows_the_zones_a_value_must_fit() -> None:
    # a US number valid anywhere in the country, a New York ZIP code: "UTC-5" is New York
    anywhere = (NEW_YORK, CHICAGO, "America/Denver", "America/Los_Angeles")
    assert lead_zones(own_zone="UTC-5", postal_code="10001", region="US", number_zones=anywhere) == \
        LeadZones((NEW_YORK,))
    flagged = lead_zones(own_zone="PST", postal_code="10001", region="US", number_zones=anywhere)
    assert flagged.zones == (NEW_YORK,) and "does not match the postal code's zone" in flagged.flag


def test_no_value_and_no_postal_code_keep_the_number_zones_without_a_flag() -> None:
    assert lead_zones(number_zones=(HCM,)) == LeadZones((HCM,))
    assert zone_candidates("GMT+7") == zone_candidates("UTC+07:00")
    assert HCM in zone_candidates("GMT+7") and "Asia/Bangkok" in zone_candidates("ICT")


# --- through the import: the flag on the lead and in the report ----------------------------------------

async def test_an_import_keeps_the_zones_it_can_read_and_reports_the_others(
        db_pool: asyncpg.Pool, tmp_path: Path) -> None:
    campaign = await repository.create_campaign(db_pool, campaign=Campaign(
        id=0, name="Chăm sóc", trunk_template="PJSIP/{number}@carrier", state=CampaignState.RUNNING,
        default_region="VN", timezone="Asia/Ho_Chi_Minh"))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([
        ["Phone", "Time zone"],
        ["0912345678", "GMT+7"],                 # line 2: Vietnam is UTC+7
        ["0912345679", "Asia/Ho_Chi_Min"],       # line 3: misspelt
        ["+12125550123", "EST"],                 # line 4: New York
        ["0912345680", "UTC"],                   # line 5: not Vietnam's zone: flagged
        ["+8613812345678", "EST"],               # line 6: not China's: flagged
        ["0912345681", ""],                      # line 7: none given
    ])
    path = tmp_path / "zones.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    async with db_pool.acquire() as conn:
        lst = await repository.create_list(conn, campaign_id=campaign.id, name="zones", source_filename=path.name)
        counts = await jobs.run_import(conn, campaign_id=campaign.id, list_id=lst.id, path=path, now=NOW, workers=1)
        report = "".join([piece async for piece in jobs.rejects_csv(conn, list_id=lst.id)])
    assert (counts["imported"], counts["rejected"], counts[jobs.ZONE_FLAGGED]) == (6, 0, 2)
    rows = await db_pool.fetch("SELECT phone_e164, timezones, timezone_flag FROM leads WHERE campaign_id = $1"
                               " ORDER BY id", campaign.id)
    assert [(r["phone_e164"], r["timezones"], r["timezone_flag"].split(";")[0]) for r in rows] == [
        ("+84912345678", [HCM], ""),
        ("+84912345679", [HCM], ""),
        ("+12125550123", [NEW_YORK], ""),
        ("+84912345680", [HCM], "time zone 'UTC' does not match the number's zone"),
        ("+8613812345678", [SHANGHAI], "time zone 'EST' does not match the number's zone"),
        ("+84912345681", [HCM], ""),
    ]
    lines = list(csv.DictReader(io.StringIO(report)))
    assert [(r["line"], r["kind"], r["raw"].lstrip("'")) for r in lines] == [      # "'": a safe export
        ("5", "timezone_flagged", "0912345680,UTC"), ("6", "timezone_flagged", "+8613812345678,EST")]
    assert lines[0]["reason"] == ("time zone 'UTC' does not match the number's zone; the number's zone "
                                  "(Asia/Ho_Chi_Minh) is used")
