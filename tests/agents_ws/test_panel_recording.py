"""The panel's payment pause message: ``{"type": "recording", "paused": true|false}``; anything else is refused with
a message for the agent; the server's refusals are said in the agent's language."""

from __future__ import annotations

import pytest

from agents_ws import protocol
from agents_ws.panel_strings import PANEL_KEYS, agent_message
from campaigns import repository
from campaigns.model import Campaign
from campaigns.panel_settings import DEFAULT_SHORTCUTS, effective_shortcuts
from dialer.users import Role


def test_the_recording_message_carries_whether_to_pause() -> None:
    assert protocol.parse_message('{"type": "recording", "paused": true}') == protocol.RecordingPause(
        type="recording", paused=True)
    assert protocol.parse_message('{"type": "recording", "paused": false}').paused is False
    for bad in ('{"type": "recording"}', '{"type": "recording", "paused": "maybe"}',
                '{"type": "recording", "paused": true, "call_id": "7"}'):
        with pytest.raises(protocol.ProtocolError):
            protocol.parse_message(bad)


def test_the_pause_has_a_default_key_and_its_texts_and_refusals_are_translated() -> None:
    assert DEFAULT_SHORTCUTS["recording"] == "M"
    assert effective_shortcuts({}, ["sale"])["recording"] == "M"
    assert {"recording_pause", "recording_resume", "recording_on", "recording_paused"} <= set(PANEL_KEYS)
    assert agent_message("this call is not being recorded", "vi") == "cuộc gọi này không được ghi âm"
    assert agent_message("you have no call whose recording you could pause", "vi") == \
        "bạn không có cuộc gọi nào để tạm dừng ghi âm"


async def test_a_campaign_saved_with_m_on_another_action_keeps_it_and_the_recording_default_yields(
        db_pool, api_client) -> None:  # type: ignore[no-untyped-def]
    campaign = await repository.create_campaign(db_pool, campaign=Campaign(
        id=0, name="Old keys", trunk_template="PJSIP/{number}@carrier"))
    # saved before M was the recording's default: the lead had given M to hang up
    await db_pool.execute("""UPDATE campaigns SET shortcuts = '{"hangup": "M"}'::jsonb WHERE id = $1""", campaign.id)

    old = await repository.get_campaign(db_pool, campaign_id=campaign.id)
    keys = old.panel_shortcuts
    assert keys["hangup"] == "M" and "recording" not in keys          # M does one thing: what the lead chose
    assert list(keys.values()).count("M") == 1
    renamed = await repository.update_campaign(db_pool, campaign=old.with_settings({"name": "Old keys, renamed"}))
    assert renamed.shortcuts == {"hangup": "M"}                       # saved again as it was

    async with api_client(Role.TEAM_LEAD) as client:
        url = f"/api/campaigns/{campaign.id}"
        assert (await client.patch(url, json={"agent_script": "Xin chào"})).status_code == 200
        both = await client.patch(url, json={"shortcuts": {"hangup": "M", "recording": "M"}})
        assert both.status_code == 422
        assert both.json()["detail"] == "shortcuts: 'M' is given to both hangup and recording"
        moved = await client.patch(url, json={"shortcuts": {"hangup": "M", "recording": "F9"}})
        assert moved.status_code == 200, moved.text
    again = await repository.get_campaign(db_pool, campaign_id=campaign.id)
    assert (again.panel_shortcuts["hangup"], again.panel_shortcuts["recording"]) == ("M", "F9")
    # a new campaign keeps M for the recording; a lead giving M to another action today takes it from there
    assert effective_shortcuts({}, [])["recording"] == "M"
    assert "recording" not in effective_shortcuts({"pause": "M"}, [])
