"""Scrubbing a campaign: take every still-dialable lead whose number is on a DNC list out of dialling.

A lead that is not final (``new``, ``retry``, ``callback``) and whose number is blocked for the
campaign (internal lists, the campaign's lists, national registries; SMS opt-outs do not block calls)
gets ``status = 'dnc'``. One audit row records the scrub with its counts; the report lists the numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from dnc import repository


@dataclass(frozen=True, slots=True)
class ScrubReport:
    campaign_id: int
    checked: int  # dialable leads looked at
    removed: int  # leads set to 'dnc'
    removed_numbers: tuple[str, ...]  # their numbers, sorted, without duplicates
    by_list: tuple[tuple[str, int], ...]  # (list name, leads removed because of it), most first

    def summary(self) -> str:
        lists = ", ".join(f"{name}: {n}" for name, n in self.by_list) or "none"
        return (
            f"campaign {self.campaign_id}: checked {self.checked} dialable leads, "
            f"removed {self.removed} on DNC ({lists})"
        )


async def scrub_campaign(
    conn: asyncpg.Connection, *, campaign_id: int, actor: str, now: datetime
) -> ScrubReport:
    """Mark the campaign's blocked dialable leads ``dnc`` in one transaction, audited; report the change."""
    async with conn.transaction():
        candidates = await repository.scrub_candidates(conn, campaign_id=campaign_id)
        numbers = sorted({phone for _, phone in candidates})
        blocked = await repository.numbers_on_dnc(conn, numbers, campaign_id=campaign_id, now=now)
        ids = [lead_id for lead_id, phone in candidates if phone in blocked]
        changed = await repository.mark_leads_dnc(conn, lead_ids=ids) if ids else []
        per_list = Counter(blocked[phone] for _, phone in changed)
        report = ScrubReport(
            campaign_id=campaign_id,
            checked=len(candidates),
            removed=len(changed),
            removed_numbers=tuple(sorted({phone for _, phone in changed})),
            by_list=tuple(sorted(per_list.items(), key=lambda kv: (-kv[1], kv[0]))),
        )
        await repository.audit(
            conn,
            at=now,
            actor=actor,
            action="scrub",
            list_id=None,
            number=None,
            reason=f"scrub of campaign {campaign_id}",
            details={
                "campaign_id": campaign_id,
                "checked": report.checked,
                "removed": report.removed,
                "by_list": dict(report.by_list),
                "lead_ids": [lead_id for lead_id, _ in changed][:10_000],
            },
        )
    return report
