"""Survey definitions are checked at save naming the field; next_step runs every survey to an end."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.model import (
    END,
    Answer,
    Digits,
    EndReason,
    Hangup,
    Kind,
    NoInput,
    Played,
    Progress,
    Recorded,
    Start,
    StepKind,
    SurveyDefinition,
    SurveyError,
    SurveyStateError,
    next_step,
    resume,
    resume_step,
)

SOUND = [{"kind": "sound", "value": "vm-press"}]


def q(qid: str, kind: str = "rating", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": qid, "kind": kind, "prompt": SOUND}
    if kind == "choice" and "choices" not in extra:
        out["choices"] = [{"digit": "1", "label": "Price"}, {"digit": "2", "label": "Service"}]
    out.update(extra)
    return out


def survey(*questions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "After-call CSAT", "intro": SOUND, "outro": [{"kind": "sound", "value": "goodbye"}],
            "questions": list(questions), **extra}


def refusal(data: dict[str, Any]) -> SurveyError:
    with pytest.raises(SurveyError) as caught:
        SurveyDefinition.from_dict(data)
    return caught.value


def test_a_definition_round_trips_through_its_json_form() -> None:
    data = survey(q("csat", text="How satisfied were you?"), q("nps", "nps"), q("again", "yes_no", branches={"no": "why"}),
                  q("why", "recording", max_record_s=20), q("topic", "choice"),
                  q("age", "number", min_digits=1, max_digits=3),
                  opt_out_digit="9", operator_digit="0", operator={"kind": "queue", "id": 4})
    definition = SurveyDefinition.from_dict(data)
    assert SurveyDefinition.from_dict(definition.to_dict()) == definition


def test_a_branch_to_a_question_that_does_not_exist_is_refused_naming_the_question() -> None:
    error = refusal(survey(q("a", "yes_no", branches={"yes": "nowhere"}), q("b")))
    assert error.field == "questions.a.branches"
    assert error.code == "branch_target" and "'a'" in str(error) and "'nowhere'" in str(error)


def test_a_cycle_is_refused_naming_the_question_and_the_loop() -> None:
    error = refusal(survey(q("a"), q("b", "yes_no", branches={"no": "a"}), q("c")))
    assert error.code == "cycle"
    assert error.field == "questions.a.branches"
    assert "a → b → a" in str(error)


def test_a_question_cannot_go_to_itself() -> None:
    assert refusal(survey(q("a", next="a"))).code == "branch_self"


@pytest.mark.parametrize(("data", "field", "code"), [
    (survey(q("a", "rating", branches={"7": END})), "questions.a.branches", "branch_value"),
    (survey(q("a", "number", branches={"1": END})), "questions.a.branches", "branch_kind"),
    (survey(q("a", "choice", choices=[{"digit": "1", "label": "x"}])), "questions.a.choices", "choices_few"),
    (survey(q("a", "choice", choices=[{"digit": "1", "label": "x"}, {"digit": "1", "label": "y"}])),
     "questions.a.choices", "digit_twice"),
    (survey(q("a", "number", min_digits=5, max_digits=2)), "questions.a.min_digits", "digits_order"),
    (survey(q("a", on_no_input={"repeats": 9})), "questions.a.on_no_input.repeats", "range"),
    (survey(q("a", on_invalid={"then": "explode"})), "questions.a.on_invalid.then", "choice"),
    (survey(q("a", "recording", max_record_s=0)), "questions.a.max_record_s", "range"),
    (survey(q("A b")), "questions.1.id", "question_id"),
    (survey(q("a"), q("a")), "questions.a.id", "question_twice"),
    (survey(), "questions", "no_questions"),
    (survey(q("a"), opt_out_digit="9", operator_digit="9", operator={"kind": "queue", "id": 1}),
     "operator_digit", "keys_clash"),
    (survey(q("a"), operator_digit="0"), "operator", "operator_id"),
    (survey(q("a"), operator_digit="0", operator={"kind": "team", "id": 1}), "operator.kind", "operator_kind"),
    (survey(q("a"), opt_out_digit="99"), "opt_out_digit", "digit"),
    ({**survey(q("a")), "intro": [{"kind": "sound", "value": "bad, name"}]}, "intro", "sound"),
    ({**survey(q("a")), "outro": []}, "outro", "prompt_empty"),
    ({**survey(q("a")), "outro": [{"kind": "answer", "value": "a2"}]}, "outro", "answer_ref"),
    ({**survey(q("a")), "name": ""}, "name", "name"),
])
def test_every_setting_is_checked_at_save_naming_its_field(data: dict[str, Any], field: str, code: str) -> None:
    error = refusal(data)
    assert (error.field, error.code) == (field, code), str(error)


def drive(definition: SurveyDefinition, events: list[Any]) -> list[Any]:
    steps = [next_step(definition, Progress(), Start())]
    for event in events:
        if steps[-1].final:
            break
        steps.append(next_step(definition, steps[-1].progress, event))
    return steps


def test_a_branch_takes_the_answer_to_its_target_and_the_outro_ends_it_completed() -> None:
    definition = SurveyDefinition.from_dict(survey(q("happy", "yes_no", branches={"yes": END}), q("why", "recording"),
                                                   q("score", "nps")))
    yes = drive(definition, [Played(), Digits("1")])
    assert yes[-1].kind is StepKind.END and yes[-1].completed
    assert [a.value for a in yes[-1].progress.answers] == ["yes"]
    no = drive(definition, [Played(), Digits("2"), Recorded("/rec/1.wav", 4.0), Digits("10#")])
    assert [(a.question_id, a.value) for a in no[-1].progress.answers] == [
        ("happy", "no"), ("why", "/rec/1.wav"), ("score", "10")]
    assert no[-1].completed and no[-1].prompt == definition.outro


def test_each_answer_is_handed_over_to_save_the_moment_it_is_given() -> None:
    definition = SurveyDefinition.from_dict(survey(q("a"), q("b"), q("c")))
    steps = drive(definition, [Played(), Digits("4"), Digits("5")])
    assert [s.answer.value if s.answer else None for s in steps] == [None, None, "4", "5"]
    hung = next_step(definition, steps[-1].progress, Hangup())
    assert hung.ended_reason is EndReason.HANGUP and not hung.completed and hung.prompt == ()
    assert [a.value for a in hung.progress.answers] == ["4", "5"]


def test_no_input_repeats_n_times_then_skips_or_ends() -> None:
    definition = SurveyDefinition.from_dict(survey(
        q("a", on_no_input={"repeats": 2, "then": "skip"}), q("b", on_no_input={"repeats": 1, "then": "end"})))
    steps = drive(definition, [Played(), NoInput(), NoInput(), NoInput(), NoInput(), NoInput()])
    asks = [(s.question.id, s.repeat) for s in steps if s.kind is StepKind.ASK and s.question]
    assert asks == [("a", None), ("a", "no_input"), ("a", "no_input"), ("b", None), ("b", "no_input")]
    assert steps[-1].ended_reason is EndReason.NO_INPUT
    assert [(a.question_id, a.value, a.skipped) for a in steps[-1].progress.answers] == [
        ("a", None, "no_input"), ("b", None, "no_input")]
    assert steps[2].prompt[0].value == "please-try-again"


def test_invalid_input_is_apologised_for_and_repeated() -> None:
    definition = SurveyDefinition.from_dict(survey(q("a", on_invalid={"repeats": 1, "then": "end"})))
    steps = drive(definition, [Played(), Digits("7"), Digits("0")])
    assert steps[2].repeat == "invalid_input" and steps[2].prompt[0].value == "pm-invalid-option"
    assert steps[-1].ended_reason is EndReason.INVALID_INPUT


def test_press_9_opts_out_and_press_0_transfers_during_the_intro() -> None:
    definition = SurveyDefinition.from_dict(survey(q("a", "nps"), opt_out_digit="9", operator_digit="0",
                                                   operator={"kind": "campaign", "id": 12}))
    start = next_step(definition, Progress(), Start())
    assert start.collect is not None and start.collect.max_digits == 1
    assert next_step(definition, start.progress, Digits("9")).kind is StepKind.OPT_OUT
    transfer = next_step(definition, start.progress, Digits("0"))
    assert transfer.kind is StepKind.TRANSFER and transfer.transfer_to.id == 12
    # In a question 9 is a score, not an opt-out.
    asked = next_step(definition, start.progress, NoInput())
    assert next_step(definition, asked.progress, Digits("9")).answer.value == "9"


def test_press_0_at_a_question_it_does_not_answer_transfers_keeping_the_answers_so_far() -> None:
    definition = SurveyDefinition.from_dict(survey(q("a"), q("b"), q("c", "nps"), operator_digit="0",
                                                   operator={"kind": "queue", "id": 4}))
    first = next_step(definition, next_step(definition, Progress(), Start()).progress, Digits(""))
    second = next_step(definition, first.progress, Digits("4"))
    assert second.answer is not None and second.answer.value == "4"      # saved before question b is asked
    transfer = next_step(definition, second.progress, Digits("0"))
    assert transfer.kind is StepKind.TRANSFER and transfer.ended_reason is EndReason.TRANSFERRED
    assert transfer.transfer_to is not None and transfer.transfer_to.id == 4
    assert [a.value for a in transfer.progress.answers] == ["4"]
    # where 0 is an answer (NPS 0-10) it stays one
    third = next_step(definition, second.progress, Digits("5"))
    assert next_step(definition, third.progress, Digits("0")).answer.value == "0"


def test_an_event_after_the_end_is_refused_naming_it() -> None:
    definition = SurveyDefinition.from_dict(survey(q("a")))
    ended = drive(definition, [Played(), Digits("3")])[-1]
    with pytest.raises(SurveyStateError, match="ended.*Digits"):
        next_step(definition, ended.progress, Digits("1"))


def test_resume_continues_after_the_last_saved_answer() -> None:
    definition = SurveyDefinition.from_dict(survey(q("a", "yes_no", branches={"no": "c"}), q("b"), q("c")))
    steps = drive(definition, [Played(), Digits("2")])
    progress = resume(definition, steps[-1].progress.answers)
    assert progress.at == "c"
    assert next_step(definition, progress, Digits("5")).completed


# -- properties -----------------------------------------------------------------------------------------

KINDS = [k.value for k in Kind]


@st.composite
def definitions(draw: st.DrawFn) -> SurveyDefinition:
    n = draw(st.integers(1, 6))
    ids = [f"q{i}" for i in range(n)]
    questions = []
    for i, qid in enumerate(ids):
        kind = draw(st.sampled_from(KINDS))
        extra: dict[str, Any] = {
            "on_no_input": {"repeats": draw(st.integers(0, 3)), "then": draw(st.sampled_from(["skip", "end"]))},
            "on_invalid": {"repeats": draw(st.integers(0, 3)), "then": draw(st.sampled_from(["skip", "end"]))}}
        later = ids[i + 1:] + [END]          # forward branches only: a valid survey has no cycle
        if kind in ("rating", "yes_no", "choice", "nps"):
            values = {"rating": ["1", "5"], "yes_no": ["yes", "no"], "choice": ["1", "2"], "nps": ["0", "10"]}[kind]
            extra["branches"] = {v: draw(st.sampled_from(later)) for v in values if draw(st.booleans())}
        if draw(st.booleans()):
            extra["next"] = draw(st.sampled_from(later))
        questions.append(q(qid, kind, **extra))
    return SurveyDefinition.from_dict(survey(*questions, opt_out_digit=draw(st.sampled_from([None, "9"]))))


events = st.one_of(st.just(NoInput()), st.just(Played()),
                   st.builds(Digits, st.text("0123456789#*", max_size=3)),
                   st.builds(Recorded, st.just("/r.wav"), st.floats(0, 10)))


@given(definitions(), st.lists(events, max_size=80))
@settings(max_examples=300, deadline=None)
def test_any_input_ends_the_survey_asking_each_question_once_apart_from_its_repeats(
        definition: SurveyDefinition, stream: list[Any]) -> None:
    progress_steps = [next_step(definition, Progress(), Start())]
    i = 0
    bound = 2 + sum(2 + q.on_no_input.repeats + q.on_invalid.repeats for q in definition.questions)
    while not progress_steps[-1].final:
        step = progress_steps[-1]
        event = stream[i] if i < len(stream) else NoInput()
        i += 1
        if isinstance(event, Played) and step.collect is not None:
            event = NoInput()
        progress_steps.append(next_step(definition, step.progress, event))
        assert len(progress_steps) <= bound, "the survey did not terminate"
    asks = [s for s in progress_steps if s.kind is StepKind.ASK and s.question is not None]
    runs: list[list[Any]] = []
    for s in asks:
        if runs and runs[-1][0].question.id == s.question.id:
            runs[-1].append(s)
        else:
            runs.append([s])
    assert len({r[0].question.id for r in runs}) == len(runs), "a question was asked again after moving on"
    for run in runs:
        assert run[0].repeat is None and all(s.repeat is not None for s in run[1:])
        question = run[0].question
        assert sum(s.repeat == "no_input" for s in run) <= question.on_no_input.repeats
        assert sum(s.repeat == "invalid_input" for s in run) <= question.on_invalid.repeats
    answered = [a.question_id for a in progress_steps[-1].progress.answers]
    assert len(answered) == len(set(answered))


@given(definitions(), st.randoms(use_true_random=False))
@settings(max_examples=300, deadline=None)
def test_valid_answers_follow_the_branches_to_the_outro(definition: SurveyDefinition, rnd: Any) -> None:
    step = next_step(definition, Progress(), Start())
    step = next_step(definition, step.progress, NoInput() if step.collect else Played())
    while not step.final:
        question = step.question
        if question.kind is Kind.RECORDING:
            event: Any = Recorded("/r.wav", 3.0)
        elif question.kind is Kind.NUMBER:
            event = Digits("1" * question.min_digits + "#")
        elif question.kind is Kind.YES_NO:
            event = Digits(rnd.choice(["1", "2"]))
        else:
            event = Digits(rnd.choice(question.accepted_values()))
        step = next_step(definition, step.progress, event)
        expected = dict(question.branches).get(step.progress.answers[-1].value) or question.next or (
            definition.following(question.id))
        assert (step.question.id if step.question else END) == expected
    assert step.kind is StepKind.END and step.completed and step.prompt == definition.outro


def test_a_resumed_survey_asks_the_next_question_afresh_or_plays_the_outro() -> None:
    definition = SurveyDefinition.from_dict(survey(q("a"), q("b")))
    after_a = resume(definition, [Answer("a", "4", "4")])
    step = resume_step(definition, after_a)
    assert step.kind is StepKind.ASK and step.question is not None and step.question.id == "b"
    assert step.collect is not None and step.repeat is None
    done = resume_step(definition, resume(definition, [Answer("a", "4", "4"), Answer("b", "2", "2")]))
    assert done.kind is StepKind.END and done.completed and done.prompt == definition.outro
