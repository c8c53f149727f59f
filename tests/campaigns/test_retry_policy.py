"""The retry policy for a call the PBX cut (an Asterisk restart): a short retry of its own, never a no-answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from admin_ui.i18n import translator
from campaigns.model import Campaign
from campaigns.retry_policy import DEFAULT_RULES, Outcome, RetryPolicy, RetryRule, decide_retry
from dialer.calls import CallOutcome
from dialer.lead_store import RETRY_OUTCOME, PgLeadStore

AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_a_call_cut_by_the_pbx_has_a_rule_of_its_own_sooner_than_a_no_answers() -> None:
    cut, no_answer = DEFAULT_RULES[Outcome.PBX_CUT.value], DEFAULT_RULES[Outcome.NO_ANSWER.value]
    assert cut.delay_s == 5 * 60 and cut.delay_s < no_answer.delay_s
    decision = decide_retry(RetryPolicy(), outcome=Outcome.PBX_CUT, attempts=2, at=AT)
    assert not decision.final and decision.next_attempt_at == AT + timedelta(minutes=5)
    assert decision.reason.startswith("pbx_cut:")


def test_the_engines_pbx_cut_outcome_is_settled_under_that_rule_not_as_a_no_answer() -> None:
    assert RETRY_OUTCOME[CallOutcome.PBX_CUT] is Outcome.PBX_CUT
    assert RETRY_OUTCOME[CallOutcome.NO_ANSWER] is Outcome.NO_ANSWER


def test_a_campaign_saved_before_the_rule_existed_gets_it_and_a_custom_one_is_kept() -> None:
    old = RetryPolicy.from_dict({"rules": {"busy": {"delay_s": 60, "max_attempts": 2}}})
    assert old.rules["pbx_cut"] == DEFAULT_RULES["pbx_cut"]
    custom = RetryPolicy.from_dict({"rules": {"pbx_cut": {"delay_s": 120, "max_attempts": 3}}})
    assert custom.rules["pbx_cut"] == RetryRule(120, 3)
    assert RetryPolicy.from_dict(custom.as_dict()).rules["pbx_cut"] == RetryRule(120, 3)


def test_the_outcome_has_a_label_in_english_and_vietnamese() -> None:
    assert translator("en")("out_pbx_cut") == "Cut by the phone system (restart)"
    assert translator("vi")("out_pbx_cut") == "Bị tổng đài ngắt (khởi động lại)"


async def test_a_lead_whose_call_the_pbx_cut_is_due_again_in_minutes_with_its_own_outcome(
        db_pool: asyncpg.Pool, fr_campaign: Campaign) -> None:
    lead_id = await db_pool.fetchval(
        "INSERT INTO leads (campaign_id, phone_e164, status, claimed_by) VALUES ($1, '+33612345678', 'claimed', 'e1')"
        " RETURNING id", fr_campaign.id)
    store = PgLeadStore(db_pool, engine_id="e1")
    await store.settle_outcome(lead_id=lead_id, campaign=fr_campaign, outcome=CallOutcome.PBX_CUT,
                               disposition_code=None, callback=None, agent_id=None, at=AT)
    lead = await db_pool.fetchrow("SELECT status, last_outcome, next_attempt_at, attempts FROM leads WHERE id=$1",
                                  lead_id)
    assert dict(lead) == {"status": "retry", "last_outcome": "pbx_cut", "next_attempt_at": AT + timedelta(minutes=5),
                          "attempts": 1}
