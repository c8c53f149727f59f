"""Inbound queues as immutable values: every setting a team lead gives a queue, checked at save naming the field.

A ``Queue`` holds the DIDs routed to it (E.164), its business hours (weekly local intervals in the queue's
own zone, a holiday calendar and closed dates; ``campaigns.queue_hours.is_open``), what a caller gets when
it is closed, the routing strategy (skills widen to lower levels as the caller waits: ``SkillStep``), the
queue priority and VIP rules, the limits past which a caller is overflowed, wrap-up, the service-level
target, announcements, "press 1 to be called back", music on hold and the queue's dispositions.

``Queue.from_dict`` and ``Queue.validate`` refuse a bad setting with ``QueueError``: ``field`` is the
setting (the JSON key, also the form field), ``code`` and ``params`` let a page word it in the reader's
language (``admin_ui.queue_text``), and ``str(error)`` is ``"field: English detail"``. Values that reach
Asterisk (sounds, the voicemail box, the music-on-hold class, DIDs, the name) are checked as
``dialer.ami.header_values`` sends them. Whether the named sounds exist on the PBX is checked by the
caller at save (``dialer.sound_check.check_sound`` with the field name), as for a campaign's safe harbor.
Checks that need the other queues (a DID owned by another queue, an overflow loop) live in
``campaigns.queue_repository``; ``overflow_cycle`` is the pure part of the second.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import phonenumbers

from campaigns.errors import CampaignError
from campaigns.holidays import CALENDARS
from campaigns.model import DEFAULT_SAFE_HARBOR
from campaigns.windows import DAY_NAMES, Interval, WindowError, format_interval, is_zone, parse_interval
from dialer.ami.header_values import variable_header
from dialer.sound_names import unplayable_part

DEFAULT_CLOSED_SOUND = DEFAULT_SAFE_HARBOR        # "please-try-call-later": a core sound every Asterisk has
DEFAULT_OVERFLOW_SOUND = DEFAULT_SAFE_HARBOR
DEFAULT_PRESS1_SOUND = "vm-tocallback&vm-press&digits/1"   # core sounds: the "press 1 to be called back" offer
_MAILBOX = re.compile(r"[A-Za-z0-9_-]{1,40}(@[A-Za-z0-9_-]{1,40})?")
_MOH_CLASS = re.compile(r"[A-Za-z0-9_-]{1,40}")
_LEAD_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_DISPOSITION_CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")


class QueueError(CampaignError):
    """A queue setting is refused: ``field`` names it, ``code``/``params`` word it (English in ``ENGLISH``)."""

    def __init__(self, field: str, code: str, **params: Any) -> None:
        self.field = field
        self.code = code
        self.params = params
        super().__init__(f"{field}: {ENGLISH[code].format(**params)}")


ENGLISH: dict[str, str] = {
    "name": "a queue needs a name of 1-200 characters, without line breaks",
    "name_taken": "a queue named {value!r} already exists",
    "did_format": "{value!r} is not a phone number with its country code (E.164, e.g. +842873001234)",
    "did_twice": "{value} is listed twice",
    "did_taken": "{value} already routes to queue {owner!r}; a number routes to one queue only, so queue "
                 "{queue!r} cannot have it too",
    "zone": "unknown time zone {value!r}; use an IANA name such as Asia/Ho_Chi_Minh",
    "hours": "{value!r} is not a list of hours; write HH:MM-HH:MM, separated by commas (e.g. 08:00-12:00, "
             "13:30-17:30), or leave empty for closed",
    "holidays": "unknown holiday calendar {value!r}; known: {known}",
    "date": "{value!r} is not a date (YYYY-MM-DD)",
    "choice": "{value!r} is not one of {choices}",
    "number": "{value!r} is not a whole number",
    "range": "{value} is out of range; give {low}-{high}",
    "sound": "{value!r} is not a sound name Playback can take (no blank, comma, quote, '|' or accented letter); "
             "use names from Asterisk's sounds folder without extension, e.g. please-try-call-later, joined by &",
    "sound_missing": "sound {value!r} not found on {server}",
    "mailbox": "{value!r} is not a voicemail box as VoiceMail takes it: box or box@context (letters, digits, "
               "_ and -)",
    "mailbox_needed": "a voicemail box is needed, since a caller can be sent to voicemail",
    "moh": "{value!r} is not a music-on-hold class (letters, digits, _ and -)",
    "moh_missing": "music-on-hold class {value!r} not found on {server} (musiconhold.conf); Asterisk would "
                   "play 'default' instead",
    "skill_steps": "{value!r}: write SECONDS:LEVEL steps separated by commas, the first at 0 s, waits rising and "
                   "levels 1-10 falling (e.g. 0:8, 30:5, 60:1)",
    "overflow_target_needed": "choose the queue to overflow to",
    "overflow_unknown": "there is no queue {value}",
    "overflow_cycle": "overflowing to {target!r} makes a loop: {cycle}",
    "overflow_in_use": "queue {value!r} cannot be deleted while other queues overflow to it: {users}",
    "callback_campaign_needed": "a callback request needs the campaign that places the callbacks",
    "callback_campaign_unknown": "there is no campaign {value}",
    "vip_number": "{value!r} is not a phone number with its country code (E.164)",
    "vip_field": "{value!r} is not a lead field name (letters, digits and _); give the field and its value "
                 "together",
    "disposition_line": "line {line}: write 'code | Label' (code: letters, digits, _ and -)",
    "disposition_twice": "the code {value!r} is listed twice",
    "disposition_label": "the label of {value!r} must be 1-100 characters on one line",
    "disposition_none": "give at least one",
    "announce_needed": "announcing position or wait needs an interval (every 15-600 seconds)",
    "limit_needed": "an action past the limits needs a limit (maximum callers waiting or maximum wait)",
    "asterisk": "{detail}",
    "agent_unknown": "user {value} is not an agent",
    "agent_other_site": "agent {value!r} works at site {agent_site!r}, not at {queue_site!r}, this queue's site; "
                        "choose an agent of {queue_site!r} (an admin can move the agent on the Sites page)",
    "level": "agent {value}: level {level} is out of range; give 1-10",
}


class Strategy(str, enum.Enum):
    """Which ready agent takes the next caller of this queue."""

    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS_TODAY = "fewest_calls_today"
    SKILLS = "skills"               # highest level first, widening down the skill steps as the caller waits
    ROUND_ROBIN = "round_robin"


class ClosedAction(str, enum.Enum):
    """What a caller gets outside business hours."""

    MESSAGE = "message"             # the closed sound, then hang up
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"           # a callback request in the callback campaign


class OverflowAction(str, enum.Enum):
    """What a caller gets past the queue's limits (maximum callers waiting, maximum wait)."""

    NONE = "none"                   # no limit: callers wait until answered or they hang up
    QUEUE = "queue"                 # into another queue (its own rules then apply)
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    MESSAGE = "message"             # the overflow sound, then hang up


