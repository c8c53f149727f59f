"""Small things a first day finds (issue 13): the 404 page, the campaign page's schedule, retry policy and
actions, the simulations page's inputs and day count, callbacks in the customer's zone, no server paths."""

from __future__ import annotations

from typing import Any

from dialer.users import Role

PASSWORD = "correct horse battery"


async def sign_in(client: Any, username: str) -> str:
    """Sign in through the login form (echoing its token when it has one); returns the session's CSRF token."""
    form = (await client.get("/login")).text
    token = form.split('name="csrf_token" value="')[1].split('"')[0] if 'name="csrf_token"' in form else ""
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/", "csrf_token": token})
    home = await client.get("/")
    return str(home.text.split('name="csrf-token" content="')[1].split('"')[0])


async def test_the_404_page_speaks_the_readers_language_and_keeps_the_menu(browser_client, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    await sign_in(browser_client, lead.username)
    for path in ("/no-such-page", "/campaigns/999999"):
        page = await browser_client.get(path)
        assert page.status_code == 404, path
        assert "Trang này không tồn tại." in page.text and "Hãy dùng menu phía trên" in page.text
        assert "Not Found" not in page.text and "there is no such campaign" not in page.text
        assert 'href="/campaigns"' in page.text and 'href="/wallboard"' in page.text   # the signed-in menu
        assert 'href="/"' in page.text


async def test_the_404_page_for_a_visitor_offers_home_and_sign_in(browser_client) -> None:
    page = await browser_client.get("/nothing-here", headers={"accept-language": "vi-VN,vi", "accept": "text/html"})
    assert page.status_code == 404
    assert "Trang này không tồn tại." in page.text and 'href="/login"' in page.text


async def test_the_campaign_page_shows_its_schedule_and_retry_policy(browser_client, make_user, services) -> None:
    from datetime import date

    from campaigns import repository
    from campaigns.model import Campaign
    from campaigns.retry_policy import Disposition, RetryRule
    from campaigns.windows import Schedule, WindowProfile

    weekdays = ((540, 720), (780, 1080))
    schedule = Schedule(WindowProfile("schedule", (weekdays,) * 5 + (((540, 720),), ()), holiday_calendar="FR"),
                        start_date=date(2027, 1, 4), end_date=date(2027, 3, 31))
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Tết", trunk_template="PJSIP/{number}@c", schedule=schedule,
        dispositions=(Disposition("sale", "Sale"), Disposition("later", "Gọi lại sau", final=False,
                                                                  retry=RetryRule(2 * 86400, 3)))))
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    await sign_in(browser_client, lead.username)
    page = (await browser_client.get(f"/campaigns/{campaign.id}")).text
    shown = page.split('id="campaign-schedule">')[1].split("</td>")[0]
    assert shown.split("<br>") == ["Thứ Hai – Thứ Sáu: 09:00-12:00, 13:00-18:00", "Thứ Bảy: 09:00-12:00",
                                   "Chủ Nhật: nghỉ", "Từ 2027-01-04 đến 2027-03-31", "Không gọi vào ngày lễ của FR"]
    retry = page.split('id="campaign-retry">')[1].split("</td>")[0]
    assert "<div>Máy bận: gọi lại sau 15 phút, tối đa 5 lần</div>" in retry
    assert "<div>Không trả lời: gọi lại sau 2 giờ, tối đa 5 lần</div>" in retry
    assert "<div>Gọi lại sau: gọi lại sau 2 ngày, tối đa 3 lần</div>" in retry
    assert "<div>Bị bỏ: số này không được gọi lại trong 72 giờ</div>" in retry


async def test_the_campaign_page_offers_only_what_its_state_allows(browser_client, make_user, services) -> None:
    from admin_ui.campaign_text import STATE_ACTIONS
    from admin_ui.routes.pages_campaigns import ACTIONS
    from campaigns import repository
    from campaigns.model import TRANSITIONS, Campaign, CampaignState

    for state, actions in STATE_ACTIONS.items():     # the buttons are the state machine's own moves
        assert {ACTIONS[a][1] for a in actions} <= TRANSITIONS[state]
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="States", trunk_template="PJSIP/{number}@c"))
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)

    def buttons(html: str) -> list[str]:
        return [part.split('"')[0] for part in html.split('id="btn-')[1:]]

    path = f"/campaigns/{campaign.id}"
    assert buttons((await browser_client.get(path)).text) == ["start", "stop"]
    for target, expected in ((CampaignState.RUNNING, ["pause", "stop"]), (CampaignState.PAUSED, ["resume", "stop"])):
        async with services.pool.acquire() as conn:
            await repository.set_campaign_state(conn, campaign_id=campaign.id, target=target)
        assert buttons((await browser_client.get(path)).text) == expected
    resumed = await browser_client.post(f"{path}/state", data={"csrf_token": csrf, "action": "resume"})
    assert resumed.status_code == 303
    assert (await repository.get_campaign(services.pool, campaign_id=campaign.id)).state is CampaignState.RUNNING
    async with services.pool.acquire() as conn:
        await repository.set_campaign_state(conn, campaign_id=campaign.id, target=CampaignState.FINISHED)
    page = (await browser_client.get(path)).text
    assert buttons(page) == [] and 'id="no-actions"' in page and f"{path}/edit" not in page


