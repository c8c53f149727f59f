"""``count_segments``: GSM-7 when every character is in the GSM 03.38 alphabet (extension characters two
septets, never split), else UCS-2 (UTF-16 units, a surrogate pair never split); 160/153 and 70/67 per part.

The property tests compare it with an independent encoder written here from the code tables of 3GPP TS
23.038: the text is encoded septet by septet (an extension character as ESC 0x1B + its code) or into
UTF-16-LE code units, and the units are then packed greedily into parts, a part never ending on an escape
septet or on a high surrogate.
"""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

import sms
from sms.plain import without_diacritics
from sms.segments import Segments, count_segments

# --- the independent encoder ---------------------------------------------------------------------------

# GSM 03.38 default alphabet by code (0x1B is the escape, not a character)
GSM_CODES: dict[int, str] = {
    0x00: "@", 0x01: "£", 0x02: "$", 0x03: "¥", 0x04: "è", 0x05: "é", 0x06: "ù", 0x07: "ì", 0x08: "ò",
    0x09: "Ç", 0x0A: "\n", 0x0B: "Ø", 0x0C: "ø", 0x0D: "\r", 0x0E: "Å", 0x0F: "å", 0x10: "Δ", 0x11: "_",
    0x12: "Φ", 0x13: "Γ", 0x14: "Λ", 0x15: "Ω", 0x16: "Π", 0x17: "Ψ", 0x18: "Σ", 0x19: "Θ", 0x1A: "Ξ",
    0x1C: "Æ", 0x1D: "æ", 0x1E: "ß", 0x1F: "É", 0x24: "¤", 0x40: "¡", 0x5B: "Ä", 0x5C: "Ö", 0x5D: "Ñ",
    0x5E: "Ü", 0x5F: "§", 0x60: "¿", 0x7B: "ä", 0x7C: "ö", 0x7D: "ñ", 0x7E: "ü", 0x7F: "à",
    **{code: chr(code) for code in range(0x20, 0x80)
       if code not in (0x24, 0x40, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F, 0x60, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F)},
}
GSM_EXTENSION_CODES: dict[int, str] = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[",
                                       0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}
ESC = 0x1B
SEPTET_OF = {char: code for code, char in GSM_CODES.items()}
EXTENSION_OF = {char: code for code, char in GSM_EXTENSION_CODES.items()}


def gsm_septets(text: str) -> list[int] | None:
    """The septets of ``text`` in GSM-7, None when a character has no GSM-7 code."""
    septets: list[int] = []
    for char in text:
        if char in SEPTET_OF:
            septets.append(SEPTET_OF[char])
        elif char in EXTENSION_OF:
            septets += [ESC, EXTENSION_OF[char]]
        else:
            return None
    return septets


def utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]


def greedy_parts(units: list[int], single: int, per_part: int, splits_after: object) -> int:
    """Pack ``units`` into parts unit by unit; a part may not end on a unit for which ``splits_after`` is
    False (an escape, a high surrogate): that unit starts the next part instead."""
    if not units:
        return 0
    if len(units) <= single:
        return 1
    parts, used = 1, 0
    for i, unit in enumerate(units):
        room = per_part - used
        needs = 2 if not splits_after(unit) and i + 1 < len(units) else 1  # type: ignore[operator]
        if needs > room:
            parts, used = parts + 1, 0
        used += 1
    return parts


def independent_count(text: str) -> tuple[str, int, int]:
    septets = gsm_septets(text)
    if septets is not None:
        return "GSM-7", len(septets), greedy_parts(septets, 160, 153, lambda s: s != ESC)
    units = utf16_units(text)
    return "UCS-2", len(units), greedy_parts(units, 70, 67, lambda u: not 0xD800 <= u <= 0xDBFF)


# --- strategies --------------------------------------------------------------------------------------

GSM_DEFAULT_CHARS = "".join(GSM_CODES.values())
GSM_EXTENSION_CHARS = "".join(GSM_EXTENSION_CODES.values())
VIETNAMESE = ("aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
              "AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢUÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴĐ")
EMOJI = "😀😂🎉👍🙏❤☎✅🇻🇳👨‍👩‍👧𝄞"

gsm_text = st.text(alphabet=GSM_DEFAULT_CHARS, max_size=400)
gsm_with_extension = st.text(alphabet=st.sampled_from(GSM_DEFAULT_CHARS + GSM_EXTENSION_CHARS * 8), max_size=400)
extension_only = st.text(alphabet=GSM_EXTENSION_CHARS, max_size=200)
vietnamese = st.text(alphabet=VIETNAMESE + " ,.!?0123456789", max_size=300)
emoji_heavy = st.text(alphabet=st.sampled_from(list(EMOJI) + list("ab cđ")), max_size=200)
anything = st.text(max_size=300)                  # any code point, surrogates aside
mixed = st.lists(st.one_of(gsm_with_extension, vietnamese, emoji_heavy), max_size=4).map("".join)
any_message = st.one_of(gsm_text, gsm_with_extension, extension_only, vietnamese, emoji_heavy, anything, mixed)


