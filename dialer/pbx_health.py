"""Is the engine connected to its PBX? One answer for ``/healthz``, the pages and the runners.

``pbx_health(pbx)`` reads the adapter's per-server statistics (``AmiAdapter.statistics()``) into a
``PbxHealth``: ``ok`` (every AMI server up), ``degraded`` (some up: dialling goes on through them) or
``down`` (none up: nothing can be dialled, runners hold their campaigns and say "no PBX connected").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class _ServerStats(Protocol):
    name: str
    up: bool
    last_error: str


@dataclass(frozen=True, slots=True)
class PbxHealth:
    """Which PBX servers are up and which are down (with the last error of each down one)."""

    up: tuple[str, ...]
    down: tuple[tuple[str, str], ...] = ()

    @property
    def status(self) -> str:
        """``ok``, ``degraded`` (some servers down) or ``down`` (no server up)."""
        if not self.up:
            return "down"
        return "degraded" if self.down else "ok"

    @property
    def connected(self) -> bool:
        return bool(self.up)

    def describe(self) -> str:
        """One line: which servers are down and why, then which are up."""
        parts = [f"{name} down ({error})" if error else f"{name} down" for name, error in self.down]
        if self.up:
            parts.append(f"up: {', '.join(self.up)}")
        return "; ".join(parts) if parts else "no PBX server configured"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "up": list(self.up), "down": [name for name, _ in self.down],
                "detail": self.describe()}


def health_of(stats: Sequence[_ServerStats]) -> PbxHealth:
    """The health of a PBX link from each server's statistics."""
    return PbxHealth(up=tuple(s.name for s in stats if s.up),
                     down=tuple((s.name, s.last_error) for s in stats if not s.up))


def pbx_health(pbx: object) -> PbxHealth | None:
    """The health of ``pbx`` if it reports its servers (``AmiAdapter.statistics()``), else None."""
    statistics: Callable[[], Sequence[_ServerStats]] | None = getattr(pbx, "statistics", None)
    if not callable(statistics):
        return None
    return health_of(statistics())
