"""A lead's possible time zones: its own column, else its postal code, else its number (all zones kept).

Postal-code coverage (documented, approximate where a prefix straddles a boundary, in which case
every zone it touches is returned so the most restrictive wins):
- US: the first three digits of the ZIP code (state prefix ranges, with split states such as
  Florida's panhandle, Tennessee, Kentucky, Indiana, Michigan's Upper Peninsula, the Dakotas,
  Nebraska, Kansas, Texas' El Paso, Idaho and Oregon given both zones); Puerto Rico, Hawaii, Alaska, Guam.
- FR: metropolitan departments and Corsica -> Europe/Paris; overseas 971-988 to their own zones.
Other countries: no postal mapping; the number (or the campaign's zone) decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from campaigns.windows import is_zone

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
