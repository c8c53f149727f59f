"""Scheduled reports: a team lead's report (kind, filters, period length) made daily or weekly at a local time in a
zone, written as a CSV or XLSX file to download from ``/reports/schedules``, and mailed as an attachment when an
SMTP server is set (``DIALER_SMTP_HOST`` and the others in ``dialer.settings``).

``next_run`` is the pure "when next" (the wall-clock time in the zone, across DST changes). ``run_due`` makes the
files of every schedule due at ``now``: each schedule is claimed by moving its ``next_run_at`` on compare-and-set
(so several processes make each file once), and its period is the ``days`` days up to the planned run time.
``running_report_scheduler`` runs it every minute in ``dialer serve`` on the services' clock, as
``sms.jobs.running_scheduler`` does for texts. A mail that fails is noted on the file (``email_error``), never
retried in a loop; the file is there either way.
"""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from admin_ui import report_kinds
from admin_ui.reports import Period
from dialer.users import Role

log = logging.getLogger(__name__)
FREQUENCIES = ("daily", "weekly")
FORMATS = ("csv", "xlsx")
MEDIA = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class ScheduleError(ValueError):
    """A schedule refused: ``field`` names the field, ``code`` the reason (``rs_err_<code>`` in admin_ui.i18n)."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field, self.code = field, code


@dataclass(frozen=True, slots=True)
class Schedule:
    id: int
    owner_id: int
    name: str
    kind: str
    campaign_id: int | None
    queue_id: int | None
    days: int
    format: str
    frequency: str
    weekday: int | None
    at_time: time
    zone: str
    email: str
    next_run_at: datetime


def next_run(*, frequency: str, weekday: int | None, at_time: time, zone: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` that the clock in ``zone`` reads ``at_time`` (on ``weekday``,
    Monday 0, when weekly). A time a DST change skips runs at the same wall time shifted by the gap (zoneinfo's
    fold rule); a repeated one runs once, at its first occurrence."""
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    day = local.date()
    for _ in range(16):
        candidate = datetime.combine(day, at_time, tzinfo=tz)
        if candidate > after and (frequency == "daily" or candidate.weekday() == weekday):
            return candidate
        day += timedelta(days=1)
    raise AssertionError("no run within 16 days")  # pragma: no cover - a week always has the weekday


