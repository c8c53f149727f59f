"""A failed Originate, a looping dialplan and a missing sound on the simulated PBX, as Asterisk 22 does them.

- A failed Originate runs the landing context's ``failed`` extension (a pattern may be what matches it) on a
  dummy ``OutgoingSpoolFailed`` channel with its own Uniqueid, ``REASON`` and the Originate's variables; the
  OriginateResponse waits until that channel ends (recordings i3 and c7).
- A dialplan that loops loops in the simulator too, until ``PbxConfig.max_priorities`` cuts it: the fault
  is recorded in ``SimulatedPbx.dialplan_faults`` and logged as an error.
- Playback of a missing sound fails in about 2 ms with ``PLAYBACKSTATUS=FAILED``; an existing one plays
  for its length (recording i2).

The recordings are replayed on the simulated PBX running the dialplan Asterisk ran (the lab's
extensions.conf and extensions_rec.conf, and the dialer-agent context shipped before issue 12), and the
per-channel event sequences, the fields that matter and the timings are compared.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import pytest

from simulations.pbx import PbxConfig, SimulatedPbx
from simulations.pbx.conf_parser import SHIPPED_DIALPLAN
from simulations.pbx.probe import AmiProbe
from simulations.pbx.sounds import sound_exists, sound_length
from simulations.pbx.transcripts import Message, load_transcript

RECORDINGS = Path("/work/shared/asterisk-ami")
SPOOL = "OutgoingSpoolFailed"

# [dialer-agent] as shipped before issue 12 (git 7356366^): its pattern catches `failed` and its loop has
# no bound. This is the context the i3 recording's part A ran.
OLD_AGENT_CONTEXT = """
[dialer-agent]
exten => _[a-z0-9].,1,NoOp(agent ${DIALER_AGENT_ID} waits in conference ${EXTEN})
 same => n,Answer()
 same => n(loop),ConfBridge(${EXTEN},dialer_bridge,dialer_agent)
 same => n,GotoIf($["${CONFBRIDGE_RESULT}" = "KICKED"]?end)
 same => n,Goto(loop)
 same => n(end),Hangup(16)
