"""Asterisk's dialplan text rules, pure: ``${VAR}``/``${VAR:off:len}``/``${FUNC(args)}`` and ``$[...]``
substitution, the ``$[...]`` expression language (``= != < > <= >= + - * / % | & !`` and parentheses,
quoted strings), conditions, and the argument splitting applications use.

``substitute(text, scope)`` expands the innermost constructs first, as pbx_substitute_variables does;
``scope`` answers variable and function look-ups (the interpreter passes the channel's).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from typing import Protocol

log = logging.getLogger(__name__)


class Scope(Protocol):
    def variable(self, name: str) -> str: ...

    def function(self, name: str, args: str) -> str: ...


_FUNC = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\((.*)\)$", re.DOTALL)


def substitute(text: str, scope: Scope) -> str:
    """``text`` with every ``${...}`` and ``$[...]`` replaced, innermost first."""
    if "$" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == "$" and i + 1 < n and text[i + 1] in "{[":
            opening = text[i + 1]
            closing = "}" if opening == "{" else "]"
            depth, j = 1, i + 2
            while j < n and depth:
                if text[j] == opening:
                    depth += 1
                elif text[j] == closing:
                    depth -= 1
                j += 1
            if depth:  # unterminated: Asterisk keeps the text as it is
                out.append(text[i:])
                break
            inner = substitute(text[i + 2 : j - 1], scope)
            out.append(_variable(inner, scope) if opening == "{" else evaluate(inner))
            i = j
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _variable(inner: str, scope: Scope) -> str:
    m = _FUNC.match(inner)
    if m:
        return scope.function(m.group(1).upper(), m.group(2))
    name, _, rest = inner.partition(":")
    value = scope.variable(name)
    if not rest:
        return value
    offset_raw, _, length_raw = rest.partition(":")
    try:
        offset = int(offset_raw or 0)
        length = int(length_raw) if length_raw else None
    except ValueError:
        return value
    start = max(len(value) + offset, 0) if offset < 0 else offset
    if length is None:
        return value[start:]
    end = len(value) + length if length < 0 else start + length
    return value[start:end]


def is_true(value: str) -> bool:
    """pbx_checkcondition: empty is false, a number is its value, any other text is true."""
    value = value.strip()
    if not value:
        return False
    number = _number(value)
    return number != 0 if number is not None else True


def split_condition(data: str) -> tuple[str, str, str]:
    """``cond?a:b`` (GotoIf, ExecIf, IF) as (cond, a, b); missing parts are ""."""
    cond, _, branches = data.partition("?")
    first, _, second = branches.partition(":")
    return cond, first, second


def split_args(data: str) -> list[str]:
    """An application's arguments: commas outside quotes and parentheses; quotes and backslashes
    removed (ast_app_separate_args, see i1_originate_variable_special_chars)."""
    args: list[str] = []
    cur: list[str] = []
    depth, quoted, i = 0, False, 0
    while i < len(data):
        ch = data[i]
        if ch == "\\" and i + 1 < len(data):
            cur.append(data[i + 1])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif quoted:
            cur.append(ch)
        elif ch == "(":
            depth += 1
            cur.append(ch)
        elif ch == ")":
            depth = max(depth - 1, 0)
            cur.append(ch)
        elif ch == "," and not depth:
            args.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    args.append("".join(cur))
    return args


def function_value(name: str, args: str, scope: Scope) -> str:
    """The dialplan functions a dialer's dialplan uses (IF, LEN, ISNULL, EXISTS, BASE64_*)."""
    if name == "IF":
        cond, yes, no = split_condition(args)
        return yes if is_true(cond) else no
    if name == "LEN":
        return str(len(args))
    if name == "ISNULL":
        return "1" if not args else "0"
    if name == "EXISTS":
        return "1" if args else "0"
    if name == "BASE64_DECODE":
        try:
            return base64.b64decode(args).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return ""
    if name == "BASE64_ENCODE":
        return base64.b64encode(args.encode()).decode()
    log.warning("dialplan function %s is not simulated; it gives an empty string", name)
    return ""


