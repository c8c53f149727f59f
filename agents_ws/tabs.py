"""One active panel per agent: the first tab works, later tabs of the same agent are read-only.

A read-only tab sees the state but cannot act, so two tabs never both take or close calls; it can
``take_over``, which makes the other tab read-only. When the active tab closes, the oldest other
tab becomes active. (Per web process: run the panel's websockets in one process, or pin agents.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Notify = Callable[[dict[str, Any]], Awaitable[None]]


class TabRegistry:
    def __init__(self) -> None:
        self._tabs: dict[int, dict[str, Notify]] = {}     # user id -> tab id -> notify, oldest first
        self._active: dict[int, str] = {}

    def open(self, user_id: int, tab_id: str, notify: Notify) -> bool:
        """Register a tab; True when it is the active one."""
        self._tabs.setdefault(user_id, {})[tab_id] = notify
        if user_id not in self._active:
            self._active[user_id] = tab_id
        return self._active[user_id] == tab_id

    def is_active(self, user_id: int, tab_id: str) -> bool:
        return self._active.get(user_id) == tab_id

    async def take_over(self, user_id: int, tab_id: str) -> None:
        previous = self._active.get(user_id)
        self._active[user_id] = tab_id
        if previous and previous != tab_id and previous in self._tabs.get(user_id, {}):
            await self._tabs[user_id][previous]({"type": "tab", "active": False, "reason": "taken_over"})
        await self._tabs[user_id][tab_id]({"type": "tab", "active": True, "reason": "taken_over"})

    async def close(self, user_id: int, tab_id: str) -> None:
        tabs = self._tabs.get(user_id, {})
        tabs.pop(tab_id, None)
        if self._active.get(user_id) != tab_id:
            return
        del self._active[user_id]
        if tabs:
            successor = next(iter(tabs))
            self._active[user_id] = successor
            await tabs[successor]({"type": "tab", "active": True, "reason": "other_closed"})
        else:
            self._tabs.pop(user_id, None)
