"""What happens to an inbound caller that no agent takes (issue 15): pure decisions, no I/O.

``dialer.inbound`` carries them out. A caller ends one of these ways, each written as its call record's outcome:

- ``handled`` / ``abandoned`` (``dialer.calls.CallOutcome``): an agent answered it, or it hung up while waiting;
- ``no_queue``: no queue owns the DID (the closed message);
- ``closed``: its queue is closed now (the queue's closed message);
- past a queue's limits (more than ``max_waiting`` callers already waiting when it arrives, or ``max_wait_s``
  waited) the queue's ``overflow_action``: ``overflowed`` (into ``overflow_queue_id``, where it keeps the time
  it waited and a second record links back), ``voicemail`` (the queue's box), ``called_back`` (a callback in the
  queue's callback campaign for the caller's number) or ``message`` (the overflow sound, then hang-up).

A closed queue's ``closed_action`` voicemail and callback take the same ways (outcome ``voicemail`` or
``called_back``, the detail saying the queue was closed).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from campaigns.queues import ClosedAction, OverflowAction, Queue


class InboundOutcome(str, enum.Enum):
    """Outcomes of inbound records besides ``handled`` and ``abandoned``."""

    NO_QUEUE = "no_queue"
    CLOSED = "closed"
    OVERFLOWED = "overflowed"
    VOICEMAIL = "voicemail"
    CALLED_BACK = "called_back"
    MESSAGE = "message"


class Limit(str, enum.Enum):
    """Which limit a caller went past."""

    MAX_WAITING = "max_waiting"
    MAX_WAIT = "max_wait"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class PastLimit:
    """What to do with a caller past ``limit``: ``action`` with its target (queue, box, campaign, sound)."""

    limit: Limit
    action: OverflowAction
    queue_id: int | None = None       # overflow: the next queue
    box: str = ""                     # voicemail: the queue's box
    campaign_id: int | None = None    # callback: the campaign that places it
    sound: str = ""                   # message: what the caller hears before the hang-up

    @property
    def why(self) -> str:
        return {Limit.MAX_WAITING: "too many callers waiting", Limit.MAX_WAIT: "waited the queue's maximum",
                Limit.CLOSED: "the queue is closed"}[self.limit]


def _past(queue: Queue, limit: Limit) -> PastLimit:
    return PastLimit(limit, queue.overflow_action, queue_id=queue.overflow_queue_id, box=queue.voicemail_box,
                     campaign_id=queue.callback_campaign_id, sound=queue.overflow_sound_played)


def on_arrival(queue: Queue, waiting: int) -> PastLimit | None:
    """A caller arriving while ``waiting`` callers already wait in ``queue`` (not yet with an agent): the
    action when that reaches ``max_waiting``, else None (it joins the queue)."""
    if queue.overflow_action is OverflowAction.NONE or queue.max_waiting is None:
        return None
    return _past(queue, Limit.MAX_WAITING) if waiting >= queue.max_waiting else None


def max_wait_at(queue: Queue, arrived_at: float) -> float | None:
    """When a caller that arrived at ``arrived_at`` (engine seconds; an overflowed caller keeps its first
    arrival) has waited the queue's maximum, or None (no such limit, or nothing to do past it)."""
    if queue.overflow_action is OverflowAction.NONE or queue.max_wait_s is None:
        return None
    return arrived_at + queue.max_wait_s


def on_max_wait(queue: Queue, arrived_at: float, now: float, *, still_waiting: bool) -> PastLimit | None:
    """At ``now``: the action for a caller still waiting past the queue's maximum wait, else None. A caller
    already on its way to an agent (``still_waiting`` False) is never taken away."""
    at = max_wait_at(queue, arrived_at)
    if at is None or not still_waiting or now < at:
        return None
    return _past(queue, Limit.MAX_WAIT)


def on_closed(queue: Queue) -> PastLimit:
    """A caller to ``queue`` while it is closed: the closed message, voicemail or a callback request."""
    action = {ClosedAction.MESSAGE: OverflowAction.MESSAGE, ClosedAction.VOICEMAIL: OverflowAction.VOICEMAIL,
              ClosedAction.CALLBACK: OverflowAction.CALLBACK}[queue.closed_action]
    return PastLimit(Limit.CLOSED, action, box=queue.voicemail_box, campaign_id=queue.callback_campaign_id,
                     sound=queue.closed_sound_played)


def outcome_of(past: PastLimit) -> InboundOutcome:
    """The record's outcome once ``past`` is carried out."""
    if past.limit is Limit.CLOSED and past.action is OverflowAction.MESSAGE:
        return InboundOutcome.CLOSED
    return {OverflowAction.QUEUE: InboundOutcome.OVERFLOWED, OverflowAction.VOICEMAIL: InboundOutcome.VOICEMAIL,
            OverflowAction.CALLBACK: InboundOutcome.CALLED_BACK,
            OverflowAction.MESSAGE: InboundOutcome.MESSAGE}[past.action]


def number_sounds(n: int) -> list[str]:
    """Core sounds saying ``n`` (0-999; larger is said as 999), as SayNumber would in English."""
    n = max(0, min(int(n), 999))
    out: list[str] = []
    if n >= 100:
        out += [f"digits/{n // 100}", "digits/hundred"]
        n %= 100
        if n == 0:
            return out
    if n <= 20:
        out.append(f"digits/{n}")
    else:
        out.append(f"digits/{n // 10 * 10}")
        if n % 10:
            out.append(f"digits/{n % 10}")
    return out


def announcement(queue: Queue, *, ahead: int, estimate_s: float, agents: int) -> str:
    """What a holding caller hears every ``announce_every_s`` (a Playback list joined with '&'), or "" (nothing
    to say): its place ("you are next", or "there are N calls waiting" ahead of it) and the estimated wait in
    whole minutes, rounded up ("hold time ... minutes"; unsaid when no estimate can be made); nothing in a queue
    served by fewer agents (``agents``) than its ``announce_min_agents``."""
    sounds: list[str] = []
    if agents < queue.announce_min_agents:
        return ""
    if queue.announce_position:
        sounds += ["queue-youarenext"] if ahead <= 0 else ["queue-thereare", *number_sounds(ahead),
                                                          "queue-callswaiting"]
    if queue.announce_wait and math.isfinite(estimate_s) and estimate_s > 0:
        minutes = max(1, math.ceil(estimate_s / 60.0))
        sounds += ["queue-holdtime", *number_sounds(minutes), "queue-minute" if minutes == 1 else "queue-minutes"]
    return "&".join(sounds)


def hold_music(queue: Queue) -> str:
    """``DIALER_MOH`` for a caller of ``queue``: its music-on-hold class, "" for ``default`` (the dialplan's
    ``StartMusicOnHold()`` with no class: Asterisk's default, as callers hear before any queue is known)."""
    moh = queue.moh_class.strip()
    return "" if moh.lower() == "default" else moh


def music_change(queue: Queue, playing: str, *, waiting: bool) -> str | None:
    """A caller joins ``queue`` while its channel's ``DIALER_MOH`` is ``playing`` ("" unset): the class to set
    and restart its music in (a Redirect to ``dialer-inbound,hold``), or None: the music already is the
    queue's (names compared as res_musiconhold does, without case), or the caller is not waiting (the router
    connected it at once: it never hears this queue's music, and a restart would only delay it)."""
    wanted = hold_music(queue)
    if not waiting or wanted.lower() == playing.strip().lower():
        return None
    return wanted
