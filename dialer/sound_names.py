"""Which sound settings Asterisk's Playback can play (pure): one rule for campaigns, queues and surveys.

Every sound a setting names reaches the dialplan as a channel variable and is played by ``Playback``
(``asterisk/extensions_dialer.conf``). Playback splits its argument on ``&`` and trims each part
(app_playback.c, ``ast_strsep(..., AST_STRSEP_STRIP | AST_STRSEP_TRIM)``), so ``a & b`` plays two sounds;
but a part it cannot open (a missing sound, a blank part) is skipped with only a warning in Asterisk's log and
``PLAYBACKSTATUS=FAILED`` (recording ``tests/recordings/q1_playback_list_trim_and_blank_part.txt``): a
safe-harbor message, an announcement or a survey question of one such part is silence, and nothing else says
so (issue 12, defect 1). A part must
therefore be a name from Asterisk's sounds folder, without extension: letters, digits, ``_``, ``.`` and ``-``
in ``/``-separated folders, no ``..`` (outside the sounds folder), no blank part (``a&&b``), no comma, quote,
``|``, ``:`` or accented letter (the dialplan's ``IF`` and ``ExecIf`` would cut the value there).
Whether the sound exists on each server is checked apart (``dialer.sound_check``).
"""

from __future__ import annotations

import re

SOUND_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")


def sound_parts(name: str) -> tuple[str, ...]:
    """The sounds Playback plays for ``name``: its ``&``-separated parts, trimmed, blanks dropped."""
    return tuple(part.strip() for part in name.split("&") if part.strip())


def unplayable_part(name: str) -> str | None:
    """The first part of the ``&`` list ``name`` that is not a sound name Playback can take (trimmed; ``""``
    for a blank part), or None when every part is one. A blank ``name`` is None: the caller decides whether
    the setting may be left empty."""
    if not name.strip():
        return None
    for part in name.split("&"):
        part = part.strip()
        if not SOUND_NAME.fullmatch(part) or ".." in part:
            return part
    return None
