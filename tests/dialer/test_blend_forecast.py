"""A blending campaign's pacer is told the inbound callers its queues expect (issue 15), from their records: the
staffing forecast (same weekday, same 15 minutes, mean over the last four weeks), summed over the queues its
agents serve, on the pacer's clock, with the clock hours of the first queue's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from campaigns import queue_repository
from campaigns.model import Campaign
from campaigns.queues import Queue
from dialer import inbound_forecast
from dialer.clock import VirtualClock
from dialer.runner import CampaignRunner
from pacing import PredictivePacer, make_pacer
from tests.campaigns.test_queue_stats import add_inbound
from tests.dialer.test_agent_history import idle_engine

NOW = datetime(2026, 12, 7, 1, 40, tzinfo=UTC)            # Monday 08:40 in Ho Chi Minh City
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


async def _queue(pool, name: str, zone: str) -> Queue:  # type: ignore[no-untyped-def]
    return await queue_repository.save_queue(pool, queue=Queue.from_dict(
        {"name": name, "timezone": zone, "sl_target_pct": 90, "sl_threshold_s": 15}))


async def test_the_pacer_expects_its_queues_monday_nine_oclock_peak_before_a_caller_arrives(db_pool) -> None:  # type: ignore[no-untyped-def]
    hotline, vip, other = (await _queue(db_pool, "Hotline", "Asia/Ho_Chi_Minh"), await _queue(db_pool, "VIP", "UTC"),
                           await _queue(db_pool, "Not ours", "UTC"))
    nine = datetime(2026, 12, 7, 9, 0, tzinfo=HCM)
    for weeks, count in ((1, 36), (2, 18)):         # the hotline: 36 and 18 callers at 09:00 on the last Mondays
        for i in range(count):
            await add_inbound(db_pool, queue_id=hotline.id, at=nine - timedelta(weeks=weeks, seconds=-20 * i),
                              outcome="handled", waited_s=3)
    for queue in (vip, other):                      # 9 callers each at 09:05 a week ago
        for i in range(9):
            await add_inbound(db_pool, queue_id=queue.id, at=nine - timedelta(weeks=1, seconds=-300 - 20 * i),
                              outcome="handled", waited_s=3)
    clock = VirtualClock(start=NOW, monotonic_start=5000.0)
    engine = idle_engine(db_pool, clock)
    runner = CampaignRunner(engine, Campaign(id=3, name="Blend", trunk_template="PJSIP/{number}@t"), leads=None,  # type: ignore[arg-type]
                            dnc=None)
    runner.blend_queues, runner.service_level = frozenset({hotline.id, vip.id}), (0.9, 15.0)
    runner.pacer = pacer = make_pacer("predictive", target_abandon=0.03, service_level=(0.9, 15.0))
    assert isinstance(pacer, PredictivePacer) and pacer.blend is not None
    await runner.forecast_inbound()
    at_nine = 5000.0 + (nine - NOW).total_seconds()       # 20 minutes ahead on the pacer's clock
    forecast = pacer.blend.forecast
    assert forecast.peak(at_nine, 0.0) == (36 + 18) / 2 / 900 + 9 / 900       # both queues, not the third
    assert forecast.peak(5000.0, 60.0) == 0.0                                   # nothing known at 08:40
    assert forecast.peak(5000.0, 1200.0) == forecast.peak(at_nine, 0.0)         # the peak within 20 minutes
    assert pacer.hour_origin_s == 5000.0 - 40 * 60                              # 08:00 in Ho Chi Minh City
    assert pacer.blend.windows.clock.origin_s == pacer.hour_origin_s
    assert runner._forecast_due == 5000.0 + inbound_forecast.REFRESH_S              # told again in 15 minutes
    # a pacer that does not blend is told nothing
    plain = make_pacer("predictive", target_abandon=0.03)
    assert await inbound_forecast.tell_pacer(plain, db_pool, {hotline.id}, wall=engine.wall) == 0
