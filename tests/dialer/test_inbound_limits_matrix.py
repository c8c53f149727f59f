"""Every (trigger x action) of an inbound queue on the simulated PBX over TCP with PostgreSQL (issue 15): a
caller to a closed queue, one past its maximum of waiting callers, and one past its maximum wait gets the
queue's action (the message then hang-up, its voicemail box, or a callback request), and its one record says
which and why.

A closed queue has no "overflow to another queue" (``campaigns.queues.ClosedAction``: message, voicemail,
callback; refused at save, see ``test_inbound_limits_policy``). Overflow to another queue past max wait is in
``test_inbound_limits``; past max waiting it is below."""

from __future__ import annotations

import pytest

from campaigns import queue_repository
from campaigns.model import DialMode
from campaigns.queues import DAY_NAMES
from dialer.clock import RealClock
from dialer.engine_api import DispositionInput
from dialer.system import run_system
from simulations.pbx import PbxConfig
from simulations.virtual_agents import virtual_phone
from tests.dialer.test_inbound_limits import QUIET, finished, save, until, var_set, witness_for

SPEED = 20.0
DID = "+842873001234"
BOX = "100"
CLOSED_ALL_WEEK = {d: "" for d in DAY_NAMES}
FIRST, CALLER = "+15550005550", "+15550005551"
WHY = {"closed": "the queue is closed", "max_waiting": "too many callers waiting",
       "max_wait": "waited the queue's maximum"}


@pytest.fixture
async def team(db_pool, build_scenario, services):  # type: ignore[no-untyped-def]
    services.clock = RealClock(speed=SPEED)
    services.settings.speed = SPEED
    return await build_scenario(db_pool, leads=1, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                dnc_share=0.0, outside_share=0.0)


def hotline(trigger: str, action: str, callback_campaign_id: int) -> dict[str, object]:
    """The Hotline's settings: ``trigger`` reached by one caller, with ``action`` past it."""
    # two distinct sounds tell which one was played
    target = {"message": {"closed_sound": "vm-goodbye", "overflow_sound": "ss-noservice"},
              "voicemail": {"voicemail_box": BOX},
              "callback": {"callback_campaign_id": callback_campaign_id}}[action]
    when = {"closed": {"hours": CLOSED_ALL_WEEK, "closed_action": action},
            "max_waiting": {"max_waiting": 1, "overflow_action": action},
            "max_wait": {"max_wait_s": 10, "overflow_action": action}}[trigger]
    return {"name": "Hotline", "dids": [DID], **target, **when}


@pytest.mark.parametrize("action", ["message", "voicemail", "callback"])
@pytest.mark.parametrize("trigger", ["closed", "max_waiting", "max_wait"])
async def test_a_caller_past_each_limit_gets_the_queues_action_and_one_record_saying_which_and_why(
        services, team, db_pool, trigger: str, action: str) -> None:  # type: ignore[no-untyped-def]
    queue = await save(db_pool, **hotline(trigger, action, team.campaign.id))
    config = PbxConfig(speed=SPEED, seed=41, customer_model=QUIET, voicemail_boxes=frozenset({BOX}))
    engine_id = f"matrix-{trigger}-{action}"
    async with run_system(services, sim_config=config, engine_id=engine_id, tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: team.campaign.id in engine.campaigns)
        witness = await witness_for(sim)
        try:
            if trigger == "max_waiting":     # nobody serves the Hotline: one caller holding fills it
                first = sim.inject_inbound(caller=FIRST, did=DID, patience_s=30.0)
                await until(lambda: any(c.inbound for c in engine.calls.values()))
            name = sim.inject_inbound(caller=CALLER, did=DID, patience_s=300.0)
            await witness.wait_for(lambda m: m.event == "Hangup" and m.get("Channel") == name, timeout=30)
            heard = var_set(witness, name, "DIALER_CLOSED_MSG")
            played = var_set(witness, name, "PLAYBACKSTATUS")
            box = var_set(witness, name, "DIALER_VM_BOX")
            left_message = var_set(witness, name, "VMSTATUS")
            first_told = [] if trigger != "max_waiting" else (
                var_set(witness, first, "DIALER_CLOSED_MSG") + var_set(witness, first, "DIALER_VM_BOX"))
        finally:
            await witness.close()
        rows = await finished(db_pool, 2 if trigger == "max_waiting" else 1)
    assert engine.errors == []
    records = {r["phone_e164"]: r for r in rows}
    record = records[CALLER]
    expected = {"message": "closed" if trigger == "closed" else "message", "voicemail": "voicemail",
                "callback": "called_back"}[action]
    assert (record["outcome"], record["queue_id"], record["did"]) == (expected, queue.id, DID), dict(record)
    assert record["detail"].startswith(f"{WHY[trigger]}: "), record["detail"]
    if trigger == "max_wait":
        assert 8.0 <= record["waited_s"] <= 16.0, record["waited_s"]
    else:                                  # at once: on arrival
        assert record["waited_s"] < 5.0, record["waited_s"]
    callbacks = await db_pool.fetch(
        "SELECT c.*, l.phone_e164 FROM callbacks c JOIN leads l ON l.id = c.lead_id")
    if action == "message":   # the closed sound when closed, the overflow sound past a limit; then hang-up
        assert heard == ["vm-goodbye" if trigger == "closed" else "ss-noservice"] and played == ["SUCCESS"]
        assert box == [] and record["callback_id"] is None and callbacks == []
    elif action == "voicemail":   # into the queue's box, no message first
        assert box == [BOX] and left_message == ["SUCCESS"] and heard == []
        assert record["callback_id"] is None and callbacks == []
    else:     # one callback, due now, in the queue's campaign for the caller's number; "thank you"
        (callback,) = callbacks
        assert record["callback_id"] == callback["id"] and callback["campaign_id"] == team.campaign.id
        assert callback["phone_e164"] == CALLER and callback["done_at"] is None
        assert "Hotline" in callback["note"] and WHY[trigger] in callback["note"]
        assert heard == ["auth-thankyou"] and played == ["SUCCESS"] and box == []
    if trigger == "max_waiting":     # the caller already waiting keeps waiting, untouched, until it gives up
        assert records[FIRST]["outcome"] == "abandoned" and records[FIRST]["queue_id"] == queue.id
        assert first_told == []


