"""The AMI adapter against the simulated PBX over real TCP: outcomes, agents, actions and faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.ami.errors import AmiLoginError, AmiTimeout
from dialer.clock import RealClock
from dialer.pbx_port import (
    CTX_AGENT,
    CTX_CONNECT,
    CTX_CUSTOMER,
    VAR_AMD,
    VAR_CALL_ID,
    VAR_LEG_ID,
    ConferenceJoined,
    ConferenceLeft,
    CustomerReady,
    FailReason,
    InboundCall,
    LegAnswered,
    LegFailed,
    LegHungUp,
    LegKind,
    LinkDown,
    LinkUp,
    OriginateRequest,
    PbxError,
    PbxEvent,
    conference_name,
    new_leg_id,
)
from simulations.pbx import PbxConfig, SimulatedPbx

SPEED = 20.0      # simulated seconds per real second


def _config(pbx: SimulatedPbx, name: str = "pbx1", **changes: object) -> AmiServerConfig:
    base = AmiServerConfig(name=name, host="127.0.0.1", port=pbx.port, username="dialer", secret="dialer-secret",
                           max_channels=50, action_timeout_s=2.0, ping_interval_s=0.3, ping_timeout_s=2.0,
                           backoff_initial_s=0.05, backoff_max_s=0.3)
    return replace(base, **changes)  # type: ignore[arg-type]


class Recorder:
    """Collects the adapter's events; ``until`` waits (on a signal, not a poll) for a condition."""

    def __init__(self, adapter: AmiAdapter) -> None:
        self.events: list[PbxEvent] = []
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._run(adapter))

    async def _run(self, adapter: AmiAdapter) -> None:
        async for event in adapter.events():
            self.events.append(event)
            self._changed.set()

    async def until(self, done: Callable[[list[PbxEvent]], bool], timeout_s: float = 5.0) -> list[PbxEvent]:
        async with asyncio.timeout(timeout_s):
            while not done(self.events):
                self._changed.clear()
                await self._changed.wait()
        return self.events

    def of(self, leg_id: str) -> list[PbxEvent]:
        return [e for e in self.events if getattr(e, "leg_id", None) == leg_id]

    def ended(self, *leg_ids: str) -> Callable[[list[PbxEvent]], bool]:
        return lambda events: all(any(isinstance(e, (LegFailed, LegHungUp)) and e.leg_id == leg for e in events)
                                  for leg in leg_ids)

    def stop(self) -> None:
        self._task.cancel()


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    server = SimulatedPbx(PbxConfig(username="dialer", secret="dialer-secret", seed=1, speed=SPEED))
    await server.start(host="127.0.0.1", port=0)
    yield server
    await server.stop()


@pytest.fixture
async def adapter(pbx: SimulatedPbx) -> AsyncIterator[AmiAdapter]:
    async with AmiAdapter([_config(pbx)], clock=RealClock()) as ami:
        yield ami


@pytest.fixture
async def rec(adapter: AmiAdapter) -> AsyncIterator[Recorder]:
    recorder = Recorder(adapter)
    await recorder.until(lambda events: any(isinstance(e, LinkUp) for e in events))
    yield recorder
    recorder.stop()


def customer(number: str, *, amd: bool = True, timeout_s: float = 20.0) -> OriginateRequest:
    return OriginateRequest(leg_id=new_leg_id(), kind=LegKind.CUSTOMER, dial_string=f"Local/{number}@sim-customer",
                            context=CTX_CUSTOMER, exten="s", caller_id='"Campaign 7" <5550100>', timeout_s=timeout_s,
                            variables={VAR_AMD: "1" if amd else "0", VAR_CALL_ID: "call-" + number})


def agent(agent_id: int) -> OriginateRequest:
    return OriginateRequest(leg_id=new_leg_id(), kind=LegKind.AGENT, dial_string=f"Local/100{agent_id}@sim-agent-phone",
                            context=CTX_AGENT, exten=conference_name(agent_id))


