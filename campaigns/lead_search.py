"""What a team lead's lead search means, as SQL: pure query building, no I/O.

``LeadQuery`` holds the filters of the leads page and API; ``build_where(query, regions=...)`` turns it
into a ``WHERE`` clause and its arguments for ``campaigns.list_admin``. The rules:

* **Numbers in any format.** Text with digits and no letter is a number: it is read as the import reads
  it (``campaigns.numbers.PhoneNormaliser``) in each region the searched campaigns and lists use, and also
  as an international number without its ``+`` (``84-987-654-321``), so ``0987 654 321``,
  ``+84987654321`` and ``84-987-654-321`` all find ``+84987654321`` (an exact match: the unique index).
  Digits that are no valid number anywhere match as a part of the stored number.
* **Names** are compared folded (``fold``: lower case, accents dropped, ``đ`` read as ``d``), so
  ``Nguyễn`` finds ``NGUYEN``; the folded text must appear in "first last" or "last first", starting at
  the start of a word (anywhere, for text opening with punctuation). The GIN index on ``leads.name_words``
  (the folded words of the names, ``name_words_text``, stored by the import) narrows the search to leads with
  a word starting with each word of the text; the exact check on ``lead_name_key`` then reads every other
  character literally.
* ``%``, ``_`` and ``\\`` are literal everywhere: LIKE patterns are escaped (``like_escape``), regular
  expressions get every non-alphanumeric character escaped (``regex_literal``).
* Field filters (``fields``) match a column of the lead's file that contains the value, case-insensitively.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from campaigns.errors import CampaignError
from campaigns.model import LeadStatus
from campaigns.numbers import PhoneNormaliser

_FOLD = {**dict.fromkeys(range(0x300, 0x370)), ord("đ"): "d"}    # marks dropped, đ read as d
_WORDS = re.compile(r"[^\W_]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
MAX_PAGE = 500
MAX_FIELD_FILTERS = 10
FIELD_NAME = re.compile(r"^[^\x00-\x1f]{1,100}$")


def fold(text: str) -> str:
    """``text`` as names are compared: NFC, lower case, combining marks U+0300-U+036F dropped, đ -> d.

    The SQL function ``lead_name_key`` (migration 0110) does the same on the stored names.
    """
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).lower()).translate(_FOLD)


def like_escape(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern with ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def regex_literal(text: str) -> str:
    """``text`` as a literal in a PostgreSQL regular expression (ARE): every character that is not a
    letter or a digit is escaped (a backslash before a non-alphanumeric character stands for itself)."""
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)


@functools.lru_cache(maxsize=1 << 16)
def _part_words(name: str) -> tuple[str, ...]:
    folded = fold(name)                             # names repeat a lot in a file: each part folded once
    if folded.replace(" ", "").isalnum():
        return tuple(folded.split())                # letters, digits and spaces only: the same words, faster
    return tuple(_WORDS.findall(folded))


def name_words(first_name: str, last_name: str) -> list[str]:
    """The words of a lead's names as the search index holds them (``leads.name_words``): the runs of
    letters and digits of the folded names, each once."""
    return list(dict.fromkeys(_part_words(first_name) + _part_words(last_name)))


def name_words_text(first_name: str, last_name: str) -> str:
    """``name_words`` as PostgreSQL's tsvector text (``'nguyen' 'van' 'an'``): the import stores it as is.
    The words hold only letters and digits, so no quoting is needed inside the quotes."""
    return " ".join(f"'{w}'" for w in name_words(first_name, last_name))


def name_prefix_query(text: str) -> str:
    """A ``to_tsquery('simple', ...)`` text requiring a word starting with each word of ``text``
    (words: runs of letters and digits); "" when ``text`` has none."""
    return " & ".join(f"'{w}':*" for w in _WORDS.findall(fold(text)))


def looks_like_number(text: str) -> bool:
    """Digits and separators only (no letter), at least three digits."""
    return not _HAS_LETTER.search(text) and sum(ch.isdigit() for ch in text) >= 3


def number_candidates(text: str, regions: Iterable[str]) -> tuple[str, ...]:
    """Every E.164 number ``text`` may mean: read in each of ``regions``, and as an international
    number without its plus sign. Empty when it is a valid number nowhere."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    cleaned = unicodedata.normalize("NFKC", text).strip()
    found: list[str] = []
    readings = [(region, cleaned) for region in dict.fromkeys(r.upper() for r in regions if r)]
    if digits and not cleaned.startswith("+"):
        readings.append(("US", "+" + digits))   # the region is ignored for a number with its country code
    for region, reading in readings:
        try:
            result = PhoneNormaliser(region).normalise(reading)
        except ValueError:          # an unknown region
            continue
        if isinstance(result, tuple) and result[0] not in found:
            found.append(result[0])
    return tuple(found)


