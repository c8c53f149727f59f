"""Which agent phone legs the PBX cut, and how often and when to call them again; pure.

``dialer.agents`` never re-dials a lost phone leg on its own: it is a person's phone, and the person may
have hung up on purpose. A restart of Asterisk (``core restart now``) is different: it hangs up every
channel and nobody chose it. The AMI translator marks such hang-ups (``LegHungUp.pbx_cut``: the channel
got the shutdown soft hang-up first, recording i4); a leg that vanished while its server's AMI link was
down (Asterisk killed, or the link lost) counts as cut by the PBX too. The agent machine keeps such an
agent signed in, waiting for its phone (``awaiting_phone``); ``dialer.leg_keeper`` calls the phone again
once the link is back, ``RestorePolicy.tries`` times at most, and tells the agent's panel what happens
with the ``Notice`` keys (``admin_ui.i18n``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from dialer.pbx_port import FailReason, LegFailed, LegHungUp


class Notice(enum.Enum):
    """What the agent's panel says about the phone leg; the values are ``admin_ui.i18n`` keys."""

    WAITING = "phone_pbx_restarting"     # the PBX went away with the leg: it will be called again
    RECONNECTING = "phone_reconnecting"  # calling the phone again
    RECONNECTED = "phone_reconnected"    # the leg is back in the agent's conference
    GAVE_UP = "phone_gave_up"            # every try failed: the agent signs in again by hand


@dataclass(frozen=True, slots=True)
class RestorePolicy:
    """How often to call a cut phone again: ``tries`` times, waiting ``first_delay_s``, then ``factor``
    times longer before each next try (clock seconds; the first wait also lets Asterisk finish booting)."""

    tries: int = 3
    first_delay_s: float = 2.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.tries < 1 or self.first_delay_s < 0 or self.factor < 1:
            raise ValueError(f"a restore policy needs tries >= 1, first_delay_s >= 0 and factor >= 1, got {self}")

    def delays(self) -> tuple[float, ...]:
        """The wait before each try: (2, 4, 8) by default."""
        return tuple(self.first_delay_s * self.factor ** i for i in range(self.tries))


def as_cut_by_pbx(event: LegHungUp | LegFailed, *, link_down: bool) -> LegHungUp | LegFailed:
    """``event`` (the end of an agent's phone leg) marked as the PBX's doing when its server's link was
    down when it came (the adapter settles such legs on reconnect, without knowing why they ended)."""
    if not link_down:
        return event
    if isinstance(event, LegHungUp):
        return replace(event, pbx_cut=True)
    return replace(event, reason=FailReason.PBX_CUT)


def cut_by_pbx(event: LegHungUp | LegFailed) -> bool:
    return event.pbx_cut if isinstance(event, LegHungUp) else event.reason is FailReason.PBX_CUT
