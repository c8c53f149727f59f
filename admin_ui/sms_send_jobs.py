"""The sends page's background work: a send's estimate as an rq job, off the web process's event loop.

``sms.bulk.estimate`` renders and counts every recipient's message (about 100,000 recipients in 8 s on the test
machine): in the web process that would stall the engine and the agents' websockets sharing its event loop, so
the page enqueues ``estimate_job`` and shows its progress (``dialer.jobs``, ``/api/jobs/{id}``), then the figures.
"""

from __future__ import annotations

import asyncio
from typing import Any


def estimate_job(database_url: str, send_id: int, price_per_part: float) -> dict[str, Any]:
    """rq entry point: estimate the send (the result is stored on the send by ``sms.bulk.estimate``)."""
    from dialer import db
    from dialer.clock import RealClock
    from dialer.jobs import report_progress
    from sms import bulk

    async def go() -> dict[str, Any]:
        pool = await db.create_pool(database_url, min_size=1, max_size=2)
        try:
            report_progress(0, None)
            est = await bulk.estimate(pool, send_id=send_id, now=RealClock().now(), price_per_part=price_per_part)
        finally:
            await pool.close()
        return {"send_id": send_id, "recipients": est.recipients, "total_parts": est.total_parts,
                "summary": f"{est.recipients} → {est.total_parts}"}

    return asyncio.run(go())
