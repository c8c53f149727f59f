"""Several sites in the web app (issue 18): a team lead sees their own site's campaigns, queues and reports and
cannot open another site's by URL, on a page or through the API; a manager sees every site with a site filter; the
admin adds sites and says who works where; the wallboard says which site is down."""

from __future__ import annotations

from datetime import timedelta

import httpx

from campaigns import queue_repository
from campaigns import repository as campaigns_repo
from campaigns.model import Campaign
from campaigns.queues import Queue
from dialer import sites, users
from dialer.users import Role
from tests.admin_ui.test_pages_campaigns import sign_in


async def two_sites(pool):  # type: ignore[no-untyped-def]
    hanoi = await sites.create_site(pool, name="hanoi", zone="Asia/Ho_Chi_Minh")
    a = await campaigns_repo.create_campaign(pool, campaign=Campaign(id=0, name="Saigon sales",
                                                                     trunk_template="Local/{digits}@carrier"))
    b = await campaigns_repo.create_campaign(pool, campaign=Campaign(id=0, name="Hanoi sales",
                                                                     trunk_template="Local/{digits}@carrier"))
    await sites.set_campaign_site(pool, campaign_id=b.id, site_id=hanoi.id)
    qa = await queue_repository.save_queue(pool, queue=Queue.from_dict({"name": "saigon-help"}))
    qb = await queue_repository.save_queue(pool, queue=Queue.from_dict({"name": "hanoi-help"}))
    await sites.set_queue_site(pool, queue_id=qb.id, site_id=hanoi.id)
    return hanoi, a, b, qa, qb


async def api(app, services, user) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    token = await users.create_api_token(services.pool, user_id=user.id, label="test")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             headers={"Authorization": f"Bearer {token}"})


async def test_a_team_lead_sees_only_their_site_and_cannot_open_another_sites_campaign_by_url(
        app, services, browser_client, make_user) -> None:
    hanoi, a, b, _qa, qb = await two_sites(services.pool)
    lead = await make_user(Role.TEAM_LEAD)                       # the default site, "main"
    assert lead.site_id == sites.DEFAULT_SITE_ID
    csrf = await sign_in(browser_client, lead.username)

    listed = (await browser_client.get("/campaigns")).text
    assert "Saigon sales" in listed and "Hanoi sales" not in listed
    assert (await browser_client.get(f"/campaigns/{a.id}")).status_code == 200
    for url in (f"/campaigns/{b.id}", f"/campaigns/{b.id}/edit", f"/queues/{qb.id}/edit"):
        refused = await browser_client.get(url)
        assert refused.status_code == 404, url
        assert "Hanoi sales" not in refused.text
    started = await browser_client.post(f"/campaigns/{b.id}/state", data={"csrf_token": csrf, "action": "start"})
    assert started.status_code == 404
    queues = (await browser_client.get("/queues?site=2")).text          # asking for another site changes nothing
    assert "saigon-help" in queues and "hanoi-help" not in queues
    assert 'id="site-filter"' not in queues                             # a team lead has no site filter

    async with await api(app, services, lead) as client:
        assert [c["name"] for c in (await client.get("/api/campaigns")).json()] == ["Saigon sales"]
        assert [c["name"] for c in (await client.get(f"/api/campaigns?site={hanoi.id}")).json()] == ["Saigon sales"]
        assert (await client.get(f"/api/campaigns/{b.id}")).status_code == 404
        assert (await client.patch(f"/api/campaigns/{b.id}", json={"name": "taken over"})).status_code == 404
        assert (await client.get(f"/api/campaigns/{b.id}/lists")).status_code == 404
        assert (await client.get(f"/api/queues/{qb.id}")).status_code == 404
        assert [q["name"] for q in (await client.get("/api/queues")).json()] == ["saigon-help"]
        made = await client.post("/api/campaigns", json={"name": "Saigon new", "trunk_template": "Local/{digits}@c"})
        assert made.status_code == 201 and made.json()["site_id"] == sites.DEFAULT_SITE_ID
    assert (await campaigns_repo.get_campaign(services.pool, campaign_id=b.id)).name == "Hanoi sales"

    # moved to Hanoi by the admin, the lead sees Hanoi's campaigns and no longer Saigon's
    await sites.set_user_site(services.pool, user_id=lead.id, site_id=hanoi.id)
    assert (await browser_client.get(f"/campaigns/{b.id}")).status_code == 200
    assert (await browser_client.get(f"/campaigns/{a.id}")).status_code == 404


