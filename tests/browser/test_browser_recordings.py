"""Done-when of issue 18's recordings, in Debian's chromium: a team lead sets the campaign to record every call (a
share of 150 % is refused naming the field); the agent's call is recorded, the agent pauses the recording for a
card payment (the M key) and resumes it (the button), the panel saying which; the simulated PBX writes the WAV
with silence over the payment. The lead finds the recording by the customer's number, sees where the gap is,
plays it and seeks near its end: the server answered the player's Range requests (206) and the audio plays from
the new position. Another agent finds nothing and gets 403 for that recording's audio."""

from __future__ import annotations

import pytest

from dialer.users import Role
from tests.browser.test_browser_panel_shortcuts import lead_lena_and_agent_an_on_a_campaign

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
NUMBER = "+33612345621"


async def test_a_call_paused_for_a_payment_is_found_by_number_and_played_with_seeking(
        open_page, live_system, make_user, services, ui) -> None:
    base = live_system.url
    campaign = await lead_lena_and_agent_an_on_a_campaign(services, make_user, "Card payments")
    await make_user(Role.AGENT, "binh", display_name="Binh")

    # --- the team lead records every call of the campaign ---------------------------------------------------
    lead = await open_page(base)
    await ui.sign_in(lead, "lena", PASSWORD)
    await lead.goto(f"/campaigns/{campaign.id}/edit")
    await lead.select_option("select[name=record_mode]", "share")
    await lead.fill("input[name=record_share]", "150")
    await lead.click("#campaign-form button[type=submit]")
    await lead.wait_for_selector("text=Share recorded (%): give a whole percent from 1 to 99.")
    await lead.select_option("select[name=record_mode]", "all")
    await lead.fill("input[name=recording_retention_days]", "90")
    await lead.click("#campaign-form button[type=submit]")
    await lead.wait_for_selector("text=The campaign was saved.")
    await lead.goto(f"/campaigns/{campaign.id}/edit")
    assert await lead.locator("select[name=record_mode]").input_value() == "all"
    await ui.start_campaign(lead, campaign.id)

    # --- the agent's call: the recording paused for the payment, then resumed --------------------------------
    await services.pool.execute(
        "INSERT INTO leads (campaign_id, phone_e164, first_name, last_name, timezones)"
        " VALUES ($1, $2, 'Lan', 'Nguyễn', ARRAY['Europe/Paris'])", campaign.id, NUMBER)
    desk = await open_page(base)
    await ui.sign_in(desk, "an", PASSWORD)
    await ui.agent_ready_once_taken_up(desk)
    await desk.wait_for_selector("body[data-state=on_call]", timeout=30_000)
    await desk.wait_for_selector("body[data-recording=on]", timeout=10_000)
    assert await desk.locator("#rec-state").inner_text() == "Recording"
    assert await desk.locator("#btn-recording kbd.shortcut").inner_text() == "M"
    await desk.wait_for_timeout(2000)                            # the talk before the payment
    await desk.locator("#st-campaign").click()
    await desk.keyboard.press("m")
    await desk.wait_for_selector("body[data-recording=paused]", timeout=5_000)
    assert await desk.locator("#rec-state").inner_text() == "Recording paused"
    assert (await desk.locator("#btn-recording").inner_text()).startswith("Resume recording")
    await ui.shot(desk, "agent-panel-recording-paused")
    await desk.wait_for_timeout(2500)                            # the card number: not recorded
    await desk.click("#btn-recording")
    await desk.wait_for_selector("body[data-recording=on]", timeout=5_000)
    await desk.wait_for_timeout(3000)                            # the talk after it
    await desk.click("#btn-hangup")
    await desk.wait_for_selector("body[data-state=wrap_up]", timeout=10_000)

    async def finished() -> bool:
        return bool(await services.pool.fetchval("SELECT size_bytes IS NOT NULL FROM recordings"))
    await ui.eventually(finished, timeout_s=10, what="the recording's row finished")
    row = await services.pool.fetchrow("SELECT id, pauses, duration_s FROM recordings")
    assert [e["action"] for e in row["pauses"]] == ["pause", "resume"]

    # --- the team lead finds it by the customer's number and plays it, seeking near the end --------------------
    ranges: list[str] = []
    statuses: list[int] = []
    lead.on("request", lambda r: ranges.append(r.headers.get("range", "")) if "/audio" in r.url else None)
    lead.on("response", lambda r: statuses.append(r.status) if "/audio" in r.url else None)
    await lead.goto("/recordings")
    await lead.fill("#rec-search input[name=number]", "12345621")
    await lead.click("#rec-search button[type=submit]")
    found = lead.locator(f"#rec-table tr[data-number='{NUMBER}']")
    await found.wait_for()
    assert await lead.locator("#rec-table tbody tr").count() == 1
    gap = await found.locator(".rec-gaps .badge").inner_text()
    assert gap.startswith("0:0")                                 # e.g. 0:02–0:05: where the payment was
    await found.locator("button.rec-play").click()
    await lead.wait_for_function("document.getElementById('rec-player').currentTime > 0.3", timeout=10_000)
    duration = await lead.evaluate("document.getElementById('rec-player').duration")
    assert duration == pytest.approx(row["duration_s"], abs=0.2)
    assert await lead.evaluate("(() => { const s = document.getElementById('rec-player').seekable;"
                               " return s.length === 1 && s.end(0) >= document.getElementById('rec-player').duration - 0.1; })()")
    target = round(duration - 2.0, 2)
    await lead.evaluate(f"document.getElementById('rec-player').currentTime = {target}")
    await lead.wait_for_function(f"(() => {{ const a = document.getElementById('rec-player');"
                                 f" return !a.seeking && !a.paused && a.currentTime > {target} + 0.3; }})()",
                                 timeout=10_000)
    assert any(r.startswith("bytes=") for r in ranges) and 206 in statuses     # the player asked ranges; we served them
    await ui.shot(lead, "recordings-search-player")
    access = await services.pool.fetch("SELECT username, action FROM recording_access WHERE recording_id=$1", row["id"])
    assert ("lena", "play") in [(a["username"], a["action"]) for a in access]

    # --- another agent finds nothing and may not play it ---------------------------------------------------------
    other = await open_page(base)
    await ui.sign_in(other, "binh", PASSWORD)
    await other.goto("/recordings?number=12345621")
    await other.wait_for_selector("#rec-none")
    refused = await other.request.get(f"/recordings/{row['id']}/audio")
    assert refused.status == 403
