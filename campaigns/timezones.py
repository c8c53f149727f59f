"""A lead's possible time zones: its own column, else its postal code, else its number (all zones kept).

Postal-code coverage (documented, approximate where a prefix straddles a boundary, in which case
every zone it touches is returned so the most restrictive wins):
- US: the first three digits of the ZIP code (state prefix ranges, with split states such as
  Florida's panhandle, Tennessee, Kentucky, Indiana, Michigan's Upper Peninsula, the Dakotas,
  Nebraska, Kansas, Texas' El Paso, Idaho and Oregon given both zones); Puerto Rico, Hawaii, Alaska, Guam.
- FR: metropolitan departments and Corsica -> Europe/Paris; overseas 971-988 to their own zones.
Other countries: no postal mapping; the number (or the campaign's zone) decides.

The file's own zone value (``lead_zones``): an IANA name is taken as written. Anything else (an offset
such as ``UTC-5``, ``GMT+7`` or ``+07:00``; an abbreviation such as ``PST``, ``ICT``, ``CET``, ``UTC``;
a misspelt or wrongly cased name such as ``Asia/Ho_Chi_Min``) is read as the set of zones it may mean
and kept only when exactly one of them is among the lead's zones from its postal code or else its
number. Otherwise the value is not used: the lead keeps the zones of its postal code or number and
carries a flag saying why (``LeadZones.flag``), shown in the import report. Offsets are compared with
each zone's standard and summer offsets of ``REFERENCE_YEAR``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

from campaigns.windows import is_zone
from dialer.reasons import reason

EASTERN, CENTRAL, MOUNTAIN, PACIFIC = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
PHOENIX, ANCHORAGE, HONOLULU, PUERTO_RICO = "America/Phoenix", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico"

# (first prefix, last prefix, zones): ZIP3 ranges, first match wins.
_US_ZIP3: tuple[tuple[int, int, tuple[str, ...]], ...] = (
    (5, 5, (EASTERN,)), (6, 9, (PUERTO_RICO,)), (10, 199, (EASTERN,)), (200, 299, (EASTERN,)),
    (300, 319, (EASTERN,)), (320, 323, (EASTERN,)), (324, 325, (CENTRAL,)), (326, 349, (EASTERN,)),
    (350, 369, (CENTRAL,)), (370, 372, (CENTRAL,)), (373, 374, (EASTERN, CENTRAL)), (375, 375, (CENTRAL,)),
    (376, 379, (EASTERN,)), (380, 385, (CENTRAL,)), (386, 397, (CENTRAL,)), (398, 399, (EASTERN,)),
    (400, 418, (EASTERN,)), (420, 427, (CENTRAL, EASTERN)), (430, 459, (EASTERN,)), (460, 462, (EASTERN,)),
    (463, 464, (CENTRAL,)), (465, 475, (EASTERN,)), (476, 477, (CENTRAL,)), (478, 479, (EASTERN,)),
    (480, 497, (EASTERN,)), (498, 499, (EASTERN, CENTRAL)), (500, 528, (CENTRAL,)), (530, 549, (CENTRAL,)),
    (550, 567, (CENTRAL,)), (570, 573, (CENTRAL,)), (574, 577, (MOUNTAIN, CENTRAL)), (580, 588, (CENTRAL, MOUNTAIN)),
    (590, 599, (MOUNTAIN,)), (600, 629, (CENTRAL,)), (630, 658, (CENTRAL,)), (660, 676, (CENTRAL,)),
    (677, 679, (CENTRAL, MOUNTAIN)), (680, 689, (CENTRAL,)), (690, 693, (MOUNTAIN, CENTRAL)), (700, 729, (CENTRAL,)),
    (730, 749, (CENTRAL,)), (750, 797, (CENTRAL,)), (798, 799, (MOUNTAIN,)), (800, 816, (MOUNTAIN,)),
    (820, 831, (MOUNTAIN,)), (832, 837, (MOUNTAIN,)), (838, 838, (PACIFIC,)), (840, 847, (MOUNTAIN,)),
    (850, 865, (PHOENIX,)), (870, 884, (MOUNTAIN,)), (889, 898, (PACIFIC,)), (900, 966, (PACIFIC,)),
    (967, 968, (HONOLULU,)), (969, 969, ("Pacific/Guam",)), (970, 977, (PACIFIC,)), (978, 979, (PACIFIC, MOUNTAIN)),
    (980, 994, (PACIFIC,)), (995, 999, (ANCHORAGE,)),
)

_FR_OVERSEAS = {
    "971": "America/Guadeloupe", "972": "America/Martinique", "973": "America/Cayenne", "974": "Indian/Reunion",
    "975": "America/Miquelon", "976": "Indian/Mayotte", "977": "America/St_Barthelemy", "978": "America/Marigot",
    "986": "Pacific/Wallis", "987": "Pacific/Tahiti", "988": "Pacific/Noumea",
}


@lru_cache(maxsize=65536)
def zones_for_postal_code(region: str, postal_code: str) -> tuple[str, ...]:
    """Zones for a postal code of ``region`` ("US" or "FR"); () when unknown or not covered."""
    code = postal_code.strip().replace(" ", "")
    if region == "US":
        digits = code.split("-")[0]
        if len(digits) == 4 and digits.isdigit():        # Excel drops New England's leading zero
            digits = "0" + digits
        if len(digits) != 5 or not digits.isdigit():
            return ()
        prefix = int(digits[:3])
        for first, last, zones in _US_ZIP3:
            if first <= prefix <= last:
                return zones
        return ()
    if region == "FR":
        if len(code) == 4 and code.isdigit():
            code = "0" + code
        if len(code) != 5 or not (code.isdigit() or code[:2] in ("2A", "2B")):
            return ()
        if code[:2] in ("97", "98"):
            zone = _FR_OVERSEAS.get(code[:3])
            return (zone,) if zone else ()
        return ("Europe/Paris",)
    return ()


def resolve_zones(*, own_zone: str = "", postal_code: str = "", region: str = "",
                  number_zones: Sequence[str] = ()) -> tuple[str, ...]:
    """The lead's zones by precedence: its own valid IANA zone, its postal code, its number; () if none."""
    if own_zone and is_zone(own_zone.strip()):
        return (own_zone.strip(),)
    if postal_code and region:
        found = zones_for_postal_code(region, postal_code)
        if found:
            return found
    return tuple(number_zones)


