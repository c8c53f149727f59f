"""The SMS template pages over HTTP with a real PostgreSQL: save refuses an unknown field naming it (in the
reader's language), the counter and the preview answer with sms.count_segments, agents only read."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from admin_ui.i18n import MESSAGES
from admin_ui.sms_template_text import SMS_TEMPLATE_MESSAGES
from campaigns import repository
from campaigns.model import Campaign
from dialer.users import Role
from sms import template_repository as repo
from sms.templates import ENGLISH
from tests.admin_ui.test_pages_campaigns import sign_in


def test_every_template_page_text_and_refusal_reads_in_english_and_vietnamese_with_the_same_fields() -> None:
    for key, entry in SMS_TEMPLATE_MESSAGES.items():
        assert entry["en"] and entry["vi"], key
    for code, english in ENGLISH.items():
        fields = {f for _, f, _, _ in string.Formatter().parse(english) if f}
        vietnamese = MESSAGES[f"smst_refused_{code}"]["vi"]
        assert {f for _, f, _, _ in string.Formatter().parse(vietnamese) if f} == fields, code
    folder = Path(__file__).resolve().parents[2] / "admin_ui" / "templates"
    pages = (folder / "sms_templates.html").read_text() + (folder / "sms_template_form.html").read_text()
    used = set(re.findall(r'\bt\("([a-z0-9_]+)"\)', pages))
    assert used and sorted(k for k in used if not (MESSAGES.get(k, {}).get("en") and MESSAGES.get(k, {}).get("vi"))) == []


@pytest.fixture
async def shop(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    pool: asyncpg.Pool = services.pool
    c = await repository.create_campaign(pool, campaign=Campaign(
        id=0, name="Tết", trunk_template="PJSIP/{number}@carrier", default_region="VN", timezone="Asia/Ho_Chi_Minh"))
    lst = await repository.create_list(pool, campaign_id=c.id, name="k.csv", source_filename="k.csv")
    lead = await pool.fetchval(
        "INSERT INTO leads (campaign_id, list_id, phone_e164, first_name, last_name, fields, timezones)"
        " VALUES ($1, $2, '+84987654321', 'Văn An', 'Nguyễn', $3, '{Asia/Ho_Chi_Minh}') RETURNING id",
        c.id, lst.id, {"plan": "Vàng"})
    async with pool.acquire() as conn:
        await repository.create_callback(conn, lead_id=lead, due_at=datetime(2026, 12, 7, 2, 0, tzinfo=UTC),
                                         agent_id=None, created_by=None)
    return {"campaign": c.id, "lead": lead}


async def test_saving_a_template_with_an_unknown_field_is_refused_naming_it_in_vietnamese(
        browser_client, make_user, shop) -> None:
    await make_user(Role.TEAM_LEAD, "lan", language="vi")
    csrf = await sign_in(browser_client, "lan")
    page = await browser_client.post("/sms/templates/new", data={
        "csrf_token": csrf, "name": "Nhắc hẹn", "campaign_id": str(shop["campaign"]),
        "body": "Chào {{ lead.first_name }}, mã {{ lead.voucher }}"})
    assert page.status_code == 400
    assert "trường không xác định &#39;voucher&#39;" in page.text and "Chưa lưu được" in page.text
    saved = await browser_client.post("/sms/templates/new", data={
        "csrf_token": csrf, "name": "Nhắc hẹn", "campaign_id": str(shop["campaign"]), "plain": "1",
        "body": "Chào {{ lead.first_name }}, gói {{ lead.plan }}. Hẹn {{ callback.time }} {{ callback.date }}."})
    assert saved.status_code == 303
    listed = (await browser_client.get("/sms/templates")).text
    assert "Nhắc hẹn" in listed and "GSM-7" in listed and "không dấu" in listed


async def test_a_form_without_the_csrf_token_is_refused(browser_client, make_user, shop) -> None:
    await make_user(Role.TEAM_LEAD, "lan")
    await sign_in(browser_client, "lan")
    page = await browser_client.post("/sms/templates/new", data={"name": "x", "body": "y"})
    assert page.status_code == 403
    assert await repo.list_templates(browser_client._transport.app.state.services.pool) == []


async def test_the_counter_gives_both_counts_and_why_the_text_cannot_be_saved(api_client, shop) -> None:
    async with api_client(Role.TEAM_LEAD) as client:
        answer = (await client.post("/api/sms/count", json={"text": "Chúc mừng {{ lead.first_name }}",
                                                            "campaign_id": shop["campaign"]})).json()
        # the template text as written: 31 characters; without diacritics GSM-7, where { and } count two each
        assert answer == {"as_written": {"encoding": "UCS-2", "units": 31, "parts": 1},
                          "plain": {"encoding": "GSM-7", "units": 35, "parts": 1}, "problem": ""}
        answer = (await client.post("/api/sms/count", json={"text": "{{ lead.__class__ }}"})).json()
        assert "__class__" in answer["problem"]


async def test_the_preview_renders_for_a_lead_found_by_any_phone_format_or_id(api_client, shop) -> None:
    body = "Chào {{ lead.first_name }}, {{ agent_name }} gọi lại lúc {{ callback.time }} ngày {{ callback.date }}"
    async with api_client(Role.TEAM_LEAD, "lan") as client:
        for ref in ("0987 654 321", f"#{shop['lead']}"):
            answer = (await client.post("/api/sms/preview", json={"body": body, "lead": ref})).json()
            assert answer["ok"] and answer["lead"]["name"] == "Văn An Nguyễn", ref
            assert answer["text"] == "Chào Văn An, lan gọi lại lúc 09:00 ngày 07/12/2026"   # 02:00 UTC in +07
            assert answer["as_written"]["encoding"] == "UCS-2" and answer["plain"]["encoding"] == "GSM-7"
        plain = (await client.post("/api/sms/preview", json={"body": body, "lead": "0987654321", "plain": True})).json()
        assert plain["text"] == "Chao Van An, lan goi lai luc 09:00 ngay 07/12/2026"
        missing = (await client.post("/api/sms/preview", json={"body": body, "lead": "0911 111 111"})).json()
        assert not missing["ok"] and "0911 111 111" in missing["problem"]


async def test_agents_read_templates_but_do_not_edit_or_preview(api_client, shop, services) -> None:
    await repo.save_template(services.pool, template=repo.SmsTemplate(0, "Cảm ơn", "Cảm ơn {{ lead.first_name }}"),
                             by=None, now=datetime(2026, 12, 6, tzinfo=UTC))
    async with api_client(Role.AGENT) as client:
        listed = (await client.get("/api/sms/templates", params={"campaign_id": shop["campaign"]})).json()
        assert [t["name"] for t in listed["templates"]] == ["Cảm ơn"]
        assert (await client.get("/sms/templates")).status_code == 403
        assert (await client.post("/api/sms/preview", json={"body": "x", "lead": "#1"})).status_code == 403
