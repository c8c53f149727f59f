"""Faults the simulated PBX plays on purpose: dropped connections, restarts, refused logins, slow replies."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulations.pbx.server import SimulatedPbx


class Faults:
    """Switches a test flips on a running ``SimulatedPbx``.

    ``refuse_logins``: every login fails (after the usual delay). ``reply_delay_s``: real seconds every
    response is held back (events are not delayed, as with a busy Asterisk).
    """

    def __init__(self, pbx: SimulatedPbx) -> None:
        self._pbx = pbx
        self.refuse_logins = False
        self.reply_delay_s = 0.0

    def drop_connections(self) -> int:
        """Abort every AMI connection at once (no goodbye); returns how many were dropped."""
        sessions = list(self._pbx.sessions)
        for session in sessions:
            session.abort()
        return len(sessions)

    async def restart(self, downtime_s: float = 0.3) -> None:
        """Like ``core restart now``: Shutdown event, close, refuse connections for ``downtime_s``, come back
        with no channels."""
        pbx = self._pbx
        pbx.broadcast_shutdown(restart=True)
        await asyncio.sleep(0)  # let the Shutdown event reach the sockets
        for session in list(pbx.sessions):
            session.close_after_flush()
        await pbx.close_listener()
        pbx.switch.reset()
        await asyncio.sleep(downtime_s)
        await pbx.open_listener()
