"""The campaigns JSON API: roles, settings, state changes, list upload to rejects report, leads, callbacks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from rq.job import Job

from dialer.services import Services
from dialer.users import Role

BODY = {"name": "Relance", "trunk_template": "PJSIP/{number}@carrier", "default_region": "FR",
        "timezone": "Europe/Paris", "window_profile": "france", "dial_mode": "predictive",
        "crm_url_template": "https://crm.example/c?tel={phone}&id={Client}"}


@pytest.mark.parametrize("role", [Role.AGENT, Role.COMPLIANCE])
async def test_only_team_leads_and_admins_manage_campaigns(api_client, role: Role) -> None:  # type: ignore[no-untyped-def]
    async with api_client(role) as client:
        assert (await client.post("/api/campaigns", json=BODY)).status_code == 403
        assert (await client.get("/api/campaigns")).status_code == 403
    async with api_client(Role.ADMIN) as admin:
        assert (await admin.post("/api/campaigns", json=BODY)).status_code == 201


async def test_team_lead_creates_updates_and_moves_a_campaign_through_its_states(api_client) -> None:  # type: ignore[no-untyped-def]
    async with api_client(Role.TEAM_LEAD) as client:
        created = (await client.post("/api/campaigns", json=BODY)).json()
        assert (created["state"], created["dial_mode"], created["window_profile"]) == ("draft", "predictive", "france")
        url = f"/api/campaigns/{created['id']}"
        patched = await client.patch(url, json={"caller_id": "+33100000000", "amd_enabled": True})
        assert patched.json()["caller_id"] == "+33100000000" and patched.json()["amd_enabled"] is True
        bad = await client.patch(url, json={"trunk_template": "PJSIP/nothing"})
        assert bad.status_code == 422 and "{number}" in bad.json()["detail"]
        assert (await client.post(f"{url}/state", json={"state": "running"})).json()["state"] == "running"
        assert (await client.post(f"{url}/state", json={"state": "finished"})).status_code == 200
        refused = await client.post(f"{url}/state", json={"state": "running"})
        assert refused.status_code == 409 and "finished" in refused.json()["detail"]
        assert (await client.get("/api/campaigns/99999")).status_code == 404


async def test_upload_imports_through_the_job_and_serves_the_rejects_report(  # type: ignore[no-untyped-def]
        api_client, services: Services, database_url: str) -> None:
    services.extras["database_url"] = database_url
    async with api_client(Role.TEAM_LEAD) as client:
        campaign = (await client.post("/api/campaigns", json=BODY)).json()
        base = f"/api/campaigns/{campaign['id']}"
        data = "Tel;Prénom;Client\n06 12 34 56 78;Éloïse;C1\nfoo;Bad;C2\n0612345678;Dup;C3\n".encode("cp1252")
        started = await client.post(f"{base}/lists", files={"file": ("clients.csv", data, "text/csv")},
                                    data={"mapping": "phone=Tel,first_name=Prénom"})
        assert started.status_code == 202
        job = Job.fetch(started.json()["job_id"], connection=services.redis)
        counts = await asyncio.to_thread(job.func, *job.args, **job.kwargs)
        assert (counts["imported"], counts["invalid"], counts["duplicate_file"]) == (1, 1, 1)
        listed = (await client.get(started.json()["list_url"])).json()
        assert listed["status"] == "ready" and listed["counts"]["imported"] == 1
        assert not list((services.settings.data_dir / "uploads").iterdir())     # the upload is removed
        report = await client.get(listed["rejects_url"])
        assert report.status_code == 200
        # a reason that starts with "+" is quoted like any formula-like cell (safe exports)
        assert report.text.splitlines()[1:] == [
            "3,invalid,not a phone number: foo,foo;Bad;C2,not_a_number",
            "4,duplicate_file,'+33612345678 already on line 2,0612345678;Dup;C3,duplicate_in_file"]
    async with api_client(Role.AGENT) as agent:
        assert (await agent.get(f"{base}/leads")).status_code == 403           # not assigned yet
        async with api_client(Role.TEAM_LEAD) as lead_user:
            await lead_user.put(f"{base}/agents", json={"user_ids": [agent.user.id]})
        found = (await agent.get(f"{base}/leads", params={"q": "éloïse"})).json()["leads"]
        assert [lead["phone"] for lead in found] == ["+33612345678"]
        assert found[0]["crm_url"] == "https://crm.example/c?tel=%2B33612345678&id=C1"
        assert (await agent.post(f"{base}/lists", files={"file": ("x.csv", b"phone\n", "text/csv")})).status_code == 403
        callback = await agent.post(f"{base}/callbacks", json={"lead_id": found[0]["id"],
                                                               "local_time": "2026-03-02T15:30:00"})
        assert callback.status_code == 201
        assert callback.json()["due_at"] == "2026-03-02T14:30:00Z"          # 15:30 in Paris (UTC+1)
        assert callback.json()["agent_id"] == agent.user.id
        mine = (await agent.get(f"{base}/callbacks", params={"mine": "true"})).json()
        assert [cb["id"] for cb in mine] == [callback.json()["id"]]
        lead = (await agent.get(f"{base}/leads/{found[0]['id']}")).json()
        assert lead["status"] == "callback"
        assert datetime.fromisoformat(lead["next_attempt_at"]) == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


async def test_assigning_agents_checks_the_users_exist(api_client, make_user) -> None:  # type: ignore[no-untyped-def]
    agent = await make_user(Role.AGENT)
    async with api_client(Role.TEAM_LEAD) as client:
        campaign = (await client.post("/api/campaigns", json=BODY)).json()
        url = f"/api/campaigns/{campaign['id']}/agents"
        assert (await client.put(url, json={"user_ids": [agent.id]})).json() == {"user_ids": [agent.id]}
        assert (await client.put(url, json={"user_ids": [agent.id, 424242]})).status_code == 422
