"""Time sheets add up: per agent and day, ready + reserved + connecting + talk + wrap-up + pauses (+ rows with no
activity) = the time signed in, to the second, whatever the sequence of states; a shift across midnight is two
days; a dead engine's open row is closed as ``dialer.agent_history`` closes it; a correction is kept beside the
original."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer import timesheet_repository, timesheets
from dialer.timesheets import Span, day_sheets, hms, parse_figure, team_totals
from dialer.users import Role

ZONE = "Asia/Ho_Chi_Minh"            # UTC+7: local midnight is 17:00 UTC
T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)   # 08:00 local
ACTIVITIES = ("connecting", "ready", "reserved", "on_call", "wrap_up", "paused", None)


@st.composite
def histories(draw: st.DrawFn) -> list[Span]:
    """Sign-ins, each a run of contiguous segments (state changes at random sub-second times), with gaps."""
    spans, at = [], T0 + timedelta(seconds=draw(st.floats(0, 86_400)))
    for _ in range(draw(st.integers(1, 4))):                            # sessions
        for _ in range(draw(st.integers(1, 12))):                       # state changes in it
            end = at + timedelta(seconds=draw(st.floats(0, 20_000)))
            activity = draw(st.sampled_from(ACTIVITIES))
            reason = draw(st.sampled_from(["lunch", "training", None])) if activity == "paused" else None
            spans.append(Span(7, at, end, activity, reason, draw(st.sampled_from([3, 4]))))
            at = end
        at += timedelta(seconds=draw(st.floats(1, 50_000)))              # signed out a while
    return spans


@settings(max_examples=300, deadline=None)
@given(histories())
def test_any_sequence_of_states_adds_up_to_the_time_signed_in_for_every_day(spans: list[Span]) -> None:
    sheets = day_sheets(spans, [], ZONE)
    for sheet in sheets:
        assert sheet.accounted_s == sheet.logged_in_s, sheet
        assert sheet.balanced
        assert 0 < sheet.logged_in_s <= 86_400 or sheet.logged_in_s == 0
    # across days, nothing lost or counted twice: the whole-second length of each segment
    whole = sum(int((s.end.replace(microsecond=0) - s.start.replace(microsecond=0)).total_seconds()) for s in spans)
    assert sum(s.logged_in_s for s in sheets) == whole
    # the teams (campaigns) split the same time
    assert sum(t.logged_in_s for t in team_totals(spans, [], ZONE)) == whole


def test_a_shift_across_midnight_is_two_days_cut_at_the_local_midnight() -> None:
    evening = datetime(2026, 12, 7, 15, 0, 30, 400_000, tzinfo=UTC)   # 22:00:30.4 local
    spans = [Span(7, evening, evening + timedelta(hours=1), "ready"),                      # to 23:00:30
             Span(7, evening + timedelta(hours=1), evening + timedelta(hours=2, minutes=30), "on_call"),   # to 00:30:30
             Span(7, evening + timedelta(hours=2, minutes=30), evening + timedelta(hours=3), "paused", "lunch")]
    first, second = day_sheets(spans, [(7, evening + timedelta(hours=2))], ZONE)
    assert (first.day, second.day) == (date(2026, 12, 7), date(2026, 12, 8))
    assert first.first_login.strftime("%H:%M:%S") == "22:00:30" and first.last_logout.strftime("%H:%M:%S") == "00:00:00"
    assert first.logged_in_s == 3600 + 3570 and first.parts["ready"] == 3600 and first.parts["talk"] == 3570
    assert second.first_login.strftime("%H:%M:%S") == "00:00:00" and second.last_logout.strftime("%H:%M:%S") == "01:00:30"
    assert second.logged_in_s == 30 + 1800 + 1800 and second.parts["talk"] == 1830 and second.paused == {"lunch": 1800}
    assert (first.calls, second.calls) == (0, 1)          # the call connected at 00:00:30 local
    assert first.balanced and second.balanced


def test_overlapping_segments_do_not_balance_so_a_bad_history_shows() -> None:
    spans = [Span(7, T0, T0 + timedelta(minutes=10), "ready"), Span(7, T0 + timedelta(minutes=5),
                                                                     T0 + timedelta(minutes=15), "on_call")]
    (sheet,) = day_sheets(spans, [], ZONE)
    assert sheet.logged_in_s == 900 and sheet.accounted_s == 1200 and not sheet.balanced


def test_a_corrected_value_is_typed_as_a_clock_time_a_duration_or_a_count() -> None:
    assert parse_figure("last_logout", "17:30") == 17 * 3600 + 1800
    assert parse_figure("logged_in", "7:45:10") == 7 * 3600 + 45 * 60 + 10
    assert parse_figure("calls", " 42 ") == 42
    for figure, text in (("ready", "7:75"), ("ready", "abc"), ("calls", "-1"), ("ready", "25:00"), ("nope", "1:00")):
        with pytest.raises(ValueError):
            parse_figure(figure, text)
    assert hms(3725) == "1:02:05" and hms(None) == ""


# --- read from the database -------------------------------------------------------------------------------

async def test_a_dead_engines_open_row_ends_at_the_last_call_and_a_signed_in_agents_row_at_now(
        db_pool, make_user) -> None:  # type: ignore[no-untyped-def]
    ann, bob = (await make_user(Role.AGENT)).id, (await make_user(Role.AGENT)).id
    for user, engine in ((ann, "dead-engine"), (bob, "live-engine")):
        await db_pool.execute(
            "INSERT INTO agent_history (user_id, engine_id, campaign_id, state, activity, started_at, ended_at)"
            " VALUES ($1, $2, 3, 'working', 'ready', $3, $4)", user, engine, T0, T0 + timedelta(minutes=10))
        await db_pool.execute(
            "INSERT INTO agent_history (user_id, engine_id, campaign_id, state, activity, started_at)"
            " VALUES ($1, $2, 3, 'working', 'on_call', $3)", user, engine, T0 + timedelta(minutes=10))
    # ann's engine died; her last call ended (wrap-up done) at T0 + 25 min. bob is signed in now.
    await db_pool.execute(
        "INSERT INTO call_records (agent_id, campaign_id, engine_id, leg_id, direction, phone_e164, originated_at,"
        " connected_at, ended_at, wrap_end_at, outcome) VALUES ($1, 3, 'dead-engine', 'l-1', 'outbound',"
        " '+84987654321', $2, $2, $3, $4, 'handled')",
        ann, T0 + timedelta(minutes=10), T0 + timedelta(minutes=20), T0 + timedelta(minutes=25))
    await db_pool.execute("INSERT INTO agent_sessions (user_id, campaign_id, engine_id) VALUES ($1, 3, 'live-engine')",
                          bob)
    now = T0 + timedelta(hours=1)
    sheet = await timesheet_repository.read_sheet(db_pool, zone=ZONE, day_from=date(2026, 12, 7),
                                                  day_to=date(2026, 12, 7), now=now)
    by_agent = {s.user_id: s for s in sheet.days}
    assert by_agent[ann].logged_in_s == 25 * 60 and by_agent[ann].parts["talk"] == 15 * 60
    assert by_agent[ann].last_logout is not None and by_agent[ann].calls == 1
    assert by_agent[bob].logged_in_s == 60 * 60 and by_agent[bob].last_logout is None   # still signed in
    assert all(s.balanced for s in sheet.days)
    (team,) = sheet.teams
    assert team.key == 3 and team.logged_in_s == 85 * 60 and team.agents == {ann, bob} and team.calls == 1


async def test_a_correction_is_kept_beside_the_original_with_who_and_why_and_never_changes_the_history(
        db_pool, make_user) -> None:  # type: ignore[no-untyped-def]
    ann, lead = (await make_user(Role.AGENT)).id, await make_user(Role.TEAM_LEAD)
    await db_pool.execute(
        "INSERT INTO agent_history (user_id, engine_id, campaign_id, state, activity, started_at, ended_at)"
        " VALUES ($1, 'e', 3, 'working', 'ready', $2, $3)", ann, T0, T0 + timedelta(hours=9))
    before = [tuple(r) for r in await db_pool.fetch("SELECT * FROM agent_history ORDER BY id")]
    day = date(2026, 12, 7)
    original = await timesheet_repository.add_correction(
        db_pool, user_id=ann, day=day, zone=ZONE, figure="last_logout", corrected=17 * 3600, note="forgot to sign out",
        by=lead.id, at=T0 + timedelta(days=1))
    assert original == 17 * 3600     # 10:00 UTC = 17:00 local
    await timesheet_repository.add_correction(
        db_pool, user_id=ann, day=day, zone=ZONE, figure="logged_in", corrected=8 * 3600, note="left at 16:00",
        by=lead.id, at=T0 + timedelta(days=1, minutes=1))
    await timesheet_repository.add_correction(
        db_pool, user_id=ann, day=day, zone=ZONE, figure="logged_in", corrected=7 * 3600, note="left at 15:00",
        by=lead.id, at=T0 + timedelta(days=1, minutes=2))
    with pytest.raises(ValueError):
        await timesheet_repository.add_correction(db_pool, user_id=ann, day=day, zone=ZONE, figure="logged_in",
                                                  corrected=1, note="  ", by=lead.id, at=T0 + timedelta(days=1))
    sheet = await timesheet_repository.read_sheet(db_pool, zone=ZONE, day_from=day, day_to=day,
                                                  now=T0 + timedelta(days=2))
    (ann_day,) = sheet.days
    assert ann_day.logged_in_s == 9 * 3600                      # the figure from the history is unchanged
    counted = sheet.latest[(ann, day, "logged_in")]
    assert (counted.original, counted.corrected, counted.note) == (9 * 3600, 7 * 3600, "left at 15:00")
    assert counted.corrected_by == (lead.display_name or lead.username)
    assert [c.note for c in sheet.corrections] == ["left at 15:00", "left at 16:00", "forgot to sign out"]  # the trail
    assert [tuple(r) for r in await db_pool.fetch("SELECT * FROM agent_history ORDER BY id")] == before
    assert timesheets.FIGURES.index("logged_in") >= 0


async def test_the_engine_writes_one_row_per_state_change_each_closed_by_the_next(db_pool, make_user) -> None:  # type: ignore[no-untyped-def]
    from dialer import agents as agents_mod
    from dialer.agents import Agent, AgentState
    from dialer.calls import Pool, PoolKind
    from dialer.clock import VirtualClock
    from tests.dialer.test_agent_history import idle_engine, written

    ann = (await make_user(Role.AGENT)).id
    clock = VirtualClock(start=T0)
    engine = idle_engine(db_pool, clock)
    engine.agent_campaign[ann] = 3
    agent = Agent(agent_id=ann, pools=frozenset({Pool(PoolKind.CAMPAIGN, 3)}), state=AgentState.READY,
                  leg_id="leg-ann")
    engine.agents[ann] = agent
    engine.history.changed(None, agent)                        # signed in, ready, at T0
    for seconds, event in ((60, agents_mod.Pause("lunch")), (1800, agents_mod.Resume()), (10, agents_mod.Reserve(99))):
        await clock.advance(seconds)
        engine.apply_agent(ann, event)
    await written(engine)
    rows = [tuple(r) for r in await db_pool.fetch(
        "SELECT activity, pause_reason, started_at, ended_at FROM agent_history ORDER BY started_at")]
    at = [T0 + timedelta(seconds=s) for s in (0, 60, 1860, 1870)]
    assert rows == [("ready", None, at[0], at[1]), ("paused", "lunch", at[1], at[2]), ("ready", None, at[2], at[3]),
                    ("reserved", None, at[3], None)]     # a reservation is a segment of its own, open until the next


def test_a_periods_corrected_total_takes_each_days_latest_correction_in_place_of_its_original() -> None:
    spans = [Span(7, T0, T0 + timedelta(hours=8), "ready"), Span(7, T0 + timedelta(days=1),
                                                                 T0 + timedelta(days=1, hours=6), "ready")]
    first, second = day_sheets(spans, [], ZONE)
    at = datetime(2026, 12, 9, tzinfo=UTC)
    corrections = [timesheets.Correction(7, first.day, "logged_in", 8 * 3600, 9 * 3600, "late sign-in", "lead", at),
                   timesheets.Correction(7, first.day, "logged_in", 8 * 3600, 7 * 3600, "left early", "lead",
                                         at + timedelta(minutes=1))]
    latest = timesheets.latest_corrections(corrections)
    assert timesheets.corrected_sum([first, second], latest, "logged_in") == {7: 7 * 3600 + 6 * 3600}
