"""The agent panel's "Send SMS": only the agent on a call texts its lead, the preview is the template filled in
for that lead, consent is checked at send (a refused message says why and is logged refused), and the
lead's messages both ways are in the panel's history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from campaigns import repository
from campaigns.model import Campaign
from campaigns.windows import WindowProfile
from dialer.settings import load_settings
from dialer.users import Role
from dnc import repository as dnc_repo
from sms import store
from tests.admin_ui.test_pages_reports import sign_in

ALL_DAY = WindowProfile("custom", tuple(((0, 1440),) for _ in range(7)))
PROVIDERS = '[{"name": "sim", "kind": "generic", "base_url": "http://127.0.0.1:9", ' \
            '"credentials": {"api_token": "tok-SECRET-1", "webhook_secret": "whs-SECRET-2"}, "price_per_part": 0.02}]'


async def _setup(services: Any, make_user: Any, database_url: str = "") -> dict[str, Any]:
    services.extras["database_url"] = database_url
    services.settings = load_settings(None, mode="development", secret_key="test-secret-key-0123456789",
                                      data_dir=services.settings.data_dir, redis_url=services.settings.redis_url,
                                      sms_providers=PROVIDERS)
    pool = services.pool
    campaign = await repository.create_campaign(pool, campaign=Campaign(
        id=0, name="Chăm sóc", trunk_template="PJSIP/{number}@t", default_region="VN", timezone="Asia/Ho_Chi_Minh",
        window_profile="custom", custom_window=ALL_DAY))
    an = await make_user(Role.AGENT, display_name="An")
    binh = await make_user(Role.AGENT, display_name="Bình")
    async with pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[an.id, binh.id])
    lead = int(await pool.fetchval("INSERT INTO leads (campaign_id, phone_e164, first_name, last_name)"
                                   " VALUES ($1, '+84912345678', 'Lan', 'Nguyễn') RETURNING id", campaign.id))
    template = int(await pool.fetchval(
        "INSERT INTO sms_templates (name, body, campaign_id) VALUES ('Cảm ơn', $1, $2) RETURNING id",
        "Chào {{ lead.first_name }}, {{ agent_name }} cảm ơn anh/chị.", campaign.id))
    other = await repository.create_campaign(pool, campaign=Campaign(id=0, name="Other", trunk_template="PJSIP/{number}@t"))
    foreign = int(await pool.fetchval(
        "INSERT INTO sms_templates (name, body, campaign_id) VALUES ('Other', 'Hi', $1) RETURNING id", other.id))
    now = datetime.now(UTC)
    call = int(await pool.fetchval(
        "INSERT INTO call_records (campaign_id, lead_id, agent_id, engine_id, leg_id, direction, phone_e164,"
        " originated_at, connected_at, ended_at, outcome) VALUES ($1, $2, $3, 'e', 'leg-sms-1', 'outbound',"
        " '+84912345678', $4, $4, $5, 'handled') RETURNING id", campaign.id, lead, an.id, now - timedelta(minutes=3),
        now - timedelta(minutes=1)))
    return {"campaign": campaign, "an": an, "binh": binh, "lead": lead, "template": template, "call": call,
            "foreign": foreign}


async def _csrf(client: Any) -> str:
    page = (await client.get("/agent")).text
    return page.split('<meta name="csrf-token" content="')[1].split('"')[0]


async def test_the_agent_of_the_call_previews_and_sends_a_templated_message(browser_client, make_user, services,
                                                                            database_url) -> None:
    s = await _setup(services, make_user, database_url)
    await sign_in(browser_client, s["an"].username)
    templates = (await browser_client.get(f"/api/sms/panel/templates?call_id={s['call']}")).json()["items"]
    assert [t["name"] for t in templates] == ["Cảm ơn"]
    preview = (await browser_client.get(f"/api/sms/panel/preview?call_id={s['call']}&template_id={s['template']}")).json()
    assert preview["text"] == "Chào Lan, An cảm ơn anh/chị." and preview["encoding"] == "UCS-2" and preview["parts"] == 1
    headers = {"x-csrf-token": await _csrf(browser_client)}
    sent = (await browser_client.post("/api/sms/panel/send", headers=headers,
                                      json={"call_id": s["call"], "template_id": s["template"]})).json()
    assert sent["ok"] and sent["status"] == "pending"
    message = await store.get_message(services.pool, sent["message_id"])
    assert message is not None and (message.lead_id, message.agent_id, message.provider, message.body) == (
        s["lead"], s["an"].id, "sim", "Chào Lan, An cảm ơn anh/chị.")
    again = (await browser_client.post("/api/sms/panel/send", headers=headers,
                                       json={"call_id": s["call"], "template_id": s["template"]})).json()
    assert not again["ok"] and again["message_id"] == message.id            # one message per template and call
    history = (await browser_client.get(f"/api/sms/panel/messages?call_id={s['call']}")).json()["items"]
    assert [(m["direction"], m["status"]) for m in history] == [("out", "pending")]
    from rq import Queue

    queued = Queue("dialer", connection=services.redis).jobs
    assert any(job.func_name == "sms.jobs.drain_job" and job.kwargs.get("message_ids") == [message.id]
               for job in queued)


async def test_another_agent_cannot_text_the_lead_of_a_call_that_is_not_theirs(browser_client, make_user,
                                                                               services) -> None:
    s = await _setup(services, make_user)
    await sign_in(browser_client, s["binh"].username)
    headers = {"x-csrf-token": await _csrf(browser_client)}
    for path in (f"/api/sms/panel/templates?call_id={s['call']}",
                 f"/api/sms/panel/preview?call_id={s['call']}&template_id={s['template']}",
                 f"/api/sms/panel/messages?call_id={s['call']}"):
        assert (await browser_client.get(path)).status_code == 403, path
    refused = await browser_client.post("/api/sms/panel/send", headers=headers,
                                        json={"call_id": s["call"], "template_id": s["template"]})
    assert refused.status_code == 403
    assert await services.pool.fetchval("SELECT count(*) FROM sms_messages") == 0


async def test_a_call_long_over_or_another_campaigns_template_is_refused(browser_client, make_user, services) -> None:
    s = await _setup(services, make_user)
    await sign_in(browser_client, s["an"].username)
    foreign = await browser_client.get(f"/api/sms/panel/preview?call_id={s['call']}&template_id={s['foreign']}")
    assert foreign.status_code == 403
    await services.pool.execute("UPDATE call_records SET ended_at = now() - interval '2 hours' WHERE id = $1", s["call"])
    assert (await browser_client.get(f"/api/sms/panel/templates?call_id={s['call']}")).status_code == 403


async def test_an_opted_out_number_is_refused_at_send_saying_why_in_the_agents_language(browser_client, make_user,
                                                                                        services) -> None:
    s = await _setup(services, make_user)
    await services.pool.execute("UPDATE users SET language = 'vi' WHERE id = $1", s["an"].id)
    async with services.pool.acquire() as conn:
        await dnc_repo.add_entry(conn, list_name="sms_optout", number="+84912345678", actor="sms:sim",
                                 reason="replied STOP", now=datetime.now(UTC))
    await sign_in(browser_client, s["an"].username)
    headers = {"x-csrf-token": await _csrf(browser_client)}
    sent = (await browser_client.post("/api/sms/panel/send", headers=headers,
                                      json={"call_id": s["call"], "template_id": s["template"]})).json()
    assert sent["status"] == "refused" and "danh sách từ chối SMS" in sent["reason"]
    message = await store.get_message(services.pool, sent["message_id"])
    assert message is not None and message.status == "refused"
    history = (await browser_client.get(f"/api/sms/panel/messages?call_id={s['call']}")).json()["items"]
    assert history[0]["status"] == "refused" and "danh sách từ chối SMS" in history[0]["reason"]


async def test_incoming_messages_are_in_the_leads_history(services, make_user) -> None:
    from agents_ws import leads

    s = await _setup(services, make_user)
    await store.record_incoming(services.pool, provider="sim", provider_message_id="in-1", phone="+84912345678",
                                body="Vâng, cảm ơn", now=datetime.now(UTC))
    history = await leads.sms_history(services.pool, lead_id=s["lead"])
    assert [(m["direction"], m["status"], m["body"]) for m in history] == [("in", "received", "Vâng, cảm ơn")]
