"""The wallboard of several sites in Debian's chromium: a manager sees every site's status, with the one whose PBX is
down named in a banner; the site filter shows one site; the status follows the engines' heartbeats by itself."""

from __future__ import annotations

import pytest

from campaigns import repository
from campaigns.model import Campaign
from dialer import sites
from dialer.users import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"


async def test_a_manager_sees_which_site_is_down_on_the_wallboard_and_filters_one_site(
        live_server, open_page, make_user, services, ui) -> None:
    # live_server first: its page closes before the server stops (the server gives open pages 3 s anyway)
    pool = services.pool
    hanoi = await sites.create_site(pool, name="hanoi")
    campaign = await repository.create_campaign(pool, campaign=Campaign(id=0, name="Hanoi sales",
                                                                        trunk_template="Local/{digits}@carrier"))
    await sites.set_campaign_site(pool, campaign_id=campaign.id, site_id=hanoi.id)
    await pool.execute("UPDATE campaigns SET state = 'running' WHERE id = $1", campaign.id)
    await sites.report(pool, site_ids=[hanoi.id], engine_id="hanoi-1", pbx_up=False, detail="pbx-hanoi down")
    await sites.pause_site(pool, site=hanoi, at=services.clock.now())        # as hanoi's engine does
    await make_user(Role.MANAGER, "minh", display_name="Minh")

    page = await open_page(live_server.url)
    await ui.sign_in(page, "minh", PASSWORD)
    await page.goto("/wallboard")
    await page.wait_for_selector("#wb-site-status tr[data-site=hanoi][data-status=down]")
    banner = page.locator("#wb-sites p.site-down[data-site=hanoi]")
    assert "Site hanoi is down" in await banner.inner_text()
    assert "Hanoi sales" in await page.locator("#wb-site-paused").inner_text()
    await page.wait_for_selector("#wb-site-status tr[data-site=main][data-status=up]")   # the live engine's
    await ui.shot(page, "wallboard-site-down")

    await page.select_option("#site-filter select[name=site]", str(hanoi.id))          # one site
    await page.wait_for_url(f"**/wallboard?site={hanoi.id}")
    assert await page.locator("#wb-site-status tbody tr").count() == 1
    assert await page.locator("#wb-site-status tr[data-site=hanoi]").count() == 1

    await sites.report(pool, site_ids=[hanoi.id], engine_id="hanoi-1", pbx_up=True, detail="")   # PBX back
    await page.wait_for_selector("#wb-site-status tr[data-site=hanoi][data-status=up]", timeout=10_000)
    assert await page.locator("#wb-sites p.site-down").count() == 0
