"""Vietnamese (and any Latin text) without diacritics, so a message fits GSM-7: ``without_diacritics``.

Every tone mark and vowel mark goes (``ấ ầ ẩ ẫ ậ`` -> ``a``, ``ư`` -> ``u``, ``ơ`` -> ``o``), ``đ``/``Đ``
become ``d``/``D``, whether the text arrives composed (NFC, as typed) or decomposed (NFD, some phones and
files). Letters without a decomposition (``Æ``, ``ø``, ``ß``) and everything else are kept as they are.

One ``str.translate`` over a table built once: every precomposed Latin letter (U+00C0-U+024F and
U+1E00-U+1EFF, which hold all of Vietnamese) to its base letter, and the combining marks U+0300-U+036F
to nothing.
"""

from __future__ import annotations

import unicodedata


def _table() -> list[str]:
    """Indexed by code point below U+1F00 (a list is read faster than a dict; a code point past its end
    is kept as it is)."""
    table = [chr(code) for code in range(0x1F00)]
    for code in range(0x0300, 0x0370):
        table[code] = ""                                   # combining marks: dropped
    for first, last in ((0x00C0, 0x024F), (0x1E00, 0x1EFF)):
        for code in range(first, last + 1):
            letter = chr(code)
            base = "".join(c for c in unicodedata.normalize("NFD", letter) if not unicodedata.combining(c))
            if base and base != letter:
                table[code] = base
    table[ord("đ")], table[ord("Đ")] = "d", "D"
    return table


_PLAIN = _table()


def without_diacritics(text: str) -> str:
    """``text`` with every diacritic removed and ``đ``/``Đ`` as ``d``/``D`` ("Nguyễn Thị Đào" ->
    "Nguyen Thi Dao")."""
    return text if text.isascii() else text.translate(_PLAIN)
