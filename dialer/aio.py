"""Small asyncio helpers the standard library gets wrong on the Python this project supports.

``asyncio.wait_for`` on Python 3.11 swallows a cancel that arrives while the awaited thing has just
finished (CPython gh-86296): the cancelled task gets the result and carries on. A reader loop built on it
(a websocket, an AMI reply) then never stops, and whoever awaits its cancel waits forever; that is how a
CI run hung 300 s in a test whose panel "stopped". ``asyncio.timeout`` has no such gap, and ruff's
banned-api rule (TID251, in pyproject.toml) keeps ``asyncio.wait_for`` out of the code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def wait_within(awaitable: Awaitable[T], timeout: float | None) -> T:
    """``await awaitable`` with a deadline of ``timeout`` seconds (``None``: none): ``TimeoutError`` past it,
    and a cancel of the caller is always a cancel, never a result."""
    async with asyncio.timeout(timeout):
        return await awaitable
