"""Phone numbers for DNC: normalise any input to E.164 and convert E.164 to the int64 key of the index.

E.164 numbers have at most 15 digits, so the digits without '+' always fit in an int64 (< 2**63) and
keep their order; the key of ``+33612345678`` is ``33612345678``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from dialer.reasons import reason
from dnc.errors import InvalidNumber

if TYPE_CHECKING:
    import numpy as np

# why a line is not a number: ``dialer.reasons.Reason`` (English text with a code, for the reader's language)
_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: reason("unknown_country_code_hint"),
    NumberParseException.NOT_A_NUMBER: reason("not_a_number"),
    NumberParseException.TOO_SHORT_AFTER_IDD: reason("too_short_after_idd"),
    NumberParseException.TOO_SHORT_NSN: reason("too_short"),
    NumberParseException.TOO_LONG: reason("too_long"),
}
_NOT_VALID = {
    phonenumbers.ValidationResult.TOO_SHORT: reason("too_short"),
    phonenumbers.ValidationResult.TOO_LONG: reason("too_long"),
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: reason("unknown_country_code"),
    phonenumbers.ValidationResult.INVALID_LENGTH: reason("wrong_length"),
}
_EMPTY, _NO_RANGE, _NOT_E164 = reason("empty"), reason("no_such_range"), reason("not_e164")


def normalise(raw: str, *, default_region: str | None = None) -> str:
    """``raw`` as E.164 (``+33612345678``); raises ``InvalidNumber`` with the reason when it is not valid."""
    text = raw.strip()
    if not text:
        raise InvalidNumber(raw, _EMPTY)
    try:
        parsed = phonenumbers.parse(text, default_region)
    except NumberParseException as exc:
        raise InvalidNumber(raw, _REASONS.get(exc.error_type, str(exc))) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(raw, _NOT_VALID.get(phonenumbers.is_possible_number_with_reason(parsed), _NO_RANGE))
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def to_key(e164: str) -> int:
    """The int64 index key of an E.164 number (its digits); raises ``InvalidNumber`` if not E.164."""
    digits = e164[1:]
    if (
        e164[:1] == "+"
        and 6 <= len(digits) <= 15
        and digits.isdigit()
        and digits.isascii()
        and digits[0] != "0"
    ):
        return int(digits)
    raise InvalidNumber(e164, _NOT_E164)


def from_key(key: int) -> str:
    """The E.164 text of an index key."""
    return f"+{key}"


def to_keys(numbers: Iterable[str]) -> np.ndarray:
    """int64 keys of E.164 numbers, in order (``InvalidNumber`` on the first that is not E.164)."""
    import numpy as np  # here: ``dialer dnc check`` normalises a number without loading numpy

    return np.fromiter((to_key(n) for n in numbers), dtype=np.int64)
