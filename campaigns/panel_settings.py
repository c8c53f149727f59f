"""What a team lead sets for the agent panel of a campaign, pure: keyboard shortcuts, pause codes, the agent script.

* **Shortcuts.** Actions are ``ready``, ``pause``, ``hangup``, ``recording`` (pause/resume the call's recording
  for a card payment) and ``disposition:<code>`` for each of the
  campaign's dispositions. A campaign stores only what the lead changed; ``effective_shortcuts`` lays it
  over ``DEFAULT_SHORTCUTS`` (R, P, H, M, and the digits 1..9, 0 for the first ten dispositions). A key is a
  letter, a digit or F1-F12 (not F5, which reloads the page), with optional ``Alt+`` and ``Shift+``
  (never Ctrl: the browser keeps Ctrl+W and friends); an empty key means no shortcut. Two actions on one
  key, an unknown action or an invalid key are refused naming ``shortcuts``. A default added later
  (``YIELDING_DEFAULTS``: M for ``recording``) gives way: a campaign whose lead gave M to another action before
  M was the recording's default keeps M for that action (and can be saved again); the recording then has no key
  until the lead gives it one (its button still works).
* **Pause codes.** ``PauseCode(code, label)``; an empty label means the panel's own translated text
  (``pause_<code>`` in ``admin_ui.i18n``) for the built-in codes. The panel offers these and the server
  accepts a pause only with one of them.
* **Agent script.** A Jinja2 template run in an ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``
  (no autoescape: the panel shows the text with ``textContent``, never as HTML). It may name the fields of
  ``SCRIPT_FIELDS`` and ``fields`` (the lead's own imported columns, ``{{ fields.plan }}``); another name
  is refused at save, naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from campaigns.errors import CampaignError

BASIC_ACTIONS = ("ready", "pause", "hangup", "recording")   # recording: pause/resume it for a card payment
DISPOSITION_PREFIX = "disposition:"
DEFAULT_SHORTCUTS: dict[str, str] = {"ready": "R", "pause": "P", "hangup": "H", "recording": "M"}
# defaults added after campaigns were saved with their own keys: one gives way to a lead's key for another action
YIELDING_DEFAULTS = ("recording",)
DISPOSITION_DIGITS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
_KEY = re.compile(r"(?:[A-Z0-9]|F(?:[1-9]|1[0-2]))")
_MODIFIERS = ("Alt", "Shift")

SCRIPT_FIELDS = ("first_name", "last_name", "phone", "postal_code", "agent_name", "campaign_name", "fields")
MAX_SCRIPT_CHARS = 20000
_PAUSE_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


@dataclass(frozen=True, slots=True)
class PauseCode:
    """A reason an agent may pause for: ``code`` is what the engine and the wallboard keep."""

    code: str
    label: str = ""          # empty: the panel's own translation of a built-in code

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PauseCode:
        return cls(str(data["code"]).strip(), str(data.get("label") or "").strip())


BUILT_IN_PAUSE_CODES = ("break", "lunch", "meeting", "training", "other")
DEFAULT_PAUSE_CODES = tuple(PauseCode(code) for code in BUILT_IN_PAUSE_CODES)


# --- shortcuts -------------------------------------------------------------------------------------

def normalise_key(text: str) -> str:
    """The canonical spelling of a key (``alt+shift+r`` -> ``Alt+Shift+R``), '' for none; ``CampaignError``
    naming shortcuts when it is not a key the panel can take."""
    parts = [p.strip() for p in text.strip().split("+")] if text.strip() else []
    if not parts:
        return ""
    key = parts[-1].upper()
    modifiers = {p.capitalize() for p in parts[:-1]}
    if not _KEY.fullmatch(key) or not modifiers <= set(_MODIFIERS) or len(modifiers) != len(parts) - 1:
        raise CampaignError(f"shortcuts: {text.strip()!r} is not a key the panel can use; use a letter, a digit or "
                            "F1-F12, optionally after Alt+ or Shift+ (e.g. R, 1, F2, Alt+R)")
    if key == "F5":
        raise CampaignError("shortcuts: F5 reloads the page; choose another key")
    return "+".join([m for m in _MODIFIERS if m in modifiers] + [key])


def effective_shortcuts(overrides: Mapping[str, str], disposition_codes: Iterable[str]) -> dict[str, str]:
    """Every action's key (defaults under the lead's ``overrides``), actions without a key left out. A default of
    ``YIELDING_DEFAULTS`` that the lead gave another action has no key."""
    keys = dict(DEFAULT_SHORTCUTS)
    for code, digit in zip(disposition_codes, DISPOSITION_DIGITS, strict=False):
        keys[DISPOSITION_PREFIX + code] = digit
    keys.update(overrides)
    leads_keys = {key for action, key in overrides.items() if key}
    for action in YIELDING_DEFAULTS:
        if action not in overrides and keys[action] in leads_keys:
            keys[action] = ""
    return {action: key for action, key in keys.items() if key}


def check_shortcuts(overrides: Mapping[str, str], disposition_codes: Iterable[str]) -> dict[str, str]:
    """``overrides`` with canonical keys; ``CampaignError`` naming shortcuts for an unknown action, a bad key
    or two actions on one key."""
    codes = list(disposition_codes)
    actions = set(BASIC_ACTIONS) | {DISPOSITION_PREFIX + c for c in codes}
    clean: dict[str, str] = {}
    for action, key in overrides.items():
        if action not in actions:
            raise CampaignError(f"shortcuts: unknown action {action!r}; the actions are ready, pause, hangup, recording and "
                                f"disposition:CODE for a disposition of this campaign")
        clean[action] = normalise_key(str(key))
    taken: dict[str, str] = {}
    for action, key in effective_shortcuts(clean, codes).items():
        if key in taken:
            raise CampaignError(f"shortcuts: {key!r} is given to both {taken[key]} and {action}")
        taken[key] = action
    return clean


def parse_shortcut_lines(text: str) -> dict[str, str]:
    """The form's shortcut lines ``action = key`` (``= `` alone: no shortcut) as overrides."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        action, sep, key = line.partition("=")
        if not sep or not action.strip():
            raise CampaignError(f"shortcuts: line {number}: write 'action = key', e.g. 'ready = R'")
        found[action.strip()] = key.strip()
    return found


