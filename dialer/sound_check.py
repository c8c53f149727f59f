"""Does every PBX have the sounds a campaign names? Checked at save, at start and before a runner dials.

A missing sound fails silently in Asterisk: Playback sets ``PLAYBACKSTATUS=FAILED`` and the customer
hears nothing (issue 12, defect 1). ``check_sound(pbx, sound)`` asks each connected server
(``PbxPort.sound_exists``, AMI ``core show sound``) for each part of an ``a&b`` list and returns a
``SoundCheck``: the parts missing on which server (``problem``: "safe_harbor_message: sound 'x' not found
on pbx1"), or why it could not be verified (``unverified``: no PBX connected, no permission).
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.pbx_health import pbx_health
from dialer.pbx_port import PbxError, PbxPort
from dialer.sound_names import sound_parts

SAFE_HARBOR_FIELD = "safe_harbor_message"


@dataclass(frozen=True, slots=True)
class SoundCheck:
    """What the PBX servers said of one sound setting."""

    sound: str
    field: str = SAFE_HARBOR_FIELD
    missing: tuple[tuple[str, str], ...] = ()     # (part, server) pairs not found
    checked_on: tuple[str, ...] = ()              # servers that answered for every part
    unverified: str = ""                          # why some or all servers could not be asked

    @property
    def ok(self) -> bool:
        """Nothing was found missing (it may still be unverified)."""
        return not self.missing

    @property
    def verified(self) -> bool:
        """Found on every connected server, and at least one answered."""
        return self.ok and not self.unverified and bool(self.checked_on)

    @property
    def problem(self) -> str:
        """The refusal, naming the field, each missing sound and its server; "" when none is missing."""
        return "; ".join(f"{self.field}: sound '{part}' not found on {server}"
                         for part, server in self.missing)

    @property
    def warning(self) -> str:
        """Why the sound could not be verified; "" when it was."""
        if not self.unverified:
            return ""
        return f"{self.field}: sound '{self.sound}' could not be checked ({self.unverified})"


async def check_sound(pbx: PbxPort | None, sound: str, *, field: str = SAFE_HARBOR_FIELD) -> SoundCheck:
    """Ask every connected PBX server for every part of ``sound``."""
    if pbx is None:
        return SoundCheck(sound, field, unverified="the dialer engine is not running, so no PBX is connected")
    health = pbx_health(pbx)
    if health is not None and not health.connected:
        return SoundCheck(sound, field, unverified=f"no PBX connected: {health.describe()}")
    servers: tuple[str | None, ...] = health.up if health is not None else (None,)
    missing: list[tuple[str, str]] = []
    checked: list[str] = []
    reasons: list[str] = []
    for server in servers:
        answered = True
        for part in sound_parts(sound):
            try:
                if not await pbx.sound_exists(part, server=server):
                    missing.append((part, server or "the PBX"))
            except PbxError as exc:
                answered = False
                reasons.append(str(exc))
                break
        if answered:
            checked.append(server or "the PBX")
    return SoundCheck(sound, field, tuple(missing), tuple(checked), "; ".join(reasons))
