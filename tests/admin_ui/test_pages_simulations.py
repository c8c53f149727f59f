"""The simulations page, through the real app, Valkey and a real ``dialer worker``."""

from __future__ import annotations

import re

from dialer.users import Role
from tests.admin_ui.test_pages_dnc import run_worker_burst, sign_in


async def test_anyone_signed_in_finds_the_form_with_the_shipped_scenarios(browser_client, make_user) -> None:
    agent = await make_user(Role.AGENT)
    await sign_in(browser_client, agent.username)
    home = await browser_client.get("/")
    assert 'href="/simulations"' in home.text
    page = await browser_client.get("/simulations")
    assert page.status_code == 200
    assert '<option value="agents100_connect25"' in page.text and "100 agents, 25% connect" in page.text
    assert 'value="vicidial"' in page.text


async def test_the_page_needs_a_signed_in_user(browser_client) -> None:
    response = await browser_client.get("/simulations", headers={"accept": "text/html"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_a_bad_form_is_refused_with_the_reason_and_keeps_what_was_typed(browser_client, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    response = await browser_client.post("/simulations", data={
        "csrf_token": csrf, "scenario": "agents5_connect12", "pacers": ["predictive"], "connect": "0", "agents": "12"})
    assert response.status_code == 400
    assert "the connect rate must be more than 0%" in response.text
    assert 'name="agents" inputmode="numeric" value="12"' in response.text
    response = await browser_client.post("/simulations", data={"csrf_token": csrf, "scenario": "agents5_connect12",
                                                               "pacers": ["predictive"], "seeds": "two"})
    assert response.status_code == 400 and "seeds must be a number" in response.text
    response = await browser_client.post("/simulations", data={"csrf_token": csrf, "scenario": "agents5_connect12"})
    assert response.status_code == 400 and "choose at least one pacer" in response.text


async def test_a_simulation_runs_as_a_job_and_shows_its_table_plot_and_calls(
        browser_client, make_user, database_url, redis_url) -> None:
    compliance = await make_user(Role.COMPLIANCE)
    csrf = await sign_in(browser_client, compliance.username)
    response = await browser_client.post("/simulations", data={
        "csrf_token": csrf, "scenario": "agents5_connect30", "pacers": ["predictive", "progressive"],
        "hours": "0.5", "seeds": "1", "agents": "4"})
    assert response.status_code == 303
    job_id = response.headers["location"].split("job=")[1]
    waiting = await browser_client.get(response.headers["location"])
    assert f'data-job="{job_id}"' in waiting.text
    await run_worker_burst(database_url, redis_url)
    status = (await browser_client.get(f"/api/jobs/{job_id}")).json()
    assert status["status"] == "finished", status
    page = await browser_client.get(response.headers["location"])
    assert "data-job=" not in page.text
    # the run's page says how many days it simulated, and keeps the inputs it was started with
    assert '<p class="muted" id="sim-summary">1 simulated day of 0.5 h for each of 2 pacers: ' in page.text
    assert 'name="hours" inputmode="decimal" value="0.5"' in page.text
    assert 'name="agents" inputmode="numeric" value="4"' in page.text
    assert '<option value="agents5_connect30" selected>' in page.text
    assert 'value="vicidial" >' in page.text and 'value="progressive" checked>' in page.text
    rows = re.findall(r"<tr[^>]*><td>(\w+)</td>", page.text)
    assert rows == ["predictive", "progressive"]
    run_id = job_id.removeprefix("sim-")
    plot = await browser_client.get(f"/simulations/{run_id}/day.png")
    assert plot.status_code == 200 and plot.content.startswith(b"\x89PNG")
    calls = await browser_client.get(f"/simulations/{run_id}/calls.csv")
    assert calls.status_code == 200 and calls.text.splitlines()[0].startswith("scenario,pacer,seed,")
    assert (await browser_client.get(f"/simulations/{run_id}/secrets.txt")).status_code == 404
    assert (await browser_client.get("/simulations/..%2F..%2Fetc/day.png")).status_code == 404
    assert (await browser_client.get("/simulations?job=sim-0000000000000000")).status_code == 404
