"""The interface strings the panel's script needs (their text is in ``admin_ui.i18n``, per language), and the
translation of what the server tells an agent (``agent_message``), so the panel shows no English to an agent
who reads Vietnamese.
"""

from __future__ import annotations

import re
from typing import Any

from admin_ui.i18n import translator
from dialer.calls import CallOutcome

OUTCOME_KEYS = tuple(f"outcome_{outcome.value}" for outcome in CallOutcome)

PANEL_KEYS = (
    "st_logged_out", "st_connecting", "st_ready", "st_reserved", "st_on_call", "st_wrap_up", "st_paused",
    "wrap_next_in",     # disposed within the queue's wrap-up time: no call before it is over
    "ws_connected", "ws_reconnecting", "engine_down", "tab_read_only", "take_over", "no_lead",
    "crm_loading", "crm_failed", "crm_none", "history_none", "dispo_saved", "callback_scheduled",
    "pick_disposition", "no_preview", "incoming_call", "session_over", "attempts", "pause_break",
    "pause_lunch", "pause_meeting", "pause_training", "pause_other", "call", "outcome", "disposition", "notes",
    "agent", "when", "no_results", "not_assigned_any", "dialing", "on_hold_wait", "no_callbacks",
    # the state's ``phone_notice``: the phone could not be reached, or (dialer.agent_legs.Notice) the engine
    # calls a phone a PBX restart cut again
    "phone_unreachable", "phone_pbx_restarting", "phone_reconnecting", "phone_reconnected", "phone_gave_up",
    # the agent is not really there (dialer.presence): paused as its panel went away, or signed out as its phone did
    "pause_disconnected", "paused_disconnected", "phone_hung_up",
    "skip", "postal_code",
    # live supervision (dialer.live_supervision): a team lead listens in (where the campaign says so), its message
    "monitored_notice", "lead_message_from",
    # a call received by transfer (dialer.engine.Engine.transfer): who sent it, talking, then the disposition
    "pause_transfer", "transferred_from", "transfer_talking", "transfer_wrap_up",
    # a transfer to an agent picked by name, warm (talk first) or three-way (Engine.transfer_consult)
    "no_ready_agents", "transfer_consult_stage", "transfer_conference_stage", "consult_with", "conference_with",
    # inbound calls (dialer.inbound_pop) and the transfer to a queue (dialer.queue_transfer)
    "inbound_call_from_queue", "inbound_waited", "inbound_vip", "inbound_dialled", "inbound_sent_by",
    "inbound_other_leads", "new_contact_title", "queue_closed_now", "no_queues",
    # a caller who pressed 1 in a queue and is called back (dialer.queue_callbacks)
    "callback_from_queue",
    # a customer who pressed 0 in a survey (dialer.survey_desk): the survey and its answers in the pop
    "survey_pressed_0", "survey_skipped",
    # the card-payment pause of the call's recording (dialer.recordings_desk)
    "recording_pause", "recording_resume", "recording_on", "recording_paused",
    # the campaign's agent script, filled in for the call (campaigns.panel_settings)
    "agent_script", "script_failed",
    # "Send SMS" and the lead's text messages in the pop (admin_ui/static/sms_panel.js)
    "sms_panel_none", "sms_panel_no_templates", "sms_panel_sending", "sms_panel_sent", "sms_panel_refused",
    "sms_panel_count", "sms_dir_out", "sms_dir_in", "sms_status_pending", "sms_status_queued", "sms_status_sent",
    "sms_status_delivered", "sms_status_failed", "sms_status_undelivered", "sms_status_refused",
    "sms_status_cancelled", "sms_status_received", "sms_panel_pick",
    *OUTCOME_KEYS,
)

