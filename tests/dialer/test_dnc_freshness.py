"""The engine's DNC data may go unconfirmed for 10 real seconds before every check fails closed, whatever the
clock's speed: a stale snapshot means a lost database link, a wall-clock matter. At 20x the 10 s had been half
a real second, which a loaded machine missed, and calls were refused as ``dnc_unknown`` in tests of other things.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialer.clock import RealClock
from dialer.system import run_system
from dnc.errors import DncUnavailable
from simulations.pbx import PbxConfig


@pytest.mark.parametrize("speed", [1.0, 20.0])
async def test_the_dnc_data_may_go_unconfirmed_ten_real_seconds_at_any_clock_speed(
        services, database_url, speed: float) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    services.clock = RealClock(speed=speed)
    services.settings.speed = speed
    async with run_system(services, sim_config=PbxConfig(speed=speed, seed=1), engine_id="dnc-fresh") as system:
        await system.dnc.wait_loaded()
        assert system.dnc.max_stale_s == pytest.approx(10.0 * speed)
        now = services.clock.now()
        assert system.dnc.is_blocked("+15550001111", campaign_id=None, now=now) is None
        # past its allowance the check still fails closed
        system.dnc._confirmed_at = services.clock.monotonic() - 10.5 * speed
        with pytest.raises(DncUnavailable, match="not confirmed"):
            system.dnc.is_blocked("+15550001111", campaign_id=None, now=now + timedelta(seconds=1))
