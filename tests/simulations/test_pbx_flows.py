"""The simulated PBX follows our dialplan: hold, safe harbor, machines, conferences, bridges, inbound,
and the shared call model."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import pytest

from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import ConferenceUpdate, PbxConfig, SimulatedPbx
from simulations.pbx.probe import AmiProbe


async def _start(**overrides) -> tuple[SimulatedPbx, AmiProbe]:
    config = PbxConfig(**{"seed": 5, "speed": 20.0, **overrides})
    pbx = SimulatedPbx(config)
    await pbx.start(host="127.0.0.1", port=0)
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    await probe.login("dialer", "dialer-secret")
    return pbx, probe


async def _stop(pbx: SimulatedPbx, probe: AmiProbe) -> None:
    await probe.close()
    await pbx.stop()


def _hung_up(uid: str):
    return lambda m: m.event == "Hangup" and m.get("Uniqueid") == uid


async def _agent(probe: AmiProbe, agent: str, dial: str | None = None) -> None:
    await probe.action(
        "Originate",
        Channel=dial or f"Local/{agent}@sim-agent-phone",
        Context="dialer-agent",
        Exten=agent,
        Priority="1",
        ChannelId=f"leg-{agent}",
        Async="true",
        Variable=f"DIALER_AGENT_ID={agent}",
    )
    await probe.wait_for(lambda m: m.event == "ConfbridgeJoin" and m.get("Uniqueid") == f"leg-{agent}")


async def _customer(probe: AmiProbe, number: str, uid: str, *, amd: bool = False, extra: str = "") -> None:
    variables = f"DIALER_LEG_ID={uid},DIALER_CALL_ID=c-{uid}" + (",DIALER_AMD=1" if amd else "") + extra
    await probe.action(
        "Originate",
        Channel=number,
        Context="dialer-customer",
        Exten="s",
        Priority="1",
        ChannelId=uid,
        Variable=variables,
        Async="true",
        Timeout="30000",
    )


async def test_an_unclaimed_customer_hears_the_safe_harbor_message_after_the_hold_limit():
    pbx, probe = await _start(hold_limit_s=2.0)
    await _customer(probe, "Local/1190@sim-customer", "sh-1")
    ready = await probe.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady")
    assert (ready.get("LegId"), ready.get("CallId"), ready.get("AMDStatus")) == ("sh-1", "c-sh-1", "")
    harbor = await probe.wait_for(lambda m: m.get("UserEvent") == "DialerSafeHarbor")
    await probe.wait_for(_hung_up("sh-1"))
    names = [m.event for m in probe.events if m.get("Uniqueid") == "sh-1"]
    assert "MusicOnHoldStart" not in names  # Wait(${DIALER_HOLD_S}) holds in silence
    playback = [m.get("Value") for m in probe.events if m.get("Variable") == "PLAYBACKSTATUS"]
    assert playback == ["SUCCESS"]  # the default please-try-call-later exists
    assert harbor.get("Context") == "dialer-safe-harbor"
    assert pbx.call_records[-1].safe_harbor and not pbx.call_records[-1].met_agent
    await _stop(pbx, probe)


async def test_a_customer_who_loses_patience_while_held_is_recorded_as_an_abandon():
    model = CustomerModel(
        connect_rate=1.0,
        machine_rate=0.0,
        busy_rate=0.0,
        congestion_rate=0.0,
        invalid_rate=0.0,
        ring=LogNormal(1.0, 0.0),
        patience=LogNormal(2.0, 0.0),
    )
    pbx, probe = await _start(customer_model=model, hold_limit_s=30.0)  # held longer than its patience
    await _customer(probe, "PJSIP/+15551230001@carrier", "ab-1")
    await probe.wait_for(_hung_up("ab-1"))
    assert len(pbx.abandons) == 1
    abandon = pbx.abandons[0]
    assert abandon.uniqueid == "ab-1" and 1.9 <= abandon.waited_s < 4.0
    assert pbx.call_records[-1].outcome == "human" and not pbx.call_records[-1].met_agent
    await _stop(pbx, probe)


async def test_trunk_dial_strings_make_one_channel_named_after_the_peer():
    model = CustomerModel(
        connect_rate=0.0, machine_rate=0.0, busy_rate=1.0, congestion_rate=0.0, invalid_rate=0.0
    )
    pbx, probe = await _start(customer_model=model)
    await _customer(probe, "PJSIP/+33612345678@carrier", "tr-1")
    response = await probe.wait_for(lambda m: m.event == "OriginateResponse")
    assert (response.get("Response"), response.get("Reason"), response.get("Channel")) == (
        "Failure",
        "5",
        "PJSIP/+33612345678@carrier",
    )
    hangup = await probe.wait_for(_hung_up("tr-1"))
    assert hangup.get("Channel").startswith("PJSIP/carrier-") and hangup.get("Cause") == "17"
    assert not any(m.get("Channel", "").endswith(";2") for m in probe.events)
    await _stop(pbx, probe)


async def test_redirect_into_an_agent_conference_connects_talks_and_hangs_up_with_hooks():
    pbx, probe = await _start()
    updates: list[ConferenceUpdate] = []
    pbx.on_conference(updates.append)
    await _agent(probe, "agent-7", dial="PJSIP/agent7")
    await _customer(probe, "Local/1103@sim-customer", "rc-1", extra=",DIALER_RECORDING=/tmp/rc-1.wav")
    await probe.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady")
    reply = await probe.action(
        "Redirect", Channel="rc-1", Context="dialer-connect", Exten="agent-7", Priority="1"
    )
    assert reply.get("Message") == "Redirect successful"
    joined = await probe.wait_for(lambda m: m.event == "ConfbridgeJoin" and m.get("Uniqueid") == "rc-1")
    assert joined.get("Conference") == "agent-7"
    await probe.wait_for(_hung_up("rc-1"))
    left = await probe.wait_for(lambda m: m.event == "ConfbridgeLeave" and m.get("Uniqueid") == "rc-1")
    assert left.get("Conference") == "agent-7"
    assert any(m.event == "MixMonitorStart" and m.get("Uniqueid") == "rc-1" for m in probe.events)
    customer = [(u.kind, u.joined) for u in updates if u.uniqueid == "rc-1"]
    assert customer == [("customer", True), ("customer", False)]
    assert pbx.call_records[-1].met_agent and pbx.call_records[-1].outcome == "human"
    agent_music = [
        m.event for m in probe.events if m.get("Uniqueid") == "leg-agent-7" and "MusicOnHold" in m.event
    ]
    assert agent_music == ["MusicOnHoldStart", "MusicOnHoldStop", "MusicOnHoldStart"]
    await _stop(pbx, probe)


async def test_bridge_action_then_customer_hangup_sends_the_agent_back_to_its_conference():
    pbx, probe = await _start()
    await _agent(probe, "agent-8")
    await _customer(probe, "Local/1102@sim-customer", "br-1")
    await probe.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady")
    await probe.action("Setvar", Channel="br-1", Variable="DIALER_AGENT_ID", Value="8")
    reply = await probe.action("Bridge", Channel1="br-1", Channel2="leg-agent-8", Tone="no")
    assert reply.get("Message") == "Channels have been bridged"
    await probe.wait_for(_hung_up("br-1"))
    rejoin = await probe.wait_for(
        lambda m: m.event == "ConfbridgeJoin" and m.get("Uniqueid") == "leg-agent-8",
        start=len(probe.events) - 10,
    )
    assert rejoin.get("Conference") == "agent-8"
    assert [c.met_agent for c in pbx.call_records] == [True]
    await _stop(pbx, probe)


async def test_machine_redirected_to_the_machine_context_gets_its_message_after_the_greeting():
    pbx, probe = await _start(extra_sounds={"custom/msg": 4.0})
    await _customer(
        probe, "Local/5190@sim-customer", "mc-1", amd=True, extra=",DIALER_MACHINE_MSG=custom/msg"
    )
    ready = await probe.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady", timeout=5)
    assert (ready.get("AMDStatus"), ready.get("AMDCause")) == ("MACHINE", "LONGGREETING-1500-1500")
    sent = time.monotonic()
    await probe.action("Redirect", Channel="mc-1", Context="dialer-machine", Exten="s", Priority="1")
    await probe.wait_for(_hung_up("mc-1"))
    # greeting 4 s after answer (AMD took 3.25 s) + 1.5 s silence + 4 s message = ~6.25 s simulated
    assert 6.0 <= (time.monotonic() - sent) * 20.0 < 12.0
    assert pbx.call_records[-1].outcome == "machine"
    await _stop(pbx, probe)


async def test_inbound_calls_enter_dialer_inbound_and_can_be_connected_to_an_agent():
    pbx, probe = await _start()
    await _agent(probe, "agent-9")
    name = pbx.inject_inbound(caller="+15550001111", did="5000")
    inbound = await probe.wait_for(lambda m: m.get("UserEvent") == "DialerInboundArrived")
    assert (inbound.get("CallerId"), inbound.get("Did"), inbound.get("Channel")) == (
        "+15550001111",
        "5000",
        name,
    )
    assert inbound.get("LegId") == inbound.get("Uniqueid")
    await probe.action("Redirect", Channel=name, Context="dialer-connect", Exten="agent-9", Priority="1")
    joined = await probe.wait_for(lambda m: m.event == "ConfbridgeJoin" and m.get("Channel") == name)
    assert joined.get("Conference") == "agent-9"
    await _stop(pbx, probe)


async def test_the_speed_factor_divides_every_simulated_duration():
    pbx, probe = await _start(speed=20.0)
    started = time.monotonic()
    await _customer(probe, "Local/2400@sim-customer", "sp-1")  # busy after 4 simulated seconds
    await probe.wait_for(_hung_up("sp-1"))
    assert 4.0 / 20.0 * 0.95 <= time.monotonic() - started < 4.0 / 20.0 * 3  # not 4 s: divided by 20
    await _stop(pbx, probe)


async def _model_outcomes(seed: int, calls: int) -> list[str]:
    pbx, probe = await _start(seed=seed, speed=2000.0, hold_limit_s=1.0)
    for i in range(calls):
        await _customer(probe, f"PJSIP/+1555{i:07d}@carrier", f"m-{seed}-{i}", amd=True)
    deadline = time.monotonic() + 10
    while len(pbx.call_records) < calls and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    outcomes = [r.outcome for r in sorted(pbx.call_records, key=lambda r: r.uniqueid)]
    await _stop(pbx, probe)
    return outcomes


async def test_fates_drawn_from_the_call_model_follow_its_mix_and_repeat_with_the_seed():
    first = await _model_outcomes(11, 400)
    again = await _model_outcomes(11, 400)
    assert first == again and len(first) == 400
    share = Counter(first)
    model = CustomerModel()
    assert share["human"] / 400 == pytest.approx(model.connect_rate, abs=0.07)
    assert share["busy"] / 400 == pytest.approx(model.busy_rate, abs=0.04)
    assert share["no_answer"] / 400 == pytest.approx(1 - 0.30 - 0.10 - 0.08 - 0.02 - 0.02, abs=0.07)


async def test_hanging_up_a_ringing_leg_cancels_it_with_originate_reason_1():
    pbx, probe = await _start()
    await _customer(probe, "Local/3000@sim-customer", "hr-1")
    await probe.wait_for(lambda m: m.event == "DialState" and m.get("DestUniqueid") == "hr-1")
    assert (await probe.action("Hangup", Channel="hr-1", Cause="16")).get("Message") == "Channel Hungup"
    response = await probe.wait_for(lambda m: m.event == "OriginateResponse")
    assert (response.get("Response"), response.get("Reason")) == ("Failure", "1")
    await probe.wait_for(_hung_up("hr-1"))
    assert pbx.call_records[-1].outcome == "cancelled" and not pbx.statistics().channels
    await _stop(pbx, probe)


async def test_an_application_originate_reports_application_and_data_and_runs_it():
    pbx, probe = await _start()
    await probe.action(
        "Originate",
        Channel="Local/agent-1@sim-agent-phone",
        Application="Wait",
        Data="2",
        ChannelId="ap-1",
        Async="true",
    )
    response = await probe.wait_for(lambda m: m.event == "OriginateResponse")
    assert response.keys == (
        "Event",
        "Privilege",
        "ActionID",
        "Response",
        "Channel",
        "Application",
        "Data",
        "Reason",
        "Uniqueid",
        "CallerIDNum",
        "CallerIDName",
    )
    started = time.monotonic()
    await probe.wait_for(_hung_up("ap-1"))
    assert 1.8 <= (time.monotonic() - started) * 20.0 < 6.0
    await _stop(pbx, probe)


async def test_every_originate_gets_one_response_and_every_channel_one_hangup_whatever_the_engine_does():
    pbx, probe = await _start(seed=9, speed=500.0, hold_limit_s=4.0)
    await _agent(probe, "agent-1")
    rng = random.Random(9)
    for i in range(150):
        await _customer(probe, f"PJSIP/+1555{i:07d}@carrier", f"inv-{i}", amd=rng.random() < 0.5)
        if i % 10 == 9:  # the engine acts on some waiting customers at random
            ready = [m.get("Uniqueid") for m in probe.events if m.get("UserEvent") == "DialerCustomerReady"]
            if ready:
                uid = rng.choice(ready)
                target = rng.choice(
                    [("dialer-connect", "agent-1"), ("dialer-safe-harbor", "s"), ("dialer-machine", "s")]
                )
                await probe.action("Redirect", Channel=uid, Context=target[0], Exten=target[1], Priority="1")
                await probe.action("Hangup", Channel=rng.choice(ready))
    deadline = time.monotonic() + 10
    while len(pbx.call_records) < 150 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    responses = Counter(m.get("ActionID") for m in probe.events if m.event == "OriginateResponse")
    created = Counter(m.get("Uniqueid") for m in probe.events if m.event == "Newchannel")
    hung_up = Counter(m.get("Uniqueid") for m in probe.events if m.event == "Hangup")
    assert len(pbx.call_records) == 150
    assert len(responses) == 151 and set(responses.values()) == {1}
    still_up = Counter(ch.uniqueid for ch in pbx.channels())
    assert created == hung_up + still_up and set(hung_up.values()) == {1}
    assert {ch.name.split("-")[0] for ch in pbx.channels()} == {"Local/agent"}  # only the agent's pair
    assert "leg-agent-1" in still_up
    await _stop(pbx, probe)
