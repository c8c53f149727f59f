"""Inbound queues on the team lead's pages: the wallboard's queue tiles, the per-interval report and its CSV,
and the staffing page (forecast and agents needed), from call records written in the test."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import python_calamine

from campaigns import queue_repository
from campaigns.queues import Queue
from dialer.users import Role
from tests.admin_ui.test_pages_reports import sign_in
from tests.campaigns.test_queue_stats import add_inbound


def zone_away_from_midnight(now: datetime) -> str:
    """A time zone where ``now`` is not within an hour of midnight, so 'today' holds the last 15 minutes."""
    for name in ("UTC", "Asia/Ho_Chi_Minh", "America/New_York"):
        if 1 <= now.astimezone(ZoneInfo(name)).hour <= 22:
            return name
    raise AssertionError("unreachable: these zones are 5 and 7 hours apart")


async def hotline(services: Any, zone: str, **settings: Any) -> Queue:
    return await queue_repository.save_queue(services.pool, queue=Queue.from_dict(
        {"name": "Hotline", "timezone": zone, "sl_target_pct": 80, "sl_threshold_s": 15, **settings}))


async def five_callers(services: Any, queue: Queue, at: datetime) -> None:
    # answered after 5, 10 and 40 s (talk 100 s, wrap 20 s); left after 8 s (not counted) and after 30 s (late)
    for outcome, waited in (("handled", 5), ("handled", 10), ("handled", 40), ("abandoned", 8), ("abandoned", 30)):
        await add_inbound(services.pool, queue_id=queue.id, at=at, outcome=outcome, waited_s=waited, talk_s=100,
                          wrap_s=20)


async def test_the_wallboard_shows_each_queues_service_level_today_and_dashes_for_what_it_does_not_know(
        browser_client, make_user, services) -> None:
    now = datetime.now(UTC)
    queue = await hotline(services, zone_away_from_midnight(now))
    await five_callers(services, queue, now - timedelta(minutes=3))
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    page = (await browser_client.get("/wallboard")).text
    assert 'data-q="sl_today">50.0%' in page and 'data-q="sl_15">50.0%' in page   # 2 / (3 + 1)
    assert 'data-q="abandoned_today">2<' in page and 'data-q="asa_today">0:18<' in page
    assert 'data-q="waiting_now">—<' in page and 'data-q="estimated_wait">—<' in page   # no engine running here
    assert 'data-q="wait_error">—<' in page
    part = await browser_client.get("/wallboard/queues")
    assert part.status_code == 200 and 'data-q="sl_today">50.0%' in part.text


async def test_the_per_interval_report_and_its_csv_count_by_the_readme_rule(browser_client, make_user,
                                                                             services) -> None:
    now = datetime.now(UTC)
    queue = await hotline(services, "UTC")
    at = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0) - timedelta(hours=2)
    await five_callers(services, queue, at + timedelta(minutes=1))
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    csv = await browser_client.get(f"/reports/queues/{queue.id}.csv?days=1")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines() == [
        ("interval (UTC),offered,answered,answered_within_t,abandoned,abandoned_within_t,abandoned_after_t,"
         "service_level_pct,asa_s,aht_s,longest_wait_s,estimated_wait_callers,estimated_wait_mae_s,"
         "estimated_wait_p90_s"),
        f"{at:%Y-%m-%d %H:%M},5,3,2,2,1,1,50.0,18.3,120.0,40.0,0,,"]          # no estimate on these records
    # an interval whose answered callers carry the engine's estimate error (actual - estimate): -4 and +10 s
    later = at + timedelta(minutes=15)
    for error in (-4.0, 10.0):
        await add_inbound(services.pool, queue_id=queue.id, at=later + timedelta(minutes=1), outcome="handled",
                          waited_s=12, talk_s=60, wait_error_s=error)
    csv = await browser_client.get(f"/reports/queues/{queue.id}.csv?days=1")
    assert csv.text.splitlines()[2] == f"{later:%Y-%m-%d %H:%M},2,2,2,0,0,0,100.0,12.0,60.0,12.0,2,7.0,9.4"
    xlsx = await browser_client.get(f"/reports/queues/{queue.id}.xlsx?days=1")      # the same rows as XLSX
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert rows[0][:3] == ["interval (UTC)", "offered", "answered"]
    assert rows[2][:8] == [f"{later:%Y-%m-%d %H:%M}", 2.0, 2.0, 2.0, 0.0, 0.0, 0.0, 100.0]
    page = await browser_client.get(f"/reports/queues/{queue.id}?days=1")
    assert page.status_code == 200 and "<svg" in page.text and "50.0%" in page.text
    assert '<td class="num" data-col="est_error_mae">7.0</td><td class="num" data-col="est_error_p90">9.4</td>' in page.text
    assert "Wait est. error (s)" in page.text and "Estimated-wait error: for the answered callers" in page.text
    assert f'href="/reports/queues/{queue.id}?days=7"' in (await browser_client.get("/reports")).text
    assert (await browser_client.get("/reports/queues/999999")).status_code == 404


async def test_staffing_forecasts_the_same_weekday_and_needs_14_agents_for_10_erlangs_at_80_in_20(
        browser_client, make_user, services) -> None:
    now = datetime.now(UTC)
    queue = await hotline(services, "UTC", sl_threshold_s=20)
    today = now.date()
    for weeks in (1, 2):     # 50 calls at 10:00 on the same weekday, 180 s each (170 talk + 10 wrap)
        ten = datetime.combine(today - timedelta(weeks=weeks), datetime.min.time(), UTC) + timedelta(hours=10)
        for i in range(50):
            await add_inbound(services.pool, queue_id=queue.id, at=ten + timedelta(seconds=10 * i), outcome="handled",
                              waited_s=5, talk_s=170, wrap_s=10)
    lead = await make_user(Role.TEAM_LEAD)
    await sign_in(browser_client, lead.username)
    page = (await browser_client.get(f"/queues/{queue.id}/staffing?days=28&ahead=7")).text
    next_week: date = today + timedelta(weeks=1)
    assert (f'>{next_week.isoformat()}</td><td>10:00</td><td class="num">50.0</td><td class="num">180</td>'
            '<td class="num">14</td><td class="num">—</td>') in page        # Erlang A needs a measured patience
    assert "not measured yet (no caller abandoned)" in page and "<svg" in page
    forecast_lines = re.findall(r'<polyline class="series" data-series="([^"]+)" points="([^"]*)"', page)[:2]
    assert [name for name, _ in forecast_lines] == ["Agents needed (Erlang C)", "Agents needed (Erlang A)"]
    assert forecast_lines[0][1] and not forecast_lines[1][1]    # Erlang A needs a patience: no line yet
    assert "agent_history" in page                            # the logged-in column says where it comes from
    await services.pool.execute("UPDATE users SET language = 'vi' WHERE id = $1", lead.id)
    page_vi = (await browser_client.get(f"/queues/{queue.id}/staffing")).text
    assert "Số nhân viên cần (Erlang C)" in page_vi and "chưa đo được" in page_vi


async def test_erlang_a_uses_the_measured_patience_and_blended_agents_outbound_work_is_shown(
        browser_client, make_user, services) -> None:
    now = datetime.now(UTC)
    queue = await hotline(services, "UTC", sl_threshold_s=20)
    agent = await make_user(Role.AGENT)
    await queue_repository.set_queue_agents(services.pool, queue_id=queue.id, levels={agent.id: 5})
    nine = datetime.combine(now.date() - timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=9)
    for i in range(50):   # 40 answered after 30 s (180 s handle), 10 left after 120 s: patience (1200+1200)/10
        answered = i < 40
        await add_inbound(services.pool, queue_id=queue.id, at=nine + timedelta(seconds=15 * i),
                          outcome="handled" if answered else "abandoned", waited_s=30 if answered else 120,
                          talk_s=170, wrap_s=10)
    await services.pool.execute(   # the agent's outbound call in the same interval: 450 s = half an agent
        "INSERT INTO call_records (agent_id, engine_id, leg_id, direction, phone_e164, originated_at, connected_at,"
        " ended_at, wrap_end_at, outcome) VALUES ($1, 'e', 'out-1', 'outbound', '+84987654321', $2, $2, $3, $4,"
        " 'handled')", agent.id, nine + timedelta(minutes=2), nine + timedelta(minutes=9), nine + timedelta(seconds=570))
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    page = (await browser_client.get(f"/queues/{queue.id}/staffing")).text
    assert "240 s (mean, from 10 abandoned callers)" in page
    # 50 offered, AHT 180 s: 10 Erlangs; Erlang C 14; callers with 240 s patience leave, so fewer suffice
    from campaigns import staffing
    need_a = staffing.agents_erlang_a(50, 180, target=0.8, threshold_s=20, patience_s=240)
    assert need_a < 14
    assert (f'<td>09:00</td><td class="num">50</td><td class="num">180</td><td class="num">14</td>'
            f'<td class="num">{need_a}</td><td class="num" data-col="logged_in">—</td>'       # no sign-in history
            '<td class="num" data-col="paused">—</td><td class="num">0.50</td>') in page
    # the plot of the measured intervals: the needs by Erlang C and Erlang A beside the agents logged in
    series = re.findall(r'<polyline class="series" data-series="([^"]+)" points="([^"]*)"', page)
    names = [name for name, _ in series]
    assert names == ["Agents needed (Erlang C)", "Agents needed (Erlang A)", "Agents logged in"]
    assert all(points for name, points in series if name != "Agents logged in")   # no sign-in history: no line
    assert "Agents needed and agents logged in, per interval" in page


async def test_the_agents_logged_in_per_interval_come_from_the_sign_in_history_beside_the_agents_needed(
        browser_client, make_user, services) -> None:
    now = datetime.now(UTC)
    queue = await hotline(services, "UTC", sl_threshold_s=20)
    ann, bob = (await make_user(Role.AGENT)).id, (await make_user(Role.AGENT)).id
    nine = datetime.combine(now.date() - timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=9)
    for i in range(50):   # 50 calls of 180 s at 09:00: Erlang C needs 14
        await add_inbound(services.pool, queue_id=queue.id, at=nine + timedelta(seconds=15 * i), outcome="handled",
                          waited_s=5, talk_s=170, wrap_s=10)
    # ann works 09:00-09:30; bob 09:00-09:05, then paused until 09:15; an agent of another queue does not count
    for user, state, start, end, queues in (
            (ann, "working", 0, 30, [queue.id]), (bob, "working", 0, 5, [queue.id]),
            (bob, "paused", 5, 15, [queue.id]), (bob, "working", 0, 30, [queue.id + 1000])):
        await services.pool.execute(
            "INSERT INTO agent_history (user_id, engine_id, campaign_id, queue_ids, state, started_at, ended_at)"
            " VALUES ($1, 'e', 3, $2::bigint[], $3, $4, $5)", user, queues, state,
            nine + timedelta(minutes=start), nine + timedelta(minutes=end))
    await sign_in(browser_client, (await make_user(Role.TEAM_LEAD)).username)
    page = (await browser_client.get(f"/queues/{queue.id}/staffing")).text
    assert ('<td>09:00</td><td class="num">50</td><td class="num">180</td><td class="num">14</td><td class="num">—</td>'
            '<td class="num" data-col="logged_in">2.00</td><td class="num" data-col="paused">0.67</td>') in page
    # 09:15: nobody called, ann was there: 0 needed beside 1 logged in
    assert ('<td>09:15</td><td class="num">0</td><td class="num">—</td><td class="num">0</td><td class="num">0</td>'
            '<td class="num" data-col="logged_in">1.00</td><td class="num" data-col="paused">0.00</td>') in page


def test_the_estimated_wait_and_its_error_are_read_from_the_engines_board_only_when_it_gives_them() -> None:
    from admin_ui.routes.pages_staffing import LiveEstimate, _estimate

    board = {"queues": {"7": {"estimated_wait_s": 42.0, "agents_serving": 3,
                              "wait_error": {"callers": 3, "mae_s": 10.0, "p90_s": 18.0}},
                        "8": {"estimated_wait_s": None, "agents_serving": 0,
                              "wait_error": {"callers": 0, "mae_s": None, "p90_s": None}}}}
    assert _estimate(board, 7) == LiveEstimate(42.0, 10.0, 18.0, 3, 3)
    assert _estimate(board, 8) == LiveEstimate(None, None, None, 0, 0)       # nobody serves it: no estimate
    assert _estimate(board, 9) == LiveEstimate()                             # a queue the engine does not know: —
    assert _estimate(None, 7) == LiveEstimate()                              # no engine: —


def test_every_text_of_the_queue_wallboard_report_and_staffing_pages_is_in_english_and_vietnamese() -> None:
    import re
    import string
    from pathlib import Path

    from admin_ui.i18n import MESSAGES

    templates = Path(__file__).resolve().parents[2] / "admin_ui" / "templates"
    keys: set[str] = set()
    for name in ("wallboard_queues.html", "queue_report.html", "staffing.html"):
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""", (templates / name).read_text()))
    keys -= {"st_"}
    assert {"qs_sl_today", "qs_need_a", "qs_logged_in_note", "qs_est_error_mae", "qs_no_agent_serving"} <= keys
    for key in sorted(keys):
        assert MESSAGES[key].get("en") and MESSAGES[key].get("vi"), key
        names = [{f for _, f, _, _ in string.Formatter().parse(MESSAGES[key][lang]) if f} for lang in ("en", "vi")]
        assert names[0] == names[1], key
