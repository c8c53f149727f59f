"""A campaign's "tell agents when they are monitored" setting (live supervision): checked at save like the other
settings (true or false, nothing else), kept by the repository, and shown and saved by the campaign form."""

from __future__ import annotations

from dataclasses import replace

import pytest

from campaigns import repository
from campaigns.model import Campaign, CampaignError


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
