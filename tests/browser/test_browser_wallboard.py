"""The per-agent wallboard in Debian's chromium: a team lead sees a row per signed-in agent, pauses one from
it and the agent's own panel turns to paused with the reason, then signs it out; the columns sort; the page
does not overflow a narrow screen."""

from __future__ import annotations

import pytest

from campaigns import repository
from campaigns.model import Campaign, DialMode
from dialer import users
from dialer.users import Role
from simulations.virtual_agents import virtual_phone

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


async def test_a_team_lead_pauses_an_agent_from_the_wallboard(open_page, live_system, make_user, services, ui) -> None:
    base = live_system.url
    await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    agent = await make_user(Role.AGENT, "an", display_name="An Pham")
    await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Wallboard check", trunk_template="Local/{number}@from-dialer", dial_mode=DialMode.PREVIEW))
    async with services.pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[agent.id])

    lead = await open_page(base)
    await ui.sign_in(lead, "lena", PASSWORD)
    await ui.start_campaign(lead, campaign.id)

    desk = await open_page(base)
    await ui.sign_in(desk, "an", PASSWORD)
    await ui.agent_ready(desk)

    await lead.goto("/wallboard")
    row = lead.locator(f"#wb-agents tr[data-agent='{agent.id}']")
    await row.wait_for(timeout=10_000)
    await lead.wait_for_selector(f"#wb-agents tr[data-agent='{agent.id}'][data-state=ready]")
    cells = await row.locator("td").all_inner_texts()
    assert cells[0] == "An Pham" and cells[1] == "Ready" and cells[4] == "Wallboard check"
    assert cells[6] == "0" and cells[7] == "0:00"
    await ui.shot(lead, "wallboard-agents")

    await row.locator("button[data-action=pause]").click()
    await lead.wait_for_selector("#wb-action-result.ok")
    await lead.wait_for_selector(f"#wb-agents tr[data-agent='{agent.id}'][data-state=paused]")
    assert await row.locator("td.wb-pause-code").inner_text() == "team lead"
    await desk.wait_for_selector("body[data-state=paused]", timeout=10_000)
    await ui.shot(desk, "agent-paused-by-team-lead")
    await lead.reload()
    audit = await lead.locator("#wb-audit tbody tr").first.all_inner_texts()
    assert "Lena" in audit[0] and "An Pham" in audit[0] and "Pause" in audit[0]

    # sortable: the header sorts by that column, both ways
    await lead.click("#wb-agents th[data-key=calls_today] button")
    assert await lead.get_attribute("#wb-agents", "data-sort") == "calls_today"
    await lead.click("#wb-agents th[data-key=calls_today] button")
    assert await lead.get_attribute("#wb-agents", "data-sort") == "-calls_today"

    # sign the agent out from the wallboard (after a confirmation): the panel shows it signed out
    lead.once("dialog", lambda dialog: dialog.accept())
    await row.locator("button[data-action=sign-out]").click()
    await desk.wait_for_selector("body[data-state=logged_out]", timeout=10_000)
    await lead.wait_for_selector(f"#wb-agents tr[data-agent='{agent.id}']", state="detached")
    assert await lead.locator("#wb-agents-empty").is_visible()

    # a narrow screen: the wide table scrolls inside its card, the page itself does not
    await lead.set_viewport_size({"width": 480, "height": 860})
    overflow = await lead.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    await ui.shot(lead, "wallboard-narrow")
    assert lead.errors == [] and desk.errors == []
