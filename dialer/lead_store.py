"""The runner's hopper storage and the lead side of outcomes, over ``campaigns.repository``.

``settle`` turns a call's final outcome into the lead's next step with the campaign's retry policy
(or the callback the agent scheduled; a no-answer waits the delay its list sets, ``list_admin.recycled_policy``),
and adds the number to the internal DNC list when the agent's
disposition is ``do_not_call``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import asyncpg

from campaigns import list_admin
from campaigns import repository as leads_repo
from campaigns.eligibility import Eligibility, Reason
from campaigns.errors import NotFound
from campaigns.model import Campaign, Lead, LeadStatus
from campaigns.retry_policy import Outcome, decide_retry
from dialer import call_records
from dialer.calls import Call, CallOutcome

log = logging.getLogger(__name__)

# how the engine's outcomes map onto the retry policy's
RETRY_OUTCOME: dict[CallOutcome, Outcome | None] = {
    CallOutcome.HANDLED: Outcome.ANSWERED,
    CallOutcome.ABANDONED: Outcome.ABANDONED,
    CallOutcome.MACHINE: Outcome.MACHINE,
    CallOutcome.CUSTOMER_HUNG_UP: Outcome.NO_ANSWER,
    CallOutcome.BUSY: Outcome.BUSY,
    CallOutcome.NO_ANSWER: Outcome.NO_ANSWER,
    CallOutcome.CONGESTION: Outcome.FAILED,
    CallOutcome.REJECTED: Outcome.FAILED,
    CallOutcome.FAILED: Outcome.FAILED,
    CallOutcome.PBX_CUT: Outcome.PBX_CUT,  # a short retry of its own, never a no-answer
    CallOutcome.INVALID_NUMBER: None,      # final: the number does not exist
    CallOutcome.CANCELLED: None,           # never dialled: the lead goes back as it was
}
# An attempt counts only when the network was reached: a call our own PBX refused (bad trunk technology,
# missing context or extension, an action Asterisk rejected) or never placed gives its lead back as it was;
# so does a failure or a cut (no PBX, no free line, a restart) before the callee's phone ever rang.
NOT_AN_ATTEMPT = frozenset({CallOutcome.CANCELLED, CallOutcome.REJECTED})
UNLESS_IT_RANG = frozenset({CallOutcome.FAILED, CallOutcome.PBX_CUT})


def network_reached(call: Call) -> bool:
    """Whether ``call`` reached the callee's network: it rang, was answered, or the network said why not."""
    if call.outcome in NOT_AN_ATTEMPT:
        return False
    if call.outcome in UNLESS_IT_RANG:
        return call.ringing_at is not None or call.answered_at is not None
    return True


