"""Does every PBX have the sounds a campaign names? Checked at save, at start and before a runner dials.

A missing sound fails silently in Asterisk: Playback sets ``PLAYBACKSTATUS=FAILED`` and the customer
hears nothing (issue 12, defect 1). ``check_sound(pbx, sound)`` asks each connected server
(``PbxPort.sound_exists``, AMI ``core show sound``) for each part of an ``a&b`` list and returns a
``SoundCheck``: the parts missing on which server (``problem``: "safe_harbor_message: sound 'x' not found
on pbx1"), or why it could not be verified (``unverified``: no PBX connected, no permission).

``check_moh_class(pbx, name)`` does the same for a queue's music-on-hold class (``PbxPort.moh_class_exists``,
AMI ``moh show classes``): Asterisk plays ``default`` instead of a class it lacks, with only a log line
(recording r1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
    kind: str = "sound"                           # what was asked for: a sound, or a music-on-hold class

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
        return "; ".join(f"{self.field}: {self.kind} '{part}' not found on {server}"
                         for part, server in self.missing)

    @property
    def warning(self) -> str:
        """Why the sound could not be verified; "" when it was."""
        if not self.unverified:
            return ""
        return f"{self.field}: {self.kind} '{self.sound}' could not be checked ({self.unverified})"


async def check_sound(pbx: PbxPort | None, sound: str, *, field: str = SAFE_HARBOR_FIELD) -> SoundCheck:
    """Ask every connected PBX server for every part of ``sound``."""
    def exists(part: str, server: str | None) -> Awaitable[bool]:
        return pbx.sound_exists(part, server=server)   # type: ignore[union-attr]
    return await _ask_servers(pbx, sound, field, sound_parts(sound), "sound", exists)


MOH_FIELD = "moh_class"


async def check_moh_class(pbx: PbxPort | None, name: str, *, field: str = MOH_FIELD) -> SoundCheck:
    """Ask every connected PBX server for music-on-hold class ``name``; ``default`` (or none) is not asked: it
    is what the dialplan's ``StartMusicOnHold()`` plays without a class, whatever musiconhold.conf says."""
    kind = "music-on-hold class"
    if name.strip().lower() in ("", "default"):
        return SoundCheck(name, field, kind=kind)
    def exists(part: str, server: str | None) -> Awaitable[bool]:
        return pbx.moh_class_exists(part, server=server)   # type: ignore[union-attr]
    return await _ask_servers(pbx, name, field, (name.strip(),), kind, exists)


async def _ask_servers(pbx: PbxPort | None, value: str, field: str, parts: tuple[str, ...], kind: str,
                       exists: Callable[[str, str | None], Awaitable[bool]]) -> SoundCheck:
    """Ask each connected server whether each part of ``value`` ``exists`` there."""
    if pbx is None:
        return SoundCheck(value, field, unverified="the dialer engine is not running, so no PBX is connected",
                          kind=kind)
    health = pbx_health(pbx)
    if health is not None and not health.connected:
        return SoundCheck(value, field, unverified=f"no PBX connected: {health.describe()}", kind=kind)
    servers: tuple[str | None, ...] = health.up if health is not None else (None,)
    missing: list[tuple[str, str]] = []
    checked: list[str] = []
    reasons: list[str] = []
    for server in servers:
        answered = True
        for part in parts:
            try:
                if not await exists(part, server):
                    missing.append((part, server or "the PBX"))
            except PbxError as exc:
                answered = False
                reasons.append(str(exc))
                break
        if answered:
            checked.append(server or "the PBX")
    return SoundCheck(value, field, tuple(missing), tuple(checked), "; ".join(reasons), kind)
