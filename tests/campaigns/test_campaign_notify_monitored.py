"""A campaign's "tell agents when they are monitored" setting (live supervision): checked at save like the other
settings (true or false, nothing else), kept by the repository, and shown and saved by the campaign form."""

from __future__ import annotations

from dataclasses import replace

import pytest

from campaigns import repository
from campaigns.model import Campaign, CampaignError
from dialer.users import Role
from tests.admin_ui.test_pages_campaigns import campaign_form, sign_in


def test_the_setting_is_true_or_false_and_nothing_else() -> None:
    campaign = Campaign(id=0, name="c", trunk_template="PJSIP/{number}@carrier")
    assert campaign.notify_monitored is False
    assert campaign.with_settings({"notify_monitored": True}).notify_monitored is True
    with pytest.raises(CampaignError, match="notify_monitored"):
        campaign.with_settings({"notify_monitored": "yes"})
    assert campaign.with_settings({"notify_monitored": True}).as_dict()["notify_monitored"] is True


async def test_the_repository_keeps_it(db_pool) -> None:  # type: ignore[no-untyped-def]
    created = await repository.create_campaign(db_pool, campaign=Campaign(
        id=0, name="told", trunk_template="PJSIP/{number}@carrier", notify_monitored=True))
    assert (await repository.get_campaign(db_pool, campaign_id=created.id)).notify_monitored is True
    updated = await repository.update_campaign(db_pool, campaign=replace(created, notify_monitored=False))
    assert updated.notify_monitored is False


async def test_the_campaign_form_shows_and_saves_it(browser_client, make_user, services) -> None:  # type: ignore[no-untyped-def]
    lead = await make_user(Role.TEAM_LEAD)
    csrf = await sign_in(browser_client, lead.username)
    created = await browser_client.post("/campaigns/new", data=campaign_form(csrf, name="Told", notify_monitored="1"))
    campaign_id = int(created.headers["location"].split("/")[2].split("?")[0])
    assert (await repository.get_campaign(services.pool, campaign_id=campaign_id)).notify_monitored is True
    page = (await browser_client.get(f"/campaigns/{campaign_id}/edit")).text
    assert 'name="notify_monitored" value="1" checked' in page
    assert "Tell agents when a team lead listens to their calls" in page
    await browser_client.post(f"/campaigns/{campaign_id}/edit", data=campaign_form(csrf, name="Told"))  # unticked
    assert (await repository.get_campaign(services.pool, campaign_id=campaign_id)).notify_monitored is False
