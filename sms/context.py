"""What a message template may read, as plain data only: ``message_context``.

The context holds dicts, strings and numbers, never an object of ours, so a template cannot walk from a
value to code. Its names (``CONTEXT_NAMES``):

* ``lead`` — ``first_name``, ``last_name``, ``full_name``, ``phone`` (E.164), ``postal_code`` (``LEAD_FIELDS``)
  and every column imported with the lead's list (``lead.plan``, or ``lead["ngày sinh"]`` for a name that
  is not a word); a built-in name wins over a column of the same name.
* ``agent_name`` — the agent sending (absent for a bulk or scheduled send: a template that needs it
  cannot be sent without one).
* ``campaign`` — ``campaign.name`` (``CAMPAIGN_FIELDS``).
* ``callback`` — the lead's next callback in the customer's own zone: ``callback.date`` (dd/mm/yyyy),
  ``callback.time`` (HH:MM, 24 h), ``callback.zone`` (``CALLBACK_FIELDS``); absent when none is scheduled.

A name that is absent makes rendering fail naming it (``sms.templates.RenderFailed``) rather than send a
message with a hole in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONTEXT_NAMES = ("lead", "agent_name", "campaign", "callback")
LEAD_FIELDS = frozenset({"first_name", "last_name", "full_name", "phone", "postal_code"})
CAMPAIGN_FIELDS = frozenset({"name"})
CALLBACK_FIELDS = frozenset({"date", "time", "zone"})
_SCALARS = (str, int, float, bool)


def _plain(value: Any) -> str | int | float | bool:
    return value if isinstance(value, _SCALARS) else "" if value is None else str(value)


def lead_values(lead: Mapping[str, Any], *, columns: Iterable[str] = ()) -> dict[str, Any]:
    """The ``lead`` a template sees, from a lead as a mapping (``dataclasses.asdict(Lead)`` or a row with
    ``first_name``, ``last_name``, ``phone_e164`` or ``phone``, ``postal_code`` and ``fields``).
    ``columns`` are imported columns to show as "" when this lead has no value for them (an empty cell)."""
    first, last = str(lead.get("first_name") or ""), str(lead.get("last_name") or "")
    values: dict[str, Any] = dict.fromkeys(columns, "")
    values.update((str(k), _plain(v)) for k, v in (lead.get("fields") or {}).items())
    values.update(first_name=first, last_name=last, full_name=" ".join(p for p in (first, last) if p),
                  phone=str(lead.get("phone_e164") or lead.get("phone") or ""),
                  postal_code=str(lead.get("postal_code") or ""))
    return values


def callback_values(callback_at: datetime, zone: str | None) -> dict[str, str]:
    """A callback time as the customer reads it: in ``zone`` (UTC when the zone is unknown)."""
    try:
        tz = ZoneInfo(zone) if zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = callback_at.astimezone(tz)
    return {"date": f"{local.day:02d}/{local.month:02d}/{local.year:04d}", "time": f"{local.hour:02d}:{local.minute:02d}",
            "zone": tz.key}


def message_context(lead: Mapping[str, Any], *, agent_name: str | None, campaign: Mapping[str, Any] | None,
                    callback_at: datetime | None, zone: str | None,
                    columns: Iterable[str] = ()) -> dict[str, Any]:
    """The plain-data context for one message to ``lead`` (module docstring for the names). ``zone`` is the
    customer's zone (the lead's, else the campaign's) in which a callback time is written."""
    context: dict[str, Any] = {"lead": lead_values(lead, columns=columns)}
    if agent_name:
        context["agent_name"] = str(agent_name)
    if campaign is not None:
        context["campaign"] = {"name": str(campaign.get("name") or "")}
    if callback_at is not None:
        context["callback"] = callback_values(callback_at, zone)
    return context
