"""Agents who are really there: when an agent's panels count as gone, heartbeats, and what a panel that
comes back is told.

The engine side (the pause, the calls that go elsewhere) is in ``tests/dialer/test_agent_presence.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from admin_ui.i18n import translator
from agents_ws.panel_strings import PANEL_KEYS
from agents_ws.session import CLOSE_SILENT
from dialer.clock import RealClock
from dialer.presence import Presence, closed, gone_at, is_gone, opened
from dialer.users import Role
from tests.agents_ws.conftest import Closed

GRACE_S = 5.0
SPEED = 5.0      # the services' clock runs 5 times faster: the grace period is 1 s of real time


# --- the pure decision -------------------------------------------------------------------------------------
def test_an_agent_with_an_open_panel_is_never_gone() -> None:
    presence = opened(Presence(), "tab-1")
    assert gone_at(presence, GRACE_S) is None
    assert not is_gone(presence, 1e9, GRACE_S)


def test_the_agent_counts_as_gone_once_its_last_panel_has_been_closed_for_the_grace_period() -> None:
    presence = closed(opened(Presence(), "tab-1"), "tab-1", last_heard=100.0)
    assert gone_at(presence, GRACE_S) == 105.0
    assert not is_gone(presence, 104.9, GRACE_S)
    assert is_gone(presence, 105.0, GRACE_S)


def test_closing_one_of_two_tabs_keeps_the_agent_there() -> None:
    presence = opened(opened(Presence(), "tab-1"), "tab-2")
    presence = closed(presence, "tab-1", last_heard=100.0)
    assert not is_gone(presence, 1000.0, GRACE_S)
    presence = closed(presence, "tab-2", last_heard=200.0)
    assert gone_at(presence, GRACE_S) == 205.0


def test_a_panel_back_within_the_grace_period_means_the_agent_never_left() -> None:
    presence = closed(opened(Presence(), "tab-1"), "tab-1", last_heard=100.0)
    presence = opened(presence, "tab-2")          # the browser reconnected: a new panel
    assert not is_gone(presence, 1000.0, GRACE_S)


def test_a_silent_panel_counts_from_when_it_was_last_heard_and_a_second_closing_changes_nothing() -> None:
    presence = closed(opened(Presence(), "tab-1"), "tab-1", last_heard=95.0)
    assert is_gone(presence, 100.0, GRACE_S)
    assert closed(presence, "tab-1", last_heard=150.0) == presence


# --- the websocket -----------------------------------------------------------------------------------------
class WatchedEngine:
    """Wraps the stand-in engine with a ``panels`` watch that records what the panel session reports."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.panels = self
        self.reports: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fake, name)

    def opened(self, agent_id: int, panel_id: str) -> None:
        self.reports.append(("opened", agent_id, panel_id))

    def closed(self, agent_id: int, panel_id: str, *, silent_s: float = 0.0) -> None:
        self.reports.append(("closed", agent_id, panel_id, silent_s))


def accelerate(services: Any, engine: Any, *, speed: float = SPEED) -> WatchedEngine:
    services.clock = RealClock(speed=speed)
    services.settings.panel_grace_s = GRACE_S
    watched = WatchedEngine(engine)
    services.extras["engine"] = watched
    return watched


async def test_a_panel_that_answers_the_heartbeats_stays_open_and_one_that_stops_is_closed_as_silent(
        panel, engine, services, make_user) -> None:
    watched = accelerate(services, engine)
    agent = await make_user(Role.AGENT)
    async with panel(agent) as ws:
        await ws.receive_type("state")
        for _ in range(9):        # 9 heartbeats, every third of the grace: three grace periods answered
            await ws.receive_type("heartbeat", timeout_s=2.0)
            await ws.send({"type": "ping"})
        assert [r[0] for r in watched.reports] == ["opened"]
        code, _ = await ws.expect_close(timeout_s=5.0)     # now silent
    assert code == CLOSE_SILENT
    (_, agent_id, panel_id), (kind, closed_agent, closed_panel, silent_s) = watched.reports
    assert (kind, closed_agent, closed_panel) == ("closed", agent.id, panel_id) and agent_id == agent.id
    assert silent_s >= GRACE_S, "a silent panel is reported gone as of when it was last heard"


