"""The simulated PBX plays faults on purpose: dropped links, restarts, refused logins, slow replies,
the auth timeout."""

from __future__ import annotations

import asyncio
import time

import pytest
from panoramisk import Manager

from dialer.aio import wait_within
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.probe import AmiProbe


@pytest.fixture
async def pbx():
    server = SimulatedPbx(PbxConfig(seed=2, speed=20.0, auth_fail_delay_real_s=0.1, auth_timeout_real_s=0.3))
    await server.start(host="127.0.0.1", port=0)
    yield server
    await server.stop()


async def _login(pbx: SimulatedPbx, events: str = "on") -> AmiProbe:
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    await probe.login("dialer", "dialer-secret", events=events)
    return probe


async def test_drop_connections_closes_every_session_without_goodbye_and_keeps_listening(pbx):
    first, second = await _login(pbx), await _login(pbx)
    assert pbx.faults.drop_connections() == 2
    await wait_within(first.closed.wait(), 1.0)
    await wait_within(second.closed.wait(), 1.0)
    assert not any(m.get("Response") == "Goodbye" for m in first.received)
    third = await _login(pbx)
    assert (await third.action("Ping")).get("Ping") == "Pong"
    for probe in (first, second, third):
        await probe.close()


async def test_restart_sends_shutdown_refuses_connections_then_comes_back_without_channels(pbx):
    probe = await _login(pbx, events="system")
    await probe.action(
        "Originate",
        Channel="Local/agent-1@sim-agent-phone",
        Context="dialer-agent",
        Exten="agent-1",
        Priority="1",
        Async="true",
    )
    await asyncio.sleep(0.05)
    assert pbx.statistics().channels == 2
    restart = asyncio.ensure_future(pbx.faults.restart(downtime_s=0.4))
    shutdown = await probe.wait_for(lambda m: m.event == "Shutdown")
    assert (
        shutdown.keys == ("Event", "Privilege", "Shutdown", "Restart") and shutdown.get("Restart") == "True"
    )
    await wait_within(probe.closed.wait(), 1.0)
    await asyncio.sleep(0.1)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", pbx.port)
    await restart
    again = await _login(pbx)
    listing = await again.action_list("CoreShowChannels")
    assert listing[-1].get("ListItems") == "0"
    await probe.close()
    await again.close()


async def test_refused_logins_fail_like_a_wrong_secret(pbx):
    pbx.faults.refuse_logins = True
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    reply = await probe.action("Login", Username="dialer", Secret="dialer-secret")
    assert reply.get("Message") == "Authentication failed"
    await wait_within(probe.closed.wait(), 1.0)
    await probe.close()


async def test_reply_delay_holds_back_responses(pbx):
    probe = await _login(pbx)
    pbx.faults.reply_delay_s = 0.3
    started = time.monotonic()
    await probe.action("Ping")
    assert time.monotonic() - started >= 0.29
    await probe.close()


async def test_a_connection_that_never_logs_in_is_closed_after_the_auth_timeout(pbx):
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    await wait_within(probe.closed.wait(), 1.0)
    await probe.close()


async def test_panoramisk_logs_in_and_gets_the_originate_response_with_its_future(pbx):
    manager = Manager(
        host="127.0.0.1",
        port=pbx.port,
        username="dialer",
        secret="dialer-secret",
        ping_delay=0,
        reconnect_timeout=0.1,
    )
    await manager.connect()
    try:
        result = await wait_within(
            manager.send_action(
                {
                    "Action": "Originate",
                    "Channel": "Local/1102@sim-customer",
                    "Context": "dialer-customer",
                    "Exten": "s",
                    "Priority": "1",
                    "Async": "true",
                    "ChannelId": "pm-1",
                }
            ),
            3.0,
        )
        assert [m.get("Response") for m in result] == ["Success", "Success"]
        assert result[1].get("Event") == "OriginateResponse" and result[1].get("Reason") == "4"
        assert pbx.originate_log[-1].channel_id == "pm-1"
    finally:
        manager.close()