@dataclass(frozen=True, slots=True)
class LeadQuery:
    """The filters of one search; empty values filter nothing. ``campaign_ids`` None: every campaign."""

    campaign_ids: tuple[int, ...] | None = None
    text: str = ""
    statuses: tuple[LeadStatus, ...] = ()
    min_attempts: int | None = None
    max_attempts: int | None = None
    last_outcome: str = ""
    list_id: int | None = None
    timezone: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    zone_flagged: bool = False          # only leads whose file's time zone was not used (leads.timezone_flag)

    def __post_init__(self) -> None:
        for bound in (self.min_attempts, self.max_attempts):
            if bound is not None and bound < 0:
                raise CampaignError("attempts must be 0 or more")
        if len(self.fields) > MAX_FIELD_FILTERS:
            raise CampaignError(f"at most {MAX_FIELD_FILTERS} field filters")
        for name in self.fields:
            if not FIELD_NAME.match(name):
                raise CampaignError(f"bad field name {name!r}")


@dataclass(slots=True)
class _Sql:
    clauses: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"


def build_where(query: LeadQuery, *, regions: Iterable[str], alias: str = "l") -> tuple[str, list[Any]]:
    """``(where_sql, args)`` for ``query`` over ``leads`` named ``alias`` (placeholders ``$1``...).

    ``regions``: the default regions of the campaigns and lists searched (to read a typed number).
    """
    sql = _Sql()
    a = alias
    if query.campaign_ids is not None:
        sql.clauses.append(f"{a}.campaign_id = ANY({sql.arg(list(query.campaign_ids))}::bigint[])")
    if query.statuses:
        sql.clauses.append(f"{a}.status = ANY({sql.arg([s.value for s in query.statuses])}::text[])")
    if query.min_attempts is not None:
        sql.clauses.append(f"{a}.attempts >= {sql.arg(query.min_attempts)}")
    if query.max_attempts is not None:
        sql.clauses.append(f"{a}.attempts <= {sql.arg(query.max_attempts)}")
    if query.last_outcome:
        if query.last_outcome == "none":
            sql.clauses.append(f"{a}.last_outcome IS NULL")
        else:
            sql.clauses.append(f"{a}.last_outcome = {sql.arg(query.last_outcome)}")
    if query.list_id is not None:
        sql.clauses.append(f"{a}.list_id = {sql.arg(query.list_id)}")
    if query.timezone:
        sql.clauses.append(f"{sql.arg(query.timezone)} = ANY({a}.timezones)")
    if query.zone_flagged:
        sql.clauses.append(f"{a}.timezone_flag <> ''")
    for name, value in query.fields.items():
        if value:
            sql.clauses.append(f"{a}.fields ->> {sql.arg(name)} ILIKE '%' || {sql.arg(like_escape(value))} || '%'"
                               " ESCAPE '\\'")
        else:
            sql.clauses.append(f"{a}.fields ? {sql.arg(name)}")
    text = unicodedata.normalize("NFC", query.text).strip()
    if text:
        _text_clause(sql, text, regions, a)
    return (" AND ".join(sql.clauses) or "true"), sql.args


def _text_clause(sql: _Sql, text: str, regions: Iterable[str], a: str) -> None:
    if looks_like_number(text):
        numbers = number_candidates(text, regions)
        if numbers:
            sql.clauses.append(f"{a}.phone_e164 = ANY({sql.arg(list(numbers))}::text[])")
        else:
            digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit()).lstrip("0")
            sql.clauses.append(f"{a}.phone_e164 LIKE '%' || {sql.arg(like_escape(digits))} || '%' ESCAPE '\\'")
        return
    words = name_prefix_query(text)
    if words:   # the index's superset: a word of the name starts with each word of the text
        sql.clauses.append(f"{a}.name_words @@ to_tsquery('simple', {sql.arg(words)})")
    # the exact rule: the folded text, read literally, where a word of the name starts
    folded = fold(text)
    start = "(^|[^[:alnum:]])" if folded[:1].isalnum() else ""   # text opening with punctuation: anywhere
    pattern = start + regex_literal(folded)
    sql.clauses.append(f"lead_name_key({a}.first_name, {a}.last_name) ~ {sql.arg(pattern)}")
