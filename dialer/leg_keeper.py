"""``AgentLegKeeper``: calls agents' phones again after a PBX restart cut them, and tells their panels.

The engine feeds it every PBX event (``observe``, before the machines see it), each reconnect once
reconciled (``link_up``), and each sign-in and sign-out a person makes. Which legs the PBX cut and how
often to try again are decided in ``dialer.agent_legs``; the agent machine keeps a cut agent signed in
(``awaiting_phone``, CONNECTING, after the wrap-up of a call the cut ended). This shell waits on the
engine's clock and calls the phone through the machine (``Redial``, then ``GiveUp`` after the last try).
An agent who signs out meanwhile takes over, and the keeper stops.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from dialer import agents as agents_mod
from dialer.agent_legs import Notice, RestorePolicy, as_cut_by_pbx, cut_by_pbx
from dialer.agents import AgentState
from dialer.engine_api import EngineError
from dialer.pbx_port import LegFailed, LegHungUp, LinkDown, LinkUp, PbxEvent

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)


class AgentLegKeeper:
    """Restores the phone legs of ``engine``'s agents that the PBX cut (see ``dialer.agent_legs``)."""

    def __init__(self, engine: Engine, *, policy: RestorePolicy | None = None) -> None:
        self.engine = engine
        self.policy = policy or RestorePolicy()
        self.phones: dict[int, tuple[int, str | None]] = {}  # agent -> (campaign, phone given at sign-in)
        self.cut_on: dict[int, str] = {}                # agent -> the server whose restart cut its leg
        self.down: set[str] = set()                     # servers whose link is down
        self.notices: dict[int, Notice] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}

    # --- what the engine tells it ------------------------------------------------------------------
    def observe(self, event: PbxEvent) -> PbxEvent:
        """Every PBX event, before the engine applies it; returns it, marked as the PBX's doing when an
        agent's leg ended while its server's link was down."""
        if isinstance(event, LinkDown):
            self.down.add(event.server)
            return event
        if not isinstance(event, (LegHungUp, LegFailed)):
            return event
        agent_id = self.engine.agent_of_leg.get(event.leg_id)
        agent = self.engine.agents.get(agent_id) if agent_id is not None else None
        if agent is None or agent_id is None or agent.leg_id != event.leg_id:
            return event
        event = as_cut_by_pbx(event, link_down=event.server in self.down)
        if cut_by_pbx(event) and agent.state is not AgentState.LOGGED_OUT and not agent.pending_logout:
            self._stop(agent_id)
            self.cut_on[agent_id] = event.server
            self._say(agent_id, Notice.WAITING)
        return event

    def link_up(self, event: LinkUp) -> None:
        """``event.server`` is back and reconciled: call the phones it cut."""
        self.down.discard(event.server)
        for agent_id, server in sorted(self.cut_on.items()):
            agent = self.engine.agents.get(agent_id)
            if server == event.server and agent is not None and agent.awaiting_phone:
                self._start(agent_id)

    def signed_in(self, agent_id: int, campaign_id: int, phone: str | None) -> None:
        """A person signed in (``phone``: the dial string they gave, or None for their own)."""
        self.phones[agent_id] = (campaign_id, phone)
        self._forget(agent_id)

    def signed_out(self, agent_id: int) -> None:
        """The agent asked to stop taking calls: nothing is restored for them."""
        self._forget(agent_id)

    def notice(self, agent_id: int) -> str | None:
        """The ``admin_ui.i18n`` key the agent's panel shows about its phone leg, if any."""
        found = self.notices.get(agent_id)
        return found.value if found is not None else None

    # --- the restore, on the engine's clock -------------------------------------------------------
    def _forget(self, agent_id: int) -> None:
        self._stop(agent_id)
        self.cut_on.pop(agent_id, None)
        self.notices.pop(agent_id, None)

    def _start(self, agent_id: int) -> None:
        self._stop(agent_id)
        self.tasks[agent_id] = self.engine.spawn(self._restore(agent_id), name=f"restore-phone-{agent_id}")

    def _stop(self, agent_id: int) -> None:
        task = self.tasks.pop(agent_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def _say(self, agent_id: int, notice: Notice) -> None:
        self.notices[agent_id] = notice
        self.engine._publish_agent(agent_id)

    def _waiting(self, agent_id: int) -> bool:
        """Signed in, waiting for its phone to be called again (not on a call, not yet called)."""
        agent = self.engine.agents.get(agent_id)
        return (agent is not None and agent.awaiting_phone and agent.state is AgentState.CONNECTING
                and agent.leg_id is None)

    async def _restore(self, agent_id: int) -> None:
        engine = self.engine
        campaign_id, given = self.phones.get(agent_id, (engine.agent_campaign.get(agent_id, 0), None))
        if not await self._until_waiting(agent_id):     # an agent cut mid-call sets the disposition first
            return
        for attempt, delay in enumerate(self.policy.delays(), 1):
            await engine.clock.sleep(delay)
            if not self._waiting(agent_id):
                return                                   # signed out meanwhile
            self._say(agent_id, Notice.RECONNECTING)
            log.info("calling the phone of agent %s again after the PBX restart (try %d of %d)", agent_id,
                     attempt, self.policy.tries)
            try:
                phone = await engine.agent_phone(agent_id, given)
            except EngineError as exc:
                log.warning("agent %s: no phone to call again: %s", agent_id, exc)
                break
            request = engine.agent_phone_request(agent_id, campaign_id, phone)
            engine.apply_agent(agent_id, agents_mod.Redial(request))
            await engine.pool.execute("UPDATE agent_sessions SET leg_id = $2 WHERE user_id = $1", agent_id,
                                      request.leg_id)
            if await self._joined(agent_id):
                log.info("the phone of agent %s is back in its conference", agent_id)
                self.cut_on.pop(agent_id, None)
                self._say(agent_id, Notice.RECONNECTED)
                return
        if self._waiting(agent_id):
            log.warning("agent %s: phone not reconnected after %d tries; the agent must sign in again",
                        agent_id, self.policy.tries)
            engine.apply_agent(agent_id, agents_mod.GiveUp())
            self.cut_on.pop(agent_id, None)
            self._say(agent_id, Notice.GAVE_UP)

    async def _until_waiting(self, agent_id: int) -> bool:
        """Wait until the agent waits for its phone (True), or has signed out (False)."""
        async for _ in self.engine.subscribe_agent(agent_id):
            agent = self.engine.agents.get(agent_id)
            if agent is None or not agent.awaiting_phone:
                return False
            if self._waiting(agent_id):
                return True
        return False

    async def _joined(self, agent_id: int) -> bool:
        """Wait until the new leg joins the conference (True) or this try failed (False); the agent
        machine's connect timer bounds the wait."""
        async for _ in self.engine.subscribe_agent(agent_id):
            agent = self.engine.agents.get(agent_id)
            if agent is None or agent.state is AgentState.LOGGED_OUT or agent.leg_id is None:
                return False
            if not agent.awaiting_phone:
                return True
        return False
