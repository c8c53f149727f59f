"""The agent state machine: ``step(agent, event, now) -> (agent, effects)`` is the only way an agent changes.

LOGGED_OUT -Login-> CONNECTING (the engine calls the agent's phone) -LegUp-> READY (the leg sits in the
agent's own conference) -Reserve-> RESERVED (the router picked the agent for a call) -CustomerJoined->
ON_CALL -CustomerLeft-> WRAP_UP -Dispose-> READY. PAUSED(reason) is entered from READY with ``Pause``
and left with ``Resume`` (back to READY, idle time counted afresh) or ``Logout``.

A call may give its agent a wrap-up time (``Dispose(wrap_s=...)``: an inbound queue's ``wrapup_s``): no
new call is offered before that long after the call ended. A disposition set sooner closes the call at once
(its record gets the disposition) and the agent stays in WRAP_UP, holding no call, until ``wrap_until``
(``TimerFired(Timer.WRAP)``); a pause or logout asked in that time takes effect at once (there is no call
to finish).

Decisions:
- A pause or logout asked while RESERVED, ON_CALL or WRAP_UP is kept pending (``pending_pause``,
  ``pending_logout``) and takes effect when the call is over; ``Resume`` cancels a pending pause.
- A reservation the call gives back (``Release``: the customer hung up before joining, the deadline
  passed) returns the agent to READY with its old ``ready_since``, so it keeps its place in line.
- Losing the phone leg (``LegDown``) never reconnects on its own: it is a person's phone, and a hidden
  re-dial could ring them at the wrong moment. The one exception is a leg the PBX cut by restarting or
  shutting down (``LegDown(pbx_cut=True)``): nobody chose it, so the agent stays signed in, CONNECTING
  with no leg and ``awaiting_phone`` (after the wrap-up of a call the cut ended), until the engine's leg
  keeper (``dialer.leg_keeper``) calls the phone again (``Redial``: a failed try leaves it waiting) or
  gives up (``GiveUp``: LOGGED_OUT). Otherwise, from CONNECTING, READY or PAUSED the agent is LOGGED_OUT;
  from RESERVED it is LOGGED_OUT and the call is told (``AgentLost``) so the router can find another
  agent; from ON_CALL the call is told and the agent goes to WRAP_UP with a pending logout, so the
  disposition can still be set in the panel before the agent is logged out.
- An agent whose panels are all gone past the grace period (``PanelGone``, from ``dialer.presence``) is
  paused with the reason ``DISCONNECTED`` (from READY at once; after the call, like any pause, from
  CONNECTING, ON_CALL or WRAP_UP); RESERVED, the call is given back (``AgentLost``) and the agent paused
  at once, so nobody is routed a call no panel shows. An agent already paused keeps its own reason. A
  panel that comes back changes nothing (it reconnects by itself: only a person pressing Ready, told by
  the panel why it was paused, proves someone is there).
- Events follow the rule of ``dialer.calls``: facts (``LegUp``, ``LegDown``, ``PanelGone``, ``CustomerJoined``,
  ``CustomerLeft``, ``Release``, ``TimerFired``) not in the table are stale and ignored, as are those
  naming another call; commands (``Login``, ``Logout``, ``Pause``, ``Resume``, ``Reserve``, ``Dispose``)
  not in the table raise ``IllegalTransition``. ``Reserve`` is legal only in READY, so an agent can
  never hold two calls.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialer.calls import Pool
from dialer.effects import (
    AgentId,
    AgentLost,
    CallId,
    CloseCall,
    Effect,
    Hangup,
    IllegalTransition,
    Originate,
    StartAgentTimer,
    Timer,
)
from dialer.pbx_port import (
    ConferenceJoined,
    ConferenceLeft,
    FailReason,
    LegFailed,
    LegHungUp,
    OriginateRequest,
    PbxEvent,
    conference_name,
)

CONNECT_GRACE_S = 5.0   # after the phone's ring timeout, stop waiting for the leg to join
DISCONNECTED = "disconnected"   # the pause reason of an agent whose panels are all gone (dialer.presence)


class AgentState(enum.Enum):
    LOGGED_OUT = "logged_out"
    CONNECTING = "connecting"    # phone leg originated, not yet in the conference
    READY = "ready"
    RESERVED = "reserved"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Agent:
    """One agent's working state; times are ``Clock.monotonic()`` seconds."""

    agent_id: AgentId
    pools: frozenset[Pool] = frozenset()     # campaigns and queues the agent works
    skills: frozenset[str] = frozenset()
    state: AgentState = AgentState.LOGGED_OUT
    state_since: float = 0.0
    leg_id: str | None = None                # the persistent phone leg
    ready_since: float | None = None         # READY (and RESERVED, to restore it): idle since
    call_id: CallId | None = None
    on_call_since: float | None = None
    pause_reason: str | None = None
    pending_pause: str | None = None
    pending_logout: bool = False
    calls_today: int = 0
    talk_s: float = 0.0
    awaiting_phone: bool = False             # the PBX cut the phone leg: the engine calls it again (Redial)
    wrap_until: float | None = None          # WRAP_UP, disposed, no call held: offered nothing before this

    def time_in_state(self, now: float) -> float:
        """Seconds spent in the current state at ``now``."""
        return max(0.0, now - self.state_since)


