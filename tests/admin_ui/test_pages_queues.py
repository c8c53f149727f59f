"""The inbound queue pages: a team lead creates and edits a queue with every setting, assigns agents with a
level, and reads each refusal in their language naming the field; agents cannot open them."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx

from admin_ui.i18n import MESSAGES
from admin_ui.queue_text import QUEUE_MESSAGES
from admin_ui.routes.pages_queues import NEW_QUEUE, form_values
from campaigns import queue_repository as repo
from campaigns.queues import ENGLISH, Queue
from dialer.users import Role

PASSWORD = "correct horse battery"


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    form = (await client.get("/login")).text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/", "csrf_token": token})
    home = await client.get("/")
    return home.text.split('name="csrf-token" content="')[1].split('"')[0]


def queue_form(csrf: str, **changes: object) -> dict[str, str]:
    values = {k: ("1" if v is True else "" if v is False else str(v)) for k, v in form_values(NEW_QUEUE).items()}
    values = {k: v for k, v in values.items() if v != ""}
    values.update({k: str(v) for k, v in changes.items()})
    return {"csrf_token": csrf, **values}


def test_every_queue_text_and_refusal_exists_in_english_and_vietnamese() -> None:
    for code in ENGLISH:
        assert MESSAGES[f"qerr_{code}"]["en"] and MESSAGES[f"qerr_{code}"]["vi"], code
    for key, entry in QUEUE_MESSAGES.items():
        assert entry["en"] and entry["vi"], key
    folder = Path(__file__).resolve().parents[2] / "admin_ui" / "templates"
    template = (folder / "queue_form.html").read_text() + (folder / "queues.html").read_text()
    used = set(re.findall(r'\bt\("([a-z0-9_]+)"\)', template)) | {f"qf_{n}" for n in re.findall(r'text\("([a-z0-9_]+)"', template)}
    used |= {f"qf_{n}" for n in re.findall(r'check\("([a-z0-9_]+)"', template)}
    missing = sorted(k for k in used if not (MESSAGES.get(k, {}).get("en") and MESSAGES.get(k, {}).get("vi")))
    assert missing == []


async def test_a_team_lead_creates_a_queue_edits_it_and_assigns_agents(browser_client, make_user, services) -> None:  # type: ignore[no-untyped-def]
    lead = await make_user(Role.TEAM_LEAD, "lan")
    ann = await make_user(Role.AGENT, "ann")
    csrf = await sign_in(browser_client, lead.username)
    assert 'href="/queues"' in (await browser_client.get("/")).text
    created = await browser_client.post("/queues/new", data=queue_form(
        csrf, name="Hotline", dids="+84 28 7300 1234\n+84 28 7300 1235", hours_mon="08:00-12:00, 13:30-17:30",
        hours_sat="08:00-12:00", holiday_calendar="US", closed_action="voicemail", voicemail_box="100@support",
        strategy="skills", skill_steps="0:8, 30:4", max_wait_s="90", overflow_action="message",
        vip_numbers="+84 987 654 321", vip_priority="40", announce_every_s="60", announce_wait=True))
    assert created.status_code == 303, created.text
    queue = (await repo.list_queues(services.pool))[0]
    assert queue.dids == ("+842873001234", "+842873001235") and queue.weekly[5] == ((480, 720),)
    assert queue.announce_wait and queue.max_wait_s == 90
    # a new queue starts announcing place and wait every minute, from 10 agents serving it
    assert queue.announce_position and queue.announce_every_s == 60 and queue.announce_min_agents == 10
    assert await repo.vip_numbers(services.pool, queue_id=queue.id) == ["+84987654321"]
    page = (await browser_client.get(created.headers["location"])).text
    assert "The queue was created." in page and "could not be checked" in page
    saved = await browser_client.post(f"/queues/{queue.id}/agents", data={"csrf_token": csrf, f"level_{ann.id}": "6"})
    assert saved.status_code == 303
    assert [(r["username"], r["level"]) for r in await repo.queue_agents(services.pool, queue_id=queue.id)] == [("ann", 6)]
    listing = (await browser_client.get("/queues")).text
    assert "Hotline" in listing and "+842873001234, +842873001235" in listing


async def test_a_refusal_names_the_field_in_the_reader_s_language_and_keeps_what_was_typed(  # type: ignore[no-untyped-def]
        browser_client, make_user, services) -> None:
    await repo.save_queue(services.pool, queue=Queue.from_dict({"name": "Sales", "dids": ["+842873001234"]}))
    lead = await make_user(Role.TEAM_LEAD, "minh", language="vi")
    csrf = await sign_in(browser_client, lead.username)
    refused = await browser_client.post("/queues/new", data=queue_form(csrf, name="Hỗ trợ", dids="+842873001234"))
    assert refused.status_code == 400
    assert ("Chưa lưu hàng đợi. Các số chuyển vào đây (DID): +842873001234 đã chuyển vào hàng đợi 'Sales'; mỗi số "
            "chỉ chuyển vào một hàng đợi, nên hàng đợi 'Hỗ trợ' không thể dùng số này") in html.unescape(refused.text)
    assert re.search(r'<textarea name="dids"[^>]*aria-invalid="true"', refused.text)
    assert 'value="Hỗ trợ"' in refused.text
    bad_hours = await browser_client.post("/queues/new", data=queue_form(csrf, name="X", hours_tue="8h-17h"))
    assert "Giờ làm việc, Thứ Ba: '8h-17h' không phải danh sách giờ" in html.unescape(bad_hours.text)
    assert re.search(r'name="hours_tue"[^>]*aria-invalid="true"', bad_hours.text)


async def test_agents_cannot_open_the_queue_pages(browser_client, make_user) -> None:  # type: ignore[no-untyped-def]
    agent = await make_user(Role.AGENT, "bao")
    await sign_in(browser_client, agent.username)
    assert (await browser_client.get("/queues")).status_code == 403
    assert (await browser_client.get("/queues/new")).status_code == 403
