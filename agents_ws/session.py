"""One agent panel connection: checks who is asking on every message, relays the engine's state, pops calls.

``PanelSession.run()`` owns two loops in a task group: ``_read`` takes the agent's messages (each is
re-authenticated, role-checked, validated, and checked against the campaigns the agent is assigned
to before it reaches the engine) and ``_pump`` forwards every change of the agent's state. When a
call reaches the agent, the pop (lead, history, dispositions) is sent at once and the external CRM
is fetched in the background; its answer follows as a ``crm`` message.

Presence: a third loop, ``_heartbeat``, sends ``{"type": "heartbeat"}`` every third of the grace period
(``settings.panel_grace_s``, on the one clock); the panel answers with a ``ping``. A panel silent for the
whole grace period (network lost) is closed with ``CLOSE_SILENT``. The engine's ``PanelWatch``
(``dialer.presence``) is told when this panel opens and closes (a silent one: as of when it was last
heard), and pauses the agent once all its panels have been gone for the grace period; a state paused for
that reason carries ``notice: "paused_disconnected"`` (an ``admin_ui.i18n`` key the panel shows).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import WebSocket, WebSocketDisconnect

from admin_ui.auth import CurrentUser, authenticate_connection, services_of
from agents_ws import leads, protocol
from agents_ws.crm import fetch_crm
from agents_ws.engine_link import engine_method, panel_watch, running_engine
from agents_ws.panel_strings import translated
from agents_ws.protocol import ProtocolError
from agents_ws.tabs import TabRegistry
from campaigns import queue_repository
from campaigns.errors import CampaignError
from campaigns.panel_settings import render_script
from campaigns.queue_hours import is_open
from campaigns.windows import is_zone, local_time_to_utc
from dialer import inbound_pop
from dialer.agents import DISCONNECTED
from dialer.engine_api import DispositionInput, EngineError
from dialer.users import Role
from dnc.errors import InvalidNumber
from dnc.numbers import normalise

log = logging.getLogger(__name__)
CLOSE_EXPIRED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_SILENT = 4408       # the panel stopped answering heartbeats


class SessionEnded(Exception):
    """The agent's session expired or lost its role; the socket is closed."""


