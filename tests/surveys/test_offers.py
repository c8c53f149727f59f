"""Where a survey is offered (survey_offers), set by a team lead on the survey page: a campaign's or a queue's
after-call offer (share, once_per_days) or a survey campaign (lines), checked at save naming the field in the
reader's language; saving again replaces the campaign's setting; the page lists it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaigns import queue_repository
from campaigns.queues import DAY_NAMES, Queue
from dialer.users import Role
from surveys import repository as repo
from surveys.model import SurveyDefinition
from surveys.offers import OfferError, check_offer
from tests.admin_ui.test_pages_campaigns import sign_in
from tests.dialer.conftest import build
from tests.surveys.test_pages import DEFINITION


@pytest.mark.parametrize(("form", "field", "code"), [
    ({"mode": "after_call"}, "target", "target"),
    ({"target": "queue:x", "mode": "after_call"}, "target", "target"),
    ({"target": "campaign:3", "mode": "sometimes"}, "mode", "mode"),
    ({"target": "queue:3", "mode": "campaign"}, "mode", "campaign_only"),
    ({"target": "queue:3", "mode": "after_call", "share": "0"}, "share", "share"),
    ({"target": "queue:3", "mode": "after_call", "share": "101"}, "share", "share"),
    ({"target": "queue:3", "mode": "after_call", "once_per_days": "-1"}, "once_per_days", "once_per_days"),
    ({"target": "campaign:3", "mode": "campaign", "lines": "ten"}, "lines", "lines"),
    ({"target": "campaign:3", "mode": "campaign", "lines": "0"}, "lines", "lines"),
])
def test_an_offer_is_refused_naming_its_field(form: dict[str, str], field: str, code: str) -> None:
    with pytest.raises(OfferError) as refused:
        check_offer(form)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_an_offer_keeps_only_what_its_mode_uses() -> None:
    after = check_offer({"target": "queue:4", "mode": "after_call", "share": "25", "once_per_days": "7",
                         "lines": "nonsense is ignored here"})
    assert (after.queue_id, after.campaign_id, after.share, after.once_per_days) == (4, None, 0.25, 7)
    survey_campaign = check_offer({"target": "campaign:9", "mode": "campaign", "lines": "12", "share": "x"})
    assert (survey_campaign.campaign_id, survey_campaign.mode, survey_campaign.lines) == (9, "campaign", 12)


async def test_a_team_lead_sets_a_queues_offer_and_a_survey_campaign_on_the_survey_page(
        browser_client, make_user, services) -> None:
    pool = services.pool
    await make_user(Role.TEAM_LEAD, "lan", language="vi")
    csrf = await sign_in(browser_client, "lan")
    version = await repo.create_survey(pool, SurveyDefinition.from_dict(DEFINITION), created_by=None)
    queue = await queue_repository.save_queue(pool, queue=Queue.from_dict(
        {"name": "Hotline", "dids": ["+842873001401"], "hours": {d: "00:00-24:00" for d in DAY_NAMES}}))
    campaign = (await build(pool, leads=0, agents=0, now=datetime.now(UTC), seed=31)).campaign
    url = f"/surveys/{version.survey_id}/offers"

    refused = await browser_client.post(url, data={"csrf_token": csrf, "target": f"queue:{queue.id}",
                                                   "mode": "campaign", "lines": "5"})
    assert refused.status_code == 400
    assert "mode: chiến dịch khảo sát không nhân viên là thiết lập của chiến dịch" in refused.text
    refused = await browser_client.post(url, data={"csrf_token": csrf, "target": f"queue:{queue.id}",
                                                   "mode": "after_call", "share": "150", "once_per_days": "30"})
    assert refused.status_code == 400 and "share: &#39;150&#39; không phải tỉ lệ cuộc gọi" in refused.text
    assert await pool.fetchval("SELECT count(*) FROM survey_offers") == 0

    saved = await browser_client.post(url, data={"csrf_token": csrf, "target": f"queue:{queue.id}",
                                                 "mode": "after_call", "share": "40", "once_per_days": "14"})
    assert saved.status_code == 303
    for lines in ("5", "8"):       # saving again replaces the campaign's setting
        saved = await browser_client.post(url, data={"csrf_token": csrf, "target": f"campaign:{campaign.id}",
                                                     "mode": "campaign", "lines": lines})
        assert saved.status_code == 303
    rows = {(r["queue_id"], r["campaign_id"]): r for r in await pool.fetch("SELECT * FROM survey_offers")}
    assert len(rows) == 2
    hotline, survey_campaign = rows[(queue.id, None)], rows[(None, campaign.id)]
    assert (hotline["mode"], hotline["share"], hotline["once_per_days"]) == ("after_call", 0.4, 14)
    assert (survey_campaign["mode"], survey_campaign["lines"]) == ("campaign", 8)
    page = await browser_client.get(f"/surveys/{version.survey_id}")
    assert 'data-offer="Hotline"' in page.text and f'data-offer="{campaign.name}"' in page.text
    assert "Chiến dịch khảo sát (không nhân viên)" in page.text

    removed = await browser_client.post(f"{url}/{hotline['id']}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert await pool.fetchval("SELECT count(*) FROM survey_offers") == 1
