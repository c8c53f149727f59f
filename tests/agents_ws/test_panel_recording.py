"""The panel's payment pause message: ``{"type": "recording", "paused": true|false}``; anything else is refused with
a message for the agent; the server's refusals are said in the agent's language."""

from __future__ import annotations

import pytest

from agents_ws import protocol
from agents_ws.panel_strings import PANEL_KEYS, agent_message
from campaigns.panel_settings import DEFAULT_SHORTCUTS, effective_shortcuts


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
