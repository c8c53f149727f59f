"""Live supervision: a team lead listens to an agent's call, whispers to the agent alone, or barges in, from the
wallboard; and sends the agent a message its panel shows.

How (``asterisk/extensions_dialer.conf``, context ``dialer-supervise``; recording o1): the engine originates the
lead's own phone (the user's ``phone_dial_string`` or ``agent_phone_template``, as for an agent's phone) into
``dialer-supervise``, extension ``listen``, ``whisper`` or ``barge``, with ``DIALER_SPY_TARGET`` = the agent's phone leg
id. That id is the agent leg's Uniqueid, and ChanSpy's option ``u`` takes it exactly (agent 1 never matches agent
10, as a name prefix would). Changing the mode of a session under way is a ``Redirect`` of the lead's leg to the other
extension: the lead's phone is not called again. Stopping is a hang-up of the lead's leg; the agent's own hang-up ends
it too (option ``E``), and so does the end of the supervised call (the agent's phone leg stays up for its next
customer, whom the lead must not hear without asking again).

The agent is *monitored* from the lead's answer until the lead's leg ends; ``notice_for`` says whether its panel
shows it (the campaign's ``notify_monitored``). Decisions (``check_can_supervise``, ``spy_request``) are pure; the
desk holds the sessions (one per lead) and does the PBX actions through the engine's ``PbxPort``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from dialer.engine_api import EngineError
from dialer.pbx_port import (
    VAR_LEG_ID,
    LegAnswered,
    LegFailed,
    LegHungUp,
    LegKind,
    OriginateRequest,
    PbxError,
    PbxEvent,
    new_leg_id,
)

CTX_SUPERVISE = "dialer-supervise"        # Exten listen | whisper | barge: ChanSpy on DIALER_SPY_TARGET
VAR_SPY_TARGET = "DIALER_SPY_TARGET"      # the agent's phone leg id (its channel's Uniqueid)
MODES = ("listen", "whisper", "barge")
LEAD_RING_S = 30.0
MESSAGE_MAX = 300


class SupervisionRefused(EngineError):
    """Why this supervision cannot be done (shown to the lead, kept in the audit trail)."""


@dataclass(slots=True)
class Session:
    lead_id: int
    agent_id: int
    leg_id: str            # the lead's phone leg
    mode: str
    call_id: int | None
    notify: bool = False   # the agent's campaign tells agents when they are monitored
    answered: bool = False


def check_can_supervise(*, lead_id: int, agent_id: int, agent_state: str, agent_leg: str | None,
                        call_id: int | None, mode: str) -> None:
    """Refuse what cannot be supervised: an unknown mode, oneself, an agent without a call or without a phone leg."""
    if mode not in MODES:
        raise SupervisionRefused(f"unknown supervision mode {mode!r}")
    if lead_id == agent_id:
        raise SupervisionRefused("you cannot supervise your own calls")
    if agent_leg is None or agent_state == "logged_out":
        raise SupervisionRefused("this agent is not signed in")
    if call_id is None or agent_state != "on_call":
        raise SupervisionRefused("this agent is not on a call")


def spy_request(*, leg_id: str, phone: str, agent_leg: str, agent_id: int, mode: str,
                server: str | None) -> OriginateRequest:
    """The Originate of the lead's phone into ``dialer-supervise``, spying on exactly ``agent_leg``."""
    return OriginateRequest(leg_id=leg_id, kind=LegKind.AGENT, dial_string=phone, context=CTX_SUPERVISE, exten=mode,
                            caller_id=f"Supervision <agent-{agent_id}>", timeout_s=LEAD_RING_S,
                            variables={VAR_LEG_ID: leg_id, VAR_SPY_TARGET: agent_leg}, server=server)