# --- events -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Login:
    request: OriginateRequest     # the call to the agent's phone, landing in CTX_AGENT


@dataclass(frozen=True, slots=True)
class Logout:
    pass


@dataclass(frozen=True, slots=True)
class Pause:
    reason: str


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class Reserve:
    call_id: CallId


@dataclass(frozen=True, slots=True)
class Dispose:
    disposition: str | None
    wrap_s: float = 0.0        # no new call before this long after the call ended (the queue's wrap-up)


@dataclass(frozen=True, slots=True)
class LegUp:
    """The phone leg joined the agent's conference."""


@dataclass(frozen=True, slots=True)
class LegDown:
    """The phone leg ended or never answered; ``pbx_cut``: the PBX shut down or restarted under it."""

    pbx_cut: bool = False


@dataclass(frozen=True, slots=True)
class Redial:
    """Call the phone of an agent ``awaiting_phone`` again (the engine's leg keeper, after a PBX restart)."""

    request: OriginateRequest     # the call to the agent's phone, landing in CTX_AGENT


@dataclass(frozen=True, slots=True)
class GiveUp:
    """The phone a PBX restart cut could not be reached again: the agent is signed out."""


@dataclass(frozen=True, slots=True)
class PanelGone:
    """Every panel of the agent has been gone longer than the grace period (``dialer.presence``)."""


@dataclass(frozen=True, slots=True)
class CustomerJoined:
    call_id: CallId


@dataclass(frozen=True, slots=True)
class CustomerLeft:
    call_id: CallId


@dataclass(frozen=True, slots=True)
class Release:
    call_id: CallId


@dataclass(frozen=True, slots=True)
class TimerFired:
    timer: Timer


AgentEvent = (Login | Logout | Pause | Resume | Reserve | Dispose | Redial | GiveUp | LegUp | LegDown
              | PanelGone | CustomerJoined | CustomerLeft | Release | TimerFired)
COMMANDS = (Login, Logout, Pause, Resume, Reserve, Dispose, Redial, GiveUp)
Result = tuple[Agent, tuple[Effect, ...]]


def from_pbx(event: PbxEvent, agent: Agent, call_of_leg: Mapping[str, CallId]) -> AgentEvent | None:
    """The agent event a PBX event means for ``agent`` (``call_of_leg`` maps customer legs to calls), or None."""
    leg = getattr(event, "leg_id", None)
    if leg is None:
        return None
    if leg == agent.leg_id:
        if isinstance(event, ConferenceJoined):
            return LegUp()
        if isinstance(event, LegHungUp):
            return LegDown(pbx_cut=event.pbx_cut)
        if isinstance(event, LegFailed):
            return LegDown(pbx_cut=event.reason is FailReason.PBX_CUT)
        return None
    if isinstance(event, (ConferenceJoined, ConferenceLeft)) and event.conference == conference_name(agent.agent_id):
        call_id = call_of_leg.get(leg)
        if call_id is not None:
            return CustomerJoined(call_id) if isinstance(event, ConferenceJoined) else CustomerLeft(call_id)
    return None


