"""Where a survey is offered (``survey_offers``), checked at save naming the field; pure, no I/O.

A team lead sets, for one campaign or one queue, either an after-call offer (``after_call``: a share of the
calls its agents end, chosen by the system, nobody again within ``once_per_days``) or, for a campaign only, a
survey campaign without agents (``campaign``: every person reached hears the survey, at most ``lines`` at once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MODES = ("after_call", "campaign")

# the refusals in English; admin_ui.survey_text words them in Vietnamese (svoffer_<code>)
ENGLISH: dict[str, str] = {
    "target": "choose a campaign or a queue",
    "mode": "'{value}' is not a way to run a survey; use after_call or campaign",
    "campaign_only": "a survey campaign without agents is a campaign's setting, not a queue's",
    "share": "'{value}' is not a share of calls; enter a whole percentage 1-100",
    "once_per_days": "'{value}' is not a number of days; enter a whole number 0-3650",
    "lines": "'{value}' is not a number of lines; enter a whole number 1-1000",
}


class OfferError(ValueError):
    """A refused offer setting: ``field`` (the form's field), ``code`` (a key of ``ENGLISH``), ``params``."""

    def __init__(self, field: str, code: str, **params: object) -> None:
        self.field, self.code, self.params = field, code, params
        super().__init__(f"{field}: {ENGLISH[code].format(**params)}")


@dataclass(frozen=True, slots=True)
class OfferSetting:
    campaign_id: int | None
    queue_id: int | None
    mode: str
    share: float
    once_per_days: int
    lines: int


def _whole(form: Mapping[str, str], field: str, low: int, high: int, default: int) -> int:
    text = str(form.get(field, "") or "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise OfferError(field, field, value=text)
    return int(text)


def check_offer(form: Mapping[str, str]) -> OfferSetting:
    """The setting a form asks for: ``target`` (``campaign:<id>`` or ``queue:<id>``), ``mode``, ``share``
    (percent, after_call), ``once_per_days`` (after_call), ``lines`` (campaign). Refused naming the field."""
    target = str(form.get("target", "") or "").strip()
    kind, _, number = target.partition(":")
    if kind not in ("campaign", "queue") or not number.isascii() or not number.isdigit():
        raise OfferError("target", "target")
    mode = str(form.get("mode", "") or "").strip()
    if mode not in MODES:
        raise OfferError("mode", "mode", value=mode)
    if mode == "campaign" and kind != "campaign":
        raise OfferError("mode", "campaign_only")
    share = _whole(form, "share", 1, 100, 100) if mode == "after_call" else 100
    once = _whole(form, "once_per_days", 0, 3650, 30) if mode == "after_call" else 30
    lines = _whole(form, "lines", 1, 1000, 10) if mode == "campaign" else 10
    return OfferSetting(int(number) if kind == "campaign" else None, int(number) if kind == "queue" else None,
                        mode, share / 100.0, once, lines)
