"""Reading registry text files with numpy: the same numbers, counts and reasons as phonenumbers line by
line, every invalid line counted and the first ones quoted with their line numbers, at millions of lines
a second."""

from __future__ import annotations

import io
import random
import re
import time
from pathlib import Path

import numpy as np
import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from dnc import registry_files
from dnc.errors import InvalidNumber
from dnc.number_ranges import PatternError, automaton, pattern_matcher, phonenumbers_valid
from dnc.numbers import normalise


def _examples() -> list[str]:
    """phonenumbers' example number of every region and type, as E.164."""
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in phonenumbers.PhoneNumberType.values():
            ex = phonenumbers.example_number_for_type(region, kind)
            if ex is not None:
                out.append(phonenumbers.format_number(ex, phonenumbers.PhoneNumberFormat.E164))
    return sorted(set(out))


EXAMPLES = _examples()


def _same_as_phonenumbers(e164: str) -> bool:
    """What the old line-by-line reader accepted as this very number (not another one)."""
    try:
        return normalise(e164) == e164
    except InvalidNumber:
        return False


def test_the_digit_automaton_agrees_with_phonenumbers_on_example_and_random_numbers() -> None:
    rng = random.Random(20261206)
    samples = list(EXAMPLES)
    for e164 in EXAMPLES:  # the same ranges with other digits at the end
        for _ in range(3):
            k = rng.randint(1, 4)
            samples.append(e164[:-k] + "".join(rng.choice("0123456789") for _ in range(k)))
    for cc in COUNTRY_CODE_TO_REGION_CODE:
        for _ in range(25):
            n = rng.randint(5, 14 - len(str(cc)))
            samples.append(f"+{cc}" + "".join(rng.choice("0123456789") for _ in range(n + 1)))
    samples = [s for s in samples if 6 <= len(s) - 1 <= 15]
    auto = automaton()
    disagree = [s for s in samples if auto.accepts_text(s) != _same_as_phonenumbers(s)]
    assert not disagree, disagree[:10]
    assert sum(map(phonenumbers_valid, samples)) > len(samples) // 3  # the sample is not all invalid


LINE = st.one_of(
    st.sampled_from(EXAMPLES),
    st.sampled_from(EXAMPLES).map(lambda s: s[:-2] + "00"),
    st.sampled_from(EXAMPLES).map(lambda s: " " + s + " "),
    st.sampled_from(EXAMPLES).map(lambda s: "'" + s),
    st.sampled_from(["", "   ", "garbage", "+", "+0123456789", "0612345678", "06 12 34 56 78", "+33 6 12 34 56 78",
                     "+1 1 8316586892", "+330612345678", "+12345678901234567", "\x00\x01", "+3361234567é", "é"]),
    st.text(alphabet="+0123456789 -x", max_size=18),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, max_size=40), crlf=st.booleans(), bom=st.booleans(),
       block=st.sampled_from([16, 64, 1 << 20]))
def test_the_vectorised_reader_finds_exactly_what_the_line_by_line_reader_finds(
    tmp_path: Path, lines: list[str], crlf: bool, bom: bool, block: int
) -> None:
    text = ("\ufeff" if bom else "") + ("\r\n" if crlf else "\n").join(lines)
    path = tmp_path / "reg.txt"
    path.write_bytes(text.encode("utf-8"))
    fast = registry_files.read_numbers(path, default_region="FR", block_bytes=block)
    old = registry_files.parse_numbers(
        registry_files.number_fields(io.StringIO(text.lstrip("\ufeff"), newline="")), default_region="FR"
    )
    assert fast.keys.tolist() == old.keys.tolist()
    assert (fast.lines, fast.invalid) == (old.lines, old.invalid)
    assert len(fast.examples) == min(old.invalid, registry_files.MAX_EXAMPLES)


def test_every_invalid_line_is_counted_and_the_first_ones_are_quoted_with_their_line_numbers(tmp_path: Path) -> None:
    good = [f"+3361234{i:04d}" for i in range(50)]
    body = []
    for i, number in enumerate(good):
        body.append(number)
        if i % 2 == 0:
            body.append(f"bad {i}")
    body.insert(3, "")
    path = tmp_path / "reg.txt"
    path.write_text("\n".join(body) + "\n")
    parsed = registry_files.read_numbers(path, default_region=None, block_bytes=64)
    assert len(parsed.keys) == 50 and parsed.invalid == 25 and parsed.lines == 75
    assert len(parsed.examples) == registry_files.MAX_EXAMPLES
    assert parsed.examples[0] == "line 2: 'bad 0': not a phone number"
    assert parsed.examples[1] == "line 6: 'bad 2': not a phone number"  # the blank line 4 is still a line


