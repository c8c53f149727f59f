"""May this text message go to this number now, and if not why? One pure function, used by every sender.

``decide(...)`` is the SMS twin of ``campaigns.eligibility.check_eligibility`` and fails closed the same way:

* **Lists.** ``block`` is the DNC answer for the number and the channel ``sms`` (``sms_blocks`` below asks
  the database with ``dnc.lists.DncList.applies_to``: the SMS opt-out list, the internal lists and the
  campaign's own lists; national registries block calls only). ``UNKNOWN`` (the lists could not be read)
  refuses. An opt-out (``sms_optout`` list) and any other list are refused for good (status ``refused``).
* **Quiet hours.** The campaign's calling window (``campaigns.windows``: weekly hours, holidays) in every
  zone the recipient may be in (the lead's zones, else the campaign's zone); the most restrictive wins. A
  message outside the window is *deferred* (``retry_at``: the first instant the window is open everywhere),
  never sent early; a zone nobody knows refuses it (``sms_no_zone``), as no window can be evaluated.

Every answer carries a ``dialer.reasons.Reason`` (English text with a stable code and parameters) so the
message log says it in the reader's language. ``sms_blocks`` is the only I/O here.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from campaigns.windows import WindowError, WindowProfile, is_open_everywhere, next_open, zone
from dialer.reasons import Reason, reason
from dnc.lists import DncHit, ListKind

if TYPE_CHECKING:
    import asyncpg


class _Unknown(enum.Enum):
    UNKNOWN = "unknown"


UNKNOWN: Final = _Unknown.UNKNOWN        # the DNC lists could not be read: refuse
Block = DncHit | None | _Unknown


class Verdict(str, enum.Enum):
    SEND = "send"
    DEFER = "defer"          # quiet hours: try again at ``retry_at``
    REFUSE = "refuse"        # for good: status 'refused' with the reason


@dataclass(frozen=True, slots=True)
class Consent:
    verdict: Verdict
    reason: Reason | None = None
    retry_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.SEND


SEND: Final = Consent(Verdict.SEND)


def recipient_zones(lead_zones: Sequence[str], campaign_zone: str | None) -> tuple[str, ...]:
    """The zones to evaluate quiet hours in: the lead's own, else the campaign's (eligibility's rule)."""
    if lead_zones:
        return tuple(lead_zones)
    return (campaign_zone,) if campaign_zone else ()


def decide(*, number: str, block: Block, window: WindowProfile | None, zones: Sequence[str],
           now: datetime) -> Consent:
    """Whether a message to ``number`` may be handed to a provider at ``now``.

    ``block``: the list blocking ``number`` for SMS (None: none; ``UNKNOWN``: the lists could not be read).
    ``window``: the campaign's calling window (None: a message outside any campaign has no quiet hours of
    its own; it is still refused on an unknown zone). ``zones``: ``recipient_zones(...)``.
    """
    if block is UNKNOWN:
        return Consent(Verdict.REFUSE, reason("sms_dnc_unknown"))
    if isinstance(block, DncHit):
        code = "sms_opted_out" if block.kind is ListKind.SMS_OPTOUT else "sms_dnc"
        return Consent(Verdict.REFUSE, reason(code, number=number, list=block.list_name))
    if not zones:
        return Consent(Verdict.REFUSE, reason("sms_no_zone", zones="-"))
    try:
        for name in zones:
            zone(name)
        if window is None or is_open_everywhere(window, zones, now):
            return SEND
        opens = next_open(window, zones, now)
    except WindowError:
        return Consent(Verdict.REFUSE, reason("sms_no_zone", zones=", ".join(zones)))
    quiet = reason("sms_quiet_hours", window=window.name, zones=", ".join(zones))
    if opens is None:                                     # the window never opens within its horizon
        return Consent(Verdict.REFUSE, quiet)
    return Consent(Verdict.DEFER, quiet, opens)


async def sms_blocks(conn: asyncpg.Connection | asyncpg.Pool, numbers: Sequence[str], *,
                     campaign_id: int | None, now: datetime) -> dict[str, DncHit]:
    """The numbers of ``numbers`` that may not be texted for ``campaign_id``, each with the list that blocks it.

    Which lists count is ``DncList.applies_to(channel="sms")``'s rule (dnc.lists); lists are consulted in
    ``consult_order`` (internal, campaign, SMS opt-out), so a hit names the first. Expired entries do not block.
    Raises whatever the database raises: the caller treats that as ``UNKNOWN`` (fail closed).
    """
    from dnc import registry_files
    from dnc.lists import consult_order
    from dnc.numbers import to_keys
    from dnc.repository import all_lists, current_registry_files

    lists = [lst for lst in consult_order(await all_lists(conn))
             if lst.applies_to(campaign_id=campaign_id, channel="sms")]
    if not lists or not numbers:
        return {}
    rank = {lst.id: i for i, lst in enumerate(lists)}
    by_id = {lst.id: lst for lst in lists}
    rows = await conn.fetch(
        "SELECT number, list_id FROM dnc_entries WHERE number = ANY($1::text[]) AND list_id = ANY($2::bigint[])"
        " AND (expires_at IS NULL OR expires_at > $3)",
        list(dict.fromkeys(numbers)), list(rank), now)
    best: dict[str, int] = {}
    for r in rows:
        if r["number"] not in best or rank[r["list_id"]] < rank[best[r["number"]]]:
            best[r["number"]] = r["list_id"]
    files = [f for f in await current_registry_files(conn) if f.list_id in rank]
    if files:
        keys = to_keys(list(numbers))
        for f in files:
            hits = registry_files.contains_sorted(f.path, keys)
            for i, hit in enumerate(hits.tolist()):
                number = numbers[i]
                if hit and (number not in best or rank[f.list_id] < rank[best[number]]):
                    best[number] = f.list_id
    return {n: DncHit(n, lid, by_id[lid].name, by_id[lid].kind) for n, lid in best.items()}
