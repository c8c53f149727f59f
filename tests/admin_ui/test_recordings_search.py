"""The recordings search: each filter (number, agent, campaign, queue, disposition, date range, length) finds
exactly its recordings, and a team lead sees only their own site's (another site's recording answers 404)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer import recordings_store as store
from dialer import sites
from dialer.users import Role
from tests.admin_ui.test_recordings_http import client_for, recorded_call, served  # noqa: F401  (a fixture)


async def _setup(services, make_user, folder):  # type: ignore[no-untyped-def]
    an = await make_user(Role.AGENT, "an")
    binh = await make_user(Role.AGENT, "binh")
    pool = services.pool
    hanoi = await sites.create_site(pool, name="Hanoi")
    sales = await pool.fetchval("INSERT INTO campaigns (name, trunk_template) VALUES ('Sales', 'Local/{digits}@c')"
                                " RETURNING id")
    north = await pool.fetchval("INSERT INTO campaigns (name, trunk_template) VALUES ('North', 'Local/{digits}@c')"
                                " RETURNING id")
    await sites.set_campaign_site(pool, campaign_id=north, site_id=hanoi.id)
    queue = await pool.fetchval("INSERT INTO inbound_queues (name) VALUES ('Support') RETURNING id")
    day = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    ids = {
        "a": (await recorded_call(pool, folder, agent_id=an.id, phone="+33612340001", campaign_id=sales,
                                  started=day, seconds=2.0))[0],
        "b": (await recorded_call(pool, folder, agent_id=binh.id, phone="+33612340002", campaign_id=sales,
                                  started=day + timedelta(days=1), seconds=6.0))[0],
        "c": (await recorded_call(pool, folder, agent_id=an.id, phone="+84912340003", campaign_id=north,
                                  started=day + timedelta(days=2), seconds=4.0))[0],
    }
    call_c = (await store.get(pool, ids["c"]))["call_record_id"]  # type: ignore[index]
    call_b = (await store.get(pool, ids["b"]))["call_record_id"]  # type: ignore[index]
    await pool.execute("UPDATE call_records SET disposition='callback' WHERE id=$1", call_b)
    ids["q"] = (await recorded_call(pool, folder, agent_id=binh.id, phone="+84912340004", started=day, seconds=3.0))[0]
    call_q = (await store.get(pool, ids["q"]))["call_record_id"]  # type: ignore[index]
    await pool.execute("UPDATE call_records SET queue_id=$2, direction='inbound' WHERE id=$1", call_q, queue)
    return ids, {"an": an.id, "binh": binh.id, "sales": sales, "north": north, "queue": queue, "hanoi": hanoi.id,
                 "day": day, "call_c": call_c}


async def test_each_filter_finds_exactly_its_recordings(services, make_user, tmp_path) -> None:
    ids, k = await _setup(services, make_user, tmp_path / "recordings")

    async def found(**filters) -> set[str]:  # type: ignore[no-untyped-def]
        rows = await store.search(services.pool, store.Search(**filters))
        names = {v: n for n, v in ids.items()}
        return {names[r["id"]] for r in rows}

    assert await found() == {"a", "b", "c", "q"}
    assert await found(number="+33 6 12 34 00 02") == {"b"}               # any form of the number
    assert await found(number="8491234") == {"c", "q"}                     # a part of it
    assert await found(agent_id=k["an"]) == {"a", "c"}
    assert await found(campaign_id=k["sales"]) == {"a", "b"}
    assert await found(queue_id=k["queue"]) == {"q"}
    assert await found(disposition="callback") == {"b"}
    assert await found(date_from=k["day"] + timedelta(days=1), date_to=k["day"] + timedelta(days=2)) == {"b"}
    assert await found(min_duration_s=3.5) == {"b", "c"}
    assert await found(max_duration_s=3.5) == {"a", "q"}
    assert await found(min_duration_s=3.5, max_duration_s=5.0) == {"c"}
    assert await found(site_id=k["hanoi"]) == {"c"}
    assert await found(site_id=sites.DEFAULT_SITE_ID) == {"a", "b", "q"}


async def test_a_team_lead_sees_only_their_sites_recordings(served, services, make_user, tmp_path) -> None:  # noqa: F811
    ids, k = await _setup(services, make_user, tmp_path / "recordings")
    lead = await make_user(Role.TEAM_LEAD, "lena")
    await sites.set_user_site(services.pool, user_id=lead.id, site_id=k["hanoi"])
    async with client_for(served, "lena") as client:
        page = await client.get("/recordings", params={"from": "2026-11-01", "to": "2026-11-30"})
        assert page.status_code == 200 and "+84912340003" in page.text
        assert "+33612340001" not in page.text and "+84912340004" not in page.text
        assert (await client.get(f"/recordings/{ids['c']}/audio")).status_code == 200
        assert (await client.get(f"/recordings/{ids['a']}/audio")).status_code == 404
        minutes = await client.get("/recordings", params={"min_s": "3", "max_s": "5", "from": "2026-11-04"})
        assert "+84912340003" in minutes.text
