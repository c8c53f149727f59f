"""Rows of a call list -> lead records and rejects, pure: column mapping, E.164 normalisation, time zones.

``build_column_map`` matches the header to lead fields (explicit ``--map`` entries first, by name or by
position ``#N``, then the usual names in English, Vietnamese, French, Chinese, Russian and Czech, compared
by ``_key``); every unmapped column is kept as a lead field for the CRM pop, named by ``column_labels``
(a repeated name gets its position, so no two columns are merged). ``row_length_reason`` states the one
row-length rule: a row has exactly as many fields as the header, trailing empty fields aside.
``normalise_chunk`` turns a chunk of rows into staging lines (COPY CSV) and rejects; it and
``normalise_lines`` are top-level functions of plain data so a process pool can run them. Deduplication and the DNC scrub need the whole
file and the database, so ``campaigns.jobs`` does them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from campaigns.errors import ImportFailed
from campaigns.lead_search import name_words_text
from campaigns.numbers import PhoneNormaliser, phone_text
from campaigns.readers import Row, format_raw, parse_lines
from campaigns.timezones import lead_zones
from dialer.reasons import Reason, reason

ROLES = ("phone", "alt_phones", "first_name", "last_name", "full_name", "timezone", "postal_code", "priority")
# Usual header names, written as people write them; matched by ``_key`` (no accents, any case, đ as d).
_HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "phone number", "phonenumber", "phone no", "telephone", "telephone number", "tel", "number",
              "numero", "mobile phone", "msisdn", "contact number", "numéro de téléphone", "numéro", "téléphone",
              "Số điện thoại", "Điện thoại", "SĐT", "số ĐT", "ĐT", "电话", "电话号码", "联系电话", "Телефон",
              "Номер телефона", "Номер", "Telefon", "Telefonní číslo", "Číslo"),
    "alt_phones": ("alt phone", "alt phones", "alternative phone", "phone2", "phone 2", "mobile", "mobile number",
                   "cell", "cell phone", "portable", "téléphone portable", "other phone", "work phone", "Di động",
                   "Số di động", "手机", "手机号", "手机号码", "Мобильный", "Мобильный телефон", "Mobil",
                   "Mobilní telefon"),
    "first_name": ("first name", "firstname", "given name", "first", "prénom", "Tên", "名", "Имя", "Jméno",
                   "Křestní jméno"),
    "last_name": ("last name", "lastname", "surname", "family name", "last", "nom", "nom de famille", "Họ", "姓",
                  "Фамилия", "Příjmení"),
    "full_name": ("full name", "fullname", "name", "customer name", "contact name", "client", "nom complet",
                  "Họ và tên", "Họ tên", "Tên khách hàng", "Họ tên khách hàng", "姓名", "名字", "客户姓名", "ФИО",
                  "Полное имя", "Celé jméno", "Jméno a příjmení"),
    "timezone": ("timezone", "time zone", "tz", "fuseau horaire", "Múi giờ", "时区", "Часовой пояс",
                 "Časové pásmo"),
    "postal_code": ("postal code", "postcode", "zip", "zipcode", "zip code", "code postal", "cp", "Mã bưu chính",
                    "Mã bưu điện", "邮编", "邮政编码", "Индекс", "Почтовый индекс", "PSČ"),
    "priority": ("priority", "priorité", "Ưu tiên", "优先级", "Приоритет", "Priorita"),
}
_FOLD = str.maketrans({"đ": "d", "ð": "d", "ł": "l", "ø": "o"})      # letters NFKD does not decompose
_SEPARATORS = re.compile(r"[\W_]+")


def _key(name: str) -> str:
    """Header name for matching: NFKD without combining marks, casefolded, đ as d, separators as underscores."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().translate(_FOLD)
    return _SEPARATORS.sub("_", text).strip("_")


ALIASES: dict[str, frozenset[str]] = {role: frozenset(map(_key, names)) for role, names in _HEADER_NAMES.items()}


