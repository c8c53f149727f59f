"""``AgentLegKeeper``: calls agents' phones again after a PBX restart cut them, and tells their panels.

The engine feeds it every PBX event (``observe``, before the machines see the event, so the agent's
state before the hang-up is known), each reconnect once reconciled (``link_up``), and each sign-in and
sign-out a person makes. Which legs the restart cut and how often to try again are decided in
``dialer.agent_legs``; this shell keeps the bookkeeping, waits on the engine's clock and signs the agent
in through the same ``Engine.agent_login`` a person uses. An agent cut in the middle of a call first
finishes its wrap-up (the disposition is still theirs to set); an agent who signs in or out by themselves
meanwhile takes over, and the keeper stops.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from dialer.agent_legs import RESTART_WINDOW_S, LostLeg, Notice, RestorePolicy, cut_by_link_loss
from dialer.agents import AgentState
from dialer.engine_api import EngineError
from dialer.pbx_port import LegFailed, LegHungUp, LinkDown, LinkUp, PbxEvent

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)


class AgentLegKeeper:
    """Restores the phone legs of ``engine``'s agents that a PBX restart cut (see ``dialer.agent_legs``)."""

    def __init__(self, engine: Engine, *, policy: RestorePolicy | None = None,
                 window_s: float = RESTART_WINDOW_S) -> None:
        self.engine = engine
        self.policy = policy or RestorePolicy()
        self.window_s = window_s                       # real seconds; scaled by an accelerated clock's speed
        self.phones: dict[int, tuple[int, str]] = {}   # agent -> (campaign, phone dial string) of its sign-in
        self.leg_server: dict[int, str] = {}           # agent -> the PBX its leg was last seen on
        self.lost: dict[int, LostLeg] = {}             # legs lost lately, not yet known to be the PBX's doing
        self.cut: dict[str, set[int]] = {}             # server -> agents its loss cut, until it is back
        self.down: set[str] = set()                    # servers whose link is down
        self.notices: dict[int, Notice] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self._restoring: set[int] = set()              # agents this keeper is signing in right now

    # --- what the engine tells it ------------------------------------------------------------------
    def observe(self, event: PbxEvent) -> None:
        """Every PBX event, before the engine applies it."""
        if isinstance(event, LinkDown):
            self._link_down(event)
            return
        if isinstance(event, LinkUp):
            return                                      # handled by ``link_up``, after reconciliation
        leg = getattr(event, "leg_id", None)
        agent_id = self.engine.agent_of_leg.get(leg) if leg is not None else None
        agent = self.engine.agents.get(agent_id) if agent_id is not None else None
        if agent is None or agent_id is None or agent.leg_id != leg:
            return
        self.leg_server[agent_id] = event.server
        if not isinstance(event, (LegHungUp, LegFailed)) or not self._working(agent_id):
            return
        if event.server in self.down:
            self._mark_cut(event.server, agent_id)
        else:
            self.lost[agent_id] = LostLeg(agent_id, event.server, event.at)

    def link_up(self, event: LinkUp) -> None:
        """``event.server`` is back and reconciled: call the phones its loss cut."""
        self.down.discard(event.server)
        for agent_id in sorted(self.cut.pop(event.server, set())):
            agent = self.engine.agents.get(agent_id)
            if agent is not None and (agent.state is AgentState.LOGGED_OUT or agent.pending_logout):
                self._start(agent_id)
            elif self.notices.get(agent_id) is Notice.WAITING:   # the leg survived a mere link loss
                self._say(agent_id, None)

    def signed_in(self, agent_id: int, campaign_id: int, phone: str) -> None:
        """The agent's phone is being called for a sign-in (a person's, or this keeper's)."""
        self.phones[agent_id] = (campaign_id, phone)
        if agent_id not in self._restoring:
            self._stop(agent_id)
            self.notices.pop(agent_id, None)

    def signed_out(self, agent_id: int) -> None:
        """The agent asked to stop taking calls: nothing is restored for them."""
        self._stop(agent_id)
        self.notices.pop(agent_id, None)
        self.lost.pop(agent_id, None)
        for agents in self.cut.values():
            agents.discard(agent_id)

    def notice(self, agent_id: int) -> str | None:
        """The ``admin_ui.i18n`` key the agent's panel shows about its phone leg, if any."""
        found = self.notices.get(agent_id)
        return found.value if found is not None else None

    # --- decisions ----------------------------------------------------------------------------------
    def _working(self, agent_id: int) -> bool:
        """Signed in with a phone this keeper knows, and not on the way out by their own wish."""
        agent = self.engine.agents.get(agent_id)
        return (agent is not None and agent.state is not AgentState.LOGGED_OUT and not agent.pending_logout
                and agent_id in self.phones)

    def _link_down(self, event: LinkDown) -> None:
        self.down.add(event.server)
        window_s = self.window_s * float(getattr(self.engine.clock, "speed", 1.0))
        for agent_id, lost in list(self.lost.items()):
            if cut_by_link_loss(lost, server=event.server, link_down_at=event.at, window_s=window_s):
                del self.lost[agent_id]
                self._mark_cut(event.server, agent_id)
            elif lost.at < event.at - window_s:
                del self.lost[agent_id]
        for agent_id in list(self.engine.agents):
            if self._working(agent_id) and self.leg_server.get(agent_id, event.server) == event.server:
                self._mark_cut(event.server, agent_id)     # its leg is settled when the link is back

    def _mark_cut(self, server: str, agent_id: int) -> None:
        self._stop(agent_id)
        self.cut.setdefault(server, set()).add(agent_id)
        self._say(agent_id, Notice.WAITING)

    # --- the restore, on the engine's clock -------------------------------------------------------
    def _start(self, agent_id: int) -> None:
        self._stop(agent_id)
        self.tasks[agent_id] = self.engine.spawn(self._restore(agent_id), name=f"restore-phone-{agent_id}")

    def _stop(self, agent_id: int) -> None:
        task = self.tasks.pop(agent_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def _say(self, agent_id: int, notice: Notice | None) -> None:
        if notice is None:
            self.notices.pop(agent_id, None)
        else:
            self.notices[agent_id] = notice
        self.engine._publish_agent(agent_id)

    async def _restore(self, agent_id: int) -> None:
        engine = self.engine
        campaign_id, phone = self.phones[agent_id]
        await self._until_signed_out(agent_id)       # an agent cut mid-call sets the disposition first
        for attempt, delay in enumerate(self.policy.delays(), 1):
            await engine.clock.sleep(delay)
            agent = engine.agents.get(agent_id)
            if agent is not None and agent.state is not AgentState.LOGGED_OUT:
                return                                # signed in again meanwhile (``signed_in`` took over)
            self._say(agent_id, Notice.RECONNECTING)
            log.info("calling the phone of agent %s again after the PBX restart (try %d of %d)", agent_id,
                     attempt, self.policy.tries)
            self._restoring.add(agent_id)
            try:
                await engine.agent_login(agent_id, campaign_id, phone_dial_string=phone)
            except EngineError as exc:
                log.warning("agent %s: try %d to call the phone again failed: %s", agent_id, attempt, exc)
                continue
            finally:
                self._restoring.discard(agent_id)
            if await self._joined(agent_id):
                log.info("the phone of agent %s is back in its conference", agent_id)
                self._say(agent_id, Notice.RECONNECTED)
                return
        log.warning("agent %s: phone not reconnected after %d tries; the agent must sign in again", agent_id,
                    self.policy.tries)
        self._say(agent_id, Notice.GAVE_UP)

    async def _until_signed_out(self, agent_id: int) -> None:
        agent = self.engine.agents.get(agent_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            return
        async for view in self.engine.subscribe_agent(agent_id):
            if view["state"] == AgentState.LOGGED_OUT.value:
                return

    async def _joined(self, agent_id: int) -> bool:
        """Wait until the new leg joins the conference (True) or is lost (False); the agent machine's
        connect timer bounds the wait."""
        async for view in self.engine.subscribe_agent(agent_id):
            if view["state"] != AgentState.CONNECTING.value:
                return bool(view["state"] != AgentState.LOGGED_OUT.value)
        return False
