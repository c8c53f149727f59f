"""Phone numbers to E.164 with ``phonenumbers``, plus possible time zones; a fast path for plain digit strings.

``PhoneNormaliser(region).normalise(text)`` returns ``(e164, zones)`` or a reject reason (a string).
Full ``phonenumbers.parse`` costs ~20 us and validation plus zone lookup as much again, too slow for
a million rows on two cores. The fast path handles the common shapes (``+CC digits`` and national
numbers with a plain-digit national prefix, separators `` -./()`` allowed), builds the ``PhoneNumber``
itself and validates it with ``phonenumbers.number_type``; any shape where ``parse`` might read the
digits differently (IDD prefix, a leading country code, a national prefix on an international number,
leading zeros, transform rules) goes to the slow path. ``tests/campaigns`` checks with hypothesis that
both paths agree.

Before either path, what a spreadsheet did to the cell is undone only when it lost nothing (``phone_text``,
``spreadsheet_reject``): ``84987654321.0`` and ``8.4987654321E+10`` are recovered, ``8.4971E+10`` (zeros
would be invented) is refused as ``ROUNDED``, a decimal as ``DECIMAL``, a formula as ``FORMULA``; Unicode
spaces, format characters and digits are made ASCII (``clean_number_text``). The import property test
(``tests/campaigns/test_import_numbers_property.py``) checks that no file yields a number it did not hold.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat, PhoneNumberType
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, is_number_type_geographical
from phonenumbers.timezone import time_zones_for_number
from phonenumbers.tzdata import TIMEZONE_DATA

from dialer.reasons import reason

UNKNOWN_ZONE = "Etc/Unknown"
_SEPARATORS = str.maketrans("", "", " -./()\u00a0\t")
_NON_CAPTURING = re.compile(r"\((?!\?)")
# a number a spreadsheet wrote in scientific notation: mantissa digits, decimal part, exponent
_SCIENTIFIC = re.compile(r"^(\+?)(\d+)(?:[.,](\d*))?[eE]([+-]?\d+)$")
# a number a spreadsheet wrote as a decimal: "28001234.0", "84987654321,00", "849876543.5"
_DECIMAL = re.compile(r"^(\+?\d+)[.,](\d{1,2})$")
_PLAIN_PREFIX = re.compile(r"^\d*$")
_LARGEST_EXACT_CELL = 10**15          # spreadsheets keep 15 significant digits; beyond, digits were lost

# why a cell is refused: a ``dialer.reasons.Reason`` (English text with a code, shown in the reader's language)
MISSING = reason("missing_number")
NOT_A_NUMBER = reason("not_a_number")
INVALID = reason("invalid_number")
ROUNDED = reason("rounded_by_spreadsheet")
FORMULA = reason("formula")
DECIMAL = reason("decimal_number")


def phone_text(value: Any) -> str:
    """A spreadsheet cell as phone text, recovered only when no digit was lost.

    ``33612345678.0`` -> ``"33612345678"``, ``"3.3612345678E+10"`` -> ``"33612345678"``, None -> "".
    Anything that cannot be recovered exactly (``"8.4971E+10"``: the mantissa lacks digits; a float of
    15 digits or more) comes back as written, and ``spreadsheet_reject`` names why it is refused.
    """
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer() and abs(value) < _LARGEST_EXACT_CELL:
            return str(int(value))
        return repr(value)
    text = str(value).strip()
    if not text.isascii():
        text = clean_number_text(text)
    recovered = _spreadsheet_digits(text)
    return recovered if recovered is not None else text


def _spreadsheet_digits(text: str) -> str | None:
    """The exact digits of a number a spreadsheet wrote as a float, or None (not such a shape, or lossy)."""
    if "e" in text or "E" in text:
        match = _SCIENTIFIC.match(text)
        if match is None:
            return None
        sign, whole, fraction, exponent = match.groups()
        fraction = fraction or ""
        shift = int(exponent)
        if shift < 0 or len(fraction) < shift or fraction[shift:].strip("0"):
            return None                 # digits were lost, or not a whole number
        return sign + whole + fraction[:shift]
    if "." in text or "," in text:
        match = _DECIMAL.match(text)
        if match is None or match.group(2).strip("0"):
            return None
        return match.group(1)
    return None


def spreadsheet_reject(text: str) -> str:
    """Why ``text`` cannot be a phone number because of what a spreadsheet did to it, or "".

    A formula (``=HYPERLINK("tel:...")``), a number in scientific notation whose mantissa does not hold
    every digit (``8.4971E+10``: the zeros would be invented), or a decimal with a fraction
    (``849876543.5``: a ``.`` never becomes a digit).
    """
    if text[:1] == "=":
        return FORMULA
    if "e" in text or "E" in text:
        match = _SCIENTIFIC.match(text)
        if match is None:
            return ""
        fraction, shift = match.group(3) or "", int(match.group(4))
        if shift < 0 or fraction[shift:].strip("0"):
            return DECIMAL
        return ROUNDED if len(fraction) < shift else ""
    if "." in text or "," in text:
        match = _DECIMAL.match(text)
        if match is not None and match.group(2).strip("0"):
            return DECIMAL
    return ""


_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")


def clean_number_text(text: str) -> str:
    """``text`` with Unicode spaces and format characters removed and every Unicode digit as ASCII.

    No-break, thin, figure and narrow no-break spaces, zero-width (non-)joiners, word joiners and BOMs
    (categories Zs, Zl, Zp, Cf) go; full-width and other decimal digits (``unicodedata.decimal``) become
    0-9; dashes become ``-``; other characters are NFKC-normalised (full-width ``＋`` -> ``+``).
    """
    if text.isascii():
        return text
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category in ("Zs", "Zl", "Zp", "Cf"):
            continue
        digit = unicodedata.decimal(ch, None)
        if digit is not None:
            out.append(str(digit))
        elif ch in _DASHES:
            out.append("-")
        else:
            out.append(unicodedata.normalize("NFKC", ch))
    return "".join(out).strip()


class _RegionRules:
    """What the fast path needs of one region's metadata."""

    __slots__ = ("cc_text", "country_code", "fast", "idd", "national_prefix")

    def __init__(self, region: str) -> None:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            raise ValueError(f"unknown region {region!r}")
        self.country_code: int = metadata.country_code or 0
        self.cc_text = str(metadata.country_code)
        prefix = metadata.national_prefix_for_parsing
        self.national_prefix: str = prefix or ""
        self.fast = (not prefix or bool(_PLAIN_PREFIX.match(prefix))) and not metadata.national_prefix_transform_rule
        self.idd = re.compile(metadata.international_prefix) if metadata.international_prefix else None


