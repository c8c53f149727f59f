"""What an agent's panel shows of an inbound call (issue 15): pure building of the pop, no I/O.

An inbound pop carries the queue (id and name), the caller's number, the DID, how long the caller waited
before the agent's answer, the queue's dispositions (``code``/``label``; the agent disposes with those, not
its campaign's), the leads whose number is the caller's across every campaign (each with its campaign and
its call history) and, for a call a colleague sent to the queue, who transferred it.

The caller is looked up as the team lead's lead search reads a number (``campaigns.lead_search``):
``caller_numbers`` gives every E.164 reading of the caller id in the regions of the campaigns, so a trunk
that presents ``0987654321`` or ``84987654321`` finds the lead stored as ``+84987654321``. The matching is
by the lead's main number (the unique index). Leads are ordered: the lead the call came from first (a call
transferred from an outbound call), then by the newest attempt.

No match: the pop offers ``new_contact`` (the campaign a new contact is created in); see ``contact_campaign``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from campaigns.lead_search import number_candidates

INBOUND_CONTACTS = "Inbound contacts"   # the default campaign a new inbound contact is created in


def caller_numbers(caller: str, regions: Iterable[str]) -> tuple[str, ...]:
    """Every E.164 number the caller id may be (read in each region, and as international without '+')."""
    caller = (caller or "").strip()
    if not caller:
        return ()
    found = list(number_candidates(caller, regions))
    if caller.startswith("+") and caller[1:].isdigit() and caller not in found:
        found.insert(0, caller)         # E.164 already: it is itself, whatever the regions say
    return tuple(found)


def waited_s(ready_at: float | None, answered_at: float | None, now: float) -> float:
    """Seconds from the caller's arrival in its queue to the agent's answer (or now, when not answered yet)."""
    if ready_at is None:
        return 0.0
    return max(0.0, (answered_at if answered_at is not None else now) - ready_at)


def order_matches(matches: Sequence[Mapping[str, Any]], *, lead_id: int | None) -> list[dict[str, Any]]:
    """The lead the call came from first, then the most recently called, then by id."""
    def key(match: Mapping[str, Any]) -> tuple[int, str, int]:
        lead = match["lead"]
        last = max((str(h.get("originated_at") or "") for h in match.get("history", ())), default="")
        return (0 if lead["id"] == lead_id else 1, _descending(last), lead["id"])
    return [dict(m) for m in sorted(matches, key=key)]


def _descending(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text) if text else "\U0010ffff"


def contact_campaign(queue_callback_campaign: Mapping[str, Any] | None,
                     default_campaign: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Where the agent's "new contact" form creates the lead: the queue's own campaign (the one its callbacks
    are placed in, ``Queue.callback_campaign_id``) when it names one, else the ``Inbound contacts`` campaign."""
    chosen = queue_callback_campaign or default_campaign
    return {"id": chosen["id"], "name": chosen["name"]} if chosen else None


def inbound_pop(*, call_id: int | str, caller: str, context: Mapping[str, Any], waited: float,
                dispositions: Sequence[Mapping[str, str]], matches: Sequence[Mapping[str, Any]],
                new_contact: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``pop`` message of an inbound call. ``context`` is the engine's call context (queue_id, queue_name,
    did, vip, lead_id, transfer); ``matches`` are ``{lead, campaign, history}`` of the caller's leads."""
    ordered = order_matches(matches, lead_id=context.get("lead_id"))
    first = ordered[0] if ordered else None
    pop: dict[str, Any] = {
        "type": "pop", "call_id": str(call_id), "direction": "inbound", "number": caller,
        "queue": {"id": context.get("queue_id"), "name": context.get("queue_name", "")},
        "did": context.get("did", ""), "vip": bool(context.get("vip")), "waited_s": round(waited, 1),
        "dispositions": [{"code": d["code"], "label": d["label"], "final": True} for d in dispositions],
        "matches": ordered,
        # the first match is the call's lead (its card, history and CRM) as an outbound pop shows it
        "lead": first["lead"] if first else None, "history": first["history"] if first else [],
        "campaign": first["campaign"] if first else None,
        "new_contact": dict(new_contact) if new_contact and not ordered else None,
    }
    transfer = context.get("queue_transfer")
    if transfer:
        pop["queue_transfer"] = dict(transfer)
    if context.get("from_survey"):     # pressed 0 in a survey: its name and the answers given (dialer.survey_desk)
        pop["from_survey"] = dict(context["from_survey"])
    return pop