async def test_a_manager_sees_every_site_with_a_site_filter(app, services, browser_client, make_user) -> None:
    hanoi, _a, b, _qa, _qb = await two_sites(services.pool)
    manager = await make_user(Role.MANAGER, language="vi")
    assert manager.site_id is None
    await sign_in(browser_client, manager.username)
    every = (await browser_client.get("/campaigns")).text
    assert "Saigon sales" in every and "Hanoi sales" in every and 'id="site-filter"' in every
    assert "Tất cả chi nhánh" in every                                   # "All sites", in Vietnamese
    only_hanoi = (await browser_client.get(f"/campaigns?site={hanoi.id}")).text
    assert "Hanoi sales" in only_hanoi and "Saigon sales" not in only_hanoi
    assert (await browser_client.get(f"/campaigns/{b.id}")).status_code == 200
    queues = (await browser_client.get(f"/queues?site={hanoi.id}")).text
    assert "hanoi-help" in queues and "saigon-help" not in queues
    reports = await browser_client.get(f"/reports?site={hanoi.id}")
    assert reports.status_code == 200 and 'id="site-filter"' in reports.text
    async with await api(app, services, manager) as client:
        names = sorted(c["name"] for c in (await client.get("/api/campaigns")).json())
        assert names == ["Hanoi sales", "Saigon sales"]
        assert [c["name"] for c in (await client.get(f"/api/campaigns?site={hanoi.id}")).json()] == ["Hanoi sales"]
    assert (await browser_client.get("/admin/users")).status_code == 403        # a manager is not an admin


async def test_the_admin_adds_a_site_and_says_who_works_where(services, browser_client, make_user) -> None:
    admin = await make_user(Role.ADMIN)
    agent = await make_user(Role.AGENT)
    csrf = await sign_in(browser_client, admin.username)
    added = await browser_client.post("/admin/sites", data={"csrf_token": csrf, "name": "danang",
                                                            "zone": "Asia/Ho_Chi_Minh"})
    assert added.status_code == 303
    danang = await sites.site_named(services.pool, "danang")
    twice = await browser_client.post("/admin/sites", data={"csrf_token": csrf, "name": "danang"})
    assert twice.status_code == 400 and "exists already" in twice.text
    bad = await browser_client.post("/admin/sites", data={"csrf_token": csrf, "name": "Đà Nẵng"})
    assert bad.status_code == 400 and "name: 1 to 40" in bad.text
    moved = await browser_client.post(f"/admin/users/{agent.id}/site",
                                      data={"csrf_token": csrf, "site": str(danang.id)})
    assert moved.status_code == 303
    assert (await users.get_user(services.pool, agent.id)).site_id == danang.id
    every = await browser_client.post(f"/admin/users/{agent.id}/site", data={"csrf_token": csrf, "site": ""})
    assert every.status_code == 422                                      # an agent works at one site
    page = (await browser_client.get("/admin/sites")).text
    assert 'data-site="danang"' in page and "no engine has reported yet" in page


async def test_the_wallboard_says_which_site_is_down_and_a_team_lead_sees_only_their_own(
        services, browser_client, make_user) -> None:
    hanoi, a, b, _qa, _qb = await two_sites(services.pool)
    danang = await sites.create_site(services.pool, name="danang")
    await sites.report(services.pool, site_ids=[1], engine_id="main-1", pbx_up=True, detail="")
    await sites.report(services.pool, site_ids=[hanoi.id], engine_id="hanoi-1", pbx_up=False,
                       detail="pbx-hanoi down (connection refused)")
    await sites.report(services.pool, site_ids=[danang.id], engine_id="danang-1", pbx_up=True, detail="")
    await services.pool.execute("UPDATE site_engines SET seen_at = now() - $1::interval WHERE engine_id = 'danang-1'",
                                timedelta(minutes=5))                     # its engine stopped reporting
    await sites.pause_site(services.pool, site=hanoi, at=services.clock.now())
    await services.pool.execute("UPDATE campaigns SET state = 'running' WHERE id = $1", b.id)   # (was not running)
    assert await sites.pause_site(services.pool, site=hanoi, at=services.clock.now()) == [b.id]

    manager = await make_user(Role.MANAGER)
    await sign_in(browser_client, manager.username)
    board = (await browser_client.get("/wallboard")).text
    assert 'data-site="hanoi" data-status="down"' in board and "pbx-hanoi down (connection refused)" in board
    assert "Site hanoi is down: its campaigns are paused until its PBX is back" in board
    assert 'data-site="danang" data-status="silent"' in board and "its engines stopped reporting" in board
    assert 'data-site="main" data-status="up"' in board
    assert "Paused while the site is down: Hanoi sales" in board
    one = (await browser_client.get(f"/wallboard/sites?site={hanoi.id}")).json()
    assert [s["name"] for s in one["sites"]] == ["hanoi"] and one["paused"][0]["id"] == b.id
    campaign_page = (await browser_client.get(f"/campaigns/{b.id}")).text
    assert "the PBX of site hanoi cannot be reached" in campaign_page      # the reason on the campaign's page

    assert "saigon-help" in board and "hanoi-help" in board                # every site's queue tiles
    only = (await browser_client.get(f"/wallboard/queues?site={hanoi.id}")).text
    assert "hanoi-help" in only and "saigon-help" not in only

    lead = await make_user(Role.TEAM_LEAD)                                 # of main
    await browser_client.post("/logout", data={})
    browser_client.cookies.clear()
    await sign_in(browser_client, lead.username)
    tiles = (await browser_client.get("/wallboard/queues")).text
    assert "saigon-help" in tiles and "hanoi-help" not in tiles
    mine = (await browser_client.get("/wallboard/sites")).json()
    assert [s["name"] for s in mine["sites"]] == ["main"] and mine["paused"] == []
    assert (await browser_client.get(f"/wallboard/sites?site={hanoi.id}")).json()["sites"][0]["name"] == "main"

    # the PBX back: exactly the campaigns paused for the site run again
    await services.pool.execute("UPDATE campaigns SET state = 'paused' WHERE id = $1", a.id)   # a person paused it
    assert await sites.resume_site(services.pool, site_id=hanoi.id) == [b.id]
    assert await sites.resume_site(services.pool, site_id=1) == []


