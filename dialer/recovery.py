"""Recovery after a crash: reconciling the call records with the PBX's live channels at start.

(A lost AMI link, where the process survived, is ``dialer.reconcile``'s.) ``recover_after_crash`` runs
at start: every attempt the records show in flight is matched against the PBX's live channels
(``CoreShowChannels``). Nothing is ever re-originated. The record says how far the call got, because
each milestone is written when it happens (``answered_at``, ``ready_at``, ``connected_at`` with
``agent_id``); the channel says whether it is still going on:

- a customer still in an agent's conference (``dialer-connect``, exten ``agent-<id>``) whose agent's
  phone leg still waits there is *adopted*: the engine takes the call and the agent back (agent on a
  call, its panel gets the call and the pop) and the call ends normally, disposition by the agent;
- a warm transfer or 3-way under way (``dialer.recovery_consult``): the receiving agent's phone leg, found in
  the sender's conference, goes home first; the customer, on hold from the sender's conference
  (``dialer-hold``) or in it, is brought to the sender, or to the receiving agent if the sender's phone is
  gone, and adopted; its open hold ends on the call's timeline (``call_holds``, ``recovered``);
- a conversation whose agent's leg is gone is cut and recorded as handled by that agent;
- an inbound caller still holding in ``dialer-inbound`` (found by its channel's name, ``pbx_channel``) is
  *adopted* into its queue (``adopt_inbound``): the dialplan kept it holding with music; the engine follows its
  leg again and routes it with its first arrival (``ready_at``), under its one record;
- a customer waiting for an agent (answered, in ``dialer-customer``) gets the safe-harbor message at
  once and counts as abandoned; one already in ``dialer-safe-harbor`` (the dialplan sent it there by
  itself) is left to hear it and counts as abandoned; one hearing the machine message is a machine;
- a call whose leg is gone is settled from its record: connected → handled by its agent (never
  re-dialled), known to be a person → abandoned (it counts in the abandonment rate and the no-re-call
  rule applies), answered only → hung up before AMD could tell, never answered → failed.

Agents whose leg holds no adopted call start logged out and their phone legs are hung up, so none stays
reserved; leads claimed by the dead engine go back to the hopper through ``finish_lead`` and the
campaigns layer (those of adopted calls stay claimed until their call ends).

Recovery fails closed: a call missing from a partial channel list would be judged gone and dialled again while
the PBX still has it. With calls in flight or agent sessions to judge, every configured server's channel list
is needed (``PbxPort.channels(every_server=True)``); without it ``CannotRecover`` is raised before anything
is written, and the records stay unjudged and their leads claimed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from dialer import call_holds, call_records, recovery_inbound
from dialer.agents import Agent, AgentState
from dialer.call_records import WallTime
from dialer.calls import Call, CallOutcome, CallState, Pool, PoolKind
from dialer.clock import Clock
from dialer.errors import DialerError
from dialer.pbx_port import (
    CTX_AGENT,
    CTX_CONNECT,
    CTX_HOLD,
    CTX_INBOUND,
    CTX_MACHINE,
    CTX_SAFE_HARBOR,
    CTX_TRANSFER,
    LiveChannel,
    PbxError,
    PbxPort,
    conference_name,
)
from dialer.recovery_consult import host_of_customer, keeper, visits

log = logging.getLogger(__name__)


class CannotRecover(PbxError, DialerError):
    """Recovery cannot judge a dead engine's work: a configured PBX server's channel list is unavailable."""


async def has_work(pool: asyncpg.Pool, *, engine_id: str) -> bool:
    """Whether ``engine_id`` left calls in flight or agent sessions for recovery to judge against the PBX."""
    return bool(await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM call_records WHERE outcome IS NULL AND engine_id = $1)"
        " OR EXISTS (SELECT 1 FROM agent_sessions WHERE engine_id = $1)", engine_id))


@dataclass(frozen=True, slots=True)
class OrphanVerdict:
    """What to do with one in-flight record found at start. ``outcome`` None: the call goes on (adopted)."""

    call_id: int
    outcome: CallOutcome | None
    detail: str
    hangup: bool = False            # hang the leg up
    safe_harbor: bool = False       # play the message first
    agent_id: int | None = None     # handled: the agent who talked; adopted: the agent who keeps the call

    @property
    def adopted(self) -> bool:
        return self.outcome is None


def agent_of_channel(channel: LiveChannel) -> int | None:
    """The agent whose conference a customer channel is in (``dialer-connect``, exten ``agent-<id>``) or on
    hold from (``dialer-hold``, same exten)."""
    return host_of_customer(channel)


def judge_orphan(record: Mapping[str, Any], channel: LiveChannel | None,
                 agent_legs: Mapping[int, LiveChannel] | None = None,
                 visitors: Mapping[int, int] | None = None) -> OrphanVerdict:
    """The fate of an attempt the records show in flight, given its live channel (or None), the live
    phone legs of the agents that may keep a call (``agent_legs``, by agent id) and the agents that were
    visiting another's conference for a warm transfer (``visitors``: host agent -> visiting agent)."""
    call_id = int(record["id"])
    connected = record.get("connected_at") is not None
    ready = record.get("ready_at") is not None
    answered = ready or record.get("answered_at") is not None
    if channel is None:
        if connected:
            return OrphanVerdict(call_id, CallOutcome.HANDLED, "engine restarted; the conversation ended meanwhile",
                                 agent_id=record.get("agent_id"))
        if ready and record.get("agent_id") is not None:
            # put through to that agent (the Redirect was sent), the join not yet written: the conversation
            # was most likely held and ended before the restart looked. An inbound caller was answered; an
            # outbound call counts as an abandon all the same, as the abandonment budget fails closed.
            put_through = f"engine restarted while the customer was put through to agent {record['agent_id']}"
            if record.get("direction") == "inbound":
                return OrphanVerdict(call_id, CallOutcome.HANDLED, f"{put_through}; the call ended meanwhile",
                                     agent_id=record["agent_id"])
            return OrphanVerdict(call_id, CallOutcome.ABANDONED,
                                 f"{put_through}; counted as an abandon: the join was never heard")
        if ready:
            return OrphanVerdict(call_id, CallOutcome.ABANDONED,
                                 "engine restarted; the customer left before an agent took the call")
        if answered:
            return OrphanVerdict(call_id, CallOutcome.CUSTOMER_HUNG_UP,
                                 "engine restarted; hung up after answer, before AMD could tell")
        return OrphanVerdict(call_id, CallOutcome.FAILED, "engine restarted; the attempt ended meanwhile")
    agent_id = agent_of_channel(channel)
    if agent_id is not None:
        keeping = keeper(agent_id, agent_legs, visitors or {}) if agent_legs is not None else None
        if keeping is not None and keeping != agent_id:
            return OrphanVerdict(call_id, None, "engine restarted during a warm transfer; the sender's phone is "
                                 "gone, the receiving agent keeps the call", agent_id=keeping)
        if keeping is not None and channel.context == CTX_HOLD:
            return OrphanVerdict(call_id, None, "engine restarted during a warm transfer; the customer is back "
                                 "from hold with its agent", agent_id=keeping)
        if keeping is not None:
            return OrphanVerdict(call_id, None, "engine restarted during the conversation; adopted",
                                 agent_id=agent_id)
        return OrphanVerdict(call_id, CallOutcome.HANDLED, "engine restarted during the conversation; the "
                             "agent's phone is gone, cut", hangup=True, agent_id=agent_id)
    if channel.context == CTX_TRANSFER:
        return OrphanVerdict(call_id, CallOutcome.HANDLED, "engine restarted after a transfer",
                             agent_id=record.get("agent_id"))
    if channel.context == CTX_SAFE_HARBOR:
        return OrphanVerdict(call_id, CallOutcome.ABANDONED, "engine restarted during the safe-harbor message")
    if channel.context == CTX_MACHINE:
        return OrphanVerdict(call_id, CallOutcome.MACHINE, "engine restarted during the machine message")
    if channel.bridge_id:
        return OrphanVerdict(call_id, CallOutcome.HANDLED, "engine restarted during the conversation; cut",
                             hangup=True, agent_id=record.get("agent_id") if connected else None)
    if channel.state == "Up" or answered:
        return OrphanVerdict(call_id, CallOutcome.ABANDONED, "engine restarted while the customer waited",
                             hangup=True, safe_harbor=True)
    return OrphanVerdict(call_id, CallOutcome.FAILED, "engine restarted before the call was answered", hangup=True)