class LiveSupervision:
    """The supervision sessions of one engine (``engine.supervision``), and the agents' messages from their leads."""

    def __init__(self, engine: Any, *, on_agent_change: Callable[[int], None] | None = None) -> None:
        self.engine = engine
        self.sessions: dict[int, Session] = {}          # by lead
        self.messages: dict[int, dict[str, Any]] = {}   # agent -> the last message its lead sent
        self.on_agent_change = on_agent_change or (lambda _agent_id: None)
        engine.change_listeners.append(self._call_changed)

    # --- what the panel shows --------------------------------------------------------------------
    def monitored(self, agent_id: int) -> bool:
        return any(s.agent_id == agent_id and s.answered for s in self.sessions.values())

    def panel_view(self, agent_id: int) -> dict[str, Any]:
        """What the agent's panel adds to its state: ``monitored`` (only where the campaign tells agents) and the
        last message from its lead."""
        out: dict[str, Any] = {}
        if any(s.agent_id == agent_id and s.answered and s.notify for s in self.sessions.values()):
            out["monitored"] = True
        if agent_id in self.messages:
            out["lead_message"] = self.messages[agent_id]
        return out

    # --- the lead's actions ------------------------------------------------------------------------
    async def supervise(self, lead_id: int, agent_id: int, mode: str) -> Session:
        """Start listening, whispering or barging; or switch the lead's session on that agent to ``mode``."""
        engine = self.engine
        agent = engine.agents.get(agent_id)
        state = agent.state.value if agent is not None else "logged_out"
        call_id = agent.call_id if agent is not None else None
        check_can_supervise(lead_id=lead_id, agent_id=agent_id, agent_state=state,
                            agent_leg=agent.leg_id if agent is not None else None, call_id=call_id, mode=mode)
        current = self.sessions.get(lead_id)
        if current is not None and current.agent_id == agent_id and current.answered:
            await self._pbx(engine.pbx.redirect(current.leg_id, context=CTX_SUPERVISE, exten=mode))
            current.mode, current.call_id = mode, call_id
            return current
        if current is not None:
            await self.stop(lead_id)
        phone = await engine.agent_phone(lead_id)
        campaign_id = engine.agent_campaign.get(agent_id)
        campaign = engine.campaigns.get(campaign_id) if campaign_id is not None else None
        notify = bool(campaign_id is not None and await engine.pool.fetchval(
            "SELECT notify_monitored FROM campaigns WHERE id = $1", campaign_id))
        leg_id = new_leg_id()
        session = Session(lead_id, agent_id, leg_id, mode, call_id, notify)
        self.sessions[lead_id] = session
        try:
            await self._pbx(engine.pbx.originate(spy_request(
                leg_id=leg_id, phone=phone, agent_leg=agent.leg_id, agent_id=agent_id, mode=mode,
                server=getattr(campaign, "server", None))))
        except SupervisionRefused:
            self.sessions.pop(lead_id, None)
            raise
        return session

    async def stop(self, lead_id: int) -> Session | None:
        """Stop the lead's session (hang its phone leg up); None when it had none."""
        session = self.sessions.pop(lead_id, None)
        if session is None:
            return None
        self.on_agent_change(session.agent_id)
        try:
            await self.engine.pbx.hangup(session.leg_id)
        except PbxError:
            pass          # already gone
        return session

    def send_message(self, agent_id: int, *, text: str, sender: str, at: str) -> dict[str, Any]:
        """A message for the agent's panel (the newest replaces the one before)."""
        text = " ".join(text.split())
        if not text:
            raise SupervisionRefused("write a message first")
        if len(text) > MESSAGE_MAX:
            raise SupervisionRefused(f"a message is at most {MESSAGE_MAX} characters")
        agent = self.engine.agents.get(agent_id)
        if agent is None or agent.state.value == "logged_out":
            raise SupervisionRefused("this agent is not signed in")
        message = {"text": text, "from": sender, "at": at}
        self.messages[agent_id] = message
        self.on_agent_change(agent_id)
        return message

    def session_of(self, lead_id: int) -> Session | None:
        return self.sessions.get(lead_id)

    def _call_changed(self, old: Any, new: Any) -> None:
        """The supervised call is no longer a conversation (the customer or the agent hung up): the lead's phone is
        hung up, so it does not go on to hear the agent's next customer (ChanSpy follows the agent's phone leg)."""
        if old.state.value != "connected" or new.state.value == "connected":
            return
        for session in [s for s in self.sessions.values() if s.call_id == new.call_id]:
            self.engine.spawn(self.stop(session.lead_id), name="supervision-end")

    # --- PBX events --------------------------------------------------------------------------------
    def observe(self, event: PbxEvent) -> bool:
        """True when ``event`` is about a lead's supervision leg (the engine has nothing else to do with it)."""
        leg = getattr(event, "leg_id", None)
        session = next((s for s in self.sessions.values() if s.leg_id == leg), None)
        if session is None:
            return False
        if isinstance(event, LegAnswered):
            session.answered = True
            self.on_agent_change(session.agent_id)
        elif isinstance(event, (LegHungUp, LegFailed)):
            self.sessions.pop(session.lead_id, None)
            self.on_agent_change(session.agent_id)
        return True

    @staticmethod
    async def _pbx(action: Awaitable[None]) -> None:
        try:
            await action
        except PbxError as exc:
            raise SupervisionRefused(f"the PBX refused it: {exc}") from None
