"""Exceptions the engine and the command line raise on purpose; anything else is a bug."""

from __future__ import annotations


class DialerError(Exception):
    """An error with a message meant for a person (printed as one line by the CLI)."""


class SettingsError(DialerError):
    """A setting is missing, malformed or refers to something unreachable (exit code 2)."""


class ServiceUnavailable(DialerError):
    """A backing service (PostgreSQL, Redis, Asterisk) cannot be reached."""
