"""Scheduled sends: which messages fall due now (pure), and the tick that makes them and sets senders to work.

Rules (``due_birthday``, ``due_before_callback``, ``due_at``), all on the one clock's ``now``:

* **Birthday** (``kind='birthday'``): the lead's column ``date_field`` holds a date (``YYYY-MM-DD``,
  ``DD/MM/YYYY``, ``DD/MM``, with ``-``, ``/`` or ``.``; ``parse_day``). The message is due from
  ``local_minute`` past midnight to the end of that day in the lead's zone (its first zone, else the
  campaign's); a 29 February birthday is kept on 28 February in other years. Its key holds the lead's local
  year, so it goes once a year; a day the scheduler never ran is not made up the next day.
* **Before a callback** (``kind='before_callback'``): due from ``hours_before`` hours before an open callback
  of the campaign until the callback's time; its key is the callback's, so a callback moved to a new row
  gets a new message, and the callback time is written in the customer's zone (``sms.context``).
* **At a date and time** (``kind='at'``): every recipient's message is made once ``send_at`` has passed.

``tick`` runs these over every active send, makes the due messages (``sms.bulk.materialise``: an existing key
is left alone, so two ticks or two schedulers make each message once), ends cancelled sends' leftovers, takes
back dead claims, and starts a drain job (``sms.jobs.drain_job``) for every send with due messages unless one
is already queued or running (a Redis key per send, refreshed by the running job). Quiet hours and opt-outs
are checked by the sender at hand-off, as for every message. ``run`` calls ``tick`` every ``every_s`` seconds
on the clock; ``dialer worker`` runs it (one tick per period across workers: a Redis lock).
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from campaigns.windows import WindowError, zone
from dialer.clock import Clock
from sms import bulk, outbox

log = logging.getLogger(__name__)

_ISO = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?\s*$")
_DMY = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{4}))?\s*$")


def parse_day(text: str) -> tuple[int, int] | None:
    """``(month, day)`` of a date as written in a lead's column, or None when it is not a date."""
    if not text:
        return None
    found = _ISO.match(text)
    if found:
        month, day = int(found.group(2)), int(found.group(3))
    else:
        found = _DMY.match(text)
        if not found:
            return None
        day, month = int(found.group(1)), int(found.group(2))
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:   # 2000: 29 Feb exists
        return None
    return month, day


def birthday_in(year: int, month: int, day: int) -> date:
    """The day a birthday is kept in ``year`` (29 February: 28 February in a common year)."""
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def due_birthday(day_text: str, zone_name: str, local_minute: int, now: datetime) -> int | None:
    """The lead's local year when its birthday message is due at ``now``, else None (module rules)."""
    parsed = parse_day(day_text)
    if parsed is None:
        return None
    try:
        local = now.astimezone(zone(zone_name))
    except WindowError:
        return None
    if local.date() != birthday_in(local.year, *parsed):
        return None
    return local.year if local.hour * 60 + local.minute >= local_minute else None


def due_before_callback(due_at: datetime, hours_before: float, now: datetime) -> bool:
    return due_at - timedelta(hours=hours_before) <= now < due_at


def due_at(send_at: datetime, now: datetime) -> bool:
    return now >= send_at


def _day_pattern(days: Sequence[date]) -> str:
    """A PostgreSQL regular expression a column must match to possibly be one of ``days`` (a cheap filter)."""
    alts = []
    for d in days:
        m, dd = f"0?{d.month}", f"0?{d.day}"
        alts.append(rf"^\s*\d{{4}}[-/.]{m}[-/.]{dd}([T ].*)?\s*$")
        alts.append(rf"^\s*{dd}[-/.]{m}([-/.]\d{{4}})?\s*$")
        if (d.month, d.day) == (2, 28):
            alts.append(r"^\s*\d{4}[-/.]0?2[-/.]29([T ].*)?\s*$")
            alts.append(r"^\s*29[-/.]0?2([-/.]\d{4})?\s*$")
    return "|".join(alts)


@dataclass(frozen=True, slots=True)
class TickResult:
    made: int                  # new messages
    drains_started: list[int | None]   # sends (None: messages outside any send) given a drain job
    finished: list[int]


Enqueue = Callable[[int | None], bool]     # start a drain for the send unless one is queued or running


