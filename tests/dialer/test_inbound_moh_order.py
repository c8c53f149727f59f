"""The Redirect that restarts a caller's music in its queue's class never wins over the Redirect into an
agent's conference: ``InboundDesk._hold_music`` reads the caller's state after its Setvar and writes the
Redirect to ``dialer-inbound,hold`` in that same step, so a router decision taken while the Setvar was on the
wire stops it, and one taken later is written after it (Asterisk runs one session's actions in order: the
agent's Redirect wins).

A fake PBX records what reaches the wire and in which order, as the AMI adapter writes an action before it
yields; the pure rule is checked apart (``inbound_policy.hold_music`` / ``music_change``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

from campaigns.queues import Queue
from dialer import inbound_policy
from dialer.calls import Call, CallState, Pool, PoolKind
from dialer.inbound import EXTEN_HOLD, VAR_MOH, Caller, InboundDesk
from dialer.pbx_port import CTX_INBOUND

LEG = "dl-caller"
CONNECT = ("dialer-connect", "agent-7")


@dataclass
class WirePbx:
    """Every action written, in order; an action's reply waits for ``replies`` (the test decides when)."""

    wire: list[tuple[str, ...]] = field(default_factory=list)
    replies: asyncio.Event = field(default_factory=asyncio.Event)

    async def set_var(self, leg_id: str, name: str, value: str) -> None:
        self.wire.append(("Setvar", leg_id, name, value))
        await self.replies.wait()

    async def redirect(self, leg_id: str, *, context: str, exten: str, priority: int = 1) -> None:
        self.wire.append(("Redirect", leg_id, context, exten))
        await self.replies.wait()


def desk_with_waiting_caller() -> tuple[InboundDesk, SimpleNamespace, Caller]:
    call = Call(call_id=1, leg_id=LEG, pool=Pool(PoolKind.QUEUE, 3), state=CallState.WAITING, inbound=True)
    engine = SimpleNamespace(pbx=WirePbx(), calls={1: call})
    return InboundDesk(engine), engine, Caller(1, LEG, "+15550001111", "+842873001234", "pbx1", 0.0)  # type: ignore[arg-type]


def connect(engine: SimpleNamespace) -> asyncio.Task[None]:
    """The router gives the caller an agent: its state moves at once, the Redirect to its conference
    follows."""
    engine.calls[1] = replace(engine.calls[1], state=CallState.CONNECTING)
    return asyncio.ensure_future(engine.pbx.redirect(LEG, context=CONNECT[0], exten=CONNECT[1]))


async def test_a_caller_taken_while_its_class_is_being_set_is_not_redirected_to_hold() -> None:
    desk, engine, caller = desk_with_waiting_caller()
    holding = asyncio.ensure_future(desk._hold_music(caller, "jazz"))
    await asyncio.sleep(0)                  # the Setvar is on the wire, its reply not yet in
    to_agent = connect(engine)
    await asyncio.sleep(0)
    engine.pbx.replies.set()
    await asyncio.gather(holding, to_agent)
    assert engine.pbx.wire == [("Setvar", LEG, VAR_MOH, "jazz"), ("Redirect", LEG, *CONNECT)]


async def test_an_agent_found_after_the_redirect_to_hold_is_written_redirects_last_and_wins() -> None:
    desk, engine, caller = desk_with_waiting_caller()
    holding = asyncio.ensure_future(desk._hold_music(caller, "jazz"))
    await asyncio.sleep(0)
    engine.pbx.replies.set()     # the Setvar's reply: the caller still waits, the Redirect is written
    while len(engine.pbx.wire) < 2:
        await asyncio.sleep(0)
    to_agent = connect(engine)
    await asyncio.gather(holding, to_agent)
    assert engine.pbx.wire == [("Setvar", LEG, VAR_MOH, "jazz"), ("Redirect", LEG, CTX_INBOUND, EXTEN_HOLD),
                               ("Redirect", LEG, *CONNECT)]


async def test_a_caller_that_left_its_queue_while_its_class_was_set_is_not_redirected_to_hold() -> None:
    desk, engine, caller = desk_with_waiting_caller()
    holding = asyncio.ensure_future(desk._hold_music(caller, "jazz"))
    await asyncio.sleep(0)
    del engine.calls[1]          # past the queue's limits: voicemail, overflow... (InboundDesk._leave)
    engine.pbx.replies.set()
    await holding
    assert engine.pbx.wire == [("Setvar", LEG, VAR_MOH, "jazz")]


def test_the_class_set_is_the_queues_and_default_means_none_set() -> None:
    assert inbound_policy.hold_music(Queue(id=1, name="q", moh_class="jazz")) == "jazz"
    assert inbound_policy.hold_music(Queue(id=1, name="q", moh_class="default")) == ""
    assert inbound_policy.hold_music(Queue(id=1, name="q", moh_class="Default")) == ""


def test_the_music_restarts_only_for_a_waiting_caller_whose_class_changes() -> None:
    jazz, plain = Queue(id=1, name="q", moh_class="jazz"), Queue(id=1, name="q")
    assert inbound_policy.music_change(jazz, "", waiting=True) == "jazz"        # arrived at its DID: default
    assert inbound_policy.music_change(jazz, "", waiting=False) is None         # connected at once
    assert inbound_policy.music_change(jazz, "JAZZ", waiting=True) is None      # Asterisk ignores case
    assert inbound_policy.music_change(plain, "", waiting=True) is None         # default where it arrived
    assert inbound_policy.music_change(plain, "jazz", waiting=True) == ""       # overflowed from jazz