async def test_every_originate_outcome_is_classified_and_ends_once(adapter: AmiAdapter, rec: Recorder,
                                                                   pbx: SimulatedPbx) -> None:
    expected = {"1203": "human", "2100": FailReason.BUSY, "3000": FailReason.NO_ANSWER,
                "4100": FailReason.CONGESTION, "8017": FailReason.BUSY, "8034": FailReason.CONGESTION,
                "8001": FailReason.INVALID_NUMBER, "5203": "MACHINE", "6208": "MACHINE", "9120": "NOTSURE",
                "7100": "dropped"}
    legs = {number: customer(number, timeout_s=5.0 if number == "3000" else 20.0) for number in expected}
    for request in legs.values():
        await adapter.originate(request)
    await rec.until(rec.ended(*(r.leg_id for r in legs.values())), timeout_s=10.0)
    for number, want in expected.items():
        events = rec.of(legs[number].leg_id)
        terminal = [e for e in events if isinstance(e, (LegFailed, LegHungUp))]
        assert len(terminal) == 1, (number, events)
        if isinstance(want, FailReason):
            assert isinstance(terminal[0], LegFailed) and terminal[0].reason is want, (number, terminal)
            continue
        kinds = [type(e) for e in events]
        assert kinds.index(LegAnswered) < kinds.index(LegHungUp), number
        ready = [e for e in events if isinstance(e, CustomerReady)]
        if want == "human":
            assert ready[0].amd_status == "HUMAN"
        elif want in ("MACHINE", "NOTSURE"):
            assert ready[0].amd_status == want, (number, ready)
    sent = [r for r in pbx.originate_log if r.channel_id == legs["1203"].leg_id]
    assert len(sent) == 1
    assert sent[0].variables[VAR_LEG_ID] == legs["1203"].leg_id
    assert sent[0].variables[VAR_CALL_ID] == "call-1203"
    assert adapter.statistics()[0].active_legs == 0


async def test_a_customer_redirected_into_the_agents_conference_joins_and_leaves_it(
        adapter: AmiAdapter, rec: Recorder) -> None:
    agent_leg = agent(7)
    await adapter.originate(agent_leg)
    room = conference_name(7)
    await rec.until(lambda ev: any(isinstance(e, ConferenceJoined) and e.leg_id == agent_leg.leg_id for e in ev))
    call = customer("1190", amd=False)
    await adapter.originate(call)
    await rec.until(lambda ev: any(isinstance(e, CustomerReady) and e.leg_id == call.leg_id for e in ev))
    await adapter.redirect(call.leg_id, context=CTX_CONNECT, exten=room)
    await rec.until(lambda ev: any(isinstance(e, ConferenceJoined) and e.leg_id == call.leg_id for e in ev))
    joined = [e for e in rec.of(call.leg_id) if isinstance(e, ConferenceJoined)]
    assert joined[0].conference == room
    await adapter.hangup(call.leg_id)
    await rec.until(rec.ended(call.leg_id))
    kinds = [type(e) for e in rec.of(call.leg_id)]
    assert kinds.index(ConferenceLeft) < kinds.index(LegHungUp)
    assert not rec.ended(agent_leg.leg_id)(rec.events)        # the agent stays in the conference
    await adapter.hangup(agent_leg.leg_id)
    await rec.until(rec.ended(agent_leg.leg_id))


async def test_bridge_connects_a_waiting_customer_to_an_agent_and_variables_round_trip(
        adapter: AmiAdapter, rec: Recorder, pbx: SimulatedPbx) -> None:
    agent_leg = agent(8)
    await adapter.originate(agent_leg)
    call = customer("1190", amd=False)
    await adapter.originate(call)
    await rec.until(lambda ev: any(isinstance(e, CustomerReady) and e.leg_id == call.leg_id for e in ev)
                    and any(isinstance(e, LegAnswered) and e.leg_id == agent_leg.leg_id for e in ev))
    await adapter.set_var(call.leg_id, "DIALER_AGENT_ID", "8")
    assert await adapter.get_var(call.leg_id, "DIALER_AGENT_ID") == "8"
    assert await adapter.get_var(call.leg_id, "NEVER_SET") is None
    await adapter.start_recording(call.leg_id, "call-1190.wav")
    assert pbx.recordings[-1] == (call.leg_id, "call-1190.wav")
    await adapter.bridge(call.leg_id, agent_leg.leg_id)
    live = {c.leg_id: c for c in await adapter.channels() if c.leg_id}
    assert live[call.leg_id].bridge_id and live[call.leg_id].bridge_id == live[agent_leg.leg_id].bridge_id
    await adapter.hangup(call.leg_id)
    await rec.until(rec.ended(call.leg_id))
    assert adapter.statistics()[0].active_legs == 1                    # the agent leg survives the bridge
    with pytest.raises(PbxError, match="not a live leg"):
        await adapter.hangup(call.leg_id)


async def test_an_inbound_caller_arrives_with_a_fresh_leg_id(adapter: AmiAdapter, rec: Recorder,
                                                             pbx: SimulatedPbx) -> None:
    pbx.inject_inbound(caller="+15550001111", did="5000")
    events = await rec.until(lambda ev: any(isinstance(e, InboundCall) for e in ev))
    call = next(e for e in events if isinstance(e, InboundCall))
    assert (call.caller, call.did) == ("+15550001111", "5000")
    await adapter.hangup(call.leg_id)
    await rec.until(rec.ended(call.leg_id))


