"""How a value travels in an AMI header so that Asterisk 22 reads it whole (pure).

``Variable:`` headers go through Asterisk's argument parser (manager.c ``man_do_variable_value``, app.c
``__ast_app_separate_args``): a comma ends the value and silently drops the rest, a double quote is
removed, a backslash is removed and makes the next character literal (recording
``../shared/asterisk-ami/i1_originate_variable_special_chars.txt``). So ``variable_header`` puts a
backslash before every ``,``, ``"`` and ``\\``: ``|``, ``;``, ``&``, ``?``, ``=``, parentheses and UTF-8
(Vietnamese) pass unchanged. ``caller_id_header`` writes ``"name" <number>`` with ``"`` and ``\\``
escaped, which ``ast_callerid_parse`` unescapes. Both were checked against a real Asterisk 22.10.1
(Originate into dialer-customer, then ``Getvar`` of each variable and ``CALLERID(name)``: byte-exact).

What no encoding carries is refused with ``ValueError``: a line break (it would end the header and
inject others) and a header line over Asterisk's 1024-byte limit (the whole action fails with
"Failed to parse message: line too long").
"""

from __future__ import annotations

import re

MAX_LINE_BYTES = 1024     # manager.c reads a header line into a 1024-byte buffer, CRLF included
_ESCAPED = frozenset(',"\\')
_CALLER_ID = re.compile(r'\s*(?:"(?P<quoted>.*)"|(?P<bare>[^"<>]*?))\s*<(?P<number>[^<>]*)>\s*')


def escape_argument(value: str) -> str:
    """``value`` with a backslash before each character Asterisk's argument parser would eat."""
    return "".join("\\" + c if c in _ESCAPED else c for c in value)


def check_line(header: str, value: str) -> None:
    """Refuse a value no AMI header can carry: a line break, or a line over ``MAX_LINE_BYTES``."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"{header}: a line break cannot be sent to Asterisk")
    if len(f"{header}: {value}\r\n".encode()) > MAX_LINE_BYTES:
        raise ValueError(f"{header}: longer than Asterisk's {MAX_LINE_BYTES}-byte header line")


def variable_header(name: str, value: str) -> str:
    """The ``Variable:`` header value that sets channel variable ``name`` to exactly ``value``."""
    if not name or any(c in name for c in '=,"\\ \t\r\n'):
        raise ValueError(f"{name!r} is not a channel variable name")
    header = f"{name}={escape_argument(value)}"
    check_line("Variable", header)
    return header


def split_caller_id(raw: str) -> tuple[str, str]:
    """``(name, number)`` from ``number``, ``name <number>`` or ``"name" <number>`` (name may be empty)."""
    m = _CALLER_ID.fullmatch(raw)
    if m is None:
        return "", raw.strip()
    name = m.group("quoted") if m.group("quoted") is not None else m.group("bare") or ""
    return name.strip(), m.group("number").strip()


def caller_id_header(raw: str) -> str:
    """The ``CallerID:`` header value that gives the call exactly the name and number of ``raw``."""
    name, number = split_caller_id(raw)
    if not name:
        value = number
    else:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        value = f'"{quoted}" <{number}>'
    check_line("CallerID", value)
    return value