_RULES: dict[str, _RegionRules] = {}


def _rules(region: str) -> _RegionRules:
    rules = _RULES.get(region)
    if rules is None:
        rules = _RULES[region] = _RegionRules(region)
    return rules


_Desc = tuple[frozenset[int], "re.Pattern[str] | None"]
_OTHER_TYPES = (("premium_rate", PhoneNumberType.PREMIUM_RATE), ("toll_free", PhoneNumberType.TOLL_FREE),
                ("shared_cost", PhoneNumberType.SHARED_COST), ("voip", PhoneNumberType.VOIP),
                ("personal_number", PhoneNumberType.PERSONAL_NUMBER), ("pager", PhoneNumberType.PAGER),
                ("uan", PhoneNumberType.UAN), ("voicemail", PhoneNumberType.VOICEMAIL))


def _desc(desc: Any) -> _Desc:
    if desc is None or not desc.national_number_pattern:
        return frozenset(), None
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)


def _matches(desc: _Desc, nsn: str) -> bool:
    lengths, pattern = desc
    if pattern is None or (lengths and len(nsn) not in lengths):
        return False
    return pattern.fullmatch(nsn) is not None


class _TypeRules:
    """One region's number-type patterns (mirrors ``phonenumberutil._number_type_helper``).

    The ordered type checks become one alternation per number length, ``(premium)|(toll free)|...`` (inner
    groups made non-capturing): a full match takes the first alternative that matches, which is the
    helper's order, and ``lastindex`` names it, in one regex call.
    """

    __slots__ = ("by_length", "general", "leading", "mobile", "ordered", "same")

    def __init__(self, region: str) -> None:
        md = PhoneMetadata.metadata_for_region(region)
        assert md is not None, region
        self.general = _desc(md.general_desc)
        ordered = [(_desc(getattr(md, name)), kind) for name, kind in _OTHER_TYPES]
        ordered.append((_desc(md.fixed_line), PhoneNumberType.FIXED_LINE))
        self.same = md.same_mobile_and_fixed_line_pattern
        self.mobile = _desc(md.mobile)
        if not self.same:
            ordered.append((self.mobile, PhoneNumberType.MOBILE))
        self.ordered = [(d, kind) for d, kind in ordered if d[1] is not None]
        self.leading = re.compile(md.leading_digits) if md.leading_digits else None
        self.by_length: dict[int, tuple[re.Pattern[str], list[int]] | None] = {}

    def _combined(self, length: int) -> tuple[re.Pattern[str], list[int]] | None:
        parts: list[str] = []
        kinds: list[int] = []
        for (lengths, pattern), kind in self.ordered:
            if pattern is not None and (not lengths or length in lengths):
                parts.append("(" + _NON_CAPTURING.sub("(?:", pattern.pattern) + ")")
                kinds.append(kind)
        found = (re.compile("|".join(parts)), kinds) if parts else None
        self.by_length[length] = found
        return found

    def number_type(self, nsn: str) -> int:
        if not _matches(self.general, nsn):
            return PhoneNumberType.UNKNOWN
        length = len(nsn)
        combined = self.by_length[length] if length in self.by_length else self._combined(length)
        if combined is None:
            return PhoneNumberType.UNKNOWN
        pattern, kinds = combined
        match = pattern.fullmatch(nsn)
        if match is None:
            return PhoneNumberType.UNKNOWN
        kind = kinds[match.lastindex - 1]  # type: ignore[operator]  # one capturing group per alternative
        if kind == PhoneNumberType.FIXED_LINE and (self.same or _matches(self.mobile, nsn)):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return kind


