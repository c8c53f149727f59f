"""Compliance pages for do-not-call lists, through the real app, database and Valkey."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx

from dialer.aio import wait_within
from dialer.users import Role
from dnc import repository
from dnc.lookup import check_number

PASSWORD = "correct horse battery"


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    form = (await client.get("/login")).text  # the login form carries its CSRF token
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                      "csrf_token": token})
    home = await client.get("/")
    return home.text.split('name="csrf-token" content="')[1].split('"')[0]


async def run_worker_burst(database_url: str, redis_url: str) -> None:
    """Run the real ``dialer worker --burst`` until the queue is empty."""
    env = {**os.environ, "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "dialer.cli", "worker", "--burst", env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await wait_within(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()


async def test_an_officer_adds_a_number_with_a_reason_and_it_is_blocked_and_audited(
        browser_client, make_user, services) -> None:
    officer = await make_user(Role.COMPLIANCE, "chi")
    csrf = await sign_in(browser_client, officer.username)
    response = await browser_client.post("/dnc/add", data={
        "csrf_token": csrf, "number": "06 12 34 56 78", "region": "FR", "list_name": "internal",
        "reason": "asked on the phone"})
    assert response.status_code == 303
    page = await browser_client.get(response.headers["location"])
    assert "+33612345678 may not be called: it is on internal." in page.text
    async with services.pool.acquire() as conn:
        verdict = await check_number(conn, number="+33612345678", campaign_id=None, now=services.clock.now())
        trail = await repository.audit_page(conn, number="+33612345678")
    assert verdict.blocked_by == "internal"
    assert [(r.actor, r.action, r.reason) for r in trail] == [("chi", "add", "asked on the phone")]
    audit = await browser_client.get("/dnc/audit?number=%2B33612345678")
    assert "asked on the phone" in audit.text and "chi" in audit.text


async def test_removing_a_number_needs_a_reason_and_is_audited(browser_client, make_user, services) -> None:
    officer = await make_user(Role.COMPLIANCE)
    csrf = await sign_in(browser_client, officer.username)
    await browser_client.post("/dnc/add", data={"csrf_token": csrf, "number": "+33612345678",
                                                "list_name": "internal", "reason": "complaint"})
    refused = await browser_client.post("/dnc/remove", data={"csrf_token": csrf, "number": "+33612345678",
                                                             "list_name": "internal", "reason": " "})
    assert refused.status_code == 400 and "Give a reason" in refused.text
    removed = await browser_client.post("/dnc/remove", data={"csrf_token": csrf, "number": "+33612345678",
                                                             "list_name": "internal", "reason": "added by mistake"})
    assert removed.status_code == 303 and "dnc_removed" in removed.headers["location"]
    async with services.pool.acquire() as conn:
        trail = await repository.audit_page(conn, number="+33612345678")
    assert [r.action for r in trail] == ["remove", "add"] and trail[0].reason == "added by mistake"


async def test_a_malformed_number_gives_a_clear_message_not_a_traceback(browser_client, make_user) -> None:
    officer = await make_user(Role.COMPLIANCE)
    csrf = await sign_in(browser_client, officer.username)
    response = await browser_client.post("/dnc/add", data={"csrf_token": csrf, "number": "12ab",
                                                           "list_name": "internal", "reason": "x"})
    assert response.status_code == 400
    assert "is not a valid phone number" in response.text and "Traceback" not in response.text
    check = await browser_client.get("/dnc?number=%2B1")
    assert check.status_code == 400 and "not a valid phone number" in check.text


async def test_team_leads_and_agents_cannot_reach_dnc_pages(browser_client, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    await sign_in(browser_client, lead.username)
    assert (await browser_client.get("/dnc")).status_code == 403
    assert (await browser_client.get("/dnc/audit")).status_code == 403


async def test_a_registry_import_runs_as_a_job_whose_progress_the_page_follows(
        browser_client, make_user, services, database_url, redis_url) -> None:
    services.extras["database_url"] = database_url
    officer = await make_user(Role.COMPLIANCE)
    csrf = await sign_in(browser_client, officer.username)
    content = b"+33612345678\n+33612345679\nnot a number\n+14155550123\n"
    response = await browser_client.post(
        "/dnc/import", data={"csrf_token": csrf, "list_name": "national-fr", "kind": "national"},
        files={"file": ("registry.txt", content, "text/plain")})
    assert response.status_code == 303
    job_id = response.headers["location"].split("job=")[1]
    page = await browser_client.get(response.headers["location"])
    assert f'data-job="{job_id}"' in page.text
    await run_worker_burst(database_url, redis_url)
    status = (await browser_client.get(f"/api/jobs/{job_id}")).json()
    assert status["status"] == "finished", status
    assert status["result"]["numbers"] == 3 and status["result"]["invalid"] == 1
    async with services.pool.acquire() as conn:
        verdict = await check_number(conn, number="+14155550123", campaign_id=None, now=services.clock.now())
    assert verdict.blocked_by == "national-fr"


async def test_an_import_without_a_file_is_refused_with_a_message(browser_client, make_user) -> None:
    officer = await make_user(Role.COMPLIANCE)
    csrf = await sign_in(browser_client, officer.username)
    response = await browser_client.post("/dnc/import", data={"csrf_token": csrf, "list_name": "x"},
                                         files={"file": ("", b"", "application/octet-stream")})
    assert response.status_code == 400 and "Choose a file" in response.text
