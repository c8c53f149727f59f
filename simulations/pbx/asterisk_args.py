"""What Asterisk 22 does to an AMI ``Variable:`` header, pure: its argument parser and its C escaping.

``Variable: T=a,b`` sets ``T`` to ``a`` and silently drops ``b``: manager.c (``man_do_variable_value``)
splits every ``Variable`` header with the dialplan's argument parser (app.c ``__ast_app_separate_args``
with ``,`` and ``remove_chars``): double quotes group and are removed, a backslash makes the next
character literal and is removed, parentheses and brackets protect commas; ``|``, ``;``, ``&``, ``?``,
a later ``=`` and UTF-8 pass unchanged. Each piece is ``name=value`` split at its first ``=``; a piece
without ``=`` or with an empty name is dropped, a name keeps its blanks (``, M_I=x`` sets `` M_I``).
The ``VarSet`` event shows a value C-escaped (``escape_c``); ``Getvar`` and the channel keep it raw.
Checked against the recording ``i1_originate_variable_special_chars.txt``.

    >>> originate_variables(['T_COMMA=a,b', 'T_Q="a,b"', r'T_BS=C:\\temp'])
    [('T_COMMA', 'a'), ('T_Q', 'a,b'), ('T_BS', 'C:temp')]
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_ARGS = 64  # AST_APP_ARG(vars)[64] in man_do_variable_value
_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "?": "\\?",
}


def separate_args(
    text: str, delim: str = ",", *, remove_chars: bool = True, limit: int = MAX_ARGS
) -> list[str]:
    """``__ast_app_separate_args``: split ``text`` at ``delim`` outside quotes, parentheses and brackets.

    With ``remove_chars`` (``AST_STANDARD_APP_ARGS``) quotes and escaping backslashes are removed. At most
    ``limit - 1`` pieces are cut; what is left after them is the last piece, untouched (as in C).
    """
    args: list[str] = []
    n, i = len(text), 0
    paren = bracket = 0
    quote = False
    ended_on_delim = False
    while i < n and len(args) < limit - 1:
        piece: list[str] = []
        ended_on_delim = False
        while i < n:
            c = text[i]
            if c == "(":
                paren += 1
            elif c == ")":
                paren = max(paren - 1, 0)
            elif c == "[":
                bracket += 1
            elif c == "]":
                bracket = max(bracket - 1, 0)
            elif c == '"' and delim != '"':
                quote = not quote
                if remove_chars:
                    i += 1
                    continue
            elif c == "\\":
                if not remove_chars:
                    piece.append(c)
                if i + 1 < n:  # the next character is literal, whatever it is
                    piece.append(text[i + 1])
                i += 2
                continue
            elif c == delim and not paren and not quote and not bracket:
                ended_on_delim = True
                i += 1
                break
            piece.append(c)
            i += 1
        args.append("".join(piece))
    if i < n:
        args.append(text[i:])
    elif ended_on_delim:
        args.append("")
    return args


def skip_blanks(text: str) -> str:
    """``ast_skip_blanks``: drop leading characters below 33 (spaces, tabs, control characters)."""
    i = 0
    while i < len(text) and ord(text[i]) < 33:
        i += 1
    return text[i:]


def variable_items(header_value: str) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs one ``Variable:`` header sets, in the order written."""
    items = []
    for piece in separate_args(skip_blanks(header_value)):
        name, sep, value = piece.partition("=")
        if sep and name:
            items.append((name, value))
    return items


def originate_variables(header_values: Iterable[str]) -> list[tuple[str, str]]:
    """Every pair of every ``Variable:`` header of one action, in the order written (repeats kept).

    Asterisk sets them on the channel in the reverse order, so for a name given twice the first wins
    (``channel_variables``).
    """
    return [item for value in header_values for item in variable_items(value)]


def channel_variables(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """What the channel holds after an Originate with ``items``: the first value of each name wins."""
    out: dict[str, str] = {}
    for name, value in items:
        out.setdefault(name, value)
    return out


def escape_c(value: str) -> str:
    """``ast_escape_c``: a value as a ``VarSet`` event shows it (``"`` -> ``\\"``, ``?`` -> ``\\?``, ...)."""
    if not any(c in _ESCAPES for c in value):
        return value
    return "".join(_ESCAPES.get(c, c) for c in value)


def cli_args(command: str) -> list[str]:
    """cli.c ``parse_args``: a CLI command's words (blanks split, double quotes group, ``\\`` escapes)."""
    args: list[str] = []
    current: list[str] | None = None  # None: between words
    quoted = escaped = False
    for c in command.lstrip(" \t\n\v\f\r"):
        if c == '"' and not escaped:
            quoted = not quoted
            if quoted and current is None:
                current = []
        elif c in " \t" and not (quoted or escaped):
            if current is not None:
                args.append("".join(current))
                current = None
        elif c == "\\" and not escaped:
            escaped = True
        else:
            if current is None:
                current = []
            current.append(c)
            escaped = False
    if current is not None:
        args.append("".join(current))
    return args
