"""The agent-scripted survey (mode ``scripted``): the campaign's survey shown in the panel during a call.

When a call of a campaign that names a survey (``surveys.repository.scripted_survey``) pops, ``start``
opens a response linked to the call record, the lead, the campaign and the agent, and runs
``surveys.model.next_step`` to the first question. Each ``survey_answer`` from the panel is one event of
that machine (a key's value as ``Digits``, yes/no as 1/2, a spoken answer as the agent's ``Noted`` text,
``null`` to skip: the question's no-input rule applied at once) and its answer is saved at once
(``save_answer``). The disposition closes the response: completed when the survey reached its outro,
else ``disposed`` (a drop-off at the question on screen, ``surveys.stats``).

The server -> client message is ``survey`` {call_id, survey_id, name, question | null, answers, done,
completed}; ``question`` is {id, kind, text, choices, min_digits, max_digits}.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from surveys import repository as repo
from surveys.model import (
    Digits,
    Kind,
    NoInput,
    Noted,
    Played,
    Progress,
    Start,
    Step,
    StepKind,
    SurveyDefinition,
    next_step,
    resume,
)


class SurveyRefused(ValueError):
    """An answer the survey cannot take: ``code`` and ``params`` for ``sv_panel_<code>``."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


@dataclass(slots=True)
class ScriptedSurvey:
    call_id: str
    survey_id: int
    definition: SurveyDefinition
    response_id: int
    step: Step

    def view(self) -> dict[str, Any]:
        question = self.step.question if not self.step.final else None
        return {
            "type": "survey", "call_id": self.call_id, "survey_id": self.survey_id, "name": self.definition.name,
            "question": None if question is None else {
                "id": question.id, "kind": question.kind.value, "text": question.text,
                "choices": [{"digit": d, "label": label} for d, label in question.choices],
                "min_digits": question.min_digits, "max_digits": question.max_digits},
            "answers": [{"question_id": a.question_id, "value": a.value} for a in self.step.progress.answers],
            "done": self.step.final, "completed": self.step.completed,
        }

    async def answer(self, pool: asyncpg.Pool, *, question_id: str, value: str | None, now: datetime) -> None:
        """Apply one answer of the agent and save it at once; ``SurveyRefused`` if it does not fit."""
        question = self.step.question
        if self.step.final or question is None:
            raise SurveyRefused("not_now")
        if question_id != question.id:
            raise SurveyRefused("wrong_question")
        progress = self.step.progress
        if value is None:
            progress = replace(progress, no_inputs=question.on_no_input.repeats)
            event: Any = NoInput()
        elif question.kind is Kind.RECORDING:
            event = Noted(value)
        elif question.kind is Kind.YES_NO:
            event = Digits({"yes": "1", "no": "2"}.get(value, "x"))
        else:
            event = Digits(value.strip())
        if value is not None:
            progress = replace(progress, invalids=question.on_invalid.repeats + 1)   # no repeat: refuse instead
        step = next_step(self.definition, progress, event)
        if step.repeat == "invalid_input" or (step.answer is not None and step.answer.value is None
                                              and step.answer.skipped == "invalid_input"):
            raise SurveyRefused("invalid", value=value)
        if step.answer is not None:
            await repo.save_answer(pool, response_id=self.response_id, answer=step.answer, at=now)
        self.step = step
        if step.final:
            await self.finish(pool, now=now)

    async def finish(self, pool: asyncpg.Pool, *, now: datetime) -> None:
        """Close the response (once): completed, or ended by the disposition before the outro."""
        reason = self.step.ended_reason.value if self.step.final and self.step.ended_reason else "disposed"
        await repo.end_response(pool, self.response_id, at=now, completed=self.step.completed, ended_reason=reason)


async def start(pool: asyncpg.Pool, *, campaign_id: int | None, call_id: str, lead_id: int | None, agent_id: int,
                now: datetime) -> ScriptedSurvey | None:
    """The campaign's scripted survey opened for this call, at its first question; None when it has none."""
    if campaign_id is None:
        return None
    survey_id = await repo.scripted_survey(pool, campaign_id=campaign_id)
    if survey_id is None:
        return None
    version = await repo.latest_version(pool, survey_id)
    record = await pool.fetchval("SELECT id FROM call_records WHERE id = $1", int(call_id)) if (
        call_id.isdigit()) else None
    earlier = None if record is None else await repo.response_for_call(pool, call_record_id=record,
                                                                        survey_id=survey_id)
    if earlier is not None:
        if earlier["ended_at"] is not None:
            return None                     # asked and closed already
        # the panel was reloaded mid-call: carry on where the saved answers lead
        response_id = earlier["id"]
        answers = await repo.saved_answers(pool, response_id)
        progress = resume(version.definition, answers)
        if progress.at not in {q.id for q in version.definition.questions}:
            return None
        step = Step(StepKind.ASK, (), progress, question=version.definition.question(progress.at))
        return ScriptedSurvey(call_id, survey_id, version.definition, response_id, step)
    response_id = await repo.open_response(pool, version=version, mode="scripted", offered_at=now,
                                           call_record_id=record, lead_id=lead_id, campaign_id=campaign_id,
                                           agent_id=agent_id)
    await repo.mark_started(pool, response_id, at=now)
    step = next_step(version.definition, Progress(), Start())
    step = next_step(version.definition, step.progress, NoInput() if step.collect else Played())
    return ScriptedSurvey(call_id, survey_id, version.definition, response_id, step)