def test_a_line_too_long_to_be_a_number_is_one_invalid_line_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "reg.txt"
    path.write_bytes(b"+33612345678\n" + b"9" * 200_000 + b"\n+33612345679\n")
    parsed = registry_files.read_numbers(path, default_region=None, block_bytes=4096)
    assert parsed.keys.tolist() == [33612345678, 33612345679]
    assert (parsed.lines, parsed.invalid) == (3, 1)
    assert parsed.examples[0].startswith("line 2: '999") and parsed.examples[0].endswith("line too long")


def test_write_registry_merges_blocks_into_one_sorted_unique_file_with_its_sha256(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    keys = 33600000000 + rng.integers(0, 10_000_000, 20_000)
    path = tmp_path / "reg.txt"
    path.write_text("".join(f"+{k}\n" for k in keys.tolist()) + "nonsense\n")
    dest = tmp_path / "out" / "reg.npy"
    written = registry_files.write_registry(path, dest, default_region=None, block_bytes=10_000)
    stored = registry_files.load_keys(dest)
    assert stored.tolist() == sorted(set(keys.tolist()))
    assert (written.count, written.lines, written.invalid) == (len(stored), 20_001, 1)
    assert written.sha256 == registry_files.file_sha256(dest)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["reg.npy"]  # no run or part file left


def test_an_empty_file_gives_an_empty_registry(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    written = registry_files.write_registry(path, tmp_path / "e.npy", default_region=None)
    assert written.count == 0 and registry_files.load_keys(tmp_path / "e.npy").tolist() == []


def test_reads_a_million_canonical_lines_at_more_than_200_000_lines_a_second(tmp_path: Path) -> None:
    """The line-by-line reader managed about 48,000 lines a second; a national registry has 10**8."""
    automaton()  # built once per process (about a second), not part of an import's rate
    n = 1_000_000
    keys = 84900000000 + np.random.default_rng(1).integers(0, 90_000_000, n)
    path = tmp_path / "reg.txt"
    path.write_bytes(b"".join(b"+%d\n" % k for k in keys.tolist()))
    start = time.perf_counter()
    written = registry_files.write_registry(path, tmp_path / "reg.npy", default_region=None)
    elapsed = time.perf_counter() - start
    assert written.lines == n and written.invalid == 0
    assert n / elapsed > 200_000, f"{n / elapsed:,.0f} lines/s"


@pytest.mark.parametrize("line", ["+33612345678", "+84987654321", "+14155550123", "+442079460000"])
def test_a_canonical_number_is_read_by_the_fast_path(tmp_path: Path, line: str) -> None:
    path = tmp_path / "one.txt"
    path.write_text(line + "\n")
    assert registry_files.read_numbers(path, default_region=None).keys.tolist() == [int(line[1:])]
    assert automaton().accepts_text(line)


def _metadata_patterns() -> list[str]:
    out = set()
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        md = phonenumbers.PhoneMetadata.metadata_for_region(region)
        for name in ("general_desc", "fixed_line", "mobile", "toll_free", "voip"):
            desc = getattr(md, name)
            if desc is not None and desc.national_number_pattern:
                out.add(desc.national_number_pattern)
    return sorted(out)


@settings(max_examples=300, deadline=None)
@given(pattern=st.sampled_from(_metadata_patterns()), digits=st.text(alphabet="0123456789", max_size=13),
       example=st.sampled_from(EXAMPLES))
def test_the_pattern_compiler_matches_exactly_what_python_re_matches(pattern: str, digits: str, example: str) -> None:
    matches = pattern_matcher(pattern)
    for text in (digits, example[3:], example[2:], example[4:]):
        assert matches(text) == bool(re.fullmatch(pattern, text)), (pattern, text)


def test_a_pattern_in_syntax_the_compiler_does_not_know_is_refused_not_guessed() -> None:
    for pattern in (r"\d{2,}", r"[^0]\d", r"\d+", "(0|1)"):
        with pytest.raises(PatternError):
            pattern_matcher(pattern)
