"""What the far end of an originated leg does, decided up front from the dial string, pure.

``Local/<number>@sim-customer`` follows the first-digit rules of the recordings' ``[sim-customer]``
context (see ``/work/shared/asterisk-ami/config/extensions.conf``): 1RTT human, 2R00 busy, 3000 no
answer, 4R00 congestion, 5RTT machine (long greeting), 6RTT machine (dead air), 7R00 answer then drop,
8CCC reject with cause CCC, 9RTT NOTSURE; R = ring seconds, TT = seconds on the line. Any other dial
string draws its fate from the shared ``CustomerModel``. Times are simulated seconds.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass

from simulations.call_model import CustomerFate, CustomerModel, Outcome

SIM_CUSTOMER = "sim-customer"
SIM_AGENT_PHONE = "sim-agent-phone"
NEVER = math.inf

# AMDCAUSE values as app_amd reports them with the stock amd.conf (see e_amd_results.txt)
AMD_CAUSES = {"HUMAN": "HUMAN-800-800", "MACHINE": "LONGGREETING-1500-1500", "NOTSURE": "TOOLONG-4900"}


class FarOutcome(enum.Enum):
    ANSWER = "answer"
    BUSY = "busy"  # Busy() in the far dialplan / 486 on a trunk: Reason 5
    CONGESTION = "congestion"  # Congestion() / 503: Reason 8
    NO_ANSWER = "no_answer"  # rings until the Originate Timeout: Reason 3, cause 19
    REJECT = "reject"  # hangs up before answer with ``cause``: Reason 0
    NO_EXTENSION = "no_extension"  # Local/<x>@<ctx> where <x> does not exist: Reason 0, cause 0


@dataclass(frozen=True, slots=True)
class DialTarget:
    """A dial string split as Asterisk names its channels."""

    tech: str  # Local, PJSIP, SIP, ...
    resource: str  # what follows the tech: "1205@sim-customer", "+336...@carrier", "agent7"
    local: bool
    number: str  # the extension (Local) or the dialled number/endpoint
    context: str  # Local: the context after '@'; else ""
    name_base: str  # channel name without the "-0000001a" suffix

    def channel_name(self, seq: int, half: int = 1) -> str:
        """The channel name Asterisk gives sequence number ``seq`` (``half`` 1 or 2 for Local)."""
        name = f"{self.name_base}-{seq:08x}"
        return f"{name};{half}" if self.local else name


def parse_dial_string(dial: str) -> DialTarget | None:
    """Split ``Tech/resource``; None when there is no technology part."""
    tech, sep, resource = dial.partition("/")
    if not sep or not tech or not resource:
        return None
    resource = resource.split("/n", 1)[0] if tech == "Local" else resource
    if tech == "Local":
        number, _, context = resource.partition("@")
        return DialTarget(
            tech, resource, True, number, context or "default", f"Local/{number}@{context or 'default'}"
        )
    head, at, peer = resource.partition("@")
    if at:  # PJSIP/+3361234@carrier -> PJSIP/carrier-...
        return DialTarget(tech, resource, False, head, "", f"{tech}/{peer}")
    first, slash, rest = resource.partition("/")
    if slash:  # SIP/carrier/+3361234 -> SIP/carrier-...
        return DialTarget(tech, resource, False, rest, "", f"{tech}/{first}")
    return DialTarget(tech, resource, False, resource, "", f"{tech}/{resource}")


@dataclass(frozen=True, slots=True)
class FarPlan:
    """The far end's behaviour for one leg."""

    outcome: FarOutcome
    ring_s: float = 0.0
    cause: int = 0  # REJECT: the Q.850 cause
    ringing: bool = True  # sends Ringing before answering/failing
    machine: bool = False
    drop_s: float = NEVER  # after answer, hangs up this long later unless talking to an agent
    talk_s: float = NEVER  # once with an agent, hangs up this long later
    greeting_s: float = 0.0  # machines: the greeting before the beep
    amd_status: str = "HUMAN"
    amd_cause: str = "HUMAN-800-800"
    amd_s: float = 3.0
    label: str = "human"  # what CallRecord.outcome says for an answered leg


