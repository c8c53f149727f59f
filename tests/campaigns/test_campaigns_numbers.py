"""Phone normalisation (fast path agrees with phonenumbers), spreadsheet cells, zones per lead."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from campaigns.numbers import INVALID, MISSING, PhoneNormaliser, phone_text, spreadsheet_reject
from campaigns.timezones import resolve_zones, zones_for_postal_code

REGIONS = ["FR", "US", "GB", "DE", "BE", "CA", "ES", "IT", "RU", "AU", "BR", "IN"]


def _agree(region: str, text: str) -> None:
    normaliser = PhoneNormaliser(region)
    if phone_text(text) != text or spreadsheet_reject(text):
        return      # a spreadsheet's float ("01100.0", "0612.34"): decided before either path, on purpose
    fast, slow = normaliser.normalise(text), normaliser.slow(text)
    if isinstance(slow, str):
        assert isinstance(fast, str), (region, text, fast)
    else:
        assert fast == slow, (region, text)


@settings(max_examples=1500, deadline=None)
@given(region=st.sampled_from(REGIONS),
       prefix=st.sampled_from(["", "+", "0", "00", "+33", "+1", "+44", "+49", "1", "33", "011", "+7", "8", "+39"]),
       digits=st.text(alphabet="0123456789", min_size=0, max_size=14),
       sep=st.sampled_from(["", " ", "-", "."]))
@example(region="FR", prefix="0", digits="612345678", sep="")
@example(region="US", prefix="", digits="2125550123", sep="-")
@example(region="FR", prefix="+33", digits="0612345678", sep="")
@example(region="FR", prefix="+", digits="012012000000", sep="")
@example(region="IT", prefix="011", digits="000", sep=".")
def test_fast_path_gives_the_same_answer_as_phonenumbers(region: str, prefix: str, digits: str, sep: str) -> None:
    text = prefix + sep.join(digits[i:i + 2] for i in range(0, len(digits), 2))
    _agree(region, text)


def test_common_shapes_normalise_to_e164_with_zones() -> None:
    fr = PhoneNormaliser("FR")
    assert fr.normalise("06 12 34 56 78") == ("+33612345678", ("Europe/Paris",))
    assert fr.normalise("+33 (0)6 12 34 56 78")[0] == "+33612345678"
    assert fr.normalise("0033612345678")[0] == "+33612345678"
    assert fr.normalise("") == MISSING
    assert fr.normalise("0612") in (INVALID, "not a phone number")
    us = PhoneNormaliser("US")
    assert us.normalise("(212) 555-0123") != INVALID
    e164, zones = us.normalise("+1 212 253 0123")  # type: ignore[misc]
    assert e164 == "+12122530123" and zones == ("America/New_York",)


def test_a_number_with_several_zones_keeps_them_all() -> None:
    result = PhoneNormaliser("US").normalise("+1 800 253 0000")   # toll free: country-level zones
    assert isinstance(result, tuple) and len(result[1]) > 3


def test_spreadsheet_number_cells_become_digit_strings() -> None:
    assert phone_text(33612345678.0) == "33612345678"
    assert phone_text("3.3612345678E+10") == "33612345678"
    assert phone_text("+3.3612345678e10") == "+33612345678"
    assert phone_text(612345678) == "612345678"
    assert phone_text(None) == "" and phone_text(float("nan")) == ""
    assert phone_text(" 06 12 ") == "06 12"


def test_zone_precedence_is_own_column_then_postal_code_then_number() -> None:
    number = ("America/New_York",)
    assert resolve_zones(own_zone="America/Denver", postal_code="90210", region="US",
                         number_zones=number) == ("America/Denver",)
    assert resolve_zones(own_zone="Mars/Olympus", postal_code="90210", region="US",
                         number_zones=number) == ("America/Los_Angeles",)
    assert resolve_zones(postal_code="", region="US", number_zones=number) == number
    assert resolve_zones(postal_code="97200", region="FR", number_zones=()) == ("America/Martinique",)


def test_postal_codes_that_straddle_zones_return_both() -> None:
    assert set(zones_for_postal_code("US", "42001")) == {"America/Chicago", "America/New_York"}
    assert zones_for_postal_code("US", "2134") == ("America/New_York",)      # Excel dropped the zero
    assert zones_for_postal_code("US", "85001") == ("America/Phoenix",)
    assert zones_for_postal_code("FR", "75001") == ("Europe/Paris",)
    assert zones_for_postal_code("FR", "2A004") == ("Europe/Paris",)
    assert zones_for_postal_code("DE", "10115") == ()
