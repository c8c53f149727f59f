"""A team lead sets the agent panel of a campaign: keyboard shortcuts, pause codes and the agent script. Each is
stored with the campaign, and a bad one is refused at save naming its field (model, API, form)."""

from __future__ import annotations

import dataclasses

import asyncpg
import pytest

from campaigns import repository
from campaigns.errors import CampaignError
from campaigns.model import Campaign
from campaigns.panel_settings import DEFAULT_PAUSE_CODES, PauseCode, render_script
from dialer.users import Role
from tests.admin_ui.test_pages_campaigns import campaign_form, sign_in

BODY = {"name": "Khuyến mãi Tết", "trunk_template": "PJSIP/{number}@carrier", "default_region": "VN",
        "timezone": "Asia/Ho_Chi_Minh"}
BASE = Campaign(id=0, name="Panel", trunk_template="PJSIP/{number}@carrier")


def test_a_new_campaign_has_a_shortcut_for_ready_pause_hang_up_and_each_disposition() -> None:
    keys = BASE.panel_shortcuts
    assert keys["ready"] == "R" and keys["pause"] == "P" and keys["hangup"] == "H"
    assert [keys[f"disposition:{d.code}"] for d in BASE.dispositions] == [str(i) for i in
                                                                           range(1, len(BASE.dispositions) + 1)]
    assert len(set(keys.values())) == len(keys)
    assert BASE.pause_codes == DEFAULT_PAUSE_CODES and BASE.agent_script == ""


def test_a_lead_changes_a_key_and_it_is_kept_in_its_canonical_spelling() -> None:
    code = BASE.dispositions[0].code
    campaign = BASE.with_settings({"shortcuts": {"ready": "f2", f"disposition:{code}": "alt+s", "hangup": ""}})
    assert campaign.shortcuts == {"ready": "F2", f"disposition:{code}": "Alt+S", "hangup": ""}
    keys = campaign.panel_shortcuts
    assert keys["ready"] == "F2" and keys[f"disposition:{code}"] == "Alt+S" and "hangup" not in keys


@pytest.mark.parametrize("shortcuts", [
    {"ready": "Ctrl+W"}, {"ready": "F5"}, {"ready": "Enter"}, {"pause": "RR"}, {"dance": "D"},
    {"disposition:nope": "N"}, {"ready": "P"}, {"hangup": "1"},
])
def test_an_invalid_or_duplicate_key_or_an_unknown_action_is_refused_naming_shortcuts(shortcuts: dict[str, str]) -> None:
    with pytest.raises(CampaignError, match=r"^shortcuts: "):
        BASE.with_settings({"shortcuts": shortcuts})


def test_taking_a_disposition_away_takes_its_shortcut_with_it() -> None:
    campaign = BASE.with_settings({"shortcuts": {"disposition:sale": "S"}})
    left = campaign.with_settings({"dispositions": [{"code": "ok", "label": "OK"}]})
    assert left.shortcuts == {} and left.panel_shortcuts["disposition:ok"] == "1"


@pytest.mark.parametrize(("codes", "detail"), [
    ([], "between 1 and 30"), ([{"code": "Coffee Break"}], "'Coffee Break' is not a code"),
    ([{"code": "lunch"}, {"code": "lunch"}], "given twice"), ([{"code": "x", "label": "a\nb"}], "one line"),
])
def test_bad_pause_codes_are_refused_naming_pause_codes(codes: list[dict[str, str]], detail: str) -> None:
    with pytest.raises(CampaignError, match=r"^pause_codes: ") as caught:
        BASE.with_settings({"pause_codes": codes})
    assert detail in str(caught.value)


def test_a_script_naming_an_unknown_field_is_refused_with_the_fields_name() -> None:
    with pytest.raises(CampaignError, match=r"^agent_script: unknown field 'frist_name'"):
        BASE.with_settings({"agent_script": "Xin chào {{ frist_name }}"})
    with pytest.raises(CampaignError, match=r"^agent_script: line 1: "):
        BASE.with_settings({"agent_script": "Hello {{ first_name "})


def test_the_script_is_filled_with_the_leads_fields_and_cannot_reach_python() -> None:
    source = "Chào {{ first_name }} {{ last_name }}, tôi là {{ agent_name }}. Gói: {{ fields.plan }} <b>"
    campaign = BASE.with_settings({"agent_script": source})
    text = render_script(campaign.agent_script, {"first_name": "Lan", "last_name": "Nguyễn", "agent_name": "Minh",
                                                 "fields": {"plan": "<script>x</script>"}})
    assert text == "Chào Lan Nguyễn, tôi là Minh. Gói: <script>x</script> <b>"   # text, shown with textContent
    with pytest.raises(CampaignError, match="could not be filled in"):
        render_script("{{ fields.plan }}", {"fields": {}})          # StrictUndefined: no silent blank
    with pytest.raises(CampaignError, match="could not be filled in"):
        render_script("{{ fields.__class__.__mro__ }}", {"fields": {}})   # the sandbox refuses
    with pytest.raises(CampaignError, match="could not be filled in"):
        render_script("{{ fields.update(a=1) }}", {"fields": {}})        # immutable


