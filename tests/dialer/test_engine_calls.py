"""The call state machine: paths to each outcome, the 2-second rule, stale events, and reconciliation."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admin_ui.i18n import translator
from campaigns import repository as campaigns_repo
from campaigns.model import DialMode
from dialer import calls as ca
from dialer.agents import Agent, AgentState
from dialer.calls import (
    AgentGone,
    AmdDone,
    Answered,
    Arrive,
    AssignAgent,
    Call,
    CallOutcome,
    CallPolicy,
    CallState,
    Cancel,
    CustomerHungUp,
    Dial,
    Failed,
    InSafeHarbor,
    JoinedAgent,
    MachineAction,
    Pool,
    PoolKind,
    Ringing,
    TimerFired,
    WrapUpDone,
)
from dialer.clock import RealClock
from dialer.effects import (
    Effect,
    Hangup,
    IllegalTransition,
    Originate,
    RecordOutcome,
    RedirectToAgent,
    RedirectToMachineMessage,
    RedirectToSafeHarbor,
    ReleaseAgent,
    SeekAgent,
    StartCallTimer,
    Timer,
)
from dialer.engine_api import DispositionInput
from dialer.pbx_port import (
    CTX_AGENT,
    CTX_CONNECT,
    CTX_CUSTOMER,
    ConferenceJoined,
    ConferenceLeft,
    CustomerReady,
    FailReason,
    LegAnswered,
    LegFailed,
    LegHungUp,
    LegKind,
    LegRinging,
    LiveChannel,
    OriginateRequest,
    SafeHarborStarted,
)
from dialer.reconcile import reconcile
from dialer.system import run_system
from simulations.call_model import CustomerModel, LogNormal
from simulations.pbx import PbxConfig
from simulations.pbx.probe import AmiProbe
from simulations.virtual_agents import virtual_phone

POOL = Pool(PoolKind.CAMPAIGN, 7)


def new_call(policy: CallPolicy | None = None, call_id: int = 1) -> Call:
    return Call(call_id=call_id, leg_id=f"dl-{call_id}", pool=POOL, policy=policy or CallPolicy())


def request(call: Call) -> OriginateRequest:
    return OriginateRequest(leg_id=call.leg_id, kind=LegKind.CUSTOMER, dial_string="PJSIP/trunk/5551234",
                            context=CTX_CUSTOMER, exten="s", timeout_s=30.0)


def run(call: Call, *timed: tuple[float, ca.CallEvent]) -> tuple[Call, list[Effect]]:
    effects: list[Effect] = []
    for now, event in timed:
        call, out = ca.step(call, event, now)
        effects.extend(out)
    return call, effects


def waiting_call(policy: CallPolicy | None = None, call_id: int = 1) -> Call:
    call = new_call(policy, call_id)
    call, _ = run(call, (0.0, Dial(request(call))), (1.0, Ringing()), (9.0, Answered()), (12.0, AmdDone("HUMAN")))
    return call


def outcomes(effects: list[Effect]) -> list[CallOutcome | None]:
    return [e.call.outcome for e in effects if isinstance(e, RecordOutcome)]


def test_dial_originates_the_calls_own_leg_and_arms_a_watchdog_past_the_ring_timeout() -> None:
    call = new_call()
    dialing, effects = ca.step(call, Dial(request(call)), 100.0)
    assert dialing.state is CallState.DIALING and dialing.originated_at == 100.0
    assert effects == (Originate(request(call)), StartCallTimer(1, Timer.DIAL, 100.0 + 30.0 + 10.0))


def test_dial_refuses_a_request_for_another_leg() -> None:
    call = new_call()
    other = OriginateRequest(leg_id="dl-other", kind=LegKind.CUSTOMER, dial_string="x", context=CTX_CUSTOMER, exten="s")
    with pytest.raises(ValueError, match="dl-other"):
        ca.step(call, Dial(other), 0.0)


def test_a_human_call_connects_talks_wraps_up_and_is_recorded_once_as_handled() -> None:
    call = waiting_call()
    call, effects = run(call, (12.5, AssignAgent(3)), (12.6, JoinedAgent()), (100.0, CustomerHungUp()),
                        (110.0, WrapUpDone("sale")))
    assert call.state is CallState.DONE and call.outcome is CallOutcome.HANDLED
    assert (call.originated_at, call.ringing_at, call.answered_at, call.ready_at) == (0.0, 1.0, 9.0, 12.0)
    assert (call.connected_at, call.ended_at, call.wrap_end_at) == (12.6, 100.0, 110.0)
    assert call.disposition == "sale" and call.agent_id == 3 and call.amd_status == "HUMAN"
    assert effects[0] == RedirectToAgent(call.leg_id, 3)
    assert outcomes(effects) == [CallOutcome.HANDLED]


def test_a_call_ready_for_an_agent_asks_the_router_and_arms_a_deadline_that_leaves_the_redirect_time_to_play() -> None:
    call = new_call()
    call, _ = run(call, (0.0, Dial(request(call))), (9.0, Answered()))
    call, effects = ca.step(call, AmdDone("HUMAN"), 12.0)
    # the message must START within 2 s of readiness as Asterisk measures it: the engine acts at 1.5 s
    assert call.state is CallState.WAITING and call.deadline == 13.5
    assert effects == (SeekAgent(1), StartCallTimer(1, Timer.SAFE_HARBOR, 13.5))
    assert ca.SAFE_HARBOR_S + ca.REDIRECT_MARGIN_S < ca.TWO_SECOND_RULE_S


@pytest.mark.parametrize(("reason", "outcome"), [
    (FailReason.BUSY, CallOutcome.BUSY), (FailReason.NO_ANSWER, CallOutcome.NO_ANSWER),
    (FailReason.CONGESTION, CallOutcome.CONGESTION), (FailReason.INVALID_NUMBER, CallOutcome.INVALID_NUMBER),
    (FailReason.REJECTED, CallOutcome.REJECTED), (FailReason.OTHER, CallOutcome.FAILED),
    (FailReason.PBX_CUT, CallOutcome.PBX_CUT),
])
def test_each_dial_failure_ends_in_its_own_outcome(reason: FailReason, outcome: CallOutcome) -> None:
    call = new_call()
    call, effects = run(call, (0.0, Dial(request(call))), (1.0, Ringing()), (25.0, Failed(reason, 17)))
    assert call.state is CallState.FAILED and call.fail_reason is reason and call.hangup_cause == 17
    assert outcomes(effects) == [outcome]


def test_a_ringing_call_cut_by_a_pbx_restart_is_recorded_as_cut_not_as_no_answer() -> None:
    """i4: a ringing call cut by `core restart now` shows DialEnd NOANSWER and cause 0; the adapter reports
    it as PBX_CUT, which is an outcome of its own (its own short retry), never NO_ANSWER."""
    call = new_call()
    cut, effects = run(call, (0.0, Dial(request(call))), (1.0, Ringing()), (9.0, Failed(FailReason.PBX_CUT, 0)))
    assert cut.outcome is CallOutcome.PBX_CUT and cut.fail_reason is FailReason.PBX_CUT
    assert outcomes(effects) == [CallOutcome.PBX_CUT]
    gone, _ = run(new_call(), (0.0, Dial(request(call))), (5.0, CustomerHungUp(0, pbx_cut=True)))
    assert gone.outcome is CallOutcome.PBX_CUT and "cut by the PBX" in gone.detail


def test_an_answered_call_cut_by_the_pbx_during_amd_or_a_machine_message_is_cut_not_hung_up_or_a_machine() -> None:
    call = new_call()
    in_amd, _ = run(call, (0.0, Dial(request(call))), (9.0, Answered()), (10.0, CustomerHungUp(0, pbx_cut=True)))
    assert in_amd.outcome is CallOutcome.PBX_CUT and "during AMD" in in_amd.detail
    machine = new_call(CallPolicy(machine_action=MachineAction.MESSAGE))
    machine, _ = run(machine, (0.0, Dial(request(machine))), (9.0, Answered()), (12.0, AmdDone("MACHINE")),
                     (14.0, CustomerHungUp(16, pbx_cut=True)))
    assert machine.outcome is CallOutcome.PBX_CUT


def test_a_person_waiting_when_the_pbx_is_cut_is_still_an_abandon_whose_record_says_why() -> None:
    call, effects = run(waiting_call(), (13.0, CustomerHungUp(0, pbx_cut=True)))
    assert call.outcome is CallOutcome.ABANDONED and outcomes(effects) == [CallOutcome.ABANDONED]
    assert call.fail_reason is FailReason.PBX_CUT and "waited for an agent" in call.detail


def test_a_conversation_cut_by_the_pbx_goes_to_wrap_up_and_its_record_says_it_was_cut() -> None:
    call, _ = run(waiting_call(), (12.5, AssignAgent(3)), (12.6, JoinedAgent()),
                  (40.0, CustomerHungUp(16, pbx_cut=True)))
    assert call.state is CallState.WRAP_UP
    done, _ = ca.step(call, WrapUpDone("call_back"), 45.0)
    assert done.outcome is CallOutcome.HANDLED and done.disposition == "call_back"
    assert done.fail_reason is FailReason.PBX_CUT and "conversation cut by the PBX" in done.detail
    normal, _ = run(waiting_call(), (12.5, AssignAgent(3)), (12.6, JoinedAgent()), (40.0, CustomerHungUp(16)),
                    (45.0, WrapUpDone("sale")))
    assert normal.fail_reason is None and normal.detail == ""


def test_a_conversation_whose_agent_leg_the_restart_cut_first_still_records_the_cut() -> None:
    """i4: the agent's leg in the conference hangs up before its customer's; the customer's own end, cut by
    the PBX, arrives in wrap-up."""
    call, _ = run(waiting_call(), (12.5, AssignAgent(3)), (12.6, JoinedAgent()), (40.0, AgentGone(3)))
    assert call.state is CallState.WRAP_UP and call.fail_reason is None
    call, effects = ca.step(call, CustomerHungUp(16, pbx_cut=True), 40.001)
    assert call.state is CallState.WRAP_UP and effects == ()
    assert call.fail_reason is FailReason.PBX_CUT and call.ended_at == 40.0
    after_normal, _ = run(waiting_call(), (12.5, AssignAgent(3)), (12.6, JoinedAgent()), (40.0, AgentGone(3)),
                          (40.001, CustomerHungUp(16)))
    assert after_normal.fail_reason is None


def test_a_machine_is_hung_up_under_the_hangup_rule() -> None:
    call = new_call(CallPolicy(machine_action=MachineAction.HANGUP))
    call, effects = run(call, (0.0, Dial(request(call))), (5.0, Answered()), (8.0, AmdDone("MACHINE", "LONGGREETING")))
    assert call.state is CallState.DONE and call.outcome is CallOutcome.MACHINE
    assert Hangup(call.leg_id) in effects and outcomes(effects) == [CallOutcome.MACHINE]


def test_a_machine_gets_the_message_under_the_message_rule_and_ends_when_the_leg_does() -> None:
    call = new_call(CallPolicy(machine_action=MachineAction.MESSAGE))
    call, effects = run(call, (0.0, Dial(request(call))), (5.0, Answered()), (8.0, AmdDone("MACHINE")))
    assert call.state is CallState.MACHINE and effects[-1] == RedirectToMachineMessage(call.leg_id)
    assert outcomes(effects) == []
    call, effects = run(call, (40.0, CustomerHungUp()))
    assert call.outcome is CallOutcome.MACHINE and call.ended_at == 40.0 and outcomes(effects) == [CallOutcome.MACHINE]


def test_notsure_is_a_person_by_default_and_a_machine_when_the_campaign_says_so() -> None:
    human = new_call()
    human, _ = run(human, (0.0, Dial(request(human))), (5.0, Answered()), (10.0, AmdDone("NOTSURE", "TOOLONG")))
    assert human.state is CallState.WAITING
    strict = new_call(CallPolicy(notsure_is_human=False))
    strict, _ = run(strict, (0.0, Dial(request(strict))), (5.0, Answered()), (10.0, AmdDone("NOTSURE")))
    assert strict.outcome is CallOutcome.MACHINE


def test_without_amd_an_answered_call_waits_for_an_agent_at_once() -> None:
    call = new_call()
    call, _ = run(call, (0.0, Dial(request(call))), (5.0, Answered()), (5.05, AmdDone("")))
    assert call.state is CallState.WAITING and call.deadline == pytest.approx(6.55)


@pytest.mark.parametrize("last", [AmdDone("HANGUP"), CustomerHungUp()])
def test_a_customer_who_hangs_up_during_amd_is_recorded_as_hung_up_not_abandoned(last: ca.CallEvent) -> None:
    call = new_call()
    call, effects = run(call, (0.0, Dial(request(call))), (5.0, Answered()), (6.0, last))
    assert call.state is CallState.DONE and outcomes(effects) == [CallOutcome.CUSTOMER_HUNG_UP]


def test_a_customer_the_dialplan_sent_to_safe_harbor_itself_is_abandoned_without_a_second_redirect() -> None:
    """The engine was late (or its Redirect lost): the dialplan's own DIALER_HOLD_S ran out and it played the
    message. The call is an abandon at once, and the engine does not restart the message."""
    call, effects = run(waiting_call(), (13.8, InSafeHarbor()))
    assert call.state is CallState.ABANDONED and outcomes(effects) == [CallOutcome.ABANDONED]
    assert not any(isinstance(e, RedirectToSafeHarbor) for e in effects)
    later, more = ca.step(call, TimerFired(Timer.SAFE_HARBOR), 14.0)
    assert later is call and more == ()
    # our own Redirect's DialerSafeHarbor reaches an already abandoned call: nothing more happens
    ours, _ = run(waiting_call(), (13.5, TimerFired(Timer.SAFE_HARBOR)))
    assert ca.step(ours, InSafeHarbor(), 13.51) == (ours, ())
    assert ca.from_pbx(SafeHarborStarted("s", 1.0, ours.leg_id), ours) == InSafeHarbor()


def test_a_person_who_hangs_up_while_waiting_for_an_agent_is_abandoned() -> None:
    call, effects = run(waiting_call(), (13.0, CustomerHungUp()))
    assert call.state is CallState.ABANDONED and outcomes(effects) == [CallOutcome.ABANDONED]


def test_no_agent_within_two_seconds_plays_safe_harbor_and_records_an_abandon() -> None:
    call, effects = run(waiting_call(), (14.0, TimerFired(Timer.SAFE_HARBOR)))
    assert call.state is CallState.ABANDONED
    assert effects[0] == RedirectToSafeHarbor(call.leg_id) and outcomes(effects) == [CallOutcome.ABANDONED]


def test_an_agent_offered_after_the_deadline_is_released_and_the_call_goes_to_safe_harbor() -> None:
    call, effects = run(waiting_call(), (14.01, AssignAgent(5)))
    assert call.state is CallState.ABANDONED
    assert RedirectToSafeHarbor(call.leg_id) in effects and ReleaseAgent(5, 1) in effects


def test_the_safe_harbor_timer_is_ignored_once_an_agent_is_taking_the_call() -> None:
    call, _ = run(waiting_call(), (13.0, AssignAgent(5)))
    after, effects = ca.step(call, TimerFired(Timer.SAFE_HARBOR), 14.0)
    assert after is call and effects == ()


def test_a_customer_hanging_up_during_the_redirect_releases_the_agent() -> None:
    call, effects = run(waiting_call(), (13.0, AssignAgent(5)), (13.2, CustomerHungUp()))
    assert call.outcome is CallOutcome.ABANDONED and ReleaseAgent(5, 1) in effects


def test_losing_the_agent_before_the_join_looks_for_another_within_the_same_deadline() -> None:
    call, _ = run(waiting_call(), (12.5, AssignAgent(5)))
    call, effects = ca.step(call, AgentGone(5), 13.0)
    assert call.state is CallState.WAITING and call.agent_id is None and call.deadline == 13.5
    assert effects == (ReleaseAgent(5, 1), SeekAgent(1)) and call.agents_lost == frozenset({5})
    late, late_effects = run(waiting_call(), (12.5, AssignAgent(5)), (14.5, AgentGone(5)))
    assert late.outcome is CallOutcome.ABANDONED and RedirectToSafeHarbor(late.leg_id) in late_effects


def test_an_agent_hanging_up_hangs_up_the_customer_and_starts_wrap_up() -> None:
    call, _ = run(waiting_call(), (12.5, AssignAgent(5)), (12.6, JoinedAgent()))
    call, effects = ca.step(call, AgentGone(5), 50.0)
    assert call.state is CallState.WRAP_UP and call.ended_at == 50.0 and effects == (Hangup(call.leg_id),)
    assert ca.step(call, CustomerHungUp(), 50.1) == (call, ())


def test_agent_gone_for_another_agent_changes_nothing() -> None:
    call, _ = run(waiting_call(), (12.5, AssignAgent(5)), (12.6, JoinedAgent()))
    assert ca.step(call, AgentGone(6), 20.0) == (call, ())


def test_an_agent_closing_the_call_before_the_customer_hang_up_arrives_hangs_the_customer_up() -> None:
    call, effects = run(waiting_call(), (12.5, AssignAgent(5)), (12.6, JoinedAgent()), (60.0, WrapUpDone("sale")))
    assert call.outcome is CallOutcome.HANDLED and call.ended_at == 60.0 and Hangup(call.leg_id) in effects


def test_a_policy_with_a_non_positive_safe_harbor_is_refused() -> None:
    with pytest.raises(ValueError, match="safe_harbor_s"):
        CallPolicy(safe_harbor_s=0.0)


def test_the_dial_watchdog_fails_a_call_and_a_late_answer_is_hung_up() -> None:
    call = new_call()
    call, effects = run(call, (0.0, Dial(request(call))), (40.0, TimerFired(Timer.DIAL)))
    assert call.state is CallState.FAILED and call.fail_reason is FailReason.OTHER
    assert Hangup(call.leg_id) in effects and outcomes(effects) == [CallOutcome.FAILED]
    after, late = ca.step(call, Answered(), 41.0)
    assert after is call and late == (Hangup(call.leg_id),)


def test_no_amd_result_in_time_is_treated_as_notsure() -> None:
    call = new_call()
    call, effects = run(call, (0.0, Dial(request(call))), (5.0, Answered()))
    assert StartCallTimer(1, Timer.AMD, 15.0) in effects
    call, _ = ca.step(call, TimerFired(Timer.AMD), 15.0)
    assert call.state is CallState.WAITING and call.amd_status == "NOTSURE"


def test_cancel_drops_a_queued_call_and_hangs_up_a_dialling_one() -> None:
    queued, effects = ca.step(new_call(), Cancel(), 0.0)
    assert queued.state is CallState.FAILED and outcomes(list(effects)) == [CallOutcome.CANCELLED]
    call = new_call()
    dialing, _ = ca.step(call, Dial(request(call)), 0.0)
    after, effects = ca.step(dialing, Cancel(), 1.0)
    assert after.state is CallState.DIALING and effects == (Hangup(call.leg_id),)


def test_an_inbound_call_waits_for_an_agent_without_a_deadline_when_its_queue_has_none() -> None:
    call = Call(31, "dl-31", Pool(PoolKind.QUEUE, 2), CallPolicy(safe_harbor_s=None), inbound=True, priority=5)
    call, effects = ca.step(call, Arrive(), 3.0)
    assert call.state is CallState.WAITING and call.deadline is None and effects == (SeekAgent(31),)


def test_a_command_out_of_place_raises_naming_the_state_and_the_event() -> None:
    with pytest.raises(IllegalTransition, match=r"AssignAgent in state DIALING"):
        call = new_call()
        ca.step(ca.step(call, Dial(request(call)), 0.0)[0], AssignAgent(1), 1.0)
    done, _ = run(waiting_call(), (14.0, TimerFired(Timer.SAFE_HARBOR)))
    with pytest.raises(IllegalTransition, match=r"WrapUpDone in state ABANDONED"):
        ca.step(done, WrapUpDone("x"), 15.0)


def test_stale_facts_are_ignored() -> None:
    call, _ = run(waiting_call(), (12.5, AssignAgent(5)), (12.6, JoinedAgent()))
    for event in (Ringing(), Answered(), AmdDone("HUMAN"), JoinedAgent(), TimerFired(Timer.DIAL)):
        assert ca.step(call, event, 30.0) == (call, ())


def test_a_late_hang_up_or_failure_after_a_failed_call_is_ignored_safely() -> None:
    call = new_call()
    failed, _ = run(call, (0.0, Dial(request(call))), (3.0, Failed(FailReason.BUSY, 17)))
    for event in (CustomerHungUp(16), Failed(FailReason.OTHER), Ringing(), TimerFired(Timer.DIAL), AgentGone(1)):
        assert ca.step(failed, event, 4.0) == (failed, ())


def test_pbx_events_translate_to_call_events_for_the_calls_leg_only() -> None:
    call = new_call()
    leg = call.leg_id
    assert ca.from_pbx(LegRinging("s", 1.0, leg), call) == Ringing()
    assert ca.from_pbx(LegAnswered("s", 1.0, leg, "PJSIP/x"), call) == Answered()
    assert ca.from_pbx(CustomerReady("s", 1.0, leg, "PJSIP/x", "MACHINE", "INITIALSILENCE"), call) == \
        AmdDone("MACHINE", "INITIALSILENCE")
    assert ca.from_pbx(LegFailed("s", 1.0, leg, FailReason.BUSY, 17), call) == Failed(FailReason.BUSY, 17)
    assert ca.from_pbx(LegHungUp("s", 1.0, leg, 16), call) == CustomerHungUp(16)
    assert ca.from_pbx(LegHungUp("s", 1.0, leg, 16, pbx_cut=True), call) == CustomerHungUp(16, pbx_cut=True)
    assert ca.from_pbx(ConferenceJoined("s", 1.0, "agent-3", leg, "PJSIP/x"), call) is None   # not assigned yet
    assigned = replace(call, agent_id=3)
    assert ca.from_pbx(ConferenceJoined("s", 1.0, "agent-3", leg, "PJSIP/x"), assigned) == JoinedAgent()
    assert ca.from_pbx(ConferenceJoined("s", 1.0, "agent-4", leg, "PJSIP/x"), assigned) is None
    assert ca.from_pbx(ConferenceLeft("s", 1.0, "agent-3", leg, "PJSIP/x"), call) is None
    assert ca.from_pbx(LegHungUp("s", 1.0, "dl-other"), call) is None


# --- properties -------------------------------------------------------------------------------------
FACTS = st.one_of(
    st.just(Ringing()), st.just(Answered()), st.just(JoinedAgent()),
    st.builds(AmdDone, st.sampled_from(["", "HUMAN", "MACHINE", "NOTSURE", "HANGUP"])),
    st.builds(Failed, st.sampled_from(list(FailReason)), st.integers(0, 127)),
    st.builds(CustomerHungUp, st.integers(0, 127), st.booleans()), st.just(InSafeHarbor()),
    st.builds(AgentGone, st.integers(1, 3)),
    st.builds(TimerFired, st.sampled_from(list(Timer))),
)
COMMANDS = st.one_of(st.builds(AssignAgent, st.integers(1, 3)), st.builds(WrapUpDone, st.text(max_size=3)),
                     st.just(Cancel()))
EVENTS = st.lists(st.tuples(st.floats(0.0, 5.0), st.one_of(FACTS, COMMANDS)), max_size=30)
PREFIXES: list[list[tuple[float, ca.CallEvent]]] = [
    [], [(1.0, Ringing())], [(1.0, Ringing()), (9.0, Answered())], [(9.0, Answered()), (12.0, AmdDone("HUMAN"))],
    [(9.0, Answered()), (12.0, AmdDone("MACHINE"))], [(9.0, Answered()), (12.0, AmdDone()), (12.5, AssignAgent(1))],
    [(9.0, Answered()), (12.0, AmdDone()), (12.5, AssignAgent(1)), (12.6, JoinedAgent())],
    [(9.0, Answered()), (12.0, AmdDone()), (12.5, AssignAgent(1)), (12.6, JoinedAgent()), (50.0, CustomerHungUp())],
]
POLICIES = st.builds(CallPolicy, st.sampled_from(list(MachineAction)), st.booleans(),
                     st.one_of(st.none(), st.floats(0.5, 1.79)))


def drive(call: Call, events: list[tuple[float, ca.CallEvent]], start: float = 0.0
          ) -> tuple[Call, list[Effect], list[ca.CallEvent]]:
    """Apply events with increasing time, skipping commands the machine refuses; check terminal stability.

    Returns the call, the effects, and the events the machine accepted.
    """
    now, effects, accepted = start, list[Effect](), list[ca.CallEvent]()
    for dt, event in events:
        now += dt
        was_terminal = call.terminal
        before = call
        try:
            call, out = ca.step(call, event, now)
        except IllegalTransition as exc:
            assert exc.state is call.state and exc.event is event
            continue
        if was_terminal:
            assert call is before, f"{event!r} changed a terminal call"
            assert not any(isinstance(e, RecordOutcome) for e in out)
        effects.extend(out)
        accepted.append(event)
    return call, effects, accepted


def close_out(call: Call, now: float) -> tuple[Call, list[Effect]]:
    """What eventually happens to any call left running: its leg ends, every timer fires, the agent disposes."""
    effects: list[Effect] = []
    for event in (CustomerHungUp(), TimerFired(Timer.DIAL)):
        call, out = ca.step(call, event, now)
        effects.extend(out)
    if call.state is CallState.WRAP_UP:
        call, out = ca.step(call, WrapUpDone(None), now)
        effects.extend(out)
    return call, effects


@settings(max_examples=300, deadline=None)
@given(policy=POLICIES, prefix=st.sampled_from(PREFIXES), events=EVENTS)
def test_random_events_never_leave_a_terminal_state_and_an_originated_call_ends_in_exactly_one_outcome(
        policy: CallPolicy, prefix: list[tuple[float, ca.CallEvent]], events: list[tuple[float, ca.CallEvent]]) -> None:
    call = new_call(policy)
    call, first = run(call, (0.0, Dial(request(call))), *prefix)
    call, effects, _ = drive(call, events, start=60.0)
    call, last = close_out(call, 1000.0)
    records = [e for e in [*first, *effects, *last] if isinstance(e, RecordOutcome)]
    assert call.terminal and len(records) == 1
    assert records[0].call == call and call.outcome is not None and call.ended_at is not None
    assert (call.state is CallState.ABANDONED) == (call.outcome is CallOutcome.ABANDONED)


@settings(max_examples=300, deadline=None)
@given(events=EVENTS)
def test_every_agent_reservation_is_either_used_or_released(events: list[tuple[float, ca.CallEvent]]) -> None:
    call = waiting_call()
    call, effects, accepted = drive(call, events, start=12.0)
    call, last = close_out(call, 1000.0)
    assigned = sorted(e.agent_id for e in accepted if isinstance(e, AssignAgent))
    released = [e.agent_id for e in [*effects, *last] if isinstance(e, ReleaseAgent)]
    kept = [call.agent_id] if call.connected_at is not None and call.agent_id is not None else []
    assert sorted(released + kept) == assigned
    assert all(RedirectToAgent(call.leg_id, agent) in effects for agent in kept)


# --- reconciliation ---------------------------------------------------------------------------------
def channel(leg: str, state: str = "Up", context: str = CTX_CUSTOMER, exten: str = "s") -> LiveChannel:
    return LiveChannel(server="pbx1", leg_id=leg, channel=f"PJSIP/{leg}", state=state, context=context,
                       exten=exten, duration_s=5.0)


def test_reconcile_fails_a_dialling_call_whose_leg_vanished_and_hangs_up_a_waiting_one_gone_too() -> None:
    call = new_call(call_id=11)
    dialing, _ = ca.step(call, Dial(request(call)), 0.0)
    waiting = waiting_call(call_id=12)
    result = reconcile([dialing, waiting], [], [], now=13.0, listed_at=13.0)
    assert [c.outcome for c in result.calls] == [CallOutcome.FAILED, CallOutcome.ABANDONED]
    assert sum(isinstance(e, RecordOutcome) for e in result.effects) == 2


def test_reconcile_sends_a_call_answered_unseen_to_safe_harbor() -> None:
    call = new_call()
    dialing, _ = ca.step(call, Dial(request(call)), 0.0)
    result = reconcile([dialing], [], [channel(call.leg_id, "Up")], now=20.0, listed_at=20.0)
    assert result.calls[0].outcome is CallOutcome.ABANDONED
    assert RedirectToSafeHarbor(call.leg_id) in result.effects


def test_reconcile_keeps_live_calls_and_completes_a_missed_join() -> None:
    connecting, _ = run(waiting_call(call_id=11), (12.5, AssignAgent(5)))
    ringing = new_call(call_id=12)
    ringing, _ = run(ringing, (0.0, Dial(request(ringing))), (1.0, Ringing()))
    live = [channel("dl-11", context=CTX_CONNECT, exten="agent-5"), channel("dl-12", "Ringing")]
    result = reconcile([connecting, ringing], [], live, now=13.0, listed_at=13.0)
    assert [c.state for c in result.calls] == [CallState.CONNECTED, CallState.RINGING]
    assert result.effects == ()


def test_reconcile_leaves_calls_originated_after_the_listing_alone() -> None:
    call = new_call()
    dialing, _ = ca.step(call, Dial(request(call)), 50.0)
    assert reconcile([dialing], [], [], now=50.5, listed_at=49.0).calls == (dialing,)


def test_reconcile_moves_an_agent_to_wrap_up_when_its_customer_vanished() -> None:
    connected, _ = run(waiting_call(), (12.5, AssignAgent(5)), (12.6, JoinedAgent()))
    agent = Agent(5, state=AgentState.ON_CALL, leg_id="dl-agent-5", call_id=1, on_call_since=12.6)
    agent_leg = LiveChannel("pbx1", "dl-agent-5", "PJSIP/agent5-1", "Up", CTX_AGENT, "agent-5", 300.0)
    result = reconcile([connected], [agent], [agent_leg], now=40.0, listed_at=40.0)
    assert result.calls[0].state is CallState.WRAP_UP
    assert result.agents[0].state is AgentState.WRAP_UP and result.agents[0].talk_s == pytest.approx(27.4)


# --- on the simulated PBX over TCP: what Asterisk measures ---------------------------------------------------
ALWAYS_ANSWERS = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0,
                               invalid_rate=0.0, ring=LogNormal(1.0, 0.1), talk=LogNormal(600.0, 0.05),
                               patience=LogNormal(60.0, 0.1))


async def until(predicate, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _nobody_takes_calls(services, build_scenario, speed: float, *,  # type: ignore[no-untyped-def]
                              sounds: tuple[str, ...] = ("please-try-call-later",)):
    """Running preview campaigns (the runner places nothing by itself) with no agent signed in, one per
    safe-harbor sound: every call the test places is answered by a person and abandoned."""
    services.clock = RealClock(speed=speed)
    services.settings.speed = speed
    campaigns = []
    for seed, sound in enumerate(sounds, start=40):
        scenario = await build_scenario(services.pool, leads=1, agents=0, now=services.clock.now(),
                                        mode=DialMode.PREVIEW, dnc_share=0.0, outside_share=0.0, seed=seed)
        await services.pool.execute("UPDATE campaigns SET safe_harbor_message = $2 WHERE id = $1",
                                    scenario.campaign.id, sound)
        campaigns.append(scenario.campaign)
    return campaigns


async def test_on_the_simulated_pbx_safe_harbor_starts_within_two_seconds_of_the_customer_being_ready(
        services, build_scenario) -> None:
    """Defect 4 of issue 12: the engine acted at the 2-second deadline, so the message started after it.
    Measured as Asterisk does, from DialerCustomerReady to DialerSafeHarbor on the customer's channel."""
    speed = 2.0
    (campaign,) = await _nobody_takes_calls(services, build_scenario, speed, sounds=("please-try-call-later",))
    async with run_system(services, sim_config=PbxConfig(speed=speed, seed=5, customer_model=ALWAYS_ANSWERS),
                          engine_id="safe-harbor-timing", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        probe = AmiProbe()
        await probe.connect("127.0.0.1", sim.port)
        await probe.login(sim.config.username, sim.config.secret)
        try:
            await until(lambda: _true(campaign.id in engine.campaigns))
            call_ids = [await engine.dial(engine.campaigns[campaign.id], number_e164=f"+1212555{n:04d}", lead_id=None)
                        for n in range(4)]
            legs = {engine.calls[c].leg_id for c in call_ids}

            async def all_in_safe_harbor() -> bool:
                return {m.get("LegId") for m in probe.events if m.get("UserEvent") == "DialerSafeHarbor"} >= legs

            await until(all_in_safe_harbor)

            async def all_closed() -> bool:
                return not await services.pool.fetchval("SELECT count(*) FROM call_records WHERE outcome IS NULL"
                                                        " AND id = ANY($1::bigint[])", call_ids)

            await until(all_closed)
        finally:
            await probe.close()
    ready = {m.get("LegId"): m.at for m in probe.events if m.get("UserEvent") == "DialerCustomerReady"}
    harbor: dict[str, float] = {}
    for m in probe.events:
        if m.get("UserEvent") == "DialerSafeHarbor":
            harbor.setdefault(m.get("LegId"), m.at)
    waited_s = {leg: (harbor[leg] - ready[leg]) * speed for leg in legs}
    assert all(w < 2.0 for w in waited_s.values()), f"message started too late (simulated s): {waited_s}"
    # the engine itself decided early enough to leave the Redirect its margin (it acted at 2.0 s before)...
    rows = await services.pool.fetch("SELECT outcome, EXTRACT(EPOCH FROM ended_at - ready_at)::float8 AS decided_s"
                                     " FROM call_records WHERE id = ANY($1::bigint[])", call_ids)
    assert [r["outcome"] for r in rows] == ["abandoned"] * 4
    assert all(r["decided_s"] < 2.0 - 0.2 for r in rows), [dict(r) for r in rows]
    # ...and every customer leg told the dialplan to play the message itself by 1.8 s if the engine is late
    customer = [o for o in sim.originate_log if o.channel_id in legs]
    assert len(customer) == 4 and all(o.variables.get("DIALER_HOLD_S") == "1.8" for o in customer)


async def _true(value: bool) -> bool:
    return value


async def test_on_the_simulated_pbx_each_safe_harbor_calls_playback_status_is_kept_and_a_failure_logged(
        services, build_scenario, caplog) -> None:
    """A missing sound fails in milliseconds and the call ends as if it had played: only PLAYBACKSTATUS tells,
    so it is kept on the record, and a failure is logged as an error naming the campaign and the sound."""
    speed = 10.0
    (campaign,) = await _nobody_takes_calls(services, build_scenario, speed)
    async with run_system(services, sim_config=PbxConfig(speed=speed, seed=6, customer_model=ALWAYS_ANSWERS),
                          engine_id="safe-harbor-playback", tick_s=0.5) as system:
        engine = system.engine
        await until(lambda: _true(campaign.id in engine.campaigns))
        view = engine.campaigns[campaign.id]
        broken = replace(view, safe_harbor_sound="dialer/does-not-exist")   # say the sound vanished since
        call_ids = [await engine.dial(v, number_e164=f"+1310555{n:04d}", lead_id=None)
                    for n, v in enumerate((view, view, broken))]

        async def all_played() -> bool:
            n = await services.pool.fetchval("SELECT count(*) FROM call_records WHERE id = ANY($1::bigint[])"
                                             " AND safe_harbor_playback IS NOT NULL", call_ids)
            return bool(n == len(call_ids))

        await until(all_played)
    rows = await services.pool.fetch("SELECT id, outcome, safe_harbor_playback FROM call_records"
                                     " WHERE id = ANY($1::bigint[]) ORDER BY id", call_ids)
    assert [(r["outcome"], r["safe_harbor_playback"]) for r in rows] == [
        ("abandoned", "SUCCESS"), ("abandoned", "SUCCESS"), ("abandoned", "FAILED")]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR" and "did not play" in r.getMessage()]
    assert len(errors) == 1 and f"call {call_ids[2]} " in errors[0]
    assert campaign.name in errors[0] and "dialer/does-not-exist" in errors[0]


async def test_on_the_simulated_pbx_an_agent_whose_phone_cannot_be_reached_is_told_and_not_left_ready(
        services, build_scenario) -> None:
    """Defect 2 of issue 12: the agent's Originate fails, Asterisk runs dialer-agent's `failed` extension on
    a dummy channel (DialerAgentFailed). The agent is signed out and its panel says why; nothing is left."""
    speed = 10.0
    (campaign,) = await _nobody_takes_calls(services, build_scenario, speed)
    agent = (await build_scenario(services.pool, leads=1, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                  dnc_share=0.0, outside_share=0.0, seed=60)).agent_ids[0]
    async with services.pool.acquire() as conn:
        await campaigns_repo.set_campaign_agents(conn, campaign_id=campaign.id, user_ids=[agent])
    async with run_system(services, sim_config=PbxConfig(speed=speed, seed=7), engine_id="agent-unreachable",
                          tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        seen: list[str] = []
        await until(lambda: _true(campaign.id in engine.campaigns))
        await engine.agent_login(agent, campaign.id, phone_dial_string="Local/0000@sim-customer")  # no such number
        seen.append(engine.agent_state(agent)["state"])

        async def signed_out() -> bool:
            seen.append(engine.agent_state(agent)["state"])
            return seen[-1] == "logged_out"

        await until(signed_out)
        view = engine.agent_state(agent)
        await until(lambda: _true(not sim.channels()))     # the dummy channel ended too
    assert "ready" not in seen
    assert view["phone_notice"] == "phone_unreachable"
    assert translator("en")(view["phone_notice"]).startswith("Your phone could not be reached")
    assert translator("vi")(view["phone_notice"]).startswith("Không gọi được điện thoại của bạn")


async def test_on_the_simulated_pbx_calls_cut_by_a_core_restart_are_recorded_as_cut_never_as_no_answer(
        services, build_scenario) -> None:
    """Defect 6 of issue 12: `core restart now` cuts a ringing call (DialEnd NOANSWER, cause 0) and a live
    conversation (cause 16). The ringing one is recorded as pbx_cut and its lead retried under that rule (5
    minutes), not as a no-answer; the conversation goes to wrap-up and its record says it was cut."""
    speed = 10.0
    services.clock = RealClock(speed=speed)
    services.settings.speed = speed
    scenario = await build_scenario(services.pool, leads=2, agents=1, now=services.clock.now(), mode=DialMode.PREVIEW,
                                    dnc_share=0.0, outside_share=0.0, seed=70)
    agent, cid = scenario.agent_ids[0], scenario.campaign.id
    rings = CustomerModel(connect_rate=1.0, machine_rate=0.0, busy_rate=0.0, congestion_rate=0.0, invalid_rate=0.0,
                          ring=LogNormal(8.0, 0.05), talk=LogNormal(600.0, 0.05), patience=LogNormal(60.0, 0.1))
    async with run_system(services, sim_config=PbxConfig(speed=speed, seed=8, customer_model=rings),
                          engine_id="restart-cut", tick_s=0.5) as system:
        engine, sim = system.engine, system.sim
        assert sim is not None
        await until(lambda: _true(cid in engine.campaigns))
        await engine.agent_login(agent, cid, phone_dial_string=virtual_phone(agent))
        await until(lambda: _true(engine.agent_state(agent)["state"] == "ready"))
        offered = await engine.preview_next(agent)
        assert offered is not None
        talking = int(await engine.preview_dial(agent, offered["lead_id"]))
        await until(lambda: _true(engine.agent_state(agent)["state"] == "on_call"))
        other = next(lead for lead in scenario.lead_ids if lead != offered["lead_id"])
        phone = await services.pool.fetchval("SELECT phone_e164 FROM leads WHERE id = $1", other)
        ringing = await engine.dial(engine.campaigns[cid], number_e164=phone, lead_id=other)
        await until(lambda: _true(engine.calls[ringing].state is CallState.RINGING))
        await sim.faults.restart()
        await until(lambda: _true(engine.calls[ringing].terminal and engine.calls[talking].state is CallState.WRAP_UP))
        await engine.set_disposition(agent, DispositionInput(str(talking), "call_back"))

        async def both_settled() -> bool:
            return not await services.pool.fetchval(
                "SELECT count(*) FROM call_records WHERE id = ANY($1::bigint[]) AND NOT lead_settled",
                [talking, ringing])

        await until(both_settled)
    rows = {r["id"]: r for r in await services.pool.fetch(
        "SELECT id, outcome, fail_reason, detail, disposition, ended_at FROM call_records WHERE id = ANY($1::bigint[])",
        [talking, ringing])}
    assert (rows[ringing]["outcome"], rows[ringing]["fail_reason"]) == ("pbx_cut", "pbx_cut")
    assert (rows[talking]["outcome"], rows[talking]["disposition"], rows[talking]["fail_reason"]) == (
        "handled", "call_back", "pbx_cut")
    assert "conversation cut by the PBX" in rows[talking]["detail"]
    lead = await services.pool.fetchrow("SELECT status, last_outcome, last_attempt_at, next_attempt_at FROM leads"
                                        " WHERE id = $1", other)
    assert (lead["status"], lead["last_outcome"]) == ("retry", "pbx_cut")
    assert lead["next_attempt_at"] - lead["last_attempt_at"] == timedelta(minutes=5)
