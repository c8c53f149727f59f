"""SMS templates in PostgreSQL: checked against the fields of the campaign's leads before they are stored."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from campaigns import repository
from campaigns.model import Campaign
from sms import template_repository as repo
from sms.template_repository import SmsTemplate, TemplateNotFound
from sms.templates import TemplateRefused

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


async def campaign_with_columns(pool: asyncpg.Pool, name: str, columns: dict[str, str]) -> int:
    c = await repository.create_campaign(pool, campaign=Campaign(id=0, name=name, trunk_template="PJSIP/{number}@x"))
    lst = await repository.create_list(pool, campaign_id=c.id, name="a.csv", source_filename="a.csv")
    await pool.execute("INSERT INTO leads (campaign_id, list_id, phone_e164, first_name, fields)"
                       " VALUES ($1, $2, '+84901234567', 'An', $3)", c.id, lst.id, columns)
    return c.id


async def test_a_template_naming_a_column_of_its_campaigns_leads_is_saved_and_read_back(db_pool) -> None:
    tet = await campaign_with_columns(db_pool, "Tết", {"plan": "Vàng", "ngày sinh": "01/02/1990"})
    saved = await repo.save_template(db_pool, template=SmsTemplate(
        0, " Nhắc hẹn ", "Chào {{ lead.first_name }}, gói {{ lead.plan }} ({{ lead['ngày sinh'] }})", plain=True,
        campaign_id=tet), by=None, now=NOW)
    assert saved.id > 0 and saved.name == "Nhắc hẹn" and saved.updated_at == NOW
    assert await repo.get_template(db_pool, saved.id) == saved


async def test_a_column_of_another_campaign_is_an_unknown_field_and_nothing_is_stored(db_pool) -> None:
    tet = await campaign_with_columns(db_pool, "Tết", {"plan": "Vàng"})
    await campaign_with_columns(db_pool, "Hè", {"voucher": "X1"})
    with pytest.raises(TemplateRefused) as caught:
        await repo.save_template(db_pool, template=SmsTemplate(0, "t", "Mã {{ lead.voucher }}", campaign_id=tet),
                                 by=None, now=NOW)
    assert caught.value.field == "voucher"
    assert await repo.list_templates(db_pool) == []
    # a template for every campaign may name a column that some campaign's lists have
    await repo.save_template(db_pool, template=SmsTemplate(0, "t", "Mã {{ lead.voucher }}"), by=None, now=NOW)


async def test_names_are_unique_per_campaign_and_updates_keep_the_id(db_pool) -> None:
    tet = await campaign_with_columns(db_pool, "Tết", {})
    first = await repo.save_template(db_pool, template=SmsTemplate(0, "Cảm ơn", "Cảm ơn!", campaign_id=tet),
                                     by=None, now=NOW)
    with pytest.raises(TemplateRefused) as caught:
        await repo.save_template(db_pool, template=SmsTemplate(0, "cảm ơn", "x", campaign_id=tet), by=None, now=NOW)
    assert caught.value.code == "name_taken" and caught.value.field == "name"
    await repo.save_template(db_pool, template=SmsTemplate(0, "Cảm ơn", "Cảm ơn bạn"), by=None, now=NOW)  # global
    changed = await repo.save_template(db_pool, template=SmsTemplate(first.id, "Cảm ơn", "Xin cảm ơn",
                                                                      campaign_id=tet), by=None, now=NOW)
    assert changed.id == first.id and changed.body == "Xin cảm ơn"
    assert [t.campaign_id for t in await repo.list_templates(db_pool, usable_in=tet)] == [None, tet]
    await repo.delete_template(db_pool, template_id=first.id)
    with pytest.raises(TemplateNotFound):
        await repo.get_template(db_pool, first.id)