INBOUND_DECIDED = frozenset({"closed", "voicemail", "failed"})   # dialer-inbound extens past the engine's decision


def holding_inbound(record: Mapping[str, Any], channel: LiveChannel | None) -> bool:
    """An inbound caller the dead engine left holding for an agent: its channel still in ``dialer-inbound``,
    at its DID (not the closed message, voicemail or a failure the engine had already sent it to)."""
    return (record.get("direction") == "inbound" and channel is not None and channel.context == CTX_INBOUND
            and channel.exten not in INBOUND_DECIDED and not channel.bridge_id)


def _mono(wall: WallTime, at: datetime | None) -> float | None:
    return wall.mono(at) if at is not None else None


def adopted_call(record: Mapping[str, Any], agent_id: int, wall: WallTime, now: float) -> Call:
    """The engine's ``Call`` for an adopted conversation, rebuilt from its record (times on ``wall``)."""
    connected = _mono(wall, record.get("connected_at")) or now
    ready = _mono(wall, record.get("ready_at")) or connected
    return Call(call_id=int(record["id"]), leg_id=str(record["leg_id"]),
                pool=Pool(PoolKind.CAMPAIGN, int(record["campaign_id"] or 0)), state=CallState.CONNECTED,
                lead_id=record.get("lead_id"), originated_at=_mono(wall, record.get("originated_at")),
                answered_at=_mono(wall, record.get("answered_at")) or ready, ready_at=ready,
                connected_at=connected, amd_status=record.get("amd_status") or "",
                amd_cause=record.get("amd_cause") or "", agent_id=agent_id,
                detail="adopted after an engine restart during the conversation")


