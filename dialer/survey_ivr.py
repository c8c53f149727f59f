"""How a survey step is asked in ``dialer-survey`` and what an answer from there means, pure.

The engine runs a survey on a customer's channel one step at a time (``surveys.model.next_step``): for each step
it sets the channel variables of ``ivr_step`` with Setvar and Redirects the leg to the step's extension (``ask``:
Read, ``record``: Record, ``bye``: the closing prompt and the hang-up). The dialplan sends each answer at once as
``UserEvent(DialerSurveyAnswer)`` (``dialer.pbx_port.SurveyAnswered``), which ``survey_event`` turns into the state
machine's event. Each step carries a token, ``<question id>.<n>`` (``n`` counts the steps asked on that leg), so a
late answer to an earlier step is told apart and ignored.

A prompt is played as ``DIALER_SV_PRE`` (sounds before the first figure, not interruptible), ``DIALER_SV_NUM``
(that figure, said by SayNumber) and ``DIALER_SV_PROMPT`` (the sounds after it, which a key interrupts, as Read
plays them). A prompt without a figure is all ``DIALER_SV_PROMPT``, so a customer who knows the question can answer
at once. One figure per prompt: ``prompt_parts`` refuses a second (``IvrError``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dialer.pbx_port import SurveyAnswered
from surveys.model import (
    INTRO,
    Collect,
    Digits,
    Event,
    NoInput,
    Prompt,
    Recorded,
    Step,
)

EXT_ASK = "ask"
EXT_RECORD = "record"
EXT_BYE = "bye"
VAR_STEP = "DIALER_SV_STEP"
VAR_PRE = "DIALER_SV_PRE"
VAR_NUM = "DIALER_SV_NUM"
VAR_PROMPT = "DIALER_SV_PROMPT"
VAR_MAX = "DIALER_SV_MAX"
VAR_TIMEOUT = "DIALER_SV_TIMEOUT"
VAR_FILE = "DIALER_SV_FILE"
VAR_REC_S = "DIALER_SV_REC_S"
VAR_BYE = "DIALER_SV_BYE"
VAR_WAIT_S = "DIALER_SV_WAIT_S"
QUIET_BYE = "silence/1"       # an outro left empty: a breath of silence, then the hang-up
# RECORD_STATUS values that mean a spoken answer was kept (HANGUP too: Asterisk 22 says it at the longest time
# on a channel that sends no audio while the leg stays up, recording n1; a real hang-up sends no answer at all)
RECORDED = frozenset({"SILENCE", "TIMEOUT", "DTMF", "HANGUP", "SKIP"})


class IvrError(ValueError):
    """A step the dialplan cannot play (a prompt with two figures)."""


@dataclass(frozen=True, slots=True)
class IvrStep:
    """Set ``variables`` on the leg, then Redirect it to ``dialer-survey``, ``exten``."""

    exten: str
    variables: Mapping[str, str]
    token: str


def step_token(step: Step, n: int) -> str:
    where = step.question.id if step.question is not None else (step.progress.at or INTRO)
    return f"{where}.{n}"


def prompt_parts(prompt: Prompt, answers: Mapping[str, str | None],
                 upload_sound: Callable[[str], str]) -> tuple[str, str, str]:
    """(sounds before the figure, the figure, sounds after it), sounds ``&``-joined as Playback and Read take them.
    ``answer`` parts say the figure given to that question (nothing if it was skipped)."""
    before: list[str] = []
    after: list[str] = []
    figure: str | None = None
    for part in prompt:
        if part.kind in ("number", "answer"):
            value = part.value if part.kind == "number" else (answers.get(part.value) or "")
            if figure is not None:
                raise IvrError("a prompt says one figure at most (SayNumber once per step)")
            figure = value
            continue
        sound = upload_sound(part.value) if part.kind == "upload" else part.value
        (before if figure is None else after).append(sound)
    if figure is None:
        return "", "", "&".join(before)
    return "&".join(before), figure, "&".join(after)


def ivr_step(step: Step, n: int, *, answers: Mapping[str, str | None], upload_sound: Callable[[str], str],
             record_file: Callable[[str], str], wait_s: float) -> IvrStep:
    """The variables and extension of an ``ASK`` step (its ``collect``: digits with Read, record with Record)."""
    token = step_token(step, n)
    pre, num, rest = prompt_parts(step.prompt, answers, upload_sound)
    collect = step.collect or Collect("digits", 1, 1, 1)
    variables = {VAR_STEP: token, VAR_PRE: pre, VAR_NUM: num, VAR_PROMPT: rest, VAR_WAIT_S: f"{wait_s:g}"}
    if collect.kind == "record":
        variables |= {VAR_FILE: record_file(token), VAR_REC_S: str(collect.max_s)}
        return IvrStep(EXT_RECORD, variables, token)
    variables |= {VAR_MAX: str(collect.max_digits), VAR_TIMEOUT: str(collect.timeout_s)}
    return IvrStep(EXT_ASK, variables, token)


def bye_step(prompt: Prompt, n: int, *, upload_sound: Callable[[str], str]) -> IvrStep:
    """The closing step: the outro's sounds (a figure in an outro is not said: ``bye`` plays sounds), hang up."""
    sounds = [upload_sound(p.value) if p.kind == "upload" else p.value for p in prompt if p.kind in ("sound", "upload")]
    return IvrStep(EXT_BYE, {VAR_STEP: f"bye.{n}", VAR_BYE: "&".join(sounds) or QUIET_BYE}, f"bye.{n}")


def survey_event(answer: SurveyAnswered, collect: Collect | None) -> Event:
    """What the dialplan's answer means for the state machine: keys, nothing typed, or a spoken answer."""
    if collect is not None and collect.kind == "record":
        if answer.recording and answer.status in RECORDED:
            return Recorded(answer.recording, float(collect.max_s))
        return NoInput()
    digits = answer.digits.rstrip("#")
    if answer.status == "OK" and digits:
        return Digits(digits)
    return NoInput()