def column_labels(header: Sequence[str]) -> list[str]:
    """A name per column that says which one it is: duplicate names get their position ("Phone (column 5)"),
    empty ones are "column_4"; these name the lead fields of unmapped columns, so none is merged."""
    counts: dict[str, int] = {}
    for name in header:
        counts[name.strip()] = counts.get(name.strip(), 0) + 1
    return [f"column_{i + 1}" if not name.strip() else
            f"{name.strip()} (column {i + 1})" if counts[name.strip()] > 1 else name.strip()
            for i, name in enumerate(header)]


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


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which column (index) feeds which lead field; ``extra`` columns become lead fields."""

    phone: int
    alt_phones: tuple[int, ...] = ()
    first_name: int | None = None
    last_name: int | None = None
    full_name: int | None = None       # the whole name as written: stored as the first name, never split
    timezone: int | None = None
    postal_code: int | None = None
    priority: int | None = None
    extra: tuple[tuple[int, str], ...] = ()
    width: int = 1


def parse_map_option(text: str) -> dict[str, list[str]]:
    """``"phone=Tel,first_name=Prénom,alt_phones=Mobile|#5"`` -> ``{"phone": ["Tel"], ...}`` (``#5``: the
    fifth column, for duplicate or empty header cells and files without a header)."""
    mapping: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        role, sep, columns = part.partition("=")
        role = role.strip()
        if not sep or role not in ROLES:
            raise ImportFailed(f"bad mapping {part!r}: use ROLE=COLUMN with ROLE one of {', '.join(ROLES)}")
        mapping.setdefault(role, []).extend(c.strip() for c in columns.split("|") if c.strip())
    return mapping


def _column_index(header: Sequence[str], keys: Sequence[str], column: str) -> int:
    """The index of ``column``: ``#N`` is the N-th column; a name must match exactly one column."""
    names = ", ".join(column_labels(header))
    if column.startswith("#") and column[1:].isdigit():
        position = int(column[1:])
        if not 1 <= position <= len(header):
            raise ImportFailed(f"the file has no column {column} (it has {len(header)} columns: {names})")
        return position - 1
    matches = [i for i, h in enumerate(header) if h == column] or \
              [i for i, k in enumerate(keys) if k and k == _key(column)]
    if not matches:
        raise ImportFailed(f"the file has no column {column!r} (columns: {names})")
    if len(matches) > 1:
        where = " or ".join(f"#{i + 1}" for i in matches)
        raise ImportFailed(f"the file has {len(matches)} columns named {column!r}: choose one by position ({where})")
    return matches[0]


