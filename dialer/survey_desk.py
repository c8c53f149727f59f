"""Surveys played on Asterisk by the engine: after a call with an agent, and in survey campaigns without agents.

``Engine.surveys`` (a ``SurveyDesk``) runs ``surveys.model.next_step`` for each customer in a survey and asks each
step in ``dialer-survey`` (``dialer.survey_ivr``: Setvars, then a Redirect). Every answer is saved the moment it
arrives (``surveys.repository.save_answer``) before the next step is asked, so a customer who hangs up halfway, or
an engine that dies, leaves the answers given so far; a response never ended counts as a drop-off.

- **After a call** (``survey_offers`` mode ``after_call`` of the call's campaign or queue): when a call meets its
  agent, the system draws whether this customer is offered the survey (``share``; nobody offered it again within
  ``once_per_days``, by number), and the offer is written at once (a ``survey_responses`` row, mode ``after_call``,
  with the agent): an offer made is counted even if the customer hangs up first, so the offer rate per agent cannot
  be steered by the agent. When the agent ends the call (the panel's hang-up, a disposition while connected, its
  phone hung up) the engine Redirects the customer out of the conference into the survey instead of hanging it up
  (``take_over``).
- ``press 9`` (the definition's ``opt_out_digit``) puts the number on the campaign's DNC list, audited.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from dialer import call_records, calls
from dialer.calls import Call, CallState, Pool, PoolKind
from dialer.engine_api import EngineError
from dialer.pbx_port import (
    CTX_SURVEY,
    VAR_HOLD_S,
    LegFailed,
    LegHungUp,
    LegKind,
    PbxError,
    PbxEvent,
    SurveyAnswered,
)
from dialer.survey_ivr import IvrError, IvrStep, bye_step, ivr_step, survey_event
from surveys import repository as survey_repo
from surveys.model import (
    EndReason,
    Hangup,
    Played,
    Progress,
    Start,
    Step,
    StepKind,
    SurveyDefinition,
    answered_values,
    next_step,
    resume,
    resume_step,
)

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)

DEFAULT_RECORD_DIR = "/var/spool/asterisk/monitor/dialer/surveys"
ENGINE_RESTART = "engine_restart"     # ended_reason of a survey the engine's crash cut (its customer gone)
ASKED_AFTER_RESTART = 1000            # step tokens of a resumed survey count on from here: none is an old step's
CLOSING_MAX_S = 120.0                 # a survey's end (outro, goodbye) is over by then: its line is free at the latest


@dataclass(frozen=True, slots=True)
class Offer:
    """A campaign's or queue's survey setting (a ``survey_offers`` row)."""

    survey_id: int
    mode: str
    share: float
    once_per_days: int


@dataclass(frozen=True, slots=True)
class CampaignSurvey:
    """A survey campaign without agents: its survey and its lines (channel capacity, what paces it)."""

    survey_id: int
    lines: int


@dataclass
class Run:
    """One customer's survey on one leg."""

    leg_id: str
    response_id: int
    definition: SurveyDefinition
    call_id: int
    context: dict[str, Any]
    progress: Progress = field(default_factory=Progress)
    step: Step | None = None
    token: str = ""
    asked: int = 0
    sent: dict[str, str] = field(default_factory=dict)    # variables already set on the leg
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    started: bool = False
    done: bool = False