async def tick(pool: asyncpg.Pool, *, now: datetime, enqueue: Enqueue, deduplicating: Sequence[str],
               lease_s: float = 120.0, prepare_grace_s: float = 300.0) -> TickResult:
    """One pass of the scheduler (module docstring)."""
    from campaigns.repository import get_campaign

    made = 0
    finished: list[int] = []
    await outbox.recover_stale(pool, now=now, lease_s=lease_s, deduplicating=deduplicating)
    sends = await pool.fetch("SELECT id FROM sms_sends WHERE state = 'active' ORDER BY id")
    for row in sends:
        send = await bulk.get_send(pool, send_id=row["id"])
        campaign = await get_campaign(pool, campaign_id=send.campaign_id)
        at_due = send.kind == "at" and send.send_at is not None and due_at(send.send_at, now)
        prepare_died = (send.kind == "bulk" and send.confirmed_at is not None
                        and now - send.confirmed_at > timedelta(seconds=prepare_grace_s))
        if send.prepared_at is None and (at_due or prepare_died):
            made += await bulk.materialise_all(pool, send_id=send.id, now=now)
        elif send.kind == "birthday":
            made += await _birthdays(pool, send, campaign, now)
        elif send.kind == "before_callback":
            made += await _callbacks(pool, send, campaign, now)
        await pool.execute("UPDATE sms_sends SET last_tick_at = $2 WHERE id = $1", send.id, now)
        if await bulk.finish_if_drained(pool, send_id=send.id, now=now):
            finished.append(send.id)
    for row in await pool.fetch("SELECT id FROM sms_sends WHERE state = 'cancelled' AND EXISTS ("
                                " SELECT 1 FROM sms_messages m WHERE m.send_id = sms_sends.id"
                                " AND m.status = 'pending' AND m.claim_token IS NULL)"):
        await outbox.cancel_pending(pool, send_id=row["id"], now=now)
    due = await pool.fetch(
        """SELECT DISTINCT send_id FROM sms_messages
           WHERE direction = 'out' AND status = 'pending' AND claim_token IS NULL
             AND (scheduled_for IS NULL OR scheduled_for <= $1)""", now)
    started = [r["send_id"] for r in due if enqueue(r["send_id"])]
    return TickResult(made, started, finished)


async def _birthdays(pool: asyncpg.Pool, send: bulk.Send, campaign: Any, now: datetime) -> int:
    if send.date_field is None or send.local_minute is None:
        return 0
    today = now.date()
    pattern = _day_pattern([today - timedelta(days=1), today, today + timedelta(days=1)])
    ids = [r["id"] for r in await pool.fetch(
        "SELECT id FROM leads WHERE campaign_id = $1 AND fields ->> $2 ~ $3", send.campaign_id, send.date_field,
        pattern)]
    if not ids:
        return 0
    made = 0
    async for chunk in bulk.recipients(pool, send, lead_ids=ids):
        items = []
        for r in chunk:
            zone_name = (r.zones or (campaign.timezone,))[0]
            year = due_birthday(str(r.lead["fields"].get(send.date_field, "")), zone_name, send.local_minute, now)
            if year is not None:
                items.append((r, bulk.message_key(send.id, lead_id=r.lead_id, year=year)))
        if items:
            made += await bulk.materialise(pool, send, campaign, items, now=now, scheduled_for=now)
    return made


async def _callbacks(pool: asyncpg.Pool, send: bulk.Send, campaign: Any, now: datetime) -> int:
    hours = send.hours_before or 0.0
    rows = await pool.fetch(
        """SELECT id, lead_id, due_at FROM callbacks WHERE campaign_id = $1 AND done_at IS NULL
           AND due_at > $2 AND due_at - make_interval(secs => $3::float8) <= $2::timestamptz""",
        send.campaign_id, now, hours * 3600.0)
    due = [r for r in rows if due_before_callback(r["due_at"], hours, now)]
    if not due:
        return 0
    by_lead: dict[int, list[asyncpg.Record]] = {}
    for r in due:
        by_lead.setdefault(r["lead_id"], []).append(r)
    made = 0
    async for chunk in bulk.recipients(pool, send, lead_ids=list(by_lead)):
        items, when = [], {}
        for r in chunk:
            for cb in by_lead.get(r.lead_id, ()):
                key = bulk.message_key(send.id, callback_id=cb["id"])
                items.append((r, key))
                when[key] = cb["due_at"]
        made += await bulk.materialise(pool, send, campaign, items, now=now, scheduled_for=now, callbacks=when)
    return made


async def run(pool: asyncpg.Pool, *, clock: Clock, enqueue: Enqueue, deduplicating: Sequence[str],
              every_s: float = 30.0, may_tick: Callable[[], bool] = lambda: True) -> None:
    """Tick every ``every_s`` seconds on ``clock`` for ever; ``may_tick`` says whether this process's turn has
    come (a lock shared by several workers). An error in one tick is logged; the next tick tries again."""
    while True:
        try:
            if may_tick():
                result = await tick(pool, now=clock.now(), enqueue=enqueue, deduplicating=deduplicating)
                if result.made or result.drains_started:
                    log.info("sms scheduler: %d messages made, drains started for %s", result.made,
                             result.drains_started)
        except Exception:      # the top of a background task: logged with its stack, the next tick tries again
            log.exception("sms scheduler tick failed")
        await clock.sleep(every_s)
