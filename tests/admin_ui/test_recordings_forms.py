"""The recording setting on the campaign and queue forms: all, a share or none and the days kept, checked at save
naming the field in the reader's language; a campaign that had ``record_calls`` and no setting shows (and records)
all; every recordings text exists in English and Vietnamese."""

from __future__ import annotations

import re
from pathlib import Path

from admin_ui.i18n import MESSAGES
from admin_ui.recordings_text import RECORDING_MESSAGES
from campaigns import queue_repository as queue_repo
from campaigns import repository as campaign_repo
from campaigns.model import Campaign
from dialer import recordings_store as store
from dialer.recordings import RecordingPolicy
from dialer.recordings_desk import RecordingDesk
from dialer.users import Role
from tests.admin_ui.test_pages_campaigns import campaign_form
from tests.admin_ui.test_pages_campaigns import sign_in as sign_in_campaigns
from tests.admin_ui.test_pages_queues import queue_form


def test_every_recordings_text_exists_in_english_and_vietnamese() -> None:
    for key, entry in RECORDING_MESSAGES.items():
        assert entry["en"] and entry["vi"] and MESSAGES[key] == entry, key
    folder = Path(__file__).resolve().parents[2] / "admin_ui" / "templates"
    used: set[str] = set()
    for name in ("recordings.html", "recordings_retention.html", "recordings_access.html",
                 "recordings_policy_fields.html"):
        used |= set(re.findall(r'\bt\("([a-z0-9_]+)"[,)]', (folder / name).read_text()))
    assert sorted(k for k in used if not (MESSAGES.get(k, {}).get("en") and MESSAGES.get(k, {}).get("vi"))) == []


async def test_the_campaign_form_saves_the_recording_setting_and_refuses_a_bad_one_naming_the_field(
        browser_client, make_user, services) -> None:
    lead = await make_user(Role.TEAM_LEAD, "minh", language="vi")
    csrf = await sign_in_campaigns(browser_client, lead.username)
    refused = await browser_client.post("/campaigns/new", data=campaign_form(
        csrf, name="Thẻ", record_mode="share", record_share="0"))
    assert refused.status_code == 400
    assert "Tỷ lệ ghi âm (%): hãy nhập số phần trăm nguyên từ 1 đến 99." in refused.text
    assert 'name="record_share" value="0"' in refused.text, "the form keeps what was typed"
    days = await browser_client.post("/campaigns/new", data=campaign_form(
        csrf, name="Thẻ", record_mode="all", recording_retention_days="-1"))
    assert days.status_code == 400 and "Lưu bản ghi âm (ngày; để trống: theo cài đặt chung):" in days.text
    created = await browser_client.post("/campaigns/new", data=campaign_form(
        csrf, name="Thẻ", record_mode="share", record_share="25", recording_retention_days="60"))
    assert created.status_code == 303, created.text
    campaign_id = int(created.headers["location"].split("/")[2].split("?")[0])
    assert await store.policy_of(services.pool, "campaign", campaign_id) == RecordingPolicy("share", 25, 60)
    form = (await browser_client.get(f"/campaigns/{campaign_id}/edit")).text
    assert '<option value="share" selected>' in form and 'name="record_share" value="25"' in form


async def test_a_campaign_with_record_calls_and_no_setting_records_all(browser_client, make_user, services) -> None:
    old = await campaign_repo.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Old", trunk_template="Local/{digits}@carrier", record_calls=True))
    lead = await make_user(Role.TEAM_LEAD, "lan")
    await sign_in_campaigns(browser_client, lead.username)
    form = (await browser_client.get(f"/campaigns/{old.id}/edit")).text
    assert '<option value="all" selected>' in form
    desk = RecordingDesk(engine=type("E", (), {"pool": services.pool, "clock": services.clock})())  # type: ignore[arg-type]
    assert await desk.policy_for({"campaign_id": old.id, "record": True}) == RecordingPolicy("all")
    assert await desk.policy_for({"campaign_id": old.id, "record": False}) == RecordingPolicy("none")


async def test_the_queue_form_saves_the_recording_setting_and_refuses_a_bad_one(
        browser_client, make_user, services) -> None:
    lead = await make_user(Role.TEAM_LEAD, "lan")
    csrf = await sign_in_campaigns(browser_client, lead.username)
    refused = await browser_client.post("/queues/new", data=queue_form(
        csrf, name="Support", dids="+842873001234", record_mode="sometimes"))
    assert refused.status_code == 400 and "Record calls: choose all calls, a share of them or none." in refused.text
    created = await browser_client.post("/queues/new", data=queue_form(
        csrf, name="Support", dids="+842873001234", record_mode="all", recording_retention_days="30"))
    assert created.status_code == 303, created.text
    (queue,) = await queue_repo.list_queues(services.pool)
    assert await store.policy_of(services.pool, "queue", queue.id) == RecordingPolicy("all", 0, 30)
    desk = RecordingDesk(engine=type("E", (), {"pool": services.pool, "clock": services.clock})())  # type: ignore[arg-type]
    assert await desk.policy_for({"campaign_id": None, "queue_id": queue.id}) == RecordingPolicy("all", 0, 30)


async def test_an_admin_sets_the_global_retention_and_a_team_lead_may_not(browser_client, make_user, services) -> None:
    admin = await make_user(Role.ADMIN, "root2")
    csrf = await sign_in_campaigns(browser_client, admin.username)
    bad = await browser_client.post("/recordings/retention/global", data={"csrf_token": csrf,
                                                                           "recording_retention_days": "0"})
    assert bad.status_code == 400 and "Keep recordings (days; empty: the global setting):" in bad.text
    saved = await browser_client.post("/recordings/retention/global", data={"csrf_token": csrf,
                                                                             "recording_retention_days": "180"})
    assert saved.status_code == 303
    assert await store.policy_of(services.pool, "global", 0) == RecordingPolicy("none", 0, 180)
    page = (await browser_client.get("/recordings/retention?saved=1")).text
    assert "The global retention was saved." in page and "180 days" in page
    await browser_client.post("/logout", data={"csrf_token": csrf})
    lead = await make_user(Role.TEAM_LEAD, "lena")
    csrf = await sign_in_campaigns(browser_client, lead.username)
    refused = await browser_client.post("/recordings/retention/global", data={"csrf_token": csrf,
                                                                               "recording_retention_days": "1"})
    assert refused.status_code == 403
    assert 'id="rec-global"' not in (await browser_client.get("/recordings/retention")).text