def check_schedule(*, name: str, kind: str, days: str, fmt: str, frequency: str, weekday: str, at: str, zone: str,
                   email: str, kinds: tuple[str, ...]) -> dict[str, Any]:
    """The schedule's fields from a form, checked (``ScheduleError`` names the field)."""
    if not name.strip() or len(name) > 200:
        raise ScheduleError("name", "name")
    if kind not in kinds:
        raise ScheduleError("kind", "kind")
    if not days.strip().isdigit() or not 1 <= int(days) <= 366:
        raise ScheduleError("days", "days")
    if fmt not in FORMATS:
        raise ScheduleError("format", "format")
    if frequency not in FREQUENCIES:
        raise ScheduleError("frequency", "frequency")
    day = None
    if frequency == "weekly":
        if not weekday.strip().isdigit() or not 0 <= int(weekday) <= 6:
            raise ScheduleError("weekday", "weekday")
        day = int(weekday)
    try:
        at_time = time.fromisoformat(at.strip())
    except ValueError:
        raise ScheduleError("at", "at") from None
    try:
        ZoneInfo(zone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError("zone", "zone") from None
    addresses = [a.strip() for a in email.replace(";", ",").split(",") if a.strip()]
    if any(not _EMAIL_RE.match(a) for a in addresses):
        raise ScheduleError("email", "email")
    return {"name": name.strip(), "kind": kind, "days": int(days), "format": fmt, "frequency": frequency,
            "weekday": day, "at_time": at_time.replace(second=0, microsecond=0), "zone": zone.strip(),
            "email": ", ".join(addresses)}


def _schedule(r: Any) -> Schedule:
    return Schedule(r["id"], r["owner_id"], r["name"], r["kind"], r["campaign_id"], r["queue_id"], r["days"],
                    r["format"], r["frequency"], r["weekday"], r["at_time"], r["zone"], r["email"], r["next_run_at"])


async def create_schedule(pool: Any, *, owner_id: int, campaign_id: int | None, queue_id: int | None,
                          now: datetime, **fields: Any) -> Schedule:
    first = next_run(frequency=fields["frequency"], weekday=fields["weekday"], at_time=fields["at_time"],
                     zone=fields["zone"], after=now)
    row = await pool.fetchrow(
        "INSERT INTO report_schedules (owner_id, name, kind, campaign_id, queue_id, days, format, frequency, weekday,"
        " at_time, zone, email, next_run_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        " RETURNING *", owner_id, fields["name"], fields["kind"], campaign_id, queue_id, fields["days"],
        fields["format"], fields["frequency"], fields["weekday"], fields["at_time"], fields["zone"], fields["email"],
        first)
    return _schedule(row)


async def list_schedules(pool: Any, *, owner_id: int | None) -> list[Schedule]:
    """A team lead's own schedules (``owner_id``), or every one (None: admins)."""
    rows = await pool.fetch("SELECT * FROM report_schedules WHERE $1::bigint IS NULL OR owner_id = $1"
                            " ORDER BY next_run_at, id", owner_id)
    return [_schedule(r) for r in rows]


async def delete_schedule(pool: Any, *, schedule_id: int, owner_id: int | None) -> bool:
    done = await pool.execute("DELETE FROM report_schedules WHERE id = $1 AND ($2::bigint IS NULL OR owner_id = $2)",
                              schedule_id, owner_id)
    return not done.endswith(" 0")


@dataclass(frozen=True, slots=True)
class ReportFile:
    id: int
    schedule_id: int | None
    owner_id: int | None
    name: str
    path: str
    rows: int
    made_at: datetime
    emailed_to: str
    email_error: str


async def list_files(pool: Any, *, owner_id: int | None, limit: int = 200) -> list[ReportFile]:
    rows = await pool.fetch("SELECT * FROM report_files WHERE $1::bigint IS NULL OR owner_id = $1"
                            " ORDER BY made_at DESC, id DESC LIMIT $2", owner_id, limit)
    return [_file(r) for r in rows]


async def get_file(pool: Any, file_id: int) -> ReportFile | None:
    row = await pool.fetchrow("SELECT * FROM report_files WHERE id = $1", file_id)
    return _file(row) if row else None


def _file(r: Any) -> ReportFile:
    return ReportFile(r["id"], r["schedule_id"], r["owner_id"], r["name"], r["path"], r["rows"], r["made_at"],
                      r["emailed_to"], r["email_error"])


@dataclass(frozen=True, slots=True)
class Mailer:
    """The SMTP server reports are mailed through (``dialer.settings``: smtp_host, smtp_port, ...)."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Any) -> Mailer | None:
        host = getattr(settings, "smtp_host", None)
        if not host:
            return None
        password = getattr(settings, "smtp_password", None)
        return cls(host, settings.smtp_port, settings.smtp_from, settings.smtp_user or None,
                   password.get_secret_value() if password is not None else None, settings.smtp_starttls)

    def send(self, *, to: str, subject: str, body: str, filename: str, data: bytes, media: str) -> None:
        """Send one message with the file attached (blocking: run it in a thread)."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        main, sub = media.split("/", 1)
        message.add_attachment(data, maintype=main, subtype=sub, filename=filename)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


async def run_due(pool: asyncpg.Pool, *, now: datetime, out_dir: Path, mailer: Mailer | None) -> list[ReportFile]:
    """Make the file of every schedule due at ``now`` (and mail it); returns the files made."""
    made = []
    for row in await pool.fetch("SELECT * FROM report_schedules WHERE next_run_at <= $1 ORDER BY next_run_at, id", now):
        schedule = _schedule(row)
        following = next_run(frequency=schedule.frequency, weekday=schedule.weekday, at_time=schedule.at_time,
                             zone=schedule.zone, after=max(now, schedule.next_run_at))
        claimed = await pool.execute("UPDATE report_schedules SET next_run_at = $3 WHERE id = $1 AND next_run_at = $2",
                                     schedule.id, schedule.next_run_at, following)
        if claimed.endswith(" 0"):
            continue                       # another process took this run
        try:
            made.append(await make_file(pool, schedule, out_dir=out_dir, mailer=mailer, now=now))
        except Exception:                  # one bad schedule must not stop the others
            log.exception("scheduled report %s could not be made", schedule.id)
    return made


async def make_file(pool: asyncpg.Pool, schedule: Schedule, *, out_dir: Path, mailer: Mailer | None,
                    now: datetime) -> ReportFile:
    until = schedule.next_run_at
    period = Period(schedule.campaign_id, until - timedelta(days=schedule.days), until, schedule.zone,
                    queue_id=schedule.queue_id, site_id=await owner_site(pool, schedule.owner_id))
    table = await report_kinds.table(pool, schedule.kind, period, now=now)
    local = until.astimezone(ZoneInfo(schedule.zone))
    name = f"{schedule.kind}-{local:%Y%m%d-%H%M}.{schedule.format}"
    data = report_kinds.file_bytes(table, schedule.format, sheet=schedule.kind)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"schedule{schedule.id}-{local:%Y%m%d-%H%M%S}.{schedule.format}"
    await asyncio.to_thread(path.write_bytes, data)
    emailed, error = "", ""
    if mailer is not None and schedule.email:
        try:
            await asyncio.to_thread(
                mailer.send, to=schedule.email, subject=f"{schedule.name} ({local:%Y-%m-%d %H:%M} {schedule.zone})",
                body=f"{schedule.name}: {schedule.kind}, {schedule.days} day(s) to {local:%Y-%m-%d %H:%M} "
                     f"{schedule.zone}, {len(table.rows)} row(s).\n",
                filename=name, data=data, media=MEDIA[schedule.format])
            emailed = schedule.email
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("scheduled report %s: mail to %s failed: %s", schedule.id, schedule.email, error)
    row = await pool.fetchrow(
        "INSERT INTO report_files (schedule_id, owner_id, name, path, rows, made_at, emailed_to, email_error)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *", schedule.id, schedule.owner_id, name, str(path),
        len(table.rows), now, emailed, error)
    return _file(row)


async def owner_site(pool: Any, owner_id: int) -> int | None:
    """The site a schedule's owner sees (a team lead's own; None: every site), as on the report pages: a file
    made later never shows more than its owner may see then."""
    row = await pool.fetchrow("SELECT role, site_id FROM users WHERE id = $1", owner_id)
    return None if row is None or Role(row["role"]).every_site else row["site_id"]


def reports_dir(settings: Any) -> Path:
    return Path(settings.data_dir) / "reports"


async def run(services: Any, *, every_s: float) -> None:
    while True:
        try:
            await run_due(services.pool, now=services.clock.now(), out_dir=reports_dir(services.settings),
                          mailer=Mailer.from_settings(services.settings))
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("scheduled reports: %s", exc)
        await services.clock.sleep(every_s)


@asynccontextmanager
async def running_report_scheduler(services: Any, *, every_s: float = 60.0) -> AsyncIterator[asyncio.Task[None]]:
    """The report scheduler as a task of this process (``dialer serve``) for as long as the block runs."""
    task = asyncio.create_task(run(services, every_s=every_s), name="report-scheduler")
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
