"""The panel works with what the team lead set for its campaign: the shortcuts and pause codes reach the panel,
a pause reason outside the campaign's codes is refused by the server (in the agent's language), and the pop
carries the agent script filled in with the lead's fields."""

from __future__ import annotations

from campaigns.panel_settings import PauseCode
from dialer.users import Role


async def test_the_panel_receives_the_campaigns_shortcuts_and_pause_codes(panel, engine, make_user,
                                                                           make_campaign) -> None:  # type: ignore[no-untyped-def]
    agent = await make_user(Role.AGENT)
    await make_campaign("Keys", agents=[agent], shortcuts={"ready": "F2", "disposition:sale": "S"},
                        pause_codes=(PauseCode("coffee", "Cà phê"), PauseCode("lunch")))
    async with panel(agent) as ws:
        hello = await ws.receive_type("hello")
    (view,) = hello["campaigns"]
    assert view["shortcuts"]["ready"] == "F2" and view["shortcuts"]["disposition:sale"] == "S"
    assert view["shortcuts"]["pause"] == "P" and view["shortcuts"]["hangup"] == "H"
    assert view["shortcuts"]["disposition:not_interested"] == "2"
    assert view["pause_codes"] == [{"code": "coffee", "label": "Cà phê"}, {"code": "lunch", "label": ""}]


async def test_a_pause_reason_must_be_one_of_the_campaigns_pause_codes(panel, engine, make_user,
                                                                        make_campaign) -> None:  # type: ignore[no-untyped-def]
    agent = await make_user(Role.AGENT)
    campaign, _ = await make_campaign("Codes", agents=[agent], pause_codes=(PauseCode("coffee", "Coffee"),))
    async with panel(agent) as ws:
        await ws.send({"type": "login", "campaign_id": campaign.id})
        assert (await ws.receive_type("state"))["state"] == "logged_out"
        assert (await ws.receive_type("state"))["state"] == "ready"
        await ws.send({"type": "pause", "reason": "lunch"})      # a built-in code this campaign does not offer
        refused = await ws.receive_type("error")
        await ws.send({"type": "pause", "reason": "coffee"})
        paused = await ws.receive_type("state")
    assert refused == {"type": "error", "request": "pause",
                       "message": "'lunch' is not a pause code of this campaign; choose one of coffee"}
    assert paused["state"] == "paused" and paused["pause_reason"] == "coffee"
    assert engine.requests == [("agent_login", agent.id, campaign.id), ("agent_pause", agent.id, "coffee")]


async def test_a_refused_pause_code_is_told_in_vietnamese(panel, engine, make_user, make_campaign) -> None:  # type: ignore[no-untyped-def]
    agent = await make_user(Role.AGENT, language="vi")
    campaign, _ = await make_campaign("Mã", agents=[agent], pause_codes=(PauseCode("hop", "Họp"),))
    async with panel(agent) as ws:
        await ws.send({"type": "login", "campaign_id": campaign.id})
        await ws.receive_type("state")
        await ws.send({"type": "pause", "reason": "break"})
        refused = await ws.receive_type("error")
    assert refused["message"] == "'break' không phải là mã tạm dừng của chiến dịch này; hãy chọn một trong hop"


async def test_the_pop_carries_the_script_filled_in_with_the_leads_fields(panel, engine, make_user,
                                                                          make_campaign) -> None:  # type: ignore[no-untyped-def]
    agent = await make_user(Role.AGENT, display_name="Minh")
    script = ("Chào anh/chị {{ first_name }} {{ last_name }}, em là {{ agent_name }} từ {{ campaign_name }}.\n"
              "Gói hiện tại: {{ fields.plan }}")
    campaign, (lead_id, bare_id) = await make_campaign(
        "Tết", agents=[agent], agent_script=script,
        leads=[("+33612345678", "Lan", "Nguyễn", {"plan": "<b>gia đình</b>"}), ("+33612345679", "Hà", "Lê", {})])
    async with panel(agent) as ws:
        await ws.receive_type("state")
        engine.push(agent.id, state="on_call", campaign_id=campaign.id,
                    call={"call_id": "51", "state": "connected", "lead_id": lead_id, "number": "+33612345678",
                          "campaign_id": campaign.id})
        pop = await ws.receive_type("pop")
        engine.push(agent.id, state="on_call", campaign_id=campaign.id,
                    call={"call_id": "52", "state": "connected", "lead_id": bare_id, "number": "+33612345679",
                          "campaign_id": campaign.id})
        without_plan = await ws.receive_type("pop")
    assert pop["script"] == "Chào anh/chị Lan Nguyễn, em là Minh từ Tết.\nGói hiện tại: <b>gia đình</b>"
    assert "script_problem" not in pop
    assert "script" not in without_plan and "plan" in without_plan["script_problem"]


async def test_a_campaign_without_a_script_pops_none(panel, engine, make_user, make_campaign) -> None:  # type: ignore[no-untyped-def]
    agent = await make_user(Role.AGENT)
    campaign, (lead_id,) = await make_campaign("Plain", agents=[agent], leads=[("+33612345678", "An", "Vo", {})])
    async with panel(agent) as ws:
        await ws.receive_type("state")
        engine.push(agent.id, state="on_call", campaign_id=campaign.id,
                    call={"call_id": "61", "state": "connected", "lead_id": lead_id, "campaign_id": campaign.id})
        pop = await ws.receive_type("pop")
    assert "script" not in pop and "script_problem" not in pop
