"""Reports, the abandonment compliance page and the wallboard, from call records the engine writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from campaigns import repository
from campaigns.model import Campaign, Pacing
from dialer.users import Role

PASSWORD = "correct horse battery"


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    form = (await client.get("/login")).text  # the login form carries its CSRF token
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                      "csrf_token": token})


async def add_record(pool: Any, *, campaign_id: int, agent_id: int | None, outcome: str, at: datetime,
                     disposition: str | None = None, talk_s: int = 0, wrap_s: int = 0, n: list[int] = [0]) -> None:  # noqa: B006
    n[0] += 1
    answered = outcome in ("handled", "abandoned")
    connected = at + timedelta(seconds=5) if outcome == "handled" else None
    ended = (connected + timedelta(seconds=talk_s)) if connected else at + timedelta(seconds=20)
    await pool.execute(
        "INSERT INTO call_records (campaign_id, agent_id, engine_id, leg_id, direction, phone_e164, originated_at,"
        " answered_at, ready_at, connected_at, ended_at, wrap_end_at, outcome, disposition)"
        " VALUES ($1, $2, 'e', $3, 'outbound', '+33612345678', $4, $5, $5, $6, $7, $8, $9, $10)",
        campaign_id, agent_id, f"leg-{n[0]}-{at.timestamp()}", at, at + timedelta(seconds=4) if answered else None,
        connected, ended, ended + timedelta(seconds=wrap_s) if connected else None, outcome, disposition)


async def seeded(services: Any, make_user: Any) -> tuple[Campaign, Any]:
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Reports", trunk_template="PJSIP/{number}@c", pacing=Pacing(target_abandon=0.03)))
    agent = await make_user(Role.AGENT, "hoa", display_name="Hoa")
    now = datetime.now(UTC)
    for minutes, outcome, dispo in ((50, "handled", "sale"), (40, "handled", "sale"), (30, "handled", "not_interested"),
                                    (20, "abandoned", None), (10, "busy", None), (5, "no_answer", None)):
        await add_record(services.pool, campaign_id=campaign.id, agent_id=agent.id if outcome == "handled" else None,
                         outcome=outcome, disposition=dispo, at=now - timedelta(minutes=minutes), talk_s=120, wrap_s=30)
    return campaign, agent


async def test_reports_count_results_per_disposition_agent_and_hour(browser_client, make_user, services) -> None:
    campaign, _ = await seeded(services, make_user)
    lead = await make_user(Role.TEAM_LEAD)
    await sign_in(browser_client, lead.username)
    page = await browser_client.get(f"/reports?campaign={campaign.id}&days=1")
    assert page.status_code == 200 and "<svg" in page.text
    dispositions = await browser_client.get(f"/reports/dispositions.csv?campaign={campaign.id}&days=1")
    assert dispositions.headers["content-type"].startswith("text/csv")
    assert dispositions.text.splitlines()[:2] == ["result,label,is_disposition,conversion,calls,talk_s",
                                                  "sale,Sale,True,True,2,240"]
    assert "abandoned,abandoned,False,False,1,0" in dispositions.text and "busy,busy,False,False,1,0" in dispositions.text
    agents = await browser_client.get(f"/reports/agents.csv?campaign={campaign.id}&days=1")
    assert agents.text.splitlines() == [
        "agent,attempts,connects,handled,abandoned,abandon_rate,talk_s,wrap_s,average_handle_s,conversions",
        "Hoa,3,3,3,0,0.0,360,90,150,2"]
    hours = (await browser_client.get(f"/reports/hours.csv?campaign={campaign.id}&days=1")).text.splitlines()
    columns = list(zip(*(line.split(",") for line in hours[1:])))
    assert [sum(int(x) for x in columns[i]) for i in (1, 2, 3, 4, 9)] == [6, 3, 3, 1, 2]  # attempts .. conversions
    campaigns = (await browser_client.get(f"/reports/campaigns.csv?campaign={campaign.id}&days=1")).text.splitlines()
    assert campaigns[1] == "Reports,6,3,3,1,0.25,360,90,150,2"      # 1 abandoned of 4 live answers


async def test_a_bad_report_request_is_a_clear_error(browser_client, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    await sign_in(browser_client, lead.username)
    assert (await browser_client.get("/reports/salaries.csv")).status_code == 404
    bad = await browser_client.get("/reports?days=0")
    assert bad.status_code == 422 and "Traceback" not in bad.text


async def test_the_compliance_page_shows_abandonment_against_the_cap(browser_client, make_user, services) -> None:
    await seeded(services, make_user)
    officer = await make_user(Role.COMPLIANCE)
    await sign_in(browser_client, officer.username)
    page = await browser_client.get("/compliance")
    assert page.status_code == 200
    row = page.text.split('id="abandonment"')[1]
    assert "Reports" in row and "3.0%" in row and "25.00%" in row and "Over the cap" in row


async def test_the_wallboard_shows_the_engines_live_state(browser_client, make_user, services) -> None:
    class Board:
        def live_state(self) -> dict[str, Any]:
            return {"agents": {"on_call": 2, "ready": 1}, "agents_logged_in": 3, "calls": {"connected": 2},
                    "calls_in_flight": 4, "calls_waiting": 1, "dial_rate_per_min": 7.5, "connects_last_hour": 31,
                    "campaigns": {"1": {"name": "Spring", "pacer": {"calls": 2, "why": "2 agents free soon",
                                                                     "age_s": 0.4}, "abandonment": None}},
                    "at": "2026-01-01T10:00:00+00:00"}

    services.extras["engine"] = Board()
    lead = await make_user(Role.TEAM_LEAD)
    await sign_in(browser_client, lead.username)
    page = await browser_client.get("/wallboard")
    assert page.status_code == 200
    assert 'data-k="calls_in_flight">4<' in page.text and 'data-agents="on_call">2<' in page.text
    assert "2 agents free soon" in page.text          # in the initial state handed to the script


async def test_agents_cannot_see_reports_or_the_wallboard(browser_client, make_user) -> None:
    agent = await make_user(Role.AGENT)
    await sign_in(browser_client, agent.username)
    for path in ("/reports", "/reports/agents.csv", "/wallboard", "/wallboard/live", "/compliance"):
        assert (await browser_client.get(path)).status_code == 403, path