async def test_a_caller_past_max_waiting_overflows_at_once_into_the_next_queue_and_is_answered_there(
        services, team, db_pool) -> None:  # type: ignore[no-untyped-def]
    ann = team.agent_ids[0]
    second_line = await save(db_pool, name="Second line")
    await queue_repository.set_queue_agents(db_pool, queue_id=second_line.id, levels={ann: 5})
    first_line = await save(db_pool, name="Hotline", dids=[DID], max_waiting=1, overflow_action="queue",
                            overflow_queue_id=second_line.id)
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=42, customer_model=QUIET),
                          engine_id="matrix-max-waiting-queue", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: team.campaign.id in engine.campaigns)
        await engine.agent_login(ann, team.campaign.id, phone_dial_string=virtual_phone(ann))
        await until(lambda: engine.agent_state(ann)["state"] == "ready")
        # nobody serves the Hotline: its one caller fills it, the next goes on to the second line's agent
        sim.inject_inbound(caller=FIRST, did=DID, patience_s=30.0)
        await until(lambda: any(c.inbound for c in engine.calls.values()))
        sim.inject_inbound(caller=CALLER, did=DID, patience_s=300.0, talk_s=3.0)
        await until(lambda: engine.agent_state(ann)["state"] == "wrap_up", timeout_s=30)
        call_id = engine.agent_state(ann)["call"]["call_id"]
        await engine.set_disposition(ann, DispositionInput(call_id, "resolved"))
        rows = await finished(db_pool, 3)
    assert engine.errors == []
    waiting, overflowed, answered = rows
    assert (waiting["phone_e164"], waiting["queue_id"], waiting["outcome"]) == (
        FIRST, first_line.id, "abandoned")
    assert waiting["overflowed_to"] is None
    assert (overflowed["phone_e164"], overflowed["queue_id"], overflowed["outcome"]) == (
        CALLER, first_line.id, "overflowed")
    assert overflowed["detail"] == "too many callers waiting: overflowed to Second line"
    assert overflowed["waited_s"] < 5.0                          # sent on as it arrived
    assert overflowed["overflowed_to"] == answered["id"] and answered["overflowed_from"] == overflowed["id"]
    assert (answered["phone_e164"], answered["queue_id"], answered["outcome"]) == (
        CALLER, second_line.id, "handled")
    assert answered["agent_id"] == ann and answered["disposition"] == "resolved" and answered["did"] == DID
    assert answered["waited_s"] >= overflowed["waited_s"]        # counted from its first arrival
    assert overflowed["leg_id"] == f"{answered['leg_id']}~{overflowed['id']}"


@pytest.mark.parametrize(("trigger", "confirmation"),
                         [("closed", "vm-goodbye"), ("max_wait", "ss-noservice")])
async def test_a_callback_request_is_confirmed_with_its_triggers_sound_the_closed_or_the_overflow_message(
        services, team, db_pool, trigger: str, confirmation: str) -> None:  # type: ignore[no-untyped-def]
    """With both sounds set, a caller to the closed queue hears the closed message (vm-goodbye), never the
    overflow message meant for callers past the limits (ss-noservice), and the other way round."""
    await save(db_pool, **hotline(trigger, "callback", team.campaign.id), closed_sound="vm-goodbye",
               overflow_sound="ss-noservice")
    async with run_system(services, sim_config=PbxConfig(speed=SPEED, seed=43, customer_model=QUIET),
                          engine_id=f"matrix-confirm-{trigger}", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: team.campaign.id in engine.campaigns)
        witness = await witness_for(sim)
        try:
            name = sim.inject_inbound(caller=CALLER, did=DID, patience_s=300.0)
            await witness.wait_for(lambda m: m.event == "Hangup" and m.get("Channel") == name, timeout=30)
            heard = var_set(witness, name, "DIALER_CLOSED_MSG")
        finally:
            await witness.close()
        (record,) = await finished(db_pool, 1)
    assert engine.errors == []
    assert record["outcome"] == "called_back" and record["callback_id"] is not None
    assert heard == [confirmation]
