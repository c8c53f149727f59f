"""How a text travels as SMS: its encoding, its length in the encoding's units, and how many parts it takes.

One pure function, ``count_segments(text) -> Segments`` (3GPP TS 23.038 and 23.040):

* **GSM-7** when every character is in the GSM 03.38 default alphabet or its extension table. A default
  character is one septet; an extension character (``^ { } \\ [ ~ ] | €`` and form feed) is two (an
  escape and the character) and is never split across parts. One part holds 160 septets; a longer text is
  sent in parts of 153 (7 septets carry the concatenation header).
* **UCS-2** otherwise (any Vietnamese letter with a diacritic that GSM-7 lacks, emoji, ...). Units are
  UTF-16 code units: a character outside the Basic Multilingual Plane (most emoji) counts two and its
  surrogate pair is never split. One part holds 70 units, a longer text parts of 67.

An empty text is 0 units and 0 parts (nothing to send). No character is ever substituted: a typographic
quote or a non-breaking space is not GSM-7 and makes the whole message UCS-2, as the handset would.

The common cases cost no Python loop over characters: a regular expression and the UTF-16 encoder run in C; only a
text over one part that holds two-unit characters is packed part by part (``bisect`` over running totals).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet, in code order 0x00..0x7F (0x1B, the escape to the extension table, left out)
GSM7_DEFAULT = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ" "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = "\f^{}\\[~]|€"          # each sent as ESC + a character: two septets

GSM7_SINGLE_PART = 160
GSM7_PER_PART = 153
UCS2_SINGLE_PART = 70
UCS2_PER_PART = 67

_NOT_GSM7 = re.compile(f"[^{re.escape(GSM7_DEFAULT + GSM7_EXTENSION)}]").search
_GSM7_EXTENDED = re.compile(f"[{re.escape(GSM7_EXTENSION)}]").findall
_GSM7_WEIGHT = {**dict.fromkeys(GSM7_DEFAULT, 1), **dict.fromkeys(GSM7_EXTENSION, 2)}
_BMP_MAX = "\uffff"


@dataclass(frozen=True, slots=True)
class Segments:
    """A text as SMS: ``encoding`` ("GSM-7" or "UCS-2"), ``units`` (septets, or UTF-16 code units) and
    ``parts`` (how many messages the handset receives and the provider bills)."""

    encoding: str
    units: int
    parts: int

    def as_dict(self) -> dict[str, str | int]:
        return {"encoding": self.encoding, "units": self.units, "parts": self.parts}


def count_segments(text: str) -> Segments:
    """The encoding, units and parts of ``text`` (module docstring for the rules)."""
    if not text:
        return Segments(GSM7, 0, 0)
    if _NOT_GSM7(text) is None:
        extended = len(_GSM7_EXTENDED(text))
        septets = len(text) + extended
        if septets <= GSM7_SINGLE_PART:
            return Segments(GSM7, septets, 1)
        if not extended:
            return Segments(GSM7, septets, -(-septets // GSM7_PER_PART))
        return Segments(GSM7, septets, _packed_parts(map(_GSM7_WEIGHT.__getitem__, text), GSM7_PER_PART))
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    wide = units != len(text)                    # a character outside the BMP: a surrogate pair
    if units <= UCS2_SINGLE_PART:
        return Segments(UCS2, units, 1)
    if not wide:
        return Segments(UCS2, units, -(-units // UCS2_PER_PART))
    return Segments(UCS2, units, _packed_parts((1 if c <= _BMP_MAX else 2 for c in text), UCS2_PER_PART))


def _packed_parts(weights: object, per_part: int) -> int:
    """Parts of ``per_part`` units for characters of the given ``weights`` (1 or 2), a character never split:
    each part ends after the last character whose running total still fits."""
    totals = list(accumulate(weights))  # type: ignore[call-overload]
    parts, start, end_index = 0, 0, 0
    while end_index < len(totals):
        end_index = bisect_right(totals, start + per_part, lo=end_index)
        start = totals[end_index - 1]
        parts += 1
    return parts