# --- the file's own zone column ---------------------------------------------------------------------

REFERENCE_YEAR = 2025
_OFFSET = re.compile(r"^(?:UTC|GMT|Z)?\s*([+-])\s*(\d{1,2})(?:(?::|h|\.)?(\d{2}))?$", re.IGNORECASE)
# abbreviation -> the UTC offsets (minutes) it names as a standard time, and as a summer time; several
# where the abbreviation is ambiguous (CST: US Central, China, Cuba; IST: India, Israel, Irish summer)
_STANDARD: dict[str, tuple[int, ...]] = {
    "UTC": (0,), "GMT": (0,), "UCT": (0,), "Z": (0,), "ZULU": (0,), "WET": (0,), "BST": (360,),
    "IST": (330, 120), "CET": (60,), "MET": (60,), "EET": (120,), "MSK": (180,), "TRT": (180,), "WAT": (60,),
    "CAT": (120,), "EAT": (180,), "SAST": (120,), "GST": (240,), "PKT": (300,), "NPT": (345,), "BDT": (360,),
    "ICT": (420,), "WIB": (420,), "WITA": (480,), "WIT": (540,), "HKT": (480,), "SGT": (480,), "PHT": (480,),
    "PST": (-480, 480), "MYT": (480,), "AWST": (480,), "JST": (540,), "KST": (540,), "ACST": (570,),
    "AEST": (600,), "NZST": (720,), "CST": (-360, 480, -300), "EST": (-300,), "MST": (-420,),
    "AKST": (-540,), "HST": (-600,), "AST": (-240, 180), "NST": (-210,), "BRT": (-180,), "ART": (-180,),
    "CLT": (-240,), "COT": (-300,), "PET": (-300,),
}
_SUMMER: dict[str, tuple[int, ...]] = {
    "WEST": (60,), "BST": (60,), "IST": (60,), "CEST": (120,), "MEST": (120,), "EEST": (180,),
    "ACDT": (630,), "AEDT": (660,), "NZDT": (780,), "CDT": (-300, -240), "EDT": (-240,), "MDT": (-360,),
    "PDT": (-420,), "AKDT": (-480,), "ADT": (-180,), "NDT": (-150,),
}