# --- properties ----------------------------------------------------------------------------------------

@settings(max_examples=600, deadline=None)
@given(any_message)
def test_agrees_with_an_independent_septet_and_utf16_encoder(text: str) -> None:
    got = count_segments(text)
    assert (got.encoding, got.units, got.parts) == independent_count(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=GSM_EXTENSION_CHARS + "a", min_size=150, max_size=700))
def test_extension_characters_straddling_part_boundaries_agree(text: str) -> None:
    got = count_segments(text)
    assert (got.encoding, got.units, got.parts) == independent_count(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="😀a€ệ", min_size=60, max_size=400))
def test_surrogate_pairs_straddling_part_boundaries_agree(text: str) -> None:
    got = count_segments(text)
    assert (got.encoding, got.units, got.parts) == independent_count(text)


@settings(max_examples=300, deadline=None)
@given(vietnamese)
def test_vietnamese_without_diacritics_is_always_gsm7(text: str) -> None:
    plain = without_diacritics(text)
    assert count_segments(plain).encoding == "GSM-7"
    assert len(plain) == len(text)                     # one letter for one letter
    assert without_diacritics(unicodedata.normalize("NFD", text)) == plain


# --- the rules, one example each ------------------------------------------------------------------------

def test_160_gsm_septets_are_one_part_and_161_are_two_of_153() -> None:
    assert count_segments("a" * 160) == Segments("GSM-7", 160, 1)
    assert count_segments("a" * 161) == Segments("GSM-7", 161, 2)
    assert count_segments("a" * 306) == Segments("GSM-7", 306, 2)
    assert count_segments("a" * 307) == Segments("GSM-7", 307, 3)


def test_an_extension_character_counts_two_septets() -> None:
    assert count_segments("€" * 80) == Segments("GSM-7", 160, 1)
    assert count_segments("Price: 5€ [promo]") == Segments("GSM-7", 20, 1)


def test_an_extension_character_is_never_split_across_parts() -> None:
    # 152 septets then "€": its escape would be the 153rd septet and the character the first of part 2
    assert count_segments("a" * 152 + "€" + "a" * 10) == Segments("GSM-7", 164, 2)
    # 152 + 2 + 152 = 306 septets would fill 2 x 153 exactly, but the € moves whole into part 2: 2 + 152 > 153
    assert count_segments("a" * 152 + "€" + "a" * 152) == Segments("GSM-7", 306, 3)
    assert count_segments("a" * 151 + "€" + "a" * 153) == Segments("GSM-7", 306, 2)


def test_vietnamese_with_diacritics_is_ucs2_in_parts_of_70_then_67() -> None:
    assert count_segments("Chào anh") == Segments("GSM-7", 8, 1)    # à is in GSM-7 ...
    assert count_segments("Chúc mừng") == Segments("UCS-2", 9, 1)   # ... ú and ừ are not
    assert count_segments("ệ" * 70) == Segments("UCS-2", 70, 1)
    assert count_segments("ệ" * 71) == Segments("UCS-2", 71, 2)
    assert count_segments("ệ" * 134) == Segments("UCS-2", 134, 2)
    assert count_segments("ệ" * 135) == Segments("UCS-2", 135, 3)


def test_an_emoji_outside_the_bmp_counts_two_units_and_is_never_split() -> None:
    assert count_segments("😀") == Segments("UCS-2", 2, 1)
    assert count_segments("😀" * 35) == Segments("UCS-2", 70, 1)
    assert count_segments("a" * 66 + "😀" + "b" * 4) == Segments("UCS-2", 72, 2)
    assert count_segments("a" * 66 + "😀" + "b" * 66) == Segments("UCS-2", 134, 3)


def test_one_character_outside_gsm7_makes_the_whole_message_ucs2() -> None:
    assert count_segments("a" * 100 + "’").encoding == "UCS-2"        # a typographic apostrophe
    assert count_segments("a" * 100 + "\u00a0").encoding == "UCS-2"   # a non-breaking space
    assert count_segments("ç").encoding == "UCS-2"                    # only the capital Ç is GSM-7


def test_an_empty_text_is_nothing_to_send() -> None:
    assert count_segments("") == Segments("GSM-7", 0, 0)


def test_without_diacritics_strips_every_vietnamese_mark() -> None:
    assert without_diacritics("Nguyễn Thị Đào, cảm ơn quý khách! Hẹn gặp lại lúc 14:30.") == \
        "Nguyen Thi Dao, cam on quy khach! Hen gap lai luc 14:30."
    assert without_diacritics("ư Ư ơ Ơ đ Đ ă Ă â Â ê Ê ô Ô") == "u U o O d D a A a A e E o O"


def test_the_package_exports_count_segments() -> None:
    assert sms.count_segments is count_segments and sms.Segments is Segments
