"""Text shown to people or kept in an audit trail never carries a server file path: ``without_paths``
keeps only the file's name ("/var/lib/dialer/dnc/national-20260101.npy" -> "national-20260101.npy").

Only absolute paths are touched; web addresses ("https://crm.example/a/b") are left alone.
"""

from __future__ import annotations

import re
from typing import Any

_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[\w.@+~-]+/)+([\w.@+~-]+)")


def without_paths(text: Any) -> Any:
    """``text`` with every absolute path replaced by its last part; anything not a string is returned as is."""
    if not isinstance(text, str):
        return text
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1), text)


def scrubbed(value: Any) -> Any:
    """``value`` (a string, or a dict/list of them, as a job's result) with ``without_paths`` on every string."""
    if isinstance(value, str):
        return without_paths(value)
    if isinstance(value, dict):
        return {k: scrubbed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrubbed(v) for v in value]
    return value
