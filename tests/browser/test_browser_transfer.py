"""Two agents' panels in Debian's chromium: an agent dials a number it types (a typo refused and said why), then
picks a ready colleague by name, talks to it first (the customer muted), makes it a three-way call, and leaves;
the colleague, whose panel is in Vietnamese, sees the call and who sent it at each step, hangs up and sets the
disposition and notes. Then a consult cancelled: the colleague is ready again, the sender keeps its customer."""

from __future__ import annotations

import pytest

from admin_ui.i18n import MESSAGES
from campaigns import repository
from campaigns.model import Campaign, CampaignState, DialMode
from campaigns.windows import WindowProfile
from dialer import users
from dialer.users import Role
from simulations.virtual_agents import virtual_phone

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
ALL_DAY = WindowProfile("custom", tuple(((0, 1440),) for _ in range(7)))


def vi(key: str, **values: str) -> str:
    return MESSAGES[key]["vi"].format(**values)


async def test_a_warm_transfer_and_a_three_way_call_between_two_agents_panels(
        open_page, live_system, make_user, services, ui) -> None:
    base = live_system.url
    sender = await make_user(Role.AGENT, "an", display_name="An")
    receiver = await make_user(Role.AGENT, "binh", display_name="Bình", language="vi")
    for agent in (sender, receiver):
        await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Transfers", trunk_template="Local/{number}@from-dialer", default_region="FR",
        timezone="Europe/Paris", window_profile="custom", custom_window=ALL_DAY, dial_mode=DialMode.PREVIEW))
    async with services.pool.acquire() as conn:
        await repository.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[sender.id, receiver.id])
        await repository.set_campaign_state(conn, campaign_id=campaign.id, target=CampaignState.RUNNING)
    await services.pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, timezones)"
        " VALUES ($1, '+33612345611', 'Lan', 'Nguyễn', ARRAY['Europe/Paris']),"
        "        ($1, '+33612345622', 'Minh', 'Trần', ARRAY['Europe/Paris'])", campaign.id)

    pages = {}
    for user in ("an", "binh"):
        page = await open_page(base, "vi" if user == "binh" else "en")
        await ui.sign_in(page, user, PASSWORD)
        await ui.agent_ready_once_taken_up(page)
        pages[user] = page
    an, binh = pages["an"], pages["binh"]

    # --- An types a number: a typo is refused, then the lead's number in French national form ------------
    await an.fill("#manual-number", "06 12")
    await an.click("#btn-manual")
    await an.wait_for_selector("#banner:not([hidden]):has-text(\"the number '06 12' cannot be dialled: too short\")")
    await an.fill("#manual-number", "06 12 34 56 11")
    await an.click("#btn-manual")
    await an.wait_for_selector("body[data-state=on_call]", timeout=15_000)
    assert await an.locator("#pop-name").inner_text() == "Lan Nguyễn"

    # --- An picks Bình by name and talks to Bình first: the customer is on hold ---------------------------
    await an.click("#transfer-box summary")
    await an.wait_for_selector("#transfer-agent option:has-text('Bình')", state="attached")
    assert await an.locator("#transfer-agent option").all_inner_texts() == ["Bình"]
    await an.click("#btn-consult")
    await an.wait_for_selector("#consult-text:has-text('Talking with Bình first; the customer is on hold')")
    await binh.wait_for_selector("#pop:not([hidden])", timeout=10_000)
    assert await binh.locator("#pop-name").inner_text() == "Lan Nguyễn"
    # the pop and the agent's new state are two messages: the "transferred by" line shows once both are in
    await binh.wait_for_selector("#pop-transfer:not([hidden])", timeout=10_000)
    assert await binh.locator("#pop-transfer").inner_text() == vi("transferred_from", name="An")
    assert await binh.locator("#pop-call-state").inner_text() == vi("transfer_consult_stage")
    assert await binh.get_attribute("body", "data-state") == "paused"         # no other call meanwhile
    await ui.shot(an, "transfer-warm-sender")
    await ui.shot(binh, "transfer-warm-receiver-vi")

    # --- a three-way call, then An leaves: Bình owns the call -----------------------------------------------
    await an.click("#btn-consult-three-way")
    await an.wait_for_selector("#consult-text:has-text('Three-way call with Bình and the customer')")
    await binh.wait_for_selector(f"#pop-call-state:has-text('{vi('transfer_conference_stage')}')")
    await an.click("#btn-consult-complete")
    await an.wait_for_selector("body[data-state=ready]", timeout=10_000)
    assert await an.locator("#consult-box").is_hidden()
    await binh.wait_for_selector(f"#pop-call-state:has-text('{vi('transfer_talking')}')")

    # --- Bình hangs up and sets the disposition and notes -----------------------------------------------------
    await binh.click("#btn-hangup")
    await binh.wait_for_selector(f"#pop-call-state:has-text('{vi('transfer_wrap_up')}')", timeout=10_000)
    await binh.locator("#dispo-codes input").first.check()
    code = await binh.locator("#dispo-codes input").first.get_attribute("value")
    await binh.fill("#dispo-notes", "Ba bên, rồi tôi tiếp")
    await binh.click("#btn-dispose")
    await binh.wait_for_selector("body[data-state=ready]", timeout=10_000)

    async def disposed() -> bool:
        row = await services.pool.fetchrow("SELECT direction, disposition, notes, outcome FROM call_records"
                                           " WHERE campaign_id = $1 AND disposition IS NOT NULL", campaign.id)
        return row is not None and tuple(row) == ("manual", code, "Ba bên, rồi tôi tiếp", "handled")

    await ui.eventually(disposed, timeout_s=10, what="the receiving agent's disposition on the call's record")

    # --- a consult cancelled: Bình is ready again, An keeps Minh ------------------------------------------------
    await an.fill("#manual-number", "+33 6 12 34 56 22")
    await an.click("#btn-manual")
    await an.wait_for_selector("body[data-state=on_call]", timeout=15_000)
    await an.click("#btn-agents")
    await an.wait_for_selector("#transfer-agent option:has-text('Bình')", state="attached")
    await an.click("#btn-consult")
    await binh.wait_for_selector(f"#pop-call-state:has-text('{vi('transfer_consult_stage')}')", timeout=10_000)
    await an.click("#btn-consult-cancel")
    await binh.wait_for_selector("body[data-state=ready]", timeout=10_000)
    await binh.wait_for_selector("#pop", state="hidden")
    assert await an.get_attribute("body", "data-state") == "on_call"
    assert await an.locator("#pop-name").inner_text() == "Minh Trần"
    assert an.errors == [] and binh.errors == []