async def test_time_sheets_of_a_team_lead_list_their_own_sites_agents_only(services, browser_client, make_user) -> None:
    hanoi = await sites.create_site(services.pool, name="hanoi")
    await make_user(Role.AGENT, "an-saigon", display_name="An Saigon")
    far = await make_user(Role.AGENT, "binh-hanoi", display_name="Binh Hanoi", site_id=hanoi.id)
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    page = (await browser_client.get(f"/timesheets?site={hanoi.id}")).text
    assert "An Saigon" in page and "Binh Hanoi" not in page
    refused = await browser_client.post("/timesheets/corrections", data={
        "csrf_token": csrf, "agent": str(far.id), "day": "2026-01-05", "figure": "talk", "value": "0:10:00",
        "note": "not mine to correct"})
    assert refused.status_code == 404

    manager = await make_user(Role.MANAGER)
    browser_client.cookies.clear()
    await sign_in(browser_client, manager.username)
    every = (await browser_client.get("/timesheets")).text
    assert "An Saigon" in every and "Binh Hanoi" in every and 'id="site-filter"' in every
    only = (await browser_client.get(f"/timesheets?site={hanoi.id}")).text
    assert "Binh Hanoi" in only and "An Saigon" not in only


async def test_a_manager_moves_a_campaign_or_a_queue_to_another_site_and_a_team_lead_may_not(
        services, browser_client, make_user) -> None:
    hanoi, a, _b, qa, _qb = await two_sites(services.pool)
    manager = await make_user(Role.MANAGER)
    csrf = await sign_in(browser_client, manager.username)
    page = (await browser_client.get(f"/campaigns/{a.id}")).text
    assert 'id="campaign-site-move"' in page
    moved = await browser_client.post(f"/campaigns/{a.id}/site", data={"csrf_token": csrf, "site": str(hanoi.id)})
    assert moved.status_code == 303 and await sites.site_of_campaign(services.pool, a.id) == hanoi.id
    assert "Moved to the site." in (await browser_client.get(moved.headers["location"])).text
    queue = await browser_client.post(f"/queues/{qa.id}/site", data={"csrf_token": csrf, "site": str(hanoi.id)})
    assert queue.status_code == 303 and queue.headers["location"] == f"/queues/{qa.id}/edit?done=site_moved"
    assert await sites.site_of_queue(services.pool, qa.id) == hanoi.id
    for missing in ("/campaigns/99999/site", "/queues/99999/site"):
        assert (await browser_client.post(missing, data={"csrf_token": csrf, "site": "1"})).status_code == 404

    lead = await make_user(Role.TEAM_LEAD, site_id=hanoi.id)
    browser_client.cookies.clear()
    csrf = await sign_in(browser_client, lead.username)
    assert 'id="campaign-site-move"' not in (await browser_client.get(f"/campaigns/{a.id}")).text
    refused = await browser_client.post(f"/campaigns/{a.id}/site", data={"csrf_token": csrf, "site": "1"})
    assert refused.status_code == 403 and await sites.site_of_campaign(services.pool, a.id) == hanoi.id
    refused = await browser_client.post(f"/queues/{qa.id}/site", data={"csrf_token": csrf, "site": "1"})
    assert refused.status_code == 403 and await sites.site_of_queue(services.pool, qa.id) == hanoi.id


