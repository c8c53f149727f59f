"""Reports in Debian's chromium: results under their disposition labels (not codes), chart labels that do
not overlap however many bars there are, and wide tables that scroll instead of widening the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaigns import repository
from campaigns.model import Campaign, Pacing
from campaigns.retry_policy import Disposition
from dialer.users import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
DISPOSITIONS = (Disposition("sale", "Sale"), Disposition("ni", "Not interested in any offer at all"),
                Disposition("wrong", "Wrong number or unknown person"), Disposition("dnc", "Asked not to be called"),
                Disposition("later", "Call back next week", final=False))

# every label's box in each chart, and whether any two of them intersect
OVERLAPS = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const boxes = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect());
  let hits = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) hits++;
  }
  return {labels: boxes.length, overlaps: hits};
})"""


async def test_reports_show_labels_and_their_charts_do_not_overlap(open_page, live_server, make_user, services,
                                                                   ui) -> None:
    await make_user(Role.TEAM_LEAD, "lena", display_name="Lena")
    agent = await make_user(Role.AGENT, "an", display_name="An")
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="Layout", trunk_template="PJSIP/{number}@c", pacing=Pacing(target_abandon=0.03),
        dispositions=DISPOSITIONS))
    now = datetime.now(UTC)
    codes = [d.code for d in DISPOSITIONS]
    for n in range(7 * 24):          # a call every hour for a week: 168 bars on the hour chart
        at = now - timedelta(hours=n, minutes=5)
        await services.pool.execute(
            "INSERT INTO call_records (campaign_id, agent_id, engine_id, leg_id, direction, phone_e164, originated_at,"
            " answered_at, ready_at, connected_at, ended_at, wrap_end_at, outcome, disposition)"
            " VALUES ($1, $2, 'e', $3, 'outbound', '+33612345678', $4, $4, $4, $4, $5, $5, 'handled', $6)",
            campaign.id, agent.id, f"leg-{n}", at, at + timedelta(seconds=60), codes[n % len(codes)])
    await services.pool.execute(
        "INSERT INTO call_records (campaign_id, engine_id, leg_id, direction, phone_e164, originated_at, ended_at,"
        " outcome) VALUES ($1, 'e', 'leg-busy', 'outbound', '+33612345678', $2, $2, 'busy')", campaign.id, now)

    page = await open_page(live_server.url)
    await ui.sign_in(page, "lena", PASSWORD)
    await page.goto(f"/reports?campaign={campaign.id}&days=7&by=hour")
    rows = await page.locator("#report-dispositions tbody tr td:first-child").all_inner_texts()
    assert "Not interested in any offer at all" in rows and "Busy" in rows and "ni" not in rows and "busy" not in rows
    charts = await page.evaluate(OVERLAPS)
    assert len(charts) == 2 and all(c["labels"] > 0 for c in charts)
    assert [c["overlaps"] for c in charts] == [0, 0], charts
    await ui.shot(page, "reports-labels")

    await page.set_viewport_size({"width": 420, "height": 860})
    assert [c["overlaps"] for c in await page.evaluate(OVERLAPS)] == [0, 0]
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    await ui.shot(page, "reports-narrow")
    assert page.errors == []


async def test_no_page_is_wider_than_a_narrow_screen(open_page, live_server, services, ui) -> None:
    campaign = await repository.create_campaign(services.pool, campaign=Campaign(
        id=0, name="A campaign with a rather long name for a narrow screen", trunk_template="PJSIP/{number}@c",
        dispositions=DISPOSITIONS))
    page = await open_page(live_server.url)
    await ui.sign_in(page, "admin", ui.admin_password)
    await page.set_viewport_size({"width": 420, "height": 860})
    too_wide = {}
    for path in ("/campaigns", f"/campaigns/{campaign.id}", "/campaigns/new", "/reports", "/wallboard", "/dnc",
                 "/dnc/audit", "/compliance", "/admin/users", "/simulations", "/no-such-page"):
        await page.goto(path)
        overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            too_wide[path] = overflow
            await ui.shot(page, "too-wide-" + path.strip("/").replace("/", "-"))
    await page.goto(f"/campaigns/{campaign.id}")
    await ui.shot(page, "campaign-page-narrow")
    await page.set_viewport_size({"width": 1280, "height": 860})
    await ui.shot(page, "campaign-page")
    await page.goto("/no-such-page")
    await ui.shot(page, "not-found")
    assert too_wide == {}
