"""Event translation beyond the recordings: reconciliation, inbound calls, our dialplan's events, invariants."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.ami.causes import classify_failure
from dialer.ami.message import AmiMessage, MessageKind
from dialer.ami.replay import replay
from dialer.ami.transcript import Direction, parse_transcript, read_transcript
from dialer.ami.translate import Translator, other_channel_id
from dialer.pbx_port import (
    CustomerReady,
    FailReason,
    InboundCall,
    LegAnswered,
    LegFailed,
    LegHungUp,
    LegKind,
    LiveChannel,
    OriginateRequest,
    SafeHarborPlayed,
    SafeHarborStarted,
)

RECORDINGS = Path(__file__).resolve().parents[2].parent / "shared" / "asterisk-ami"


def _event(name: str, **fields: str) -> AmiMessage:
    return AmiMessage(MessageKind.EVENT, name, {"Event": name, **fields})


def _request(leg_id: str) -> OriginateRequest:
    return OriginateRequest(leg_id=leg_id, kind=LegKind.CUSTOMER, dial_string="Local/1105@sim-customer",
                            context="dialer-customer", exten="s")


def _live(uid: str, state: str, channel: str = "Local/1105@sim-customer-00000001;1") -> LiveChannel:
    return LiveChannel(server="pbx", leg_id=None, channel=channel, state=state, context="dialer-customer",
                       exten="s", duration_s=3.0)


def _translator_with(*leg_ids: str) -> Translator:
    tr = Translator("pbx", new_id=lambda: "in-1")
    for leg_id in leg_ids:
        tr.expect(_request(leg_id), "orig-" + leg_id)
    return tr


def test_reconcile_keeps_a_leg_whose_channel_is_alive_and_reports_its_missed_answer() -> None:
    tr = _translator_with("leg-1")
    tr.feed(_event("Newchannel", Uniqueid="leg-1", Channel="Local/1105@sim-customer-00000001;1"), 1.0)
    tr.link_up()
    events = tr.reconcile({"leg-1": _live("leg-1", "Up")}, 5.0)
    assert [type(e) for e in events] == [LegAnswered]
    assert tr.is_active("leg-1")
    (hung_up,) = tr.feed(_event("Hangup", Uniqueid="leg-1", Cause="16", ChannelStateDesc="Up"), 9.0)
    assert isinstance(hung_up, LegHungUp) and hung_up.leg_id == "leg-1"


def test_reconcile_ends_legs_that_vanished_while_the_link_was_down() -> None:
    tr = _translator_with("ringing", "answered", "never-seen")
    tr.feed(_event("Newchannel", Uniqueid="ringing", Channel="Local/3000@sim-customer-00000001;1"), 1.0)
    tr.feed(_event("Newchannel", Uniqueid="answered", Channel="Local/1105@sim-customer-00000002;1"), 1.0)
    tr.feed(_event("OriginateResponse", ActionID="orig-answered", Response="Success", Reason="4",
                   Channel="Local/1105@sim-customer-00000002;1"), 2.0)
    tr.link_up()
    events = {e.leg_id: e for e in tr.reconcile({}, 5.0) if isinstance(e, (LegFailed, LegHungUp))}
    assert isinstance(events["answered"], LegHungUp)
    assert isinstance(events["ringing"], LegFailed) and events["ringing"].reason is FailReason.OTHER
    assert isinstance(events["never-seen"], LegFailed) and "lost with the AMI link" in events["never-seen"].detail
    assert tr.active_count == 0


def test_reconcile_leaves_legs_originated_after_the_reconnect_alone() -> None:
    tr = _translator_with("old")
    tr.link_up()
    tr.expect(_request("new"), "orig-new")
    tr.reconcile({}, 5.0)
    assert tr.is_active("new") and not tr.is_active("old")


def test_our_dialplans_ready_user_event_carries_the_amd_result() -> None:
    tr = _translator_with("leg-1")
    events = tr.feed(_event("UserEvent", UserEvent="DialerCustomerReady", Uniqueid="leg-1", Channel="PJSIP/t-1",
                            AMDStatus="MACHINE", AMDCause="LONGGREETING-1500-1500"), 3.0)
    assert [type(e) for e in events] == [LegAnswered, CustomerReady]
    ready = events[1]
    assert isinstance(ready, CustomerReady)
    assert (ready.amd_status, ready.amd_cause) == ("MACHINE", "LONGGREETING-1500-1500")


def test_an_inbound_caller_gets_a_fresh_leg_id_and_ends_with_a_hang_up() -> None:
    tr = Translator("pbx", new_id=lambda: "dl-inbound-1")
    (call,) = tr.feed(_event("UserEvent", UserEvent="DialerInbound", Uniqueid="17.3", Channel="PJSIP/trunk-1",
                             Caller="+15550001111", DID="5000"), 1.0)
    assert isinstance(call, InboundCall)
    assert (call.leg_id, call.caller, call.did, call.channel) == ("dl-inbound-1", "+15550001111", "5000",
                                                                   "PJSIP/trunk-1")
    assert tr.channel_of("dl-inbound-1") == "PJSIP/trunk-1"
    (end,) = tr.feed(_event("Hangup", Uniqueid="17.3", Cause="16", ChannelStateDesc="Up"), 20.0)
    assert isinstance(end, LegHungUp) and end.leg_id == "dl-inbound-1"


def test_a_failed_originate_response_for_an_unknown_action_id_touches_no_leg() -> None:
    tr = _translator_with("leg-1")
    events = tr.feed(_event("OriginateResponse", ActionID="someone-else", Response="Failure", Reason="0",
                            Uniqueid="leg-1"), 1.0)
    assert events == () and tr.is_active("leg-1")


def test_the_second_half_of_a_local_channel_is_named_after_the_leg() -> None:
    assert other_channel_id("dl-abc") == "dl-abc-2"


def test_failure_classification_prefers_a_telling_cause_then_reason_then_dial_status() -> None:
    assert classify_failure(reason=8, dial_status="CONGESTION", causes=[0, 1], channel_seen=True) == \
        (FailReason.INVALID_NUMBER, 1)
    assert classify_failure(reason=5, dial_status="", causes=[0, 0], channel_seen=True) == (FailReason.BUSY, 17)
    assert classify_failure(reason=0, dial_status="NOANSWER", causes=[16], channel_seen=True) == \
        (FailReason.NO_ANSWER, 16)
    assert classify_failure(reason=0, dial_status="", causes=[], channel_seen=False) == (FailReason.REJECTED, 0)
    assert classify_failure(reason=None, dial_status="", causes=[21], channel_seen=True) == (FailReason.OTHER, 21)


def _c8_events() -> tuple[list[tuple[str, AmiMessage]], list[tuple[str, str, str]]]:
    transcript = read_transcript(RECORDINGS / "c8_concurrent_originates_mixed.txt")
    registrations, events = [], []
    for item in transcript.messages():
        msg = item.parse()
        if item.direction is Direction.TO_ASTERISK and msg.get("Action") == "Originate":
            registrations.append((msg.get("ChannelId"), msg.get("ActionID"), msg.get("OtherChannelId")))
        elif msg.kind is MessageKind.EVENT:
            events.append((item.conn, msg))
    return events, registrations


C8_EVENTS, C8_LEGS = _c8_events()


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(len(C8_EVENTS))))
def test_in_any_event_order_a_leg_ends_at_most_once_and_nothing_follows_its_end(order: list[int]) -> None:
    tr = Translator("pbx")
    for leg_id, action_id, other in C8_LEGS:
        tr.expect(_request(leg_id), action_id, other)
    ended: set[str] = set()
    for index in order:
        for event in tr.feed(C8_EVENTS[index][1], float(index)):
            concerned = getattr(event, "leg_id", None)
            assert concerned not in ended, f"{type(event).__name__} after the end of {concerned}"
            if isinstance(event, (LegFailed, LegHungUp)):
                ended.add(event.leg_id)
    tr.link_up()
    for event in tr.reconcile({}, 99.0):
        assert isinstance(event, (LegFailed, LegHungUp)) and event.leg_id not in ended
        ended.add(event.leg_id)
    assert ended == {leg for leg, _, _ in C8_LEGS}
    assert tr.active_count == 0


# --- a failed Originate runs our `failed` extension on a dummy channel (i3, c7, j2) ------------------------
REPO_RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"
DUMMY = "1796526475.2"   # the OutgoingSpoolFailed channel's own Uniqueid (never our ChannelId)


def _dummy(name: str, **fields: str) -> AmiMessage:
    return _event(name, Channel="OutgoingSpoolFailed", Uniqueid=DUMMY, Linkedid=DUMMY, Context="dialer-customer",
                  Exten="failed", **fields)


def test_a_failed_originate_with_no_channel_of_its_own_ends_at_the_failed_extensions_user_event() -> None:
    """The phone could not even be called (no channel of the leg exists): the UserEvent our `failed`
    extension sends names the leg, and ends it at once instead of waiting for the OriginateResponse."""
    tr = _translator_with("leg-1")
    assert tr.feed(_dummy("Newchannel", ChannelStateDesc="Down"), 1.0) == ()
    assert tr.feed(_dummy("VarSet", Variable="DIALER_LEG_ID", Value="leg-1"), 1.0) == ()
    (failed,) = tr.feed(_dummy("UserEvent", UserEvent="DialerOriginateFailed", LegId="leg-1", CallId="41",
                               Reason="5"), 1.001)
    assert isinstance(failed, LegFailed)
    assert (failed.leg_id, failed.reason, failed.cause) == ("leg-1", FailReason.BUSY, 17)
    assert "DialerOriginateFailed" in failed.detail and not tr.is_active("leg-1")
    # what follows (the dummy's end, the OriginateResponse) concerns no leg any more
    assert tr.feed(_dummy("Hangup", Cause="16", ChannelStateDesc="Down"), 1.002) == ()
    assert tr.feed(_event("OriginateResponse", ActionID="orig-leg-1", Response="Failure", Reason="5",
                          Uniqueid="leg-1", Channel="PJSIP/trunk"), 1.003) == ()


def test_while_the_legs_own_channels_are_still_ending_their_hangup_causes_decide_with_the_reported_reason() -> None:
    tr = _translator_with("leg-1")
    tr.feed(_event("Newchannel", Uniqueid="leg-1", Channel="Local/2100@sim-customer-00000009;1"), 1.0)
    assert tr.feed(_dummy("UserEvent", UserEvent="DialerOriginateFailed", LegId="leg-1", CallId="41",
                          Reason="5"), 1.5) == ()
    (failed,) = tr.feed(_event("Hangup", Uniqueid="leg-1", Cause="0", ChannelStateDesc="Down"), 1.6)
    assert isinstance(failed, LegFailed) and (failed.reason, failed.cause) == (FailReason.BUSY, 17)


def test_the_dummy_channel_of_a_failed_originate_is_never_taken_for_our_leg_or_for_an_answer() -> None:
    """With a looping dialplan the dummy ran the whole customer script with our variables (issue 12): it
    answered, sent DialerCustomerReady naming our leg, joined a conference. None of it is our leg's."""
    tr = _translator_with("leg-1")
    for msg in (_dummy("Newchannel", ChannelStateDesc="Down"),
                _dummy("Newstate", ChannelStateDesc="Up"),
                _dummy("VarSet", Variable="AMDSTATUS", Value="HUMAN"),
                _dummy("VarSet", Variable="AMDCAUSE", Value="HUMAN-1-1"),
                _dummy("UserEvent", UserEvent="DialerCustomerReady", LegId="leg-1", CallId="41", AMDStatus="HUMAN"),
                _dummy("UserEvent", UserEvent="DialerSafeHarbor", LegId="leg-1", CallId="41"),
                _dummy("VarSet", Variable="PLAYBACKSTATUS", Value="SUCCESS"),
                _dummy("Hangup", Cause="16", ChannelStateDesc="Up")):
        assert tr.feed(msg, 1.0) == (), msg.name
    assert tr.is_active("leg-1")


