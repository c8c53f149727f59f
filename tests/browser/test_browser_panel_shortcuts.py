"""The agent panel as a team lead set it up, in Debian's chromium: the lead sets shortcut keys, pause codes and an
agent script on the campaign form (a key given twice is refused, naming the field); the agent sees each key
on its button and disposition, pauses with a key and a code from the campaign's list, takes a call whose
script is filled with the lead's fields, hangs up with a key, types digits and letters in the notes without
firing anything, and sets the disposition with its key."""

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
SCRIPT = "Xin chào {{ first_name }} {{ last_name }}, em là {{ agent_name }}.\nGói của anh/chị: {{ fields.plan }}"


async def lead_lena_and_agent_an_on_a_campaign(  # type: ignore[no-untyped-def]
        services, make_user, name: str) -> Campaign:
    """Team lead 'lena' and agent 'an' (on a virtual phone of the simulated PBX), and a French campaign open all
    day with 'an' as its agent."""
    await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    agent = await make_user(Role.AGENT, "an", display_name="An")
    await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name=name, trunk_template="Local/{number}@from-dialer", default_region="FR",
        timezone="Europe/Paris", window_profile="custom", custom_window=ALL_DAY))
    async with services.pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[agent.id])
    return campaign


async def test_the_agent_works_with_the_leads_shortcuts_pause_codes_and_script(
        open_page, live_system, make_user, services, ui) -> None:
    base = live_system.url
    campaign = await lead_lena_and_agent_an_on_a_campaign(services, make_user, "Panel keys")

    # --- the team lead sets the panel on the campaign form ----------------------------------------------
    lead = await open_page(base)
    await ui.sign_in(lead, "lena", PASSWORD)
    await lead.goto(f"/campaigns/{campaign.id}/edit")
    await lead.fill("textarea[name=shortcuts]", "ready = F2\npause = N")     # N is not taken...
    await lead.fill("textarea[name=pause_codes]", "coffee = Cà phê\nlunch")
    await lead.fill("textarea[name=agent_script]", SCRIPT)
    await lead.fill("textarea[name=shortcuts]", "ready = F2\npause = H")     # ...but H is hang up's
    await lead.click("#campaign-form button[type=submit]")
    await lead.wait_for_selector("text=Keyboard shortcuts:")
    assert "'H' is given to both" in await lead.content()
    await lead.fill("textarea[name=shortcuts]", "ready = F2\ndisposition:not_interested = N")
    await ui.shot(lead, "campaign-form-panel-settings")
    await lead.click("#campaign-form button[type=submit]")
    await lead.wait_for_selector("text=The campaign was saved.")
    await lead.click("#btn-start")
    await lead.wait_for_selector("text=The campaign's state was changed.")

    # --- the agent sees the keys on the buttons and pauses with a code of the campaign ------------------
    desk = await open_page(base)
    await ui.sign_in(desk, "an", PASSWORD)
    await ui.agent_ready(desk)
    assert await desk.locator("#btn-ready kbd.shortcut").inner_text() == "F2"
    assert await desk.locator("#btn-pause kbd.shortcut").inner_text() == "P"
    assert await desk.locator("#btn-hangup kbd.shortcut").inner_text() == "H"
    assert await desk.locator("#pause-reason option").all_inner_texts() == ["Cà phê", "Lunch"]
    await desk.select_option("#pause-reason", "coffee")
    await desk.focus("#pause-reason")
    await desk.keyboard.press("p")                        # the select has the focus: nothing happens
    assert await desk.get_attribute("body", "data-state") == "ready"
    await desk.locator("#st-campaign").click()            # out of the select
    await desk.keyboard.press("p")
    await desk.wait_for_selector("body[data-state=paused]")
    assert await desk.locator("#st-state").inner_text() == "Paused · Cà phê"
    await ui.shot(desk, "agent-panel-shortcuts-paused")

    # --- a lead to call; F2 makes the agent ready, the call pops with the script filled in --------------
    await services.pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, fields, timezones)"
        " VALUES ($1, '+33612345611', 'Lan', 'Nguyễn', $2, ARRAY['Europe/Paris'])",
        campaign.id, {"plan": "<b>gia đình</b>"})
    await desk.keyboard.press("F2")
    await desk.wait_for_selector("#pop:not([hidden])", timeout=30_000)
    await desk.wait_for_selector("body[data-state=on_call]", timeout=15_000)
    assert await desk.locator("#pop-script-text").inner_text() == (
        "Xin chào Lan Nguyễn, em là An.\nGói của anh/chị: <b>gia đình</b>")    # text, never HTML
    labels = await desk.locator("#dispo-codes label").all_inner_texts()
    assert [label.split("\n")[-1].strip() for label in labels][:2] == ["1", "N"]
    await ui.shot(desk, "agent-panel-script-and-keys")

    # --- H hangs up; typing in the notes fires nothing; N saves "not interested" ------------------------
    await desk.keyboard.press("h")
    await desk.wait_for_selector("body[data-state=wrap_up]", timeout=10_000)
    await desk.fill("#dispo-notes", "")
    await desk.click("#dispo-notes")
    await desk.keyboard.type("Nhà 1 N, gọi lại sau")
    assert await desk.get_attribute("body", "data-state") == "wrap_up"
    assert await desk.locator("#dispo-codes input:checked").count() == 0
    await desk.locator("#pop-name").click()               # out of the notes
    await desk.keyboard.press("n")

    async def disposed() -> bool:
        row = await services.pool.fetchrow(
            "SELECT disposition, notes FROM call_records WHERE campaign_id = $1 AND disposition IS NOT NULL",
            campaign.id)
        return row is not None and tuple(row) == ("not_interested", "Nhà 1 N, gọi lại sau")

    await ui.eventually(disposed, timeout_s=10, what="the disposition set with its key")
    await desk.wait_for_selector("body[data-state=ready]", timeout=10_000)
    assert desk.errors == [] and lead.errors == []