class SurveyDesk:
    """The engine's surveys on Asterisk (see the module docstring)."""

    def __init__(self, engine: Engine, *, seed: int | None = None) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        # leg of a connected call -> its draw (under way or done): the survey offered to it, or None
        self.offered: dict[str, asyncio.Future[Run | None]] = {}
        self.running: dict[str, Run] = {}      # leg -> its survey under way
        self._offers: dict[tuple[int | None, int | None], tuple[float, Offer | None]] = {}
        self.campaign_surveys: dict[int, CampaignSurvey] = {}   # survey campaigns, kept by their runners
        self.starting: dict[str, int] = {}     # survey campaign legs whose survey is being opened -> campaign
        self._dnc_lock = asyncio.Lock()
        self.gone_early: set[str] = set()      # survey campaign legs that hung up while their survey was opening
        # legs that pressed 0 (moved to a queue or a campaign with agents) -> (the campaign whose survey they were
        # in, their new call): still on that campaign's line until the new call's customer is gone (see in_survey)
        self.moved: dict[str, tuple[int, int]] = {}
        # survey campaign legs hearing their survey's end (outro, goodbye) -> (campaign, monotonic deadline): on
        # its line until their hang-up arrives (the deadline only in case that event is lost)
        self.closing: dict[str, tuple[int, float]] = {}
        self.wait_s = 10.0                     # DIALER_SV_WAIT_S: how long the dialplan waits for our next step
        self.survey_hold_s = 10.0              # DIALER_HOLD_S of a survey campaign's customers (see hold_s)
        self.sounds_pbx_dir = "surveys"        # uploaded prompts as Asterisk names them (settings)
        self.record_dir = DEFAULT_RECORD_DIR   # where Record() writes spoken answers, as Asterisk names it

    # --- offers ---------------------------------------------------------------------------------
    async def offer_of(self, *, campaign_id: int | None, queue_id: int | None) -> Offer | None:
        """The survey setting of a campaign (else of a queue), read at most every 10 s."""
        key, now = (campaign_id, queue_id), self.engine.clock.monotonic()
        cached = self._offers.get(key)
        if cached is not None and now - cached[0] < 10.0:
            return cached[1]
        row = await self.engine.pool.fetchrow(
            "SELECT survey_id, mode, share, once_per_days FROM survey_offers"
            " WHERE (campaign_id = $1 AND $1::bigint IS NOT NULL) OR (queue_id = $2 AND $2::bigint IS NOT NULL)"
            " ORDER BY campaign_id NULLS LAST LIMIT 1", campaign_id, queue_id)
        offer = Offer(row["survey_id"], row["mode"], row["share"], row["once_per_days"]) if row else None
        self._offers[key] = (now, offer)
        return offer

    def call_connected(self, call_id: int, leg_id: str, agent_id: int | None) -> None:
        """A call met its agent: draw, once, whether its customer is offered the after-call survey."""
        if leg_id in self.offered or leg_id in self.running:
            return
        context = self.engine.call_context.get(call_id, {})
        draw: asyncio.Future[Run | None] = asyncio.get_running_loop().create_future()
        self.offered[leg_id] = draw
        self.engine.spawn(self._draw(draw, call_id, leg_id, agent_id, context), name=f"survey-offer-{call_id}")

    async def _draw(self, draw: asyncio.Future[Run | None], call_id: int, leg_id: str, agent_id: int | None,
                    context: dict[str, Any]) -> None:
        run = None
        try:
            run = await self._offer(call_id, leg_id, agent_id, context)
        finally:
            draw.set_result(run)        # a failed draw offers nothing: the call ends as usual

    async def _offer(self, call_id: int, leg_id: str, agent_id: int | None, context: dict[str, Any]) -> Run | None:
        """Whether this customer is offered the survey; if so its response is written now (the offer counts even
        if the customer hangs up before the agent ends the call)."""
        offer = await self.offer_of(campaign_id=context.get("campaign_id"), queue_id=context.get("queue_id"))
        if offer is None or offer.mode != "after_call" or self.rng.random() >= offer.share:
            return None
        number = context.get("number") or context.get("caller") or None
        return await self._open(offer.survey_id, "after_call", call_id, leg_id, context, agent_id=agent_id,
                                number=number, once_per_days=offer.once_per_days)

    async def _open(self, survey_id: int, mode: str, call_id: int, leg_id: str, context: dict[str, Any], *,
                    agent_id: int | None, number: str | None, once_per_days: int = 0) -> Run | None:
        """Write the response. After a call, None: ``number`` had this survey within ``once_per_days`` days or
        pressed its stop key once, decided in the database at once with the insert
        (``surveys.repository.offer_response``); a survey campaign's person reached always has its survey (the
        campaign's DNC list and its one call per lead are its rule)."""
        pool, now = self.engine.pool, self.engine.clock.now()
        version = await survey_repo.latest_version(pool, survey_id)
        where = {"call_record_id": call_id, "lead_id": context.get("lead_id"),
                 "campaign_id": context.get("campaign_id"), "queue_id": context.get("queue_id"),
                 "agent_id": agent_id, "leg_id": leg_id}
        if mode == "after_call":
            response_id = await survey_repo.offer_response(pool, version=version, mode=mode, offered_at=now,
                                                           phone=number, once_per_days=once_per_days, **where)
        else:
            response_id = await survey_repo.open_response(pool, version=version, mode=mode, offered_at=now,
                                                          phone=number, **where)
        if response_id is None:
            return None
        return Run(leg_id, response_id, version.definition, call_id, dict(context))

    def wants(self, leg_id: str) -> bool:
        """Whether the customer on ``leg_id`` goes into its after-call survey instead of being hung up."""
        return leg_id in self.offered

    async def take_over(self, leg_id: str) -> bool:
        """The agent ended the call of ``leg_id``: start its survey (True), or nothing was offered (False)."""
        draw = self.offered.pop(leg_id, None)
        run = await draw if draw is not None else None
        if run is None:
            return False
        self.running[leg_id] = run
        await self._begin(run)
        return True

    # --- survey campaigns -------------------------------------------------------------------------
    async def follow_campaign(self, campaign_id: int) -> None:
        """Read whether ``campaign_id`` is a survey campaign (its runner asks at start and every 10 s)."""
        row = await self.engine.pool.fetchrow(
            "SELECT survey_id, lines FROM survey_offers WHERE campaign_id = $1 AND mode = 'campaign'", campaign_id)
        if row is None:
            self.campaign_surveys.pop(campaign_id, None)
        else:
            self.campaign_surveys[campaign_id] = CampaignSurvey(row["survey_id"], row["lines"])

    def in_survey(self, campaign_id: int) -> int:
        """Customers of a survey campaign on its lines now: in their survey, hearing its end, or moved by press 0
        to an agent and not gone yet (their new call neither ended nor in wrap-up)."""
        return sum(1 for run in self.running.values() if run.context.get("campaign_id") == campaign_id) + sum(
            1 for cid in self.starting.values() if cid == campaign_id) + self._moved_on(campaign_id) + \
            self._closing_on(campaign_id)

    def _closing_on(self, campaign_id: int) -> int:
        now, on_line = self.engine.clock.monotonic(), 0
        for leg, (cid, until) in list(self.closing.items()):
            if now >= until:
                del self.closing[leg]
            elif cid == campaign_id:
                on_line += 1
        return on_line

    def _moved_on(self, campaign_id: int) -> int:
        on_line = 0
        for leg, (cid, call_id) in list(self.moved.items()):
            call = self.engine.calls.get(call_id)
            if call is None or call.terminal or call.state is CallState.WRAP_UP:
                del self.moved[leg]          # the customer is gone: its line is free
            elif cid == campaign_id:
                on_line += 1
        return on_line

    def hold_s(self, campaign_id: int, default: float) -> float:
        """``DIALER_HOLD_S`` of a customer leg: a survey campaign's person is moved into the survey, not to an
        agent, so the dialplan's own safe harbor waits longer (it only plays if no engine acts at all)."""
        return max(default, self.survey_hold_s) if campaign_id in self.campaign_surveys else default

    def person_ready(self, call: Call) -> None:
        """A customer known to be a person: in a survey campaign it goes into the survey now (its call ends
        handled with no agent), instead of waiting for an agent there is none of."""
        if call.pool.kind is not PoolKind.CAMPAIGN or call.state is not CallState.WAITING:
            return
        survey = self.campaign_surveys.get(call.pool.id)
        if survey is None:
            return
        self.starting[call.leg_id] = call.pool.id
        self.engine.apply_call(call.call_id, calls.SurveyTaken())
        self.engine.spawn(self._start_campaign_call(call.call_id, call.leg_id, survey.survey_id),
                          name=f"survey-start-{call.call_id}")

    async def _start_campaign_call(self, call_id: int, leg_id: str, survey_id: int) -> None:
        try:
            context = self.engine.call_context.get(call_id, {})
            run = await self._open(survey_id, "campaign", call_id, leg_id, context, agent_id=None,
                                   number=context.get("number"))
        finally:
            self.starting.pop(leg_id, None)
        assert run is not None, "a survey campaign's response is always written (no once_per_days)"
        self.running[leg_id] = run
        if leg_id in self.gone_early:       # hung up while its response was being opened
            self.gone_early.discard(leg_id)
            async with run.lock:
                await self._gone(run)
            return
        await self._begin(run)

    # --- after a restart ------------------------------------------------------------------------
    async def recover(self) -> tuple[int, int]:
        """Surveys this engine left open when it died (their call's record is this engine's): a customer still in
        ``dialer-survey`` resumes at the question after its last saved answer (``surveys.model.resume``); any
        other is closed, ``ended_reason`` ``engine_restart``, not completed, its answers kept. Returns (resumed,
        closed)."""
        engine = self.engine
        rows = await engine.pool.fetch(
            "SELECT r.id, r.version_id, r.leg_id, r.call_record_id, r.lead_id, r.campaign_id, r.queue_id, r.phone,"
            " r.agent_id, r.started_at FROM survey_responses r JOIN call_records c ON c.id = r.call_record_id"
            " WHERE r.ended_at IS NULL AND r.mode IN ('after_call', 'campaign') AND c.engine_id = $1"
            " ORDER BY r.id", engine.engine_id)
        ended = await engine.pool.fetchval(      # survey campaign customers this engine had: maybe still on lines
            "SELECT EXISTS (SELECT 1 FROM survey_responses r JOIN call_records c ON c.id = r.call_record_id"
            " WHERE r.mode = 'campaign' AND r.ended_at IS NOT NULL AND c.engine_id = $1)", engine.engine_id)
        if not rows and not ended:
            return 0, 0
        try:
            channels = {c.leg_id: c for c in await engine.pbx.channels() if c.leg_id}
        except PbxError as exc:      # nothing known of the legs: the surveys stay open, drop-offs
            log.warning("surveys not recovered: the PBX's channel list is unavailable (%s)", exc)
            return 0, 0
        if ended:
            await self._lines_still_taken(channels)
        if not rows:
            return 0, 0
        resumed = closed = 0
        for row in rows:
            channel = channels.get(row["leg_id"]) if row["leg_id"] else None
            if channel is None or channel.context != CTX_SURVEY or row["started_at"] is None \
                    or row["leg_id"] in self.running:
                await survey_repo.end_response(engine.pool, row["id"], at=engine.clock.now(), completed=False,
                                               ended_reason=ENGINE_RESTART)
                closed += 1
                continue
            version = await survey_repo.version_by_id(engine.pool, row["version_id"])
            answers = await survey_repo.saved_answers(engine.pool, row["id"])
            context = {"campaign_id": row["campaign_id"], "queue_id": row["queue_id"], "lead_id": row["lead_id"],
                       "number": row["phone"]}
            run = Run(row["leg_id"], row["id"], version.definition, row["call_record_id"], context,
                      progress=resume(version.definition, answers), asked=ASKED_AFTER_RESTART, started=True)
            engine.pbx.adopt(channel, LegKind.CUSTOMER)     # its events reach us again
            self.running[run.leg_id] = run
            async with run.lock:
                await self._play(run, resume_step(run.definition, run.progress))
            resumed += 1
        log.warning("surveys open at the restart: %s resumed (the customer still in its survey), %s closed",
                    resumed, closed)
        return resumed, closed

    async def _lines_still_taken(self, channels: dict[str, Any]) -> None:
        """Survey campaign customers whose survey ended before the restart but who are still on the PBX keep their
        campaign's line counted (``in_survey``): one hearing its survey's end (followed again, so its hang-up frees
        the line; ``CLOSING_MAX_S`` at the latest), one that pressed 0 until its new call (adopted by the crash
        recovery) ends. Without this the restarted engine dialled their lines again at once."""
        engine = self.engine
        rows = await engine.pool.fetch(
            "SELECT r.leg_id, r.campaign_id, r.ended_reason, r.call_record_id,"
            " (SELECT t.id FROM call_records t WHERE t.transferred_from_call_id = r.call_record_id"
            "  ORDER BY t.id DESC LIMIT 1) AS moved_to"
            " FROM survey_responses r JOIN call_records c ON c.id = r.call_record_id"
            " WHERE r.mode = 'campaign' AND r.ended_at IS NOT NULL AND r.campaign_id IS NOT NULL"
            " AND c.engine_id = $1 AND r.leg_id = ANY($2::text[])", engine.engine_id, sorted(channels))
        for row in rows:
            leg, campaign_id = row["leg_id"], int(row["campaign_id"])
            channel = channels[leg]
            if row["moved_to"] is not None and int(row["moved_to"]) in engine.calls:
                self.moved[leg] = (campaign_id, int(row["moved_to"]))
            elif channel.context == CTX_SURVEY:
                engine.pbx.adopt(channel, LegKind.CUSTOMER)     # its hang-up frees the line
                self.closing[leg] = (campaign_id, engine.clock.monotonic() + CLOSING_MAX_S)
        if rows:
            log.warning("survey campaign customers still on their lines at the restart: %s hearing the end, %s moved "
                        "to an agent", sum(1 for r in rows if r["leg_id"] in self.closing),
                        sum(1 for r in rows if r["leg_id"] in self.moved))

    # --- the survey -----------------------------------------------------------------------------
    async def _begin(self, run: Run) -> None:
        async with run.lock:
            step = next_step(run.definition, run.progress, Start())
            if step.collect is None and not step.final:      # an intro with no key to press: said before question 1
                first = next_step(run.definition, step.progress, Played())
                step = replace(first, prompt=step.prompt + first.prompt) if not first.final else first
            await survey_repo.mark_started(self.engine.pool, run.response_id, at=self.engine.clock.now())
            run.started = True
            await self._play(run, step)

    def observe(self, event: PbxEvent) -> bool:
        """A PBX event of a leg in a survey: an answer (taken: True), or the leg gone (the survey ends there; the
        event goes on to the call and agent machines too: False)."""
        leg = getattr(event, "leg_id", None)
        if isinstance(event, SurveyAnswered):
            run = self.running.get(event.leg_id)
            if run is not None:
                self.engine.spawn(self._answered(run, event), name=f"survey-answer-{event.leg_id}")
            return True
        if isinstance(event, (LegHungUp, LegFailed)) and leg is not None:
            self.closing.pop(leg, None)      # a survey campaign's line is free
            self.moved.pop(leg, None)
            draw = self.offered.pop(leg, None)
            if draw is not None:     # offered, never begun: the offer stays counted, the response closed
                self.engine.spawn(self._never_begun(draw), name=f"survey-not-begun-{leg}")
            run = self.running.get(leg)
            if run is not None:
                self.engine.spawn(self._hung_up(run), name=f"survey-gone-{leg}")
            elif leg in self.starting:
                self.gone_early.add(leg)
        return False

    async def _never_begun(self, draw: asyncio.Future[Run | None]) -> None:
        run = await draw
        if run is not None:
            await self.engine.pool.execute(
                "UPDATE survey_responses SET ended_at = $2, ended_reason = 'hangup' WHERE id = $1 AND ended_at IS NULL",
                run.response_id, self.engine.clock.now())

    async def _answered(self, run: Run, answer: SurveyAnswered) -> None:
        async with run.lock:
            if run.done or run.step is None or answer.step != run.token:
                log.info("survey answer for step %s of leg %s ignored (asking %s)", answer.step, run.leg_id, run.token)
                return
            event = survey_event(answer, run.step.collect)
            step = next_step(run.definition, run.progress, event)
            await self._play(run, step)

    async def _hung_up(self, run: Run) -> None:
        async with run.lock:
            await self._gone(run)

    async def _gone(self, run: Run) -> None:
        """The customer is gone: the survey ends there, its answers kept (the caller holds ``run.lock``)."""
        self.running.pop(run.leg_id, None)
        self.closing.pop(run.leg_id, None)
        if run.done:
            return
        run.done = True
        if not run.started:      # gone before its first step: offered, never begun
            await self.engine.pool.execute(
                "UPDATE survey_responses SET ended_at = $2, ended_reason = 'hangup' WHERE id = $1 AND ended_at IS NULL",
                run.response_id, self.engine.clock.now())
            return
        step = next_step(run.definition, run.progress, Hangup())
        await survey_repo.end_response(self.engine.pool, run.response_id, at=self.engine.clock.now(),
                                       completed=step.completed, ended_reason=step.ended_reason)

    async def _play(self, run: Run, step: Step) -> None:
        """Save the answer the step carries (at once), then ask it, or end the survey as it says."""
        pool, now = self.engine.pool, self.engine.clock.now()
        if step.answer is not None:
            await survey_repo.save_answer(pool, response_id=run.response_id, answer=step.answer, at=now)
        run.progress, run.step = step.progress, step
        run.asked += 1
        if not step.final:
            try:
                ivr = ivr_step(step, run.asked, answers=answered_values(step.progress), upload_sound=self._upload,
                               record_file=lambda token: f"{self.record_dir}/response-{run.response_id}-{token}",
                               wait_s=self.wait_s)
            except IvrError as exc:
                log.error("survey %s cannot be played on leg %s: %s", run.response_id, run.leg_id, exc)
                await self._end(run, step, EndReason.INVALID_INPUT)
                return
            run.token = ivr.token
            await self._send(run, ivr)
            return
        if step.kind is StepKind.OPT_OUT:
            await self._opt_out(run)
        if step.kind is StepKind.TRANSFER:
            moved_to = await self._transfer(run, step)
            if moved_to is not None:
                if run.context.get("campaign_id") in self.campaign_surveys:   # its line is taken until it is gone
                    self.moved[run.leg_id] = (run.context["campaign_id"], moved_to)
                await self._end(run, step, step.ended_reason)
                return
        campaign_id = run.context.get("campaign_id")
        if campaign_id in self.campaign_surveys:     # on its line while it hears the end, until it hangs up
            self.closing[run.leg_id] = (campaign_id, self.engine.clock.monotonic() + self.wait_s + CLOSING_MAX_S)
        await self._end(run, step, step.ended_reason)
        await self._send(run, bye_step(step.prompt, run.asked, upload_sound=self._upload))

    async def _end(self, run: Run, step: Step, reason: EndReason | None) -> None:
        run.done = True
        self.running.pop(run.leg_id, None)
        await survey_repo.end_response(self.engine.pool, run.response_id, at=self.engine.clock.now(),
                                       completed=reason is EndReason.COMPLETED, ended_reason=reason)

    async def _send(self, run: Run, ivr: IvrStep) -> None:
        pbx = self.engine.pbx
        try:
            for name, value in ivr.variables.items():
                if run.sent.get(name) != value:
                    await pbx.set_var(run.leg_id, name, value)
                    run.sent[name] = value
            await pbx.redirect(run.leg_id, context=CTX_SURVEY, exten=ivr.exten)
        except PbxError as exc:      # the customer is gone (maybe before we followed it): the survey ends here
            log.info("survey step %s on %s not sent: %s", ivr.token, run.leg_id, exc)
            await self._gone(run)

    def _upload(self, prompt_id: str) -> str:
        from surveys.prompts import sound_name

        return sound_name(self.sounds_pbx_dir, prompt_id)

    # --- press 9, press 0 -------------------------------------------------------------------------
    async def _opt_out(self, run: Run) -> None:
        """The number goes on the campaign's DNC list, audited (actor ``survey``, the response named). Any number
        that pressed it is never offered this survey again after a call (``survey_repo.offer_response``)."""
        from dnc import repository as dnc_repo
        from dnc.lists import ListKind

        number = run.context.get("number")
        campaign_id = run.context.get("campaign_id")
        if not number or campaign_id is None:     # a queue's caller: never offered this survey again (offer_response)
            log.info("survey response %s: press-to-stop with no campaign DNC list to go on (number %s)",
                     run.response_id, number or "unknown")
            return
        now = self.engine.clock.now()
        async with self._dnc_lock, self.engine.pool.acquire() as conn:   # the campaign's list is made once
            name = await conn.fetchval("SELECT name FROM dnc_lists WHERE kind = 'campaign' AND campaign_id = $1"
                                       " ORDER BY id LIMIT 1", campaign_id)
            if name is None:
                name = f"campaign-{campaign_id}"
                await dnc_repo.ensure_list(conn, name=name, kind=ListKind.CAMPAIGN, actor="survey", now=now,
                                           campaign_id=campaign_id)
            await dnc_repo.add_entry(conn, list_name=name, number=number, actor="survey", now=now,
                                     reason=f"pressed {run.definition.opt_out_digit} in survey response "
                                            f"{run.response_id}")

    async def _transfer(self, run: Run, step: Step) -> int | None:
        """Press 0 (the talk-to-someone key): the customer goes to the survey's queue (a normal caller of it,
        ``dialer.queue_transfer.survey_to_queue``) or campaign with agents (``engine.survey_to_campaign``), with the
        answers given so far for the agent's pop; returns its new call's id. None (the survey ends with its outro)
        if it cannot."""
        target = step.transfer_to
        if target is None:
            log.warning("survey response %s: talk-to-someone pressed, but the survey names nobody", run.response_id)
            return None
        info = survey_pop(run.definition, run.progress, response_id=run.response_id)
        number = str(run.context.get("number") or run.context.get("caller") or "")
        try:
            if target.kind == "queue":
                from dialer.queue_transfer import survey_to_queue

                new_id = await survey_to_queue(self.engine, leg_id=run.leg_id, call_id=run.call_id, number=number,
                                               lead_id=run.context.get("lead_id"), queue_id=target.id, survey=info)
            else:
                new_id = await survey_to_campaign(self.engine, leg_id=run.leg_id, call_id=run.call_id,
                                                  number=number, lead_id=run.context.get("lead_id"),
                                                  campaign_id=target.id, survey=info)
        except EngineError as exc:
            log.warning("survey response %s: the customer asked for someone, not routed: %s", run.response_id, exc)
            return None
        log.info("survey response %s: the customer went to %s %s (call %s)", run.response_id, target.kind,
                 target.id, new_id)
        return new_id


