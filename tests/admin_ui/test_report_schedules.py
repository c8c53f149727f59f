"""Scheduled reports: a team lead schedules a report; at its time the scheduler writes the file (downloadable by its
owner only) and mails it through a real SMTP server (a small one written here, on a real port) as an attachment."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import io
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import python_calamine

from admin_ui import report_schedules
from admin_ui.report_schedules import Mailer, next_run
from dialer.users import Role
from tests.admin_ui.test_pages_reports import add_record, seeded, sign_in
from tests.admin_ui.test_pages_timesheets import csrf


class SmtpServer:
    """Enough of RFC 5321 to take mail: EHLO/HELO, AUTH PLAIN (RFC 4954), MAIL, RCPT, DATA (dot-unstuffed), RSET,
    NOOP, QUIT."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[str, str]] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        say("220 test-smtp ready")
        sender, rcpts = "", []
        while line := await reader.readline():
            verb = line.decode().strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250-test-smtp\r\n250-AUTH PLAIN\r\n250 8BITMIME" if verb == "EHLO" else "250 test-smtp")
            elif verb == "AUTH":
                _, user, password = base64.b64decode(line.decode().split()[2]).decode().split("\0")
                self.logins.append((user, password))
                say("235 2.7.0 authenticated")
            elif verb == "MAIL":
                sender, rcpts = line.decode().split(":", 1)[1].strip(), []
                say("250 ok")
            elif verb == "RCPT":
                rcpts.append(line.decode().split(":", 1)[1].strip())
                say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                await writer.drain()
                body = bytearray()
                while (chunk := await reader.readline()) != b".\r\n":
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                self.messages.append((sender, rcpts, bytes(body)))
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                await writer.drain()
                break
            else:
                say("250 ok")
            await writer.drain()
        writer.close()


def test_next_run_is_the_wall_clock_time_in_the_zone() -> None:
    after = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)             # a Saturday
    daily = next_run(frequency="daily", weekday=None, at_time=time(7, 0), zone="Asia/Ho_Chi_Minh", after=after)
    assert daily == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)      # 07:00 in Ho Chi Minh City (UTC+7)
    weekly = next_run(frequency="weekly", weekday=0, at_time=time(7, 0), zone="Europe/Paris", after=after)
    assert weekly == datetime(2026, 3, 30, 5, 0, tzinfo=UTC)     # Monday 07:00 in Paris, summer time since Sunday
    same_day = next_run(frequency="daily", weekday=None, at_time=time(13, 0), zone="UTC", after=after)
    assert same_day == datetime(2026, 3, 28, 13, 0, tzinfo=UTC)
    assert next_run(frequency="daily", weekday=None, at_time=time(12, 0), zone="UTC", after=after) == \
        datetime(2026, 3, 29, 12, 0, tzinfo=UTC)                 # strictly after


