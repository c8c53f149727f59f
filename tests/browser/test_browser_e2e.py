"""The whole story in Debian's chromium: a team lead uploads a list and starts a campaign, a compliance
officer puts one of its numbers on the DNC list, an agent takes a call from the simulated PBX with the
CRM pop, hangs up, sets a disposition with a callback, the wallboard shows the call, and the number on
the DNC list is never dialled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dialer.users import Role
from simulations.virtual_agents import virtual_phone

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
LIST_CSV = ("phone,first_name,last_name,plan\n"
            "+33612345601,Anh,Nguyen,family\n"
            "+33612345602,Binh,Tran,solo\n"
            "+33612345603,Chau,Le,solo\n"
            "12,Bad,Row,none\n")
ALL_DAY = {f"custom_{d}": "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def test_a_campaign_from_upload_to_disposition_with_dnc_respected(
        open_page, live_system, make_user, services, crm, ui, tmp_path) -> None:
    base = live_system.url
    await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    await make_user(Role.COMPLIANCE, "chi", display_name="Chi")
    agent = await make_user(Role.AGENT, "an", display_name="An")
    from dialer import users
    await users.update_user(services.pool, user_id=agent.id, phone_dial_string=virtual_phone(agent.id))

    # --- the team lead creates the campaign, uploads the list and starts it --------------------------
    lead = await open_page(base)
    await ui.sign_in(lead, "lena", PASSWORD)
    await lead.goto("/campaigns/new")
    await lead.fill("input[name=name]", "Spring offer")
    await lead.fill("input[name=default_region]", "FR")
    await lead.fill("input[name=timezone]", "Europe/Paris")
    await lead.select_option("select[name=window_profile]", "custom")
    for name, value in ALL_DAY.items():
        await lead.fill(f"input[name={name}]", value)
    await lead.fill("input[name=crm_url_template]", crm.url + "/customers?phone={phone}&plan={plan}")
    await ui.shot(lead, "campaign-form")
    await lead.click("#campaign-form button[type=submit]")
    await lead.wait_for_selector("text=The campaign was created.")
    csv_path = tmp_path / "spring.csv"
    csv_path.write_text(LIST_CSV)
    await lead.set_input_files("#upload-form input[type=file]", str(csv_path))
    await lead.click("#upload-form button[type=submit]")
    await lead.wait_for_selector("#mapping-form")
    assert await lead.locator("#map-phone").input_value() == "#1"      # the "phone" column, by position
    await ui.shot(lead, "list-mapping")
    await lead.click("#start-import")
    await lead.wait_for_selector("[data-job][data-status=finished]", timeout=60_000)
    await ui.shot(lead, "list-import-progress")
    await lead.wait_for_selector("a.rejects-link", timeout=15_000)      # the page reloads when the job ends
    assert "3" in await lead.locator("#list-table tbody tr td.num").first.inner_text()
    await lead.check(f"#agents-form input[value='{agent.id}']")
    await lead.click("#agents-form button[type=submit]")
    await lead.wait_for_selector("text=The agents were assigned.")
    await lead.click("#btn-start")
    await lead.wait_for_selector("text=The campaign's state was changed.")
    assert await lead.locator("#campaign-state").inner_text() == "Running"
    await ui.shot(lead, "campaign-running")

    # --- the compliance officer puts the third number on the DNC list -------------------------------
    officer = await open_page(base)
    await ui.sign_in(officer, "chi", PASSWORD)
    await officer.goto("/dnc")
    await officer.fill("#dnc-add input[name=number]", "+33612345603")
    await officer.fill("#dnc-add input[name=reason]", "asked by letter")
    await officer.click("#dnc-add button[type=submit]")
    await officer.wait_for_selector("text=+33612345603 may not be called: it is on internal.")
    await ui.shot(officer, "dnc-added")

    # --- the agent signs in, connects the phone and takes the call ----------------------------------
    desk = await open_page(base)
    await ui.sign_in(desk, "an", PASSWORD)
    await desk.goto("/agent")
    await desk.wait_for_selector("body[data-ws=up]")
    await ui.shot(desk, "agent-panel-signed-out")
    await desk.click("#btn-login")
    await desk.wait_for_selector("body[data-state=ready]", timeout=15_000)
    pop_name = desk.locator("#pop-name")
    await desk.wait_for_selector("#pop:not([hidden])", timeout=30_000)
    await desk.wait_for_selector("body[data-state=on_call]", timeout=15_000)
    assert await pop_name.inner_text() == "Anh Nguyen"
    assert await desk.locator("#pop-phone").inner_text() == "+33612345601"
    await desk.wait_for_selector("#pop-crm >> text=Gold", timeout=10_000)
    assert "family" in await desk.locator("#pop-fields").inner_text()
    await ui.shot(desk, "agent-panel-crm-pop")

    # --- a reload (or a dropped connection) gives the call back; a second tab only watches ----------
    await desk.reload()
    await desk.wait_for_selector("body[data-state=on_call]")
    assert await pop_name.inner_text() == "Anh Nguyen"
    second = await desk.context.new_page()
    await second.goto("/agent")
    await second.wait_for_selector("body[data-tab=read-only]")
    assert await second.locator("#tab-banner").is_visible()
    assert await second.locator("#btn-hangup").is_disabled()
    await ui.shot(second, "agent-panel-second-tab")
    await second.close()

    # --- the wallboard shows the call ------------------------------------------------------------
    await lead.goto("/wallboard")
    await lead.wait_for_selector("body[data-live='1']")
    await lead.wait_for_function(
        "document.querySelector('[data-agents=on_call]').textContent === '1'", timeout=10_000)
    assert await lead.locator("[data-calls=connected]").inner_text() == "1"
    await ui.shot(lead, "wallboard")

    # --- hang up, set a disposition with a callback ------------------------------------------------
    await desk.click("#btn-hangup")
    await desk.wait_for_selector("body[data-state=wrap_up]", timeout=10_000)
    await lead.wait_for_function(       # pushed to the open wallboard by the live stream
        "document.querySelector('[data-agents=wrap_up]').textContent === '1'", timeout=10_000)
    await desk.check("#dispo-codes input[value=call_back]")
    await desk.fill("#dispo-notes", "Wants the family plan; call after 6 pm")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    await desk.fill("#callback-at", f"{tomorrow}T18:30")
    await ui.shot(desk, "agent-panel-disposition")
    await desk.click("#btn-dispose")
    await desk.wait_for_selector("#banner >> text=Disposition saved.", timeout=10_000)
    query = ("SELECT r.disposition, r.notes, c.due_at, c.agent_id FROM call_records r JOIN leads l ON l.id = r.lead_id"
             " LEFT JOIN callbacks c ON c.lead_id = l.id WHERE l.phone_e164 = '+33612345601'")

    async def callback_stored() -> bool:           # the engine settles the lead just after the disposition
        row = await services.pool.fetchrow(query)
        return row is not None and row["due_at"] is not None

    await ui.eventually(callback_stored, timeout_s=10, what="the callback row")
    record = await services.pool.fetchrow(query)
    assert record is not None and record["disposition"] == "call_back"
    assert record["notes"] == "Wants the family plan; call after 6 pm"
    paris_evening = datetime.fromisoformat(f"{tomorrow}T18:30").replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert record["due_at"] == paris_evening           # the customer's 18:30, whatever the browser's zone
    assert record["agent_id"] == agent.id
    await desk.click("#btn-callbacks")
    await desk.wait_for_selector("#callback-list >> text=Anh Nguyen")

    # --- the next lead comes; the DNC number never does --------------------------------------------
    await desk.wait_for_function("document.getElementById('pop-name').textContent === 'Binh Tran'", timeout=30_000)
    await desk.click("#btn-hangup")
    await desk.wait_for_selector("body[data-state=wrap_up]", timeout=10_000)
    await desk.check("#dispo-codes input[value=not_interested]")
    await desk.click("#btn-dispose")
    await desk.wait_for_selector("body[data-state=ready]", timeout=10_000)
    await desk.wait_for_timeout(3000)
    dialled = [r["phone_e164"] for r in await services.pool.fetch(
        "SELECT phone_e164 FROM call_records ORDER BY id")]
    assert "+33612345603" not in dialled
    assert dialled[:2] == ["+33612345601", "+33612345602"]

    # --- reports and the abandonment page read the same call records --------------------------------
    await lead.goto("/reports?days=1&by=agent")
    assert "Call back later" in await lead.locator("#report-dispositions table").inner_text()   # the label, not the code
    assert "An" in await lead.locator("#report-figures table").inner_text()
    await ui.shot(lead, "reports")
    async def dnc_refused() -> bool:       # the hopper took the DNC number's lead and refused it at dial time
        return await services.pool.fetchval("SELECT COALESCE(sum(hits), 0) FROM dnc_refusals") == 1

    await ui.eventually(dnc_refused, what="the DNC number refused at dial time")
    await officer.goto("/compliance")
    assert "Spring offer" in await officer.locator("#abandonment").inner_text()
    assert await officer.locator("#abandonment .dnc-today").inner_text() == "1"
    await ui.shot(officer, "compliance-abandonment")
    assert lead.errors == desk.errors == officer.errors == []