def test_every_site_text_is_in_english_and_vietnamese_with_the_same_placeholders() -> None:
    import re
    import string
    from pathlib import Path

    from admin_ui.i18n import MESSAGES
    from admin_ui.site_text import SITE_MESSAGES

    folder = Path(__file__).resolve().parents[2] / "admin_ui" / "templates"
    used = set()
    for name in ("site_filter.html", "sites.html", "wallboard_sites.html"):
        used |= set(re.findall(r"""t\(["']([a-z_]+)["'][,)]""", (folder / name).read_text()))
    used |= {f"site_st_{s}" for s in ("up", "down", "silent", "unknown")} | {"health_site_down", "role_manager"}
    missing = sorted(k for k in used | set(SITE_MESSAGES)
                     if not (MESSAGES.get(k, {}).get("en") and MESSAGES.get(k, {}).get("vi")))
    assert missing == []
    for key, texts in SITE_MESSAGES.items():
        fields = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in ("en", "vi")]
        assert fields[0] == fields[1], key


async def test_a_team_lead_finds_only_their_sites_leads_on_the_page_the_api_and_the_export(
        app, services, browser_client, make_user) -> None:
    _hanoi, a, b, _qa, _qb = await two_sites(services.pool)
    await services.pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, first_name) VALUES ($1, '+84901000001', 'Saigon Lan'),"
        " ($2, '+84901000002', 'Hanoi Mai')", a.id, b.id)
    far = await services.pool.fetchval("SELECT id FROM leads WHERE campaign_id = $1", b.id)
    lead = await make_user(Role.TEAM_LEAD)
    await sign_in(browser_client, lead.username)
    page = (await browser_client.get("/leads?q=0901")).text
    assert "Saigon Lan" in page and "Hanoi Mai" not in page
    assert "Hanoi Mai" not in (await browser_client.get(f"/leads?q=0901&campaign={b.id}")).text
    assert (await browser_client.get(f"/leads/{far}")).status_code == 404
    async with await api(app, services, lead) as client:
        found = (await client.get("/api/leads", params={"q": "0901"})).json()
        assert [r["first_name"] for r in found["leads"]] == ["Saigon Lan"]
        exported = await client.get("/api/leads/export.csv", params={"campaign": str(b.id)})
        assert exported.status_code == 200 and exported.headers["x-leads-total"] == "0"
        assert "Hanoi Mai" not in exported.text
    manager = await make_user(Role.MANAGER)
    async with await api(app, services, manager) as client:
        found = (await client.get("/api/leads", params={"q": "0901"})).json()
        assert sorted(r["first_name"] for r in found["leads"]) == ["Hanoi Mai", "Saigon Lan"]


async def test_a_queue_and_a_campaign_take_only_agents_of_their_own_site(  # type: ignore[no-untyped-def]
        app, services, make_user) -> None:
    hanoi, a, _b, qa, qb = await two_sites(services.pool)
    saigon_agent = await make_user(Role.AGENT, "an")                         # the default site, "main"
    hanoi_agent = await make_user(Role.AGENT, "mai")
    await sites.set_user_site(services.pool, user_id=hanoi_agent.id, site_id=hanoi.id)
    lead = await make_user(Role.TEAM_LEAD)
    async with await api(app, services, lead) as client:
        url = f"/api/queues/{qa.id}/agents"
        assert (await client.put(url, json={"agents": [{"user_id": saigon_agent.id, "level": 5}]})).status_code == 200
        refused = await client.put(url, json={"agents": [{"user_id": saigon_agent.id, "level": 5},
                                                         {"user_id": hanoi_agent.id, "level": 9}]})
        assert refused.status_code == 422
        assert (refused.json()["field"], refused.json()["code"]) == ("agents", "agent_other_site")
        assert refused.json()["detail"] == ("agents: agent 'mai' works at site 'hanoi', not at 'main', this queue's "
                                            "site; choose an agent of 'main' (an admin can move the agent on the "
                                            "Sites page)")
        agents = (await client.get(f"/api/queues/{qa.id}")).json()["agents"]
        assert [a["username"] for a in agents] == ["an"]                      # nothing changed
        # a campaign's agents likewise
        url = f"/api/campaigns/{a.id}/agents"
        refused = await client.put(url, json={"user_ids": [saigon_agent.id, hanoi_agent.id]})
        assert refused.status_code == 422
        assert refused.json()["detail"] == ("user_ids: 'mai' works at site 'hanoi', not at 'main', this campaign's "
                                            "site; choose agents of 'main'")
        assert (await client.put(url, json={"user_ids": [saigon_agent.id]})).json() == {"user_ids": [saigon_agent.id]}
    manager = await make_user(Role.MANAGER)                                    # every site: the same rule
    async with await api(app, services, manager) as client:
        url = f"/api/queues/{qb.id}/agents"
        assert (await client.put(url, json={"agents": [{"user_id": saigon_agent.id, "level": 5}]})).status_code == 422
        assert (await client.put(url, json={"agents": [{"user_id": hanoi_agent.id, "level": 5}]})).status_code == 200
