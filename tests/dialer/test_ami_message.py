"""The AMI parser and serialiser: banner, split reads, repeated headers, events that look like responses."""

from __future__ import annotations

import pytest

from dialer.ami.message import (
    AmiParser,
    AmiProtocolError,
    MessageKind,
    format_action,
    format_message,
    parse_message,
)

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
ORIGINATE_RESPONSE = (b"Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: o-1\r\nResponse: Failure\r\n"
                      b"Channel: Local/2200@sim-customer\r\nReason: 5\r\nUniqueid: c-2200-a\r\n\r\n")


def test_banner_without_blank_line_is_not_glued_to_the_first_response() -> None:
    parser = AmiParser()
    messages = parser.feed(BANNER + b"Response: Success\r\nActionID: x-1\r\nChallenge: 25309112\r\n\r\n")
    assert parser.banner == "Asterisk Call Manager/11.0.0"
    assert len(messages) == 1
    assert messages[0].kind is MessageKind.RESPONSE
    assert messages[0].fields == {"Response": "Success", "ActionID": "x-1", "Challenge": "25309112"}


def test_a_message_split_over_many_reads_parses_once_complete() -> None:
    parser = AmiParser()
    data = BANNER + ORIGINATE_RESPONSE
    got = []
    for i in range(len(data)):
        got.extend(parser.feed(data[i:i + 1]))
    assert [m.name for m in got] == ["OriginateResponse"]
    assert got[0].get("Reason") == "5"


def test_a_utf8_character_split_across_reads_survives() -> None:
    parser = AmiParser()
    data = BANNER + "Event: UserEvent\r\nCaller: Zoë\r\n\r\n".encode()
    cut = data.index("ë".encode()) + 1
    assert parser.feed(data[:cut]) == []
    (message,) = parser.feed(data[cut:])
    assert message.get("Caller") == "Zoë"


def test_originate_response_is_an_event_although_it_has_a_response_header() -> None:
    message = AmiParser().feed(BANNER + ORIGINATE_RESPONSE)[0]
    assert message.kind is MessageKind.EVENT
    assert message.name == "OriginateResponse"
    assert message.get("Response") == "Failure"


def test_repeated_headers_keep_every_value_in_order() -> None:
    message = parse_message("Response: Success\r\nActionID: c\r\nOutput: line one\r\nOutput: line two\r\n"
                            "Output: line three")
    assert message.get("Output") == "line one"
    assert message.values("Output") == ("line one", "line two", "line three")
    assert message.values("ActionID") == ("c",)
    assert message.values("Missing") == ()


def test_values_with_colons_and_empty_values_parse() -> None:
    message = parse_message("Response: Error\r\nMessage: Channel1 does not exist: Local/x;1\r\nSystemName: \r\n"
                            "AccountCode:")
    assert message.get("Message") == "Channel1 does not exist: Local/x;1"
    assert message.get("SystemName") == ""
    assert message.get("AccountCode") == ""


def test_format_action_writes_headers_in_order_and_ends_with_a_blank_line() -> None:
    data = format_action("Originate", "o-1", [("Channel", "Local/1@x"), ("Variable", "A=1"), ("Variable", "B=2")])
    assert data == (b"Action: Originate\r\nActionID: o-1\r\nChannel: Local/1@x\r\nVariable: A=1\r\n"
                    b"Variable: B=2\r\n\r\n")
    assert parse_message(data.decode().rstrip("\r\n")).values("Variable") == ("A=1", "B=2")


def test_format_action_refuses_header_injection() -> None:
    with pytest.raises(AmiProtocolError):
        format_action("Setvar", "a-1", [("Value", "x\r\nAction: Hangup")])


def test_format_message_round_trips_through_the_parser() -> None:
    data = format_message([("Event", "Hangup"), ("Uniqueid", "u-1"), ("Cause", "16")])
    (message,) = AmiParser().feed(BANNER + data)
    assert message.fields == {"Event": "Hangup", "Uniqueid": "u-1", "Cause": "16"}


def test_a_stream_with_no_message_end_is_refused_rather_than_buffered_forever() -> None:
    parser = AmiParser()
    parser.feed(BANNER)
    with pytest.raises(AmiProtocolError):
        parser.feed(b"Event: X\r\n" + b"Key: value\r\n" * 500_000)