async def test_a_dropped_link_in_the_middle_of_an_originate_places_the_call_once_and_recovers_its_fate(
        adapter: AmiAdapter, rec: Recorder, pbx: SimulatedPbx) -> None:
    call = customer("1250")                    # answers after 2 s, human, stays 5+50 s
    pbx.faults.reply_delay_s = 0.5             # the PBX places the call but the reply is late ...
    sending = asyncio.create_task(adapter.originate(call))
    await asyncio.sleep(0.1)
    assert [r.channel_id for r in pbx.originate_log] == [call.leg_id]
    assert pbx.faults.drop_connections() == 1  # ... and the link dies before it comes
    pbx.faults.reply_delay_s = 0.0
    await sending                              # no exception: its fate comes as events
    await rec.until(lambda ev: sum(isinstance(e, LinkUp) for e in ev) == 2)
    await rec.until(lambda ev: any(isinstance(e, CustomerReady) and e.leg_id == call.leg_id for e in ev))
    await adapter.hangup(call.leg_id)
    await rec.until(rec.ended(call.leg_id))
    assert [r.channel_id for r in pbx.originate_log] == [call.leg_id]      # never re-sent
    assert [type(e) for e in rec.events].count(LinkDown) == 1
    assert sum(isinstance(e, (LegFailed, LegHungUp)) for e in rec.of(call.leg_id)) == 1


async def test_a_pbx_restart_ends_the_calls_it_lost_and_the_adapter_dials_again(
        adapter: AmiAdapter, rec: Recorder, pbx: SimulatedPbx) -> None:
    talking, ringing = customer("1190"), customer("3000", timeout_s=60.0)
    await adapter.originate(talking)
    await adapter.originate(ringing)
    await rec.until(lambda ev: any(isinstance(e, CustomerReady) and e.leg_id == talking.leg_id for e in ev))
    await pbx.faults.restart(downtime_s=0.3)
    await rec.until(rec.ended(talking.leg_id, ringing.leg_id))
    await rec.until(lambda ev: sum(isinstance(e, LinkUp) for e in ev) == 2)
    lost_talking = [e for e in rec.of(talking.leg_id) if isinstance(e, LegHungUp)]
    lost_ringing = [e for e in rec.of(ringing.leg_id) if isinstance(e, LegFailed)]
    assert len(lost_talking) == 1 and len(lost_ringing) == 1
    kinds = [type(e) for e in rec.events]
    # as Asterisk 22 does it (i4_core_restart_live_calls): the calls hang up first, then the link goes down
    assert kinds.index(LegHungUp) < kinds.index(LinkDown) < len(kinds) - 1 - kinds[::-1].index(LinkUp)
    # a Ping in the ~1.1 s before Shutdown is refused ('Asterisk is shutting down'), and so is a login then
    assert adapter.statistics()[0].sessions >= 2
    again = customer("2100")
    await adapter.originate(again)
    await rec.until(rec.ended(again.leg_id))
    sent = [r.channel_id for r in pbx.originate_log]
    assert sent == [talking.leg_id, ringing.leg_id, again.leg_id]      # nothing re-sent after the restart


async def test_a_refused_login_fails_start_with_a_clear_error(pbx: SimulatedPbx) -> None:
    pbx.faults.refuse_logins = True
    ami = AmiAdapter([_config(pbx)], clock=RealClock())
    with pytest.raises(AmiLoginError, match=r"AMI login to pbx1 at 127\.0\.0\.1:\d+ as 'dialer' refused: "
                                            r"Authentication failed"):
        await ami.start()
    wrong = AmiAdapter([_config(pbx, secret="wrong")], clock=RealClock())
    pbx.faults.refuse_logins = False
    with pytest.raises(AmiLoginError):
        await wrong.start()


async def test_slow_replies_time_out_per_action_and_a_silent_link_is_dropped(pbx: SimulatedPbx) -> None:
    async with AmiAdapter([_config(pbx, action_timeout_s=0.3, ping_interval_s=0.2, ping_timeout_s=0.6)],
                          clock=RealClock()) as ami:
        rec = Recorder(ami)
        call = customer("1190", amd=False)
        await ami.originate(call)
        await rec.until(lambda ev: any(isinstance(e, CustomerReady) for e in ev))
        pbx.faults.reply_delay_s = 2.0
        with pytest.raises(AmiTimeout, match="Getvar to pbx1: no reply in 0.3 s"):
            await ami.get_var(call.leg_id, "DIALER_CALL_ID")
        slow = customer("2100")
        await ami.originate(slow)              # returns after its timeout; the fate still arrives as events
        await rec.until(rec.ended(slow.leg_id))
        down = await rec.until(lambda ev: any(isinstance(e, LinkDown) for e in ev), timeout_s=3.0)
        assert "Ping" in next(e for e in down if isinstance(e, LinkDown)).reason
        pbx.faults.reply_delay_s = 0.0
        await rec.until(lambda ev: sum(isinstance(e, LinkUp) for e in ev) == 2, timeout_s=5.0)
        assert [r.channel_id for r in pbx.originate_log].count(slow.leg_id) == 1
        rec.stop()