_TYPES: dict[str, _TypeRules] = {}


def _type_rules(region: str) -> _TypeRules:
    rules = _TYPES.get(region)
    if rules is None:
        rules = _TYPES[region] = _TypeRules(region)
    return rules


def number_type(cc: int, nsn: str) -> int:
    """``phonenumbers.number_type`` for a geographic country code and a national number without leading zero."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(cc, ())
    if len(regions) == 1:
        return _type_rules(regions[0]).number_type(nsn)
    for region in regions:
        rules = _type_rules(region)
        if rules.leading is not None:
            if rules.leading.match(nsn):
                return rules.number_type(nsn)
        else:
            kind = rules.number_type(nsn)
            if kind != PhoneNumberType.UNKNOWN:
                return kind
    return PhoneNumberType.UNKNOWN


def _prefix_lengths() -> dict[str, tuple[int, ...]]:
    """For each leading digit pair of the zone data, the prefix lengths present (longest first)."""
    lengths: dict[str, set[int]] = {}
    for key in TIMEZONE_DATA:
        lengths.setdefault(key[:2], set()).add(len(key))
    return {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()}


_ZONE_PREFIX_LENGTHS = _prefix_lengths()


_ZONE_CACHE: dict[str, tuple[str, ...]] = {}


def _zones(cc: int, ntype: int, e164: str) -> tuple[str, ...]:
    """``phonenumbers.timezone.time_zones_for_number`` without recomputing the type; unknown dropped.

    The answer depends only on the key's first ``max(lengths)`` digits, so it is cached by those.
    """
    key = e164[1:] if is_number_type_geographical(ntype, cc) else str(cc)
    lengths = _ZONE_PREFIX_LENGTHS.get(key[:2], ()) + _ZONE_PREFIX_LENGTHS.get(key[:1], ())
    cache_key = key[:lengths[0]] if lengths else key
    found = _ZONE_CACHE.get(cache_key)
    if found is not None:
        return found
    zones: tuple[str, ...] = ()
    for length in lengths:
        if length <= len(key):
            hit = TIMEZONE_DATA.get(key[:length])
            if hit is not None:
                zones = tuple(z for z in hit if z != UNKNOWN_ZONE)
                break
    if len(_ZONE_CACHE) < 200_000:
        _ZONE_CACHE[cache_key] = zones
    return zones


class PhoneNormaliser:
    """Normalises numbers written for ``region`` (numbers with +CC may belong anywhere)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._home = _rules(region)

    def normalise(self, text: str) -> tuple[str, tuple[str, ...]] | str:
        """``(e164, zones)`` for a valid number, else the reason it was rejected.

        Spreadsheet damage is checked first: a ``.`` or ``e`` never reaches the digit readers unless the
        exact digits were recovered (``phone_text``), so a rounded or decimal number is refused, not read.
        """
        if not text.isascii():
            text = clean_number_text(text)
        if "." in text or "e" in text or "E" in text or "," in text or text[:1] == "=":
            recovered = _spreadsheet_digits(text)
            if recovered is not None:
                text = recovered
            else:
                problem = spreadsheet_reject(text)
                if problem:
                    return problem
        fast = self._fast(text)
        return fast if fast is not None else self.slow(text)

    def slow(self, text: str) -> tuple[str, tuple[str, ...]] | str:
        """The reference path: ``phonenumbers.parse`` then validation and zone lookup."""
        if not text or not text.strip():
            return MISSING
        try:
            number = phonenumbers.parse(text, self.region)
        except phonenumbers.NumberParseException:
            return NOT_A_NUMBER
        if not phonenumbers.is_valid_number(number):
            return INVALID
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        return e164, tuple(z for z in time_zones_for_number(number) if z != UNKNOWN_ZONE)

    def _fast(self, text: str) -> tuple[str, tuple[str, ...]] | str | None:
        digits = text.translate(_SEPARATORS)
        if not digits:
            return MISSING if not text.strip() else None
        international = digits[0] == "+"
        if international:
            digits = digits[1:]
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 17:
            return None
        stripped = False
        if international:
            if digits[:1] == "0":
                return None             # no country code starts with 0 ("+01..." is not +1)
            for length in (1, 2, 3):
                cc = int(digits[:length])
                if cc in COUNTRY_CODE_TO_REGION_CODE:
                    break
            else:
                return None
            nsn = digits[length:]
            regions = COUNTRY_CODE_TO_REGION_CODE[cc]
            rules = _rules(regions[0]) if regions[0] != "001" else None
            if rules is None or not rules.fast or (rules.national_prefix and nsn.startswith(rules.national_prefix)):
                return None
        else:
            home = self._home
            if not home.fast or digits.startswith(home.cc_text) or (home.idd and home.idd.match(digits)):
                return None
            cc, nsn = home.country_code, digits
            if home.national_prefix and digits.startswith(home.national_prefix):
                nsn, stripped = digits[len(home.national_prefix):], True
        if len(nsn) < 2 or nsn[0] == "0":
            return None
        ntype = number_type(cc, nsn)
        if ntype == PhoneNumberType.UNKNOWN:
            return None if stripped else INVALID
        e164 = f"+{cc}{nsn}"
        return e164, _zones(cc, ntype, e164)