def new_day(agent: Agent) -> Agent:
    """The agent with its daily counters reset."""
    return replace(agent, calls_today=0, talk_s=0.0)


def _zone(zone: str) -> tzinfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def day_in(now: datetime, zone: str) -> date:
    """The calendar day at ``now`` in ``zone`` (an IANA name; an unknown one counts as UTC)."""
    return now.astimezone(_zone(zone)).date()


def day_start(now: datetime, zone: str) -> datetime:
    """Midnight starting the day of ``now`` in ``zone`` (an unknown zone counts as UTC), where agents' days are cut."""
    tz = _zone(zone)
    return datetime.combine(now.astimezone(tz).date(), time.min, tzinfo=tz)


# --- transitions ------------------------------------------------------------------------------------
def _to(agent: Agent, state: AgentState, now: float, **changes: Any) -> Agent:
    since = now if state is not agent.state else agent.state_since
    return replace(agent, state=state, state_since=since, **changes)


def _logged_out(agent: Agent, now: float, *effects: Effect) -> Result:
    out = _to(agent, AgentState.LOGGED_OUT, now, leg_id=None, ready_since=None, call_id=None,
              on_call_since=None, pause_reason=None, pending_pause=None, pending_logout=False,
              awaiting_phone=False, wrap_until=None)
    return out, effects


def _hang_up_and_leave(agent: Agent, now: float) -> Result:
    return _logged_out(agent, now, *((Hangup(agent.leg_id),) if agent.leg_id else ()))


def _after_call(agent: Agent, now: float, ready_since: float | None, *effects: Effect) -> Result:
    """Where an agent goes when its call is over: pending logout, pending pause, or READY."""
    if agent.pending_logout:
        out, more = _hang_up_and_leave(agent, now)
        return out, (*effects, *more)
    free = replace(agent, call_id=None, on_call_since=None, wrap_until=None)
    if agent.awaiting_phone:          # the PBX cut the phone during the call: wait for it to be called again
        return _to(free, AgentState.CONNECTING, now, ready_since=None), effects
    if agent.pending_pause is not None:
        return _to(free, AgentState.PAUSED, now, pause_reason=agent.pending_pause, pending_pause=None,
                   ready_since=None), effects
    return _to(free, AgentState.READY, now, ready_since=ready_since), effects


def _login(agent: Agent, ev: Login, now: float) -> Result:
    at = now + ev.request.timeout_s + CONNECT_GRACE_S
    connecting = _to(agent, AgentState.CONNECTING, now, leg_id=ev.request.leg_id)
    return connecting, (Originate(ev.request), StartAgentTimer(agent.agent_id, Timer.CONNECT, at))


def _leg_up(agent: Agent, ev: LegUp, now: float) -> Result:
    if agent.leg_id is None:
        return agent, ()              # a leg we no longer wait for
    agent = replace(agent, awaiting_phone=False)
    if agent.pending_pause is not None:
        return _to(agent, AgentState.PAUSED, now, pause_reason=agent.pending_pause, pending_pause=None), ()
    return _to(agent, AgentState.READY, now, ready_since=now), ()


def _cut_by_pbx(agent: Agent, now: float) -> Result:
    """The PBX restarted under the phone leg: stay signed in, waiting for the phone to be called again."""
    effects: tuple[Effect, ...] = ()
    if agent.state in (AgentState.RESERVED, AgentState.ON_CALL) and agent.call_id is not None:
        effects = (AgentLost(agent.call_id, agent.agent_id),)
    if agent.state is AgentState.ON_CALL and agent.call_id is not None:
        wrap, _ = _customer_left(agent, CustomerLeft(agent.call_id), now)
        return replace(wrap, leg_id=None, awaiting_phone=True), effects
    if agent.state is AgentState.WRAP_UP:
        return replace(agent, leg_id=None, awaiting_phone=True), ()
    pending = agent.pause_reason if agent.state is AgentState.PAUSED else agent.pending_pause
    return _to(agent, AgentState.CONNECTING, now, leg_id=None, awaiting_phone=True, ready_since=None,
               call_id=None, pause_reason=None, pending_pause=pending), effects