class PanelSession:
    def __init__(self, ws: WebSocket, user: CurrentUser, tabs: TabRegistry) -> None:
        self.ws = ws
        self.user = user
        self.tabs = tabs
        self.services = services_of(ws)
        self.tab_id = secrets.token_hex(8)
        self.popped: str | None = None                # call id of the pop on screen
        self.campaign_id: int | None = None           # the campaign the agent is signed in to
        self._send_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self.last_heard = self.services.clock.monotonic()   # the last message from the panel
        self._silent_s = 0.0                          # how long the panel had been silent when it was closed
        self._watch: Any = None                       # the engine's PanelWatch, once told this panel is open
        self.survey: Any = None                       # the scripted survey on screen (agents_ws.scripted_survey)

    # --- transport ------------------------------------------------------------------------------
    async def send(self, message: dict[str, Any]) -> None:
        message = translated(message, self.user.language)   # what the agent reads, in the agent's language
        async with self._send_lock:
            await self.ws.send_json(message)

    async def run(self) -> None:
        active = self.tabs.open(self.user.id, self.tab_id, self.send)
        try:
            async with self.services.pool.acquire() as conn:
                campaigns = await leads.assigned_campaigns(conn, user_id=self.user.id, role=self.user.role)
            await self.send({"type": "hello", "user": {"id": self.user.id, "name": self.user.display_name},
                             "campaigns": [leads.campaign_view(c) for c in campaigns], "active": active,
                             "engine": running_engine(self.ws) is not None})
            async with asyncio.TaskGroup() as group:
                group.create_task(self._read())
                group.create_task(self._pump())
                group.create_task(self._heartbeat())
        except* (WebSocketDisconnect, SessionEnded):
            pass
        finally:
            for task in self._tasks:
                task.cancel()
            if self._watch is not None:
                self._watch.closed(self.user.id, self.tab_id, silent_s=self._silent_s)
            await self.tabs.close(self.user.id, self.tab_id)

    # --- the agent's messages -------------------------------------------------------------------
    async def _read(self) -> None:
        while True:
            text = await self.ws.receive_text()
            self.last_heard = self.services.clock.monotonic()
            await self._recheck_user()
            try:
                message = protocol.parse_message(text)
            except ProtocolError as exc:
                await self.send(protocol.error(str(exc)))
                continue
            kind = message.type
            if kind not in protocol.READ_ONLY_ALLOWED and not self.tabs.is_active(self.user.id, self.tab_id):
                await self.send(protocol.error("the panel is open in another tab; use that tab or take over here",
                                               kind))
                continue
            try:
                reply = await self._handle(message)
            except (EngineError, ProtocolError) as exc:
                await self.send(protocol.error(str(exc), kind))
                continue
            except Exception:
                log.exception("panel message %s of user %s failed", kind, self.user.id)
                await self.send(protocol.error("this could not be done; the problem has been logged", kind))
                continue
            if reply is not None:
                await self.send(reply)

    async def _recheck_user(self) -> None:
        """Every message: the session must still be valid and the user still an agent (or admin)."""
        user = await authenticate_connection(self.ws)
        if user is None or user.id != self.user.id:
            await self.send({"type": "expired"})
            await self.ws.close(CLOSE_EXPIRED)
            raise SessionEnded()
        if not user.has_role(Role.AGENT):
            await self.send(protocol.error("your role no longer allows the agent panel"))
            await self.ws.close(CLOSE_FORBIDDEN)
            raise SessionEnded()
        self.user = user

    async def _handle(self, message: Any) -> dict[str, Any] | None:
        engine = running_engine(self.ws)
        user_id = self.user.id
        match message:
            case protocol.Ping():
                return {"type": "pong"}
            case protocol.TakeOver():
                await self.tabs.take_over(user_id, self.tab_id)
                return None
            case protocol.Login(campaign_id=campaign_id):
                await self._assigned(campaign_id)
                await engine_method(engine, "agent_login")(user_id, campaign_id)
                self.campaign_id = campaign_id
            case protocol.Ready():
                await engine_method(engine, "agent_ready")(user_id)
            case protocol.Pause(reason=reason):
                await self._pause_code(reason)
                await engine_method(engine, "agent_pause")(user_id, reason)
            case protocol.Logout():
                await engine_method(engine, "agent_logout")(user_id)
            case protocol.Hangup():
                await engine_method(engine, "hangup")(user_id)
            case protocol.RecordingPause(paused=paused):
                view = await engine_method(engine, "recording_pause")(user_id, paused)
                return {"type": "ok", "request": "recording", "recording": view}
            case protocol.Dispose():
                await engine_method(engine, "set_disposition")(user_id, await self._disposition(message))
                await self._survey_done(message.call_id)
            case protocol.SurveyAnswer():
                return await self._survey_answer(message)
            case protocol.Transfer(to_queue_id=int() as queue_id):
                await engine_method(engine, "transfer_to_queue")(user_id, queue_id=queue_id)
            case protocol.Transfer(to_agent_id=to_agent, to_number=to_number):
                kwargs = await self._transfer_target(to_agent, to_number)
                await engine_method(engine, "transfer")(user_id, **kwargs)
            case protocol.PreviewNext():
                await self._current_campaign()
                lead = await engine_method(engine, "preview_next")(user_id)
                return {"type": "preview", "lead": lead}
            case protocol.PreviewDial(lead_id=lead_id):
                await self._own_lead(lead_id)
                call_id = await engine_method(engine, "preview_dial")(user_id, lead_id)
                return {"type": "ok", "request": "preview_dial", "call_id": str(call_id)}
            case protocol.PreviewSkip(lead_id=lead_id):
                await self._own_lead(lead_id)
                await engine_method(engine, "preview_skip")(user_id, lead_id)
            case protocol.Dial(lead_id=lead_id):
                await self._own_lead(lead_id)
                call_id = await engine_method(engine, "manual_dial")(user_id, lead_id)
                return {"type": "ok", "request": "dial", "call_id": str(call_id)}
            case protocol.DialNumber(number=number):
                await self._current_campaign()
                call_id = await engine_method(engine, "manual_dial_number")(user_id, number)
                return {"type": "ok", "request": "dial_number", "call_id": str(call_id)}
            case protocol.Warm(action="consult" | "three_way" as action, to_agent_id=to_agent):
                target = await self._transfer_target(to_agent, None)
                await engine_method(engine, "transfer_consult")(user_id, to_agent_id=target["to_agent_id"],
                                                                three_way=action == "three_way")
            case protocol.Warm(action=action):
                await engine_method(engine, f"transfer_{action}")(user_id)
            case protocol.Queues():
                return await self._queues()
            case protocol.CreateContact():
                await self._create_contact(engine, message)
            case protocol.ReadyAgents():
                return await self._ready_agents(engine)
            case protocol.SearchLeads(text=text):
                return await self._search(text)
            case protocol.Callbacks():
                return await self._callbacks()
        return protocol.ok(message.type)

    # --- checks ---------------------------------------------------------------------------------
    async def _assigned(self, campaign_id: int) -> Any:
        campaign = await leads.campaign_for(self.services.pool, user_id=self.user.id, role=self.user.role,
                                            campaign_id=campaign_id)
        if campaign is None:
            raise ProtocolError("you are not assigned to this campaign")
        return campaign

    async def _current_campaign(self) -> Any:
        engine = running_engine(self.ws)
        campaign_id = engine.agent_state(self.user.id).get("campaign_id") if engine is not None else None
        campaign_id = campaign_id or self.campaign_id
        if campaign_id is None:
            raise ProtocolError("sign in to a campaign first")
        return await self._assigned(int(campaign_id))

    async def _pause_code(self, reason: str) -> None:
        """An agent pauses only with one of its campaign's pause codes (``Campaign.pause_codes``)."""
        codes = [p.code for p in (await self._current_campaign()).pause_codes]
        if reason not in codes:
            raise ProtocolError(f"{reason!r} is not a pause code of this campaign; choose one of {', '.join(codes)}")

    async def _own_lead(self, lead_id: int) -> None:
        campaign = await self._current_campaign()
        found = await leads.lead_for(self.services.pool, user_id=self.user.id, role=self.user.role, lead_id=lead_id)
        if found is None or found[0].campaign_id != campaign.id:
            raise ProtocolError("this lead is not in your campaign")

    async def _disposition(self, message: protocol.Dispose) -> DispositionInput:
        callback_at: datetime | None = None
        if message.callback_at:
            zone = message.callback_zone or "UTC"
            if not is_zone(zone):
                raise ProtocolError(f"unknown time zone {zone!r}")
            try:
                local = datetime.fromisoformat(message.callback_at)
            except ValueError:
                raise ProtocolError("the callback time is not a date and time") from None
            callback_at = local_time_to_utc(local.replace(tzinfo=None), zone)
            if callback_at <= self.services.clock.now():
                raise ProtocolError("the callback time is in the past")
        return DispositionInput(call_id=message.call_id, code=message.code, notes=message.notes.strip(),
                                callback_at=callback_at, callback_personal=message.callback_personal)

    async def _transfer_target(self, to_agent: int | None, to_number: str | None) -> dict[str, Any]:
        campaign = await self._current_campaign()
        if to_agent is not None:
            from campaigns import repository as campaigns_repo

            if to_agent not in await campaigns_repo.campaign_agents(self.services.pool, campaign_id=campaign.id):
                raise ProtocolError("that agent does not work in this campaign")
            return {"to_agent_id": to_agent}
        try:
            return {"to_number": normalise(to_number or "", default_region=campaign.default_region)}
        except InvalidNumber as exc:
            raise ProtocolError(str(exc)) from None

    async def _ready_agents(self, engine: Any) -> dict[str, Any]:
        """The ready agents of this agent's campaign by display name (sorted), to pick one to transfer to."""
        campaign = await self._current_campaign()
        ids = engine_method(engine, "ready_agents")(campaign.id, but=self.user.id)
        rows = await self.services.pool.fetch("SELECT id, display_name, username FROM users WHERE id = ANY($1::bigint[])",
                                              ids) if ids else []
        items = [{"id": r["id"], "name": r["display_name"] or r["username"]} for r in rows]
        return {"type": "agents", "items": sorted(items, key=lambda item: (item["name"].casefold(), item["id"]))}

    async def _queues(self) -> dict[str, Any]:
        """The inbound queues by name, with whether each is open now (a closed one refuses a transfer)."""
        now = self.services.clock.now()
        items = [{"id": q.id, "name": q.name, "open": is_open(q, now).open}
                 for q in await queue_repository.list_queues(self.services.pool)]
        return {"type": "queues", "items": sorted(items, key=lambda q: (q["name"].casefold(), q["id"]))}

    async def _create_contact(self, engine: Any, message: protocol.CreateContact) -> None:
        """Create the unknown inbound caller's lead where the pop said (the queue's campaign, or Inbound contacts),
        tie the call to it, and pop the call again with its lead."""
        call = engine_method(engine, "agent_state")(self.user.id).get("call")
        context = engine.call_context.get(int(message.call_id)) if call and call["call_id"] == message.call_id \
            else None
        if not context or context.get("direction") != "inbound":
            raise ProtocolError("this is not your inbound call")
        if context.get("lead_id") is not None:
            raise ProtocolError("this caller already has a lead")
        queue = await queue_repository.get_queue(self.services.pool, queue_id=int(context["queue_id"]))
        try:
            lead_id = await leads.create_contact(self.services.pool, queue=queue, phone=str(context.get("number") or ""),
                                                 first_name=message.first_name.strip(),
                                                 last_name=message.last_name.strip())
        except CampaignError as exc:
            raise ProtocolError(str(exc)) from None
        context["lead_id"] = lead_id
        await self.services.pool.execute("UPDATE call_records SET lead_id=$2 WHERE id=$1", int(message.call_id),
                                         lead_id)
        await self._inbound_pop(engine, call, context)

    async def _search(self, text: str) -> dict[str, Any]:
        from campaigns import repository as campaigns_repo

        campaign = await self._current_campaign()
        found = await campaigns_repo.search_leads(self.services.pool, campaign_id=campaign.id, text=text, limit=20)
        return {"type": "leads", "items": [leads.lead_view(lead) for lead in found]}

    async def _callbacks(self) -> dict[str, Any]:
        """The agent's own pending callbacks and the campaign's shared ones, by due time."""
        from campaigns import repository as campaigns_repo

        campaign = await self._current_campaign()
        pool = self.services.pool
        items = []
        for callback in await campaigns_repo.list_callbacks(pool, campaign_id=campaign.id, agent_id=self.user.id):
            found = await leads.lead_for(pool, user_id=self.user.id, role=self.user.role, lead_id=callback.lead_id)
            if found is None:
                continue
            zone = found[0].zones_or(campaign.timezone)[0]    # shown on the customer's clock, with its zone
            items.append({"id": callback.id, "due_at": callback.due_at.isoformat(), "note": callback.note,
                          "zone": zone, "due_local": callback.due_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"),
                          "personal": callback.agent_id is not None, "lead": leads.lead_view(found[0])})
        return {"type": "callbacks", "items": items}

    # --- the engine's state, and pops -------------------------------------------------------------
    async def _pump(self) -> None:
        engine = running_engine(self.ws)
        if engine is None:
            await self.send({"type": "state", "state": "logged_out", "engine": False, "call": None,
                             "in_state_s": 0, "calls_today": 0, "talk_s": 0})
        while engine is None:   # the engine starts after the web server: wait for it
            await self.services.clock.sleep(2.0)
            engine = running_engine(self.ws)
        watch = panel_watch(engine)
        if watch is not None:
            watch.opened(self.user.id, self.tab_id)
            self._watch = watch
        async for view in engine.subscribe_agent(self.user.id):
            await self._on_state(dict(view))

    async def _heartbeat(self) -> None:
        """Ask the panel for a sign of life every third of the grace period; close it when silent for all of it."""
        clock = self.services.clock
        grace_s = self.services.settings.panel_grace_s
        while True:
            await clock.sleep(grace_s / 3)
            silent_s = clock.monotonic() - self.last_heard
            if silent_s >= grace_s:
                log.info("panel %s of user %s silent for %.1f s: closing it", self.tab_id, self.user.id, silent_s)
                self._silent_s = silent_s
                with contextlib.suppress(RuntimeError):    # already closed from the other side
                    await self.ws.close(CLOSE_SILENT)
                raise SessionEnded()
            await self.send({"type": "heartbeat"})

    async def _on_state(self, view: dict[str, Any]) -> None:
        view["type"] = "state"
        view["engine"] = True
        if view.get("state") == "paused" and view.get("pause_reason") == DISCONNECTED:
            view["notice"] = "paused_disconnected"
        if view.get("campaign_id") is not None:
            self.campaign_id = int(view["campaign_id"])
        call = view.get("call")
        call_id = str(call["call_id"]) if call else None
        if call is not None and call_id != self.popped:
            self.popped = call_id
            await self._pop(call)
        elif call_id is None:
            self.popped = None
        await self.send(view)

    async def _pop(self, call: dict[str, Any]) -> None:
        engine = running_engine(self.ws)
        context = getattr(engine, "call_context", {}).get(int(call["call_id"])) if engine is not None else None
        if context and context.get("direction") == "inbound":
            await self._inbound_pop(engine, call, context)
            return
        pool = self.services.pool
        lead_id = call.get("lead_id")
        found = None
        if lead_id is not None:
            found = await leads.lead_for(pool, user_id=self.user.id, role=self.user.role, lead_id=int(lead_id))
        campaign = found[1] if found else None
        if campaign is None and call.get("campaign_id") is not None:
            campaign = await leads.campaign_for(pool, user_id=self.user.id, role=self.user.role,
                                                campaign_id=int(call["campaign_id"]))
        lead = found[0] if found else None
        await self.send({
            "type": "pop", "call_id": str(call["call_id"]), "number": call.get("number"),
            "lead": leads.lead_view(lead) if lead else None,
            "history": await leads.history(pool, lead_id=lead.id) if lead else [],
            "messages": await self._sms_history(lead.id) if lead else [],     # its text messages, both ways
            "campaign": leads.campaign_view(campaign) if campaign else None,
            "zone": (lead.zones_or(campaign.timezone)[0] if lead and campaign else "UTC"),
            # a caller who pressed 1 in a queue, called back (dialer.queue_callbacks): its queue and wait
            "queue_callback": (context or {}).get("queue_callback"),
            # a customer who pressed 0 in a survey (dialer.survey_desk): the survey's name and the answers given
            "from_survey": (context or {}).get("from_survey"),
            **self._script(campaign, lead, call.get("number")),
        })
        await self._survey_start(call, campaign, lead)
        if lead is not None and campaign is not None and campaign.crm_url_template:
            self._background(self._crm(str(call["call_id"]), campaign.crm_url(lead)))

    async def _inbound_pop(self, engine: Any, call: dict[str, Any], context: dict[str, Any]) -> None:
        """An inbound caller's pop (``dialer.inbound_pop``): its queue, number, wait, its leads across campaigns
        with their history (or where a new contact goes), the queue's dispositions; the CRM of the first lead's
        campaign follows as for an outbound call."""
        pool = self.services.pool
        caller = str(context.get("number") or call.get("number") or "")
        found = await leads.caller_leads(pool, caller=caller, also_lead_id=context.get("lead_id"))
        matches = [{"lead": leads.lead_view(lead), "campaign": leads.campaign_view(campaign),
                    "history": await leads.history(pool, lead_id=lead.id)} for lead, campaign in found]
        queue = await queue_repository.get_queue(pool, queue_id=int(context["queue_id"]))
        running = getattr(engine, "calls", {}).get(int(call["call_id"]))
        waited = inbound_pop.waited_s(getattr(running, "ready_at", None), getattr(running, "connected_at", None),
                                      engine.clock.monotonic())
        new_contact = None if found else await leads.contact_campaign(pool, queue)
        pop = inbound_pop.inbound_pop(call_id=call["call_id"], caller=caller, context=context, waited=waited,
                                      dispositions=[{"code": d.code, "label": d.label} for d in queue.dispositions],
                                      matches=matches, new_contact=new_contact)
        pop["messages"] = await self._sms_history(found[0][0].id) if found else []
        await self.send(pop)
        if found and found[0][1].crm_url_template:
            self._background(self._crm(str(call["call_id"]), found[0][1].crm_url(found[0][0])))

    async def _sms_history(self, lead_id: int) -> list[dict[str, Any]]:
        """The lead's text messages for the pop (``leads.sms_history``), reasons in the agent's language."""
        from admin_ui.i18n import translator

        return await leads.sms_history(self.services.pool, lead_id=lead_id, t=translator(self.user.language))

    # --- the campaign's scripted survey (agents_ws.scripted_survey) -------------------------------
    async def _survey_start(self, call: dict[str, Any], campaign: Any, lead: Any) -> None:
        from agents_ws import scripted_survey

        self.survey = await scripted_survey.start(
            self.services.pool, campaign_id=campaign.id if campaign else None, call_id=str(call["call_id"]),
            lead_id=lead.id if lead else None, agent_id=self.user.id, now=self.services.clock.now())
        if self.survey is not None:
            await self.send(self.survey.view())

    async def _survey_answer(self, message: protocol.SurveyAnswer) -> dict[str, Any]:
        from admin_ui.i18n import translator
        from agents_ws.scripted_survey import SurveyRefused

        t = translator(self.user.language)
        if self.survey is None or self.survey.call_id != message.call_id:
            raise ProtocolError(t("sv_panel_not_now"))
        try:
            await self.survey.answer(self.services.pool, question_id=message.question_id, value=message.value,
                                     now=self.services.clock.now())
        except SurveyRefused as refused:
            raise ProtocolError(t(f"sv_panel_{refused.code}", **refused.params)) from None
        return dict(self.survey.view())

    async def _survey_done(self, call_id: str) -> None:
        """The disposition is saved: close the survey's response with it."""
        if self.survey is not None and self.survey.call_id == call_id:
            survey, self.survey = self.survey, None
            await survey.finish(self.services.pool, now=self.services.clock.now())

    def _script(self, campaign: Any, lead: Any, number: str | None) -> dict[str, Any]:
        """The campaign's agent script filled in for this call (``script``), or why it could not be
        (``script_problem``); nothing when the campaign has none."""
        if campaign is None or not campaign.agent_script.strip():
            return {}
        values = {"first_name": lead.first_name if lead else "", "last_name": lead.last_name if lead else "",
                  "phone": lead.phone_e164 if lead else (number or ""), "postal_code": lead.postal_code if lead else "",
                  "agent_name": self.user.display_name, "campaign_name": campaign.name,
                  "fields": {str(k): v for k, v in dict(lead.fields).items()} if lead else {}}
        try:
            return {"script": render_script(campaign.agent_script, values)}
        except CampaignError as exc:
            return {"script_problem": str(exc).removeprefix("the script could not be filled in: ")}

    async def _crm(self, call_id: str, url: str) -> None:
        answer = await fetch_crm(url)
        try:
            await self.send({"type": "crm", "call_id": call_id, **answer})
        except (WebSocketDisconnect, RuntimeError):
            pass

    def _background(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("panel background task of user %s failed", self.user.id, exc_info=t.exception())

        task.add_done_callback(done)


SessionFactory = Callable[[WebSocket, CurrentUser, TabRegistry], PanelSession]
