"""Errors of the AMI adapter; all are ``PbxError`` so the engine catches one type."""

from __future__ import annotations

from dialer.pbx_port import PbxError


class AmiError(PbxError):
    """Something went wrong talking AMI; the message names the server and the action."""


class AmiLoginError(AmiError):
    """The server refused our login (wrong user or secret, or no permission): retrying will not help."""


class AmiLinkError(AmiError):
    """No logged-in link to the server, or it was lost before the reply came (the action is not re-sent)."""


class AmiTimeout(AmiError):
    """The server did not reply to an action in time."""


class AmiActionError(AmiError):
    """The server answered ``Response: Error``; ``reply`` is its Message."""

    def __init__(self, message: str, reply: str) -> None:
        super().__init__(message)
        self.reply = reply
