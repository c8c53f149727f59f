"""A blended team for end-to-end tests: two inbound queues (a VIP line and a hotline) served by a campaign's
agents, the service-level rule the README states, and a witness on the simulated PBX that no agent's conference
ever holds two customers at once. Shared by ``test_blended_e2e.py`` and ``test_blended_crash_e2e.py``."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import asyncpg

from campaigns import queue_repository
from campaigns.queues import DAY_NAMES, Queue
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import ConferenceUpdate

VIP_DID, MAIN_DID = "+842873009001", "+842873009000"
VIP_NUMBERS = tuple(f"+8490100{i:04d}" for i in range(40))
OUTBOUND = CustomerModel(connect_rate=0.45, machine_rate=0.06, busy_rate=0.10, congestion_rate=0.02,
                         invalid_rate=0.02, ring=LogNormal(5.0, 0.4), talk=LogNormal(40.0, 0.5),
                         patience=LogNormal(6.0, 0.5), no_answer_s=15.0)


async def blended_queues(pool: asyncpg.Pool, agent_ids: Sequence[int]) -> tuple[Queue, Queue]:
    """The VIP line (VIP numbers, priority 60 + 40, 90 % in 20 s) and the hotline (80 % in 30 s), open around the
    clock, both served by ``agent_ids`` at level 5."""
    hours = {d: "00:00-24:00" for d in DAY_NAMES}
    vip = await queue_repository.save_queue(pool, queue=Queue.from_dict(
        {"name": "VIP line", "dids": [VIP_DID], "hours": hours, "priority": 60, "vip_priority": 40,
         "sl_target_pct": 90, "sl_threshold_s": 20}), vip_numbers=list(VIP_NUMBERS))
    main = await queue_repository.save_queue(pool, queue=Queue.from_dict(
        {"name": "Hotline", "dids": [MAIN_DID], "hours": hours, "sl_target_pct": 80, "sl_threshold_s": 30}))
    for queue in (vip, main):
        await queue_repository.set_queue_agents(pool, queue_id=queue.id, levels={a: 5 for a in agent_ids})
    return vip, main


def service_level(waits: list[tuple[str, float]], answer_s: float) -> float:
    """Answered within ``answer_s`` over answered plus hung up after it (a caller who gave up sooner is not
    counted), as the README says."""
    good = sum(1 for outcome, w in waits if outcome == "handled" and w <= answer_s)
    counted = sum(1 for outcome, w in waits if outcome == "handled" or w > answer_s)
    return good / counted if counted else 1.0


async def inbound_settled(pool: asyncpg.Pool, callers: Counter[tuple[str, str]]) -> bool:
    """Every caller placed (caller number, DID) has its closed record (the record's leg id is the engine's own)."""
    rows = await pool.fetch("SELECT phone_e164, did FROM call_records WHERE direction = 'inbound'"
                            " AND outcome IS NOT NULL AND waited_s IS NOT NULL")
    return Counter((r["phone_e164"], r["did"]) for r in rows) >= callers


class ConferenceWitness:
    """Watches the simulated PBX's conferences (``sim.on_conference(witness)``): ``two_at_once`` lists every
    moment an agent's conference held two customers or callers."""

    def __init__(self) -> None:
        self.callers_in: dict[str, set[str]] = defaultdict(set)   # conference -> customer or inbound legs in it now
        self.two_at_once: list[tuple[str, set[str]]] = []

    def __call__(self, update: ConferenceUpdate) -> None:
        if update.kind == "agent":
            return
        legs = self.callers_in[update.conference]
        (legs.add if update.joined else legs.discard)(update.uniqueid)
        if len(legs) > 1:
            self.two_at_once.append((update.conference, set(legs)))
