"""Settings of one Asterisk server as the AMI adapter needs them (the lead wires them from settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AmiServerConfig:
    """One Asterisk: where its AMI listens, the manager.conf user, and how many legs it may carry.

    ``max_channels`` counts our live legs on that server (trunk capacity). Times are in seconds of real
    time: they bound network I/O, not call timing.
    """

    name: str
    host: str
    port: int
    username: str
    secret: str
    max_channels: int
    action_timeout_s: float = 5.0      # every action's reply (login waits at least 5 s: a refusal takes ~1 s)
    connect_timeout_s: float = 5.0
    ping_interval_s: float = 5.0       # our own Ping; a missing reply means a dead link
    ping_timeout_s: float = 5.0
    backoff_initial_s: float = 0.1     # reconnect delay, doubled per failed attempt up to backoff_max_s
    backoff_max_s: float = 5.0
    events: str = "on"                 # Login's Events mask

    def __post_init__(self) -> None:
        if self.max_channels < 0:
            raise ValueError(f"max_channels must be >= 0, got {self.max_channels}")
        if not self.name:
            raise ValueError("an AMI server needs a name")
        for label in ("action_timeout_s", "connect_timeout_s", "ping_interval_s", "ping_timeout_s",
                      "backoff_initial_s", "backoff_max_s"):
            if getattr(self, label) <= 0:
                raise ValueError(f"{label} must be positive, got {getattr(self, label)}")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"