@dataclass(frozen=True, slots=True)
class LeadZones:
    """A lead's zones, and why the file's own zone value was not used ("" when it was, or there was none)."""

    zones: tuple[str, ...]
    flag: str = ""


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


@cache
def _offsets() -> dict[str, tuple[int, int]]:
    """Each zone's (standard, summer) UTC offset in minutes in ``REFERENCE_YEAR`` (equal without DST)."""
    found: dict[str, tuple[int, int]] = {}
    for name in _zone_names():
        zone = ZoneInfo(name)
        seen = {_minutes(datetime(REFERENCE_YEAR, month, 15, 12, tzinfo=zone).utcoffset())
                for month in (1, 7)}
        found[name] = (min(seen), max(seen))
    return found


def _minutes(offset: timedelta | None) -> int:
    return int(offset.total_seconds() // 60) if offset is not None else 0


@cache
def _by_lower_name() -> dict[str, tuple[str, ...]]:
    """Lower-case full names and last components (``ho_chi_minh``) -> the zones they name."""
    names: dict[str, set[str]] = {}
    for name in _zone_names():
        names.setdefault(name.lower(), set()).add(name)
        names.setdefault(name.rsplit("/", 1)[-1].lower(), set()).add(name)
    return {k: tuple(sorted(v)) for k, v in names.items()}


def _with_offsets(standard: Sequence[int] = (), summer: Sequence[int] = ()) -> tuple[str, ...]:
    """Zones whose standard offset is one of ``standard`` or whose summer offset is one of ``summer``."""
    return tuple(name for name, (winter, summer_offset) in _offsets().items()
                 if winter in standard or (summer_offset != winter and summer_offset in summer))


@lru_cache(maxsize=4096)
def zone_candidates(value: str) -> tuple[str, ...]:
    """Every IANA zone a time-zone cell may mean (``()`` if none); an exact IANA name is not read here."""
    text = value.strip()
    key = text.upper()
    if key in _STANDARD or key in _SUMMER:
        return _with_offsets(_STANDARD.get(key, ()), _SUMMER.get(key, ()))
    match = _OFFSET.match(text)
    if match is not None:
        sign, hours, minutes = match.groups()
        total = (int(hours) * 60 + int(minutes or 0)) * (-1 if sign == "-" else 1)
        return _with_offsets((total,), (total,))
    lower = "_".join(text.lower().split())
    by_name = _by_lower_name()
    if lower in by_name:
        return by_name[lower]
    close = difflib.get_close_matches(lower, by_name, n=3, cutoff=0.85)
    return tuple(sorted({zone for name in close for zone in by_name[name]}))


@lru_cache(maxsize=4096)
def _is_iana_name(value: str) -> bool:
    """An IANA name written as such: not an abbreviation that is also a legacy zone (``EST``, ``UTC``)."""
    return value.upper() not in _STANDARD and value.upper() not in _SUMMER and is_zone(value)


def lead_zones(*, own_zone: str = "", postal_code: str = "", region: str = "",
               number_zones: Sequence[str] = ()) -> LeadZones:
    """The lead's zones: its own zone value when it is (or means exactly one) zone consistent with the
    zones of its postal code or else its number; otherwise those zones, with a flag saying why."""
    own = own_zone.strip()
    if own and _is_iana_name(own):
        return LeadZones((own,))
    known = zones_for_postal_code(region, postal_code) if postal_code and region else ()
    source = "postal code" if known else "number"
    known = known or tuple(number_zones)
    if not own:
        return LeadZones(known)
    candidates = zone_candidates(own)
    consistent = [z for z in candidates if z in known] if known else list(candidates)
    if len(consistent) == 1:
        return LeadZones((consistent[0],))
    why = "unknown" if not candidates else "mismatch" if not consistent else "ambiguous"
    where = ("postal" if source == "postal code" else "number") if known else "campaign"
    zones = f"{', '.join(known[:3])}{', ...' if len(known) > 3 else ''}"
    return LeadZones(known, reason(f"zone_{why}_{where}", zone=own, zones=zones, count=len(consistent)))
