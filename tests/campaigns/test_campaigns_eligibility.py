"""Eligibility (fails closed, explains itself) and the retry policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.eligibility import Reason, check_eligibility
from campaigns.errors import IllegalTransition
from campaigns.model import Campaign, CampaignState, Lead, LeadStatus, transition
from campaigns.retry_policy import Disposition, Outcome, RetryPolicy, RetryRule, decide_retry
from campaigns.windows import FRANCE, Schedule, is_open

ZONES = ["Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney",
         "America/Phoenix", "Pacific/Honolulu", "Asia/Kolkata", "Europe/London", "America/Sao_Paulo"]
MONDAY_10_PARIS = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def campaign(**changes: object) -> Campaign:
    base = Campaign(id=1, name="c", trunk_template="PJSIP/{number}@carrier", state=CampaignState.RUNNING,
                    default_region="FR", timezone="Europe/Paris", window_profile="france")
    return replace(base, **changes)  # type: ignore[arg-type]


def lead(**changes: object) -> Lead:
    return replace(Lead(id=7, campaign_id=1, phone_e164="+33612345678", timezones=("Europe/Paris",)), **changes)  # type: ignore[arg-type]


def test_a_new_lead_inside_its_window_is_eligible() -> None:
    result = check_eligibility(lead(), campaign(), now=MONDAY_10_PARIS, dnc_blocked=False)
    assert result.ok and result.reason is Reason.OK


def test_unknown_dnc_status_is_not_eligible() -> None:
    result = check_eligibility(lead(), campaign(), now=MONDAY_10_PARIS, dnc_blocked=None)
    assert not result.ok and result.reason is Reason.DNC_UNKNOWN


def test_a_number_on_the_dnc_list_is_never_eligible() -> None:
    result = check_eligibility(lead(), campaign(), now=MONDAY_10_PARIS, dnc_blocked=True, dnc_list="national")
    assert (result.ok, result.reason, result.next_allowed_at) == (False, Reason.DNC, None)


def test_outside_the_window_says_when_it_opens() -> None:
    saturday = datetime(2026, 1, 10, 10, tzinfo=UTC)
    result = check_eligibility(lead(), campaign(), now=saturday, dnc_blocked=False)
    assert result.reason is Reason.WINDOW
    assert result.next_allowed_at == datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


def test_the_fifth_attempt_in_thirty_days_waits_in_france() -> None:
    times = tuple(MONDAY_10_PARIS - timedelta(days=d) for d in (1, 2, 3, 4))
    result = check_eligibility(lead(attempt_times=times, status=LeadStatus.RETRY), campaign(),
                               now=MONDAY_10_PARIS, dnc_blocked=False)
    assert result.reason is Reason.ATTEMPTS
    assert result.next_allowed_at is not None and result.next_allowed_at >= times[-1] + timedelta(days=30)
    assert is_open(FRANCE, "Europe/Paris", result.next_allowed_at)


def test_no_recall_within_72_hours_of_an_abandoned_call() -> None:
    abandoned = MONDAY_10_PARIS - timedelta(hours=24)
    result = check_eligibility(lead(last_abandoned_at=abandoned, status=LeadStatus.RETRY), campaign(),
                               now=MONDAY_10_PARIS, dnc_blocked=False)
    assert result.reason is Reason.ABANDON_COOLDOWN
    assert result.next_allowed_at is not None and result.next_allowed_at >= abandoned + timedelta(hours=72)


def test_a_callback_not_yet_due_is_not_eligible_until_its_time() -> None:
    due = MONDAY_10_PARIS + timedelta(hours=4)
    result = check_eligibility(lead(status=LeadStatus.CALLBACK, next_attempt_at=due), campaign(),
                               now=MONDAY_10_PARIS, dnc_blocked=False)
    assert (result.reason, result.next_allowed_at) == (Reason.CALLBACK_NOT_DUE, due)


def test_campaign_schedule_and_state_are_checked() -> None:
    schedule = Schedule.from_dict({"hours": {"tue": ["09:00-18:00"]}})
    result = check_eligibility(lead(), campaign(schedule=schedule), now=MONDAY_10_PARIS, dnc_blocked=False)
    assert result.reason is Reason.CAMPAIGN_SCHEDULE
    assert result.next_allowed_at == datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    paused = check_eligibility(lead(), campaign(state=CampaignState.PAUSED), now=MONDAY_10_PARIS, dnc_blocked=False)
    assert paused.reason is Reason.CAMPAIGN_STATE


def test_finished_leads_are_not_eligible() -> None:
    for status in (LeadStatus.DONE, LeadStatus.DNC, LeadStatus.INVALID):
        assert check_eligibility(lead(status=status), campaign(), now=MONDAY_10_PARIS,
                                 dnc_blocked=False).reason is Reason.LEAD_STATUS


@settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    zones=st.lists(st.sampled_from(ZONES), min_size=0, max_size=3, unique=True),
    dnc=st.sets(st.sampled_from(["+33612345678", "+12125550100", "+447700900123"])),
    number=st.sampled_from(["+33612345678", "+12125550100", "+447700900123", "+61412345678"]),
    profile=st.sampled_from(["us", "france"]),
    status=st.sampled_from(list(LeadStatus)),
    known=st.booleans(),
)
def test_an_eligible_lead_is_never_on_dnc_and_always_inside_its_window(
        now: datetime, zones: list[str], dnc: set[str], number: str, profile: str, status: LeadStatus,
        known: bool) -> None:
    c = campaign(window_profile=profile)
    subject = lead(phone_e164=number, timezones=tuple(zones), status=status)
    result = check_eligibility(subject, c, now=now, dnc_blocked=(number in dnc) if known else None)
    if result.ok:
        assert known and number not in dnc
        assert all(is_open(c.window, z, now) for z in subject.zones_or(c.timezone))
    elif result.next_allowed_at is not None:
        later = check_eligibility(subject, c, now=result.next_allowed_at, dnc_blocked=False)
        assert later.ok or later.reason is Reason.LEAD_STATUS


def test_retry_policy_waits_per_outcome_and_stops_at_the_maximum() -> None:
    policy = RetryPolicy(rules={"busy": RetryRule(600, 3)}, no_recall_after_abandon_h=None)
    at = MONDAY_10_PARIS
    first = decide_retry(policy, outcome=Outcome.BUSY, attempts=1, at=at)
    assert (first.final, first.next_attempt_at) == (False, at + timedelta(seconds=600))
    assert decide_retry(policy, outcome=Outcome.BUSY, attempts=3, at=at).final


def test_an_abandoned_call_is_not_retried_within_72_hours() -> None:
    decision = decide_retry(RetryPolicy(), outcome=Outcome.ABANDONED, attempts=1, at=MONDAY_10_PARIS)
    assert decision.next_attempt_at == MONDAY_10_PARIS + timedelta(hours=72)
    no_rule = decide_retry(RetryPolicy(no_recall_after_abandon_h=None), outcome=Outcome.ABANDONED, attempts=1,
                           at=MONDAY_10_PARIS)
    assert no_rule.next_attempt_at == MONDAY_10_PARIS + timedelta(hours=1)


def test_final_dispositions_end_the_lead_and_others_follow_their_rule() -> None:
    sale = Disposition("sale", "Sale", final=True)
    later = Disposition("later", "Later", final=False, retry=RetryRule(3600, 2))
    assert decide_retry(RetryPolicy(), outcome=Outcome.ANSWERED, attempts=1, at=MONDAY_10_PARIS,
                        disposition=sale).final
    decision = decide_retry(RetryPolicy(), outcome=Outcome.ANSWERED, attempts=1, at=MONDAY_10_PARIS,
                            disposition=later)
    assert decision.next_attempt_at == MONDAY_10_PARIS + timedelta(hours=1)
    assert RetryPolicy.from_dict(RetryPolicy().as_dict()) == RetryPolicy()


def test_campaign_state_machine_refuses_illegal_transitions() -> None:
    assert transition(CampaignState.DRAFT, CampaignState.RUNNING) is CampaignState.RUNNING
    with pytest.raises(IllegalTransition, match="finished campaign cannot become running"):
        transition(CampaignState.FINISHED, CampaignState.RUNNING)


def test_campaign_builds_dial_strings_and_crm_urls() -> None:
    c = campaign(crm_url_template="https://crm/x?tel={phone}&id={customer_id}")
    assert c.dial_string("+33612345678") == "PJSIP/+33612345678@carrier"
    pop = c.crm_url(lead(fields={"customer_id": "A 1"}))
    assert pop == "https://crm/x?tel=%2B33612345678&id=A%201"
