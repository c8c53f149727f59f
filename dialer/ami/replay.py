"""Drive a ``Translator`` with a recorded transcript, as if the adapter had sent its Originates.

The ``>>`` Originates that carry a ChannelId register legs (their OtherChannelId included), ``<<``
Originate errors become REJECTED failures, and every ``<<`` event is fed with its recorded time.
Used by the replay tests and the parser/translation benchmark.
"""

from __future__ import annotations

import itertools

from dialer.ami.message import MessageKind
from dialer.ami.transcript import Direction, Transcript
from dialer.ami.translate import Translator
from dialer.pbx_port import LegKind, OriginateRequest, PbxEvent


def replay(transcript: Transcript, *, server: str = "replay", translator: Translator | None = None) -> list[PbxEvent]:
    """Every domain event the transcript's traffic gives, in order."""
    counter = itertools.count(1)
    tr = translator or Translator(server, new_id=lambda: f"in-{next(counter)}")
    originates: dict[str, str] = {}          # ActionID -> leg id
    out: list[PbxEvent] = []
    for item in transcript.messages():
        msg = item.parse()
        if item.direction is Direction.TO_ASTERISK:
            fields = msg.fields
            if fields.get("Action", "").lower() != "originate":
                continue
            # without a ChannelId Asterisk numbers the channels itself: only the ActionID correlates
            leg_id = fields.get("ChannelId") or "action:" + fields.get("ActionID", "")
            if tr.is_active(leg_id):
                continue                     # a reused ChannelId: the adapter refuses these
            context = fields.get("Context", "")
            request = OriginateRequest(
                leg_id=leg_id, kind=LegKind.AGENT if context.startswith("agent") else LegKind.CUSTOMER,
                dial_string=fields.get("Channel", ""), context=context, exten=fields.get("Exten", ""))
            tr.expect(request, fields.get("ActionID", ""), fields.get("OtherChannelId") or leg_id + ";2")
            originates[fields.get("ActionID", "")] = leg_id
        elif msg.kind is MessageKind.EVENT:
            out.extend(tr.feed(msg, item.at_s))
        elif msg.kind is MessageKind.RESPONSE and msg.name == "Error" and msg.action_id in originates:
            out.extend(tr.originate_refused(originates[msg.action_id], msg.get("Message"), item.at_s))
    return out
