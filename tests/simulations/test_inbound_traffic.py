"""The simulated PBX's inbound traffic: callers arrive at a rate per hour of the day, each with its patience and
talk time, some press 1 while holding; the PBX generates them by itself once ``PbxConfig.inbound_traffic`` is set."""

from __future__ import annotations

import asyncio
import time

import pytest

from simulations.call_model import LogNormal
from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.inbound_traffic import InboundStream, arrivals
from simulations.pbx.probe import AmiProbe

PEAKY = [0.0] * 9 + [60.0, 240.0, 60.0] + [0.0] * 12      # nobody before 9:00, a peak at 10:00-11:00


def test_callers_follow_the_rate_of_their_hour_of_the_day() -> None:
    stream = InboundStream(did="+842873001234", rate_per_hour=PEAKY)
    callers = arrivals([stream], duration_s=24 * 3600.0, start_hour=0.0, seed=3)
    per_hour = [0] * 24
    for a in callers:
        per_hour[int(a.at // 3600)] += 1
    assert sum(per_hour[:9]) == 0 and sum(per_hour[12:]) == 0
    assert 180 <= per_hour[10] <= 300 and 30 <= per_hour[9] <= 95 and 30 <= per_hour[11] <= 95, per_hour
    assert [a.at for a in callers] == sorted(a.at for a in callers)


def test_the_day_starts_at_the_hour_given() -> None:
    stream = InboundStream(did="5000", rate_per_hour=PEAKY)
    callers = arrivals([stream], duration_s=3600.0, start_hour=10.0, seed=4)   # the peak hour only
    assert 180 <= len(callers) <= 300


def test_the_same_seed_gives_the_same_callers_with_their_own_patience_talk_and_numbers() -> None:
    vip = InboundStream(did="5001", rate_per_hour=[120.0], patience=LogNormal(60.0, 0.5), talk=LogNormal(100.0, 0.2),
                        callers=("+15550009001", "+15550009002"))
    other = InboundStream(did="5000", rate_per_hour=[120.0], patience=LogNormal(20.0, 0.5))
    one = arrivals([vip, other], duration_s=3600.0, seed=9)
    assert one == arrivals([vip, other], duration_s=3600.0, seed=9)
    assert one != arrivals([vip, other], duration_s=3600.0, seed=10)
    assert {a.caller for a in one if a.did == "5001"} <= {"+15550009001", "+15550009002"}
    assert len({a.caller for a in one if a.did == "5000"}) == sum(1 for a in one if a.did == "5000")
    vip_patience = [a.patience_s for a in one if a.did == "5001"]
    other_patience = [a.patience_s for a in one if a.did == "5000"]
    assert 45 < sum(vip_patience) / len(vip_patience) < 75 and 14 < sum(other_patience) / len(other_patience) < 26
    assert len(set(vip_patience)) == len(vip_patience)       # each caller its own
    assert all(a.press_1_after_s is None for a in one)


def test_a_share_of_callers_press_1() -> None:
    stream = InboundStream(did="5000", rate_per_hour=[600.0], press_1_share=0.25, press_1_after=LogNormal(10.0, 0.3))
    callers = arrivals([stream], duration_s=3600.0, seed=2)
    pressing = [a for a in callers if a.press_1_after_s is not None]
    assert 0.18 <= len(pressing) / len(callers) <= 0.32


def test_a_stream_refuses_a_day_that_is_not_24_hours() -> None:
    with pytest.raises(ValueError, match="rate_per_hour"):
        InboundStream(did="5000", rate_per_hour=[1.0, 2.0])
    with pytest.raises(ValueError, match="press_1_share"):
        InboundStream(did="5000", rate_per_hour=[1.0], press_1_share=1.5)


async def test_the_pbx_generates_its_callers_into_dialer_inbound_over_tcp_and_a_holding_caller_presses_1() -> None:
    """At 50x: 720 callers an hour for 40 simulated seconds (about 8 callers), no agent anywhere: each enters
    the shipped dialer-inbound (DialerInboundArrived with its DID), holds, presses 1 and hangs up when its
    patience runs out."""
    stream = InboundStream(did="+842873001234", rate_per_hour=[720.0], patience=LogNormal(12.0, 0.1),
                           talk=LogNormal(30.0, 0.1), press_1_share=1.0, press_1_after=LogNormal(4.0, 0.1))
    config = PbxConfig(seed=5, speed=50.0, manager_conf_path=None, inbound_traffic=(stream,),
                       inbound_duration_s=40.0)
    server = SimulatedPbx(config)
    probe = AmiProbe()
    await server.start(host="127.0.0.1", port=0)
    try:
        await probe.connect("127.0.0.1", server.port)
        await probe.login("dialer", "dialer-secret")
        traffic = server.inbound_traffic
        assert traffic is not None and len(traffic.plan) >= 3
        deadline = time.monotonic() + 10
        while not (traffic.done and not server.channels()):
            assert time.monotonic() < deadline, "the callers did not all arrive and hang up"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
    finally:
        await probe.close()
        await server.stop()
    names = [c.channel for c in traffic.injected]
    arrived = [m for m in probe.events if m.event == "UserEvent" and m.get("UserEvent") == "DialerInboundArrived"]
    assert [m.get("Channel") for m in arrived] == names
    assert {m.get("Did").lstrip("+") for m in arrived} == {"842873001234"}   # the dialplan may drop the +
    pressed = [m for m in probe.events if m.event == "DTMFEnd"]
    assert sorted(m.get("Channel") for m in pressed) == sorted(names) and {m.get("Digit") for m in pressed} == {"1"}
    assert {m.get("Direction") for m in pressed} == {"Received"}
    # nobody took them: each gave up on hold after its own patience (about 12 s)
    assert [r.met_agent for r in server.call_records] == [False] * len(names)
