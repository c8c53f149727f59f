"""Exceptions of the DNC package; each carries a message meant for a person."""

from __future__ import annotations

from dialer.errors import DialerError


class DncError(DialerError):
    """A DNC operation could not be carried out; the message says why."""


class InvalidNumber(DncError):
    """A phone number could not be read as a valid E.164 number."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(f"{raw!r} is not a valid phone number: {reason}")
        self.raw = raw
        self.reason = reason


class UnknownList(DncError):
    """No DNC list has the given name."""


class DncUnavailable(DncError):
    """The dial-time DNC check cannot answer (not loaded yet, or its data is stale): do not dial."""
