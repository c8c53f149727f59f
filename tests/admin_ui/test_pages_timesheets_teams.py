"""Time sheets per team (campaign) and period: two agents in two teams over two days; the page's team filter shows
only that team's agents, the per-team table and the XLSX "Teams" sheet sum each team over the whole period, and the
CSV follows the same filter."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import python_calamine

from campaigns import repository
from campaigns.model import Campaign
from dialer.users import Role
from tests.admin_ui.test_pages_reports import sign_in

PERIOD = "from=2026-11-02&to=2026-11-03&tz=Asia/Ho_Chi_Minh"
DAY1 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)            # 08:00 in Ho Chi Minh City


async def a_team_day(pool, user_id: int, campaign_id: int, start: datetime, leg: str) -> None:  # type: ignore[no-untyped-def]
    """08:00 ready 1 h, talk 20 min, wrap-up 5 min, lunch 35 min, ready 2 h (4 h signed in) in ``campaign_id``."""
    at = start
    for activity, minutes, reason in (("ready", 60, None), ("on_call", 20, None), ("wrap_up", 5, None),
                                      ("paused", 35, "lunch"), ("ready", 120, None)):
        await pool.execute(
            "INSERT INTO agent_history (user_id, engine_id, state, pause_reason, activity, campaign_id, started_at,"
            " ended_at) VALUES ($1, 'e', $2, $3, $4, $5, $6, $7)", user_id,
            "paused" if activity == "paused" else "working", reason, activity, campaign_id, at,
            at + timedelta(minutes=minutes))
        at += timedelta(minutes=minutes)
    await pool.execute(
        "INSERT INTO call_records (agent_id, campaign_id, engine_id, leg_id, direction, phone_e164, originated_at,"
        " connected_at, ended_at, outcome) VALUES ($1, $2, 'e', $3, 'outbound', '+84987654321', $4, $4, $5, 'handled')",
        user_id, campaign_id, leg, start + timedelta(minutes=60), start + timedelta(minutes=80))


async def test_time_sheets_per_team_and_period_on_the_page_and_in_the_exports(browser_client, make_user,
                                                                               services) -> None:  # type: ignore[no-untyped-def]
    pool = services.pool
    north, south = [await repository.create_campaign(pool, campaign=Campaign(
        id=0, name=name, trunk_template="PJSIP/{number}@c", timezone="Asia/Ho_Chi_Minh")) for name in ("North", "South")]
    ann = await make_user(Role.AGENT, "tt-ann", display_name="Ann")
    bob = await make_user(Role.AGENT, "tt-bob", display_name="Bob")
    await a_team_day(pool, ann.id, north.id, DAY1, "leg-a1")                        # Ann: North, both days
    await a_team_day(pool, ann.id, north.id, DAY1 + timedelta(days=1), "leg-a2")
    await a_team_day(pool, bob.id, south.id, DAY1 + timedelta(days=1), "leg-b2")    # Bob: South, the second day
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD, "tt-lead")).username)

    # the whole period, every team: one row per team, summed over both days
    xlsx = await browser_client.get(f"/timesheets.xlsx?{PERIOD}")
    teams = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_name("Teams")
    head, *rows = teams.to_python()
    assert head[:5] == ["team", "agents", "agent_days", "logged_in_s", "ready_s"]
    by_team = {r[0]: dict(zip(head, r, strict=True)) for r in rows}
    assert set(by_team) == {"North", "South"}
    assert [by_team["North"][k] for k in ("agents", "agent_days", "logged_in_s", "ready_s", "talk_s", "wrap_up_s",
                                          "paused_s", "calls")] == [1, 2, 28800, 21600, 2400, 600, 4200, 2]
    assert [by_team["South"][k] for k in ("agents", "agent_days", "logged_in_s", "calls")] == [1, 1, 14400, 1]
    page = (await browser_client.get(f"/timesheets?{PERIOD}")).text
    team_table = page.split('id="ts-teams"')[1].split("</section>")[0]
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in team_table.split("<tr>")[2:]]
    assert ["North", "1", "2", "8:00:00", "6:00:00", "0:40:00", "0:10:00", "1:10:00", "2"] in cells
    assert ["South", "1", "1", "4:00:00", "3:00:00", "0:20:00", "0:05:00", "0:35:00", "1"] in cells

    # one team: only its agents' days, on the page and in the CSV
    page = (await browser_client.get(f"/timesheets?{PERIOD}&campaign={north.id}")).text
    assert f'data-agent="{ann.id}" data-day="2026-11-02"' in page and f'data-agent="{ann.id}" data-day="2026-11-03"' in page
    assert f'data-agent="{bob.id}"' not in page
    csv = (await browser_client.get(f"/timesheets.csv?{PERIOD}&campaign={south.id}")).text.splitlines()
    assert len(csv) == 2 and csv[1].startswith("Bob,2026-11-03,08:00:00,12:00:00,14400,")
