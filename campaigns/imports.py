"""Rows of a call list -> lead records and rejects, pure: column mapping, E.164 normalisation, time zones.

``build_column_map`` matches the header to lead fields (explicit ``--map`` entries first, then common
names in English and French); every unmapped column is kept as a lead field for the CRM pop.
``normalise_chunk`` turns a chunk of rows into staging lines (COPY CSV) and rejects; it and
``normalise_lines`` are top-level functions of plain data so a process pool can run them. Deduplication and the DNC scrub need the whole
file and the database, so ``campaigns.jobs`` does them.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from campaigns.errors import ImportFailed
from campaigns.numbers import PhoneNormaliser, phone_text
from campaigns.readers import Row, format_raw, parse_lines
from campaigns.timezones import lead_zones

ROLES = ("phone", "alt_phones", "first_name", "last_name", "timezone", "postal_code", "priority")
ALIASES: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "phone_number", "phonenumber", "telephone", "tel", "number", "numero", "mobile_phone",
              "msisdn", "contact_number", "numero_de_telephone"),
    "alt_phones": ("alt_phone", "alt_phones", "alternative_phone", "phone2", "phone_2", "mobile", "portable",
                   "other_phone", "work_phone"),
    "first_name": ("first_name", "firstname", "given_name", "prenom", "first"),
    "last_name": ("last_name", "lastname", "surname", "family_name", "nom", "nom_de_famille", "last"),
    "timezone": ("timezone", "time_zone", "tz", "fuseau_horaire"),
    "postal_code": ("postal_code", "postcode", "zip", "zipcode", "zip_code", "code_postal", "cp"),
    "priority": ("priority", "priorite"),
}

Reject = tuple[int, str, str, str]     # line, kind, reason, raw
_STRING = json.encoder.encode_basestring    # str -> JSON string literal (C accelerated)


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """Good rows as ``(line, e164)`` keys with their staging line (CSV for COPY), and the rejects;
    ``flags``: good rows whose file's time zone was not used, as ``(line, e164, why)``."""

    keys: list[tuple[int, str]]
    copy_lines: list[str]
    rejects: list[Reject]
    flags: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.keys) + len(self.rejects)


def _key(name: str) -> str:
    """Header name for matching: no accents, lower case, separators as underscores."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "_".join(plain.lower().replace("-", " ").replace(".", " ").split())


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which column (index) feeds which lead field; ``extra`` columns become lead fields."""

    phone: int
    alt_phones: tuple[int, ...] = ()
    first_name: int | None = None
    last_name: int | None = None
    timezone: int | None = None
    postal_code: int | None = None
    priority: int | None = None
    extra: tuple[tuple[int, str], ...] = ()
    width: int = 1


def parse_map_option(text: str) -> dict[str, list[str]]:
    """``"phone=Tel,first_name=Prénom,alt_phones=Mobile|Work"`` -> ``{"phone": ["Tel"], ...}``."""
    mapping: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        role, sep, columns = part.partition("=")
        role = role.strip()
        if not sep or role not in ROLES:
            raise ImportFailed(f"bad mapping {part!r}: use ROLE=COLUMN with ROLE one of {', '.join(ROLES)}")
        mapping.setdefault(role, []).extend(c.strip() for c in columns.split("|") if c.strip())
    return mapping


def build_column_map(header: Sequence[str], mapping: Mapping[str, str | Sequence[str]] | None = None) -> ColumnMap:
    """Match ``header`` to lead fields; a mapped column missing from the file or no phone column fails."""
    keys = [_key(h) for h in header]
    chosen: dict[str, list[int]] = {}
    used: set[int] = set()
    for role, columns in (mapping or {}).items():
        if role not in ROLES:
            raise ImportFailed(f"unknown field {role!r}; fields are {', '.join(ROLES)}")
        for column in [columns] if isinstance(columns, str) else columns:
            matches = [i for i, h in enumerate(header) if h == column] or \
                      [i for i, k in enumerate(keys) if k == _key(column)]
            if not matches:
                raise ImportFailed(f"the file has no column {column!r} (columns: {', '.join(header)})")
            chosen.setdefault(role, []).append(matches[0])
            used.add(matches[0])
    for role in ROLES:
        if role in chosen:
            continue
        for i, key in enumerate(keys):
            if i not in used and key in ALIASES[role]:
                chosen.setdefault(role, []).append(i)
                used.add(i)
                if role != "alt_phones":
                    break
    if "phone" not in chosen:
        raise ImportFailed(f"no phone column found; map one with --map phone=COLUMN (columns: {', '.join(header)})")

    def one(role: str) -> int | None:
        return chosen[role][0] if role in chosen else None

    extra = tuple((i, h or f"column_{i + 1}") for i, h in enumerate(header) if i not in used)
    return ColumnMap(phone=chosen["phone"][0], alt_phones=tuple(chosen.get("alt_phones", ())),
                     first_name=one("first_name"), last_name=one("last_name"), timezone=one("timezone"),
                     postal_code=one("postal_code"), priority=one("priority"), extra=extra, width=len(header))


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def staging_line(line: int, e164: str, alt_phones: Sequence[str], first_name: str, last_name: str,
                 zones: Sequence[str], postal_code: str, fields: str, priority: int) -> str:
    """One row of ``import_staging`` in PostgreSQL's COPY CSV format (text always quoted, so never NULL)."""
    return (f'{line},{e164},"{{{",".join(alt_phones)}}}",{_q(first_name)},{_q(last_name)},'
            f'"{{{",".join(zones)}}}",{_q(postal_code)},{_q(fields)},{priority}\n')


