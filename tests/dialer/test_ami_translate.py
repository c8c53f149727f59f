"""Event translation beyond the recordings: reconciliation, inbound calls, our dialplan's events, invariants."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.ami.causes import classify_failure
from dialer.ami.message import AmiMessage, MessageKind
from dialer.ami.transcript import Direction, read_transcript
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