"""


def old_dialplan(folder: Path) -> Path:
    """The shipped dialplan with the old [dialer-agent] context put back."""
    text = SHIPPED_DIALPLAN.read_text()
    start = text.index("[dialer-agent]")
    end = text.index("\n[", start)
    path = folder / "extensions_old.conf"
    path.write_text(text[:start] + OLD_AGENT_CONTEXT.strip() + "\n" + text[end:])
    return path


def lab_dialplan(folder: Path) -> Path:
    """What the lab Asterisk ran for the recordings: extensions.conf, extensions_rec.conf, the old agent."""
    config = RECORDINGS / "config"
    text = (config / "extensions.conf").read_text() + "\n" + (config / "extensions_rec.conf").read_text()
    path = folder / "extensions_lab.conf"
    path.write_text(text + OLD_AGENT_CONTEXT)
    return path


async def _start(**overrides) -> tuple[SimulatedPbx, AmiProbe]:
    pbx = SimulatedPbx(PbxConfig(**{"seed": 8, "speed": 10.0, **overrides}))
    await pbx.start(host="127.0.0.1", port=0)
    probe = AmiProbe()
    await probe.connect("127.0.0.1", pbx.port)
    await probe.login("dialer", "dialer-secret")
    return pbx, probe


async def _stop(pbx: SimulatedPbx, probe: AmiProbe) -> None:
    await probe.close()
    await pbx.stop()


async def _until_idle(pbx: SimulatedPbx, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while pbx.switch.channels and loop.time() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # the last events reach the probe


async def _play_safe_harbor(pbx: SimulatedPbx, probe: AmiProbe, uid: str, other: str, sound: str, *,
                            call_id: str) -> None:
    """A customer (``Local/1160@sim-customer``, ;1 half ``uid``) originated into ``dialer-customer``, then, once
    ready, given ``sound`` as its safe-harbor message and redirected to ``dialer-safe-harbor``, which plays it and
    hangs up; returns when the PBX is idle again (the i2 recording's actions)."""
    await probe.action("Originate", Channel="Local/1160@sim-customer", Context="dialer-customer", Exten="s",
                       Priority="1", Timeout="30000", CallerID='"Campaign 9" <5550109>', ChannelId=uid,
                       OtherChannelId=other, Variable=[f"DIALER_LEG_ID={uid}", f"DIALER_CALL_ID={call_id}",
                                                       "DIALER_HOLD_S=30"], Async="true")
    await probe.wait_for(lambda m: m.get("UserEvent") == "DialerCustomerReady")
    await probe.action("Setvar", Channel=uid, Variable="DIALER_SAFE_HARBOR", Value=sound)
    await probe.action("Redirect", Channel=uid, Context="dialer-safe-harbor", Exten="s", Priority="1")
    await probe.wait_for(lambda m: m.event == "Hangup" and m.get("Uniqueid") == uid)
    await _until_idle(pbx)


def _agent_originate(uid: str, dial: str = "Local/0000@sim-customer", context: str = "dialer-agent") -> dict:
    """An agent's Originate to a phone that cannot be reached (no such number)."""
    return dict(
        Channel=dial,
        Context=context,
        Exten="agent-99",
        Priority="1",
        Timeout="30000",
        CallerID='"Agent 99" <99>',
        ChannelId=f"{uid}-a",
        OtherChannelId=f"{uid}-b",
        Variable=["DIALER_AGENT_ID=99", f"DIALER_LEG_ID={uid}-a"],
        Async="true",
    )


# --- comparing streams ----------------------------------------------------------------------------
def _label(msg: Message) -> str:
    name = msg.event
    if name == "VarSet":
        return f"VarSet:{msg.get('Variable')}"
    if name == "UserEvent":
        return f"UserEvent:{msg.get('UserEvent')}"
    if name in ("DialEnd", "DialState"):
        return f"{name}:{msg.get('DialStatus')}"
    if name == "OriginateResponse":
        return f"{name}:{msg.get('Response')}:{msg.get('Reason')}"
    return name


def per_channel(messages: list[Message], names: set[str]) -> dict[str, list[str]]:
    """Labels per channel; the dummy channel (whatever its Uniqueid) is keyed ``OutgoingSpoolFailed``."""
    out: dict[str, list[str]] = {}
    for msg in messages:
        if msg.sent_by_client or not msg.event:
            continue
        lab = _label(msg)
        if lab not in names and lab.split(":")[0] not in names:
            continue
        key = SPOOL if msg.get("Channel") == SPOOL else msg.get("Uniqueid") or msg.get("DestUniqueid")
        if key:
            out.setdefault(key, []).append(lab)
    return out


def canonical(seq: list[str]) -> list[str]:
    """The ``;1`` half's Hangup and the held OriginateResponse come in either order on a real stream
    (c7: response first; i3: Hangup first), as Asterisk publishes them on different paths."""
    out = list(seq)
    for i in range(len(out) - 1):
        if out[i] == "Hangup" and out[i + 1].startswith("OriginateResponse"):
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def recorded(name: str) -> list[Message]:
    return [m for m in load_transcript(RECORDINGS / name) if m.conn == "c1"]


needs_recordings = pytest.mark.skipif(not RECORDINGS.is_dir(), reason="recordings not available")


# --- failed Originates ----------------------------------------------------------------------------
async def test_a_failed_agent_originate_runs_the_explicit_failed_extension_and_then_responds():
    pbx, probe = await _start(speed=1.0)
    await probe.action("Originate", **_agent_originate("fa"))
    response = await probe.wait_for(lambda m: m.event == "OriginateResponse")
    await _until_idle(pbx)
    spool = [m for m in probe.events if m.get("Channel") == SPOOL]
    assert [_label(m) for m in spool] == [
        "Newchannel",
        "VarSet:REASON",
        "VarSet:DIALER_AGENT_ID",
        "VarSet:DIALER_LEG_ID",
        "UserEvent:DialerAgentFailed",
        "SoftHangupRequest",
        "Hangup",
    ]
    event = next(m for m in spool if m.event == "UserEvent")
    assert (event.get("AgentId"), event.get("LegId"), event.get("Reason")) == ("99", "fa-a", "0")
    uid = spool[0].get("Uniqueid")
    assert uid not in ("fa-a", "fa-b") and spool[0].get("Linkedid") == uid
    assert (spool[0].get("Context"), spool[0].get("Exten"), spool[0].get("CallerIDNum")) == (
        "dialer-agent",
        "failed",
        "99",
    )
    assert probe.events.index(response) > probe.events.index(spool[-1])  # held back until the dummy ended
    assert (response.get("Response"), response.get("Reason"), response.get("Uniqueid")) == (
        "Failure",
        "0",
        "fa-a",
    )
    assert spool[-1].at - spool[0].at < 0.05  # simulated seconds (speed 1): it ends at once
    assert pbx.dialplan_faults == [] and not pbx.channels()
    await _stop(pbx, probe)


@pytest.mark.parametrize(
    ("number", "reason", "outcome"),
    [
        ("2100", "5", "busy"),
        ("4100", "8", "congestion"),
        ("3000", "3", "no_answer"),
        ("8017", "0", "rejected"),
    ],
)
async def test_a_failed_customer_leg_gets_dialer_originate_failed_with_its_ids_and_the_reason(
    number, reason, outcome
):
    pbx, probe = await _start(speed=20.0)
    await probe.action(
        "Originate",
        Channel=f"Local/{number}@sim-customer",
        Context="dialer-customer",
        Exten="dl-7",
        Priority="1",
        Timeout="2000",
        ChannelId="bz-1",
        Variable=["DIALER_LEG_ID=bz-1", "DIALER_CALL_ID=77"],
        Async="true",
    )
    event = await probe.wait_for(lambda m: m.get("UserEvent") == "DialerOriginateFailed")
    response = await probe.wait_for(lambda m: m.event == "OriginateResponse")
    assert (event.get("LegId"), event.get("CallId"), event.get("Reason")) == ("bz-1", "77", reason)
    assert (event.get("Channel"), event.get("Exten")) == (SPOOL, "failed")  # c7: REASON is the response's
    assert (response.get("Response"), response.get("Reason")) == ("Failure", reason)
    assert [r.outcome for r in pbx.call_records] == [outcome]  # the dummy channel is not a call
    await _stop(pbx, probe)


async def test_the_old_agent_context_loops_on_the_dummy_channel_until_the_priority_limit_cuts_it(
    tmp_path, caplog
):
    pbx, probe = await _start(speed=100.0, dialplan_path=old_dialplan(tmp_path))
    with caplog.at_level(logging.ERROR, logger="simulations.pbx.interpreter"):
        await probe.action("Originate", **_agent_originate("lo"))
        response = await probe.wait_for(lambda m: m.event == "OriginateResponse", timeout=20.0)
    (fault,) = pbx.dialplan_faults
    assert (fault.channel, fault.context, fault.exten) == (SPOOL, "dialer-agent", "failed")
    assert fault.executed == 5001 and "loop" in fault.reason and "loop" in caplog.text
    conferences = [m for m in probe.events if m.event == "ConfbridgeStart"]
    assert len(conferences) > 1000 and {m.get("Conference") for m in conferences} == {"failed"}
    spool_hangup = next(m for m in probe.events if m.event == "Hangup" and m.get("Channel") == SPOOL)
    assert probe.events.index(response) > probe.events.index(spool_hangup)
    assert not any(m.get("UserEvent") == "DialerAgentFailed" for m in probe.events)
    await _stop(pbx, probe)


@needs_recordings
async def test_i3_part_b_explicit_failed_extension_matches_the_recording(tmp_path):
    pbx, probe = await _start(dialplan_path=lab_dialplan(tmp_path))
    originate = _agent_originate("i3-b", context="rec-agent-fixed")
    originate["Variable"] = ["DIALER_AGENT_ID=99"]
    await probe.action("Originate", **originate)
    await probe.wait_for(lambda m: m.event == "OriginateResponse")
    await _until_idle(pbx)
    rec = recorded("i3_failed_extension_pattern_match.txt")
    rec_b = rec[[i for i, m in enumerate(rec) if m.get("ActionID") == "i3-orig-b"][0] :]
    names = {"Newchannel", "Hangup", "SoftHangupRequest", "OriginateResponse", "VarSet", "UserEvent"}
    mine, theirs = per_channel(probe.events, names), per_channel(rec_b, names)
    assert set(mine) == set(theirs) == {"i3-b-a", "i3-b-b", SPOOL}
    for key in theirs:
        assert canonical(mine[key]) == canonical(theirs[key]), key
    assert mine[SPOOL] == [
        "Newchannel",
        "VarSet:REASON",
        "VarSet:DIALER_AGENT_ID",
        "SoftHangupRequest",
        "Hangup",
    ]
    spool = next(m for m in probe.events if m.get("Channel") == SPOOL and m.get("Variable") == "REASON")
    assert (spool.get("Value"), spool.get("Context"), spool.get("Exten")) == (
        "0",
        "rec-agent-fixed",
        "failed",
    )
    await _stop(pbx, probe)


@needs_recordings
async def test_i3_part_a_the_pattern_catches_failed_and_loops_until_hung_up_by_regex(tmp_path):
    speed = 5.0
    pbx, probe = await _start(speed=speed, dialplan_path=lab_dialplan(tmp_path))
    originate = _agent_originate("i3-a")
    originate["Variable"] = ["DIALER_AGENT_ID=99"]
    sent = asyncio.get_running_loop().time()
    await probe.action("Originate", **originate)
    await asyncio.sleep(3.0 / speed)  # the recording hung it up 3 s later
    assert not any(m.event == "OriginateResponse" for m in probe.events)  # held back while it loops
    reply = await probe.action("Hangup", Channel=f"/^{SPOOL}/", Cause="16")
    assert reply.get("Response") == "Success"
    response = await probe.wait_for(lambda m: m.event == "OriginateResponse")
    await _until_idle(pbx)
    assert 2.9 <= (response.at - sent) * speed < 4.0  # recorded: 3.04 s after the Originate
    assert (response.get("Response"), response.get("Reason"), response.get("Uniqueid")) == (
        "Failure",
        "0",
        "i3-a-a",
    )
    rec = recorded("i3_failed_extension_pattern_match.txt")
    rec_a = rec[: [i for i, m in enumerate(rec) if m.get("ActionID") == "i3-orig-b"][0]]
    names = {
        "Newchannel",
        "Hangup",
        "SoftHangupRequest",
        "OriginateResponse",
        "VarSet",
        "MusicOnHoldStart",
        "MusicOnHoldStop",
        "BridgeEnter",
        "BridgeLeave",
    }
    mine, theirs = per_channel(probe.events, names), per_channel(rec_a, names)
    for key in ("i3-a-a", "i3-a-b"):
        assert canonical(mine[key]) == canonical(theirs[key]), key
    # the recording shows only the first turns of the loop, then the end
    turn = ["MusicOnHoldStart", "BridgeEnter", "BridgeLeave", "MusicOnHoldStop"]
    assert (
        mine[SPOOL][:7]
        == theirs[SPOOL][:7]
        == ["Newchannel", "VarSet:REASON", "VarSet:DIALER_AGENT_ID", *turn]
    )
    assert mine[SPOOL][-2:] == theirs[SPOOL][-2:] == ["SoftHangupRequest", "Hangup"]
    turns = sum(1 for m in probe.events if m.event == "ConfbridgeStart")
    # recorded: 996 in the 3 s (about 330 a second); the simulator's pace follows the CPU (184 on a loaded 2-core
    # CI run), and a dialplan that does not loop makes one turn
    assert 100 <= turns <= 1100
    assert pbx.dialplan_faults == []  # hung up before the priority limit
    await _stop(pbx, probe)


@needs_recordings
async def test_c7_busy_into_a_context_with_a_failed_extension_matches_the_recording(tmp_path):
    pbx, probe = await _start(dialplan_path=lab_dialplan(tmp_path))
    await probe.action(
        "Originate",
        Channel="Local/2100@sim-customer",
        Context="dialer-answered-failhook",
        Exten="amd",
        Priority="1",
        Timeout="30000",
        CallerID='"Campaign 7" <5550100>',
        ChannelId="c-2100-a",
        OtherChannelId="c-2100-b",
        Variable="LEADID=2100",
        Async="true",
    )
    await probe.wait_for(lambda m: m.event == "OriginateResponse")
    await _until_idle(pbx)
    names = {
        "Newchannel",
        "Newstate",
        "DialBegin",
        "DialState",
        "DialEnd",
        "HangupRequest",
        "SoftHangupRequest",
        "Hangup",
        "OriginateResponse",
        "VarSet",
        "UserEvent",
    }
    mine = per_channel(probe.events, names)
    theirs = per_channel(recorded("c7_originate_busy_failed_extension.txt"), names)
    assert set(mine) == set(theirs) == {"c-2100-a", "c-2100-b", SPOOL}
    for key in theirs:
        assert canonical(mine[key]) == canonical(theirs[key]), key
    event = next(m for m in probe.events if m.get("UserEvent") == "OriginateFailed")
    assert (event.get("Reason"), event.get("LeadID")) == ("5", "2100")
    await _stop(pbx, probe)


# --- sounds ---------------------------------------------------------------------------------------
def test_the_pbx_knows_the_asterisk_core_sounds_and_the_extra_ones_it_is_given():
    assert sound_exists("please-try-call-later") and sound_exists("digits/1") and sound_exists("silence/1")
    assert not sound_exists("dialer/does-not-exist") and not sound_exists("dialer/safe-harbor")
    assert sound_length("please-try-call-later") == pytest.approx(2.18)
    assert sound_exists("campaign/7/msg", {"campaign/7/msg": 12.5})
    assert sound_length("campaign/7/msg", {"campaign/7/msg": 12.5}) == 12.5


I2_CASES = [
    ("missing", "dialer/does-not-exist", "FAILED"),
    ("exists", "please-try-call-later", "SUCCESS"),
    ("list", "dialer/does-not-exist&please-try-call-later", "FAILED"),
]


@needs_recordings
@pytest.mark.parametrize(("case", "sound", "status"), I2_CASES)
async def test_i2_safe_harbor_playback_of_missing_existing_and_listed_sounds_matches_the_recording(
    case, sound, status
):
    speed = 10.0
    pbx, probe = await _start(speed=speed)
    uid = f"i2-{case}-a"
    await _play_safe_harbor(pbx, probe, uid, f"i2-{case}-b", sound, call_id="901")
    rec = recorded("i2_playback_missing_file_safe_harbor.txt")
    # the recording's hold used MusicOnHold (ours waits in silence); the ;2 half's Playback is not simulated
    names = {
        "DialEnd",
        "UserEvent",
        "VarSet:PLAYBACKSTATUS",
        "VarSet:DIALER_SAFE_HARBOR",
        "SoftHangupRequest",
        "HangupRequest",
        "Hangup",
    }
    mine, theirs = per_channel(probe.events, names)[uid], per_channel(rec, names)[uid]
    assert (
        mine
        == theirs
        == [
            "DialEnd:ANSWER",
            "UserEvent:DialerCustomerReady",
            "VarSet:DIALER_SAFE_HARBOR",
            "UserEvent:DialerSafeHarbor",
            "VarSet:PLAYBACKSTATUS",
            "SoftHangupRequest",
            "Hangup",
        ]
    )

    def timing(messages: list[Message]) -> tuple[float, str, str]:
        mine = [m for m in messages if m.get("Uniqueid") == uid]
        harbor = next(m for m in mine if m.get("UserEvent") == "DialerSafeHarbor")
        played = next(m for m in mine if m.get("Variable") == "PLAYBACKSTATUS")
        hangup = next(m for m in mine if m.event == "Hangup")
        return played.at - harbor.at, played.get("Value"), hangup.get("Cause")

    got_s, got_status, got_cause = timing(probe.events)
    rec_s, rec_status, rec_cause = timing(rec)
    assert (got_status, got_cause) == (rec_status, rec_cause) == (status, "16")
    assert got_s * speed == pytest.approx(rec_s, abs=0.15)  # 0.001 s missing, 2.18 s with the sound
    assert pbx.call_records[-1].safe_harbor
    await _stop(pbx, probe)


async def test_a_campaign_sound_given_to_the_pbx_plays_for_its_length():
    pbx, probe = await _start(extra_sounds={"campaign/7/harbor": 3.5})
    await probe.action(
        "Originate",
        Channel="Local/1190@sim-customer",
        Context="dialer-customer",
        Exten="s",
        Priority="1",
        ChannelId="cs-1",
        Variable=["DIALER_LEG_ID=cs-1", "DIALER_SAFE_HARBOR=campaign/7/harbor", "DIALER_HOLD_S=0.2"],
        Async="true",
    )
    harbor = await probe.wait_for(lambda m: m.get("UserEvent") == "DialerSafeHarbor")
    played = await probe.wait_for(lambda m: m.get("Variable") == "PLAYBACKSTATUS")
    assert played.get("Value") == "SUCCESS" and 3.5 <= (played.at - harbor.at) * 10.0 < 4.0
    assert re.fullmatch(r"\d+\.\d+", played.get("Linkedid")) is None  # the leg's own ids: ChannelId cs-1
    await _stop(pbx, probe)


async def test_two_looping_dummy_channels_share_their_name_and_a_regex_hangup_ends_both(tmp_path):
    pbx, probe = await _start(speed=5.0, dialplan_path=old_dialplan(tmp_path))
    await probe.action("Originate", **_agent_originate("tw1"))
    await probe.action("Originate", **_agent_originate("tw2"))
    await asyncio.sleep(0.1)
    spools = [ch for ch in pbx.channels() if ch.name == SPOOL]
    assert len(spools) == 2 and spools[0].uniqueid != spools[1].uniqueid
    reply = await probe.action_list("Hangup", Channel=f"/^{SPOOL}/", Cause="16")
    assert [m.get("Channel") for m in reply if m.event == "ChannelHungup"] == [SPOOL, SPOOL]
    await _until_idle(pbx)
    responses = {m.get("Uniqueid") for m in probe.events if m.event == "OriginateResponse"}
    assert responses == {"tw1-a", "tw2-a"} and not pbx.channels() and pbx.dialplan_faults == []
    await _stop(pbx, probe)


@pytest.mark.parametrize(("sound", "status", "lasts_s"), [
    ("silence/1 & please-try-call-later", "SUCCESS", 1.0 + 2.18),   # each part trimmed, both played
    ("silence/1&&please-try-call-later", "FAILED", 1.0 + 2.18),     # the blank part fails, the others play
    ("please-try-call-later&", "FAILED", 2.18),
])
async def test_playback_trims_the_parts_of_a_list_and_fails_on_a_blank_one_as_asterisk_22_does(
        sound: str, status: str, lasts_s: float) -> None:
    speed = 10.0
    pbx, probe = await _start(speed=speed)
    uid = "pb-list-a"
    await _play_safe_harbor(pbx, probe, uid, "pb-list-b", sound, call_id="902")
    mine = [m for m in probe.events if m.get("Uniqueid") == uid]
    harbor = next(m for m in mine if m.get("UserEvent") == "DialerSafeHarbor")
    played = next(m for m in mine if m.get("Variable") == "PLAYBACKSTATUS")
    await _stop(pbx, probe)
    assert played.get("Value") == status
    assert (played.at - harbor.at) * speed == pytest.approx(lasts_s, abs=0.2)
