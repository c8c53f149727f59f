"""Team leads' campaign pages: create and edit with clear messages, state changes, agents, list upload."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx

from admin_ui.routes.pages_campaign_form import NEW_CAMPAIGN, form_values
from campaigns import repository
from campaigns.model import CampaignState
from dialer.aio import wait_within
from dialer.users import Role

PASSWORD = "correct horse battery"


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    form = (await client.get("/login")).text  # the login form carries its CSRF token
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                      "csrf_token": token})
    home = await client.get("/")
    return home.text.split('name="csrf-token" content="')[1].split('"')[0]


def campaign_form(csrf: str, **changes: object) -> dict[str, str]:
    values = {k: ("1" if v is True else "" if v is False else str(v)) for k, v in form_values(NEW_CAMPAIGN).items()}
    values.update({k: str(v) for k, v in changes.items()})
    return {"csrf_token": csrf, **values}


async def run_worker_burst(database_url: str, redis_url: str) -> None:
    env = {**os.environ, "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "dialer.cli", "worker", "--burst", env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await wait_within(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()


async def test_a_team_lead_creates_a_campaign_with_a_custom_window_and_retry_policy(
        browser_client, make_user, services) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    form = (await browser_client.get("/campaigns/new")).text      # every holiday calendar the engine knows
    assert all(f"<option >{code}</option>" in form for code in ("FR", "US", "VN", "CN", "RU", "CZ"))
    response = await browser_client.post("/campaigns/new", data=campaign_form(
        csrf, name="Tết promotion", dial_mode="predictive", target_abandon_pct="2.5", default_region="VN",
        timezone="Asia/Ho_Chi_Minh", window_profile="custom", custom_mon="08:00-11:30, 13:30-20:00",
        custom_max_attempts="3", retry_busy_min="10", retry_busy_max="4",
        dispositions="sale | Bán được | final\ncall_back | Gọi lại | retry 120 5"))
    assert response.status_code == 303, response.text
    campaign_id = int(response.headers["location"].split("/")[2].split("?")[0])
    campaign = await repository.get_campaign(services.pool, campaign_id=campaign_id)
    assert campaign.name == "Tết promotion" and campaign.dial_mode.value == "predictive"
    assert campaign.pacing.target_abandon == 0.025
    assert campaign.custom_window is not None and campaign.custom_window.weekly[0] == ((480, 690), (810, 1200))
    assert campaign.custom_window.max_attempts == 3
    assert campaign.retry_policy.rules["busy"].delay_s == 600 and campaign.retry_policy.rules["busy"].max_attempts == 4
    assert [(d.code, d.final) for d in campaign.dispositions] == [("sale", True), ("call_back", False)]
    page = await browser_client.get(response.headers["location"])
    assert "The campaign was created." in page.text and "Tết promotion" in page.text


async def test_bad_campaign_settings_are_refused_with_a_message_naming_the_field(browser_client, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    bad_hours = await browser_client.post("/campaigns/new", data=campaign_form(
        csrf, name="X", schedule_tue="9h-17h"))
    assert bad_hours.status_code == 400
    assert "schedule, tue: bad hours &#39;9h-17h&#39;" in bad_hours.text
    assert 'value="9h-17h"' in bad_hours.text, "the form keeps what was typed"
    bad_trunk = await browser_client.post("/campaigns/new", data=campaign_form(csrf, name="Y", trunk_template="SIP/x"))
    assert bad_trunk.status_code == 400 and "trunk template must contain {number}" in bad_trunk.text
    bad_zone = await browser_client.post("/campaigns/new", data=campaign_form(csrf, name="Z", timezone="Mars/Base"))
    assert bad_zone.status_code == 400 and "unknown time zone" in bad_zone.text
    assert "Traceback" not in bad_hours.text + bad_trunk.text + bad_zone.text


async def test_editing_a_campaign_keeps_its_state_and_changes_its_settings(browser_client, make_user, services) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    created = await browser_client.post("/campaigns/new", data=campaign_form(csrf, name="Edit me"))
    campaign_id = int(created.headers["location"].split("/")[2].split("?")[0])
    edit_page = await browser_client.get(f"/campaigns/{campaign_id}/edit")
    assert 'value="Edit me"' in edit_page.text
    saved = await browser_client.post(f"/campaigns/{campaign_id}/edit", data=campaign_form(
        csrf, name="Edited", dial_mode="power", ratio="2.5", crm_url_template="https://crm.example/c?p={phone}"))
    assert saved.status_code == 303
    campaign = await repository.get_campaign(services.pool, campaign_id=campaign_id)
    assert (campaign.name, campaign.dial_mode.value, campaign.pacing.ratio) == ("Edited", "power", 2.5)
    assert campaign.crm_url_template == "https://crm.example/c?p={phone}" and campaign.state is CampaignState.DRAFT


async def test_start_pause_stop_follow_the_state_machine_and_say_why_when_not_allowed(
        browser_client, make_user, services) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    created = await browser_client.post("/campaigns/new", data=campaign_form(csrf, name="States"))
    campaign_id = int(created.headers["location"].split("/")[2].split("?")[0])
    for action, state in (("start", "running"), ("pause", "paused"), ("stop", "finished")):
        response = await browser_client.post(f"/campaigns/{campaign_id}/state", data={"csrf_token": csrf, "action": action})
        assert response.status_code == 303
        assert (await repository.get_campaign(services.pool, campaign_id=campaign_id)).state.value == state
    refused = await browser_client.post(f"/campaigns/{campaign_id}/state", data={"csrf_token": csrf, "action": "start"})
    assert refused.status_code == 409
    assert "a finished campaign cannot become running" in refused.text


async def test_a_team_lead_assigns_agents_to_a_campaign(browser_client, make_user, services) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    ann, bob = await make_user(Role.AGENT, "ann"), await make_user(Role.AGENT, "bob")
    officer = await make_user(Role.COMPLIANCE)
    csrf = await sign_in(browser_client, lead.username)
    created = await browser_client.post("/campaigns/new", data=campaign_form(csrf, name="Team"))
    campaign_id = int(created.headers["location"].split("/")[2].split("?")[0])
    response = await browser_client.post(f"/campaigns/{campaign_id}/agents",
                                         data={"csrf_token": csrf, "agent": [str(ann.id), str(bob.id)]})
    assert response.status_code == 303
    assert await repository.campaign_agents(services.pool, campaign_id=campaign_id) == [ann.id, bob.id]
    not_an_agent = await browser_client.post(f"/campaigns/{campaign_id}/agents",
                                             data={"csrf_token": csrf, "agent": [str(officer.id)]})
    assert not_an_agent.status_code == 422


async def test_a_list_upload_maps_columns_imports_as_a_job_and_offers_the_rejects(
        browser_client, make_user, services, database_url, redis_url) -> None:
    services.extras["database_url"] = database_url
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    created = await browser_client.post("/campaigns/new", data=campaign_form(csrf, name="Upload", default_region="FR"))
    campaign_id = int(created.headers["location"].split("/")[2].split("?")[0])
    content = ("Số điện thoại;Họ;Tên;Gói\n0612345678;Nguyễn;An;gia đình\nnot a phone;Trần;Bình;cá nhân\n"
               "0612345679;Lê;Chi;cá nhân\n").encode()
    mapping = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                        files={"file": ("khach-hang.csv", content, "text/csv")})
    assert mapping.status_code == 200
    assert "Số điện thoại" in mapping.text and "Nguyễn" in mapping.text
    upload = mapping.text.split('name="upload" value="')[1].split('"')[0]
    started = await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": upload, "filename": "khach-hang.csv", "list_name": "Tháng 1",
        "map_phone": "Số điện thoại", "map_last_name": "Họ", "map_first_name": "Tên"})
    assert started.status_code == 303
    job_id = started.headers["location"].split("job=")[1].split("#")[0]
    await run_worker_burst(database_url, redis_url)
    status = (await browser_client.get(f"/api/jobs/{job_id}")).json()
    assert status["status"] == "finished", status
    (call_list,) = await repository.list_lists(services.pool, campaign_id=campaign_id)
    assert call_list.status == "ready" and call_list.counts["imported"] == 2 and call_list.counts["rejected"] == 1
    leads = await repository.search_leads(services.pool, campaign_id=campaign_id)
    assert [(x.phone_e164, x.first_name, x.last_name, dict(x.fields)) for x in leads] == [
        ("+33612345678", "An", "Nguyễn", {"Gói": "gia đình"}), ("+33612345679", "Chi", "Lê", {"Gói": "cá nhân"})]
    page = await browser_client.get(f"/campaigns/{campaign_id}")
    assert f"/campaigns/{campaign_id}/lists/{call_list.id}/rejects.csv" in page.text
    rejects = await browser_client.get(f"/campaigns/{campaign_id}/lists/{call_list.id}/rejects.csv")
    assert rejects.status_code == 200 and rejects.headers["content-type"].startswith("text/csv")
    lines = rejects.text.strip().splitlines()
    assert lines[0] == "line,kind,reason,raw,reason_code" and "not a phone" in lines[1]


async def test_a_bad_upload_gives_a_clear_message(browser_client, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    created = await browser_client.post("/campaigns/new", data=campaign_form(csrf, name="Bad upload"))
    campaign_id = int(created.headers["location"].split("/")[2].split("?")[0])
    empty = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                      files={"file": ("empty.csv", b"", "text/csv")})
    assert empty.status_code == 400 and "The file is empty." in empty.text
    wrong = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                      files={"file": ("photo.png", b"\x89PNG....", "image/png")})
    assert wrong.status_code == 400 and "Upload a CSV, TXT or Excel" in wrong.text
    forged = await browser_client.post(f"/campaigns/{campaign_id}/import", data={
        "csrf_token": csrf, "upload": "../../etc/passwd", "map_phone": "x"})
    assert forged.status_code == 400 and "upload it again" in forged.text
    assert "Traceback" not in empty.text + wrong.text + forged.text


async def test_agents_and_compliance_officers_cannot_reach_campaign_pages(browser_client, make_user) -> None:
    agent = await make_user(Role.AGENT)
    await sign_in(browser_client, agent.username)
    assert (await browser_client.get("/campaigns")).status_code == 403
    assert (await browser_client.get("/campaigns/new")).status_code == 403
