"""Every reason code an import can give has an English and a Vietnamese text with the same parameters."""

from __future__ import annotations

import pickle
import re
import string
from pathlib import Path

import pytest

from admin_ui.i18n import MESSAGES, reason_text, translator
from dialer.reasons import ENGLISH, Reason, reason

ROOT = Path(__file__).resolve().parents[2]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", sorted(ENGLISH))
def test_every_reason_code_has_an_english_and_a_vietnamese_text_with_the_same_parameters(code: str) -> None:
    entry = MESSAGES.get(f"reason_{code}")
    assert entry is not None, f"admin_ui.i18n has no reason_{code}"
    assert entry.get("en") == ENGLISH[code]
    assert entry.get("vi"), f"reason_{code} has no Vietnamese text (admin_ui.i18n.REASONS_VI)"
    assert _fields(entry["vi"]) == _fields(entry["en"]), code


def test_every_code_the_import_code_names_is_a_known_code() -> None:
    """A ``reason("...")`` in campaigns/ or dnc/ with a code missing from dialer.reasons.ENGLISH fails here,
    before any import meets it."""
    named: set[str] = set()
    for package in ("campaigns", "dnc"):
        for path in (ROOT / package).rglob("*.py"):
            named |= set(re.findall(r'\breason\(\s*"([a-z0-9_]+)"', path.read_text(encoding="utf-8")))
    assert named and not named - set(ENGLISH), sorted(named - set(ENGLISH))


def test_a_reason_is_its_english_text_and_keeps_its_code_across_processes() -> None:
    why = reason("rounded_by_spreadsheet").with_value("8.4971E+10")
    assert why == "number was rounded by a spreadsheet: 8.4971E+10"
    copy = pickle.loads(pickle.dumps(why))                  # from the import's worker processes
    assert (copy, copy.code, copy.params) == (why, "rounded_by_spreadsheet", {"value": "8.4971E+10"})
    assert reason_text(translator("vi"), copy.code, copy.params, str(copy)) == \
        "số đã bị bảng tính làm tròn: 8.4971E+10"
    with pytest.raises(KeyError):
        Reason("no_such_code")


def test_text_stored_without_a_code_or_with_one_this_version_does_not_know_is_shown_as_stored() -> None:
    t = translator("vi")
    assert reason_text(t, "", "", "invalid phone number: 12") == "invalid phone number: 12"
    assert reason_text(t, "from_a_newer_version", '{"x": 1}', "stored") == "stored"
    assert reason_text(t, "duplicate_in_file", '{"number": "+84912345678"}', "stored") == "stored"   # no line
    assert reason_text(t, "duplicate_in_file", '{"number": "+84912345678", "line": 2}', "stored") == \
        "+84912345678 đã có ở dòng 2"