class PgLeadStore:
    """``LeadStore`` on PostgreSQL for one engine (its claims carry ``engine_id``)."""

    def __init__(self, pool: asyncpg.Pool, *, engine_id: str) -> None:
        self.pool = pool
        self.engine_id = engine_id

    async def claim(self, *, campaign_id: int, limit: int, now: datetime) -> list[Lead]:
        async with self.pool.acquire() as conn:
            return await leads_repo.claim_leads(conn, campaign_id=campaign_id, limit=limit,
                                                engine_id=self.engine_id, now=now)

    async def defer(self, lead: Lead, verdict: Eligibility, *, now: datetime) -> None:
        """A claimed lead that may not be dialled now goes back, marked DNC or due when it may."""
        async with self.pool.acquire() as conn:
            if verdict.reason is Reason.DNC:   # refused at dial time: counted for the compliance page (0380)
                async with conn.transaction():
                    await leads_repo.refuse_claimed_lead(conn, lead_id=lead.id, status=LeadStatus.DNC)
                    await call_records.count_dnc_refusal(conn, campaign_id=lead.campaign_id, at=now)
            else:
                await leads_repo.defer_lead(conn, lead_id=lead.id, next_attempt_at=verdict.next_allowed_at)

    async def release_all(self, *, campaign_id: int) -> None:
        async with self.pool.acquire() as conn:
            await leads_repo.release_leads(conn, campaign_id=campaign_id, engine_id=self.engine_id)

    async def settle(self, call: Call, *, campaign: Campaign, callback: Any, agent_id: int | None,
                     at: datetime) -> None:
        assert call.lead_id is not None and call.outcome is not None
        await self.settle_outcome(lead_id=call.lead_id, campaign=campaign, outcome=call.outcome,
                                  disposition_code=call.disposition, callback=callback, agent_id=agent_id, at=at,
                                  call_id=call.call_id, reached=network_reached(call))

    async def settle_outcome(self, *, lead_id: int, campaign: Campaign, outcome: CallOutcome,
                             disposition_code: str | None, callback: Any, agent_id: int | None,
                             at: datetime, call_id: int | None = None, reached: bool = True) -> None:
        """The lead's next step after one attempt with ``outcome``; marks the attempt's record (``call_id``)
        settled in the same transaction, so a restart knows which leads still need this step. A call that
        never reached the network (``reached`` False, or a refused one) gives the lead back uncounted."""
        async with self.pool.acquire() as conn, conn.transaction():
            if call_id is not None:
                marked = await conn.execute(
                    "UPDATE call_records SET lead_settled = true WHERE id = $1 AND NOT lead_settled", call_id)
                if marked.endswith(" 0"):
                    return      # this attempt already gave its lead the next step (an adopted call's, say)
            try:
                lead = await leads_repo.get_lead(conn, lead_id=lead_id)
            except NotFound:
                return
            retry_outcome = RETRY_OUTCOME[outcome]
            if outcome in NOT_AN_ATTEMPT or not reached:
                await leads_repo.defer_lead(conn, lead_id=lead_id, next_attempt_at=None)
                return
            if callback is not None and getattr(callback, "callback_at", None) is not None:
                # the attempt counts, then the lead waits for its callback (personal or the campaign's)
                await leads_repo.record_attempt_result(conn, lead_id=lead_id, outcome=disposition_code or outcome.value,
                                                       at=at, next_attempt_at=callback.callback_at, final=False,
                                                       abandoned=False)
                await leads_repo.create_callback(conn, lead_id=lead_id, due_at=callback.callback_at,
                                                 agent_id=agent_id if callback.callback_personal else None,
                                                 created_by=agent_id, note=callback.notes)
                return
            if retry_outcome is None:
                await leads_repo.record_attempt_result(conn, lead_id=lead_id, outcome=outcome.value, at=at,
                                                       next_attempt_at=None, final=True, abandoned=False)
                return
            disposition = None
            if retry_outcome is Outcome.ANSWERED:
                code = disposition_code or "no_disposition"
                try:
                    disposition = campaign.disposition(code)
                except Exception:  # noqa: BLE001 - an unknown code (engine restart) ends the lead
                    from campaigns.retry_policy import Disposition

                    disposition = Disposition(code, code, final=True)
            policy = campaign.retry_policy
            if outcome is CallOutcome.NO_ANSWER:   # a list may recycle its no-answers sooner or later
                policy = await list_admin.policy_for_lead(conn, policy, list_id=lead.list_id)
            decision = decide_retry(policy, outcome=retry_outcome, attempts=lead.attempts + 1, at=at,
                                    disposition=disposition, last_abandoned_at=lead.last_abandoned_at)
            await leads_repo.record_attempt_result(
                conn, lead_id=lead_id, outcome=disposition.code if disposition else outcome.value, at=at,
                next_attempt_at=decision.next_attempt_at, final=decision.final,
                abandoned=outcome is CallOutcome.ABANDONED)
            if disposition is not None and disposition.code == "do_not_call":
                await _add_to_internal_dnc(conn, lead.phone_e164, agent_id=agent_id, campaign=campaign, now=at)


async def keep_claim(conn: asyncpg.Connection | asyncpg.Pool, *, lead_id: int, engine_id: str) -> None:
    """The lead of a call crash recovery adopted stays claimed, now by ``engine_id``, until the call ends."""
    await conn.execute("UPDATE leads SET claimed_by = $2 WHERE id = $1 AND status = 'claimed'", lead_id, engine_id)


async def _add_to_internal_dnc(conn: asyncpg.Connection, number: str, *, agent_id: int | None,
                               campaign: Campaign, now: datetime) -> None:
    from dnc import repository as dnc_repo
    from dnc.lists import ListKind

    actor = f"agent:{agent_id}" if agent_id else "engine"
    try:
        async with conn.transaction():
            await dnc_repo.ensure_list(conn, name="internal", kind=ListKind.INTERNAL, actor=actor, now=now)
            await dnc_repo.add_entry(conn, list_name="internal", number=number, actor=actor, now=now,
                                     reason=f"asked not to be called (campaign {campaign.name})")
    except Exception:  # noqa: BLE001 - the lead is final anyway; the failure is logged for follow-up
        log.exception("could not add %s to the internal DNC list", number)
