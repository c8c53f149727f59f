"""An agent's calls and talk time "today" (panel, wallboard) start again at midnight in the zone of the
agent's campaign, not at the engine's start or sign-in."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dialer.agents import Agent, AgentState, day_in
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.campaign_view import CampaignView
from dialer.clock import VirtualClock
from dialer.engine import Engine


def test_the_day_is_the_calendar_day_in_the_campaigns_zone() -> None:
    evening_utc = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    assert day_in(evening_utc, "Asia/Ho_Chi_Minh") == date(2026, 3, 3)     # 00:30 there
    assert day_in(evening_utc, "Europe/Prague") == date(2026, 3, 2)
    assert day_in(evening_utc, "Not/AZone") == date(2026, 3, 2)            # unknown zone: UTC


async def test_an_agents_counters_start_again_at_midnight_in_its_campaigns_zone(db_pool) -> None:
    clock = VirtualClock(start=datetime(2026, 3, 2, 16, 50, tzinfo=UTC))   # 23:50 in Ho Chi Minh City
    unstarted = AmiAdapter([AmiServerConfig(name="pbx", host="127.0.0.1", port=5038, username="u", secret="s",
                                           max_channels=10)],
                           clock=clock)   # never started: this test sends nothing to a PBX
    engine = Engine(pool=db_pool, pbx=unstarted, clock=clock, engine_id="day-test")
    engine.campaigns[1] = CampaignView(id=1, name="Hà Nội", timezone="Asia/Ho_Chi_Minh")
    engine.agents[7] = Agent(agent_id=7, state=AgentState.READY, calls_today=12, talk_s=3600.0)
    engine.agent_campaign[7] = 1
    engine.roll_days()
    assert engine.agent_state(7)["calls_today"] == 12          # still the same day there
    await clock.advance(15 * 60)                               # 00:05 there
    engine.roll_days()
    view = engine.agent_state(7)
    assert (view["calls_today"], view["talk_s"]) == (0, 0)
    assert engine.agents[7].state is AgentState.READY          # only the counters change
    engine.roll_days()
    assert engine.agents[7].calls_today == 0
