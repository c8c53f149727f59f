"""A parser of Asterisk's ``extensions.conf`` syntax and the lookups the dialplan needs, pure.

It reads contexts, ``exten =>``/``same =>`` lines with numbered or ``n`` priorities and ``(label)``s,
``include =>`` and ``[general]``/``[globals]``; comments start at an unescaped ``;``. ``Conf.match``
picks the extension Asterisk runs for a dialled one: an exact name beats every pattern, and among
patterns the most specific wins (Asterisk's ``ext_cmp``: position by position, the pattern whose
character class is smaller sorts first). Used by the simulated PBX to run
``asterisk/extensions_dialer.conf`` and by tests/asterisk/test_dialplan_syntax.py to check it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED_DIALPLAN = Path(__file__).resolve().parents[2] / "asterisk" / "extensions_dialer.conf"


@dataclass(frozen=True, slots=True)
class Step:
    """One priority of one extension."""

    context: str
    exten: str  # as written: "s", "failed", "_[a-z0-9]."
    priority: int
    label: str
    app: str
    args: str
    line: int


class DialplanError(ValueError):
    pass


_EXTEN = re.compile(r"^(exten|same)\s*=>\s*(.*)$")
_PRIORITY = re.compile(r"^(\d+|n|hint)(?:\(([A-Za-z0-9_-]+)\))?$")
_APP = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\((.*)\))?$")


def split_top(text: str, sep: str = ",", limit: int = -1) -> list[str]:
    """Split on ``sep`` outside (), [], {}; raise ``DialplanError`` on unbalanced brackets."""
    parts, depth, start, pairs = [], [], 0, {"(": ")", "[": "]", "{": "}"}
    for i, ch in enumerate(text):
        if ch in pairs:
            depth.append(pairs[ch])
        elif ch in pairs.values():
            if not depth or depth.pop() != ch:
                raise DialplanError(f"unbalanced {ch!r} in {text!r}")
        elif ch == sep and not depth and limit != 0:
            parts.append(text[start:i])
            start = i + 1
            limit -= 1
    if depth:
        raise DialplanError(f"unclosed bracket in {text!r}")
    parts.append(text[start:])
    return parts


def parse_extensions(text: str) -> tuple[list[Step], dict[str, list[str]]]:
    """Every step of the dialplan and each context's includes; raise ``DialplanError`` on bad syntax."""
    steps: list[Step] = []
    includes: dict[str, list[str]] = {}
    context, exten, last = "", "", 0
    labels: set[tuple[str, str, str]] = set()
    last_of: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(?<!\\);.*$", "", raw).strip()
        if not line or line.startswith("#include"):
            continue
        if line.startswith("["):
            if not re.fullmatch(r"\[[A-Za-z0-9_-]+\](\(.*\))?", line):
                raise DialplanError(f"line {number}: bad context header {line!r}")
            context = line[1 : line.index("]")]
            includes.setdefault(context, [])
            exten, last = "", 0
            continue
        if not context:
            raise DialplanError(f"line {number}: statement outside a context")
        if context in ("general", "globals"):
            if "=" not in line:
                raise DialplanError(f"line {number}: expected name = value in [{context}]")
            continue
        if line.startswith("include"):
            includes[context].append(line.split("=>", 1)[1].strip())
            continue
        m = _EXTEN.match(line)
        if not m:
            raise DialplanError(f"line {number}: not an exten/same/include line: {line!r}")
        kind, rest = m.groups()
        if kind == "exten":
            fields = split_top(rest, ",", 2)
            if len(fields) != 3:
                raise DialplanError(f"line {number}: exten needs name,priority,application")
            exten, prio, app = (f.strip() for f in fields)
            last = last_of.get((context, exten), 0)
            if not exten or (exten.startswith("_") and len(exten) < 2):
                raise DialplanError(f"line {number}: bad extension {exten!r}")
        else:
            if not exten:
                raise DialplanError(f"line {number}: 'same' before any 'exten'")
            fields = split_top(rest, ",", 1)
            if len(fields) != 2:
                raise DialplanError(f"line {number}: same needs priority,application")
            prio, app = (f.strip() for f in fields)
        pm = _PRIORITY.match(prio)
        if not pm:
            raise DialplanError(f"line {number}: bad priority {prio!r}")
        if pm.group(1) == "hint":
            continue
        if pm.group(1) == "n" and last == 0:
            raise DialplanError(f"line {number}: priority n without a priority 1 before it")
        value = last + 1 if pm.group(1) == "n" else int(pm.group(1))
        label = pm.group(2) or ""
        if label:
            if (context, exten, label) in labels:
                raise DialplanError(f"line {number}: duplicate label {label!r}")
            labels.add((context, exten, label))
        am = _APP.match(app)
        if not am:
            raise DialplanError(f"line {number}: bad application call {app!r}")
        split_top(am.group(2) or "")  # balanced brackets in the arguments
        last = last_of[(context, exten)] = value
        steps.append(Step(context, exten, value, label, am.group(1), am.group(2) or "", number))
    return steps, includes


