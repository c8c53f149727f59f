"""The web upload as a team lead uses it: a French file in a Vietnamese campaign, rounded numbers, zone flags."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import httpx

from admin_ui.routes.pages_campaign_form import NEW_CAMPAIGN, form_values
from campaigns import repository
from dialer.aio import wait_within
from dialer.users import Role

PASSWORD = "correct horse battery"


async def _sign_in(client: httpx.AsyncClient, username: str) -> str:
    form = (await client.get("/login")).text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/", "csrf_token": token})
    return (await client.get("/")).text.split('name="csrf-token" content="')[1].split('"')[0]


async def _worker_burst(database_url: str, redis_url: str) -> None:
    env = {**os.environ, "DIALER_DATABASE_URL": database_url, "DIALER_REDIS_URL": redis_url}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "dialer.cli", "worker", "--burst", env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await wait_within(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()


async def test_a_team_lead_uploads_a_french_file_into_a_vietnamese_campaign_with_its_own_region(
        browser_client, make_user, services, database_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    services.extras["database_url"] = database_url
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    csrf = await _sign_in(browser_client, lead.username)
    values = {k: ("1" if v is True else "" if v is False else str(v)) for k, v in form_values(NEW_CAMPAIGN).items()}
    values.update(name="Khách Pháp", default_region="VN", timezone="Asia/Ho_Chi_Minh")
    created = await browser_client.post("/campaigns/new", data={"csrf_token": csrf, **values})
    campaign_id = int(created.headers["location"].split("/")[2].split("?")[0])
    content = ("Téléphone;Prénom;Fuseau horaire\n06 12 34 56 78;Zoé;CET\n3.3612345679E+10;René;\n"
               "3.3612E+10;Noël;\n01 23 45 67 89;Inès;UTC+7\n").encode("cp1252")
    mapping = await browser_client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": csrf},
                                        files={"file": ("clients.csv", content, "text/csv")})
    assert mapping.status_code == 200 and 'name="region"' in mapping.text
    assert "Quốc gia của các số không có mã +quốc gia" in mapping.text          # the field, in Vietnamese
    upload = mapping.text.split('name="upload" value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "upload": upload, "filename": "clients.csv", "map_phone": "Téléphone",
            "map_first_name": "Prénom", "map_timezone": "Fuseau horaire"}
    refused = await browser_client.post(f"/campaigns/{campaign_id}/import", data={**form, "region": "ZZ"})
    assert refused.status_code == 400 and "Mã quốc gia &#39;ZZ&#39; không hợp lệ" in refused.text
    started = await browser_client.post(f"/campaigns/{campaign_id}/import", data={**form, "region": "fr"})
    assert started.status_code == 303
    await _worker_burst(database_url, redis_url)
    (call_list,) = await repository.list_lists(services.pool, campaign_id=campaign_id)
    assert call_list.status == "ready", call_list.error
    assert (call_list.counts["imported"], call_list.counts["rejected"], call_list.counts["timezone_flagged"]) == \
        (3, 1, 1)
    leads = await services.pool.fetch("SELECT first_name, phone_e164, timezones, timezone_flag FROM leads"
                                      " WHERE campaign_id = $1 ORDER BY id", campaign_id)
    assert [(r["first_name"], r["phone_e164"], r["timezones"], bool(r["timezone_flag"])) for r in leads] == [
        ("Zoé", "+33612345678", ["Europe/Paris"], False),
        ("René", "+33612345679", ["Europe/Paris"], False),
        ("Inès", "+33123456789", ["Europe/Paris"], True)]
    flag = await services.pool.fetchrow("SELECT timezone_flag_code, timezone_flag_params FROM leads"
                                        " WHERE phone_e164 = '+33123456789'")
    assert flag["timezone_flag_code"] == "zone_mismatch_number"
    assert json.loads(flag["timezone_flag_params"])["zone"] == "UTC+7"
    page = await browser_client.get(f"/campaigns/{campaign_id}")
    assert "1 múi giờ bị đánh dấu" in page.text
    report = await browser_client.get(f"/campaigns/{campaign_id}/lists/{call_list.id}/rejects.csv")
    lines = report.text.strip().splitlines()
    # the team lead reads Vietnamese: the reasons are in Vietnamese, with their codes in the last column
    assert lines[0] == "line,kind,reason,raw,reason_code"
    assert lines[1].startswith("4,invalid,số đã bị bảng tính làm tròn: 3.3612E+10,") and \
        lines[1].endswith(",rounded_by_spreadsheet")
    assert lines[2].startswith("5,timezone_flagged,múi giờ 'UTC+7' không khớp với múi giờ của số điện thoại;")
