"""Press 1 to be called back and keep your place (issue 15): the pure part, no I/O.

A caller holding in a queue that offers it (``Queue.press1_callback``) hears the offer (``offer``, with the
queue's announcements) and may press 1. It then leaves the line but keeps its place: a ``Place`` (its queue,
priority, first arrival) is routed by the one router exactly as that caller would have been while holding
(``place_call``: a waiting ``Call`` of the queue's pool with the caller's priority and first arrival, so the
same aged priority puts it behind the callers who came before it and ahead of those after). When the router
gives it a ready agent, the engine reserves that agent and calls the caller back (``dialer.queue_callbacks``),
after the same dial-time check as any call (DNC and the callee's calling window, failing closed):
``refusal`` words why a callback is not placed.

A place's call id is the negative of the caller's inbound record id (``place_id``): never a real call's id,
and one place per inbound record.

A kept place counts as a caller waiting (``place_waits``): not on a line, but the router will give it the next
ready agent its priority and first arrival earn, exactly as it would the caller holding. So the pacer's inbound
demand (``Snapshot.inbound_waiting``, with its wait since the first arrival) and the wallboard (``waiting 3 +
2 called back``; the estimated wait of a caller arriving now counts the places ahead of it) include it until
the router gives it an agent (then that agent is held for the callback). It is no new arrival for the pacer
(the caller's arrival was counted when it joined), and its callback is an outbound call, no inbound answer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from campaigns.eligibility import Eligibility
from campaigns.queues import DEFAULT_PRESS1_SOUND, Queue
from dialer.calls import Call, CallPolicy, CallState, Pool, PoolKind

PLACE_POLICY = CallPolicy(safe_harbor_s=None)    # a place waits as its caller did: no 2-second rule
PLACE_LEG_PREFIX = "place-"                      # no PBX leg stands for a place


@dataclass(frozen=True, slots=True)
class Place:
    """The place in its queue of a caller who pressed 1: engine seconds for ``arrived_at`` (its first arrival,
    an overflowed caller's too); ``waited_s``: how long it held before pressing."""

    inbound_call_id: int
    queue_id: int
    number: str
    priority: int
    arrived_at: float
    waited_s: float

    @property
    def call_id(self) -> int:
        return place_id(self.inbound_call_id)


def place_id(inbound_call_id: int) -> int:
    """The router's id of the place kept for inbound record ``inbound_call_id``."""
    return -abs(int(inbound_call_id))


def is_place(call_id: int) -> bool:
    return call_id < 0


def place_of(call: Call, *, number: str, pressed_at: float) -> Place:
    """The place a waiting inbound ``call`` keeps when its caller presses 1 at ``pressed_at``."""
    arrived = call.ready_at if call.ready_at is not None else pressed_at
    return Place(inbound_call_id=call.call_id, queue_id=call.pool.id, number=number, priority=call.priority,
                 arrived_at=arrived, waited_s=max(0.0, pressed_at - arrived))


def place_call(place: Place) -> Call:
    """The place as the router sees a holding caller: WAITING in its queue since its first arrival, same priority."""
    return Call(call_id=place.call_id, leg_id=f"{PLACE_LEG_PREFIX}{place.inbound_call_id}",
                pool=Pool(PoolKind.QUEUE, place.queue_id), policy=PLACE_POLICY, state=CallState.WAITING,
                inbound=True, priority=place.priority, answered_at=place.arrived_at, ready_at=place.arrived_at)


def place_waits(places: Iterable[Place], queue_ids: Collection[int], now: float) -> tuple[float, ...]:
    """Seconds each place kept in one of ``queue_ids`` has waited since its caller first arrived: demand for an
    agent of those queues, as a holding caller is."""
    return tuple(max(0.0, now - p.arrived_at) for p in places if p.queue_id in queue_ids)


def accepts_press(call: Call | None) -> bool:
    """A press of 1 keeps a place only for a caller still waiting in a queue (one an agent is already being given
    to is connected as planned: the Redirect takes it out of the confirmation)."""
    return call is not None and call.inbound and call.pool.kind is PoolKind.QUEUE and call.state is CallState.WAITING


def cannot_call_back(queue: Queue | None, number: str) -> str:
    """Why no callback can even be tried ("" when it can): the queue is gone, the caller's number is unknown, or
    the queue has no callback campaign to place it through."""
    if queue is None:
        return "its queue was deleted"
    if not number:
        return "the caller's number is unknown"
    if queue.callback_campaign_id is None:
        return "the queue has no callback campaign"
    return ""


def refusal(verdict: Eligibility) -> str:
    """Why the dial-time check refuses the callback ("" when it may be placed): DNC, the callee's calling window,
    the DNC data unavailable (it fails closed), ..."""
    if verdict.ok:
        return ""
    return f"{verdict.reason.value}: {verdict.detail or verdict.reason.value}"


DEFAULT_OFFER_SOUND = DEFAULT_PRESS1_SOUND
OFFER_EVERY_S = 30          # how often a holding caller hears the offer when the queue announces nothing else


def offer(queue: Queue) -> str:
    """The offer a holding caller hears with its announcements ("" when the queue does not offer it)."""
    if not queue.press1_callback:
        return ""
    return queue.press1_sound.strip() or DEFAULT_OFFER_SOUND


def announces_place(queue: Queue, agents: int) -> bool:
    """Whether ``queue``, served by ``agents`` agents (those with a skill level in it), announces place or wait: it
    asks for them, at an interval, and is not smaller than its ``announce_min_agents`` (a small queue's callers
    are answered before an announcement helps)."""
    return bool(queue.announce_every_s and (queue.announce_position or queue.announce_wait)
                and agents >= queue.announce_min_agents)


def announce_every_s(queue: Queue, agents: int) -> float | None:
    """How often a holding caller of ``queue`` (served by ``agents`` agents) is sent to the announcement (None:
    never): the queue's interval when it announces its place or wait (``announces_place``) or the offer; the offer
    alone without an interval, every ``OFFER_EVERY_S``."""
    if queue.announce_every_s and (announces_place(queue, agents) or queue.press1_callback):
        return float(queue.announce_every_s)
    return float(OFFER_EVERY_S) if queue.press1_callback else None
