"""The agent panel's websocket: who may connect, what each message may do, tabs, reconnects, pops."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from campaigns.model import DialMode
from dialer import users
from dialer.users import Role


async def test_an_agent_is_greeted_with_only_the_campaigns_they_are_assigned_to(
        panel, engine, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    await make_campaign("Mine", agents=[agent])
    await make_campaign("Not mine")
    async with panel(agent) as ws:
        hello = await ws.receive_type("hello")
        state = await ws.receive_type("state")
    assert [c["name"] for c in hello["campaigns"]] == ["Mine"] and hello["active"] is True
    assert state["state"] == "logged_out"


async def test_signing_in_to_a_campaign_one_is_not_assigned_to_is_refused(
        panel, engine, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    other, _ = await make_campaign("Other")
    async with panel(agent) as ws:
        await ws.send({"type": "login", "campaign_id": other.id})
        refused = await ws.receive_type("error")
    assert refused["message"] == "you are not assigned to this campaign" and refused["request"] == "login"
    assert engine.requests == []


async def test_ready_pause_with_a_reason_and_logout_reach_the_engine_and_come_back_as_state(
        panel, engine, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    campaign, _ = await make_campaign("Work", agents=[agent])
    async with panel(agent) as ws:
        await ws.send({"type": "login", "campaign_id": campaign.id})
        assert (await ws.receive_type("state"))["state"] == "logged_out"
        assert (await ws.receive_type("state"))["state"] == "ready"
        await ws.send({"type": "pause", "reason": "lunch"})
        paused = await ws.receive_type("state")
        await ws.send({"type": "logout"})
        out = await ws.receive_type("state")
    assert paused["state"] == "paused" and paused["pause_reason"] == "lunch"
    assert out["state"] == "logged_out"
    assert engine.requests == [("agent_login", agent.id, campaign.id), ("agent_pause", agent.id, "lunch"),
                               ("agent_logout", agent.id)]


async def test_a_bad_message_gets_a_clear_error_and_the_connection_stays_up(panel, engine, make_user) -> None:
    agent = await make_user(Role.AGENT)
    async with panel(agent) as ws:
        await ws.send({"type": "pause", "reason": ""})
        bad = await ws.receive_type("error")
        await ws.send({"type": "fly"})
        unknown = await ws.receive_type("error")
        await ws.send({"type": "ping"})
        assert (await ws.receive_type("pong"))["type"] == "pong"
    assert bad["message"].startswith("invalid message (reason)")
    assert unknown["message"].startswith("invalid message")


async def test_the_engine_refusing_an_action_is_shown_to_the_agent(panel, engine, make_user) -> None:
    agent = await make_user(Role.AGENT)
    engine.refuse["agent_ready"] = "your phone is not connected yet: answer it first"
    async with panel(agent) as ws:
        await ws.send({"type": "ready"})
        error = await ws.receive_type("error")
    assert error == {"type": "error", "message": "your phone is not connected yet: answer it first",
                     "request": "ready"}


async def test_a_connected_call_pops_the_lead_with_its_history_at_once_and_the_crm_data_follows(
        panel, engine, make_user, make_campaign, crm_server, services) -> None:
    agent = await make_user(Role.AGENT)
    with crm_server(delay_s=1.5) as crm:
        campaign, (lead_id,) = await make_campaign(
            "Pop", agents=[agent], crm_url_template=crm.url + "/customers?phone={phone}&id={lead_id}",
            leads=[("+33612345678", "An", "Nguyen", {"plan": "family"})])
        await services.pool.execute(
            "INSERT INTO call_records (campaign_id, lead_id, agent_id, engine_id, leg_id, direction, phone_e164,"
            " originated_at, outcome, disposition, notes) VALUES ($1, $2, $3, 'e1', 'leg-old', 'outbound',"
            " '+33612345678', now() - interval '2 days', 'handled', 'call_back', 'asked to call after 6pm')",
            campaign.id, lead_id, agent.id)
        async with panel(agent) as ws:
            await ws.receive_type("state")
            engine.push(agent.id, state="on_call", campaign_id=campaign.id,
                        call={"call_id": "41", "state": "connected", "lead_id": lead_id, "number": "+33612345678",
                              "campaign_id": campaign.id})
            started = asyncio.get_running_loop().time()
            pop = await ws.receive_type("pop")
            pop_s = asyncio.get_running_loop().time() - started
            state = await ws.receive_type("state")
            crm_answer = await ws.receive_type("crm")
    assert pop_s < 1.0, "the pop must not wait for the CRM"
    assert pop["call_id"] == "41" and pop["lead"]["first_name"] == "An" and pop["lead"]["fields"] == {"plan": "family"}
    assert [(h["disposition"], h["notes"]) for h in pop["history"]] == [("call_back", "asked to call after 6pm")]
    assert [d["code"] for d in pop["campaign"]["dispositions"]][:2] == ["sale", "not_interested"]
    assert pop["zone"] == "Europe/Paris"
    assert state["state"] == "on_call"
    assert crm_answer == {"type": "crm", "call_id": "41", "ok": True, "data": {"tier": "gold", "balance": "120 EUR"}}
    assert crm.paths == [f"/customers?phone=%2B33612345678&id={lead_id}"]


async def test_reconnecting_gives_back_the_call_in_progress(panel, engine, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    campaign, (lead_id,) = await make_campaign("Again", agents=[agent], leads=[("+33612345678", "Bao", "Le", {})])
    engine.push(agent.id, state="wrap_up", campaign_id=campaign.id,
                call={"call_id": "42", "state": "ended", "lead_id": lead_id, "campaign_id": campaign.id})
    async with panel(agent) as ws:
        first = await ws.receive_type("pop")
    async with panel(agent) as ws:
        again = await ws.receive_type("pop")
        state = await ws.receive_type("state")
    assert first["call_id"] == again["call_id"] == "42" and again["lead"]["first_name"] == "Bao"
    assert state["state"] == "wrap_up"


async def test_a_disposition_with_a_callback_is_converted_from_the_customers_time_zone(
        panel, engine, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    await make_campaign("Dispo", agents=[agent])
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    async with panel(agent) as ws:
        await ws.send({"type": "dispose", "call_id": "41", "code": "call_back", "notes": " call after work ",
                       "callback_at": f"{tomorrow}T18:30", "callback_zone": "Asia/Ho_Chi_Minh",
                       "callback_personal": True})
        assert (await ws.receive_type("ok"))["request"] == "dispose"
    (name, user_id, disposition), = engine.requests
    assert name == "set_disposition" and user_id == agent.id
    assert disposition.code == "call_back" and disposition.notes == "call after work"
    assert disposition.callback_at == datetime.fromisoformat(f"{tomorrow}T11:30:00+00:00")
    assert disposition.callback_personal is True


async def test_a_callback_in_the_past_is_refused_with_a_message(panel, engine, make_user) -> None:
    agent = await make_user(Role.AGENT)
    async with panel(agent) as ws:
        await ws.send({"type": "dispose", "call_id": "41", "code": "call_back",
                       "callback_at": "2020-01-01T10:00", "callback_zone": "Europe/Paris"})
        error = await ws.receive_type("error")
    assert error["message"] == "the callback time is in the past" and engine.requests == []


async def test_a_second_tab_is_read_only_until_it_takes_over(panel, engine, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    await make_campaign("Tabs", agents=[agent])
    async with panel(agent) as first, panel(agent) as second:
        assert (await first.receive_type("hello"))["active"] is True
        assert (await second.receive_type("hello"))["active"] is False
        await second.send({"type": "ready"})
        refused = await second.receive_type("error")
        await second.send({"type": "take_over"})
        assert (await second.receive_type("tab"))["active"] is True
        assert (await first.receive_type("tab"))["active"] is False
        await first.send({"type": "logout"})
        refused_first = await first.receive_type("error")
    assert "open in another tab" in refused["message"] and "open in another tab" in refused_first["message"]
    assert engine.requests == []


async def test_every_message_checks_the_session_so_a_deactivated_agent_is_cut_off(
        panel, engine, make_user, services) -> None:
    agent = await make_user(Role.AGENT)
    async with panel(agent) as ws:
        await ws.receive_type("state")
        await users.update_user(services.pool, user_id=agent.id, active=False)
        await ws.send({"type": "ready"})
        code, seen = await ws.expect_close()
    assert code == 4401 and {"type": "expired"} in seen
    assert engine.requests == []


async def test_the_socket_needs_the_csrf_token_and_a_page_of_this_site(panel, engine, make_user) -> None:
    agent = await make_user(Role.AGENT)
    async with panel(agent, csrf="forged") as ws:
        no_token, _ = await ws.expect_close()
    async with panel(agent, origin="https://evil.example") as ws:
        other_site, _ = await ws.expect_close()
    assert no_token == other_site == 4403


async def test_a_team_lead_cannot_use_the_agent_socket(panel, engine, make_user) -> None:
    lead = await make_user(Role.TEAM_LEAD)
    async with panel(lead) as ws:
        code, _ = await ws.expect_close()
    assert code == 4403


async def test_click_to_call_only_dials_leads_of_the_agents_campaign(panel, engine, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    campaign, (mine,) = await make_campaign("Click", agents=[agent], leads=[("+33612345678", "Chi", "Vo", {})])
    _, (theirs,) = await make_campaign("Theirs", leads=[("+33612345679", "Dung", "Ho", {})])
    async with panel(agent) as ws:
        await ws.send({"type": "login", "campaign_id": campaign.id})
        await ws.send({"type": "search", "text": "chi"})
        found = await ws.receive_type("leads")
        await ws.send({"type": "dial", "lead_id": theirs})
        refused = await ws.receive_type("error")
        await ws.send({"type": "dial", "lead_id": mine})
        dialled = await ws.receive_type("ok")
    assert [lead["id"] for lead in found["items"]] == [mine]
    assert refused["message"] == "this lead is not in your campaign"
    assert dialled == {"type": "ok", "request": "dial", "call_id": "77"}
    assert engine.requests[-1] == ("manual_dial", agent.id, mine)


async def test_transfer_to_an_outside_number_is_normalised_with_the_campaigns_region(
        panel, engine, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    campaign, _ = await make_campaign("Transfer", agents=[agent], default_region="FR")
    async with panel(agent) as ws:
        await ws.send({"type": "login", "campaign_id": campaign.id})
        await ws.send({"type": "transfer", "to_number": "06 12 34 56 78"})
        await ws.receive_type("ok")
        await ws.send({"type": "transfer", "to_number": "12"})
        bad = await ws.receive_type("error")
    assert engine.requests[-1] == ("transfer", agent.id, "to_agent_id=None", "to_number=+33612345678")
    assert "not a valid phone number" in bad["message"]


async def test_without_a_running_engine_the_panel_says_so(panel, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    campaign, _ = await make_campaign("No engine", agents=[agent])
    async with panel(agent) as ws:
        state = await ws.receive_type("state")
        await ws.send({"type": "login", "campaign_id": campaign.id})
        error = await ws.receive_type("error")
    assert state["engine"] is False
    assert error["message"] == "the dialer engine is not running; try again in a moment"


async def test_preview_mode_shows_the_next_lead_then_dials_or_skips_it(panel, engine, make_user, make_campaign) -> None:
    agent = await make_user(Role.AGENT)
    campaign, (first, second) = await make_campaign(
        "Preview", agents=[agent], dial_mode=DialMode.PREVIEW,
        leads=[("+33612345678", "Hai", "Do", {}), ("+33612345679", "Khoa", "Vu", {})])
    engine.next_preview = {"lead_id": first, "phone": "+33612345678", "first_name": "Hai", "last_name": "Do"}
    async with panel(agent) as ws:
        hello = await ws.receive_type("hello")
        await ws.send({"type": "login", "campaign_id": campaign.id})
        await ws.send({"type": "preview_next"})
        preview = await ws.receive_type("preview")
        await ws.send({"type": "preview_dial", "lead_id": first})
        dialled = await ws.receive_type("ok")
        await ws.send({"type": "preview_skip", "lead_id": second})
        skipped = await ws.receive_type("ok")
    assert hello["campaigns"][0]["dial_mode"] == "preview"
    assert preview["lead"]["first_name"] == "Hai"
    assert dialled == {"type": "ok", "request": "preview_dial", "call_id": "78"} and skipped["request"] == "preview_skip"
    assert engine.requests[1:] == [("preview_next", agent.id), ("preview_dial", agent.id, first),
                                   ("preview_skip", agent.id, second)]


async def test_an_agent_lists_their_own_and_the_campaigns_callbacks_but_not_a_colleagues(
        panel, engine, make_user, make_campaign, services) -> None:
    from campaigns import repository as campaigns_repo

    agent, colleague = await make_user(Role.AGENT), await make_user(Role.AGENT)
    campaign, (mine, shared, theirs) = await make_campaign(
        "Callbacks", agents=[agent, colleague],
        leads=[("+33612345678", "Mai", "Ly", {}), ("+33612345679", "Nam", "Ta", {}), ("+33612345670", "Oanh", "Ha", {})])
    due = datetime.now(UTC) + timedelta(hours=2)
    async with services.pool.acquire() as conn:
        await campaigns_repo.create_callback(conn, lead_id=mine, due_at=due, agent_id=agent.id, created_by=agent.id,
                                             note="after lunch")
        await campaigns_repo.create_callback(conn, lead_id=shared, due_at=due + timedelta(hours=1), agent_id=None,
                                             created_by=colleague.id)
        await campaigns_repo.create_callback(conn, lead_id=theirs, due_at=due, agent_id=colleague.id,
                                             created_by=colleague.id)
    async with panel(agent) as ws:
        await ws.send({"type": "login", "campaign_id": campaign.id})
        await ws.send({"type": "callbacks"})
        listed = await ws.receive_type("callbacks")
    assert [(c["lead"]["first_name"], c["personal"], c["note"]) for c in listed["items"]] == [
        ("Mai", True, "after lunch"), ("Nam", False, "")]


async def test_the_panel_tells_the_agent_in_their_language_when_the_engine_calls_their_phone_again(
        panel, engine, make_user, make_campaign, app) -> None:
    import json

    import httpx

    from admin_ui.i18n import MESSAGES
    from agents_ws.panel_strings import PANEL_KEYS
    from dialer.agent_legs import Notice
    from tests.agents_ws.conftest import sign_in

    agent = await make_user(Role.AGENT, language="vi")
    await make_campaign("Restart", agents=[agent])
    # every notice the engine can give about the phone has its text on the page, in both languages
    for key in [notice.value for notice in Notice] + ["phone_unreachable"]:
        assert key in PANEL_KEYS and {"en", "vi"} <= set(MESSAGES[key])
    cookies, _ = await sign_in(app, agent.username)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 cookies=cookies) as client:
        page = (await client.get("/agent")).text
    shown = json.loads(page.split("window.PANEL_T = ", 1)[1].split(";</script>", 1)[0])
    assert shown["phone_reconnecting"] == MESSAGES["phone_reconnecting"]["vi"]
    assert shown["phone_gave_up"] == MESSAGES["phone_gave_up"]["vi"]
    async with panel(agent) as ws:
        await ws.receive_type("state")
        engine.push(agent.id, state="logged_out", phone_notice=Notice.WAITING.value)
        waiting = await ws.receive_type("state")
        engine.push(agent.id, state="ready", phone_notice=Notice.RECONNECTED.value)
        back = await ws.receive_type("state")
    assert waiting["phone_notice"] == "phone_pbx_restarting" and back["phone_notice"] == "phone_reconnected"
