"""What the web layer may ask of the running engine: agents' actions, campaign control, live state.

The agent panel (``agents_ws``) and the admin pages (``admin_ui``) call only these methods; the engine
(``dialer.engine.Engine``) implements them. Each raises ``EngineError`` with a message for the user
when the action is not possible now (for example "you are on a call"). Live updates are pushed as
plain JSON-ready dicts through ``subscribe_*`` async iterators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from dialer.errors import DialerError


class EngineError(DialerError):
    """The engine refuses an action; the message is meant for the person who asked."""


@dataclass(frozen=True, slots=True)
class DispositionInput:
    call_id: str
    code: str                         # one of the campaign's disposition codes
    notes: str = ""
    callback_at: datetime | None = None   # aware datetime (the panel converts from the callee's zone)
    callback_personal: bool = True        # True: back to this agent; False: anyone in the campaign


class EngineApi(Protocol):
    # --- agents ---------------------------------------------------------------------------------
    async def agent_login(self, user_id: int, campaign_id: int) -> None:
        """Sign the agent into a campaign and call their phone (the persistent leg)."""

    async def agent_ready(self, user_id: int) -> None: ...

    async def agent_pause(self, user_id: int, reason: str) -> None:
        """Pause now, or after the current call's wrap-up."""

    async def agent_logout(self, user_id: int) -> None: ...

    async def hangup(self, user_id: int) -> None:
        """Hang up the customer the agent is talking to."""

    async def set_disposition(self, user_id: int, disposition: DispositionInput) -> None:
        """Close the wrap-up of a call; schedules a callback if asked; the agent becomes ready (or paused)."""

    async def preview_next(self, user_id: int) -> dict[str, Any] | None:
        """Preview mode: the next lead for this agent (the lead's fields), or None when none is eligible."""

    async def preview_dial(self, user_id: int, lead_id: int) -> str:
        """Dial the previewed lead; returns the call id."""

    async def preview_skip(self, user_id: int, lead_id: int) -> None: ...

    async def manual_dial(self, user_id: int, lead_id: int) -> str:
        """Click to call a lead of the agent's campaign (still checked against DNC and the window)."""

    async def transfer(self, user_id: int, *, to_agent_id: int | None = None, to_number: str | None = None) -> None: ...

    def agent_state(self, user_id: int) -> dict[str, Any]:
        """The agent's state now: state, since, campaign, current call with its lead, counters."""

    def subscribe_agent(self, user_id: int) -> AsyncIterator[dict[str, Any]]:
        """Every change of the agent's state, starting with the current state."""

    # --- campaigns ------------------------------------------------------------------------------
    async def campaign_start(self, campaign_id: int) -> None: ...

    async def campaign_pause(self, campaign_id: int) -> None: ...

    async def campaign_stop(self, campaign_id: int) -> None: ...

    # --- supervisors ----------------------------------------------------------------------------
    def live_state(self) -> dict[str, Any]:
        """The wallboard: agents by state, calls in flight and waiting, dial rate, the pacer's last
        decision and why, abandonment over 24 h and 30 days against the cap, connects per hour."""

    def subscribe_live(self) -> AsyncIterator[dict[str, Any]]:
        """``live_state()`` again each second or on change."""
