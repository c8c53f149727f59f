"""The per-agent wallboard in Debian's chromium: a team lead sees a row per signed-in agent, pauses one from
it and the agent's own panel turns to paused with the reason, then signs it out; the columns sort; the page
does not overflow a narrow screen. Live supervision: once the agent is on a call, the lead's Listen button rings
the lead's phone into ChanSpy on the simulated PBX, and the agent's panel says it is monitored (its campaign asks
for it); Whisper and Barge in switch the mode, Stop supervising ends it; a message reaches the panel."""

from __future__ import annotations

import pytest

from campaigns import repository
from campaigns.model import Campaign
from campaigns.windows import WindowProfile
from dialer import users
from dialer.users import Role
from simulations.virtual_agents import virtual_phone

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
ALL_DAY = WindowProfile("custom", tuple(((0, 1440),) for _ in range(7)))


async def test_a_team_lead_pauses_an_agent_from_the_wallboard(open_page, live_system, make_user, services, ui) -> None:
    base = live_system.url
    lena = await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    await users.update_user(services.pool, user_id=lena.id, phone_dial_string=virtual_phone(lena.id))
    agent = await make_user(Role.AGENT, "an", display_name="An Pham")
    await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Wallboard check", trunk_template="Local/{number}@from-dialer", default_region="FR",
        timezone="Europe/Paris", window_profile="custom", custom_window=ALL_DAY, notify_monitored=True))
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

    # live supervision: the agent back, on a call; the lead listens, whispers, barges in, stops, sends a message
    await ui.agent_ready(desk)
    await services.pool.execute("INSERT INTO leads (campaign_id, phone_e164, first_name, timezones)"
                                " VALUES ($1, '+33612345612', 'Lan', ARRAY['Europe/Paris'])", campaign.id)
    await desk.wait_for_selector("body[data-state=on_call]", timeout=30_000)
    assert await desk.locator("#monitored").is_hidden()
    await lead.wait_for_selector(f"#wb-agents tr[data-agent='{agent.id}'][data-state=on_call]", timeout=10_000)
    await row.locator("button[data-action=listen]").click()
    await lead.wait_for_function("document.getElementById('wb-action-result').textContent.includes('answer it to listen')")
    # the simulated PBX answered the lead's phone into ChanSpy: the agent's panel says so
    await desk.wait_for_selector("#monitored:not([hidden])", timeout=10_000)
    assert await desk.locator("#monitored").inner_text() == "A team lead is listening to this call."
    await ui.shot(desk, "agent-panel-monitored")
    for mode, said in (("whisper", "only the agent hears you"), ("barge", "the customer hear you")):
        await row.locator(f"button[data-action={mode}]").click()
        await lead.wait_for_function(f"document.getElementById('wb-action-result').textContent.includes({said!r})")
    await ui.shot(lead, "wallboard-supervising")
    await lead.click("#wb-stop-supervising")
    await desk.wait_for_selector("#monitored", state="hidden", timeout=10_000)
    lead.once("dialog", lambda dialog: dialog.accept("Nhớ chào khách bằng tên"))
    await row.locator("button[data-action=message]").click()
    await desk.wait_for_selector("#lead-message:not([hidden])", timeout=10_000)
    assert await desk.locator("#lead-message").inner_text() == "Message from Lena: Nhớ chào khách bằng tên"
    await lead.reload()
    actions = await lead.locator("#wb-audit tbody tr").evaluate_all("rows => rows.map(r => r.dataset.action)")
    assert actions[:4] == ["message", "barge", "whisper", "listen"]

    # a narrow screen: the wide table scrolls inside its card, the page itself does not
    await lead.set_viewport_size({"width": 480, "height": 860})
    overflow = await lead.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    await ui.shot(lead, "wallboard-narrow")
    assert lead.errors == [] and desk.errors == []
