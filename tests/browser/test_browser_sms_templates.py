"""A team lead writes an SMS template in Debian's chromium: the live counter turns from GSM-7 to UCS-2 when a
Vietnamese letter is typed (the count without diacritics stays GSM-7, side by side), the preview with a
real lead found by phone shows that lead's name, and the template is saved."""

from __future__ import annotations

import pytest

from campaigns import repository
from campaigns.model import Campaign
from dialer.users import Role
from sms import template_repository as repo

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


async def test_the_counter_switches_to_ucs2_on_a_vietnamese_letter_and_the_preview_shows_the_lead(  # type: ignore[no-untyped-def]
        new_page, ui, make_user, services) -> None:
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Tết", trunk_template="PJSIP/{number}@carrier", default_region="VN", timezone="Asia/Ho_Chi_Minh"))
    await services.pool.execute("INSERT INTO leads (campaign_id, phone_e164, first_name, last_name)"
                                " VALUES ($1, '+84987654321', 'Minh Thư', 'Trần')", campaign.id)
    lead = await make_user(Role.TEAM_LEAD, "thu")
    page = await new_page()
    await ui.sign_in(page, lead.username, PASSWORD)
    await page.goto("/sms/templates/new")
    written = page.locator("#count-as-written .count")
    plain = page.locator("#count-plain .count")

    await page.fill("input[name=name]", "Cảm ơn")
    await page.locator("textarea[name=body]").press_sequentially("Hello {{ lead.first_name }}", delay=5)
    # 27 characters, 31 septets: { and } are in GSM-7's extension table and count two each
    await ui.eventually(lambda: _starts(written, "GSM-7 · 31 "), what="GSM-7 as written")

    await page.locator("textarea[name=body]").press_sequentially(", cảm ơn", delay=5)   # ả and ơ are not GSM-7
    await ui.eventually(lambda: _starts(written, "UCS-2 · 35 "), what="UCS-2 after a Vietnamese letter")
    assert await plain.get_attribute("data-encoding") == "GSM-7"            # without diacritics: still GSM-7

    await page.fill("#preview-lead", "0987 654 321")
    await page.click("#preview-button")
    await ui.eventually(lambda: _text(page.locator("#preview-text"), "Hello Minh Thư, cảm ơn"), what="preview")
    assert "Minh Thư Trần" in await page.locator("#preview-who").inner_text()
    assert (await written.inner_text()).startswith("UCS-2 · 22 ")            # the lead's own message is counted

    await page.check("input[name=plain]")                                     # send without diacritics
    await ui.eventually(lambda: _text(page.locator("#preview-text"), "Hello Minh Thu, cam on"), what="plain")
    await ui.eventually(lambda: page.locator("#count-plain .will-send").is_visible(), what="plain is sent")
    assert not await page.locator("#count-as-written .will-send").is_visible()
    await ui.shot(page, "sms-template-editor")
    async with page.expect_navigation():
        await page.click("#save-template")
    assert "The template was saved." in await page.locator("p.notice.ok").inner_text() or \
        "The template was created." in await page.locator("p.notice.ok").inner_text()
    [saved] = await repo.list_templates(services.pool)
    assert (saved.name, saved.body, saved.plain) == ("Cảm ơn", "Hello {{ lead.first_name }}, cảm ơn", True)
    assert page.errors == []  # type: ignore[attr-defined]


async def _starts(locator, prefix: str) -> bool:  # type: ignore[no-untyped-def]
    return (await locator.inner_text()).startswith(prefix)


async def _text(locator, expected: str) -> bool:  # type: ignore[no-untyped-def]
    return await locator.inner_text() == expected
