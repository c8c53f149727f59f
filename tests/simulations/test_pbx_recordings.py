"""The simulated PBX replays the recorded scenarios with the same per-channel event sequences as Asterisk 22.

Each recording's client actions are replayed against the simulated PBX (lab contexts translated to
ours: ``dialer-answered,amd`` -> ``dialer-customer,s`` with DIALER_AMD=1, ``agent-login`` ->
``dialer-agent``, ``agent-conf`` -> ``dialer-connect``), each action sent once the simulated PBX has
produced the event that preceded it in the recording. Then, for every channel both streams share
(by Uniqueid, from ChannelId/OtherChannelId), the sequences of the compared events must be equal.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from simulations.pbx import SimulatedPbx
from simulations.pbx.conf_parser import SHIPPED_DIALPLAN
from simulations.pbx.probe import AmiProbe
from simulations.pbx.transcripts import Message, label, load_transcript, per_channel
from tests.simulations.recording_replay import running_pbx

RECORDINGS = Path("/work/shared/asterisk-ami")
SPEED = 10.0
COMPARED = {
    "Newchannel",
    "Newstate",
    "LocalBridge",
    "DialBegin",
    "DialState",
    "DialEnd",
    "OriginateResponse",
    "HangupRequest",
    "SoftHangupRequest",
    "Hangup",
    "VarSet:AMDSTATUS",
    "VarSet:AMDCAUSE",
    "MusicOnHoldStart",
    "MusicOnHoldStop",
    "BridgeEnter",
    "BridgeLeave",
    "ConfbridgeJoin",
    "ConfbridgeLeave",
    "MixMonitorStart",
    "MixMonitorStop",
}
_SKIPPED_ACTIONS = {"challenge", "login", "logoff", "events"}

_OPEN_PROBES: list[AmiProbe] = []  # closed by the ``pbx`` fixture, even when a test fails

pytestmark = pytest.mark.skipif(not RECORDINGS.is_dir(), reason="recordings not available")


def _uid_of(msg: Message) -> str:
    return msg.get("Uniqueid") or msg.get("DestUniqueid") or msg.get("LocalOneUniqueid")


def translate(msg: Message, names_to_uid: dict[str, str]) -> tuple[str, dict[str, str | list[str]]] | None:
    """A recorded client action rewritten for our dialplan, or None to skip it."""
    fields = [(k, v) for k, v in msg.fields if k.lower() != "actionid"]
    action = next(v for k, v in fields if k.lower() == "action")
    if action.lower() in _SKIPPED_ACTIONS:
        return None
    out: dict[str, str | list[str]] = {}
    variables: list[str] = []
    for key, value in fields:
        if key.lower() == "action":
            continue
        if key == "Variable" and action == "Originate":
            variables.append(value)
            continue
        if key in ("Channel", "Channel1", "Channel2") and value in names_to_uid:
            value = names_to_uid[value]
        out[key] = value
    context, exten = out.get("Context"), out.get("Exten")
    if context == "dialer-answered":
        out["Context"], out["Exten"] = "dialer-customer", "s"
        if exten == "amd":
            variables.append("DIALER_AMD=1")
    elif context == "agent-login":
        agent = str(out.get("Channel", "")).split("/")[1].split("@")[0]
        out["Context"], out["Exten"] = "dialer-agent", f"agent-{agent}"
    elif context == "agent-conf":
        out["Context"], out["Exten"] = "dialer-connect", f"agent-{exten}"
    if action == "Setvar" and out.get("Variable") == "AGENT_BRIDGED":
        out["Variable"] = "DIALER_AGENT_ID"
    if variables:
        out["Variable"] = variables
    return action, out


async def replay(
    name: str, pbx: SimulatedPbx, *, redirect_machines: bool = False
) -> tuple[list[Message], AmiProbe]:
    """Replay the first connection of recording ``name``; return the recording and the live probe."""
    recorded = [m for m in load_transcript(RECORDINGS / name) if m.conn == "c1"]
    names_to_uid = {m.get("Channel"): m.get("Uniqueid") for m in recorded if m.event == "Newchannel"}
    probe = AmiProbe()
    _OPEN_PROBES.append(probe)
    await probe.connect("127.0.0.1", pbx.port)
    await probe.login("dialer", "dialer-secret")
    seen: Counter[tuple[str, str]] = Counter()
    handled_machines: set[str] = set()
    last_at = 0.0
    for i, msg in enumerate(recorded):
        if msg.event and msg.get("Uniqueid") or msg.event and _uid_of(msg):
            seen[(_uid_of(msg), label(msg))] += 1
        if not msg.sent_by_client:
            continue
        step = translate(msg, names_to_uid)
        if step is None:
            continue
        await _wait_for_recorded_cause(probe, recorded[:i], seen)
        await asyncio.sleep(max(msg.at - last_at, 0.0) / SPEED / 4)
        last_at = msg.at
        action, fields = step
        if action in ("Originate", "Redirect", "Bridge", "Hangup", "Setvar", "MixMonitor", "StopMixMonitor"):
            await probe.action(action, **fields)
        else:
            probe.send(action, **fields)
        if redirect_machines:
            await _redirect_machines(probe, handled_machines)
    end = recorded[-1].at
    deadline = asyncio.get_running_loop().time() + end / SPEED + 2.0
    while asyncio.get_running_loop().time() < deadline:
        if redirect_machines:
            await _redirect_machines(probe, handled_machines)
        if not pbx.switch.channels:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)  # let the last events reach the probe
    return recorded, probe


async def _redirect_machines(probe: AmiProbe, handled: set[str]) -> None:
    """What the engine does with an AMD MACHINE: send it to dialer-machine (no message: hang up)."""
    for ev in list(probe.events):
        if ev.get("UserEvent") == "DialerCustomerReady" and ev.get("AMDStatus") == "MACHINE":
            uid = ev.get("Uniqueid")
            if uid not in handled:
                handled.add(uid)
                await probe.action("Redirect", Channel=uid, Context="dialer-machine", Exten="s", Priority="1")


async def _wait_for_recorded_cause(
    probe: AmiProbe, before: list[Message], seen: Counter[tuple[str, str]]
) -> None:
    """Wait until the live stream has the last compared event the recording showed before this action."""
    for msg in reversed(before):
        if msg.sent_by_client or not msg.event or label(msg) not in COMPARED or not _uid_of(msg):
            continue
        key = (_uid_of(msg), label(msg))
        if not any(_uid_of(m) == key[0] for m in probe.events):
            continue  # a channel the simulated PBX does not have (e.g. ChanSpy): look further back
        count = sum(1 for m in before if m.event and (_uid_of(m), label(m)) == key)

        def reached(_: Message, key: tuple[str, str] = key, count: int = count) -> bool:
            return sum(1 for m in probe.events if (_uid_of(m), label(m)) == key) >= count

        try:
            await probe.wait_for(reached, timeout=1.0)
        except TimeoutError:
            pass
        return


# Adjacent events Asterisk's threads emit in either order (e.g. c1 vs c8, b vs d2): (second, first).
RACY = {
    ("OriginateResponse", "DialEnd"),
    ("OriginateResponse", "MusicOnHoldStart"),
    ("HangupRequest", "Newstate"),
}


def canonical(seq: list[str]) -> list[str]:
    """``seq`` with every racy adjacent pair put in one fixed order."""
    out = list(seq)
    for i in range(len(out) - 1):
        if (out[i].split(":")[0], out[i + 1].split(":")[0]) in RACY:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def compare(
    recorded: list[Message],
    live: list[Message],
    *,
    only: set[str] | None = None,
    ignore: set[str] = frozenset(),
) -> dict[str, list[str]]:  # type: ignore[assignment]
    names = COMPARED - ignore
    rec = per_channel(recorded, names)
    got = per_channel(live, names)
    shared = set(rec) & set(got) if only is None else only
    assert shared, "no channel in common between the recording and the simulated PBX"
    for uid in sorted(shared):
        mine, theirs = canonical(got.get(uid, [])), canonical(rec.get(uid, []))
        assert mine == theirs, f"{uid}: simulated {mine} != recorded {theirs}"
    return got


def lab_dialplan(folder: Path) -> Path:
    """The shipped dialplan made to act like the lab's [dialer-answered] these recordings ran: it held the
    customer with MusicOnHold (ours waits in silence), and had no ``failed`` extension and no pattern that
    could match one (ours has, so a failed Originate's response would wait for it)."""
    text = SHIPPED_DIALPLAN.read_text()
    hold = " same => n(hold),Wait(${DIALER_HOLD_S})\n"
    failed = text[text.index("exten => failed,1,UserEvent(DialerOriginateFailed"):]
    failed = failed[: failed.index(" same => n,Hangup()\n") + len(" same => n,Hangup()\n")]
    pattern = "exten => _[a-z0-9].,1,Goto(s,1)\n"
    assert hold in text and pattern in text
    text = text.replace(hold, " same => n(hold),MusicOnHold(,${DIALER_HOLD_S})\n")
    path = folder / "extensions_lab.conf"
    path.write_text(text.replace(failed, "").replace(pattern, ""))
    return path


@asynccontextmanager
async def lab_pbx(folder: Path, **config: Any) -> AsyncIterator[SimulatedPbx]:
    """The simulated PBX with the lab's dialplan (written under ``folder``) and the lab's manager users (dialer reads
    all), and ``config`` besides; the probes a test left open are closed before it stops."""
    async with running_pbx(seed=1, speed=SPEED, hold_limit_s=60.0, dialplan_path=lab_dialplan(folder),
                           manager_conf_path=RECORDINGS / "config" / "manager.conf", **config) as server:
        try:
            yield server
        finally:
            while _OPEN_PROBES:
                await _OPEN_PROBES.pop().close()


@pytest.fixture
async def pbx(tmp_path):
    async with lab_pbx(tmp_path) as server:
        yield server


@pytest.mark.parametrize(
    "recording",
    [
        "c1_originate_busy.txt",
        "c2_originate_noanswer_timeout.txt",
        "c3_originate_congestion.txt",
        "c4_originate_reject_cause17.txt",
        "c5_originate_reject_cause34.txt",
        "c6_originate_answer_then_drop.txt",
        "b_originate_answered_full_events.txt",
    ],
)
async def test_originate_outcomes_give_the_recorded_event_sequence_per_channel(pbx, recording):
    recorded, probe = await replay(recording, pbx)
    got = compare(recorded, probe.events)
    assert all(seq[-1] == "Hangup" for seq in got.values())


async def test_concurrent_mixed_originates_match_the_recording_channel_by_channel(pbx):
    recorded, probe = await replay("c8_concurrent_originates_mixed.txt", pbx, redirect_machines=True)
    got = compare(recorded, probe.events, ignore={"MusicOnHoldStart", "MusicOnHoldStop"})
    assert len(got) == 12


async def test_amd_results_arrive_as_varsets_like_asterisk_for_human_machine_hangup_and_notsure(pbx):
    recorded, probe = await replay("e_amd_results.txt", pbx, redirect_machines=True)
    compare(recorded, probe.events, ignore={"MusicOnHoldStart", "MusicOnHoldStop"})
    statuses = {
        m.get("Uniqueid"): m.get("Value")
        for m in probe.events
        if m.event == "VarSet" and m.get("Variable") == "AMDSTATUS"
    }
    assert statuses == {
        "e-1203-a": "HUMAN",
        "e-5203-a": "MACHINE",
        "e-6208-a": "MACHINE",
        "e-7100-a": "HANGUP",
        "e-9206-a": "NOTSURE",
    }


async def test_redirect_into_the_agent_conference_matches_the_recorded_confbridge_events(pbx):
    recorded, probe = await replay("d2_redirect_into_agent_confbridge.txt", pbx)
    got = compare(recorded, probe.events)
    assert "ConfbridgeJoin" in got["d2-cust-1"] and "ConfbridgeJoin" in got["d2-agent-1002"]


async def test_bridge_action_gives_the_customer_the_recorded_bridge_and_hangup_events(pbx):
    recorded, probe = await replay("d1_bridge_action_agent_customer.txt", pbx)
    got = compare(recorded, probe.events, only={"d-cust-1", "d-cust-1-far", "d-cust-2", "d-cust-2-far"})
    assert got["d-cust-1"].count("BridgeEnter") == 1


async def test_mixmonitor_start_and_stop_match_the_recording_on_the_customer_leg(pbx):
    recorded, probe = await replay("g_chanspy_whisper_mixmonitor.txt", pbx)
    got = compare(recorded, probe.events, only={"g-cust-1", "g-cust-1-far"})
    assert got["g-cust-1"].count("MixMonitorStart") == 1


async def test_every_event_the_simulator_sends_has_the_recorded_field_names_in_order(pbx):
    recorded: list[Message] = []
    live: list[Message] = []
    for name in (
        "b_originate_answered_full_events.txt",
        "d2_redirect_into_agent_confbridge.txt",
        "d1_bridge_action_agent_customer.txt",
        "c1_originate_busy.txt",
        "g_chanspy_whisper_mixmonitor.txt",
        "c4_originate_reject_cause17.txt",
    ):
        _rec, probe = await replay(name, pbx)
        recorded += [m for m in load_transcript(RECORDINGS / name) if m.event]
        live += probe.events
    shapes: dict[str, set[tuple[str, ...]]] = {}
    for msg in recorded:
        shapes.setdefault(msg.event, set()).add(msg.keys)
    checked = set()
    for msg in live:
        if msg.event in ("UserEvent", "VarSet") or msg.event not in shapes:
            continue
        assert msg.keys in shapes[msg.event], f"{msg.event}: {msg.keys} not among the recorded field lists"
        checked.add(msg.event)
    assert {
        "Newchannel",
        "Newstate",
        "LocalBridge",
        "DialBegin",
        "DialEnd",
        "OriginateResponse",
        "Hangup",
        "HangupRequest",
        "SoftHangupRequest",
        "BridgeCreate",
        "BridgeEnter",
        "BridgeLeave",
        "BridgeDestroy",
        "ConfbridgeStart",
        "ConfbridgeJoin",
        "ConfbridgeLeave",
        "ConfbridgeEnd",
        "MusicOnHoldStart",
        "MusicOnHoldStop",
        "MixMonitorStart",
        "MixMonitorStop",
        "FullyBooted",
        "SuccessfulAuth",
    } <= checked
    varsets = {m.keys for m in live if m.event == "VarSet"}
    assert varsets <= shapes["VarSet"]
