"""Survey definitions as immutable values, checked at save naming the field, and the one survey state machine.

A ``SurveyDefinition`` holds an intro and an outro prompt, the questions (``Kind``: a 1-5 rating, a 0-10
NPS rating, yes/no, a choice among keypad digits, a number typed on the keypad, a recorded spoken answer),
branching (``Question.branches``: answer value -> next question id or ``END``; ``Question.next``: where
any other answer goes, by default the following question), what happens on no input and on invalid input
(``Retry``: repeat N times, then skip the question or end the survey), an optional "press 9 to stop
receiving these calls" (``opt_out_digit``: the driver puts the number on the campaign's DNC list with an
audit entry) and "press 0 to talk to someone" (``operator``: a queue or a campaign). Both keys are offered
while the intro plays, before any question, so that they never collide with an answer (9 is an NPS score).

``SurveyDefinition.from_dict`` refuses a bad setting with ``SurveyError``: ``field`` is the setting's path
(``questions.q2.branches``: the question is named by its id), ``code``/``params`` let a page word it in
the reader's language (``admin_ui.survey_text``), ``str(error)`` is ``"field: English detail"``. Cycles and
branches to a question that does not exist are refused naming the question.

``next_step(definition, progress, event) -> Step`` is the survey as a pure state machine, used by every
way a survey runs (the Asterisk side: FastAGI or a ``Read()``-driven dialplan; the agent panel's scripted
survey). A driver does::

    step = next_step(definition, Progress(), Start())
    while not step.final:
        # play step.prompt (sound names, numbers to say), then collect as step.collect says:
        #   Collect.kind "digits": Read(max_digits, timeout_s, terminator); "record": Record(max_s)
        #   None: nothing to collect, send Played()
        if step.answer is not None:
            await repository.save_answer(...)      # at once: a hang-up later keeps it
        step = next_step(definition, step.progress, event)   # Digits(...), NoInput(), Recorded(...), Hangup()
    # step.kind END: play step.prompt (the outro), hang up; OPT_OUT: DNC + audit; TRANSFER: route to
    # step.transfer_to; then repository.end_response(completed=step.completed, ended_reason=step.ended_reason)

``Progress`` is the answers so far and where the survey stands (the question being asked and how many
times it was repeated); it is plain data, so a driver may keep it anywhere.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dialer.sound_names import unplayable_part

END = "end"                       # a branch target: go to the outro
INTRO = "intro"                   # the intro's node name in Progress.at
OUTRO = "outro"
MAX_QUESTIONS = 50
MAX_REPEATS = 5
DEFAULT_INVALID_SOUND = "pm-invalid-option"      # Asterisk core sounds (in Debian's asterisk-core-sounds-en)
DEFAULT_NO_INPUT_SOUND = "please-try-again"
DEFAULT_OPT_OUT_SOUND = "goodbye"

_QUESTION_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
_DIGIT = re.compile(r"[0-9]")


class SurveyError(ValueError):
    """A survey setting is refused: ``field`` names it, ``code``/``params`` word it (English in ``ENGLISH``)."""

    def __init__(self, field: str, code: str, **params: Any) -> None:
        self.field = field
        self.code = code
        self.params = params
        super().__init__(f"{field}: {ENGLISH[code].format(**params)}")


ENGLISH: dict[str, str] = {
    "name": "a survey needs a name of 1-200 characters, without line breaks",
    "required": "this setting is missing",
    "not_list": "give a list",
    "not_object": "give an object with named settings",
    "choice": "{value!r} is not one of {choices}",
    "range": "{value!r} is out of range; give a whole number {low}-{high}",
    "text": "the question's text is at most 500 characters",
    "question_id": "{value!r} is not a question id (a lower-case letter, then letters, digits or _; at most 40)",
    "question_twice": "two questions have the id {value!r}",
    "no_questions": "a survey needs at least one question",
    "too_many": "a survey has at most {high} questions",
    "prompt_empty": "give at least one sound, upload or number to say",
    "prompt_kind": "{value!r} is not a prompt part; use sound, upload, number or answer",
    "sound": "{value!r} is not a sound name Playback can take (no blank, comma, quote, '|' or accented letter)",
    "upload": "{value!r} is not an uploaded prompt id",
    "number": "{value!r} is not a whole number to say",
    "answer_ref": "question {value!r} does not exist or is not a number or rating question",
    "digit": "{value!r} is not one keypad digit 0-9",
    "digit_twice": "the digit {value} is used twice",
    "choices_few": "a choice needs 2-9 options",
    "label": "the label of option {value} must be 1-100 characters on one line",
    "digits_order": "the minimum number of digits ({low}) is above the maximum ({high})",
    "branch_kind": "question {question!r}: a {kind} question cannot branch; only ratings, yes/no and choices do",
    "branch_value": "question {question!r}: {value!r} is not an answer this question accepts",
    "branch_target": "question {question!r}: goes to {value!r}, which is not a question of this survey",
    "branch_self": "question {question!r}: cannot go to itself",
    "cycle": "question {question!r} leads back to itself: {cycle}",
    "keys_clash": "press-to-stop and press-to-talk need different digits",
    "operator_kind": "{value!r} is not queue or campaign",
    "operator_id": "choose the queue or campaign that takes the call",
    "operator_unknown": "there is no {kind} {value}",
    "sound_missing": "sound {value!r} not found on {server}",
}


class Kind(str, enum.Enum):
    """What a question asks for."""

    RATING = "rating"          # 1-5, one key
    NPS = "nps"                # 0-10, up to two keys then # or a pause
    YES_NO = "yes_no"          # 1 yes, 2 no
    CHOICE = "choice"          # one of the listed keypad digits
    NUMBER = "number"          # digits typed, ended by # (or max_digits)
    RECORDING = "recording"    # a spoken answer, recorded up to max_record_s


BRANCHING_KINDS = frozenset({Kind.RATING, Kind.NPS, Kind.YES_NO, Kind.CHOICE})


class AfterRetries(str, enum.Enum):
    SKIP = "skip"              # record the question as skipped, go on
    END = "end"                # end the survey (the outro plays)


@dataclass(frozen=True, slots=True)
class PromptPart:
    """One piece of a prompt: ``sound`` (an Asterisk sound name, e.g. ``vm-press``), ``upload`` (an uploaded
    prompt's id, played as ``surveys.prompts.sound_name``), ``number`` (SayNumber of a fixed figure) or
    ``answer`` (SayNumber of the figure given to an earlier question, by its id)."""

    kind: str
    value: str


Prompt = tuple[PromptPart, ...]


@dataclass(frozen=True, slots=True)
class Retry:
    """Repeat the question ``repeats`` times (0-5), then skip the question or end the survey."""

    repeats: int = 2
    then: AfterRetries = AfterRetries.SKIP


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    kind: Kind
    prompt: Prompt
    text: str = ""                                  # what the prompt says: shown to agents and on the statistics
    choices: tuple[tuple[str, str], ...] = ()      # CHOICE: (digit, label)
    min_digits: int = 1                             # NUMBER
    max_digits: int = 6
    max_record_s: int = 30                          # RECORDING
    timeout_s: int = 6                              # wait for the first key (or for speech to start)
    branches: tuple[tuple[str, str], ...] = ()      # (answer value, target question id or END)
    next: str | None = None                         # target for other answers; None: the following question
    on_no_input: Retry = Retry()
    on_invalid: Retry = Retry()

    def accepted_values(self) -> tuple[str, ...] | None:
        """The answer values this question accepts, or None when free (a number, a recording)."""
        if self.kind is Kind.RATING:
            return tuple(str(v) for v in range(1, 6))
        if self.kind is Kind.NPS:
            return tuple(str(v) for v in range(11))
        if self.kind is Kind.YES_NO:
            return ("yes", "no")
        if self.kind is Kind.CHOICE:
            return tuple(d for d, _ in self.choices)
        return None


@dataclass(frozen=True, slots=True)
class Operator:
    """Who takes the call when the customer presses the talk-to-someone key: an inbound queue or a campaign."""

    kind: str          # "queue" | "campaign"
    id: int


@dataclass(frozen=True, slots=True)
class SurveyDefinition:
    name: str
    intro: Prompt
    outro: Prompt
    questions: tuple[Question, ...]
    opt_out_digit: str | None = None       # e.g. "9": the number goes on the campaign's DNC list
    operator_digit: str | None = None      # e.g. "0": transfer to ``operator``
    operator: Operator | None = None
    intro_timeout_s: int = 3               # how long the intro waits for those keys after it has played
    invalid_sound: str = DEFAULT_INVALID_SOUND
    no_input_sound: str = DEFAULT_NO_INPUT_SOUND
    opt_out_sound: str = DEFAULT_OPT_OUT_SOUND

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def following(self, question_id: str) -> str:
        """Where a question goes by default: the next one in the list, or END after the last."""
        ids = [q.id for q in self.questions]
        i = ids.index(question_id)
        return ids[i + 1] if i + 1 < len(ids) else END

    def targets(self, q: Question) -> set[str]:
        found = {t for _, t in q.branches}
        found.add(q.next if q.next is not None else self.following(q.id))
        return found

    def sounds(self) -> dict[str, str]:
        """Every Asterisk sound the survey plays, by the field that names it (parts joined by ``&``), for a
        check on the PBX at save (``dialer.sound_check.check_sound``); uploads are not Asterisk's sounds."""
        found: dict[str, str] = {}
        prompts = [("intro", self.intro), ("outro", self.outro)] + [
            (f"questions.{q.id}.prompt", q.prompt) for q in self.questions]
        for where, prompt in prompts:
            names = [p.value for p in prompt if p.kind == "sound"]
            if names:
                found[where] = "&".join(names)
        found["invalid_sound"] = self.invalid_sound
        found["no_input_sound"] = self.no_input_sound
        if self.opt_out_digit:
            found["opt_out_sound"] = self.opt_out_sound
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "intro": _prompt_dict(self.intro),
            "outro": _prompt_dict(self.outro),
            "questions": [_question_dict(q) for q in self.questions],
            "opt_out_digit": self.opt_out_digit,
            "operator_digit": self.operator_digit,
            "operator": None if self.operator is None else {"kind": self.operator.kind, "id": self.operator.id},
            "intro_timeout_s": self.intro_timeout_s,
            "invalid_sound": self.invalid_sound,
            "no_input_sound": self.no_input_sound,
            "opt_out_sound": self.opt_out_sound,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SurveyDefinition:
        """A definition from its JSON form (the builder's and ``survey_versions.definition``), every setting
        checked; raises ``SurveyError`` naming the first bad field."""
        if not isinstance(data, Mapping):
            raise SurveyError("definition", "not_object")
        name = data.get("name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200 or "\n" in name or "\r" in name:
            raise SurveyError("name", "name")
        raw_questions = data.get("questions")
        if not isinstance(raw_questions, list):
            raise SurveyError("questions", "not_list")
        if not raw_questions:
            raise SurveyError("questions", "no_questions")
        if len(raw_questions) > MAX_QUESTIONS:
            raise SurveyError("questions", "too_many", high=MAX_QUESTIONS)
        questions = tuple(_question(q, i) for i, q in enumerate(raw_questions))
        seen: set[str] = set()
        for q in questions:
            if q.id in seen:
                raise SurveyError(f"questions.{q.id}.id", "question_twice", value=q.id)
            seen.add(q.id)
        opt_out = _optional_digit(data, "opt_out_digit")
        operator_digit = _optional_digit(data, "operator_digit")
        if opt_out is not None and opt_out == operator_digit:
            raise SurveyError("operator_digit", "keys_clash")
        operator = None
        if operator_digit is not None:
            raw_op = data.get("operator")
            if not isinstance(raw_op, Mapping):
                raise SurveyError("operator", "operator_id")
            if raw_op.get("kind") not in ("queue", "campaign"):
                raise SurveyError("operator.kind", "operator_kind", value=raw_op.get("kind"))
            operator = Operator(raw_op["kind"], _int(raw_op, "id", 1, 2**31 - 1, "operator.id"))
        definition = cls(
            name=name.strip(),
            intro=_prompt(data.get("intro"), "intro"),
            outro=_prompt(data.get("outro"), "outro"),
            questions=questions,
            opt_out_digit=opt_out,
            operator_digit=operator_digit,
            operator=operator,
            intro_timeout_s=_int(data, "intro_timeout_s", 1, 30, "intro_timeout_s", default=3),
            invalid_sound=_sound(data.get("invalid_sound", DEFAULT_INVALID_SOUND), "invalid_sound"),
            no_input_sound=_sound(data.get("no_input_sound", DEFAULT_NO_INPUT_SOUND), "no_input_sound"),
            opt_out_sound=_sound(data.get("opt_out_sound", DEFAULT_OPT_OUT_SOUND), "opt_out_sound"),
        )
        definition.check_flow()
        return definition

    def check_flow(self) -> None:
        """Refuse a branch to a question that does not exist, an ``answer`` prompt naming no figure, and any
        cycle, naming the question."""
        ids = {q.id for q in self.questions}
        figures = {q.id for q in self.questions if q.kind in (Kind.NUMBER, Kind.RATING, Kind.NPS)}
        for where, prompt in [("intro", self.intro), ("outro", self.outro)] + [
                (f"questions.{q.id}.prompt", q.prompt) for q in self.questions]:
            for part in prompt:
                if part.kind == "answer" and part.value not in figures:
                    raise SurveyError(where, "answer_ref", value=part.value)
        for q in self.questions:
            for target in [t for _, t in q.branches] + ([q.next] if q.next is not None else []):
                if target == q.id:
                    raise SurveyError(f"questions.{q.id}.branches", "branch_self", question=q.id)
                if target != END and target not in ids:
                    raise SurveyError(f"questions.{q.id}.branches", "branch_target", question=q.id, value=target)
        cycle = find_cycle(self)
        if cycle:
            raise SurveyError(f"questions.{cycle[0]}.branches", "cycle", question=cycle[0],
                              cycle=" → ".join(cycle))


def find_cycle(definition: SurveyDefinition) -> list[str]:
    """A path ``[a, b, ..., a]`` if the questions' flow loops, else ``[]`` (depth-first, colours)."""
    state: dict[str, int] = {}       # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(qid: str) -> list[str]:
        state[qid] = 1
        stack.append(qid)
        for target in sorted(definition.targets(definition.question(qid))):
            if target == END:
                continue
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[qid] = 2
        return []

    for q in definition.questions:
        if q.id not in state:
            found = visit(q.id)
            if found:
                return found
    return []


# -- parsing helpers -----------------------------------------------------------------------------------

def _int(data: Mapping[str, Any], key: str, low: int, high: int, field_name: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if value is None:
        raise SurveyError(field_name, "required")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SurveyError(field_name, "range", value=value, low=low, high=high)
    return value


def _optional_digit(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _DIGIT.fullmatch(value):
        raise SurveyError(key, "digit", value=value)
    return value


def _sound(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip() or unplayable_part(value) is not None:
        raise SurveyError(field_name, "sound", value=value)
    return value


def _prompt(raw: Any, field_name: str) -> Prompt:
    if not isinstance(raw, list):
        raise SurveyError(field_name, "not_list")
    if not raw:
        raise SurveyError(field_name, "prompt_empty")
    parts: list[PromptPart] = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise SurveyError(field_name, "not_object")
        kind, value = item.get("kind"), item.get("value")
        if kind == "sound":
            parts.append(PromptPart("sound", _sound(value, field_name)))
        elif kind == "upload":
            if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{16,64}", value):
                raise SurveyError(field_name, "upload", value=value)
            parts.append(PromptPart("upload", value))
        elif kind == "number":
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]{1,12}", value):
                raise SurveyError(field_name, "number", value=value)
            parts.append(PromptPart("number", value))
        elif kind == "answer":
            parts.append(PromptPart("answer", str(value)))
        else:
            raise SurveyError(field_name, "prompt_kind", value=kind)
    return tuple(parts)


def _retry(raw: Any, field_name: str) -> Retry:
    if raw is None:
        return Retry()
    if not isinstance(raw, Mapping):
        raise SurveyError(field_name, "not_object")
    then = raw.get("then", "skip")
    if then not in ("skip", "end"):
        raise SurveyError(f"{field_name}.then", "choice", value=then, choices="skip, end")
    return Retry(_int(raw, "repeats", 0, MAX_REPEATS, f"{field_name}.repeats", default=2), AfterRetries(then))


def _question(raw: Any, index: int) -> Question:
    if not isinstance(raw, Mapping):
        raise SurveyError(f"questions.{index + 1}", "not_object")
    qid = raw.get("id")
    if not isinstance(qid, str) or not _QUESTION_ID.fullmatch(qid):
        raise SurveyError(f"questions.{index + 1}.id", "question_id", value=qid)
    where = f"questions.{qid}"
    try:
        kind = Kind(raw.get("kind"))
    except ValueError:
        raise SurveyError(f"{where}.kind", "choice", value=raw.get("kind"),
                          choices=", ".join(k.value for k in Kind)) from None
    choices: tuple[tuple[str, str], ...] = ()
    if kind is Kind.CHOICE:
        raw_choices = raw.get("choices")
        if not isinstance(raw_choices, list) or not 2 <= len(raw_choices) <= 9:
            raise SurveyError(f"{where}.choices", "choices_few")
        found: list[tuple[str, str]] = []
        for item in raw_choices:
            digit = item.get("digit") if isinstance(item, Mapping) else None
            label = item.get("label") if isinstance(item, Mapping) else None
            if not isinstance(digit, str) or not _DIGIT.fullmatch(digit):
                raise SurveyError(f"{where}.choices", "digit", value=digit)
            if digit in {d for d, _ in found}:
                raise SurveyError(f"{where}.choices", "digit_twice", value=digit)
            if not isinstance(label, str) or not 1 <= len(label.strip()) <= 100 or "\n" in label:
                raise SurveyError(f"{where}.choices", "label", value=digit)
            found.append((digit, label.strip()))
        choices = tuple(found)
    min_digits = _int(raw, "min_digits", 1, 20, f"{where}.min_digits", default=1)
    max_digits = _int(raw, "max_digits", 1, 20, f"{where}.max_digits", default=6)
    if kind is Kind.NUMBER and min_digits > max_digits:
        raise SurveyError(f"{where}.min_digits", "digits_order", low=min_digits, high=max_digits)
    branches: list[tuple[str, str]] = []
    raw_branches = raw.get("branches") or {}
    if not isinstance(raw_branches, Mapping):
        raise SurveyError(f"{where}.branches", "not_object")
    text = raw.get("text", "")
    if not isinstance(text, str) or len(text) > 500:
        raise SurveyError(f"{where}.text", "text")
    question = Question(id=qid, kind=kind, prompt=_prompt(raw.get("prompt"), f"{where}.prompt"), text=text.strip(),
                        choices=choices,
                        min_digits=min_digits, max_digits=max_digits,
                        max_record_s=_int(raw, "max_record_s", 1, 300, f"{where}.max_record_s", default=30),
                        timeout_s=_int(raw, "timeout_s", 1, 30, f"{where}.timeout_s", default=6),
                        on_no_input=_retry(raw.get("on_no_input"), f"{where}.on_no_input"),
                        on_invalid=_retry(raw.get("on_invalid"), f"{where}.on_invalid"))
    if raw_branches and kind not in BRANCHING_KINDS:
        raise SurveyError(f"{where}.branches", "branch_kind", question=qid, kind=kind.value)
    accepted = question.accepted_values() or ()
    for value, target in raw_branches.items():
        if str(value) not in accepted:
            raise SurveyError(f"{where}.branches", "branch_value", question=qid, value=value)
        if not isinstance(target, str) or not target:
            raise SurveyError(f"{where}.branches", "branch_target", question=qid, value=target)
        branches.append((str(value), target))
    nxt = raw.get("next")
    if nxt is not None and (not isinstance(nxt, str) or not nxt):
        raise SurveyError(f"{where}.next", "branch_target", question=qid, value=nxt)
    return replace(question, branches=tuple(branches), next=nxt or None)


def _prompt_dict(prompt: Prompt) -> list[dict[str, str]]:
    return [{"kind": p.kind, "value": p.value} for p in prompt]


def _question_dict(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q.id, "kind": q.kind.value, "prompt": _prompt_dict(q.prompt), "text": q.text,
                           "timeout_s": q.timeout_s,
                           "on_no_input": {"repeats": q.on_no_input.repeats, "then": q.on_no_input.then.value},
                           "on_invalid": {"repeats": q.on_invalid.repeats, "then": q.on_invalid.then.value}}
    if q.kind is Kind.CHOICE:
        out["choices"] = [{"digit": d, "label": label} for d, label in q.choices]
    if q.kind is Kind.NUMBER:
        out["min_digits"], out["max_digits"] = q.min_digits, q.max_digits
    if q.kind is Kind.RECORDING:
        out["max_record_s"] = q.max_record_s
    if q.branches:
        out["branches"] = dict(q.branches)
    if q.next is not None:
        out["next"] = q.next
    return out


# -- the state machine ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Start:
    """The survey begins (the customer is on the line)."""


@dataclass(frozen=True, slots=True)
class Played:
    """A prompt with nothing to collect has played."""


@dataclass(frozen=True, slots=True)
class Digits:
    """Keys typed for the current step (a trailing ``#`` terminator is dropped)."""

    digits: str


@dataclass(frozen=True, slots=True)
class NoInput:
    """The wait for input ran out with nothing typed or said."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """A spoken answer was recorded to ``path`` (as the PBX names it), ``seconds`` long."""

    path: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Noted:
    """An agent's written note of a spoken answer (the scripted survey in the agent panel)."""

    text: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """The customer hung up."""


Event = Start | Played | Digits | NoInput | Recorded | Noted | Hangup


class StepKind(str, enum.Enum):
    ASK = "ask"                # play ``prompt``, collect as ``collect`` says (None: send Played)
    END = "end"                # play ``prompt`` (the outro; empty after a hang-up), hang up
    OPT_OUT = "opt_out"        # play ``prompt``, put the number on the campaign's DNC list (audit), hang up
    TRANSFER = "transfer"      # route the call to ``transfer_to``


class EndReason(str, enum.Enum):
    COMPLETED = "completed"
    HANGUP = "hangup"
    NO_INPUT = "no_input"            # a question's no-input rule said end
    INVALID_INPUT = "invalid_input"  # a question's invalid-input rule said end
    OPTED_OUT = "opted_out"
    TRANSFERRED = "transferred"


@dataclass(frozen=True, slots=True)
class Collect:
    kind: str                   # "digits" | "record"
    timeout_s: int
    min_digits: int = 1
    max_digits: int = 1
    terminator: str = ""        # "#" for numbers and NPS
    max_s: int = 0              # "record"


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer to save at once. ``value`` None: the question was skipped (``skipped`` says why:
    ``no_input`` or ``invalid_input``); ``digits`` as typed; ``recording`` for a spoken answer."""

    question_id: str
    value: str | None
    digits: str = ""
    recording: str | None = None
    skipped: str | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a survey stands: ``at`` (None before the start, ``intro``, a question id, or ``outro``),
    ``answers`` so far, ``asked`` (each question once, in order), the repeats of the current question,
    and ``ended`` once a final step was given."""

    at: str | None = None
    answers: tuple[Answer, ...] = ()
    asked: tuple[str, ...] = ()
    no_inputs: int = 0
    invalids: int = 0
    ended: EndReason | None = None


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    prompt: Prompt
    progress: Progress
    question: Question | None = None
    collect: Collect | None = None
    answer: Answer | None = None               # save it now
    repeat: str | None = None                  # "no_input" | "invalid_input" when this asks again
    transfer_to: Operator | None = None
    ended_reason: EndReason | None = None

    @property
    def final(self) -> bool:
        return self.kind is not StepKind.ASK

    @property
    def completed(self) -> bool:
        return self.ended_reason is EndReason.COMPLETED


class SurveyStateError(ValueError):
    """An event that does not fit where the survey stands (names both)."""


def next_step(definition: SurveyDefinition, progress: Progress, event: Event) -> Step:
    """The survey's next step after ``event``; pure. ``Start`` from a fresh ``Progress``, then the events
    of each step in turn; ``Hangup`` at any point ends it keeping the answers given."""
    if progress.ended is not None:
        raise SurveyStateError(f"the survey has ended ({progress.ended.value}); got {type(event).__name__}")
    if isinstance(event, Hangup):
        return _end(progress, EndReason.HANGUP, ())
    if progress.at is None:
        if not isinstance(event, Start):
            raise SurveyStateError(f"expected Start, but got {type(event).__name__}")
        return _intro(definition, progress)
    if isinstance(event, Start):
        raise SurveyStateError(f"the survey has started (at {progress.at}); got Start")
    if progress.at == INTRO:
        if isinstance(event, Digits):
            key = event.digits.rstrip("#")[:1]
            if key and key == definition.opt_out_digit:
                return _final(definition, progress, StepKind.OPT_OUT, EndReason.OPTED_OUT,
                              (PromptPart("sound", definition.opt_out_sound),))
            if key and key == definition.operator_digit:
                return _final(definition, progress, StepKind.TRANSFER, EndReason.TRANSFERRED, (),
                              transfer_to=definition.operator)
        return _go(definition, progress, definition.questions[0].id)
    question = definition.question(progress.at)
    if isinstance(event, Played):
        raise SurveyStateError(f"question {question.id} waits for input; got Played")
    if _asks_for_someone(definition, question, event):     # the answers so far go with the customer
        return _final(definition, progress, StepKind.TRANSFER, EndReason.TRANSFERRED, (),
                      transfer_to=definition.operator)
    if isinstance(event, NoInput) or (isinstance(event, Digits) and not event.digits.rstrip("#")) or (
            isinstance(event, Recorded) and event.seconds <= 0) or (isinstance(event, Noted) and not event.text.strip()):
        return _retry_or_move(definition, progress, question, "no_input")
    value, answer = _read(question, event)
    if value is None:
        return _retry_or_move(definition, progress, question, "invalid_input")
    answered = replace(progress, answers=progress.answers + (answer,))
    target = dict(question.branches).get(value) or question.next or definition.following(question.id)
    return _go(definition, answered, target)


def _asks_for_someone(definition: SurveyDefinition, question: Question, event: Event) -> bool:
    """The talk-to-someone key pressed alone at a question whose answers it is not (a rating of 1-5, yes/no, a
    choice without it): the customer asks for a person there too, not only during the intro."""
    if not definition.operator_digit or definition.operator is None or not isinstance(event, Digits):
        return False
    keys = ("1", "2") if question.kind is Kind.YES_NO else question.accepted_values()
    return keys is not None and definition.operator_digit not in keys and (
        event.digits.rstrip("#") == definition.operator_digit)


def _read(question: Question, event: Event) -> tuple[str | None, Answer]:
    if question.kind is Kind.RECORDING:
        if isinstance(event, Recorded):
            return event.path, Answer(question.id, event.path, recording=event.path)
        if isinstance(event, Noted):
            return event.text.strip()[:2000], Answer(question.id, event.text.strip()[:2000])
        return None, Answer(question.id, None)
    if not isinstance(event, Digits):
        return None, Answer(question.id, None)
    typed = event.digits.rstrip("#")
    if not typed.isdigit() or not typed.isascii():
        return None, Answer(question.id, None)
    value: str | None = None
    if question.kind is Kind.YES_NO:
        value = {"1": "yes", "2": "no"}.get(typed)
    elif question.kind is Kind.NUMBER:
        value = typed if question.min_digits <= len(typed) <= question.max_digits else None
    else:
        normal = str(int(typed)) if question.kind in (Kind.RATING, Kind.NPS) and len(typed) <= 2 else typed
        value = normal if normal in (question.accepted_values() or ()) else None
    return value, Answer(question.id, value, digits=typed)


def _retry_or_move(definition: SurveyDefinition, progress: Progress, question: Question, why: str) -> Step:
    rule = question.on_no_input if why == "no_input" else question.on_invalid
    count = progress.no_inputs if why == "no_input" else progress.invalids
    if count < rule.repeats:
        bumped = replace(progress, no_inputs=progress.no_inputs + 1) if why == "no_input" else replace(
            progress, invalids=progress.invalids + 1)
        apology = definition.no_input_sound if why == "no_input" else definition.invalid_sound
        return _ask(question, bumped, (PromptPart("sound", apology),) + question.prompt, repeat=why)
    skipped = Answer(question.id, None, skipped=why)
    moved = replace(progress, answers=progress.answers + (skipped,))
    if rule.then is AfterRetries.END:
        reason = EndReason.NO_INPUT if why == "no_input" else EndReason.INVALID_INPUT
        step = _final(definition, moved, StepKind.END, reason, definition.outro)
        return replace(step, answer=skipped)
    return replace(_go(definition, moved, question.next or definition.following(question.id)), answer=skipped)


def _intro(definition: SurveyDefinition, progress: Progress) -> Step:
    at_intro = replace(progress, at=INTRO)
    collect = None
    if definition.opt_out_digit or definition.operator_digit:
        collect = Collect("digits", definition.intro_timeout_s, 1, 1)
    return Step(StepKind.ASK, definition.intro, at_intro, collect=collect)


def _go(definition: SurveyDefinition, progress: Progress, target: str) -> Step:
    last = progress.answers[-1] if progress.answers and progress.at not in (None, INTRO) else None
    if target == END:
        step = _final(definition, progress, StepKind.END, EndReason.COMPLETED, definition.outro)
        return replace(step, answer=last)
    question = definition.question(target)
    moved = replace(progress, at=question.id, asked=progress.asked + (question.id,), no_inputs=0, invalids=0)
    return replace(_ask(question, moved, question.prompt), answer=last)


def _ask(question: Question, progress: Progress, prompt: Prompt, repeat: str | None = None) -> Step:
    if question.kind is Kind.RECORDING:
        collect = Collect("record", question.timeout_s, max_s=question.max_record_s)
    elif question.kind is Kind.NUMBER:
        collect = Collect("digits", question.timeout_s, question.min_digits, question.max_digits, "#")
    elif question.kind is Kind.NPS:
        collect = Collect("digits", question.timeout_s, 1, 2, "#")
    else:
        collect = Collect("digits", question.timeout_s, 1, 1)
    return Step(StepKind.ASK, prompt, progress, question=question, collect=collect, repeat=repeat)


def _final(definition: SurveyDefinition, progress: Progress, kind: StepKind, reason: EndReason, prompt: Prompt,
           transfer_to: Operator | None = None) -> Step:
    done = replace(progress, at=OUTRO if kind is StepKind.END else progress.at, ended=reason)
    return Step(kind, prompt, done, transfer_to=transfer_to, ended_reason=reason)


def _end(progress: Progress, reason: EndReason, prompt: Prompt) -> Step:
    return Step(StepKind.END, prompt, replace(progress, ended=reason), ended_reason=reason)


def answered_values(progress: Progress) -> dict[str, str | None]:
    """The answers so far by question id (None: skipped)."""
    return {a.question_id: a.value for a in progress.answers}


def resume_step(definition: SurveyDefinition, progress: Progress) -> Step:
    """The step to play to a customer whose survey resumes at ``progress`` (from ``resume``): the question it
    stands at, asked afresh, or the outro when every question is answered."""
    if progress.at == OUTRO:
        return _final(definition, progress, StepKind.END, EndReason.COMPLETED, definition.outro)
    return _ask(definition.question(str(progress.at)), progress, definition.question(str(progress.at)).prompt)


def resume(definition: SurveyDefinition, answers: Sequence[Answer]) -> Progress:
    """A ``Progress`` rebuilt from saved answers (a driver restarted mid-survey): the next question is where
    the last saved answer leads; repeats start again at zero."""
    progress = Progress(at=definition.questions[0].id, asked=(definition.questions[0].id,))
    for answer in answers:
        q = definition.question(answer.question_id)
        progress = replace(progress, answers=progress.answers + (answer,))
        target = (dict(q.branches).get(answer.value) if answer.value is not None else None) or q.next or (
            definition.following(q.id))
        if target == END:
            return replace(progress, at=OUTRO)
        progress = replace(progress, at=target, asked=progress.asked + (target,), no_inputs=0, invalids=0)
    return progress