async def test_legs_spread_over_servers_by_free_capacity_and_stop_when_full() -> None:
    first = SimulatedPbx(PbxConfig(seed=2, speed=SPEED))
    second = SimulatedPbx(PbxConfig(seed=3, speed=SPEED))
    await first.start()
    await second.start()
    try:
        async with AmiAdapter([_config(first, "a", max_channels=2), _config(second, "b", max_channels=3)],
                              clock=RealClock()) as ami:
            rec = Recorder(ami)
            await rec.until(lambda ev: sum(isinstance(e, LinkUp) for e in ev) == 2)
            assert ami.lines_free() == 5
            calls = [customer("3000", timeout_s=60.0) for _ in range(5)]
            for call in calls:
                await ami.originate(call)
            assert (len(first.originate_log), len(second.originate_log)) == (2, 3)
            assert ami.lines_free() == 0
            with pytest.raises(PbxError, match="no connected AMI server has a free channel"):
                await ami.originate(customer("3000"))
            with pytest.raises(PbxError, match="already used"):
                await ami.originate(calls[0])
            for call in calls:
                await ami.hangup(call.leg_id)
            await rec.until(rec.ended(*(c.leg_id for c in calls)))
            assert ami.lines_free() == 5
            rec.stop()
    finally:
        await first.stop()
        await second.stop()


async def test_the_adapter_remembers_a_bounded_number_of_recent_leg_ids(pbx: SimulatedPbx) -> None:
    async with AmiAdapter([_config(pbx)], clock=RealClock(), leg_id_memory=3) as ami:
        calls = [customer("3000", timeout_s=60.0) for _ in range(5)]
        for call in calls:
            await ami.originate(call)
        assert ami.remembered_leg_ids == 3
        with pytest.raises(PbxError, match="already used"):
            await ami.originate(calls[-1])
        for call in calls:
            await ami.hangup(call.leg_id)


async def test_an_originate_the_pbx_refuses_ends_as_rejected_and_a_bad_variable_is_never_sent(
        adapter: AmiAdapter, rec: Recorder, pbx: SimulatedPbx) -> None:
    refused = replace(customer("1190"), context="no-such-context")
    await adapter.originate(refused)
    await rec.until(rec.ended(refused.leg_id))
    (failed,) = rec.of(refused.leg_id)
    assert isinstance(failed, LegFailed)
    assert (failed.reason, failed.detail) == (FailReason.REJECTED, "Extension does not exist.")
    bad = replace(customer("1190"), variables={"NOTE": "a\nb"})     # no AMI header carries a line break
    with pytest.raises(PbxError, match="line break"):
        await adapter.originate(bad)
    assert bad.leg_id not in [r.channel_id for r in pbx.originate_log]
    assert adapter.statistics()[0].active_legs == 0


async def test_login_falls_back_to_a_plain_secret_when_the_server_offers_no_challenge() -> None:
    seen: list[str] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        while True:
            try:
                block = (await reader.readuntil(b"\r\n\r\n")).decode()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                return
            fields = dict(line.split(": ", 1) for line in block.strip().split("\r\n"))
            seen.append(fields["Action"])
            aid = fields["ActionID"]
            if fields["Action"] == "Challenge":
                writer.write(f"Response: Error\r\nActionID: {aid}\r\nMessage: Must specify AuthType\r\n\r\n".encode())
            elif fields["Action"] == "Login":
                ok = fields.get("Secret") == "s3cret" and "Key" not in fields
                status = "Success\r\nMessage: Authentication accepted" if ok else "Error\r\nMessage: Authentication failed"
                writer.write(f"Response: {status}\r\nActionID: {aid}\r\n\r\n".encode())
            elif fields["Action"] == "CoreShowChannels":
                writer.write(f"Response: Success\r\nActionID: {aid}\r\nEventList: start\r\n\r\n"
                             f"Event: CoreShowChannelsComplete\r\nActionID: {aid}\r\nEventList: Complete\r\n"
                             "ListItems: 0\r\n\r\n".encode())
            else:
                writer.write(f"Response: Success\r\nActionID: {aid}\r\n\r\n".encode())

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    config = AmiServerConfig("old", "127.0.0.1", port, "dialer", "s3cret", 10)
    try:
        async with AmiAdapter([config], clock=RealClock()) as ami:
            assert ami.statistics()[0].up
        assert seen[:3] == ["Challenge", "Login", "CoreShowChannels"]
    finally:
        server.close()
        await server.wait_closed()