def _leg_down(agent: Agent, ev: LegDown, now: float) -> Result:
    if ev.pbx_cut and not agent.pending_logout:
        return _cut_by_pbx(agent, now)
    if agent.awaiting_phone and agent.state is AgentState.CONNECTING:
        return replace(agent, leg_id=None), ()      # this try failed: the leg keeper decides what next
    if agent.state is AgentState.RESERVED and agent.call_id is not None:
        return _logged_out(agent, now, AgentLost(agent.call_id, agent.agent_id))
    if agent.state is AgentState.ON_CALL and agent.call_id is not None:
        wrap, _ = _customer_left(agent, CustomerLeft(agent.call_id), now)
        return replace(wrap, leg_id=None, pending_logout=True), (AgentLost(agent.call_id, agent.agent_id),)
    if agent.state is AgentState.WRAP_UP and agent.wrap_until is None:    # its disposition can still be set
        return replace(agent, leg_id=None, pending_logout=True), ()
    return _logged_out(agent, now)


def _connect_timeout(agent: Agent, ev: TimerFired, now: float) -> Result:
    if ev.timer is not Timer.CONNECT:
        return agent, ()
    if agent.awaiting_phone:          # this try rang out: hang it up, the leg keeper decides what next
        return replace(agent, leg_id=None), ((Hangup(agent.leg_id),) if agent.leg_id else ())
    return _hang_up_and_leave(agent, now)


def _redial(agent: Agent, ev: Redial, now: float) -> Result:
    if not agent.awaiting_phone or agent.leg_id is not None:
        raise IllegalTransition("agent", agent.state, ev)
    at = now + ev.request.timeout_s + CONNECT_GRACE_S
    return replace(agent, leg_id=ev.request.leg_id), (Originate(ev.request),
                                                       StartAgentTimer(agent.agent_id, Timer.CONNECT, at))


def _give_up(agent: Agent, ev: GiveUp, now: float) -> Result:
    if not agent.awaiting_phone:
        raise IllegalTransition("agent", agent.state, ev)
    return _hang_up_and_leave(agent, now)


def _logout(agent: Agent, ev: Logout, now: float) -> Result:
    if agent.wrap_until is not None:             # disposed, waiting out the wrap-up: no call to finish
        return _hang_up_and_leave(replace(agent, wrap_until=None, call_id=None), now)
    if agent.state in (AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP):
        return replace(agent, pending_logout=True), ()
    return _hang_up_and_leave(agent, now)


def _pause(agent: Agent, ev: Pause, now: float) -> Result:
    if agent.state is AgentState.READY:
        return _to(agent, AgentState.PAUSED, now, pause_reason=ev.reason, ready_since=None), ()
    if agent.state is AgentState.PAUSED:
        return replace(agent, pause_reason=ev.reason), ()
    if agent.wrap_until is not None:             # disposed, waiting out the wrap-up: pause now
        return _after_call(replace(agent, pending_pause=ev.reason), now, None)
    return replace(agent, pending_pause=ev.reason), ()


def _resume(agent: Agent, ev: Resume, now: float) -> Result:
    if agent.state is AgentState.PAUSED:
        return _to(agent, AgentState.READY, now, pause_reason=None, ready_since=now), ()
    return replace(agent, pending_pause=None), ()


def _panel_gone(agent: Agent, ev: PanelGone, now: float) -> Result:
    if agent.state is AgentState.RESERVED and agent.call_id is not None:
        lost = AgentLost(agent.call_id, agent.agent_id)
        if agent.pending_logout:
            out, effects = _hang_up_and_leave(agent, now)
            return out, (lost, *effects)
        return _to(agent, AgentState.PAUSED, now, pause_reason=DISCONNECTED, pending_pause=None, call_id=None,
                   ready_since=None), (lost,)
    if agent.state is AgentState.PAUSED or agent.pending_pause is not None:
        return agent, ()                  # paused already (or after the call), for the agent's own reason
    return _pause(agent, Pause(DISCONNECTED), now)