def adopted_agent(call: Call, agent_id: int, *, leg_id: str, campaign_id: int, now: float) -> Agent:
    """The agent who keeps an adopted call: on that call, with its phone leg still in its conference."""
    since = call.connected_at if call.connected_at is not None else now
    return Agent(agent_id=agent_id, pools=frozenset({Pool(PoolKind.CAMPAIGN, campaign_id)}),
                 state=AgentState.ON_CALL, state_since=since, leg_id=leg_id, call_id=call.call_id,
                 on_call_since=since)


@dataclass(frozen=True, slots=True)
class Adoption:
    """A conversation recovery keeps: its record, the customer's channel, the agent's leg and campaign."""

    record: Mapping[str, Any]
    customer: LiveChannel
    agent_leg: LiveChannel
    agent_id: int
    campaign_id: int


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    closed: dict[str, int]
    released_leads: int
    agent_legs_hung_up: int
    adopted: int = 0


async def recover_after_crash(*, pool: asyncpg.Pool, pbx: PbxPort, clock: Clock, engine_id: str,
                              finish_lead: Callable[[dict[str, Any], OrphanVerdict], Awaitable[None]] | None = None,
                              adopt: Callable[[Adoption], Awaitable[None]] | None = None,
                              adopt_inbound: Callable[[Mapping[str, Any], LiveChannel], Awaitable[None]] | None = None,
                              ) -> tuple[RecoveryReport, list[OrphanVerdict]]:
    """Settle every in-flight record of ``engine_id`` against the PBX's live channels; hang up the legs of
    its agents that keep no call. Other engines' calls and agents are not touched.

    ``finish_lead(record, verdict)`` lets the campaigns layer apply its retry policy to the lead of a
    settled call; ``adopt(adoption)`` takes a live conversation over (without it, conversations are cut);
    ``adopt_inbound(record, channel)`` an inbound caller still holding (without it, it gets safe harbor).
    """
    sessions = await pool.fetch("SELECT user_id, campaign_id, leg_id FROM agent_sessions WHERE engine_id = $1",
                                engine_id)
    in_flight = await call_records.in_flight(pool, engine_id=engine_id)
    # fail closed: a call judged against a partial channel list would be judged gone and dialled again while
    # the PBX still has it; with anything to judge, every configured server's list is needed, else nothing moves
    try:
        channels = await pbx.channels(every_server=bool(in_flight or sessions))
    except PbxError as exc:
        raise CannotRecover(f"cannot recover engine {engine_id!r}: the PBX's channel list is unavailable ({exc}); "
                            f"its {len(in_flight)} calls in flight and {len(sessions)} agent sessions stay "
                            "unjudged and their leads claimed until every PBX server answers") from exc
    by_leg = {c.leg_id: c for c in channels if c.leg_id}
    by_name = {(c.server, c.channel): c for c in channels}
    # a warm transfer under way: phone legs visiting another agent's conference go home first
    visitors: dict[int, int] = {}
    for visit in visits(((int(s["user_id"]), s["leg_id"]) for s in sessions), by_leg):
        home = conference_name(visit.agent_id)
        try:
            await pbx.redirect(visit.leg.leg_id or "", context=CTX_AGENT, exten=home)
        except PbxError as exc:
            log.warning("phone of agent %s could not go back to its conference (%s)", visit.agent_id, exc)
            continue
        by_leg[visit.leg.leg_id or ""] = replace(visit.leg, exten=home)
        visitors[visit.host] = visit.agent_id
    # agents whose phone leg still waits in their own conference can keep a conversation
    agent_legs: dict[int, LiveChannel] = {}
    campaign_of: dict[int, int] = {}
    for session in sessions:
        leg = by_leg.get(session["leg_id"]) if session["leg_id"] else None
        if leg is not None and leg.context == CTX_AGENT and leg.exten == conference_name(session["user_id"]):
            agent_legs[int(session["user_id"])] = leg
            campaign_of[int(session["user_id"])] = int(session["campaign_id"])
    kept: set[int] = set()
    verdicts: list[OrphanVerdict] = []
    closed: dict[str, int] = {}
    inbound_kept = 0
    for record in in_flight:
        row = dict(record)
        channel = by_leg.get(row["leg_id"])
        if channel is None and "~" in str(row["leg_id"]):   # a transfer's (queue, survey): "<first leg>~<first call>"
            channel = by_leg.get(str(row["leg_id"]).split("~", 1)[0])
        if channel is None and row.get("direction") == "inbound" and row.get("pbx_channel"):
            channel = by_name.get((row.get("pbx_server") or "", row["pbx_channel"]))   # its leg id was the dead one's
        if adopt_inbound is not None and holding_inbound(row, channel):
            assert channel is not None
            try:
                await adopt_inbound(row, channel)
                verdicts.append(OrphanVerdict(int(row["id"]), None, "engine restarted while the caller held; "
                                              "adopted into its queue"))
                inbound_kept += 1
                continue
            except PbxError as exc:
                log.warning("inbound caller %s could not be adopted (%s)", row["id"], exc)
        free_legs = {a: leg for a, leg in agent_legs.items() if a not in kept} if adopt is not None else None
        verdict = judge_orphan(row, channel, free_legs, visitors)
        verdicts.append(verdict)
        if verdict.adopted and channel is not None and verdict.agent_id is not None and adopt is not None:
            try:
                conference = conference_name(verdict.agent_id)
                if channel.context != CTX_CONNECT or channel.exten != conference:   # on hold, or its agent gone
                    await pbx.redirect(row["leg_id"], context=CTX_CONNECT, exten=conference)
                    channel = replace(channel, context=CTX_CONNECT, exten=conference)
                await adopt(Adoption(row, channel, agent_legs[verdict.agent_id], verdict.agent_id,
                                     campaign_of[verdict.agent_id]))
                kept.add(verdict.agent_id)
                await call_holds.end(pool, call_id=verdict.call_id, at=clock.now(), reason="recovered")
                continue
            except PbxError as exc:   # cannot follow its legs: a leg nobody tracks must not stay up
                log.warning("call %s could not be adopted (%s): cut", verdict.call_id, exc)
                verdict = judge_orphan(row, channel, None)
                verdicts[-1] = verdict
        assert verdict.outcome is not None
        leg = row["leg_id"]
        if verdict.safe_harbor:
            try:
                await pbx.redirect(leg, context=CTX_SAFE_HARBOR, exten="s")
            except PbxError:
                await _hangup(pbx, leg)
        elif verdict.hangup:
            await _hangup(pbx, leg)
        await call_records.close_orphan(pool, call_id=verdict.call_id, outcome=verdict.outcome,
                                        detail=verdict.detail, ended_at=clock.now(), agent_id=verdict.agent_id)
        if row.get("direction") == "inbound":
            await recovery_inbound.write_waited(pool, verdict.call_id)
        await call_holds.end(pool, call_id=verdict.call_id, at=clock.now(), reason="recovered")
        if finish_lead is not None:
            await finish_lead(row, verdict)
        closed[verdict.outcome.value] = closed.get(verdict.outcome.value, 0) + 1
    # agents: every other session of before the crash ends and its phone leg is hung up
    hung = 0
    for session in sessions:
        if int(session["user_id"]) in kept:
            continue
        if session["leg_id"] and session["leg_id"] in by_leg:
            await _hangup(pbx, session["leg_id"])
            hung += 1
        await pool.execute("DELETE FROM agent_sessions WHERE user_id = $1 AND engine_id = $2",
                           session["user_id"], engine_id)
    report = RecoveryReport(closed=closed, released_leads=0, agent_legs_hung_up=hung,
                            adopted=len(kept) + inbound_kept)
    if verdicts or hung:
        log.warning("recovered after a crash: %s", report)
    return report, verdicts


async def _hangup(pbx: PbxPort, leg_id: str) -> None:
    try:
        await pbx.hangup(leg_id)
    except PbxError as exc:
        log.info("hang-up of %s during recovery skipped: %s", leg_id, exc)
