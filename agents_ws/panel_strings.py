"""The interface strings the panel's script needs (their text is in ``admin_ui.i18n``, per language)."""

from __future__ import annotations

PANEL_KEYS = (
    "st_logged_out", "st_connecting", "st_ready", "st_reserved", "st_on_call", "st_wrap_up", "st_paused",
    "ws_connected", "ws_reconnecting", "engine_down", "tab_read_only", "take_over", "no_lead",
    "crm_loading", "crm_failed", "crm_none", "history_none", "dispo_saved", "callback_scheduled",
    "pick_disposition", "no_preview", "incoming_call", "session_over", "attempts", "pause_break",
    "pause_lunch", "pause_meeting", "pause_training", "pause_other", "call", "outcome", "disposition", "notes",
    "agent", "when", "no_results", "not_assigned_any", "dialing", "on_hold_wait", "no_callbacks",
    # the state's ``phone_notice``: the phone could not be reached, or (dialer.agent_legs.Notice) the engine
    # calls a phone a PBX restart cut again
    "phone_unreachable", "phone_pbx_restarting", "phone_reconnecting", "phone_reconnected", "phone_gave_up",
)
