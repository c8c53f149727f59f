"""When an agent's phone leg was cut by the PBX, and how often and when to call it again; pure.

``dialer.agents`` never re-dials a lost phone leg on its own: it is a person's phone, and the person may
have hung up on purpose. A restart of Asterisk (``core restart now``) is different: it hangs up every
channel and nobody chose it, yet every agent finds themselves signed out. Asterisk does not say which
hang-ups the restart caused (recording i4: cause 16 in a conference, like an agent hanging up, then
``Event: Shutdown`` about 1.1 s later), so the timing tells: a leg lost while its server's AMI link was
down, or at most ``RESTART_WINDOW_S`` real seconds before that link went down, was cut by the PBX.
``dialer.leg_keeper`` calls those phones again once the link is back, ``RestorePolicy.tries`` times at
most, and tells the agent's panel what happens with the ``Notice`` keys (``admin_ui.i18n``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

RESTART_WINDOW_S = 5.0   # real seconds; Asterisk sends Shutdown about 1.1 s after the restart's hang-ups


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


@dataclass(frozen=True, slots=True)
class LostLeg:
    """An agent's phone leg that ended while the agent was signed in and had not asked to leave."""

    agent_id: int
    server: str
    at: float      # clock.monotonic() of the hang-up event


def cut_by_link_loss(lost: LostLeg, *, server: str, link_down_at: float, window_s: float) -> bool:
    """Whether ``lost`` was cut by the loss of ``server``'s link at ``link_down_at`` (``window_s`` in the
    same clock seconds: a restart hangs up every channel shortly before its Shutdown event)."""
    return lost.server == server and link_down_at - window_s <= lost.at <= link_down_at