def test_j2_a_failed_agent_originate_with_the_shipped_dialplan_ends_the_agents_leg_once() -> None:
    """Real Asterisk 22, shipped [dialer-agent]: the Local halves hang up (cause 0), then the dummy runs
    `failed` (DialerAgentFailed) after the OriginateResponse. One failure, nothing from the dummy."""
    events = replay(read_transcript(REPO_RECORDINGS / "j2_failed_agent_originate_shipped_dialplan.txt"))
    assert [(type(e), e.leg_id) for e in events] == [(LegFailed, "dl-agent99leg")]


def test_c7_the_failed_extension_after_a_busy_originate_changes_nothing_of_its_classification() -> None:
    text = (RECORDINGS / "c7_originate_busy_failed_extension.txt").read_text()
    ours = text.replace("<< UserEvent: OriginateFailed", "<< UserEvent: DialerOriginateFailed\n"
                        "    1.065 [c1] << LegId: c-2100-a")
    events = replay(parse_transcript(ours, "c7-ours"))
    failed = [e for e in events if isinstance(e, LegFailed)]
    assert len(failed) == 1 and (failed[0].leg_id, failed[0].reason, failed[0].cause) == ("c-2100-a",
                                                                                           FailReason.BUSY, 17)


# --- a restart of Asterisk cuts every call (i4) -----------------------------------------------------------
def test_i4_every_call_cut_by_a_core_restart_ends_as_cut_by_the_pbx_never_as_no_answer_or_a_hang_up() -> None:
    events = replay(read_transcript(RECORDINGS / "i4_core_restart_live_calls.txt"))
    ends = {e.leg_id: e for e in events if isinstance(e, (LegFailed, LegHungUp))}
    ringing = ends["i4-cc-a"]       # still ringing: DialEnd NOANSWER, Hangup cause 0, OriginateResponse Reason 0
    assert isinstance(ringing, LegFailed) and ringing.reason is FailReason.PBX_CUT
    for leg in ("i4-ag-a", "i4-ca-a", "i4-cb-a"):   # the agent, its customer in the conference, one on hold
        hung_up = ends[leg]
        assert isinstance(hung_up, LegHungUp) and hung_up.pbx_cut, leg