async def test_a_scheduled_report_is_written_mailed_and_downloaded_by_its_owner(browser_client, make_user, services,
                                                                              tmp_path) -> None:
    campaign, agent = await seeded(services, make_user)
    await add_record(services.pool, campaign_id=campaign.id, agent_id=agent.id, outcome="handled",
                     disposition="=HYPERLINK(\"http://x\")", at=datetime.now(UTC) - timedelta(minutes=3), talk_s=10)
    lead = await make_user(Role.TEAM_LEAD, "sched-lead")
    await sign_in(browser_client, lead.username)
    page = (await browser_client.get("/reports/schedules")).text
    assert "no SMTP server is set" in page

    refused = await browser_client.post("/reports/schedules", data={
        "csrf_token": csrf(page), "name": "Daily dispositions", "kind": "dispositions", "campaign": str(campaign.id),
        "days": "1", "format": "xlsx", "frequency": "weekly", "weekday": "", "at": "07:00", "zone": "UTC"})
    assert refused.status_code == 422 and 'data-field="weekday"' in refused.text
    assert "a weekly report needs its weekday" in refused.text
    bad_mail = await browser_client.post("/reports/schedules", data={
        "csrf_token": csrf(page), "name": "x", "kind": "dispositions", "days": "1", "format": "xlsx",
        "frequency": "daily", "at": "07:00", "zone": "Mars/Olympus", "email": "boss@example.com"})
    assert bad_mail.status_code == 422 and 'data-field="zone"' in bad_mail.text
    made = await browser_client.post("/reports/schedules", data={
        "csrf_token": csrf(page), "name": "Daily dispositions", "kind": "dispositions", "campaign": str(campaign.id),
        "days": "1", "format": "xlsx", "frequency": "daily", "at": "07:00", "zone": "Asia/Ho_Chi_Minh",
        "email": "boss@example.com, lead@example.com"})
    assert made.status_code == 303
    [schedule] = await report_schedules.list_schedules(services.pool, owner_id=lead.id)
    assert schedule.next_run_at.astimezone(UTC).time() == time(0, 0)       # 07:00 in Ho Chi Minh City

    smtp = SmtpServer()
    port = await smtp.start()
    try:
        due = schedule.next_run_at
        # the run is planned for the next 07:00; the period is the day before it: put it around our records
        await services.pool.execute("UPDATE report_schedules SET next_run_at = $1 WHERE id = $2",
                                    datetime.now(UTC) + timedelta(minutes=1), schedule.id)
        now = datetime.now(UTC) + timedelta(minutes=2)
        mailer = Mailer("127.0.0.1", port, "dialer@example.com", user="reports", password="s3cret", timeout_s=10)
        files = await report_schedules.run_due(services.pool, now=now, out_dir=tmp_path / "reports", mailer=mailer)
        again = await report_schedules.run_due(services.pool, now=now, out_dir=tmp_path / "reports", mailer=mailer)
    finally:
        await smtp.stop()
    assert len(files) == 1 and again == []                     # made once; the next run is tomorrow 07:00 local
    [made_file] = files
    assert made_file.emailed_to == "boss@example.com, lead@example.com" and made_file.email_error == ""
    [schedule] = await report_schedules.list_schedules(services.pool, owner_id=lead.id)
    assert schedule.next_run_at > now and schedule.next_run_at.astimezone(UTC).time() == time(0, 0)
    assert due.astimezone(UTC).time() == time(0, 0)

    [(sender, rcpts, raw)] = smtp.messages
    assert smtp.logins == [("reports", "s3cret")]
    assert sender == "<dialer@example.com>" and rcpts == ["<boss@example.com>", "<lead@example.com>"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"].startswith("Daily dispositions (")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename().startswith("dispositions-") and attachment.get_filename().endswith(".xlsx")
    mailed = attachment.get_content()

    page = (await browser_client.get("/reports/schedules")).text
    assert f'href="/reports/files/{made_file.id}"' in page and "boss@example.com" in page
    download = await browser_client.get(f"/reports/files/{made_file.id}")
    assert download.status_code == 200 and download.content == mailed
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(download.content)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert rows[0][:5] == ["result", "label", "is_disposition", "conversion", "calls"]
    assert ["sale", "Sale", True, True, 2.0] == rows[1][:5]
    assert any(r[0] == '=HYPERLINK("http://x")' for r in rows)     # text, as typed: never a formula

    other = await make_user(Role.TEAM_LEAD, "other-lead")
    await sign_in(browser_client, other.username)
    assert (await browser_client.get(f"/reports/files/{made_file.id}")).status_code == 404
    agent_user = await make_user(Role.AGENT, "sched-agent")
    await sign_in(browser_client, agent_user.username)
    assert (await browser_client.get("/reports/schedules")).status_code == 403


async def test_a_mail_that_fails_leaves_the_file_and_says_why(make_user, services, tmp_path) -> None:
    lead = await make_user(Role.TEAM_LEAD, "fail-lead")
    fields = report_schedules.check_schedule(
        name="Hours", kind="hours", days="1", fmt="csv", frequency="daily", weekday="", at="07:00", zone="UTC",
        email="boss@example.com", kinds=("hours",))
    now = datetime.now(UTC)
    schedule = await report_schedules.create_schedule(services.pool, owner_id=lead.id, campaign_id=None,
                                                      queue_id=None, now=now - timedelta(days=2), **fields)
    closed = SmtpServer()
    port = await closed.start()
    await closed.stop()                                   # nobody listens there now
    [made] = await report_schedules.run_due(services.pool, now=now, out_dir=tmp_path,
                                            mailer=Mailer("127.0.0.1", port, "d@example.com", timeout_s=5))
    assert made.schedule_id == schedule.id and made.emailed_to == "" and "ConnectionRefusedError" in made.email_error
    assert (tmp_path / made.path.rsplit("/", 1)[1]).read_text().startswith("hour (UTC),attempts,")


async def test_a_team_leads_scheduled_file_shows_only_their_site(browser_client, make_user, services,
                                                                  tmp_path) -> None:
    from campaigns import repository
    from campaigns.model import Campaign
    from dialer import sites

    north, south = (await sites.create_site(services.pool, name="north"), await sites.create_site(services.pool,
                                                                                                  name="south"))
    now = datetime.now(UTC)
    for site, name in ((north, "North sales"), (south, "South sales")):
        campaign = await repository.create_campaign(services.pool, campaign=Campaign(
            id=0, name=name, trunk_template="PJSIP/{number}@c"))
        await sites.set_campaign_site(services.pool, campaign_id=campaign.id, site_id=site.id)
        await add_record(services.pool, campaign_id=campaign.id, agent_id=None, outcome="busy",
                         at=now - timedelta(hours=1))
    lead = await make_user(Role.TEAM_LEAD, "south-lead", site_id=south.id)
    manager = await make_user(Role.ADMIN, "head-office")
    fields = report_schedules.check_schedule(name="Campaigns", kind="campaigns", days="1", fmt="csv",
                                             frequency="daily", weekday="", at="07:00", zone="UTC", email="",
                                             kinds=("campaigns",))
    for owner in (lead, manager):
        await report_schedules.create_schedule(services.pool, owner_id=owner.id, campaign_id=None, queue_id=None,
                                               now=now - timedelta(days=2), **fields)
    await services.pool.execute("UPDATE report_schedules SET next_run_at = $1", now)
    made = {f.owner_id: f for f in await report_schedules.run_due(services.pool, now=now, out_dir=tmp_path,
                                                                  mailer=None)}
    lines = {owner: Path(f.path).read_text().splitlines()[1:] for owner, f in made.items()}
    assert [line.split(",")[0] for line in lines[lead.id]] == ["South sales"]
    assert sorted(line.split(",")[0] for line in lines[manager.id]) == ["North sales", "South sales"]
    await sign_in(browser_client, lead.username)
    page = (await browser_client.get("/reports/schedules")).text.split('id="schedule-form"')[1]
    assert "South sales" in page and "North sales" not in page          # only their site's campaigns to choose


def test_the_mailer_is_the_smtp_settings_or_none(services) -> None:
    from pydantic import SecretStr

    assert Mailer.from_settings(services.settings) is None                 # no DIALER_SMTP_HOST: files only
    settings = services.settings.model_copy(update={
        "smtp_host": "mail.example", "smtp_port": 2525, "smtp_user": "reports", "smtp_password": SecretStr("s3cret"),
        "smtp_starttls": True})
    assert Mailer.from_settings(settings) == Mailer("mail.example", 2525, "dialer@localhost", "reports", "s3cret", True)
