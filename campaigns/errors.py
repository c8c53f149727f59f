"""Errors the campaigns package raises on purpose, each with a message meant for a person."""

from __future__ import annotations

from dialer.errors import DialerError


class CampaignError(DialerError):
    """A campaign, list or lead request cannot be carried out; the message says why."""


class NotFound(CampaignError):
    """The campaign, list, lead or callback asked for does not exist."""


class IllegalTransition(CampaignError):
    """A campaign state change that the state machine does not allow."""


class ImportFailed(CampaignError):
    """A whole file cannot be imported (unreadable, no phone column); single bad rows are rejects instead."""