def test_an_ordinary_hang_up_and_an_ordinary_failure_are_not_taken_for_a_pbx_cut() -> None:
    for name in ("c6_originate_answer_then_drop", "c2_originate_noanswer_timeout", "d2_redirect_into_agent_confbridge"):
        for event in replay(read_transcript(RECORDINGS / f"{name}.txt")):
            assert not (isinstance(event, LegHungUp) and event.pbx_cut), name
            assert not (isinstance(event, LegFailed) and event.reason is FailReason.PBX_CUT), name


def test_legs_still_up_when_asterisk_announces_its_shutdown_are_settled_as_cut_after_the_reconnect() -> None:
    tr = _translator_with("ringing", "answered")
    tr.feed(_event("Newchannel", Uniqueid="ringing", Channel="Local/3000@sim-customer-00000001;1"), 1.0)
    tr.feed(_event("Newchannel", Uniqueid="answered", Channel="Local/1105@sim-customer-00000002;1"), 1.0)
    tr.feed(_event("Newstate", Uniqueid="answered", ChannelStateDesc="Up", Channel="Local/1105@sim-customer-00000002;1"),
            2.0)
    assert tr.feed(_event("Shutdown", Shutdown="Cleanly", Restart="True"), 3.0) == ()
    tr.link_up()
    ends = {e.leg_id: e for e in tr.reconcile({}, 4.0)}
    assert isinstance(ends["ringing"], LegFailed) and ends["ringing"].reason is FailReason.PBX_CUT
    assert isinstance(ends["answered"], LegHungUp) and ends["answered"].pbx_cut


