"""Why an import refused or flagged something, as a stable code and its parameters (issue 14).

A ``Reason`` is a ``str``, the English text (what the CLI prints and what ``import_rejects.reason``
stores, so it reads and compares as before), that also carries ``code`` and ``params``. Pages and the
rejects report downloaded from the web render ``reason_<code>`` of ``admin_ui.i18n`` with the same
parameters in the reader's language (``admin_ui.i18n.reason_text``); a row stored before codes existed
has none and shows its stored text. A ``value`` parameter is the cell as written: it follows the text as
``": value"`` in every language (it is data, not words). Reasons are made for refused or flagged rows
only, never on the happy path of an import (besides one progress message per chunk of an import job, which
``dialer.jobs.report_progress`` keeps as code and parameters for ``/api/jobs``, and the reason an import gives
the DNC entries it adds); ``ENGLISH`` lists every code (tests/admin_ui/test_reason_codes.py
checks each has an English and a Vietnamese text in ``admin_ui.i18n``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Self

_QUOTE_OPENED = "unterminated quote opened on line {start}: "
_QUOTE_LOST = "; lines {start}-{end} were not imported"
_ROWS = "its field swallows lines that look like rows of the file; "
_SIZE = "its field grows beyond {lines} lines or {kib} KiB; "
_ZONE_USED = {"postal": "; the postal code's zone ({zones}) is used", "number": "; the number's zone ({zones}) is used",
              "campaign": "; the campaign's zone is used"}

ENGLISH: dict[str, str] = {
    # a phone cell of a call list (campaigns.numbers, campaigns.imports)
    "missing_number": "missing phone number",
    "not_a_number": "not a phone number",
    "invalid_number": "invalid phone number",
    "rounded_by_spreadsheet": "number was rounded by a spreadsheet",
    "formula": "a formula is not a phone number",
    "decimal_number": "a decimal number is not a phone number",
    # the structure of a call list file (campaigns.readers, campaigns.imports)
    "unreadable_row": "unreadable row: {error}",
    "too_few_fields": "{fields} fields but the header has {width} (too few): "
                      "every row must have as many fields as the header row",
    "too_many_fields": "{fields} fields but the header has {width} (too many): "
                       "every row must have as many fields as the header row",
    "unterminated_quote_eof": _QUOTE_OPENED + "the file ends inside it" + _QUOTE_LOST,
    "unterminated_quote_rows_eof": _QUOTE_OPENED + _ROWS + "the file ends inside it" + _QUOTE_LOST,
    "unterminated_quote_rows_closed": _QUOTE_OPENED + _ROWS + "it closes only on line {end}" + _QUOTE_LOST,
    "unterminated_quote_size_eof": _QUOTE_OPENED + _SIZE + "the file ends inside it" + _QUOTE_LOST,
    "unterminated_quote_size_closed": _QUOTE_OPENED + _SIZE + "it closes only on line {end}" + _QUOTE_LOST,
    "swallowed_by_quote": "swallowed by the unterminated quote opened on line {start}",
    "above_header": "above the header row (row {row})",
    # a whole file refused (campaigns.errors.ImportFailed), as the mapping page says it
    "header_row_not_offered": "{name}: row {row} cannot be the header row: choose one of the first {count} rows "
                              "({rows})",
    "header_row_empty": "{name}: row {row} is empty, so it holds no column names",
    "workbook_unreadable": "{name}: cannot read the workbook ({error})",
    "full_name_and_parts": "map either the full name or the first and last names, not both",
    "dnc_unavailable": "the DNC scrub is not available, so nothing was imported",
    # the list import's checks against the file and the database (campaigns.jobs)
    "duplicate_in_file": "{number} already on line {line}",
    "on_dnc": "{number} is on the do-not-call list {list}",
    "already_in_campaign": "{number} is already in the campaign",
    # a time zone cell not used as written (campaigns.timezones)
    **{f"zone_unknown_{where}": "time zone '{zone}' is not a known time zone" + used
       for where, used in _ZONE_USED.items()},
    **{f"zone_mismatch_{where}": "time zone '{zone}' does not match the " + ("postal code" if where == "postal"
                                                                              else "number") + "'s zone" + used
       for where, used in _ZONE_USED.items() if where != "campaign"},
    **{f"zone_ambiguous_{where}": "time zone '{zone}' may be any of {count} zones" + used
       for where, used in _ZONE_USED.items()},
    # a line of a DNC file (dnc.numbers)
    "empty": "empty",
    "unknown_country_code_hint": "unknown country code (write it as +CC... or give a region)",
    "too_short_after_idd": "too short after the international prefix",
    "too_short": "too short",
    "too_long": "too long",
    "unknown_country_code": "unknown country code",
    "wrong_length": "wrong length for its country",
    "no_such_range": "no such number range in its country",
    "not_e164": "not in E.164 form (+ and 6 to 15 digits)",
    # how far an import job has got, shown in its progress bar (campaigns.jobs, dnc.imports; dialer.jobs)
    "progress_reading": "reading {name}",
    "progress_rows": "{rows} rows read, {imported} leads imported",
    "progress_done": "done: {imported} imported, {rejected} rejected",
    "progress_lines": "{lines} lines read, {invalid} invalid",
    # why numbers are on a DNC list or in its audit trail, when an import put them there (dnc.imports)
    "dnc_import_of": "import of {name}",
    # why a DNC import job failed (dnc.registry_files, dnc.repository)
    "dnc_no_such_column": "no column named {column} in the header {header}",
    "dnc_list_other_kind": "DNC list {name} is of kind {kind}, not {wanted}",
    # why a text message was not sent, or not yet (sms.consent, sms.sending, sms.bulk: sms_messages.reason_code)
    "sms_opted_out": "{number} is on the SMS opt-out list {list}",
    "sms_dnc": "{number} is on the do-not-contact list {list}",
    "sms_dnc_unknown": "the do-not-contact lists could not be checked, so the message was not sent",
    "sms_no_zone": "the recipient's time zone ({zones}) is unknown, so quiet hours cannot be checked",
    "sms_quiet_hours": "outside the {window} hours in {zones}",
    "sms_provider_refused": "the provider refused the message: {error}",
    "sms_retries_exhausted": "the provider still failed after {attempts} attempts: {error}",
    "sms_outcome_unknown": "the provider {provider} did not answer and does not de-duplicate, "
                           "so the message was not sent again: {error}",
    "sms_no_provider": "no SMS provider named {provider}",
    "sms_render_failed": "the template could not be filled in for this recipient: {error}",
    "sms_cancelled": "the send was cancelled",
    "sms_retry": "not sent yet, trying again: {error}",
    "sms_no_number": "the lead has no phone number",
    # why a number went on or off the SMS opt-out list by itself (sms.inbound: dnc_audit.reason_code)
    "sms_keyword_opt_out": "the customer texted {keyword}",
    "sms_keyword_opt_in": "the customer texted {keyword} to receive texts again",
}


def render(template: str, params: Mapping[str, Any]) -> str:
    """``template`` with ``params``; a ``value`` parameter follows as ``": value"``."""
    text = template.format(**params) if params else template
    value = params.get("value") if params else None
    return f"{text}: {value}" if value not in (None, "") else text


_json = json.JSONEncoder(ensure_ascii=False).encode
_string = json.encoder.encode_basestring       # str -> JSON string literal, non-ASCII kept (C accelerated)


def _encode(params: Mapping[str, Any]) -> str:
    """``params`` as JSON: text and whole numbers written directly (a few times faster than ``json``)."""
    parts = []
    for key, value in params.items():
        if isinstance(value, str):
            parts.append(f"{_string(key)}:{_string(value)}")
        elif type(value) is int:
            parts.append(f"{_string(key)}:{value}")
        else:
            return _json(params)
    return "{" + ",".join(parts) + "}"


class Reason(str):
    """The English text of a reason, carrying its ``code`` and ``params`` (JSON-able values).

    The parameters are kept as the JSON that is stored (``params_json``, made where the reason is made: in
    the import's worker processes), so a reason crosses processes and reaches the database without a dict
    being built or encoded again in the import's main process; ``params`` decodes it when asked."""

    __slots__ = ("code", "params_json")
    code: str
    params_json: str

    def __new__(cls, code: str, params: Mapping[str, Any] | None = None) -> Self:
        self = super().__new__(cls, render(ENGLISH[code], params or {}))
        self.code = code
        self.params_json = _encode(params) if params else ""
        return self

    @property
    def params(self) -> dict[str, Any]:
        return params_of(self.params_json)

    def __reduce__(self) -> tuple[Any, ...]:           # pickled to and from the import's worker processes
        return (_restore, (str(self), self.code, self.params_json))

    def with_value(self, value: str) -> Reason:
        """This reason about the cell ``value`` ("invalid phone number: 12345")."""
        return Reason(self.code, {**self.params, "value": value}) if value else self


def _restore(text: str, code: str, params_json: str) -> Reason:
    """A pickled reason back, without rendering its text again (a file of broken rows has many)."""
    self = str.__new__(Reason, text)
    self.code = code
    self.params_json = params_json
    return self


def reason(code: str, **params: Any) -> Reason:
    return Reason(code, params)


def code_of(text: str) -> tuple[str, str]:
    """``(code, params as JSON)`` of a reason to store, ``("", "")`` for plain text (stored as such)."""
    if isinstance(text, Reason):
        return text.code, text.params_json
    return "", ""


def params_of(stored: str | None) -> dict[str, Any]:
    """Stored parameters (``code_of``'s JSON) back as a dict."""
    return json.loads(stored) if stored else {}


__all__ = ["ENGLISH", "Reason", "code_of", "params_of", "reason", "render"]
