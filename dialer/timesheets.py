"""Time sheets: how each agent's signed-in time was spent, per day, from the ``agent_history`` segments (issue 18).

Pure: ``dialer.timesheet_repository`` reads the rows and the corrections; this decides the figures.

- A ``Span`` is one ``agent_history`` row: an agent in one activity (``connecting``, ``ready``, ``reserved``,
  ``on_call``, ``wrap_up``, ``paused`` with its pause code; None: a row written before activities were kept)
  from ``start`` to ``end`` (an open row is closed by the reader as ``dialer.agent_history`` counts it).
- Days are cut at midnight in the time zone the sheet is asked for (``zone``): a shift across midnight is two
  days. Every boundary is first cut to the whole second (floor), so the figures are whole seconds and add up
  exactly.
- ``logged_in_s`` is the time covered by the agent's segments that day (their union: sign-in to sign-out, each
  stretch once); the parts (ready, reserved, connecting, talk, wrap-up, each pause reason, and
  ``unspecified`` for rows without an activity) add up to it to the second when the history has no overlap,
  which ``DaySheet.balanced`` says.
- ``first_login`` / ``last_logout`` are the day's first segment start and last segment end, both within the day
  (a shift from yesterday starts at midnight); ``last_logout`` is None while the agent is still signed in.
- ``calls`` counts the calls the agent talked on (``call_records.connected_at``) that day.
- A team is a campaign: ``team_totals`` sums, per campaign the agents worked in, every agent's and day's
  figures over the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# the figures a team lead can correct, and the parts of the logged-in time
FIGURES = ("first_login", "last_logout", "logged_in", "ready", "talk", "wrap_up", "paused", "calls")
CLOCK_FIGURES = ("first_login", "last_logout")     # seconds since the local midnight
ACTIVITY_PART = {"ready": "ready", "reserved": "reserved", "connecting": "connecting", "on_call": "talk",
                 "wrap_up": "wrap_up", None: "unspecified"}
PARTS = ("ready", "reserved", "connecting", "talk", "wrap_up", "unspecified")


@dataclass(frozen=True, slots=True)
class Span:
    user_id: int
    start: datetime
    end: datetime
    activity: str | None            # an AgentState value; "paused" with ``pause_reason``
    pause_reason: str | None = None
    campaign_id: int | None = None
    still_open: bool = False        # the row is open and its agent signed in now (``end`` is now)


@dataclass(slots=True)
class DaySheet:
    user_id: int
    day: date
    first_login: datetime | None = None     # in the sheet's zone
    last_logout: datetime | None = None     # None: still signed in at the end of what was read
    logged_in_s: int = 0
    parts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    paused: dict[str, int] = field(default_factory=dict)   # pause code -> seconds ("" : no code)
    calls: int = 0

    @property
    def paused_s(self) -> int:
        return sum(self.paused.values())

    @property
    def accounted_s(self) -> int:
        """Every part and pause: equals ``logged_in_s`` when the history adds up."""
        return sum(self.parts.values()) + self.paused_s

    @property
    def balanced(self) -> bool:
        return self.accounted_s == self.logged_in_s

    def figure(self, name: str) -> int | None:
        """A correctable figure's value (seconds; clock figures: since the local midnight; calls: a count)."""
        if name in CLOCK_FIGURES:
            moment = self.first_login if name == "first_login" else self.last_logout
            if moment is None:
                return None
            return moment.hour * 3600 + moment.minute * 60 + moment.second
        if name == "logged_in":
            return self.logged_in_s
        if name == "paused":
            return self.paused_s
        if name == "calls":
            return self.calls
        return self.parts[name]


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> Iterable[tuple[date, datetime, datetime]]:
    """[start, end) cut at each local midnight: (local day, piece start, piece end), in UTC."""
    day = start.astimezone(zone).date()
    while True:
        next_midnight = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
        if end <= next_midnight:
            yield day, start, end
            return
        if start < next_midnight:
            yield day, start, next_midnight
        start = max(start, next_midnight)
        day += timedelta(days=1)


def day_sheets(spans: Iterable[Span], call_starts: Iterable[tuple[int, datetime]], zone: str) -> list[DaySheet]:
    """Each agent's days (see the module docstring), ordered by agent and day."""
    tz = ZoneInfo(zone)
    sheets: dict[tuple[int, date], DaySheet] = {}
    pieces: dict[tuple[int, date], list[tuple[datetime, datetime, bool]]] = defaultdict(list)
    for span in spans:
        start, end = _second(span.start.astimezone(UTC)), _second(span.end.astimezone(UTC))
        if end <= start:
            continue
        for day, a, b in _days(start, end, tz):
            sheet = sheets.setdefault((span.user_id, day), DaySheet(span.user_id, day))
            seconds = int((b - a).total_seconds())
            if span.activity == "paused":
                reason = span.pause_reason or ""
                sheet.paused[reason] = sheet.paused.get(reason, 0) + seconds
            else:
                part = ACTIVITY_PART.get(span.activity, "unspecified")
                sheet.parts[part] += seconds
            pieces[(span.user_id, day)].append((a, b, span.still_open and b == end))
    for key, stretch in pieces.items():
        sheet = sheets[key]
        stretch.sort()
        covered, reach = 0, None
        for a, b, _ in stretch:               # the union of the pieces: each second signed in counted once
            if reach is None or a > reach:
                covered += int((b - a).total_seconds())
                reach = b
            elif b > reach:
                covered += int((b - reach).total_seconds())
                reach = b
        sheet.logged_in_s = covered
        sheet.first_login = stretch[0][0].astimezone(tz)
        last = max(stretch, key=lambda p: p[1])
        sheet.last_logout = None if last[2] else last[1].astimezone(tz)
    for user_id, at in call_starts:
        day = at.astimezone(tz).date()
        sheet = sheets.get((user_id, day))
        if sheet is None:       # a call on a day with no segment (history kept from a later date): still counted
            sheet = sheets[(user_id, day)] = DaySheet(user_id, day)
        sheet.calls += 1
    return [sheets[k] for k in sorted(sheets)]