# --- pause codes -----------------------------------------------------------------------------------

def check_pause_codes(codes: Iterable[PauseCode]) -> tuple[PauseCode, ...]:
    """The pause codes, checked: 1 to 30, unique, codes of lowercase letters, digits, _ and -."""
    found = tuple(codes)
    if not found or len(found) > 30:
        raise CampaignError("pause_codes: give between 1 and 30 pause codes")
    seen: set[str] = set()
    for pause in found:
        if not _PAUSE_CODE.fullmatch(pause.code):
            raise CampaignError(f"pause_codes: {pause.code!r} is not a code; use up to 32 lowercase letters, "
                                "digits, _ and -, e.g. coffee")
        if pause.code in seen:
            raise CampaignError(f"pause_codes: {pause.code!r} is given twice")
        if len(pause.label) > 60 or any(ord(c) < 32 for c in pause.label):
            raise CampaignError(f"pause_codes: the label of {pause.code!r} must be one line of at most 60 characters")
        seen.add(pause.code)
    return found


def parse_pause_lines(text: str) -> tuple[PauseCode, ...]:
    """The form's pause-code lines, ``code`` or ``code = Label``."""
    found = []
    for line in text.splitlines():
        if line.strip():
            code, _, label = line.partition("=")
            found.append(PauseCode(code.strip(), label.strip()))
    return check_pause_codes(found)


def pause_lines(codes: Iterable[PauseCode]) -> str:
    return "\n".join(f"{p.code} = {p.label}" if p.label else p.code for p in codes)


# --- the agent script ------------------------------------------------------------------------------

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def check_script(source: str) -> str:
    """``source`` if it is a template naming only ``SCRIPT_FIELDS``; else ``CampaignError`` naming agent_script
    and the unknown field (or the line of a syntax error)."""
    if len(source) > MAX_SCRIPT_CHARS:
        raise CampaignError(f"agent_script: at most {MAX_SCRIPT_CHARS} characters")
    try:
        names = meta.find_undeclared_variables(_ENV.parse(source))
    except TemplateSyntaxError as exc:
        raise CampaignError(f"agent_script: line {exc.lineno}: {exc.message}") from None
    unknown = sorted(names - set(SCRIPT_FIELDS))
    if unknown:
        raise CampaignError(f"agent_script: unknown field {unknown[0]!r}; the fields are "
                            f"{', '.join(SCRIPT_FIELDS)} (fields.NAME for a column of the lead's list)")
    return source


def render_script(source: str, values: Mapping[str, Any]) -> str:
    """The script with ``values`` filled in; ``CampaignError`` saying what is missing (e.g. a lead without
    the column a ``fields.NAME`` asks for) or what the sandbox refused."""
    try:
        return _ENV.from_string(source).render(**values)
    except TemplateError as exc:
        raise CampaignError(f"the script could not be filled in: {exc.message or exc}") from None
