"""The per-provider rate limit: GCRA arithmetic (pure), the same arithmetic in Redis, and one bucket shared by
several processes."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import redis.asyncio
from hypothesis import given
from hypothesis import strategies as st

from dialer.clock import VirtualClock
from sms.rate_limit import Rate, RedisRateLimit, hold, reserve

ROOT = Path(__file__).resolve().parents[2]


@given(per_s=st.floats(0.5, 1000), burst=st.integers(1, 50),
       gaps=st.lists(st.floats(0, 2), min_size=1, max_size=200))
def test_at_most_burst_plus_rate_times_t_messages_start_in_any_span(per_s: float, burst: int,
                                                                   gaps: list[float]) -> None:
    rate = Rate(per_s, burst)
    tat, now, starts = 0.0, 1000.0, []
    for gap in gaps:
        now += gap
        tat, wait = reserve(tat, now, rate)
        assert wait >= 0
        starts.append(now + wait)
    starts.sort()
    for i in range(len(starts)):
        for j in range(i, len(starts)):
            span = starts[j] - starts[i]
            assert j - i + 1 <= burst + rate.per_s * span + 1e-6


@given(per_s=st.floats(1, 100), n=st.integers(1, 1000))
def test_a_steady_stream_goes_at_the_rate(per_s: float, n: int) -> None:
    rate = Rate(per_s, 1)
    tat, last = 0.0, 0.0
    for _ in range(n):
        tat, wait = reserve(tat, 0.0, rate)       # everyone asks at once: each waits its turn
        last = wait
    assert abs(last - (n - 1) / per_s) < 1e-6


def test_hold_only_moves_forwards() -> None:
    assert hold(10.0, 5.0) == 10.0
    assert hold(10.0, 12.5) == 12.5


async def test_redis_runs_the_same_arithmetic(redis_url: str) -> None:
    clock = VirtualClock(start=datetime(2026, 3, 4, tzinfo=UTC))
    conn = redis.asyncio.Redis.from_url(redis_url)
    try:
        rate = Rate(20.0, 3)
        limit = RedisRateLimit(conn, provider=f"p{uuid.uuid4().hex}", rate=rate, clock=clock)
        tat = 0.0
        for step, n in [(0, 1), (0, 1), (0, 2), (0.01, 1), (0.5, 4), (0, 1), (3, 1), (0, 10)]:
            await clock.advance(step)
            expected_tat, expected_wait = reserve(tat, clock.now().timestamp(), rate, n)
            assert abs(await limit.reserve(n) - expected_wait) < 1e-5
            tat = expected_tat
        await limit.hold_for(30.0)      # a 429 with Retry-After: 30
        assert await limit.reserve(1) >= 30.0 - rate.burst / rate.per_s
    finally:
        await conn.aclose()


_TAKER = """
import asyncio, json, sys, time
import redis.asyncio
from dialer.clock import RealClock
from sms.rate_limit import Rate, RedisRateLimit

async def go():
    conn = redis.asyncio.Redis.from_url(sys.argv[1])
    limit = RedisRateLimit(conn, provider=sys.argv[2], rate=Rate(50.0, 5), clock=RealClock())
    starts = []
    end = time.time() + 2.0
    while time.time() < end:
        await limit.acquire()
        starts.append(time.time())
    await conn.aclose()
    print(json.dumps(starts))

asyncio.run(go())
"""


def test_three_processes_share_one_bucket(redis_url: str) -> None:
    provider = f"shared-{uuid.uuid4().hex}"
    procs = [subprocess.Popen([sys.executable, "-c", _TAKER, redis_url, provider], stdout=subprocess.PIPE,
                              cwd=ROOT) for _ in range(3)]
    starts = sorted(t for p in procs for t in json.loads(p.communicate(timeout=60)[0]))
    # 50/s with a burst of 5 across all three: about 100 in 2 s (each process alone would take as many)
    assert 80 <= len(starts) <= 5 + 50 * (starts[-1] - starts[0]) + 2
    for i in range(len(starts)):
        j = i
        while j + 1 < len(starts) and starts[j + 1] - starts[i] <= 1.0:
            j += 1
        assert j - i + 1 <= 5 + 50 * 1.0 + 2, "more than the rate in one second"   # 2: clock read slack