async def test_the_panel_settings_are_stored_with_the_campaign(db_pool: asyncpg.Pool) -> None:
    created = await repository.create_campaign(db_pool, campaign=BASE.with_settings({
        "shortcuts": {"ready": "f2"}, "pause_codes": [{"code": "coffee", "label": "Cà phê"}, {"code": "lunch"}],
        "agent_script": "Chào {{ first_name }}"}))
    again = await repository.get_campaign(db_pool, campaign_id=created.id)
    assert again.shortcuts == {"ready": "F2"}
    assert again.pause_codes == (PauseCode("coffee", "Cà phê"), PauseCode("lunch"))
    assert again.agent_script == "Chào {{ first_name }}"
    updated = await repository.update_campaign(db_pool, campaign=dataclasses.replace(
        again, shortcuts={"pause": "alt+p"}, pause_codes=DEFAULT_PAUSE_CODES, agent_script=""))
    assert updated.shortcuts == {"pause": "Alt+P"} and updated.pause_codes == DEFAULT_PAUSE_CODES
    assert (await repository.get_campaign(db_pool, campaign_id=created.id)).agent_script == ""


async def test_the_api_takes_the_panel_settings_and_refuses_bad_ones_with_422_naming_the_field(api_client) -> None:  # type: ignore[no-untyped-def]
    async with api_client(Role.TEAM_LEAD) as client:
        created = await client.post("/api/campaigns", json={
            **BODY, "shortcuts": {"ready": "F2"}, "pause_codes": [{"code": "coffee", "label": "Cà phê"}],
            "agent_script": "Chào {{ first_name }}, {{ fields.plan }}"})
        assert created.status_code == 201, created.text
        data = created.json()
        assert data["shortcuts"] == {"ready": "F2"}
        assert data["pause_codes"] == [{"code": "coffee", "label": "Cà phê"}]
        assert data["agent_script"] == "Chào {{ first_name }}, {{ fields.plan }}"
        for body, field in (({"shortcuts": {"ready": "P"}}, "shortcuts"),
                            ({"pause_codes": [{"code": "a b"}]}, "pause_codes"),
                            ({"agent_script": "{{ customer }}"}, "agent_script")):
            refused = await client.patch(f"/api/campaigns/{data['id']}", json=body)
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"].startswith(f"{field}: ")
        assert "customer" in refused.json()["detail"]


async def test_the_form_saves_the_panel_settings(browser_client, make_user, services) -> None:  # type: ignore[no-untyped-def]
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    response = await browser_client.post("/campaigns/new", data=campaign_form(
        csrf, name="Panel form", dispositions="sale | Sale | final\nlater | Later | retry 60 3",
        shortcuts="ready = F2\ndisposition:sale = S", pause_codes="coffee = Coffee\nlunch",
        agent_script="Hello {{ first_name }}\r\nOffer: {{ fields.plan }}"))
    assert response.status_code == 303, response.text
    campaign_id = int(response.headers["location"].split("/")[2].split("?")[0])
    campaign = await repository.get_campaign(services.pool, campaign_id=campaign_id)
    assert campaign.shortcuts == {"ready": "F2", "disposition:sale": "S"}
    assert campaign.panel_shortcuts["disposition:later"] == "2"
    assert campaign.pause_codes == (PauseCode("coffee", "Coffee"), PauseCode("lunch"))
    assert campaign.agent_script == "Hello {{ first_name }}\nOffer: {{ fields.plan }}"
    page = await browser_client.get(f"/campaigns/{campaign_id}/edit")
    assert "disposition:sale = S" in page.text and "coffee = Coffee" in page.text


async def test_the_form_names_a_refused_panel_setting_in_vietnamese(browser_client, make_user) -> None:  # type: ignore[no-untyped-def]
    lead = await make_user(Role.TEAM_LEAD, language="vi")
    csrf = await sign_in(browser_client, lead.username)
    page = await browser_client.post("/campaigns/new", data=campaign_form(csrf, name="Trùng phím",
                                                                           shortcuts="ready = P"))
    assert page.status_code == 400
    assert "Phím tắt:" in page.text and "given to both" in page.text
    page = await browser_client.post("/campaigns/new", data=campaign_form(
        csrf, name="Kịch bản", agent_script="Chào {{ ten_khach }}"))
    assert page.status_code == 400
    assert "Kịch bản cho nhân viên:" in page.text and "ten_khach" in page.text
