"""The agent panel's websocket protocol: JSON messages with an explicit ``type``, validated at the edge.

Client -> server messages are the Pydantic models below (``parse_message`` turns text into one, or
raises ``ProtocolError`` with a message for the agent). Server -> client messages are plain dicts:

* ``hello``  {user, campaigns, active, engine}: once, on connect
* ``state``  the engine's ``agent_state`` (state, in_state_s, calls_today, talk_s, call, ...; ``notice``:
  ``paused_disconnected`` when the agent was paused because its panels were all gone)
* ``heartbeat`` {}: every third of ``settings.panel_grace_s``; the panel answers with a ``ping``, and a panel
  silent for the whole grace period is closed (4408) and counts as gone (``dialer.presence``)
* ``pop``    {call_id, lead, history, campaign, zone, script | script_problem}: at once when a call reaches the
  agent (``script``: the campaign's agent script filled in for the call; ``campaign`` in ``hello`` and ``pop``
  carries the panel's ``shortcuts`` and ``pause_codes``; a ``pause`` reason must be one of those codes)
* ``crm``    {call_id, ok, data | error}: the external CRM's answer, when it arrives
* ``agents`` {items: [{id, name}]}: the ready agents of the campaign (but this one), to transfer to
* ``queues`` {items: [{id, name, open}]}: the inbound queues, to transfer a customer to (``transfer`` with
  ``to_queue_id``)
* an inbound call's ``pop`` (``dialer.inbound_pop``) has ``direction: "inbound"``, ``queue`` {id, name}, ``did``,
  ``waited_s``, ``vip``, ``dispositions`` (the queue's), ``matches`` [{lead, campaign, history}], ``new_contact``
  {id, name} (no lead matched: where ``create_contact`` puts the caller) and ``queue_transfer`` {from_agent_id,
  from_name, from_call_id} when a colleague sent the customer to the queue
* ``survey`` {call_id, survey_id, name, question | null, answers, done, completed}: the campaign's scripted survey
  (``agents_ws.scripted_survey``) after the pop and after each ``survey_answer``
* the state's ``call.recording`` {active, paused}: the call is recorded, and its recording paused (``recording``
  {paused} asks for it; only the agent on the call may: dialer.recordings_desk)
* ``preview`` {lead}, ``leads`` {items}, ``callbacks`` {items}, ``tab`` {active, reason}, ``ok`` {request},
  ``error`` {message, request}, ``expired`` {}, ``pong`` {}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from dialer.errors import DialerError


class ProtocolError(DialerError):
    """A message the server cannot accept; the text is meant for the agent."""


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Login(_Msg):
    type: Literal["login"]
    campaign_id: int


class Ready(_Msg):
    type: Literal["ready"]


class Pause(_Msg):
    type: Literal["pause"]
    reason: str = Field(min_length=1, max_length=100)


class Logout(_Msg):
    type: Literal["logout"]


class Hangup(_Msg):
    type: Literal["hangup"]


class Dispose(_Msg):
    type: Literal["dispose"]
    call_id: str = Field(min_length=1, max_length=40)
    code: str = Field(min_length=1, max_length=64)
    notes: str = Field("", max_length=4000)
    callback_at: str | None = Field(None, max_length=40)     # local "YYYY-MM-DDTHH:MM" in callback_zone
    callback_zone: str | None = Field(None, max_length=64)
    callback_personal: bool = True


class Transfer(_Msg):
    type: Literal["transfer"]
    to_agent_id: int | None = None
    to_number: str | None = Field(None, max_length=32)
    to_queue_id: int | None = None      # cold transfer to an inbound queue (Engine.transfer_to_queue)

    @model_validator(mode="after")
    def _one_target(self) -> Transfer:
        if sum((self.to_agent_id is not None, bool(self.to_number), self.to_queue_id is not None)) != 1:
            raise ValueError("give either an agent, a number or a queue to transfer to")
        return self


class Queues(_Msg):
    """The inbound queues, by name (to pick one to transfer to)."""
    type: Literal["queues"]


class CreateContact(_Msg):
    """The inbound caller of ``call_id`` is nobody known: create its lead (``dialer.inbound_pop.contact_campaign``)."""
    type: Literal["create_contact"]
    call_id: str = Field(min_length=1, max_length=40)
    first_name: str = Field("", max_length=200)
    last_name: str = Field("", max_length=200)


class Warm(_Msg):
    """A transfer to an agent who joins first: ``consult`` (talk first, the customer on hold) or ``three_way`` (all
    three) bring ``to_agent_id`` in; ``conference`` turns a consult into a 3-way; ``complete`` (the sender
    leaves, the agent owns the call) or ``cancel`` (the agent goes back) end it."""
    type: Literal["warm"]
    action: Literal["consult", "three_way", "conference", "complete", "cancel"]
    to_agent_id: int | None = None

    @model_validator(mode="after")
    def _agent_to_bring(self) -> Warm:
        if (self.action in ("consult", "three_way")) != (self.to_agent_id is not None):
            raise ValueError("an agent is given to bring into the call, and only then")
        return self


class ReadyAgents(_Msg):
    """The ready agents of the agent's campaign, by name (to pick one to transfer to)."""
    type: Literal["agents"]


class PreviewNext(_Msg):
    type: Literal["preview_next"]


class PreviewDial(_Msg):
    type: Literal["preview_dial"]
    lead_id: int


class PreviewSkip(_Msg):
    type: Literal["preview_skip"]
    lead_id: int


class Dial(_Msg):
    type: Literal["dial"]
    lead_id: int


class DialNumber(_Msg):
    """A number the agent typed (national form in the campaign's region, or +CC...)."""
    type: Literal["dial_number"]
    number: str = Field(min_length=1, max_length=40)


class SearchLeads(_Msg):
    type: Literal["search"]
    text: str = Field("", max_length=100)


class Callbacks(_Msg):
    type: Literal["callbacks"]


class TakeOver(_Msg):
    type: Literal["take_over"]


class Ping(_Msg):
    type: Literal["ping"]


class SurveyAnswer(_Msg):
    """The customer's answer to the scripted survey's question on screen (``value`` None: no answer, skip)."""
    type: Literal["survey_answer"]
    call_id: str = Field(min_length=1, max_length=40)
    question_id: str = Field(min_length=1, max_length=40)
    value: str | None = Field(None, max_length=2000)


class RecordingPause(_Msg):
    """Pause (``paused`` true) or resume the call's recording during a card payment (dialer.recordings_desk)."""

    type: Literal["recording"]
    paused: bool


ClientMessage = Annotated[
    Login | Ready | Pause | Logout | Hangup | Dispose | Transfer | PreviewNext | PreviewDial | PreviewSkip | Dial
    | DialNumber | ReadyAgents | Warm | SearchLeads | Callbacks | TakeOver | Ping | Queues | CreateContact
    | SurveyAnswer | RecordingPause,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(ClientMessage)

# Messages a read-only tab (the agent's second tab) may still send.
READ_ONLY_ALLOWED = frozenset({"take_over", "ping", "search", "callbacks"})


def parse_message(text: str) -> Any:
    """The message in ``text``; ``ProtocolError`` naming the problem when it is not a valid message."""
    try:
        return _ADAPTER.validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) if len(first["loc"]) > 1 else ""
        raise ProtocolError(f"invalid message{' (' + where + ')' if where else ''}: {first['msg']}") from None


def error(message: str, request: str | None = None) -> dict[str, Any]:
    return {"type": "error", "message": message, "request": request}


def ok(request: str) -> dict[str, Any]:
    return {"type": "ok", "request": request}
