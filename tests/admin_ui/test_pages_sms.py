"""The SMS pages: the message log's search and pages, the statistics, the opt-out audit, and who may open what
(roles as for calls: team leads and admins send and read, compliance officers read the log and the opt-outs,
agents send only from the panel, only admins see providers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from admin_ui import sms_log
from campaigns import repository
from campaigns.model import Campaign
from dialer.users import Role
from dnc import repository as dnc_repo
from sms import store
from sms.store import DeliveryReport
from tests.admin_ui.test_pages_reports import sign_in


async def _campaign(pool: Any, name: str) -> Campaign:
    return await repository.create_campaign(pool, campaign=Campaign(id=0, name=name, trunk_template="PJSIP/{number}@t",
                                                                    default_region="VN"))


async def _lead(pool: Any, campaign_id: int, phone: str, first: str = "Lan") -> int:
    return int(await pool.fetchval("INSERT INTO leads (campaign_id, phone_e164, first_name, last_name)"
                                   " VALUES ($1, $2, $3, 'Nguyen') RETURNING id", campaign_id, phone, first))


async def seeded(pool: Any) -> dict[str, Any]:
    """Two campaigns; Lan (+84912345678) got two messages, one delivered (its report sent twice) and one refused,
    and replied; Binh got one message that failed."""
    now = datetime.now(UTC)
    hue, hanoi = await _campaign(pool, "Hue"), await _campaign(pool, "Hanoi")
    lan, binh = await _lead(pool, hue.id, "+84912345678"), await _lead(pool, hanoi.id, "+84987654321", "Binh")
    first, _ = await store.insert_outgoing(pool, key="k1", phone="+84912345678", body="Xin chào Lan", now=now,
                                           lead_id=lan, campaign_id=hue.id, encoding="UCS-2", parts=1, provider="sim")
    await store.mark_queued(pool, message_id=first.id, provider="sim", provider_message_id="p1", now=now)
    report = DeliveryReport(provider="sim", provider_message_id="p1", status="delivered", report_key="r1")
    await store.apply_report(pool, report, now=now + timedelta(seconds=2))
    await store.apply_report(pool, report, now=now + timedelta(seconds=3))
    await store.insert_outgoing(pool, key="k2", phone="+84912345678", body="Second", now=now, lead_id=lan,
                                campaign_id=hue.id, status="refused", reason="+84912345678 is on the SMS opt-out list")
    await store.record_incoming(pool, provider="sim", provider_message_id="in1", phone="+84912345678", body="STOP",
                                now=now + timedelta(seconds=5))
    failed, _ = await store.insert_outgoing(pool, key="k3", phone="+84987654321", body="Hello Binh", now=now,
                                            lead_id=binh, campaign_id=hanoi.id, encoding="GSM-7", parts=2,
                                            provider="sim")
    await store.mark_queued(pool, message_id=failed.id, provider="sim", provider_message_id="p3", now=now)
    await store.apply_report(pool, DeliveryReport(provider="sim", provider_message_id="p3", status="failed",
                                                  report_key="r3"), now=now)
    return {"hue": hue, "hanoi": hanoi, "lan": lan, "binh": binh}


def _ids(page: httpx.Response) -> list[str]:
    return [part.split('"')[0] for part in page.text.split('<tr data-id="')[1:]]


async def test_the_log_finds_messages_by_number_lead_campaign_status_and_direction(browser_client, make_user,
                                                                                   services) -> None:
    data = await seeded(services.pool)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    every = await browser_client.get("/sms/messages")
    assert every.status_code == 200 and len(_ids(every)) == 4
    national = await browser_client.get(f"/sms/messages?number=0912+345+678&campaign={data['hue'].id}")
    assert len(_ids(national)) == 3 and "Hello Binh" not in national.text
    by_digits = await browser_client.get("/sms/messages?number=4321")      # the last digits of Binh's number
    assert len(_ids(by_digits)) == 1 and "Hello Binh" in by_digits.text
    by_lead = await browser_client.get(f"/sms/messages?lead={data['binh']}")
    assert len(_ids(by_lead)) == 1
    refused = await browser_client.get("/sms/messages?status=refused")
    assert len(_ids(refused)) == 1 and "is on the SMS opt-out list" in refused.text
    incoming = await browser_client.get("/sms/messages?direction=in")
    assert len(_ids(incoming)) == 1 and "STOP" in incoming.text
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert _ids(await browser_client.get(f"/sms/messages?date_from={tomorrow}")) == []


async def test_each_row_shows_its_status_history_with_reports_sent_twice(browser_client, make_user, services) -> None:
    await seeded(services.pool)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    page = await browser_client.get("/sms/messages?number=%2B84912345678&direction=out&status=delivered")
    row = page.text.split('<tr data-id="')[1].split("</tr>")[0]
    history = row.split('class="plain sms-history"')[1]
    assert history.index("waiting") < history.index("delivered") < history.index("report sent twice, ignored")
    assert "UCS-2" in row and "sim" in row


async def test_a_bad_search_says_why_in_the_readers_language(browser_client, make_user, services) -> None:
    await seeded(services.pool)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD, language="vi")).username)
    short = await browser_client.get("/sms/messages?number=12")
    assert short.status_code == 400 and "ít nhất 4 chữ số cuối" in short.text
    bad_status = await browser_client.get("/sms/messages?status=lost")
    assert bad_status.status_code == 400 and "Traceback" not in bad_status.text
    assert (await browser_client.get("/sms/messages?date_from=31/12/2026")).status_code == 400


async def test_the_log_is_paged_newest_first(services) -> None:
    now = datetime.now(UTC)
    for n in range(sms_log.PAGE + 5):
        await store.insert_outgoing(services.pool, key=f"p{n}", phone="+84912345678", body=f"m{n}", now=now)
    first = await sms_log.search(services.pool, sms_log.LogFilter())
    second = await sms_log.search(services.pool, sms_log.LogFilter(), before_id=first[-1].message["id"])
    assert len(first) == sms_log.PAGE and len(second) == 5
    ids = [r.message["id"] for r in first + second]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == sms_log.PAGE + 5


async def test_statistics_count_per_campaign_with_opt_outs_and_a_chart(browser_client, make_user, services) -> None:
    data = await seeded(services.pool)
    async with services.pool.acquire() as conn:
        await dnc_repo.add_entry(conn, list_name="sms_optout", number="+84912345678", actor="sms:sim",
                                 reason="replied STOP", now=datetime.now(UTC))
    figures = {f.campaign_name: f for f in await sms_log.campaign_figures(
        services.pool, since=datetime.now(UTC) - timedelta(days=1), until=datetime.now(UTC) + timedelta(minutes=1),
        prices={"sim": 0.05})}
    hue, hanoi = figures["Hue"], figures["Hanoi"]
    assert (hue.sent, hue.delivered, hue.failed, hue.refused, hue.received, hue.opt_outs, hue.parts) == (1, 1, 0, 1, 1, 1, 1)
    assert (hanoi.sent, hanoi.failed, hanoi.opt_outs, hanoi.parts) == (1, 1, 0, 2)
    assert hue.cost == 0.05 and hanoi.cost == 0.1
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    page = await browser_client.get(f"/sms/stats?campaign={data['hanoi'].id}")
    assert page.status_code == 200 and "<svg" in page.text and "Hanoi" in page.text


async def test_compliance_officers_read_the_log_and_the_opt_out_audit_but_send_nothing(browser_client, make_user,
                                                                                        services) -> None:
    await seeded(services.pool)
    async with services.pool.acquire() as conn:
        await dnc_repo.add_entry(conn, list_name="sms_optout", number="+84912345678", actor="sms:sim",
                                 reason="replied STOP", now=datetime.now(UTC))
    await sign_in(browser_client, (await make_user(Role.COMPLIANCE)).username)
    assert (await browser_client.get("/sms/messages")).status_code == 200
    optouts = await browser_client.get("/sms/optouts")
    assert optouts.status_code == 200 and "replied STOP" in optouts.text and 'href="/dnc/lists/sms_optout"' in optouts.text
    dnc = await browser_client.get("/dnc")                  # the opt-out list among the DNC lists, and a link here
    assert "sms_optout" in dnc.text and 'href="/sms/optouts"' in dnc.text
    assert (await browser_client.get("/sms/stats")).status_code == 403
    assert (await browser_client.get("/sms/sends")).status_code == 403


async def test_agents_open_no_sms_page(browser_client, make_user, services) -> None:
    await sign_in(browser_client, (await make_user(Role.AGENT)).username)
    for path in ("/sms/messages", "/sms/sends", "/sms/stats", "/sms/optouts", "/sms/providers"):
        assert (await browser_client.get(path)).status_code == 403, path


async def test_only_admins_see_providers_and_never_their_secrets(browser_client, make_user, services) -> None:
    from dialer.settings import load_settings
    from tests.admin_ui.test_sms_panel import PROVIDERS

    services.settings = load_settings(None, mode="development", secret_key="test-secret-key-0123456789",
                                      data_dir=services.settings.data_dir, redis_url=services.settings.redis_url,
                                      sms_providers=PROVIDERS)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    assert (await browser_client.get("/sms/providers")).status_code == 403
    await sign_in(browser_client, (await make_user(Role.ADMIN)).username)
    page = await browser_client.get("/sms/providers")
    assert page.status_code == 200 and 'data-provider="sim"' in page.text and "0.02" in page.text
    assert "api_token: ••••••" in page.text
    assert "SECRET" not in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    sent = await browser_client.post("/sms/providers/test", data={"csrf_token": token, "provider": "sim",
                                                                  "number": "+84912345678", "text": "Thử"})
    assert sent.status_code == 303
    assert await services.pool.fetchval("SELECT status FROM sms_messages WHERE body = 'Thử'") == "pending"


async def test_a_search_by_the_last_digits_reads_an_index_not_every_message(services) -> None:
    await services.pool.execute(
        "INSERT INTO sms_messages (idempotency_key, direction, phone, body, status, created_at, updated_at)"
        " SELECT 'bulk-' || n, 'out', '+849' || lpad(n::text, 8, '0'), 'x', 'pending', now(), now()"
        " FROM generate_series(1, 50000) AS n")
    await services.pool.execute("ANALYZE sms_messages")
    sql, args = sms_log.log_query(sms_log.LogFilter(number="0012 345"))
    plan = "\n".join(r[0] for r in await services.pool.fetch("EXPLAIN " + sql, *args))
    assert "sms_messages_phone_reversed" in plan, plan
    found = await sms_log.search(services.pool, sms_log.LogFilter(number="0012 345"))
    assert [r.message["phone"] for r in found] == ["+84900012345"]


async def test_a_leads_page_links_its_messages_in_the_log(browser_client, make_user, services) -> None:
    data = await seeded(services.pool)
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    lead_page = await browser_client.get(f"/leads/{data['lan']}")
    link = f'/sms/messages?lead={data["lan"]}'
    assert link in lead_page.text
    assert len(_ids(await browser_client.get(link))) == 3