@dataclass(slots=True)
class Totals:
    """Sums of day sheets: per team (campaign) and period, or per agent over the period."""

    key: int | None
    agents: set[int] = field(default_factory=set)
    days: int = 0
    logged_in_s: int = 0
    parts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    paused: dict[str, int] = field(default_factory=dict)
    calls: int = 0

    @property
    def paused_s(self) -> int:
        return sum(self.paused.values())

    def add(self, sheet: DaySheet) -> None:
        self.agents.add(sheet.user_id)
        self.days += 1
        self.logged_in_s += sheet.logged_in_s
        for part, seconds in sheet.parts.items():
            self.parts[part] += seconds
        for reason, seconds in sheet.paused.items():
            self.paused[reason] = self.paused.get(reason, 0) + seconds
        self.calls += sheet.calls


def team_totals(spans: Iterable[Span], call_starts: Iterable[tuple[int, int | None, datetime]],
                zone: str) -> list[Totals]:
    """Per campaign (None: segments with no campaign): the day sheets of its segments and calls, summed.
    ``call_starts`` are (agent, campaign, connected at)."""
    by_team: dict[int | None, list[Span]] = defaultdict(list)
    for span in spans:
        by_team[span.campaign_id].append(span)
    calls: dict[int | None, list[tuple[int, datetime]]] = defaultdict(list)
    for user_id, campaign_id, at in call_starts:
        calls[campaign_id].append((user_id, at))
    result = []
    for team in sorted(set(by_team) | set(calls), key=lambda k: (k is None, k or 0)):
        totals = Totals(team)
        for sheet in day_sheets(by_team.get(team, []), calls.get(team, []), zone):
            totals.add(sheet)
        result.append(totals)
    return result


def agent_totals(sheets: Iterable[DaySheet]) -> list[Totals]:
    """Per agent over the period read."""
    by_agent: dict[int, Totals] = {}
    for sheet in sheets:
        by_agent.setdefault(sheet.user_id, Totals(sheet.user_id)).add(sheet)
    return [by_agent[k] for k in sorted(by_agent)]


@dataclass(frozen=True, slots=True)
class Correction:
    user_id: int
    day: date
    figure: str
    original: int | None
    corrected: int
    note: str
    corrected_by: str
    corrected_at: datetime


def latest_corrections(corrections: Iterable[Correction]) -> Mapping[tuple[int, date, str], Correction]:
    """The correction that counts per (agent, day, figure): the latest one (the earlier stay as the trail)."""
    latest: dict[tuple[int, date, str], Correction] = {}
    for c in corrections:
        key = (c.user_id, c.day, c.figure)
        if key not in latest or c.corrected_at >= latest[key].corrected_at:
            latest[key] = c
    return latest


def corrected_sum(sheets: Iterable[DaySheet], latest: Mapping[tuple[int, date, str], Correction],
                  figure: str) -> dict[int, int]:
    """Per agent, ``figure`` summed over its days with each day's correction in place of the original (what a
    team lead pays by); days without a correction count as recorded."""
    totals: dict[int, int] = {}
    for sheet in sheets:
        c = latest.get((sheet.user_id, sheet.day, figure))
        value = c.corrected if c is not None else sheet.figure(figure)
        totals[sheet.user_id] = totals.get(sheet.user_id, 0) + (value or 0)
    return totals


def parse_figure(figure: str, text: str) -> int:
    """A corrected value as typed: ``H:MM`` or ``H:MM:SS`` (a clock time or a duration) or a number of calls.
    Raises ValueError."""
    if figure not in FIGURES:
        raise ValueError(f"no figure {figure!r}")
    text = text.strip()
    if figure == "calls":
        value = int(text)
        if value < 0:
            raise ValueError("a count of calls is not negative")
        return value
    parts = text.split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError("write H:MM or H:MM:SS")
    hours, minutes, seconds = (int(p) for p in (*parts, "0")[:3])
    if minutes >= 60 or seconds >= 60:
        raise ValueError("minutes and seconds are below 60")
    value = hours * 3600 + minutes * 60 + seconds
    if value > 24 * 3600:
        raise ValueError("a day has 24 hours")
    return value


def hms(seconds: int | None) -> str:
    """Seconds as ``H:MM:SS`` ("" for None)."""
    if seconds is None:
        return ""
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
