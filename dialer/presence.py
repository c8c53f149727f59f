"""Whether an agent is really there: its panels, and when it counts as gone (pure), and the engine's watch.

An agent takes calls on a phone but sees them (the pop, the disposition form) in a panel. When every
panel of the agent has been gone longer than the grace period (browser closed, network lost: the panel
stopped answering the server's heartbeats), nobody sees the calls the router would give it, so it is
paused with the reason ``dialer.agents.DISCONNECTED`` (``agents.PanelGone``): a call reserved for it at
that moment goes back to the router (another agent, or safe harbor by the 2-second rule). A panel that
comes back within the grace period changes nothing; one that comes back later finds the agent paused
(or, had a call reached it meanwhile, paused once its disposition is set), is told why, and the agent
presses Ready: the panel reconnects by itself, so only that shows a person is there. An agent who has never had a panel (virtual agents driving
the engine API) is never watched.

``Presence`` and its functions decide; ``PanelWatch`` is the engine's shell: the web layer tells it when
a panel opens and closes (``agents_ws.session``), and it waits out the grace period on the engine's one
clock (so an accelerated clock shortens it too, like every other engine deadline).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from dialer import agents as agents_mod
from dialer.agents import AgentState

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)

DEFAULT_GRACE_S = 5.0


@dataclass(frozen=True, slots=True)
class Presence:
    """One agent's open panels, and since when none is (``Clock.monotonic()`` seconds)."""

    panels: frozenset[str] = frozenset()
    gone_since: float | None = None


def opened(presence: Presence, panel_id: str) -> Presence:
    """``panel_id`` is open: the agent is there."""
    return Presence(panels=presence.panels | {panel_id}, gone_since=None)


def closed(presence: Presence, panel_id: str, *, last_heard: float) -> Presence:
    """``panel_id`` closed; it was last heard from at ``last_heard`` (a silent panel: before it was closed)."""
    panels = presence.panels - {panel_id}
    if panels:
        return replace(presence, panels=panels, gone_since=None)
    if panel_id not in presence.panels and presence.gone_since is not None:
        return presence                     # closed twice: the first closing stands
    return Presence(panels=frozenset(), gone_since=last_heard)


def gone_at(presence: Presence, grace_s: float) -> float | None:
    """When the agent counts as gone (every panel gone for ``grace_s``), or None while a panel is open."""
    if presence.panels or presence.gone_since is None:
        return None
    return presence.gone_since + grace_s


def is_gone(presence: Presence, now: float, grace_s: float) -> bool:
    """Every panel of the agent has been gone for ``grace_s`` seconds at ``now``."""
    at = gone_at(presence, grace_s)
    return at is not None and now >= at


class PanelWatch:
    """The engine's shell around ``Presence``: pauses an agent whose panels are all gone past the grace."""

    def __init__(self, engine: Engine, *, grace_s: float = DEFAULT_GRACE_S) -> None:
        self.engine = engine
        self.grace_s = grace_s              # settings.panel_grace_s, from the composition root
        self.presence: dict[int, Presence] = {}

    def opened(self, agent_id: int, panel_id: str) -> None:
        """A panel of the agent connected (and reached the engine)."""
        self.presence[agent_id] = opened(self.presence.get(agent_id, Presence()), panel_id)

    def closed(self, agent_id: int, panel_id: str, *, silent_s: float = 0.0) -> None:
        """A panel of the agent closed; ``silent_s``: how long it had been silent before (a lost network)."""
        last_heard = self.engine.clock.monotonic() - max(0.0, silent_s)
        presence = closed(self.presence.get(agent_id, Presence()), panel_id, last_heard=last_heard)
        self.presence[agent_id] = presence
        at = gone_at(presence, self.grace_s)
        if at is not None:
            self.engine.spawn(self._after_grace(agent_id, at), name=f"panel-grace-{agent_id}")

    def gone(self, agent_id: int) -> bool:
        presence = self.presence.get(agent_id)
        return presence is not None and is_gone(presence, self.engine.clock.monotonic(), self.grace_s)

    async def _after_grace(self, agent_id: int, at: float) -> None:
        await self.engine.clock.sleep_until(at)
        agent = self.engine.agents.get(agent_id)
        if not self.gone(agent_id) or agent is None or agent.state is AgentState.LOGGED_OUT:
            return                          # a panel came back (or went again: a later wait decides)
        log.info("agent %s: every panel gone for %.1f s, pausing it (%s)", agent_id, self.grace_s,
                 agent.state.value)
        self.engine.apply_agent(agent_id, agents_mod.PanelGone())