async def test_closing_the_browser_reports_the_panel_closed_at_once(panel, engine, services, make_user) -> None:
    watched = accelerate(services, engine)
    agent = await make_user(Role.AGENT)
    async with panel(agent) as ws:
        await ws.receive_type("state")
    assert [r[0] for r in watched.reports] == ["opened", "closed"]
    assert watched.reports[1][3] == 0.0


async def test_each_tab_is_its_own_panel_so_closing_one_of_two_leaves_one_open(
        panel, engine, services, make_user) -> None:
    watched = accelerate(services, engine, speed=1.0)   # real time: signing in the second tab takes a while
    agent = await make_user(Role.AGENT)
    async with panel(agent) as first:
        await first.receive_type("state")
        async with panel(agent) as second:
            await second.receive_type("state")
        await first.send({"type": "ping"})
        assert (await first.receive_type("pong"))["type"] == "pong"
    opened_ids = [r[2] for r in watched.reports if r[0] == "opened"]
    closed_ids = [r[2] for r in watched.reports if r[0] == "closed"]
    assert len(set(opened_ids)) == 2 and sorted(closed_ids) == sorted(opened_ids)


async def answering(ws: Any, seen: list[dict[str, Any]]) -> None:
    """A browser tab that answers every heartbeat and keeps every message."""
    with contextlib.suppress(Closed):
        while True:
            message = await ws.receive(timeout_s=60)
            seen.append(message)
            if message["type"] == "heartbeat":
                await ws.send({"type": "ping"})


async def test_a_silent_working_tab_is_closed_and_the_other_tab_works_while_the_agent_counts_as_there(
        panel, engine, services, make_user) -> None:
    watched = accelerate(services, engine, speed=2.0)   # the grace period is 2.5 s of real time
    agent = await make_user(Role.AGENT)
    first_seen: list[dict[str, Any]] = []
    second_seen: list[dict[str, Any]] = []
    async with panel(agent) as first:
        first_tab = asyncio.create_task(answering(first, first_seen))
        async with panel(agent) as second:
            second_tab = asyncio.create_task(answering(second, second_seen))
            await asyncio.sleep(0.5)
            first_tab.cancel()          # the first tab's network is lost: it answers nothing any more
            for _ in range(100):
                if any(m["type"] == "tab" for m in second_seen):
                    break
                await asyncio.sleep(0.1)
            second_tab.cancel()
            await asyncio.gather(first_tab, second_tab, return_exceptions=True)
    hello = next(m for m in second_seen if m["type"] == "hello")
    assert hello["active"] is False, "the second tab starts read-only"
    assert {"type": "tab", "active": True, "reason": "other_closed"} in second_seen
    first_id = next(r[2] for r in watched.reports if r[0] == "opened")
    first_closed = next(r for r in watched.reports if r[0] == "closed" and r[2] == first_id)
    assert first_closed[3] >= GRACE_S
    kinds = [(r[0], r[2] == first_id) for r in watched.reports]
    assert kinds.index(("closed", True)) < kinds.index(("closed", False)), "the second tab was open meanwhile"


async def test_a_panel_that_reconnects_to_an_agent_paused_as_disconnected_is_told_why(
        panel, engine, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    campaign, _ = await make_campaign("Back", agents=[agent])
    engine.push(agent.id, state="paused", pause_reason="disconnected", campaign_id=campaign.id)
    async with panel(agent) as ws:
        state = await ws.receive_type("state")
        await ws.send({"type": "ready"})
        ready = await ws.receive_type("state")
    assert state["state"] == "paused" and state["pause_reason"] == "disconnected"
    assert state["notice"] == "paused_disconnected"
    assert ready["state"] == "ready" and "notice" not in ready
    assert ("agent_ready", agent.id) in engine.requests


def test_what_the_panel_says_about_a_disconnection_is_in_english_and_vietnamese() -> None:
    for key in ("paused_disconnected", "pause_disconnected", "phone_hung_up"):
        assert key in PANEL_KEYS
        english, vietnamese = translator("en")(key), translator("vi")(key)
        assert english != key and vietnamese != key and english != vietnamese
    assert translator("en")("paused_disconnected").startswith("Paused: your panel was disconnected")
