"""The queues JSON API: team leads and admins only, every refusal names its field, agents with levels."""

from __future__ import annotations

from typing import Any

import pytest

from dialer.users import Role

BODY: dict[str, Any] = {
    "name": "Hotline", "dids": ["+842873001234"], "timezone": "Asia/Ho_Chi_Minh",
    "hours": {"mon": "08:00-17:00", "tue": "08:00-17:00"}, "holiday_calendar": "US",
    "strategy": "skills", "skill_steps": "0:8, 20:3", "max_wait_s": 120, "overflow_action": "voicemail",
    "voicemail_box": "100@support", "sl_target_pct": 90, "sl_threshold_s": 15,
    "vip_numbers": ["+84 987 654 321", "+84987654321"],
}


@pytest.mark.parametrize("role", [Role.AGENT, Role.COMPLIANCE])
async def test_only_team_leads_and_admins_manage_queues(api_client, role: Role) -> None:  # type: ignore[no-untyped-def]
    async with api_client(role) as client:
        assert (await client.get("/api/queues")).status_code == 403
        assert (await client.post("/api/queues", json=BODY)).status_code == 403
    async with api_client(Role.ADMIN) as admin:
        assert (await admin.post("/api/queues", json=BODY)).status_code == 201


async def test_a_team_lead_creates_changes_and_deletes_a_queue(api_client) -> None:  # type: ignore[no-untyped-def]
    async with api_client(Role.TEAM_LEAD) as client:
        created = await client.post("/api/queues", json=BODY)
        assert created.status_code == 201, created.text
        queue = created.json()
        assert queue["vip_numbers"] == ["+84987654321"] and queue["dids"] == ["+842873001234"]
        assert queue["hours"]["mon"] == "08:00-17:00" and queue["hours"]["sun"] == ""
        assert queue["announce_every_s"] is None and queue["announce_position"] is False    # off by default
        # no engine, so no PBX: the closed message could not be checked and says so
        assert queue["warnings"] == [("closed_sound: sound 'please-try-call-later' could not be checked (the dialer "
                                     "engine is not running, so no PBX is connected)")]
        url = f"/api/queues/{queue['id']}"
        patched = await client.patch(url, json={"priority": 20, "announce_every_s": 60, "announce_wait": True})
        assert patched.status_code == 200 and patched.json()["priority"] == 20
        assert patched.json()["dids"] == ["+842873001234"] and patched.json()["vip_numbers"] == ["+84987654321"]
        # Monday 2026-03-02 09:00 in Ho Chi Minh City
        opened = (await client.get(f"{url}/open", params={"at": "2026-03-02T09:00:00+07:00"})).json()
        assert opened == {"open": True, "reason": "open", "local": "2026-03-02T09:00:00+07:00",
                          "why": "open: 2026-03-02 09:00 Asia/Ho_Chi_Minh is within 08:00-17:00"}
        sunday = (await client.get(f"{url}/open", params={"at": "2026-03-01T09:00:00Z"})).json()
        assert (sunday["open"], sunday["reason"]) == (False, "no_hours")
        assert (await client.delete(url)).status_code == 204
        assert (await client.get(url)).status_code == 404


async def test_refusals_name_the_field_with_a_code_and_the_other_queue(api_client) -> None:  # type: ignore[no-untyped-def]
    async with api_client(Role.TEAM_LEAD) as client:
        first = (await client.post("/api/queues", json=BODY)).json()
        taken = await client.post("/api/queues", json={**BODY, "name": "VIP", "vip_numbers": []})
        assert taken.status_code == 422
        assert taken.json()["field"] == "dids" and taken.json()["code"] == "did_taken"
        assert "'Hotline'" in taken.json()["detail"] and "'VIP'" in taken.json()["detail"]
        for changes, field in (({"closed_sound": "a,b"}, "closed_sound"), ({"voicemail_box": "1\n2"}, "voicemail_box"),
                               ({"hours": {"mon": "9-17"}}, "hours.mon"), ({"vip_numbers": ["12"]}, "vip_numbers"),
                               ({"overflow_action": "queue", "overflow_queue_id": first["id"]}, "overflow_queue_id")):
            bad = await client.patch(f"/api/queues/{first['id']}", json=changes)
            assert (bad.status_code, bad.json()["field"]) == (422, field), bad.text
        assert (await client.get("/api/queues/99999")).status_code == 404


async def test_agents_are_assigned_to_a_queue_with_their_level(api_client, make_user) -> None:  # type: ignore[no-untyped-def]
    ann = await make_user(Role.AGENT, "ann")
    boss = await make_user(Role.TEAM_LEAD, "boss")
    async with api_client(Role.TEAM_LEAD) as client:
        queue = (await client.post("/api/queues", json=BODY)).json()
        url = f"/api/queues/{queue['id']}/agents"
        saved = await client.put(url, json={"agents": [{"user_id": ann.id, "level": 7}]})
        assert saved.json() == {"agents": [{"user_id": ann.id, "username": "ann", "level": 7}]}
        assert (await client.put(url, json={"agents": [{"user_id": ann.id, "level": 11}]})).status_code == 422
        refused = await client.put(url, json={"agents": [{"user_id": boss.id, "level": 5}]})
        assert refused.status_code == 422 and refused.json()["code"] == "agent_unknown"
        assert (await client.get(f"/api/queues/{queue['id']}")).json()["agents"][0]["level"] == 7


async def test_a_sound_missing_on_a_connected_pbx_is_refused_naming_its_field(api_client, services) -> None:  # type: ignore[no-untyped-def]
    from dialer.ami.adapter import AmiAdapter
    from dialer.ami.config import AmiServerConfig
    from dialer.clock import RealClock
    from dialer.engine import Engine
    from simulations.pbx import PbxConfig, SimulatedPbx

    pbx = SimulatedPbx(PbxConfig(seed=1, extra_sounds={"acme/closed": 2.0}))
    await pbx.start(host="127.0.0.1", port=0)
    adapter = AmiAdapter([AmiServerConfig(name="pbx1", host="127.0.0.1", port=pbx.port, username="dialer",
                                          secret="dialer-secret", max_channels=10, action_timeout_s=2.0)],
                         clock=RealClock())
    await adapter.start()
    services.extras["engine"] = Engine(pool=services.pool, pbx=adapter, clock=RealClock(), engine_id="queues")
    try:
        async with api_client(Role.TEAM_LEAD) as client:
            body = {**BODY, "closed_sound": "acme/closed", "overflow_action": "message",
                    "overflow_sound": "acme/full&please-try-call-later"}
            refused = await client.post("/api/queues", json=body)
            assert refused.status_code == 422
            assert refused.json()["detail"] == "overflow_sound: sound 'acme/full' not found on pbx1"
            assert refused.json()["field"] == "overflow_sound"
            saved = await client.post("/api/queues", json={**body, "overflow_sound": "acme/closed"})
            assert saved.status_code == 201 and saved.json()["warnings"] == []
    finally:
        services.extras.pop("engine", None)
        await adapter.close()
        await pbx.stop()