def _pattern_classes(pattern: str) -> list[str]:
    """The character classes of an ``_`` pattern, one per position ("." and "!" as themselves)."""
    out, i, body = [], 0, pattern[1:]
    while i < len(body):
        ch = body[i]
        if ch == "[":
            end = body.index("]", i)
            out.append(_expand_set(body[i + 1 : end]))
            i = end + 1
            continue
        up = ch.upper()
        out.append({"X": "0123456789", "Z": "123456789", "N": "23456789"}.get(up, ch))
        if up not in "XZN" and ch not in ".!":
            out[-1] = "=" + ch  # a literal character
        i += 1
    return out


def _expand_set(spec: str) -> str:
    chars, i = [], 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            chars += [chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1)]
            i += 3
        else:
            chars.append(spec[i])
            i += 1
    return "".join(sorted(set(chars)))


def pattern_matches(pattern: str, exten: str) -> bool:
    """Asterisk extension matching: literal names, or ``_`` patterns with X Z N [..] . !"""
    if not pattern.startswith("_"):
        return pattern == exten
    regex = ""
    for cls in _pattern_classes(pattern):
        if cls == ".":
            regex += ".+"
        elif cls == "!":
            regex += ".*"
        elif cls.startswith("="):
            regex += re.escape(cls[1:])
        else:
            regex += "[" + re.escape(cls) + "]"
    return re.fullmatch(regex, exten) is not None


def _specificity(pattern: str) -> tuple[tuple[int, int], ...]:
    """Sort key of a pattern as Asterisk's ext_cmp orders them: smaller classes first, '.' after all."""
    key = []
    for cls in _pattern_classes(pattern):
        if cls in (".", "!"):
            key.append((2, 0 if cls == "!" else 1))
        elif cls.startswith("="):
            key.append((0, 1))
        else:
            key.append((1, len(cls)))
    return tuple(key)


@dataclass(slots=True)
class Extension:
    """The priorities and labels of one extension in one context."""

    name: str
    steps: dict[int, Step] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Conf:
    """A parsed dialplan: ``contexts[context][extension name]``."""

    contexts: dict[str, dict[str, Extension]]
    includes: dict[str, list[str]]
    steps: list[Step]

    @classmethod
    def parse(cls, text: str) -> Conf:
        steps, includes = parse_extensions(text)
        contexts: dict[str, dict[str, Extension]] = {name: {} for name in includes}
        for s in steps:
            ext = contexts.setdefault(s.context, {}).setdefault(s.exten, Extension(s.exten))
            ext.steps[s.priority] = s
            if s.label:
                ext.labels[s.label] = s.priority
        return cls(contexts, includes, steps)

    @classmethod
    def load(cls, path: Path | str = SHIPPED_DIALPLAN) -> Conf:
        return cls.parse(Path(path).read_text(encoding="utf-8"))

    def match(self, context: str, exten: str) -> Extension | None:
        """The extension Asterisk runs for ``exten`` in ``context`` (includes searched after it)."""
        return self._match(context, exten, set())

    def _match(self, context: str, exten: str, seen: set[str]) -> Extension | None:
        if context in seen:
            return None
        seen.add(context)
        entries = self.contexts.get(context, {})
        if exten in entries and not exten.startswith("_"):
            return entries[exten]
        patterns = sorted(
            (e for name, e in entries.items() if name.startswith("_") and pattern_matches(name, exten)),
            key=lambda e: _specificity(e.name),
        )
        if patterns:
            return patterns[0]
        for included in self.includes.get(context, []):
            found = self._match(included, exten, seen)
            if found is not None:
                return found
        return None

    def exists(self, context: str, exten: str, priority: int = 1) -> bool:
        """Whether ``context``/``exten`` has ``priority`` (what Originate and Redirect check)."""
        ext = self.match(context, exten)
        return ext is not None and priority in ext.steps


def applications_used(steps: Iterable[Step]) -> set[str]:
    """Applications called directly and through ExecIf(cond?App(args):App(args))."""
    steps = list(steps)
    apps = {s.app for s in steps}
    for s in steps:
        if s.app == "ExecIf":
            for branch in s.args.split("?", 1)[1].split(":"):
                apps.add(branch.split("(", 1)[0].strip())
    return apps


def functions_used(steps: Iterable[Step]) -> set[str]:
    return {name for s in steps for name in re.findall(r"\$\{([A-Z_]+)\(", s.args)}