# --- PLAYBACKSTATUS of the safe-harbor message (i2, j3) -----------------------------------------------------
def test_i2_the_safe_harbor_playback_status_of_our_leg_is_reported_not_the_other_halfs() -> None:
    """Missing sound, existing sound, `missing&existing`: ;1 says FAILED, SUCCESS, FAILED; the ;2 half says
    SUCCESS every time and must be ignored. The status comes before the leg's end."""
    events = replay(read_transcript(RECORDINGS / "i2_playback_missing_file_safe_harbor.txt"))
    played = [(e.leg_id, e.status) for e in events if isinstance(e, SafeHarborPlayed)]
    assert played == [("i2-missing-a", "FAILED"), ("i2-exists-a", "SUCCESS"), ("i2-list-a", "FAILED")]
    for leg, _ in played:
        order = [type(e) for e in events if getattr(e, "leg_id", None) == leg]
        assert order.index(SafeHarborPlayed) < order.index(LegHungUp)


def test_j3_the_dialplans_own_safe_harbor_reports_its_playback_too() -> None:
    events = replay(read_transcript(REPO_RECORDINGS / "j3_customer_hold_dialplan_safe_harbor.txt"))
    assert [(e.leg_id, e.status) for e in events if isinstance(e, SafeHarborPlayed)] == [("dl-cust1", "SUCCESS")]


def test_a_playback_that_is_not_the_safe_harbor_message_is_not_reported() -> None:
    tr = _translator_with("leg-1")
    tr.feed(_event("UserEvent", UserEvent="DialerCustomerReady", Uniqueid="leg-1", Channel="PJSIP/t-1"), 1.0)
    assert tr.feed(_event("VarSet", Uniqueid="leg-1", Variable="PLAYBACKSTATUS", Value="SUCCESS"), 9.0) == ()


def test_j3_the_dialplans_own_safe_harbor_is_reported_when_it_starts_then_how_it_played() -> None:
    events = [e for e in replay(read_transcript(REPO_RECORDINGS / "j3_customer_hold_dialplan_safe_harbor.txt"))
              if isinstance(e, (CustomerReady, SafeHarborStarted, SafeHarborPlayed, LegHungUp))]
    assert [type(e) for e in events] == [CustomerReady, SafeHarborStarted, SafeHarborPlayed, LegHungUp]
    assert round(events[1].at - events[0].at, 2) == 1.80   # DIALER_HOLD_S's default, measured by Asterisk
