"""AMI users as Asterisk 22 reads them from ``manager.conf`` (here ``asterisk/manager_dialer.conf``), pure.

A user has a secret, ``read`` classes (the events it receives), ``write`` classes (the actions it may
send) and ``eventfilter`` lines. ``classes_of`` parses a class list as manager.c ``get_perm`` does (its
``ast_instring``: no spaces after the commas; ``all`` is every class). ``ACTION_CLASSES`` holds the
class each action is registered with in the Asterisk 22 source (``ast_manager_register_xml*``): a user
needs one of them, or gets ``Permission denied``. ``deny``/``permit`` lines are an ACL (main/acl.c: the last
rule that matches the peer's address decides; no rule allows). ``EventFilter`` is one advanced or legacy filter
(manager.c ``manager_add_filter``) and ``should_send`` applies a user's filters as ``should_send_event``.
Used by the simulated PBX's sessions and by tests/asterisk/test_manager_conf.py.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED_MANAGER_CONF = Path(__file__).resolve().parents[2] / "asterisk" / "manager_dialer.conf"

# manager.c perms[], in order
CLASSES = (
    "system",
    "call",
    "log",
    "verbose",
    "command",
    "agent",
    "user",
    "config",
    "dtmf",
    "reporting",
    "cdr",
    "dialplan",
    "originate",
    "agi",
    "cc",
    "aoc",
    "test",
    "security",
    "message",
)
ALL_CLASSES = frozenset(CLASSES)
NO_CLASS: frozenset[str] = frozenset()

# The authority each action is registered with in Asterisk 22.10.1 (main/manager.c, main/features.c,
# apps/app_mixmonitor.c, apps/app_confbridge.c): any one of them lets a user send it; none: everybody.
ACTION_CLASSES: Mapping[str, frozenset[str]] = {
    "ping": NO_CLASS,
    "events": NO_CLASS,
    "logoff": NO_CLASS,
    "login": NO_CLASS,
    "challenge": NO_CLASS,
    "hangup": frozenset({"system", "call"}),
    "status": frozenset({"system", "call", "reporting"}),
    "setvar": frozenset({"call"}),
    "getvar": frozenset({"call", "reporting"}),
    "redirect": frozenset({"call"}),
    "playdtmf": frozenset({"call"}),
    "originate": frozenset({"originate"}),
    "command": frozenset({"command"}),
    "userevent": frozenset({"user"}),
    "coresettings": frozenset({"system", "reporting"}),
    "corestatus": frozenset({"system", "reporting"}),
    "coreshowchannels": frozenset({"system", "reporting"}),
    "filter": frozenset({"system"}),
    "bridge": frozenset({"call"}),  # main/features.c
    "mixmonitor": frozenset({"system"}),  # apps/app_mixmonitor.c
    "stopmixmonitor": frozenset({"system", "call"}),
    "mixmonitormute": frozenset({"system", "call"}),
    "confbridgelist": frozenset({"reporting"}),  # apps/app_confbridge.c
    "confbridgelistrooms": frozenset({"reporting"}),
    "confbridgemute": frozenset({"call"}),
    "confbridgeunmute": frozenset({"call"}),
    "confbridgekick": frozenset({"call"}),
}


class ManagerConfError(ValueError):
    """A manager.conf line Asterisk would not take (it logs a warning and drops it; we refuse the file)."""


def _instring(big: str, small: str) -> bool:
    """manager.c ``ast_instring(big, small, ',')``: every token but the last matches as a prefix of ``small``
    (its ``strncmp`` over the token's length), the last one exactly; case and spaces count."""
    tokens = big.split(",")
    return any(small.startswith(t) for t in tokens[:-1]) or tokens[-1] == small


def classes_of(value: str) -> frozenset[str]:
    """manager.c ``get_perm``: the classes a ``read``/``write`` value grants (``all``: every class)."""
    if _instring(value, "all"):
        return ALL_CLASSES
    return frozenset(c for c in CLASSES if _instring(value, c))


def may_send(write: frozenset[str], action: str) -> bool:
    """Whether a user with ``write`` classes may send ``action`` (unknown actions are not this check's)."""
    needed = ACTION_CLASSES.get(action.lower(), NO_CLASS)
    return not needed or bool(needed & write)


_METHODS = ("regex", "exact", "starts_with", "ends_with", "contains", "none")


@dataclass(frozen=True, slots=True)
class EventFilter:
    """One event filter: on the event's name and/or one header, matched by ``method`` against ``pattern``."""

    exclude: bool
    name: str = ""  # the event's name must be this (exactly), if set
    header: str = ""  # "Channel:": match the pattern against this header's values, if set
    method: str = "regex"
    pattern: str = ""
    regex: re.Pattern[str] | None = field(default=None, compare=False)

    def matches(self, text: str) -> bool:
        if self.name and event_name(text) != self.name:
            return False
        if not self.header:
            return self._match(text)
        for line in text.split("\r\n"):
            if line.startswith(self.header):
                value = line[len(self.header) :].lstrip(" \t")
                if value and self._match(value):
                    return True
        return False

    def _match(self, data: str) -> bool:
        if self.method == "regex":
            assert self.regex is not None
            return self.regex.search(data) is not None
        if self.method == "starts_with":
            return data.startswith(self.pattern)
        if self.method == "ends_with":
            return data.endswith(self.pattern)
        if self.method == "contains":
            return self.pattern in data
        if self.method == "exact":
            return data == self.pattern
        return True  # none


def event_name(text: str) -> str:
    """The name on an event's first line (``Event: Hangup`` -> ``Hangup``)."""
    first = text.split("\r\n", 1)[0]
    return first[6:].strip() if first[:6].lower() == "event:" else ""


def parse_filter(criteria: str, pattern: str) -> EventFilter:
    """manager.c ``manager_add_filter``: ``eventfilter = [!]regex`` (legacy) or
    ``eventfilter(action(include|exclude),name(X),header(H),method(M)) = pattern`` (advanced).
    Raises ``ManagerConfError`` where Asterisk refuses the filter, ``re.error`` for a bad regex."""
    where = f"'{criteria} = {pattern}'"
    exclude = pattern.startswith("!")
    if exclude:
        pattern = pattern[1:]
    start = criteria.find("(")
    if start < 0:
        if not pattern:
            raise ManagerConfError(f"{where}: legacy filter with no filter pattern")
        return EventFilter(exclude=exclude, pattern=pattern, regex=re.compile(pattern, re.DOTALL))
    options = criteria[start + 1 :].strip()
    if not options or not options.endswith(")"):
        raise ManagerConfError(f"{where}: filter options not formatted correctly")
    name = header = ""
    method = "none"
    found = set()
    for option in (o for o in re.split(r"[ ,)]+", options) if o):
        key, _, value = option.partition("(")
        value = value.strip()
        if key.startswith("action"):
            if value not in ("include", "exclude"):
                raise ManagerConfError(f"{where}: 'action' option {value!r} is unknown")
            exclude = value == "exclude"
        elif key.startswith("name"):
            if not value:
                raise ManagerConfError(f"{where}: 'name' parameter not formatted correctly")
            name = value
        elif key.startswith("header"):
            if not value:
                raise ManagerConfError(f"{where}: 'header' parameter not formatted correctly")
            header = value if value.endswith(":") else value + ":"
        elif key.startswith("method"):
            if value not in _METHODS:
                raise ManagerConfError(f"{where}: 'method' option {value!r} is unknown")
            method = value
        else:
            raise ManagerConfError(f"{where}: filter option {option!r} is unknown")
        found.add(key[:6])
    if not found:
        raise ManagerConfError(f"{where}: no action, name, header, or method option found")
    if not pattern and method != "none":
        raise ManagerConfError(f"{where}: method can't be '{method}' with no filter pattern")
    if pattern and method == "none":
        raise ManagerConfError(f"{where}: method can't be 'none' with a filter pattern")
    if not name and not header and method == "none":
        raise ManagerConfError(f"{where}: no name or header option found and no filter pattern")
    regex = re.compile(pattern, re.DOTALL) if method == "regex" else None
    return EventFilter(exclude=exclude, name=name, header=header, method=method, pattern=pattern, regex=regex)


def should_send(filters: Iterable[EventFilter], text: str) -> bool:
    """manager.c ``should_send_event``: no filters pass everything; include filters only pass what one
    of them matches; exclude filters drop what one of them matches (after the includes, if any)."""
    includes = [f for f in filters if not f.exclude]
    excludes = [f for f in filters if f.exclude]
    if includes and not any(f.matches(text) for f in includes):
        return False
    return not any(f.matches(text) for f in excludes)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_acl(key: str, value: str) -> list[tuple[bool, Network]]:
    """main/acl.c ``append_ha_core``: ``permit``/``deny`` = ``[!]addr[/mask]`` (a dotted mask or a prefix
    length), several separated by commas; ``!`` inverts the rule. Returns (allows, network) rules."""
    rules = []
    for item in value.split(","):
        item = item.strip()
        allows = key.lower().startswith("p") != item.startswith("!")
        try:
            network = ipaddress.ip_network(item.removeprefix("!"), strict=False)
        except ValueError as exc:
            raise ManagerConfError(f"invalid ACL '{value}' ({exc}): Asterisk deletes the user") from exc
        rules.append((allows, network))
    return rules


@dataclass(frozen=True, slots=True)
class ManagerUser:
    """One ``[user]`` section of manager.conf."""

    username: str
    secret: str = ""
    read: frozenset[str] = NO_CLASS
    write: frozenset[str] = NO_CLASS
    filters: tuple[EventFilter, ...] = ()
    acl: tuple[tuple[bool, Network], ...] = ()  # deny/permit rules in file order

    def permits(self, address: str) -> bool:
        """Whether the user may log in from ``address`` (main/acl.c ``ast_apply_ha``: the last match wins)."""
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return not self.acl
        if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
            peer = peer.ipv4_mapped
        allowed = True
        for allows, network in self.acl:
            if peer.version == network.version and peer in network:
                allowed = allows
        return allowed


def everything(username: str, secret: str) -> ManagerUser:
    """A user with ``read = all`` and ``write = all`` and no filter (the user of the recordings)."""
    return ManagerUser(username, secret, ALL_CLASSES, ALL_CLASSES)


def parse_manager_conf(text: str) -> dict[str, ManagerUser]:
    """Every user section (not ``[general]``) of a manager.conf text, by name, in file order.

    Asterisk's config syntax: ``[name]`` sections, ``key = value`` (or ``=>``) lines, ``;`` comments
    unless escaped. A user with no ``read``/``write`` line gets no class, as in manager.c."""
    users: dict[str, ManagerUser] = {}
    section = ""
    values: dict[str, str] = {}
    filters: list[EventFilter] = []
    acl: list[tuple[bool, Network]] = []

    def close() -> None:
        if section and section != "general":
            users[section] = ManagerUser(
                section,
                values.get("secret", ""),
                classes_of(values["read"]) if "read" in values else NO_CLASS,
                classes_of(values["write"]) if "write" in values else NO_CLASS,
                tuple(filters),
                tuple(acl),
            )

    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(?<!\\);.*$", "", raw).replace("\\;", ";").strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            if not re.fullmatch(r"\[[^\[\]]+\]", line):
                raise ManagerConfError(f"line {number}: section header {line!r} is not supported")
            close()
            section, values, filters, acl = line[1:-1].strip(), {}, [], []
            continue
        if "=" not in line or not section:
            raise ManagerConfError(f"line {number}: {line!r} is not 'name = value' inside a section")
        key, _, value = line.partition("=")
        key, value = key.strip(), value.removeprefix(">").strip()
        if key.startswith("eventfilter"):
            try:
                filters.append(parse_filter(key, value))
            except (ManagerConfError, re.error) as exc:
                raise ManagerConfError(f"line {number}: {exc}") from exc
        elif key.lower() in ("deny", "permit") and section != "general":
            try:
                acl.extend(parse_acl(key, value))
            except ManagerConfError as exc:
                raise ManagerConfError(f"line {number}: {exc}") from exc
        else:
            values[key.lower()] = value
    close()
    return users


def load_manager_conf(path: Path | str) -> dict[str, ManagerUser]:
    return parse_manager_conf(Path(path).read_text(encoding="utf-8"))
