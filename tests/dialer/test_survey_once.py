"""Nobody is surveyed twice within the campaign's rule (``survey_offers.once_per_days``), decided in the database.

The engine's desk draws the after-call offer when a call meets its agent (``SurveyDesk.call_connected``). Two calls
of one number meeting their agents at the same moment (two lines of one customer, or two engines) make one survey
offer, not two: the check and the insert are one transaction under an advisory lock on (survey, number). A later
call of that number within ``once_per_days`` days is not offered the survey; one after the window is.
"""

from __future__ import annotations

from datetime import UTC, datetime

from campaigns.model import DialMode
from dialer.ami.adapter import AmiAdapter
from dialer.ami.config import AmiServerConfig
from dialer.clock import VirtualClock
from dialer.engine import Engine
from surveys import repository as survey_repo
from surveys.model import SurveyDefinition

SOUND = [{"kind": "sound", "value": "vm-press"}]
SURVEY = {"name": "Once a week", "intro": SOUND, "outro": SOUND,
          "questions": [{"id": "q1", "kind": "rating", "prompt": SOUND}]}
NUMBER = "+12125550123"


async def test_one_number_is_offered_the_survey_once_within_once_per_days(db_pool, build_scenario) -> None:  # type: ignore[no-untyped-def]
    clock = VirtualClock(start=datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    scenario = await build_scenario(db_pool, leads=0, agents=0, now=clock.now(), mode=DialMode.PROGRESSIVE,
                                    dnc_share=0.0, outside_share=0.0)
    campaign_id = scenario.campaign.id
    version = await survey_repo.create_survey(db_pool, SurveyDefinition.from_dict(SURVEY), created_by=None)
    await db_pool.execute("INSERT INTO survey_offers (survey_id, campaign_id, mode, share, once_per_days)"
                          " VALUES ($1, $2, 'after_call', 1.0, 7)", version.survey_id, campaign_id)
    unstarted = AmiAdapter([AmiServerConfig(name="pbx", host="127.0.0.1", port=5038, username="u", secret="s",
                                           max_channels=10)], clock=clock)   # no PBX action is taken by an offer
    engine = Engine(pool=db_pool, pbx=unstarted, clock=clock, engine_id="survey-once")
    desk = engine.surveys

    async def connected(*legs: str) -> list[bool]:
        """Calls of NUMBER on ``legs`` meet their agents at the same moment: was each offered the survey?"""
        for leg in legs:
            call_id = await db_pool.fetchval(
                "INSERT INTO call_records (campaign_id, engine_id, leg_id, direction, phone_e164, originated_at,"
                " connected_at) VALUES ($1, 'survey-once', $2, 'outbound', $3, $4, $4) RETURNING id",
                campaign_id, leg, NUMBER, clock.now())
            engine.call_context[call_id] = {"campaign_id": campaign_id, "number": NUMBER}
            desk.call_connected(call_id, leg, None)
        return [await desk.offered.pop(leg) is not None for leg in legs]

    try:
        both_at_once = await connected("leg-a", "leg-b")
        assert sorted(both_at_once) == [False, True], "two calls at once: one offer"
        await clock.advance(6 * 86400)
        assert await connected("leg-c") == [False], "within 7 days of the offer: not offered again"
        await clock.advance(1 * 86400 + 60)
        assert await connected("leg-d") == [True], "after the 7 days: offered"
    finally:
        await engine.close()
    rows = await db_pool.fetch("SELECT phone, leg_id FROM survey_responses ORDER BY id")
    first = "leg-a" if both_at_once[0] else "leg-b"
    assert [(r["phone"], r["leg_id"]) for r in rows] == [(NUMBER, first), (NUMBER, "leg-d")]