@dataclass(frozen=True, slots=True)
class SkillStep:
    """From ``after_s`` seconds of waiting, agents with a level >= ``min_level`` may take the caller."""

    after_s: int
    min_level: int


@dataclass(frozen=True, slots=True)
class QueueDisposition:
    code: str
    label: str


DEFAULT_SKILL_STEPS = (SkillStep(0, 7), SkillStep(30, 4), SkillStep(60, 1))
DEFAULT_QUEUE_DISPOSITIONS = (QueueDisposition("resolved", "Resolved"),
                              QueueDisposition("follow_up", "Follow-up needed"),
                              QueueDisposition("wrong_queue", "Wrong queue"))
OFFICE_HOURS: tuple[tuple[Interval, ...], ...] = tuple(((480, 1080),) if d < 5 else () for d in range(7))


@dataclass(frozen=True, slots=True)
class Queue:
    """Every setting of one inbound queue (see README "Inbound queues" for what each means)."""

    id: int
    name: str
    dids: tuple[str, ...] = ()
    timezone: str = "UTC"
    weekly: tuple[tuple[Interval, ...], ...] = OFFICE_HOURS
    holiday_calendar: str | None = None
    closed_days: frozenset[date] = frozenset()
    closed_action: ClosedAction = ClosedAction.MESSAGE
    closed_sound: str = ""
    strategy: Strategy = Strategy.LONGEST_IDLE
    skill_steps: tuple[SkillStep, ...] = DEFAULT_SKILL_STEPS
    priority: int = 0                      # 0-100: higher queues' callers go first to an agent serving both
    vip_priority: int = 0                  # 0-100 added to a VIP caller's priority
    vip_lead_field: str = ""
    vip_lead_value: str = ""
    max_waiting: int | None = None         # callers waiting; the next one is overflowed
    max_wait_s: int | None = None          # a caller waiting this long is overflowed
    overflow_action: OverflowAction = OverflowAction.NONE
    overflow_queue_id: int | None = None
    overflow_sound: str = ""
    voicemail_box: str = ""
    callback_campaign_id: int | None = None
    wrapup_s: int = 10
    sl_target: float = 0.80                # share of offered callers answered within sl_threshold_s
    sl_threshold_s: int = 20
    announce_every_s: int | None = None    # None: no announcements (the default)
    announce_position: bool = False
    announce_wait: bool = False
    announce_min_agents: int = 0           # place and wait announced only in a queue this many agents serve
    press1_callback: bool = False
    press1_sound: str = ""                 # the offer heard while holding ("": DEFAULT_PRESS1_SOUND)
    moh_class: str = "default"
    dispositions: tuple[QueueDisposition, ...] = DEFAULT_QUEUE_DISPOSITIONS
    created_at: datetime | None = None

    @property
    def closed_sound_played(self) -> str:
        return self.closed_sound.strip() or DEFAULT_CLOSED_SOUND

    @property
    def overflow_sound_played(self) -> str:
        return self.overflow_sound.strip() or DEFAULT_OVERFLOW_SOUND

    def sounds(self) -> dict[str, str]:
        """Each sound setting this queue can play, by field (checked on the PBX at save)."""
        found = {}
        if self.closed_action is ClosedAction.MESSAGE or self.closed_sound.strip():
            found["closed_sound"] = self.closed_sound_played
        if self.overflow_action is OverflowAction.MESSAGE or self.overflow_sound.strip():
            found["overflow_sound"] = self.overflow_sound_played
        if self.press1_callback or self.press1_sound.strip():
            found["press1_sound"] = self.press1_sound.strip() or DEFAULT_PRESS1_SOUND
        return found

    def min_skill_level(self, waited_s: float) -> int:
        """The lowest agent level that may take a caller who has waited ``waited_s`` (1 unless strategy is skills)."""
        if self.strategy is not Strategy.SKILLS:
            return 1
        level = self.skill_steps[0].min_level
        for step in self.skill_steps:
            if waited_s >= step.after_s:
                level = step.min_level
        return level

    def is_vip(self, *, on_vip_list: bool, lead_fields: Mapping[str, Any] | None = None) -> bool:
        """A caller is VIP when their number is on the queue's VIP list, or their lead's ``vip_lead_field``
        holds ``vip_lead_value`` (compared as text, blanks and case ignored)."""
        if on_vip_list:
            return True
        if not self.vip_lead_field or not lead_fields or self.vip_lead_field not in lead_fields:
            return False
        return str(lead_fields[self.vip_lead_field]).strip().casefold() == self.vip_lead_value.strip().casefold()

    def caller_priority(self, *, vip: bool) -> int:
        """A caller's priority points: the queue's priority, plus its VIP priority for a VIP (aging is the router's)."""
        return self.priority + (self.vip_priority if vip else 0)

    def as_dict(self) -> dict[str, Any]:
        """Every setting as JSON-ready data (the shape ``from_dict`` reads)."""
        return {
            "id": self.id, "name": self.name, "dids": list(self.dids), "timezone": self.timezone,
            "hours": {DAY_NAMES[i]: ", ".join(format_interval(iv) for iv in ivs) for i, ivs in enumerate(self.weekly)},
            "holiday_calendar": self.holiday_calendar,
            "closed_days": sorted(d.isoformat() for d in self.closed_days),
            "closed_action": self.closed_action.value, "closed_sound": self.closed_sound,
            "strategy": self.strategy.value, "skill_steps": skill_steps_text(self.skill_steps),
            "priority": self.priority, "vip_priority": self.vip_priority,
            "vip_lead_field": self.vip_lead_field, "vip_lead_value": self.vip_lead_value,
            "max_waiting": self.max_waiting, "max_wait_s": self.max_wait_s,
            "overflow_action": self.overflow_action.value, "overflow_queue_id": self.overflow_queue_id,
            "overflow_sound": self.overflow_sound, "voicemail_box": self.voicemail_box,
            "callback_campaign_id": self.callback_campaign_id, "wrapup_s": self.wrapup_s,
            "sl_target_pct": _plain(round(self.sl_target * 100, 2)), "sl_threshold_s": self.sl_threshold_s,
            "announce_every_s": self.announce_every_s, "announce_position": self.announce_position,
            "announce_wait": self.announce_wait, "announce_min_agents": self.announce_min_agents,
            "press1_callback": self.press1_callback,
            "press1_sound": self.press1_sound,
            "moh_class": self.moh_class,
            "dispositions": [{"code": d.code, "label": d.label} for d in self.dispositions],
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, id: int = 0) -> Queue:
        """A queue from JSON-shaped ``data`` (missing keys take the defaults), validated."""
        base = cls(id=id, name="")
        hours = data.get("hours")
        if hours is not None and not isinstance(hours, Mapping):
            raise QueueError("hours", "hours", value=hours)
        for day in hours or {}:
            if day not in DAY_NAMES:
                raise QueueError("hours", "choice", value=day, choices=", ".join(DAY_NAMES))
        weekly = tuple(_hours(day, (hours or {}).get(day, "")) for day in DAY_NAMES) if hours is not None \
            else base.weekly
        queue = cls(
            id=id, name=_text(data, "name"), dids=_dids(data.get("dids") or ()),
            timezone=_text(data, "timezone", base.timezone), weekly=weekly,
            holiday_calendar=_text(data, "holiday_calendar") or None,
            closed_days=frozenset(_date("closed_days", d) for d in _items(data.get("closed_days"))),
            closed_action=_choice(data, "closed_action", ClosedAction, base.closed_action),
            closed_sound=_text(data, "closed_sound"),
            strategy=_choice(data, "strategy", Strategy, base.strategy),
            skill_steps=parse_skill_steps(data["skill_steps"]) if data.get("skill_steps") else base.skill_steps,
            priority=_int(data, "priority", 0, 100, base.priority),
            vip_priority=_int(data, "vip_priority", 0, 100, base.vip_priority),
            vip_lead_field=_text(data, "vip_lead_field"), vip_lead_value=_text(data, "vip_lead_value"),
            max_waiting=_int(data, "max_waiting", 1, 1000, None),
            max_wait_s=_int(data, "max_wait_s", 10, 7200, None),
            overflow_action=_choice(data, "overflow_action", OverflowAction, base.overflow_action),
            overflow_queue_id=_int(data, "overflow_queue_id", 1, 2**62, None),
            overflow_sound=_text(data, "overflow_sound"), voicemail_box=_text(data, "voicemail_box"),
            callback_campaign_id=_int(data, "callback_campaign_id", 1, 2**62, None),
            wrapup_s=_int(data, "wrapup_s", 0, 600, base.wrapup_s),
            sl_target=_number(data, "sl_target_pct", 1, 100, base.sl_target * 100) / 100,
            sl_threshold_s=_int(data, "sl_threshold_s", 1, 600, base.sl_threshold_s),
            announce_every_s=_int(data, "announce_every_s", 15, 600, None),
            announce_position=bool(data.get("announce_position", False)),
            announce_wait=bool(data.get("announce_wait", False)),
            announce_min_agents=_int(data, "announce_min_agents", 0, 1000, 0),
            press1_callback=bool(data.get("press1_callback", False)),
            press1_sound=_text(data, "press1_sound"),
            moh_class=_text(data, "moh_class", "default") or "default",
            dispositions=_dispositions(data["dispositions"]) if data.get("dispositions") is not None
            else base.dispositions,
            created_at=data.get("created_at") if isinstance(data.get("created_at"), datetime) else None,
        )
        return queue.validate()

    def with_settings(self, data: Mapping[str, Any]) -> Queue:
        """A copy with the settings present in ``data`` changed (id and created_at kept), validated; ``hours``
        changes only the weekdays it names."""
        current = self.as_dict()
        merged = {**current, **{k: v for k, v in data.items() if k not in ("id", "created_at")}}
        if isinstance(data.get("hours"), Mapping):
            merged["hours"] = {**current["hours"], **data["hours"]}
        return replace(Queue.from_dict(merged, id=self.id), created_at=self.created_at)

    def validate(self) -> Queue:
        """Self, after checking every setting that needs no other queue; ``QueueError`` names the bad one."""
        if not self.name.strip() or len(self.name) > 200:
            raise QueueError("name", "name")
        _asterisk("name", "DIALER_QUEUE_NAME", self.name)
        if not is_zone(self.timezone):
            raise QueueError("timezone", "zone", value=self.timezone)
        if len(self.weekly) != 7:
            raise QueueError("hours", "hours", value=self.weekly)
        if self.holiday_calendar is not None and self.holiday_calendar not in CALENDARS:
            raise QueueError("holiday_calendar", "holidays", value=self.holiday_calendar, known=", ".join(CALENDARS))
        for key, sound in (("closed_sound", self.closed_sound), ("overflow_sound", self.overflow_sound),
                           ("press1_sound", self.press1_sound)):
            _check_sound(key, sound)
        if self.voicemail_box and not _MAILBOX.fullmatch(self.voicemail_box):
            raise QueueError("voicemail_box", "mailbox", value=self.voicemail_box)
        uses_voicemail = (self.closed_action is ClosedAction.VOICEMAIL
                          or self.overflow_action is OverflowAction.VOICEMAIL)
        if uses_voicemail and not self.voicemail_box:
            raise QueueError("voicemail_box", "mailbox_needed")
        if not _MOH_CLASS.fullmatch(self.moh_class):
            raise QueueError("moh_class", "moh", value=self.moh_class)
        check_skill_steps(self.skill_steps, text=skill_steps_text(self.skill_steps))
        if bool(self.vip_lead_field) != bool(self.vip_lead_value) or (
                self.vip_lead_field and not _LEAD_FIELD.fullmatch(self.vip_lead_field)):
            raise QueueError("vip_lead_field", "vip_field", value=self.vip_lead_field)
        if self.overflow_action is OverflowAction.QUEUE:
            if self.overflow_queue_id is None:
                raise QueueError("overflow_queue_id", "overflow_target_needed")
            if self.id and self.overflow_queue_id == self.id:
                raise QueueError("overflow_queue_id", "overflow_cycle", target=self.name,
                                 cycle=f"{self.name} → {self.name}")
        if self.overflow_action is not OverflowAction.NONE and self.max_waiting is None and self.max_wait_s is None:
            raise QueueError("overflow_action", "limit_needed")
        wants_callback = (self.closed_action is ClosedAction.CALLBACK or self.press1_callback
                          or self.overflow_action is OverflowAction.CALLBACK)
        if wants_callback and self.callback_campaign_id is None:
            raise QueueError("callback_campaign_id", "callback_campaign_needed")
        if (self.announce_position or self.announce_wait) and self.announce_every_s is None:
            raise QueueError("announce_every_s", "announce_needed")
        if not 0.01 <= self.sl_target <= 1.0:
            raise QueueError("sl_target_pct", "range", value=round(self.sl_target * 100, 2), low=1, high=100)
        codes = [d.code for d in self.dispositions]
        if not codes:
            raise QueueError("dispositions", "disposition_none")
        for code in codes:
            if codes.count(code) > 1:
                raise QueueError("dispositions", "disposition_twice", value=code)
        for d in self.dispositions:
            if not 1 <= len(d.label) <= 100 or any(ord(c) < 32 for c in d.label):
                raise QueueError("dispositions", "disposition_label", value=d.code)
        seen: set[str] = set()
        for did in self.dids:
            if did in seen:
                raise QueueError("dids", "did_twice", value=did)
            seen.add(did)
        return self


