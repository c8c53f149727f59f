"""Which E.164 numbers are valid, as one digit automaton built once from ``phonenumbers``' metadata.

``phonenumbers.is_valid_number`` costs about 20 us a number; a national registry has 10**8 of them.
The metadata behind it is, per country calling code, a few regular expressions over the national
number (each region's general pattern, one per number type, and ``leading_digits`` that pick the
region among those sharing a code) with the national lengths each allows. They use a small regex
language (digits, ``[...]``, ``\\d``, ``(?:...)``, ``|``, ``?``, ``{n}``, ``{n,m}``), so they compile to
one deterministic automaton over the digits of the whole number (country code first). Validating a
batch of numbers is then a table lookup per digit, vectorised over the batch with numpy.

The accepting rule copies ``is_valid_number``: the region is the only one of its code, or the first of
the code's regions whose ``leading_digits`` match the start of the national number (a region without
them claims a number it validates); the number is valid when it matches that region's general pattern
and one type pattern, each with its lengths. Tests compare the two on random and example numbers.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

log = logging.getLogger(__name__)
STAY = 10  # the "no more digits" symbol: a padded position keeps the state
DEAD, ROOT = 0, 1
_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
          "voicemail", "fixed_line", "mobile")
_ALL = frozenset(range(10))


class PatternError(ValueError):
    """A metadata pattern uses syntax this compiler does not know (a ``phonenumbers`` upgrade)."""


# --- regex to NFA ---------------------------------------------------------------------------------------

class _Nfa:
    """A Thompson NFA over digits: epsilon moves and digit-set moves between integer states."""

    def __init__(self) -> None:
        self.eps: list[list[int]] = []
        self.moves: list[list[tuple[frozenset[int], int]]] = []

    def state(self) -> int:
        self.eps.append([])
        self.moves.append([])
        return len(self.eps) - 1

    def closure(self, states: Iterable[int]) -> frozenset[int]:
        seen = set(states)
        todo = list(seen)
        while todo:
            for t in self.eps[todo.pop()]:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return frozenset(seen)


class _Parser:
    """Compiles one pattern into ``nfa``: ``compile(start) -> end`` state."""

    def __init__(self, nfa: _Nfa, pattern: str) -> None:
        self.nfa, self.text, self.i = nfa, pattern, 0

    def fail(self, what: str) -> PatternError:
        return PatternError(f"{what} at {self.i} in {self.text!r}")

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def compile(self, start: int) -> int:
        end = self.alt(start)
        if self.i != len(self.text):
            raise self.fail("unexpected character")
        return end

    def alt(self, start: int) -> int:
        end = self.nfa.state()
        while True:
            branch = self.nfa.state()
            self.nfa.eps[start].append(branch)
            self.nfa.eps[self.seq(branch)].append(end)
            if self.peek() != "|":
                return end
            self.i += 1

    def seq(self, start: int) -> int:
        cur = start
        while self.peek() not in ("", "|", ")"):
            cur = self.item(cur)
        return cur

    def item(self, start: int) -> int:
        atom_at = self.i
        scratch = _Parser(_Nfa(), self.text)  # finds where the atom ends, without touching our NFA
        scratch.i = atom_at
        scratch.atom(scratch.nfa.state())
        self.i = scratch.i
        low, high = self.quantifier()
        after = self.i
        cur = start
        optional: list[int] = []
        for n in range(high):
            if n >= low:
                optional.append(cur)
            self.i = atom_at
            cur = self.atom(cur)
        self.i = after
        for state in optional:  # the copies beyond ``low`` may be skipped
            self.nfa.eps[state].append(cur)
        return cur

    def quantifier(self) -> tuple[int, int]:
        c = self.peek()
        if c == "?":
            self.i += 1
            return 0, 1
        if c != "{":
            return 1, 1
        close = self.text.index("}", self.i)
        body = self.text[self.i + 1 : close]
        low_text, _, high_text = body.partition(",")
        if not low_text.isdigit() or (high_text and not high_text.isdigit()) or (_ == "," and not high_text):
            raise self.fail("unsupported repetition")
        self.i = close + 1
        low = int(low_text)
        return low, int(high_text) if high_text else low

    def atom(self, start: int) -> int:
        c = self.peek()
        if self.text.startswith("(?:", self.i):
            self.i += 3
            end = self.alt(start)
            if self.peek() != ")":
                raise self.fail("unclosed group")
            self.i += 1
            return end
        if c == "[":
            close = self.text.index("]", self.i)
            digits = _class(self.text[self.i + 1 : close])
            self.i = close + 1
        elif self.text.startswith("\\d", self.i):
            digits = _ALL
            self.i += 2
        elif c.isdigit():
            digits = frozenset({int(c)})
            self.i += 1
        else:
            raise self.fail(f"unsupported syntax {c!r}")
        end = self.nfa.state()
        self.nfa.moves[start].append((digits, end))
        return end


def _class(body: str) -> frozenset[int]:
    out: set[int] = set()
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            out.update(range(int(body[i]), int(body[i + 2]) + 1))
            i += 3
        elif body[i].isdigit():
            out.add(int(body[i]))
            i += 1
        else:
            raise PatternError(f"unsupported class [{body}]")
    return frozenset(out)


# --- per country code automaton -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Pattern:
    accept: int  # the NFA state that ends a full match
    lengths: frozenset[int] | None  # national lengths allowed (None: any)


@dataclass(frozen=True, slots=True)
class _Region:
    general: _Pattern | None
    types: tuple[_Pattern, ...]
    leading: int | None  # accept state of leading_digits (a prefix match), None when absent


def _metadata(cc: int, region: str) -> PhoneMetadata | None:
    if region == "001":
        return PhoneMetadata.metadata_for_nongeo_region(cc)
    return PhoneMetadata.metadata_for_region(region)


def _desc_pattern(nfa: _Nfa, start: int, desc: object) -> _Pattern | None:
    pattern = getattr(desc, "national_number_pattern", None) if desc is not None else None
    if not pattern:
        return None
    entry = nfa.state()
    nfa.eps[start].append(entry)
    accept = _Parser(nfa, pattern).compile(entry)
    lengths = tuple(getattr(desc, "possible_length", ()) or ())
    return _Pattern(accept, frozenset(lengths) if lengths else None)


def _valid_in(region: _Region, states: frozenset[int], length: int) -> bool:
    def ok(p: _Pattern | None) -> bool:
        return p is not None and p.accept in states and (p.lengths is None or length in p.lengths)

    return ok(region.general) and any(ok(t) for t in region.types)


@dataclass(frozen=True, slots=True)
class Automaton:
    """Transitions ``(states, 11)`` int32 (digit 0-9, and ``STAY``) and which states accept."""

    transitions: np.ndarray
    accepting: np.ndarray  # bool per state

    def accepts(self, digits: np.ndarray) -> np.ndarray:
        """For each row of ``digits`` (uint8, padded with ``STAY``), whether the number is valid."""
        flat = self.transitions.reshape(-1)
        state = np.full(len(digits), ROOT, dtype=np.int32)
        for j in range(digits.shape[1]):
            state = flat.take(state * 11 + digits[:, j])
        return self.accepting[state]

    def accepts_text(self, e164: str) -> bool:
        state = ROOT
        for ch in e164.lstrip("+"):
            state = int(self.transitions[state, int(ch)])
        return bool(self.accepting[state])


@functools.cache
def automaton() -> Automaton:
    """The automaton of every valid E.164 number, built once per process (about a second)."""
    rows: list[list[int]] = [[DEAD] * 10 + [DEAD], [DEAD] * 10 + [ROOT]]
    accepting: list[bool] = [False, False]
    rows[DEAD][STAY] = DEAD

    def new_state(accept: bool) -> int:
        rows.append([DEAD] * 11)
        accepting.append(accept)
        s = len(rows) - 1
        rows[s][STAY] = s
        return s

    # the country-code trie: codes are prefix-free, so a code's last digit enters its national part
    for cc, regions in sorted(COUNTRY_CODE_TO_REGION_CODE.items()):
        node = ROOT
        text = str(cc)
        for d in text[:-1]:
            nxt = rows[node][int(d)]
            if nxt == DEAD:
                nxt = new_state(False)
                rows[node][int(d)] = nxt
            node = nxt
        try:
            rows[node][int(text[-1])] = _build_country(cc, regions, new_state, rows, accepting)
        except PatternError as exc:  # that code's numbers all take the slow path (phonenumbers itself)
            log.warning("country code %d: %s; its numbers are validated one by one", cc, exc)
    return Automaton(np.array(rows, dtype=np.int32), np.array(accepting, dtype=bool))


def _build_country(
    cc: int, region_codes: Iterable[str], new_state: Callable[[bool], int], rows: list[list[int]],
    accepting: list[bool],
) -> int:
    nfa = _Nfa()
    root = nfa.state()
    regions: list[_Region] = []
    for code in region_codes:
        md = _metadata(cc, code)
        if md is None:
            continue
        general = _desc_pattern(nfa, root, md.general_desc)
        types = tuple(p for name in _TYPES if (p := _desc_pattern(nfa, root, getattr(md, name))) is not None)
        leading = None
        if md.leading_digits:
            entry = nfa.state()
            nfa.eps[root].append(entry)
            leading = _Parser(nfa, md.leading_digits).compile(entry)
        regions.append(_Region(general, types, leading))
    single = len(regions) == 1

    def accepts(states: frozenset[int], depth: int, led: frozenset[int]) -> bool:
        if single:
            return _valid_in(regions[0], states, depth)
        for i, region in enumerate(regions):
            if region.leading is not None:
                if i in led:
                    return _valid_in(region, states, depth)
            elif _valid_in(region, states, depth):
                return True
        return False

    def led_now(states: frozenset[int], led: frozenset[int]) -> frozenset[int]:
        hits = {i for i, r in enumerate(regions) if r.leading is not None and r.leading in states}
        return led | hits if hits else led

    start_set = nfa.closure([root])
    key0 = (start_set, 0, led_now(start_set, frozenset()))
    ids: dict[tuple[frozenset[int], int, frozenset[int]], int] = {}
    ids[key0] = new_state(accepts(*key0))
    todo = [key0]
    while todo:
        key = todo.pop()
        states, depth, led = key
        if depth >= 17:
            continue
        sid = ids[key]
        for d in range(10):
            step = [t for s in states for digits, t in nfa.moves[s] if d in digits]
            if not step:
                continue
            nxt_states = nfa.closure(step)
            nxt = (nxt_states, depth + 1, led_now(nxt_states, led))
            target = ids.get(nxt)
            if target is None:
                target = ids[nxt] = new_state(accepts(*nxt))
                todo.append(nxt)
            rows[sid][d] = target
    return ids[key0]


def pattern_matcher(pattern: str) -> Callable[[str], bool]:
    """Whether a digit string fully matches ``pattern``, by the NFA this module compiles (for tests)."""
    nfa = _Nfa()
    start = nfa.state()
    accept = _Parser(nfa, pattern).compile(start)

    def matches(digits: str) -> bool:
        states = nfa.closure([start])
        for ch in digits:
            d = int(ch)
            states = nfa.closure([t for s in states for allowed, t in nfa.moves[s] if d in allowed])
        return accept in states

    return matches


def is_valid_e164(e164: str) -> bool:
    """``phonenumbers.is_valid_number`` of a canonical E.164 text, by the automaton (for tests)."""
    return automaton().accepts_text(e164)


def phonenumbers_valid(e164: str) -> bool:
    """The reference answer: parse and validate with ``phonenumbers`` (for tests and benchmarks)."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return False