def build_column_map(header: Sequence[str], mapping: Mapping[str, str | Sequence[str]] | None = None) -> ColumnMap:
    """Match ``header`` to lead fields (by name or ``#position``, then by the usual names); a mapped column
    missing from the file, a name that matches two columns, or no phone column fails. A full-name column
    feeds the lead's first name when neither first nor last name is mapped (the name as written, since
    the order of family and given names differs by country); otherwise it stays a lead field."""
    keys = [_key(h) for h in header]
    chosen: dict[str, list[int]] = {}
    used: set[int] = set()
    for role, columns in (mapping or {}).items():
        if role not in ROLES:
            raise ImportFailed(f"unknown field {role!r}; fields are {', '.join(ROLES)}")
        for column in [columns] if isinstance(columns, str) else columns:
            index = _column_index(header, keys, column)
            chosen.setdefault(role, []).append(index)
            used.add(index)
    if "full_name" in chosen and ("first_name" in chosen or "last_name" in chosen):
        raise ImportFailed(reason("full_name_and_parts"))
    explicit = set(chosen)
    for role in ROLES:
        if role in chosen or (role == "full_name" and ({"first_name", "last_name"} & explicit)) or \
                (role in ("first_name", "last_name") and "full_name" in explicit):
            continue
        for i, key in enumerate(keys):
            if i not in used and key in ALIASES[role]:
                chosen.setdefault(role, []).append(i)
                used.add(i)
                if role != "alt_phones":
                    break
    if "full_name" in chosen and "full_name" not in explicit and ({"first_name", "last_name"} & set(chosen)):
        used.discard(chosen.pop("full_name")[0])          # first/last names found: the full name stays a field
    if "phone" not in chosen and chosen.get("alt_phones") and "alt_phones" not in explicit:
        chosen["phone"] = [chosen["alt_phones"].pop(0)]    # a mobile column is the phone when it is the only one
        if not chosen["alt_phones"]:
            del chosen["alt_phones"]
    if "phone" not in chosen:
        raise ImportFailed(f"no phone column found; map one with --map phone=COLUMN or phone=#N "
                           f"(columns: {', '.join(column_labels(header))})")

    def one(role: str) -> int | None:
        return chosen[role][0] if role in chosen else None

    labels = column_labels(header)
    extra = tuple((i, labels[i]) for i in range(len(header)) if i not in used)
    return ColumnMap(phone=chosen["phone"][0], alt_phones=tuple(chosen.get("alt_phones", ())),
                     first_name=one("first_name"), last_name=one("last_name"), full_name=one("full_name"),
                     timezone=one("timezone"), postal_code=one("postal_code"), priority=one("priority"),
                     extra=extra, width=len(header))


def row_length_reason(fields: int, width: int) -> str:
    """The one rule for row length: a row has exactly as many fields as the header row (without a header,
    as most of the first rows); only empty fields after the last column are ignored."""
    return reason("too_few_fields" if fields < width else "too_many_fields", fields=fields, width=width)


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def staging_line(line: int, e164: str, alt_phones: Sequence[str], first_name: str, last_name: str,
                 zones: Sequence[str], postal_code: str, fields: str, priority: int) -> str:
    """One row of ``import_staging`` in PostgreSQL's COPY CSV format (text always quoted, so never NULL).
    The folded words of the names for the name search (``lead_search.name_words_text``) are computed here,
    in the import's worker processes, rather than by PostgreSQL for each row."""
    return (f'{line},{e164},"{{{",".join(alt_phones)}}}",{_q(first_name)},{_q(last_name)},'
            f'"{{{",".join(zones)}}}",{_q(postal_code)},{_q(fields)},{priority},'
            f'{_q(name_words_text(first_name, last_name))}\n')


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

    first_name = columns.full_name if columns.first_name is None else columns.first_name
    phone_at, first_at, last_at = at(columns.phone), at(first_name), at(columns.last_name)
    zone_at, postal_at, priority_at = columns.timezone, at(columns.postal_code), columns.priority
    for line, cells, error in rows:
        if error:
            rejects.append((line, "unreadable", error, format_raw(cells, delimiter)))
            continue
        if len(cells) != width and (len(cells) < width or any(c.strip() for c in cells[width:])):
            rejects.append((line, "malformed", row_length_reason(len(cells), width), format_raw(cells, delimiter)))
            continue
        raw = cells
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        cells = [*cells[:width], ""]
        phone = cells[phone_at].strip()
        if "e" in phone or "E" in phone:
            phone = phone_text(phone)
        result = normalise(phone)
        if isinstance(result, str):
            why = result.with_value(phone) if isinstance(result, Reason) else result
            rejects.append((line, "invalid", why, format_raw(raw, delimiter)))
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
        staged = staging_line(line, e164, alternatives, cells[first_at].strip(), cells[last_at].strip(),
                              zones, postal, "{" + fields + "}", priority)
        # text stored in NFC (composed accents), so searches find what was imported; one call per row
        copy_lines.append(staged if staged.isascii() else unicodedata.normalize("NFC", staged))
    return ChunkResult(keys, copy_lines, rejects, flags)