# What the engine and the panel's server say to an agent (dialer.engine, dialer.control, agents_ws), each
# with the ``admin_ui.i18n`` key of its text; named groups are the values of the text's placeholders.
AGENT_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), key) for pattern, key in (
    (r"you are not signed in to a campaign", "err_not_signed_in"),
    (r"this campaign is not running", "err_campaign_not_running"),
    (r"you are already signed in", "err_already_signed_in"),
    (r"no phone is set for you: ask an admin to set your phone's dial string", "err_no_phone"),
    (r"your phone is not connected yet: answer it first", "err_phone_not_connected"),
    (r"you have no call to hang up", "err_no_call_to_hang_up"),
    (r"you have no call whose recording you could pause", "err_no_recording_call"),
    (r"this call is not being recorded", "err_not_recorded"),
    (r"the recording could not be (?P<what>paused|resumed): .*", "err_recording_mute_failed"),
    (r"this call is not waiting for a disposition", "err_not_waiting_disposition"),
    (r"unknown disposition '(?P<code>.*)'; choose one of (?P<codes>.*)", "err_unknown_disposition"),
    (r"'(?P<code>.*)' is not a pause code of this campaign; choose one of (?P<codes>.*)", "err_unknown_pause_code"),
    (r"you have no call to transfer", "err_no_call_to_transfer"),
    (r"transfer to one agent or one number", "err_transfer_one_target"),
    (r"that agent is not ready to take a call", "err_agent_not_ready"),
    (r"finish or cancel the transfer under way first", "err_transfer_under_way"),
    (r"finish the call transferred to you first", "err_finish_transferred_call"),
    (r"you are not transferring a call to an agent", "err_no_transfer_under_way"),
    (r"campaign control is not running in this process", "err_engine_not_running"),
    (r"the dialer engine is not running; try again in a moment", "err_engine_not_running"),
    (r"this version of the engine cannot (?P<what>.*) yet", "err_engine_cannot"),
    (r"'(?P<number>.*)' is not a phone number in international form \(\+33\.\.\., \+1\.\.\.\): .*",
     "err_not_international"),
    (r"'(?P<number>.*)' is not a valid phone number", "err_invalid_number"),
    (r"there is no campaign (?P<id>\d+)", "err_no_campaign"),
    (r"your campaign no longer exists", "err_campaign_gone"),
    (r"campaign not started: (?P<why>.*)", "err_campaign_not_started"),
    (r"you can dial only when ready or paused, with no call", "err_dial_when"),
    (r"this lead is not in your campaign", "err_lead_not_yours"),
    (r"not allowed to dial this number now \((?P<reason>[a-z_0-9]+)\): (?P<why>.*)", "err_dial_refused_reason"),
    (r"not allowed to dial this number now: (?P<why>.*)", "err_dial_refused"),
    (r"the number '(?P<number>.*)' cannot be dialled: (?P<problem>.*)", "err_typed_number"),
    (r"the panel is open in another tab; use that tab or take over here", "err_other_tab"),
    (r"this could not be done; the problem has been logged", "err_logged"),
    (r"your role no longer allows the agent panel", "err_role"),
    (r"you are not assigned to this campaign", "err_not_assigned"),
    (r"sign in to a campaign first", "err_sign_in_first"),
    (r"unknown time zone '(?P<zone>.*)'", "err_unknown_zone"),
    (r"the callback time is not a date and time", "err_callback_not_time"),
    (r"the callback time is in the past", "err_callback_past"),
    (r"that agent does not work in this campaign", "err_agent_not_in_campaign"),
    (r"this connection is not allowed", "err_connection_not_allowed"),
    (r"invalid message.*", "err_invalid_message"),
    (r"this is not your inbound call", "err_not_your_inbound"),
    (r"this caller already has a lead", "err_caller_has_lead"),
    (r"the caller's number is not a phone number; the contact cannot be created", "err_contact_number"),
    (r"that queue does not exist", "err_no_such_queue"),
    (r"queue (?P<name>.*) is closed now", "err_queue_closed"),
    (r"the customer could not be sent to the queue: (?P<why>.*)", "err_queue_transfer_failed"),
    # agents_ws.crm
    (r"the campaign's CRM address is not an http\(s\) URL", "err_crm_not_http"),
    (r"the CRM did not answer within (?P<seconds>[\d.]+) s", "err_crm_timeout"),
    (r"the CRM could not be reached \((?P<why>.*)\)", "err_crm_unreachable"),
    (r"the CRM answered with HTTP (?P<status>\d+)", "err_crm_http"),
))
ERROR_KEYS = tuple(dict.fromkeys(key for _, key in AGENT_ERRORS))
# why a typed number cannot be dialled (the reasons of dnc.numbers.normalise), each with its text's key
NUMBER_PROBLEMS = {
    "empty": "number_problem_empty", "not a phone number": "number_problem_not_a_number",
    "too short": "number_problem_too_short", "too long": "number_problem_too_long",
    "wrong length for its country": "number_problem_length",
    "unknown country code": "number_problem_country",
    "unknown country code (write it as +CC... or give a region)": "number_problem_country",
    "too short after the international prefix": "number_problem_too_short",
    "no such number range in its country": "number_problem_range",
}
DIAL_REASON_KEYS = tuple(f"dial_reason_{r}" for r in (
    "ok", "lead_status", "dnc", "dnc_unknown", "campaign_state", "attempts", "abandon_cooldown", "callback_not_due",
    "retry_not_due", "campaign_schedule", "window", "no_zone"))


def agent_message(text: str, language: str) -> str:
    """``text`` (a message of the engine or the panel's server) in the agent's ``language``; a message not in
    ``AGENT_ERRORS`` is shown as is after a translated "this could not be done"."""
    if language == "en":
        return text
    t = translator(language)
    for pattern, key in AGENT_ERRORS:
        found = pattern.fullmatch(text)
        if found is not None:
            values = found.groupdict()
            if "reason" in values:      # a dial-time check's rule (campaigns.eligibility.Reason), in words
                values["reason"] = t(f"dial_reason_{values['reason']}")
            if "problem" in values:     # what is wrong with a typed number (dnc.numbers.normalise)
                values["problem"] = t(NUMBER_PROBLEMS.get(values["problem"], "number_problem_other"))
            return t(key, **values)
    return t("err_refused", detail=text)


def translated(message: dict[str, Any], language: str) -> dict[str, Any]:
    """A server -> panel message with its text for the agent (an error's, a failed CRM answer's) in ``language``."""
    if message.get("type") == "error" and isinstance(message.get("message"), str):
        return {**message, "message": agent_message(message["message"], language)}
    if message.get("type") == "crm" and isinstance(message.get("error"), str):
        return {**message, "error": agent_message(message["error"], language)}
    return message
