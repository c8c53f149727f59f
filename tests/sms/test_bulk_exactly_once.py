"""Done-when of issue 16, at CI size: a bulk send to the simulated provider with faults on (429 with Retry-After,
5xx, timeouts, delivery reports sent twice) and a worker killed with SIGKILL in the middle, another finishing:
every message reaches the provider exactly once (its own log), opt-outs and quiet hours are respected, the
throughput reaches the rate limit, and a STOP reaches the opt-out list in under 5 s, after which no message
goes to that number. The same code sends 100,000 in ``benchmarks/bench_sms.py --part bulk``."""

from __future__ import annotations

import asyncpg
import pytest

from dialer.services import Services
from simulations.sms_bulk_run import run_bulk


@pytest.mark.slow
async def test_a_bulk_send_with_faults_and_a_killed_worker_sends_every_message_exactly_once(
        services: Services, db_pool: asyncpg.Pool, database_url: str, redis_url: str) -> None:
    services.extras.update(database_url=database_url, redis_url=redis_url)
    result = await run_bulk(services, messages=1500, rate_per_s=60.0, workers=2, kill_after=500, lease_s=5.0,
                            stop_share=0.005, http_429=0.003, http_5xx=0.01, timeout=0.005, deadline_s=150,
                            say=print)
    print(result)
    quiet, opted, stopped = 30, 15, 5
    assert result.killed_worker
    assert result.duplicates == 0
    assert result.sendable == 1500 - quiet - opted
    assert result.accepted == result.log_total == result.sendable - stopped
    assert result.to_opted_out == 0 and result.to_quiet == 0
    handed = {k: v for k, v in result.statuses.items() if k in ("queued", "sent", "delivered", "undelivered")}
    assert sum(handed.values()) == result.accepted
    assert result.statuses["refused"] == opted + stopped and result.statuses["pending"] == quiet
    assert result.reasons.get("sms_opted_out") == opted + stopped and result.reasons["sms_quiet_hours"] == quiet
    stats = result.sim_stats
    assert stats["faults"]["http_5xx"] > 0 and stats["faults"]["timeout"] > 0
    assert stats["reports_duplicated"] > 0
    assert result.best_10s_per_s >= 0.9 * result.rate_per_s, "the send never reached its rate limit"
    assert result.mid_send_stops == stopped and result.mid_send_stop_max_s < 5.0
    assert result.mid_send_stops_refused == stopped and result.mid_send_stops_sent == 0
    assert result.stopped_numbers_refused == result.stop_replies_landed >= stopped and result.stopped_numbers_sent == 0
    assert result.ok()
