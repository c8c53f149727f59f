"""Queues in PostgreSQL: a DID routes to one queue, overflows never loop, agents serve queues with a level."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from campaigns import queue_repository as repo
from campaigns.errors import NotFound
from campaigns.queues import Queue, QueueError
from dialer import users
from dialer.users import Role


def q(name: str, **settings: Any) -> Queue:
    return Queue.from_dict({"name": name, "timezone": "Asia/Ho_Chi_Minh", **settings})


def overflow_to(target: int) -> dict[str, Any]:
    return {"overflow_action": "queue", "overflow_queue_id": target, "max_wait_s": 120}


async def test_a_queue_is_stored_with_its_dids_and_vip_numbers_and_read_back_the_same(db_pool: asyncpg.Pool) -> None:
    saved = await repo.save_queue(db_pool, queue=q("Hotline", dids=["+842873001234"], priority=5),
                                  vip_numbers=["+84987654321"])
    assert saved.id > 0 and saved.created_at is not None and saved.dids == ("+842873001234",)
    assert await repo.get_queue(db_pool, queue_id=saved.id) == saved
    assert await repo.queue_for_did(db_pool, did="+842873001234") == saved
    assert await repo.queue_for_did(db_pool, did="+842873009999") is None
    assert await repo.vip_numbers(db_pool, queue_id=saved.id) == ["+84987654321"]
    changed = await repo.save_queue(db_pool, queue=saved.with_settings({"dids": ["+842873001235"]}))
    assert changed.dids == ("+842873001235",) and changed.priority == 5
    assert await repo.queue_for_did(db_pool, did="+842873001234") is None
    assert await repo.vip_numbers(db_pool, queue_id=saved.id) == ["+84987654321"]   # not given: kept


async def test_a_did_owned_by_another_queue_is_refused_naming_both_queues(db_pool: asyncpg.Pool) -> None:
    await repo.save_queue(db_pool, queue=q("Hotline", dids=["+842873001234"]))
    with pytest.raises(QueueError) as info:
        await repo.save_queue(db_pool, queue=q("VIP", dids=["+842873009999", "+84 28 7300 1234"]))
    assert str(info.value) == ("dids: +842873001234 already routes to queue 'Hotline'; a number routes to one "
                               "queue only, so queue 'VIP' cannot have it too")
    assert [x.name for x in await repo.list_queues(db_pool)] == ["Hotline"]          # nothing half saved


async def test_an_overflow_that_would_come_back_is_refused_naming_the_loop(db_pool: asyncpg.Pool) -> None:
    a = await repo.save_queue(db_pool, queue=q("A"))
    b = await repo.save_queue(db_pool, queue=q("B", **overflow_to(a.id)))
    c = await repo.save_queue(db_pool, queue=q("C", **overflow_to(b.id)))
    with pytest.raises(QueueError) as info:
        await repo.save_queue(db_pool, queue=a.with_settings(overflow_to(c.id)))
    assert str(info.value) == "overflow_queue_id: overflowing to 'C' makes a loop: A → C → B → A"
    with pytest.raises(QueueError) as unknown:
        await repo.save_queue(db_pool, queue=a.with_settings(overflow_to(99999)))
    assert unknown.value.code == "overflow_unknown"
    # a queue overflowed to cannot be deleted while it is
    with pytest.raises(QueueError) as in_use:
        await repo.delete_queue(db_pool, queue_id=a.id)
    assert str(in_use.value) == "overflow_queue_id: queue 'A' cannot be deleted while other queues overflow to it: B"
    await repo.delete_queue(db_pool, queue_id=c.id)
    with pytest.raises(NotFound):
        await repo.get_queue(db_pool, queue_id=c.id)


async def test_names_are_unique_and_a_callback_campaign_must_exist(db_pool: asyncpg.Pool) -> None:
    await repo.save_queue(db_pool, queue=q("Hotline"))
    with pytest.raises(QueueError) as taken:
        await repo.save_queue(db_pool, queue=q("Hotline"))
    assert taken.value.code == "name_taken"
    with pytest.raises(QueueError) as campaign:
        await repo.save_queue(db_pool, queue=q("Other", press1_callback=True, callback_campaign_id=424242))
    assert (campaign.value.field, campaign.value.code) == ("callback_campaign_id", "callback_campaign_unknown")


async def test_agents_serve_a_queue_with_a_skill_level_and_only_agents_may(db_pool: asyncpg.Pool) -> None:
    hotline = await repo.save_queue(db_pool, queue=q("Hotline"))
    vip = await repo.save_queue(db_pool, queue=q("VIP"))
    ann = await users.create_user(db_pool, username="ann", password="x" * 12, role=Role.AGENT)
    bob = await users.create_user(db_pool, username="bob", password="x" * 12, role=Role.AGENT)
    boss = await users.create_user(db_pool, username="boss", password="x" * 12, role=Role.TEAM_LEAD)
    rows = await repo.set_queue_agents(db_pool, queue_id=hotline.id, levels={ann.id: 4, bob.id: 9})
    assert [(r["username"], r["level"]) for r in rows] == [("bob", 9), ("ann", 4)]
    await repo.set_queue_agents(db_pool, queue_id=vip.id, levels={ann.id: 10})
    assert await repo.agent_queue_levels(db_pool, user_id=ann.id) == {hotline.id: 4, vip.id: 10}
    with pytest.raises(QueueError) as level:
        await repo.set_queue_agents(db_pool, queue_id=vip.id, levels={ann.id: 11})
    assert level.value.code == "level"
    with pytest.raises(QueueError) as not_agent:
        await repo.set_queue_agents(db_pool, queue_id=vip.id, levels={boss.id: 5})
    assert not_agent.value.code == "agent_unknown"
    assert [r["username"] for r in await repo.queue_agents(db_pool, queue_id=vip.id)] == ["ann"]



async def test_a_save_waits_for_another_in_flight_so_two_cannot_close_a_loop(db_pool: asyncpg.Pool) -> None:
    import asyncio

    a = await repo.save_queue(db_pool, queue=q("A"))
    b = await repo.save_queue(db_pool, queue=q("B"))
    async with db_pool.acquire() as first:
        held = first.transaction()
        await held.start()
        await repo.save_queue(first, queue=a.with_settings(overflow_to(b.id)))      # A -> B, not committed yet
        second = asyncio.create_task(repo.save_queue(db_pool, queue=b.with_settings(overflow_to(a.id))))
        for _ in range(200):      # the second save waits on the queue-save lock
            if await db_pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"):
                break
            await asyncio.wait([second], timeout=0.02)
        assert not second.done()
        await held.commit()
    with pytest.raises(QueueError) as info:
        await second
    assert str(info.value) == "overflow_queue_id: overflowing to 'A' makes a loop: B → A → B"