def sim_customer_plan(number: str) -> FarPlan:
    """The first-digit rules of the recordings' ``[sim-customer]`` context."""
    if len(number) != 4 or not number.isdigit() or number[0] == "0":
        return FarPlan(FarOutcome.NO_EXTENSION, ringing=False)
    kind, ring, tt = number[0], float(number[1]), float(number[2:])
    on_line = 5.0 + tt  # Playback of ~5 s, then Wait(TT), then Hangup
    if kind == "1":
        return FarPlan(FarOutcome.ANSWER, ring, drop_s=on_line, talk_s=tt or 1.0)
    if kind == "2":
        return FarPlan(FarOutcome.BUSY, ring)
    if kind == "3":
        return FarPlan(FarOutcome.NO_ANSWER, NEVER)
    if kind == "4":
        return FarPlan(FarOutcome.CONGESTION, ring)
    if kind == "5":
        return FarPlan(
            FarOutcome.ANSWER,
            ring,
            machine=True,
            drop_s=on_line,
            talk_s=on_line,
            greeting_s=4.0,
            amd_status="MACHINE",
            amd_cause="LONGGREETING-1500-1500",
            amd_s=3.25,
            label="machine",
        )
    if kind == "6":
        return FarPlan(
            FarOutcome.ANSWER,
            ring,
            machine=True,
            drop_s=on_line,
            talk_s=on_line,
            greeting_s=0.0,
            amd_status="MACHINE",
            amd_cause="INITIALSILENCE-2500-2500",
            amd_s=3.0,
            label="machine",
        )
    if kind == "7":
        return FarPlan(FarOutcome.ANSWER, ring, drop_s=0.5, talk_s=0.5, label="dropped")
    if kind == "8":
        return FarPlan(FarOutcome.REJECT, 1.0, cause=int(number[1:]))
    return FarPlan(
        FarOutcome.ANSWER,
        ring,
        drop_s=tt,
        talk_s=tt or 1.0,
        amd_status="NOTSURE",
        amd_cause="TOOLONG-4900",
        amd_s=5.0,
    )


def model_plan(fate: CustomerFate, model: CustomerModel, machine_record_s: float) -> FarPlan:
    """Map a ``CustomerFate`` drawn from the shared call model onto the far end's behaviour."""
    if fate.outcome is Outcome.BUSY:
        return FarPlan(FarOutcome.BUSY, fate.ring_s)
    if fate.outcome is Outcome.CONGESTION:
        return FarPlan(FarOutcome.CONGESTION, fate.ring_s)
    if fate.outcome is Outcome.INVALID:
        return FarPlan(FarOutcome.REJECT, fate.ring_s, cause=1)
    if fate.outcome is Outcome.NO_ANSWER:
        return FarPlan(FarOutcome.NO_ANSWER, NEVER)
    amd_cause = AMD_CAUSES.get(fate.amd_result, "")
    if fate.outcome is Outcome.MACHINE:
        stay = fate.talk_s + machine_record_s
        return FarPlan(
            FarOutcome.ANSWER,
            fate.ring_s,
            machine=True,
            drop_s=stay,
            talk_s=stay,
            greeting_s=fate.talk_s,
            amd_status=fate.amd_result,
            amd_cause=amd_cause,
            amd_s=fate.amd_s,
            label="machine",
        )
    return FarPlan(
        FarOutcome.ANSWER,
        fate.ring_s,
        drop_s=fate.patience_s,
        talk_s=fate.talk_s,
        amd_status=fate.amd_result,
        amd_cause=amd_cause,
        amd_s=fate.amd_s,
    )


def agent_phone_plan(answer_s: float) -> FarPlan:
    """A virtual agent's phone: answers at once (no ringing) and stays until hung up."""
    return FarPlan(FarOutcome.ANSWER, answer_s, ringing=False, label="agent")


def plan_for(
    target: DialTarget,
    *,
    agent_leg: bool,
    rng: random.Random,
    model: CustomerModel,
    elapsed_s: float,
    agent_answer_s: float,
    machine_record_s: float,
) -> FarPlan:
    """The far end's plan for ``target``; agent legs (landing in ``dialer-agent``) auto-answer."""
    if target.local and target.context == SIM_CUSTOMER:
        return sim_customer_plan(target.number)
    if agent_leg or (target.local and target.context == SIM_AGENT_PHONE):
        return agent_phone_plan(agent_answer_s)
    return model_plan(model.draw(rng, elapsed_s), model, machine_record_s)


def dial_status(outcome: FarOutcome, cause: int) -> str:
    """DialEnd's DialStatus for a leg that did not answer."""
    if outcome is FarOutcome.BUSY or (outcome is FarOutcome.REJECT and cause == 17):
        return "BUSY"
    if outcome is FarOutcome.CONGESTION or (outcome is FarOutcome.REJECT and cause in (34, 38, 42)):
        return "CONGESTION"
    if outcome is FarOutcome.NO_EXTENSION:
        return "CHANUNAVAIL"
    return "NOANSWER"  # recorded for cause 1 (c8: Local/8001) and for ring-outs
