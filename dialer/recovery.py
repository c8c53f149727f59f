"""Recovery after a crash: reconciling the call records with the PBX's live channels at start.

(A lost AMI link, where the process survived, is ``dialer.reconcile``'s.) ``recover_after_crash`` runs
at start: every attempt the records show in flight is matched against the
PBX's live channels. Nothing is ever re-originated: a vanished attempt is closed as failed and its lead
goes through the retry policy; a customer still holding for an agent gets the safe-harbor message and
counts as abandoned; a conversation still going on is cut and recorded as handled (the engine that
knew the agent's side is gone, and a leg nobody tracks must not stay up); agents start logged out and
their phone legs are hung up, so none stays reserved; leads claimed by the dead engine go back to the
hopper through ``finish_lead`` and the campaigns layer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg

from dialer import call_records
from dialer.calls import CallOutcome
from dialer.clock import Clock
from dialer.pbx_port import CTX_CONNECT, CTX_SAFE_HARBOR, LiveChannel, PbxError, PbxPort

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class OrphanVerdict:
    """What to do with one in-flight record found at start."""

    call_id: int
    outcome: CallOutcome
    detail: str
    hangup: bool = False            # hang the leg up
    safe_harbor: bool = False       # play the message first


def judge_orphan(record: dict[str, object], channel: LiveChannel | None) -> OrphanVerdict:
    """The fate of an attempt the records show in flight, given its live channel (or None)."""
    call_id = int(record["id"])  # type: ignore[call-overload]
    answered = record.get("answered_at") is not None or record.get("ready_at") is not None
    if channel is None:
        if record.get("connected_at") is not None:
            return OrphanVerdict(call_id, CallOutcome.HANDLED, "engine restarted; the call ended meanwhile")
        if record.get("ready_at") is not None:
            return OrphanVerdict(call_id, CallOutcome.ABANDONED, "engine restarted while the customer waited")
        return OrphanVerdict(call_id, CallOutcome.FAILED, "engine restarted; the attempt ended meanwhile")
    if channel.context == CTX_CONNECT or channel.bridge_id:
        return OrphanVerdict(call_id, CallOutcome.HANDLED, "engine restarted during the conversation; cut",
                             hangup=True)
    if channel.context == CTX_SAFE_HARBOR:
        return OrphanVerdict(call_id, CallOutcome.ABANDONED, "engine restarted during the safe-harbor message")
    if channel.state == "Up" or answered:
        return OrphanVerdict(call_id, CallOutcome.ABANDONED, "engine restarted while the customer waited",
                             hangup=True, safe_harbor=True)
    return OrphanVerdict(call_id, CallOutcome.FAILED, "engine restarted before the call was answered", hangup=True)


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    closed: dict[str, int]
    released_leads: int
    agent_legs_hung_up: int


async def recover_after_crash(*, pool: asyncpg.Pool, pbx: PbxPort, clock: Clock, engine_id: str,
                              finish_lead: object | None = None) -> tuple[RecoveryReport, list[OrphanVerdict]]:
    """Close every in-flight record of ``engine_id`` against the PBX's live channels; hang up its agents'
    legs. Other engines' calls and agents are not touched.

    ``finish_lead(record, verdict)`` (async) lets the campaigns layer apply its retry policy to the lead.
    """
    try:
        channels = await pbx.channels()
    except PbxError as exc:
        raise PbxError(f"cannot recover: the PBX's channel list is unavailable ({exc})") from exc
    by_leg = {c.leg_id: c for c in channels if c.leg_id}
    verdicts: list[OrphanVerdict] = []
    closed: dict[str, int] = {}
    for record in await call_records.in_flight(pool, engine_id=engine_id):
        verdict = judge_orphan(dict(record), by_leg.get(record["leg_id"]))
        verdicts.append(verdict)
        leg = record["leg_id"]
        if verdict.safe_harbor:
            try:
                await pbx.redirect(leg, context=CTX_SAFE_HARBOR, exten="s")
            except PbxError:
                await _hangup(pbx, leg)
        elif verdict.hangup:
            await _hangup(pbx, leg)
        await call_records.close_orphan(pool, call_id=verdict.call_id, outcome=verdict.outcome,
                                        detail=verdict.detail, ended_at=clock.now())
        if finish_lead is not None:
            await finish_lead(dict(record), verdict)  # type: ignore[operator]
        closed[verdict.outcome.value] = closed.get(verdict.outcome.value, 0) + 1
    # agents: every session of before the crash ends and its phone leg is hung up
    sessions = await pool.fetch("SELECT user_id, leg_id FROM agent_sessions WHERE engine_id = $1", engine_id)
    hung = 0
    for session in sessions:
        channel = by_leg.get(session["leg_id"]) if session["leg_id"] else None
        if channel is not None:
            await _hangup(pbx, session["leg_id"])
            hung += 1
    await pool.execute("DELETE FROM agent_sessions WHERE engine_id = $1", engine_id)
    report = RecoveryReport(closed=closed, released_leads=0, agent_legs_hung_up=hung)
    if verdicts or hung:
        log.warning("recovered after a crash: %s", report)
    return report, verdicts


async def _hangup(pbx: PbxPort, leg_id: str) -> None:
    try:
        await pbx.hangup(leg_id)
    except PbxError as exc:
        log.info("hang-up of %s during recovery skipped: %s", leg_id, exc)
