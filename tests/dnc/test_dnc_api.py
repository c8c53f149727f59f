"""The DNC JSON API: compliance manages, team leads may check and read, agents may not; clear 422s."""

from __future__ import annotations

from dialer.users import Role


async def test_compliance_adds_checks_audits_and_removes_a_number(api_client) -> None:
    async with api_client(Role.COMPLIANCE, "olga") as client:
        added = await client.post(
            "/api/dnc/entries",
            json={"number": "06 12 34 56 78", "region": "FR", "reason": "asked on the phone"},
        )
        assert added.status_code == 201, added.text
        assert added.json()["number"] == "+33612345678" and added.json()["added_by"] == "olga"
        check = (await client.get("/api/dnc/check", params={"number": "+33612345678"})).json()
        assert check["blocked"] and check["blocked_by"] == "internal"
        assert check["entries"][0]["reason"] == "asked on the phone"
        removed = await client.delete(
            "/api/dnc/entries", params={"number": "+33612345678", "reason": "mistake"}
        )
        assert removed.status_code == 200 and removed.json()["removed"]
        again = await client.delete(
            "/api/dnc/entries", params={"number": "+33612345678", "reason": "mistake"}
        )
        assert again.status_code == 404
        audit = (await client.get("/api/dnc/audit", params={"number": "+33612345678"})).json()
        assert [(a["action"], a["actor"], a["reason"]) for a in audit["items"]] == [
            ("remove", "olga", "mistake"),
            ("add", "olga", "asked on the phone"),
        ]
        export = await client.get("/api/dnc/export", params={"list": "internal"})
        assert export.status_code == 200 and export.text.startswith("number,added_by,added_at,reason")


async def test_an_invalid_number_is_a_422_that_says_why(api_client) -> None:
    async with api_client(Role.COMPLIANCE) as client:
        response = await client.post("/api/dnc/entries", json={"number": "12", "region": "FR", "reason": "x"})
        assert response.status_code == 422
        assert response.json()["detail"] == "'12' is not a valid phone number: too short"
        check = await client.get("/api/dnc/check", params={"number": "+999123"})
        assert check.status_code == 422 and "not a valid phone number" in check.json()["detail"]
        unknown = await client.post(
            "/api/dnc/entries", json={"number": "+33612345678", "list": "nope", "reason": "x"}
        )
        assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]


async def test_team_leads_may_check_but_not_change_the_lists(api_client) -> None:
    async with api_client(Role.TEAM_LEAD) as client:
        assert (await client.get("/api/dnc/check", params={"number": "+33612345678"})).status_code == 200
        assert (await client.get("/api/dnc/lists")).status_code == 200
        add = await client.post("/api/dnc/entries", json={"number": "+33612345678", "reason": "x"})
        assert add.status_code == 403
        delete = await client.delete("/api/dnc/entries", params={"number": "+33612345678", "reason": "x"})
        assert delete.status_code == 403
        assert (await client.get("/api/dnc/audit")).status_code == 403
        upload = await client.post(
            "/api/dnc/import", data={"list": "x"}, files={"file": ("a.txt", b"+33612345678\n")}
        )
        assert upload.status_code == 403


async def test_agents_may_not_even_check(api_client) -> None:
    async with api_client(Role.AGENT) as client:
        assert (await client.get("/api/dnc/check", params={"number": "+33612345678"})).status_code == 403
        assert (await client.get("/api/dnc/lists")).status_code == 403
        assert (await client.post("/api/dnc/scrub/1")).status_code == 403


async def test_admins_manage_the_lists_too(api_client) -> None:
    async with api_client(Role.ADMIN) as client:
        created = await client.post(
            "/api/dnc/lists", json={"name": "c5", "kind": "campaign", "campaign_id": 5}
        )
        assert created.status_code == 201
        names = [lst["name"] for lst in (await client.get("/api/dnc/lists")).json()]
        assert names == ["internal", "sms_optout", "c5"]


async def test_an_upload_starts_an_import_job(api_client, services) -> None:
    from dialer import jobs

    async with api_client(Role.COMPLIANCE) as client:
        response = await client.post(
            "/api/dnc/import",
            data={"list": "bloctel", "kind": "national", "region": "FR"},
            files={"file": ("bloctel.txt", b"0612345678\n")},
        )
        assert response.status_code == 202, response.text
        missing = await client.post(
            "/api/dnc/import",
            data={"list": "c1", "kind": "campaign"},
            files={"file": ("a.txt", b"+33612345678\n")},
        )
        assert missing.status_code == 422 and "campaign_id" in missing.json()["detail"]
    status = jobs.job_status(services.redis, response.json()["job_id"])
    assert status is not None and status.status == "queued" and "bloctel" in status.description


async def test_scrub_reports_what_it_removed(api_client, services) -> None:
    camp = await services.pool.fetchval(
        "INSERT INTO campaigns (name, trunk_template) VALUES ('s', 'PJSIP/{number}@t') RETURNING id"
    )
    await services.pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164) VALUES ($1, '+33612345678')", camp
    )
    async with api_client(Role.COMPLIANCE) as client:
        await client.post("/api/dnc/entries", json={"number": "+33612345678", "reason": "x"})
        report = (await client.post(f"/api/dnc/scrub/{camp}")).json()
    assert report["removed"] == 1 and report["removed_numbers"] == ["+33612345678"]
