"""A rate limit per provider that holds across every rq worker: GCRA (a token bucket kept as one number) in Redis.

The whole state of a provider's limit is its *theoretical arrival time* ``tat`` (seconds, on the one clock's
wall time): the moment the bucket would be full again. Taking ``n`` messages at ``now`` reserves the slots
``[max(tat, now), max(tat, now) + n / rate)``; the caller waits until its slots are within the burst:

    start = max(tat, now);  tat' = start + n / rate;  wait = max(0, tat' - now - burst / rate)

So at most ``burst + rate * T`` messages start in any span of ``T`` seconds, whichever worker takes them
(Generic Cell Rate Algorithm, ITU-T I.371; equivalent to a token bucket of ``burst`` tokens refilled at
``rate`` per second). ``reserve`` is that arithmetic, pure; ``RedisRateLimit`` runs the same arithmetic
inside Redis (a Lua script, atomic), with ``now`` taken from the ``Clock`` passed in, so every worker shares
one bucket. A provider's 429 with ``Retry-After`` pushes ``tat`` forward (``hold``): every worker then waits,
not just the one that was told.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio

from dialer.clock import Clock


@dataclass(frozen=True, slots=True)
class Rate:
    per_s: float            # messages per second, sustained
    burst: int = 1          # messages that may start at once after a quiet spell

    def __post_init__(self) -> None:
        if not self.per_s > 0:
            raise ValueError(f"a rate limit needs a positive rate, got {self.per_s}")
        if self.burst < 1:
            raise ValueError(f"a rate limit needs a burst of at least 1, got {self.burst}")


def reserve(tat: float, now: float, rate: Rate, n: int = 1) -> tuple[float, float]:
    """``(new tat, seconds to wait before sending)`` for ``n`` messages taken at ``now``."""
    start = max(tat, now)
    new_tat = start + n / rate.per_s
    return new_tat, max(0.0, new_tat - now - rate.burst / rate.per_s)


def hold(tat: float, until: float) -> float:
    """The new ``tat`` when a provider asked everyone to wait until ``until``: nothing starts before it."""
    return max(tat, until)


# The same arithmetic as ``reserve`` and ``hold``, atomic in Redis. Numbers travel as strings (Lua numbers
# returned to Redis would be cut to integers). The key expires once the bucket is full again.
_RESERVE = """
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local now, per_s, burst, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local start = math.max(tat, now)
local new_tat = start + n / per_s
local wait = math.max(0, new_tat - now - burst / per_s)
redis.call('SET', KEYS[1], string.format('%.6f', new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 60000)
return string.format('%.6f', wait)
"""
_HOLD = """
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local now, untl = tonumber(ARGV[1]), tonumber(ARGV[2])
local new_tat = math.max(tat, untl)
redis.call('SET', KEYS[1], string.format('%.6f', new_tat), 'PX', math.ceil(math.max(0, new_tat - now) * 1000) + 60000)
return string.format('%.6f', new_tat)
"""


class RedisRateLimit:
    """One provider's limit, shared by every process that names the same ``provider`` on the same Redis."""

    def __init__(self, connection: redis.asyncio.Redis, *, provider: str, rate: Rate, clock: Clock) -> None:
        self.key = f"dialer:sms:rate:{provider}"
        self.rate = rate
        self.clock = clock
        self._reserve = connection.register_script(_RESERVE)
        self._hold = connection.register_script(_HOLD)

    async def reserve(self, n: int = 1) -> float:
        """Reserve ``n`` messages; returns the seconds to wait before sending them."""
        now = self.clock.now().timestamp()
        return float(await self._reserve(keys=[self.key], args=[repr(now), repr(self.rate.per_s), self.rate.burst, n]))

    async def hold_for(self, seconds: float) -> None:
        """Nothing starts for ``seconds`` from now, in any worker (a provider's ``Retry-After``)."""
        now = self.clock.now().timestamp()
        await self._hold(keys=[self.key], args=[repr(now), repr(now + max(0.0, seconds))])

    async def acquire(self, n: int = 1) -> None:
        """Reserve ``n`` messages and wait (on the clock) until they may start."""
        wait = await self.reserve(n)
        if wait > 0:
            await self.clock.sleep(wait)
