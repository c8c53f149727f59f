"""The recording setting through the JSON API (issue 18): a campaign's and an inbound queue's ``record_mode`` (all,
share, none), ``record_share`` and ``recording_retention_days`` are read on every campaign and queue and changed
like any setting (the fields not sent keep their value); a bad one is refused with 422 naming the field, in the
reader's language too, and nothing of that request is saved."""

from __future__ import annotations

from dialer import recordings_store as store
from dialer import users
from dialer.recordings import RecordingPolicy
from dialer.users import Role

CAMPAIGN = {"name": "Card payments", "trunk_template": "Local/{number}@carrier"}
QUEUE = {"name": "Payments", "dids": ["+842873001299"]}


async def test_a_campaigns_recording_setting_is_read_and_changed_through_the_api(
        api_client, services) -> None:  # type: ignore[no-untyped-def]
    async with api_client(Role.TEAM_LEAD) as client:
        created = await client.post("/api/campaigns", json={**CAMPAIGN, "record_mode": "share", "record_share": 30,
                                                            "recording_retention_days": 60})
        assert created.status_code == 201, created.text
        campaign = created.json()
        assert (campaign["record_mode"], campaign["record_share"], campaign["recording_retention_days"]) == (
            "share", 30, 60)
        url = f"/api/campaigns/{campaign['id']}"
        assert await store.policy_of(services.pool, "campaign", campaign["id"]) == RecordingPolicy("share", 30, 60)

        # only what is sent changes: null days fall back to the global setting, the share stays
        patched = await client.patch(url, json={"recording_retention_days": None})
        assert patched.status_code == 200, patched.text
        assert (patched.json()["record_mode"], patched.json()["record_share"]) == ("share", 30)
        assert patched.json()["recording_retention_days"] is None
        read = (await client.get(url)).json()
        assert (read["record_mode"], read["record_share"], read["recording_retention_days"]) == ("share", 30, None)

        patched = await client.patch(url, json={"record_mode": "all", "recording_retention_days": "7"})
        assert (patched.json()["record_mode"], patched.json()["record_share"]) == ("all", None)
        assert await store.policy_of(services.pool, "campaign", campaign["id"]) == RecordingPolicy("all", 0, 7)


async def test_a_bad_recording_setting_is_refused_naming_the_field_and_nothing_is_saved(
        api_client, services) -> None:  # type: ignore[no-untyped-def]
    async with api_client(Role.TEAM_LEAD) as client:
        campaign = (await client.post("/api/campaigns", json={**CAMPAIGN, "record_mode": "all"})).json()
        url = f"/api/campaigns/{campaign['id']}"
        for body, field in [({"record_mode": "share", "record_share": 150}, "record_share"),
                            ({"record_mode": "share"}, "record_share"),               # a share needs its percent
                            ({"record_mode": "sometimes"}, "record_mode"),
                            ({"recording_retention_days": 0}, "recording_retention_days"),
                            ({"recording_retention_days": "a month"}, "recording_retention_days")]:
            refused = await client.patch(url, json={**body, "name": "Renamed"})
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["field"] == field and refused.json()["detail"].startswith(f"{field}: ")
        assert (await client.get(url)).json()["name"] == "Card payments"                  # nothing saved
        assert await store.policy_of(services.pool, "campaign", campaign["id"]) == RecordingPolicy("all")
        before = (await client.get("/api/campaigns")).json()
        refused = await client.post("/api/campaigns", json={**CAMPAIGN, "name": "Never", "record_share": 5,
                                                            "record_mode": "share", "recording_retention_days": -1})
        assert refused.status_code == 422 and refused.json()["field"] == "recording_retention_days"
        assert len((await client.get("/api/campaigns")).json()) == len(before)           # not created

        await users.update_user(services.pool, user_id=client.user.id, language="vi")
        refused = await client.patch(url, json={"record_mode": "share", "record_share": 100})
        assert refused.json()["message"] == "Tỷ lệ ghi âm (%): hãy nhập số phần trăm nguyên từ 1 đến 99."


async def test_a_campaign_with_the_old_record_calls_flag_and_no_setting_reads_as_all(
        api_client) -> None:  # type: ignore[no-untyped-def]
    async with api_client(Role.TEAM_LEAD) as client:
        old = (await client.post("/api/campaigns", json={**CAMPAIGN, "record_calls": True})).json()
        assert old["record_mode"] == "all"
        plain = (await client.post("/api/campaigns", json={**CAMPAIGN, "name": "Plain"})).json()
        assert plain["record_mode"] == "none"


async def test_a_queues_recording_setting_is_read_changed_and_refused_naming_the_field(
        api_client, services) -> None:  # type: ignore[no-untyped-def]
    async with api_client(Role.TEAM_LEAD) as client:
        created = await client.post("/api/queues", json={**QUEUE, "record_mode": "all", "recording_retention_days": 7})
        assert created.status_code == 201, created.text
        queue = created.json()
        assert (queue["record_mode"], queue["recording_retention_days"]) == ("all", 7)
        url = f"/api/queues/{queue['id']}"
        patched = await client.patch(url, json={"priority": 20, "record_mode": "share", "record_share": 25})
        assert patched.status_code == 200, patched.text
        assert (patched.json()["record_mode"], patched.json()["record_share"]) == ("share", 25)
        assert patched.json()["recording_retention_days"] == 7 and patched.json()["priority"] == 20
        assert await store.policy_of(services.pool, "queue", queue["id"]) == RecordingPolicy("share", 25, 7)

        refused = await client.patch(url, json={"priority": 30, "record_share": 0})
        assert refused.status_code == 422 and refused.json()["field"] == "record_share"
        assert (await client.get(url)).json()["priority"] == 20                          # nothing saved
        assert (await client.get(url)).json()["record_share"] == 25