# --- $[...] expressions -------------------------------------------------------------------------
_OPERATORS = ("!=", "<=", ">=", "==", "=~", "=", "<", ">", "+", "-", "*", "/", "%", "|", "&", "(", ")", "!")


def _tokens(expr: str) -> list[tuple[str, str]]:
    """(kind, text) with kind "op", "str" (quoted) or "word"."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(expr)
    while i < n:
        ch = expr[i]
        if ch.isspace():
            i += 1
            continue
        if ch == '"':
            j = i + 1
            buf = []
            while j < n and expr[j] != '"':
                if expr[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(expr[j])
                j += 1
            out.append(("str", "".join(buf)))
            i = j + 1
            continue
        op = next((o for o in _OPERATORS if expr.startswith(o, i)), None)
        if op is not None:
            out.append(("op", op))
            i += len(op)
            continue
        j = i
        while (
            j < n
            and not expr[j].isspace()
            and expr[j] != '"'
            and not any(expr.startswith(o, j) for o in _OPERATORS)
        ):
            j += 1
        out.append(("word", expr[i:j]))
        i = j
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _format(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.15g}"


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> str | None:
        if self.pos < len(self.tokens) and self.tokens[self.pos][0] == "op":
            return self.tokens[self.pos][1]
        return None

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse_or(self) -> str:
        left = self.parse_and()
        while self.peek() == "|":
            self.take()
            right = self.parse_and()
            left = left if is_true(left) else (right if is_true(right) else "0")
        return left

    def parse_and(self) -> str:
        left = self.parse_cmp()
        while self.peek() == "&":
            self.take()
            right = self.parse_cmp()
            left = left if is_true(left) and is_true(right) else "0"
        return left

    def parse_cmp(self) -> str:
        left = self.parse_add()
        while self.peek() in ("=", "==", "!=", "<", ">", "<=", ">=", "=~"):
            op = self.take()[1]
            right = self.parse_add()
            left = "1" if _compare(op, left, right) else "0"
        return left

    def parse_add(self) -> str:
        left = self.parse_mul()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            right = self.parse_mul()
            a, b = _number(left), _number(right)
            if a is None or b is None:
                log.warning("non-numeric argument in $[%s %s %s]", left, op, right)
                a, b = a or 0.0, b or 0.0
            left = _format(a + b if op == "+" else a - b)
        return left

    def parse_mul(self) -> str:
        left = self.parse_unary()
        while self.peek() in ("*", "/", "%"):
            op = self.take()[1]
            right = self.parse_unary()
            a, b = _number(left) or 0.0, _number(right) or 0.0
            if op == "*":
                left = _format(a * b)
            elif b == 0:
                log.warning("division by zero in $[%s %s %s]", left, op, right)
                left = "0"
            else:
                left = _format(float(int(a / b)) if op == "/" else a % b)
        return left

    def parse_unary(self) -> str:
        op = self.peek()
        if op == "-":
            self.take()
            value = _number(self.parse_unary())
            return _format(-(value or 0.0))
        if op == "!":
            self.take()
            return "0" if is_true(self.parse_unary()) else "1"
        if op == "(":
            self.take()
            value = self.parse_or()
            if self.peek() == ")":
                self.take()
            return value
        if self.pos >= len(self.tokens):
            return ""
        return self.take()[1]


def _compare(op: str, left: str, right: str) -> bool:
    if op == "=~":
        return re.search(right, left) is not None
    a, b = _number(left), _number(right)
    pair: tuple[float, float] | tuple[str, str] = (a, b) if a is not None and b is not None else (left, right)
    x, y = pair
    return {
        "=": x == y,
        "==": x == y,
        "!=": x != y,
        "<": x < y,  # type: ignore[operator]
        ">": x > y,  # type: ignore[operator]
        "<=": x <= y,  # type: ignore[operator]
        ">=": x >= y,  # type: ignore[operator]
    }[op]


def evaluate(expr: str) -> str:
    """The value of a ``$[...]`` expression (its text already substituted)."""
    tokens = _tokens(expr)
    if not tokens:
        return ""
    parser = _Parser(tokens)
    value = parser.parse_or()
    if parser.pos < len(tokens):
        log.warning("syntax error in $[%s]", expr)
    return value