def normalise_lines(lines: list[str], *, first_line: int, columns: ColumnMap, region: str,
                    delimiter: str) -> ChunkResult:
    """``normalise_chunk`` of raw CSV lines (parsed here, so a worker process does the parsing too)."""
    return normalise_chunk(list(parse_lines(lines, first_line=first_line, delimiter=delimiter)),
                           columns=columns, region=region, delimiter=delimiter)


def normalise_chunk(rows: Sequence[Row], *, columns: ColumnMap, region: str, delimiter: str = ",") -> ChunkResult:
    """Staging lines for the good rows and rejects (with line and reason) for the others."""
    normaliser = PhoneNormaliser(region)
    normalise = normaliser.normalise
    keys: list[tuple[int, str]] = []
    copy_lines: list[str] = []
    rejects: list[Reject] = []
    flags: list[tuple[int, str, str]] = []
    width = columns.width
    extra = [(i, _STRING(name) + ":") for i, name in columns.extra]     # lead fields as JSON "key":

    def at(index: int | None) -> int:
        return -1 if index is None else index       # -1: the "" appended to every row below

    phone_at, first_at, last_at = at(columns.phone), at(columns.first_name), at(columns.last_name)
    zone_at, postal_at, priority_at = columns.timezone, at(columns.postal_code), columns.priority
    for line, cells, error in rows:
        if error:
            rejects.append((line, "unreadable", error, format_raw(cells, delimiter)))
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            rejects.append((line, "malformed", f"{len(cells)} fields but the header has {width}",
                            format_raw(cells, delimiter)))
            continue
        raw = cells
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        cells = [*cells[:width], ""]
        if not "".join(cells).isascii():       # text stored in NFC, so searches find what was imported
            cells = [c if c.isascii() else unicodedata.normalize("NFC", c) for c in cells]
        phone = cells[phone_at].strip()
        if "e" in phone or "E" in phone:
            phone = phone_text(phone)
        result = normalise(phone)
        if isinstance(result, str):
            reason = result if not phone else f"{result}: {phone}"
            rejects.append((line, "invalid", reason, format_raw(raw, delimiter)))
            continue
        e164, zones = result
        alternatives: list[str] = []
        for index in columns.alt_phones:
            alt = phone_text(cells[index])
            if alt:
                alt_result = normalise(alt)
                if not isinstance(alt_result, str) and alt_result[0] != e164 and alt_result[0] not in alternatives:
                    alternatives.append(alt_result[0])
        postal = cells[postal_at].strip()
        if zone_at is not None or postal:
            found = lead_zones(own_zone=cells[zone_at].strip() if zone_at is not None else "",
                               postal_code=postal, region=region, number_zones=zones)
            zones = found.zones
            if found.flag:
                flags.append((line, e164, found.flag))
        priority = 0
        if priority_at is not None and cells[priority_at].strip():
            try:
                priority = int(cells[priority_at])
            except ValueError:
                priority = 0
        fields = ",".join([key + _STRING(cells[i]) for i, key in extra if cells[i] != ""])
        keys.append((line, e164))
        copy_lines.append(staging_line(line, e164, alternatives, cells[first_at].strip(), cells[last_at].strip(),
                                       zones, postal, "{" + fields + "}", priority))
    return ChunkResult(keys, copy_lines, rejects, flags)
