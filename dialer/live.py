"""What supervisors and agents see live: counts by state, a row per signed-in agent, dial rate, connects,
the pacer's last word.

``LiveBoard`` is told of every call and agent change by the engine and keeps rolling counters in
memory; abandonment over 24 h and 30 days comes from the call records (set by the runners).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dialer.agents import Agent, AgentState
from dialer.calls import Call, CallOutcome, CallState
from dialer.queue_board import QueueBoard

if TYPE_CHECKING:
    from dialer.engine import Engine

RATE_WINDOW_S = 60.0
HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class PacerWord:
    at: float
    calls: int
    why: str


def call_view_of(call_id: int, state: str, context: dict[str, Any], connected_s: float | None) -> dict[str, Any]:
    """What an agent's panel gets of a call: enough to pop the lead."""
    return {"call_id": str(call_id), "state": state, "lead_id": context.get("lead_id"),
            "number": context.get("number"), "campaign_id": context.get("campaign_id"), "connected_s": connected_s}


class LiveBoard:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queues = QueueBoard(engine)             # inbound queues: waiting, estimated wait and its error
        self.dials: deque[float] = deque()           # originate times in the last minute
        self.connects: deque[float] = deque()        # live answers in the last hour
        self.outcomes: Counter[str] = Counter()      # since start
        self.pacer: dict[int, PacerWord] = {}
        self.health_pauses: dict[int, dict[str, Any]] = {}   # campaigns that paused themselves (campaign_health)
        self.abandonment: dict[int, dict[str, Any]] = {}
        self.answer_to_agent_s: deque[float] = deque(maxlen=100_000)   # real seconds, newest last

    def call_changed(self, before: Call | None, after: Call) -> None:
        now = self.engine.clock.monotonic()
        if after.state is CallState.DIALING and (before is None or before.state is not CallState.DIALING):
            self.dials.append(now)
        if after.ready_at is not None and (before is None or before.ready_at is None):
            self.connects.append(now)
        if after.outcome is not None and (before is None or before.outcome is None):
            self.outcomes[after.outcome.value] += 1
        self._trim(now)

    def agent_changed(self, before: Agent, after: Agent) -> None:
        return None

    def _trim(self, now: float) -> None:
        while self.dials and now - self.dials[0] > RATE_WINDOW_S:
            self.dials.popleft()
        while self.connects and now - self.connects[0] > HOUR_S:
            self.connects.popleft()

    def agent_view(self, user_id: int) -> dict[str, Any]:
        engine = self.engine
        agent = engine.agents.get(user_id)
        now = engine.clock.monotonic()
        if agent is None:
            return {"type": "state", "state": AgentState.LOGGED_OUT.value, "in_state_s": 0, "calls_today": 0,
                    "talk_s": 0, "campaign_id": None, "call": None, "pause_reason": None,
                    "phone_notice": engine.legs.notice(user_id)}
        call_view = None
        if agent.call_id is not None and agent.call_id in engine.calls:
            call = engine.calls[agent.call_id]
            call_view = call_view_of(call.call_id, call.state.value, engine.call_context.get(call.call_id, {}),
                                     round(now - call.connected_at, 1) if call.connected_at else None)
            call_view["recording"] = engine.recordings.view(call.call_id)   # the payment pause button
        elif user_id in engine.transfer_pops:
            call_view = dict(engine.transfer_pops[user_id])
        return {"type": "state", "state": agent.state.value, "in_state_s": round(now - agent.state_since, 1),
                "calls_today": agent.calls_today, "talk_s": round(agent.talk_s), "pause_reason": agent.pause_reason,
                "pending_pause": agent.pending_pause, "campaign_id": self.engine.agent_campaign.get(user_id),
                "call": call_view, "phone_notice": engine.legs.notice(user_id),
                # disposed within its queue's wrap-up time: seconds until it may be offered a call
                "wrap_left_s": round(max(0.0, agent.wrap_until - now), 1) if agent.wrap_until is not None else None}

    def agent_rows(self) -> list[dict[str, Any]]:
        """The wallboard's row per signed-in agent: state and time in it, pause code (or the pause asked
        for after the call), campaign, current call, calls and talk time today. Names are the web layer's."""
        engine = self.engine
        now = engine.clock.monotonic()
        rows = []
        for agent in engine.agents.values():
            if agent.state is AgentState.LOGGED_OUT:
                continue
            campaign_id = engine.agent_campaign.get(agent.agent_id)
            view = engine.campaigns.get(campaign_id) if campaign_id is not None else None
            call = engine.calls.get(agent.call_id) if agent.call_id is not None else None
            rows.append({
                "agent_id": agent.agent_id, "state": agent.state.value,
                "in_state_s": round(agent.time_in_state(now), 1),
                "pause_reason": agent.pause_reason, "pending_pause": agent.pending_pause,
                "pending_logout": agent.pending_logout,
                "campaign_id": campaign_id, "campaign": view.name if view is not None else None,
                "call": None if call is None else {
                    "call_id": str(call.call_id), "state": call.state.value,
                    "number": engine.call_context.get(call.call_id, {}).get("number"),
                    "connected_s": round(now - call.connected_at, 1) if call.connected_at else None},
                "calls_today": agent.calls_today, "talk_s": round(agent.talk_s),
            })
        return sorted(rows, key=lambda row: row["agent_id"])

    def snapshot(self) -> dict[str, Any]:
        engine = self.engine
        now = engine.clock.monotonic()
        self._trim(now)
        agents_by_state = Counter(a.state.value for a in engine.agents.values() if a.state is not AgentState.LOGGED_OUT)
        live = [c for c in engine.calls.values() if not c.terminal]
        calls_by_state = Counter(c.state.value for c in live)
        in_flight = sum(1 for c in live if c.state in (CallState.DIALING, CallState.RINGING))
        return {
            "agents": dict(agents_by_state),
            "agents_logged_in": sum(agents_by_state.values()),
            "agent_rows": self.agent_rows(),
            "calls": dict(calls_by_state),
            "calls_in_flight": in_flight,
            "calls_waiting": calls_by_state.get(CallState.WAITING.value, 0),
            "dial_rate_per_min": len(self.dials) * 60.0 / RATE_WINDOW_S,
            "connects_last_hour": len(self.connects),
            "outcomes": dict(self.outcomes),
            "abandoned": self.outcomes.get(CallOutcome.ABANDONED.value, 0),
            "campaigns": {
                str(cid): {
                    "name": view.name,
                    "pacer": {"calls": word.calls, "why": word.why, "age_s": round(now - word.at, 1)}
                    if (word := self.pacer.get(cid)) else None,
                    "abandonment": self.abandonment.get(cid),
                }
                for cid, view in engine.campaigns.items()
            },
            "health_pauses": {str(cid): pause for cid, pause in self.health_pauses.items()},
            "queues": self.queues.snapshot(),
            "at": engine.clock.now().isoformat(),
        }