def _plain(number: float) -> float | int:
    """90.0 -> 90 (what a person typed), 92.5 stays."""
    return int(number) if float(number).is_integer() else number


def _asterisk(key: str, variable: str, value: str) -> None:
    """Refuse a value no AMI ``Variable:`` header carries whole (a line break, over 1024 bytes)."""
    try:
        variable_header(variable, value)
    except ValueError as exc:
        raise QueueError(key, "asterisk", detail=str(exc)) from None


def _check_sound(key: str, sound: str) -> None:
    if (part := unplayable_part(sound)) is not None:
        raise QueueError(key, "sound", value=part)
    _asterisk(key, "DIALER_QUEUE_SOUND", sound)


def normalise_number(text: str, key: str, code: str = "did_format") -> str:
    """``text`` as E.164 (it must carry its country code, + or 00); else ``QueueError(key, code)``."""
    raw = str(text).strip()
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise QueueError(key, code, value=str(text).strip()) from None
    if not phonenumbers.is_valid_number(parsed):
        raise QueueError(key, code, value=str(text).strip())
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _dids(values: Any) -> tuple[str, ...]:
    return tuple(normalise_number(v, "dids") for v in _items(values))


def parse_numbers(text: str, key: str, code: str) -> tuple[str, ...]:
    """Numbers typed one per line or separated by commas, as E.164 (duplicates kept for the caller to judge)."""
    return tuple(normalise_number(v, key, code) for v in _items(text))


