"""Agents who are really there, in Debian's chromium: an agent closes the panel, the team lead's wallboard
shows the agent paused after the grace period, and the panel opened again says why (in the agent's
language, Vietnamese here) and lets the agent press Ready."""

from __future__ import annotations

import pytest

from admin_ui.i18n import translator
from campaigns import repository
from campaigns.model import Campaign, DialMode
from dialer import users
from dialer.users import Role
from simulations.virtual_agents import virtual_phone

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


async def test_a_closed_panel_pauses_the_agent_and_the_panel_opened_again_says_why(
        open_page, live_system, make_user, services, ui) -> None:
    base = live_system.url
    vi = translator("vi")
    await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    agent = await make_user(Role.AGENT, "binh", display_name="Bình Trần", language="vi")
    await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Presence check", trunk_template="Local/{number}@from-dialer", dial_mode=DialMode.PREVIEW))
    async with services.pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[agent.id])

    lead = await open_page(base)
    await ui.sign_in(lead, "lena", PASSWORD)
    await ui.start_campaign(lead, campaign.id)

    desk = await open_page(base, "vi")
    await ui.sign_in(desk, "binh", PASSWORD)
    await ui.agent_ready(desk)
    context = desk.context
    await desk.close()                               # the agent closes the browser tab

    await lead.goto("/wallboard")
    await lead.wait_for_selector(f"#wb-agents tr[data-agent='{agent.id}'][data-state=paused]", timeout=20_000)

    back = await context.new_page()
    await back.goto("/agent")
    await back.wait_for_selector("body[data-state=paused]", timeout=10_000)
    badge = await back.locator("#st-state").inner_text()
    assert badge == f"{vi('st_paused')} · {vi('pause_disconnected')}"
    await back.wait_for_selector("#banner:not([hidden])")
    assert await back.locator("#banner").inner_text() == vi("paused_disconnected")
    await ui.shot(back, "agent-panel-paused-disconnected")
    await back.click("#btn-ready")
    await back.wait_for_selector("body[data-state=ready]", timeout=10_000)
    await lead.wait_for_selector(f"#wb-agents tr[data-agent='{agent.id}'][data-state=ready]", timeout=10_000)