def survey_pop(definition: SurveyDefinition, progress: Progress, *, response_id: int) -> dict[str, Any]:
    """What the agent's pop shows of a survey the customer left for a person: its name and each answer given
    (the question's text, else its id; a choice by its label; a skipped question as None)."""
    answers = []
    for answer in progress.answers:
        try:
            question = definition.question(answer.question_id)
        except KeyError:
            continue
        value = dict(question.choices).get(answer.value, answer.value) if answer.value is not None else None
        answers.append({"question": question.text or question.id, "answer": value})
    return {"response_id": response_id, "name": definition.name, "answers": answers}


async def survey_to_campaign(engine: Engine, *, leg_id: str, call_id: int, number: str, lead_id: int | None,
                             campaign_id: int, survey: dict[str, Any]) -> int:
    """A customer in a survey pressed the talk-to-someone key and its survey names a campaign with agents: the
    leg becomes an answered call of that campaign (its own ``outbound`` record, ``transferred_from_call_id`` = the
    survey's call) waiting for its ready agents as any answered call does, so the 2-second rule holds: nobody
    ready by the campaign's safe-harbor deadline sends it to the safe harbor, counted abandoned. The pop shows
    ``survey``. Refused (EngineError) when the campaign does not run on this engine or the leg is gone."""
    campaign = engine.campaigns.get(campaign_id)
    if campaign is None:
        raise EngineError(f"campaign {campaign_id} is not running")
    new_leg = f"{leg_id}~{call_id}"
    new_id = await call_records.open_record(
        engine.pool, campaign_id=campaign.id, lead_id=lead_id, agent_id=None, engine_id=engine.engine_id,
        leg_id=new_leg, direction="outbound", phone_e164=number, dial_string="", caller_id=campaign.caller_id,
        originated_at=engine.clock.now())
    await engine.pool.execute("UPDATE call_records r SET transferred_from_call_id=$2, pbx_server=f.pbx_server,"
                              " pbx_channel=f.pbx_channel FROM call_records f WHERE r.id=$1 AND f.id=$2",
                              new_id, call_id)
    try:     # the campaign's own safe harbor for its customer, should the engine not act in time
        await engine.pbx.set_var(leg_id, VAR_HOLD_S, f"{campaign.hold_s:g}")
    except PbxError as exc:
        await engine.pool.execute("DELETE FROM call_records WHERE id=$1", new_id)
        raise EngineError(f"the customer could not be sent to the campaign: {exc}") from None
    call = Call(call_id=new_id, leg_id=leg_id, pool=Pool(PoolKind.CAMPAIGN, campaign.id), policy=campaign.policy(),
                lead_id=lead_id)
    engine.calls[new_id] = call
    engine.call_of_leg[leg_id] = new_id
    engine.call_context[new_id] = {"campaign_id": campaign.id, "lead_id": lead_id, "number": number,
                                   "direction": "outbound", "record": campaign.record_calls,
                                   "campaign_name": campaign.name, "safe_harbor_sound": campaign.safe_harbor_sound,
                                   "from_survey": dict(survey)}
    engine.board.call_changed(None, call)
    engine.apply_call(new_id, calls.Arrive())       # answered, a person: its agent now, or the safe harbor
    return new_id
