"""The PBX steps of a three-way call through the engine's own AMI adapter, on a real Asterisk running the shipped
dialplan; an independent witness lists the conferences. The receiving agent's phone leg is redirected from its
conference into the sender's (``dialer-agent``, exten ``agent-<sender>``), the customer can be muted in place
(``ConfbridgeMute``, ``PbxPort.conference_mute``) and unmuted, then the receiving agent goes home and the customer
follows it; no leg is hung up on the way. (The engine's warm transfer puts the customer on hold instead of
muting it: ``test_live_transfer_hold.py``.)"""

from __future__ import annotations

import asyncio

from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.clock import RealClock
from dialer.pbx_port import (
    CTX_AGENT,
    CTX_CONNECT,
    VAR_AGENT_ID,
    VAR_LEG_ID,
    LegKind,
    OriginateRequest,
    conference_name,
    new_leg_id,
)
from tests.live_asterisk.ami_watch import AmiTarget, AmiWatch
from tests.live_asterisk.conftest import TEST_NETWORK, customer_number

SENDER, RECEIVER = 97101, 97102


async def members(watch: AmiWatch, conference: str) -> set[tuple[str, bool]]:
    """(channel, muted) of each member of ``conference`` (empty when there is no such conference)."""
    listed = await watch.action({"Action": "ConfbridgeList", "Conference": conference})
    return {(m.get("Channel"), m.get("Muted") == "Yes") for m in listed if m.get("Event") == "ConfbridgeList"}


async def eventually(check, timeout_s: float = 5.0):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.2)


async def test_talk_first_three_way_and_hand_over_keep_every_leg_up(ami_target: AmiTarget, watch: AmiWatch) -> None:
    adapter = AmiAdapter([AmiServerConfig(name="live", host=ami_target.host, port=ami_target.port,
                                          username=ami_target.username, secret=ami_target.secret, max_channels=10)],
                         clock=RealClock())
    await adapter.start()
    legs: dict[int, str] = {}
    customer = new_leg_id()
    sender_conf, receiver_conf = conference_name(SENDER), conference_name(RECEIVER)
    try:
        for agent, phone in ((SENDER, "agent-1"), (RECEIVER, "agent-2")):
            legs[agent] = new_leg_id()
            await adapter.originate(OriginateRequest(
                leg_id=legs[agent], kind=LegKind.AGENT, dial_string=f"Local/{phone}@{TEST_NETWORK}", context=CTX_AGENT,
                exten=conference_name(agent), variables={VAR_LEG_ID: legs[agent], VAR_AGENT_ID: str(agent)}))
        assert await eventually(lambda: members(watch, receiver_conf))
        number = customer_number(1, ring_s=1, stay_s=90).removeprefix("+")
        await adapter.originate(OriginateRequest(
            leg_id=customer, kind=LegKind.CUSTOMER, dial_string=f"Local/{number}@{TEST_NETWORK}", context=CTX_CONNECT,
            exten=sender_conf, variables={VAR_LEG_ID: customer}))

        async def sender_and_customer() -> set[tuple[str, bool]] | None:
            found = await members(watch, sender_conf)
            return found if len(found) == 2 else None

        before = await eventually(sender_and_customer, timeout_s=10)
        assert before, "the customer did not join the sender's conference"
        agent_a = next(ch for ch, _ in before if "agent-1" in ch)
        person = next(ch for ch, _ in before if "agent-1" not in ch)
        agent_b = next(ch for ch, _ in await members(watch, receiver_conf))

        # talk first: the customer muted, the receiving agent's phone in the sender's conference
        await adapter.conference_mute(customer, conference=sender_conf, muted=True)
        await adapter.redirect(legs[RECEIVER], context=CTX_AGENT, exten=sender_conf)
        consult = {(agent_a, False), (person, True), (agent_b, False)}
        assert await eventually(lambda: _equal(members(watch, sender_conf), consult)) == consult
        assert await members(watch, receiver_conf) == set()

        # three-way: the customer heard again
        await adapter.conference_mute(customer, conference=sender_conf, muted=False)
        three = {(agent_a, False), (person, False), (agent_b, False)}
        assert await eventually(lambda: _equal(members(watch, sender_conf), three)) == three

        # the sender leaves: the receiving agent goes home, the customer follows it
        await adapter.redirect(legs[RECEIVER], context=CTX_AGENT, exten=receiver_conf)
        await adapter.redirect(customer, context=CTX_CONNECT, exten=receiver_conf)
        owned = {(agent_b, False), (person, False)}
        assert await eventually(lambda: _equal(members(watch, receiver_conf), owned)) == owned
        assert await members(watch, sender_conf) == {(agent_a, False)}
        live = {c.get("Uniqueid") for c in await watch.channels()}
        assert {legs[SENDER], legs[RECEIVER], customer} <= live           # nobody was hung up on the way
    finally:
        for leg in (customer, *legs.values()):
            try:
                await adapter.hangup(leg)
            except Exception:   # noqa: BLE001, S110 - already gone
                pass
        await adapter.close()


async def _equal(found, expected):  # type: ignore[no-untyped-def]
    value = await found
    return value if value == expected else None
