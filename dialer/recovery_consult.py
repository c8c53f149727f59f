"""Crash recovery of a warm transfer or 3-way under way (pure): who keeps the customer, and which agent phone
legs must first go home.

At the crash of a consult the PBX shows it plainly: the sender's phone leg waits in its own conference
(``dialer-agent``, exten ``agent-<sender>``); the receiving agent's leg is there too, *visiting* (``dialer-agent``,
exten ``agent-<sender>``, not its own); the customer is on hold from that conference (``dialer-hold``, exten
``agent-<sender>``: talking first) or in it (``dialer-connect``: a 3-way). Recovery sends every visiting leg back
to its own conference, then gives the customer to the sender if its phone is still there, else to the agent that
was visiting the sender (the receiving agent: the transfer completes), else nobody (the call is cut as any
conversation whose agent is gone). Nobody is re-dialled, nobody stays on hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dialer.pbx_port import CTX_AGENT, CTX_CONNECT, CTX_HOLD, LiveChannel, conference_name


@dataclass(frozen=True, slots=True)
class Visit:
    """An agent's phone leg found in another agent's conference: ``agent_id`` was visiting ``host``."""

    agent_id: int
    host: int
    leg: LiveChannel


def agent_of_conference(exten: str) -> int | None:
    """The agent whose conference is named ``exten`` (``agent-<id>``), or None."""
    prefix = conference_name("")
    if not exten.startswith(prefix):
        return None
    try:
        return int(exten[len(prefix):])
    except ValueError:
        return None


def host_of_customer(channel: LiveChannel) -> int | None:
    """The agent whose conference the customer is in (``dialer-connect``) or on hold from (``dialer-hold``)."""
    if channel.context not in (CTX_CONNECT, CTX_HOLD):
        return None
    return agent_of_conference(channel.exten)


def visits(sessions: Iterable[tuple[int, str | None]], by_leg: Mapping[str, LiveChannel]) -> list[Visit]:
    """The agents (``sessions``: agent id and phone leg id) whose phone leg is in another agent's conference."""
    found = []
    for agent_id, leg_id in sessions:
        leg = by_leg.get(leg_id) if leg_id else None
        if leg is None or leg.context != CTX_AGENT or leg.exten == conference_name(agent_id):
            continue
        host = agent_of_conference(leg.exten)
        if host is not None and host != agent_id:
            found.append(Visit(agent_id, host, leg))
    return found


def keeper(host: int, free_legs: Mapping[int, LiveChannel], visitors: Mapping[int, int]) -> int | None:
    """Who keeps a customer of ``host``'s conference: ``host`` if its phone leg is free to, else the agent who was
    visiting ``host`` (``visitors``: host -> visiting agent) if its leg is, else nobody."""
    if host in free_legs:
        return host
    visitor = visitors.get(host)
    if visitor is not None and visitor in free_legs:
        return visitor
    return None
