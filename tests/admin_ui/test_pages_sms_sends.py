"""Bulk and scheduled sends for team leads: the estimate over every recipient's own message (worst case and
total parts, cost, refusals by consent and why), confirm, cancel; agents never open these pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from campaigns import repository
from campaigns.model import Campaign
from campaigns.windows import WindowProfile
from dialer.settings import load_settings
from dialer.users import Role
from dnc import repository as dnc_repo
from sms import count_segments
from tests.admin_ui.test_pages_reports import sign_in
from tests.admin_ui.test_sms_panel import PROVIDERS

LONG_NAME = "Bảo Ngọc Nguyễn Thị Phương Thảo Uyên"
BODY = "Chúc mừng sinh nhật {{ lead.first_name }}! " + "Chúc anh chị một năm mới nhiều niềm vui. " * 2
ALL_DAY = WindowProfile("custom", tuple(((0, 1440),) for _ in range(7)))


async def _setup(services: Any) -> dict[str, Any]:
    services.settings = load_settings(None, mode="development", secret_key="test-secret-key-0123456789",
                                      data_dir=services.settings.data_dir, redis_url=services.settings.redis_url,
                                      sms_providers=PROVIDERS)
    pool = services.pool
    campaign = await repository.create_campaign(pool, campaign=Campaign(
        id=0, name="Sinh nhật", trunk_template="PJSIP/{number}@t", default_region="VN", timezone="Asia/Ho_Chi_Minh",
        window_profile="custom", custom_window=ALL_DAY))
    for phone, first in (("+84912345678", "Lan"), ("+84912345679", LONG_NAME),
                         ("+84912345670", "Minh")):
        await pool.execute("INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, fields)"
                           " VALUES ($1, $2, $3, '', '{\"birthday\": \"1990-05-17\"}'::jsonb)", campaign.id, phone, first)
    template = int(await pool.fetchval(
        "INSERT INTO sms_templates (name, body, campaign_id) VALUES ('Chúc mừng', $1, $2) RETURNING id",
        BODY, campaign.id))
    async with pool.acquire() as conn:
        await dnc_repo.add_entry(conn, list_name="sms_optout", number="+84912345670", actor="sms:sim",
                                 reason="replied STOP", now=datetime.now(UTC))
    return {"campaign": campaign, "template": template}


async def test_a_team_lead_estimates_confirms_and_cancels_a_birthday_send(browser_client, make_user,
                                                                          services) -> None:
    s = await _setup(services)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    page = await browser_client.get("/sms/sends")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    made = await browser_client.post("/sms/sends", data={
        "csrf_token": token, "template_id": str(s["template"]), "campaign_id": str(s["campaign"].id),
        "kind": "birthday", "date_field": "birthday", "local_time": "09:00", "name": "Birthdays"})
    assert made.status_code == 303
    send_page = await browser_client.get(made.headers["location"])
    text = send_page.text
    estimate = text.split('id="sms-estimate"')[1].split("</table>")[0]
    assert "on the SMS opt-out list" in estimate                      # Minh replied STOP
    worst = int(text.split('id="est-worst">')[1].split("<")[0])
    total = int(text.split('id="est-total">')[1].split("<")[0])
    parts = [count_segments(BODY.replace("{{ lead.first_name }}", name)).parts for name in ("Lan", LONG_NAME)]
    assert worst == max(parts) == 3 and total == sum(parts)           # the long name's message is the worst
    send_id = int(made.headers["location"].rsplit("/", 1)[1])
    confirmed = await browser_client.post(f"/sms/sends/{send_id}/confirm", data={"csrf_token": token})
    assert confirmed.status_code == 303
    assert await services.pool.fetchval("SELECT state FROM sms_sends WHERE id = $1", send_id) == "active"
    listing = await browser_client.get("/sms/sends")
    assert f'<tr data-id="{send_id}" data-state="active">' in listing.text and "09:00" in listing.text
    await browser_client.post(f"/sms/sends/{send_id}/cancel", data={"csrf_token": token})
    assert await services.pool.fetchval("SELECT state FROM sms_sends WHERE id = $1", send_id) == "cancelled"


async def test_a_send_missing_its_rule_is_refused_saying_why(browser_client, make_user, services) -> None:
    s = await _setup(services)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD, language="vi")).username)
    token = (await browser_client.get("/sms/sends")).text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = await browser_client.post("/sms/sends", data={
        "csrf_token": token, "template_id": str(s["template"]), "campaign_id": str(s["campaign"].id),
        "kind": "birthday", "date_field": "birthday", "local_time": ""})
    assert refused.status_code == 400 and "Gửi sinh nhật cần cột ngày" in refused.text
    assert await services.pool.fetchval("SELECT count(*) FROM sms_sends") == 0


async def test_agents_and_compliance_officers_cannot_open_the_send_pages(browser_client, make_user, services) -> None:
    for role in (Role.AGENT, Role.COMPLIANCE):
        await sign_in(browser_client, (await make_user(role)).username)
        assert (await browser_client.get("/sms/sends")).status_code == 403
        assert (await browser_client.get("/api/sms/sends/1")).status_code == 403


async def test_a_confirmed_bulk_send_is_prepared_by_the_worker_and_its_progress_counts_its_messages(
        browser_client, make_user, services, database_url) -> None:
    from rq import Queue

    from sms import bulk

    s = await _setup(services)
    services.extras["database_url"] = database_url
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    token = (await browser_client.get("/sms/sends")).text.split('name="csrf_token" value="')[1].split('"')[0]
    made = await browser_client.post("/sms/sends", data={
        "csrf_token": token, "template_id": str(s["template"]), "campaign_id": str(s["campaign"].id), "kind": "bulk"})
    location = made.headers["location"]                 # the estimate is the worker's: the page follows its job
    send_id, job_id = int(location.split("?")[0].rsplit("/", 1)[1]), location.split("job=")[1]
    waiting = await browser_client.get(location)
    assert f'data-job="{job_id}"' in waiting.text and 'id="btn-confirm"' not in waiting.text
    queued = Queue("dialer", connection=services.redis).fetch_job(job_id)
    assert queued.func_name == "admin_ui.sms_send_jobs.estimate_job" and queued.args[1:] == (send_id, 0.02)
    await bulk.estimate(services.pool, send_id=send_id, now=datetime.now(UTC), price_per_part=0.02)   # as the job does
    await browser_client.post(f"/sms/sends/{send_id}/confirm", data={"csrf_token": token})
    jobs = Queue("dialer", connection=services.redis).jobs
    assert any(j.func_name == "sms.jobs.prepare_send_job" and j.args[2] == send_id for j in jobs)
    made_now = await bulk.materialise_all(services.pool, send_id=send_id, now=datetime.now(UTC))  # as the job does
    assert made_now == 3                      # one per lead; consent is checked again right before each hand-off
    progress = (await browser_client.get(f"/api/sms/sends/{send_id}")).json()
    assert (progress["total"], progress["pending"], progress["done"], progress["state"]) == (3, 3, 0, "active")
