"""The model-free pacers: progressive (one call per ready agent), power (a fixed ratio) and preview (none).

Each reads only the ``Snapshot``; ``observe`` is accepted and ignored, so any runner can drive them
through the same contract as the predictive pacer.
"""

from __future__ import annotations

import math

from pacing.contract import Decision, Event, Snapshot, cap_to_lines


class ProgressivePacer:
    """Keep one call in flight per ready agent: calls = ready - waiting - ringing. Never abandons."""

    name = "progressive"

    def observe(self, event: Event) -> None:
        return None

    def decide(self, snap: Snapshot) -> Decision:
        free = snap.agents_ready - snap.waiting
        calls = cap_to_lines(free - len(snap.dialing), snap)
        return Decision(calls, f"progressive: {snap.agents_ready} ready, {snap.waiting} waiting, "
                               f"{len(snap.dialing)} ringing -> {calls}")


class PowerPacer:
    """Keep ``ratio`` calls in flight per ready agent: calls = ceil(ratio * (ready - waiting)) - ringing."""

    name = "power"

    def __init__(self, *, ratio: float = 1.5) -> None:
        if ratio <= 0:
            raise ValueError(f"ratio must be positive, got {ratio}")
        self.ratio = ratio

    def observe(self, event: Event) -> None:
        return None

    def decide(self, snap: Snapshot) -> Decision:
        free = max(0, snap.agents_ready - snap.waiting)
        want = math.ceil(self.ratio * free - 1e-9)
        calls = cap_to_lines(want - len(snap.dialing), snap)
        return Decision(calls, f"power x{self.ratio:g}: {free} free agents want {want} in flight, "
                               f"{len(snap.dialing)} ringing -> {calls}")


class PreviewPacer:
    """Place nothing by itself: the agent previews the lead and chooses when to dial."""

    name = "preview"

    def observe(self, event: Event) -> None:
        return None

    def decide(self, snap: Snapshot) -> Decision:
        return Decision(0, "preview: agents dial by hand")
