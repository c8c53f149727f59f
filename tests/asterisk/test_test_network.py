"""``asterisk/extensions_test_network.conf``, the pretend public network for demos and the live suite: it
parses as Asterisk 20/22 dialplan, every number the demo generates reaches an outcome, agent phones exist,
``nobody`` never does, and the production dialplan never includes it."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from dialer.demo import demo_number

ASTERISK_DIR = Path(__file__).resolve().parents[2] / "asterisk"
CONTEXT = "dialer-test-network"
# core applications of Asterisk 20 and 22 (tests/asterisk/test_dialplan_syntax.py checks the full dialplan)
APPLICATIONS = {"Answer", "Busy", "Congestion", "Goto", "Hangup", "NoOp", "Playback", "Ringing", "Set", "Wait"}
_LINE = re.compile(r"^(exten|same)\s*=>\s*(?:([^,]+),)?(\d+|n),([A-Za-z]+)\((.*)\)$")


@dataclass(frozen=True, slots=True)
class Step:
    context: str
    exten: str
    priority: int
    app: str
    args: str


def parse(text: str) -> list[Step]:
    """The steps of a dialplan file (contexts, ``exten =>`` and ``same =>`` lines); fails on anything else."""
    steps: list[Step] = []
    context, exten, last = "", "", 0
    for raw in text.splitlines():
        line = re.sub(r"(?<!\\);.*$", "", raw).strip()
        if not line:
            continue
        if line.startswith("["):
            context = line.strip("[]")
            continue
        m = _LINE.match(line)
        assert m and context, f"not dialplan: {raw!r}"
        kind, name, prio, app, args = m.groups()
        exten = name.strip() if kind == "exten" else exten
        last = 1 if prio == "1" else last + 1
        steps.append(Step(context, exten, last, app, args))
    return steps


def pattern_matches(pattern: str, exten: str) -> bool:
    """Asterisk extension matching: a literal name, or an ``_`` pattern where X, Z and N (in either case)
    are digit classes, ``[...]`` a set of characters, ``.`` one or more characters and ``!`` zero or more."""
    if not pattern.startswith("_"):
        return pattern == exten
    regex, body, i = "", pattern[1:], 0
    while i < len(body):
        if body[i] == "[":
            end = body.index("]", i)
            regex += "[" + body[i + 1:end] + "]"
            i = end + 1
            continue
        regex += {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}.get(body[i].upper(), re.escape(body[i]))
        i += 1
    return re.fullmatch(regex, exten) is not None


@pytest.fixture(scope="module")
def network() -> list[Step]:
    return parse((ASTERISK_DIR / "extensions_test_network.conf").read_text())


def _first_match(steps: list[Step], exten: str) -> str | None:
    """The extension Asterisk runs for ``exten``: an exact name first, else a matching pattern."""
    names = [s.exten for s in steps if s.context == CONTEXT and s.priority == 1]
    if exten in names:
        return exten
    return next((n for n in names if n.startswith("_") and pattern_matches(n, exten)), None)


def test_it_parses_and_uses_only_core_asterisk_applications(network) -> None:
    assert {s.context for s in network} == {CONTEXT}
    assert {s.app for s in network} <= APPLICATIONS


def test_every_number_the_demo_generates_reaches_an_outcome_class(network) -> None:
    rng = random.Random(3)
    for i in range(300):
        digits = demo_number(i, rng).lstrip("+")
        assert _first_match(network, digits) == "_X."
        assert _first_match(network, f"class-{digits[-4]}") is not None, digits


def test_agent_phones_answer_and_stay_and_nobody_never_exists(network) -> None:
    assert not pattern_matches("_agent-X.", "agent-12")       # a bare n is a digit class, in any case
    name = _first_match(network, "agent-12")
    assert name is not None and name.startswith("_")
    phone = [s for s in network if s.exten == name]
    assert [s.app for s in phone][1:3] == ["Answer", "Wait"] and int(phone[2].args) >= 3600
    assert _first_match(network, "nobody") is None


def test_the_production_dialplan_never_includes_the_test_network() -> None:
    for path in ASTERISK_DIR.glob("*.conf"):
        if path.name != "extensions_test_network.conf":
            assert not re.search(r"^\s*#include\s+extensions_test_network", path.read_text(), re.M), path.name