def _reserve(agent: Agent, ev: Reserve, now: float) -> Result:
    return _to(agent, AgentState.RESERVED, now, call_id=ev.call_id), ()


def _release(agent: Agent, ev: Release, now: float) -> Result:
    if ev.call_id != agent.call_id:
        return agent, ()
    return _after_call(agent, now, agent.ready_since)


def _customer_joined(agent: Agent, ev: CustomerJoined, now: float) -> Result:
    if ev.call_id != agent.call_id:
        return agent, ()
    return _to(agent, AgentState.ON_CALL, now, on_call_since=now, ready_since=None), ()


def _customer_left(agent: Agent, ev: CustomerLeft, now: float) -> Result:
    if ev.call_id != agent.call_id:
        return agent, ()
    talked = now - agent.on_call_since if agent.on_call_since is not None else 0.0
    return _to(agent, AgentState.WRAP_UP, now, on_call_since=None, calls_today=agent.calls_today + 1,
               talk_s=agent.talk_s + max(0.0, talked)), ()


def _dispose(agent: Agent, ev: Dispose, now: float) -> Result:
    if agent.wrap_until is not None:
        raise IllegalTransition("agent", agent.state, ev)    # its call is already disposed
    assert agent.call_id is not None, "an agent in WRAP_UP holds its call until it is disposed"
    close = CloseCall(agent.call_id, ev.disposition)
    until = agent.state_since + ev.wrap_s           # WRAP_UP began when the call ended
    if now < until:
        return (replace(agent, call_id=None, wrap_until=until),
                (close, StartAgentTimer(agent.agent_id, Timer.WRAP, until)))
    return _after_call(agent, now, now, close)


def _wrap_over(agent: Agent, ev: TimerFired, now: float) -> Result:
    if ev.timer is not Timer.WRAP or agent.wrap_until is None or now < agent.wrap_until - 1e-6:
        return agent, ()
    return _after_call(agent, now, now)


Handler = Callable[[Agent, Any, float], Result]
A = AgentState
_LOGGED_IN = (A.CONNECTING, A.READY, A.RESERVED, A.ON_CALL, A.WRAP_UP, A.PAUSED)
TRANSITIONS: dict[tuple[AgentState, type], Handler] = {
    (A.LOGGED_OUT, Login): _login,
    (A.CONNECTING, LegUp): _leg_up,
    (A.CONNECTING, TimerFired): _connect_timeout,
    (A.CONNECTING, Redial): _redial,
    (A.CONNECTING, GiveUp): _give_up,
    **{(s, LegDown): _leg_down for s in _LOGGED_IN},
    **{(s, Logout): _logout for s in _LOGGED_IN},
    **{(s, Pause): _pause for s in _LOGGED_IN},
    **{(s, PanelGone): _panel_gone for s in _LOGGED_IN},
    **{(s, Resume): _resume for s in (A.CONNECTING, A.RESERVED, A.ON_CALL, A.WRAP_UP, A.PAUSED)},
    (A.READY, Reserve): _reserve,
    (A.RESERVED, Release): _release,
    (A.RESERVED, CustomerJoined): _customer_joined,
    (A.ON_CALL, CustomerLeft): _customer_left,
    (A.WRAP_UP, Dispose): _dispose,
    (A.WRAP_UP, TimerFired): _wrap_over,
}


def step(agent: Agent, event: AgentEvent, now: float) -> Result:
    """Apply ``event`` at ``now``: the new agent and the effects the shell must carry out, in order."""
    handler = TRANSITIONS.get((agent.state, type(event)))
    if handler is not None:
        return handler(agent, event, now)
    if isinstance(event, COMMANDS):
        raise IllegalTransition("agent", agent.state, event)
    return agent, ()