async def test_the_callbacks_api_gives_the_customers_zone_and_local_time(api_client, services) -> None:
    from datetime import UTC, datetime

    from campaigns import repository
    from campaigns.model import Campaign

    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Zones", trunk_template="PJSIP/{number}@c", timezone="America/New_York"))
    async with services.pool.acquire() as conn:
        paris = await conn.fetchval("INSERT INTO leads (campaign_id, phone_e164, timezones) VALUES ($1, $2, $3)"
                                    " RETURNING id", campaign.id, "+33612345678", ["Europe/Paris"])
        unknown = await conn.fetchval("INSERT INTO leads (campaign_id, phone_e164) VALUES ($1, $2) RETURNING id",
                                      campaign.id, "+12125550100")
        for lead in (paris, unknown):
            await repository.create_callback(conn, lead_id=lead, due_at=datetime(2031, 7, 1, 12, 0, tzinfo=UTC),
                                             agent_id=None, created_by=None)
    async with api_client(Role.TEAM_LEAD) as client:
        listed = (await client.get(f"/api/campaigns/{campaign.id}/callbacks")).json()
    # the lead's own zone, else the campaign's (as when the callback was scheduled)
    assert [(c["zone"], c["due_local"]) for c in listed] == [("Europe/Paris", "2031-07-01T14:00"),
                                                             ("America/New_York", "2031-07-01T08:00")]


async def test_no_server_file_path_in_an_imports_messages_or_the_audit_trail(
        browser_client, make_user, services, database_url, redis_url) -> None:
    from dnc import repository as dnc_repo
    from tests.admin_ui.test_pages_dnc import run_worker_burst

    services.extras["database_url"] = database_url
    officer = await make_user(Role.COMPLIANCE)
    csrf = await sign_in(browser_client, officer.username)
    server_dir = str(services.settings.data_dir)
    jobs = []
    for kind, name in (("national", "registry-fr"), ("internal", "own-list")):
        response = await browser_client.post(
            "/dnc/import", data={"csrf_token": csrf, "list_name": name, "kind": kind},
            files={"file": ("opt-outs march.txt", b"+33612345678\n+33612345679\n", "text/plain")})
        assert response.status_code == 303
        jobs.append(response.headers["location"].split("job=")[1])
    await run_worker_burst(database_url, redis_url)
    for job_id in jobs:
        status = (await browser_client.get(f"/api/jobs/{job_id}")).json()
        assert status["status"] == "finished", status
        assert server_dir not in str(status) and "/dnc/" not in str(status), status
    assert status["result"]["summary"].startswith("imported 2 numbers into own-list")
    async with services.pool.acquire() as conn:
        trail = await dnc_repo.audit_page(conn, number=None, before_id=None, limit=50)
    imports = [a for a in trail if a.action == "import"]
    assert len(imports) == 2 and all(server_dir not in f"{a.reason} {a.details}" for a in imports)
    # the audit names the file the officer uploaded, not the server's copy
    assert {a.details["source"] for a in imports} == {"opt-outs march.txt"}
    assert any(a.details.get("file", "").startswith("registry-fr-") for a in imports)
    page = await browser_client.get("/dnc/audit")
    assert server_dir not in page.text and "opt-outs march.txt" in page.text


def test_messages_keep_a_files_name_but_never_its_server_path() -> None:
    from admin_ui.safe_text import scrubbed, without_paths

    assert without_paths("cannot open /var/lib/dialer/uploads/list-0a1b.csv: No such file") == \
        "cannot open list-0a1b.csv: No such file"
    assert without_paths("see https://crm.example/customers/42 or 10/12/2026, 3/4") == \
        "see https://crm.example/customers/42 or 10/12/2026, 3/4"
    assert scrubbed({"summary": "registry file /srv/d/dnc/x.npy", "rows": [1, "/a/b/c"]}) == \
        {"summary": "registry file x.npy", "rows": [1, "c"]}
