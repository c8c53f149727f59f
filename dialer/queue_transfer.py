"""Cold transfer of an agent's customer to an inbound queue (issues 13 and 15).

The agent is on a call (outbound or inbound) and sends the customer to a queue. The customer leaves the agent's
conference for ``dialer-inbound``'s hold (a Redirect to the queue's first DID, or ``s``: music on hold, bounded by
``DIALER_HOLD_S`` as for any caller) and becomes that queue's caller; the one router gives it to an agent of the
queue, whose pop shows the transfer (``queue_transfer``: who sent it, from which call).

Records, one each: the sending agent's call ends for it as a transfer to a number does (its record is closed
``handled``, with ``transferred_to_queue_id``; the agent sets its disposition in wrap-up), and the engine itself
opens the queue's inbound record (``transferred_from_call_id`` = the first call, the same leg, the customer's
number, the first call's lead; its ``leg_id`` is ``<leg>~<first call id>``). The dialplan's ``DialerInboundArrived`` for the redirected leg opens nothing: the
AMI translator knows the leg already and passes the event by, so no second record can appear.

A closed queue refuses the transfer (the agent keeps its customer and is told why).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from campaigns import queue_repository
from campaigns.errors import NotFound
from campaigns.queue_hours import is_open
from campaigns.queues import Queue
from dialer import call_records, calls, inbound_policy
from dialer.calls import Call
from dialer.engine_api import EngineError
from dialer.inbound import VAR_MOH, Caller
from dialer.pbx_port import CTX_INBOUND, VAR_HOLD_S, PbxError

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)


def hold_exten(dids: tuple[str, ...]) -> str:
    """The ``dialer-inbound`` extension a transferred customer holds in: the queue's first DID without '+'."""
    return dids[0].lstrip("+") if dids else "s"


def record_leg_id(call: Call) -> str:
    """The queue record's ``leg_id``: the PBX leg is the first call's (``call_records.leg_id`` is unique), so the
    record names it with the call it came from, ``<leg>~<first call id>``."""
    return f"{call.leg_id}~{call.call_id}"


async def transfer_to_queue(engine: Engine, user_id: int, call: Call, queue_id: int) -> int:
    """Send ``call``'s customer (connected to ``user_id``) to queue ``queue_id``; returns the queue record's id."""
    try:
        queue = await queue_repository.get_queue(engine.pool, queue_id=queue_id)
    except NotFound:
        raise EngineError("that queue does not exist") from None
    state = is_open(queue, engine.clock.now())
    if not state.open:
        raise EngineError(f"queue {queue.name} is closed now")
    context = engine.call_context.setdefault(call.call_id, {})
    number = str(context.get("number") or "")
    lead_id = context.get("lead_id")
    new_id = await _move(engine, leg_id=call.leg_id, from_call_id=call.call_id, number=number, lead_id=lead_id,
                         queue=queue)
    context["transferred_to"] = f"queue {queue.name}"
    engine.apply_call(call.call_id, calls.CustomerHungUp(0))     # the sending agent goes to wrap-up
    sender = await engine.pool.fetchval("SELECT display_name FROM users WHERE id = $1", user_id)
    log.info("agent %s transferred call %s (leg %s) to queue %r: its record there is %s", user_id, call.call_id,
             call.leg_id, queue.name, new_id)
    entered = await _enter(engine, queue, new_id, call.leg_id, number)
    if entered is not None:     # in the queue (not past its limits): the pop shows the lead and the transfer
        entered["lead_id"] = lead_id
        entered["queue_transfer"] = {"from_agent_id": user_id, "from_name": sender or "", "from_call_id": call.call_id}
    return new_id