def _items(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        return [v.strip() for v in re.split(r"[,\n;]", values) if v.strip()]
    return [str(v).strip() for v in values if str(v).strip()]


def _text(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    return default if value is None else str(value).strip()


def _choice(data: Mapping[str, Any], key: str, kind: type[enum.Enum], default: Any) -> Any:
    value = data.get(key)
    if value in (None, ""):
        return default
    try:
        return kind(value)
    except ValueError:
        raise QueueError(key, "choice", value=value, choices=", ".join(str(m.value) for m in kind)) from None


def _number(data: Mapping[str, Any], key: str, low: float, high: float, default: float | None) -> Any:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        raise QueueError(key, "number", value=value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise QueueError(key, "number", value=value) from None
    if not low <= number <= high:
        raise QueueError(key, "range", value=value, low=low, high=high)
    return number


def _int(data: Mapping[str, Any], key: str, low: int, high: int, default: int | None) -> Any:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise QueueError(key, "number", value=value)
    try:
        number = int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise QueueError(key, "number", value=value) from None
    if not low <= number <= high:
        raise QueueError(key, "range", value=value, low=low, high=high)
    return number


def _hours(day: str, text: Any) -> tuple[Interval, ...]:
    parts = text if isinstance(text, (list, tuple)) else str(text or "").split(",")
    try:
        return tuple(sorted(parse_interval(str(p)) for p in parts if str(p).strip()))
    except WindowError:
        raise QueueError(f"hours.{day}", "hours", value=str(text)) from None


def _date(key: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise QueueError(key, "date", value=text) from None


def skill_steps_text(steps: Sequence[SkillStep]) -> str:
    return ", ".join(f"{s.after_s}:{s.min_level}" for s in steps)


def parse_skill_steps(text: Any) -> tuple[SkillStep, ...]:
    """``"0:8, 30:5, 60:1"`` (or a list of ``{"after_s", "min_level"}``) -> skill steps, checked."""
    steps: list[SkillStep] = []
    try:
        if isinstance(text, str):
            for part in (p for p in text.split(",") if p.strip()):
                after, level = part.split(":")
                steps.append(SkillStep(int(after), int(level)))
        else:
            steps = [SkillStep(int(s["after_s"]), int(s["min_level"])) for s in text]
    except (ValueError, TypeError, KeyError):
        raise QueueError("skill_steps", "skill_steps", value=str(text)) from None
    return check_skill_steps(tuple(steps), text=str(text))


def check_skill_steps(steps: tuple[SkillStep, ...], *, text: str) -> tuple[SkillStep, ...]:
    ok = bool(steps) and steps[0].after_s == 0 and all(1 <= s.min_level <= 10 for s in steps) and all(
        a.after_s < b.after_s and a.min_level > b.min_level for a, b in itertools.pairwise(steps))
    if not ok:
        raise QueueError("skill_steps", "skill_steps", value=text)
    return steps


def _dispositions(value: Any) -> tuple[QueueDisposition, ...]:
    """``[{"code", "label"}]`` or text lines ``code | Label``."""
    found: list[QueueDisposition] = []
    if isinstance(value, str):
        for number, line in enumerate(value.splitlines(), start=1):
            if not line.strip():
                continue
            code, _, label = (p.strip() for p in line.partition("|"))
            if not _DISPOSITION_CODE.fullmatch(code):
                raise QueueError("dispositions", "disposition_line", line=number)
            found.append(QueueDisposition(code, label or code))
    else:
        for number, item in enumerate(value, start=1):
            code = str(item.get("code", "")).strip() if isinstance(item, Mapping) else ""
            if not _DISPOSITION_CODE.fullmatch(code):
                raise QueueError("dispositions", "disposition_line", line=number)
            found.append(QueueDisposition(code, str(item.get("label") or code).strip()))
    if not found:
        raise QueueError("dispositions", "disposition_none")
    return tuple(found)


def overflow_cycle(queue_id: int, target_id: int | None, targets: Mapping[int, int | None]) -> tuple[int, ...] | None:
    """The loop ``queue_id -> target_id -> ...`` back to a queue already on the path, or None when it ends.

    ``targets`` maps each stored queue to the queue it overflows to (None: it does not overflow to a queue);
    ``queue_id``'s own entry is replaced by ``target_id``. The returned path starts and ends on the same queue.
    """
    path = [queue_id]
    current = target_id
    while current is not None:
        if current in path:
            return (*path[path.index(current):], current)
        path.append(current)
        current = targets.get(current)
    return None


def field_of(exc: CampaignError) -> str:
    """The setting a refusal names (``QueueError.field``), or "" for another error."""
    return exc.field if isinstance(exc, QueueError) else ""
