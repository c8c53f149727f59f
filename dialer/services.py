"""The running system's shared handles, built once by the composition root and passed down.

Web routes reach them as ``request.app.state.services``; jobs and commands build their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
import redis

from dialer.clock import Clock
from dialer.settings import Settings


@dataclass
class Services:
    settings: Settings
    pool: asyncpg.Pool
    redis: redis.Redis
    clock: Clock
    # filled in by later layers when they are running in this process (engine, DNC index, PBX adapter)
    extras: dict[str, Any] = field(default_factory=dict)