async def survey_to_queue(engine: Engine, *, leg_id: str, call_id: int, number: str, lead_id: int | None,
                          queue_id: int, survey: dict[str, Any]) -> int:
    """A customer in a survey pressed the talk-to-someone key: its leg (no agent on it) becomes a caller of queue
    ``queue_id`` as a transferred one does (its own record linked to ``call_id``, the queue's priority, counted in
    its service level); the pop shows ``survey`` (its name and the answers given). Returns the queue record's id."""
    try:
        queue = await queue_repository.get_queue(engine.pool, queue_id=queue_id)
    except NotFound:
        raise EngineError("that queue does not exist") from None
    if not is_open(queue, engine.clock.now()).open:
        raise EngineError(f"queue {queue.name} is closed now")
    new_id = await _move(engine, leg_id=leg_id, from_call_id=call_id, number=number, lead_id=lead_id, queue=queue)
    log.info("survey %s of call %s (leg %s): the customer asked for someone, queue %r, record %s",
             survey.get("response_id"), call_id, leg_id, queue.name, new_id)
    entered = await _enter(engine, queue, new_id, leg_id, number)
    if entered is not None:
        entered["lead_id"] = lead_id
        entered["from_survey"] = dict(survey)
    return new_id


async def _move(engine: Engine, *, leg_id: str, from_call_id: int, number: str, lead_id: int | None,
                queue: Queue) -> int:
    """Open the queue's record of the customer on ``leg_id`` (linked to ``from_call_id``) and move the leg into
    ``dialer-inbound``'s hold; the first call's record notes the queue. Refused (EngineError) if the leg is gone."""
    did = queue.dids[0] if queue.dids else ""
    new_id = await call_records.open_record(
        engine.pool, campaign_id=None, lead_id=lead_id, agent_id=None, engine_id=engine.engine_id,
        leg_id=f"{leg_id}~{from_call_id}", direction="inbound", phone_e164=number, dial_string="", caller_id=did,
        originated_at=engine.clock.now())
    # its channel (the first call's, when known) and the start of its wait in the queue: a restarted engine finds
    # the caller holding by them and adopts it with this wait (dialer.recovery, dialer.recovery_inbound)
    await engine.pool.execute("UPDATE call_records r SET queue_id=$2, did=NULLIF($3, ''), transferred_from_call_id=$4,"
                              " pbx_server=f.pbx_server, pbx_channel=f.pbx_channel, ready_at=r.originated_at"
                              " FROM call_records f WHERE r.id=$1 AND f.id=$4", new_id, queue.id, did, from_call_id)
    desk = engine.inbound
    desk.arriving.add(leg_id)          # a hang-up from here on is the queue caller's abandon
    was_the_calls = engine.call_of_leg.get(leg_id) == from_call_id
    if was_the_calls:
        del engine.call_of_leg[leg_id]  # the leg's events are the queue caller's, not the first call's
    try:
        # an outbound customer's leg carries DIALER_HOLD_S=1.8 (its safe harbor): emptied, dialer-inbound holds it
        # as any caller (600 s), rather than playing the closed message after 1.8 s of waiting for the queue
        await engine.pbx.set_var(leg_id, VAR_HOLD_S, "")
        # the queue's music-on-hold class before the move: its hold starts in it, no Redirect to restart it
        desk.music[leg_id] = music = inbound_policy.hold_music(queue)
        await engine.pbx.set_var(leg_id, VAR_MOH, music)
        await engine.pbx.redirect(leg_id, context=CTX_INBOUND, exten=hold_exten(queue.dids))
    except PbxError as exc:
        desk.arriving.discard(leg_id)
        if was_the_calls:
            engine.call_of_leg[leg_id] = from_call_id
        await engine.pool.execute("DELETE FROM call_records WHERE id=$1", new_id)
        raise EngineError(f"the customer could not be sent to the queue: {exc}") from None
    await engine.pool.execute("UPDATE call_records SET transferred_to_queue_id=$2 WHERE id=$1", from_call_id, queue.id)
    return new_id


async def _enter(engine: Engine, queue: Queue, new_id: int, leg_id: str, number: str) -> dict[str, Any] | None:
    """The moved caller joins ``queue`` (or gets its past-limit action); its call context when it is in it."""
    did = queue.dids[0] if queue.dids else ""
    desk = engine.inbound
    try:
        await desk._enter(Caller(new_id, leg_id, number, did, "", engine.clock.monotonic()), queue)
    finally:
        desk.arriving.discard(leg_id)
        desk.gone.discard(leg_id)
    return engine.call_context.get(new_id)
