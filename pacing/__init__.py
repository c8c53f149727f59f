"""Queueing maths, online estimators and pacers: how many calls to place now (pure; imports nothing of ours).

The contract (``pacing.contract``): the runner builds a ``Snapshot`` each second, feeds every outcome
to ``pacer.observe`` (``DialOutcome``, ``CallHandled``, ``Abandoned``) and places ``pacer.decide(snap).calls``
calls; ``decision.why`` explains it in one line. ``make_pacer(name, **options)`` builds one of
``progressive``, ``power`` (``ratio=``, ``target_abandon=``), ``predictive`` (``target_abandon=``, see
``PredictiveSettings``), ``vicidial`` (``max_level=``, ``available_only=``, ``drop_method=``) and ``preview``.

Blending (agents who also serve inbound queues): ``make_pacer("predictive", target_abandon=0.03,
service_level=(0.90, 15.0))`` also reads ``Snapshot.inbound_waiting`` (seconds each inbound caller has
waited) and learns from ``InboundArrived``, ``InboundAnswered``, ``InboundAbandoned`` and
``CallHandled(inbound=True)``; it keeps a reserve of idle agents for the inbound service level
(``pacing.blending``). ``agents_busy`` covers agents on any call. Without ``service_level`` nothing changes.

Abandonment budget across restarts: the predictive and power pacers own an ``AbandonmentWindows`` (live
answers and abandons over 24 h, 30 days and the last hour). At start the runner seeds it from the call
records: ``pacer.seed_history(answers=[...], abandons=[...])`` with each time converted to the pacer's clock,
``t = clock.monotonic() - (clock.now() - recorded_at).total_seconds()``. A ``DialOutcome`` with
``machine=True`` is not a live answer; ``DialOutcome(connected=False, ring_s=...)`` is a censored ring time.

Modules: ``erlang`` (Erlang B, C, A and staffing), ``estimators`` (connect rate, ring and handle times),
``windows`` (abandonment windows), ``simple_pacers``, ``predictive``, ``vicidial``, ``inbound_load``
(inbound arrival rate, service-level windows) and ``blending`` (the reserve of idle agents).
"""

from __future__ import annotations

from typing import Any

from pacing.contract import (
    Abandoned,
    CallHandled,
    Decision,
    DialOutcome,
    Event,
    InboundAbandoned,
    InboundAnswered,
    InboundArrived,
    Pacer,
    Snapshot,
)
from pacing.erlang import (
    agents_for_abandonment,
    agents_for_service_level,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    service_level,
)
from pacing.predictive import PredictivePacer, PredictiveSettings
from pacing.simple_pacers import PowerPacer, PreviewPacer, ProgressivePacer
from pacing.vicidial import VicidialPacer
from pacing.windows import AbandonmentWindows, WindowCounts

PACERS = ("progressive", "power", "predictive", "vicidial", "preview")


def make_pacer(name: str, **options: Any) -> Pacer:
    """Build the pacer called ``name`` with keyword ``options``; unknown names raise ``ValueError``.

    ``service_level=(target, answer_s)`` (blending) is the predictive pacer's; ``None`` is the same as
    leaving it out.
    """
    if options.get("service_level") is None:
        options.pop("service_level", None)
    elif name != "predictive":
        raise ValueError(f"service_level (blending) needs the predictive pacer, not {name!r}")
    if name == "progressive":
        options.pop("target_abandon", None)
        return ProgressivePacer(**options)
    if name == "power":
        return PowerPacer(**options)
    if name == "predictive":
        return PredictivePacer(**options)
    if name == "vicidial":
        return VicidialPacer(**options)
    if name == "preview":
        options.pop("target_abandon", None)
        return PreviewPacer(**options)
    raise ValueError(f"unknown pacer {name!r}; choose one of {', '.join(PACERS)}")


__all__ = [
    "PACERS", "Abandoned", "AbandonmentWindows", "CallHandled", "Decision", "DialOutcome", "Event",
    "InboundAbandoned", "InboundAnswered", "InboundArrived", "Pacer",
    "PowerPacer", "PredictivePacer", "PredictiveSettings", "PreviewPacer", "ProgressivePacer", "Snapshot",
    "VicidialPacer", "WindowCounts", "agents_for_abandonment", "agents_for_service_level",
    "average_speed_of_answer", "erlang_a", "erlang_b", "erlang_c", "make_pacer", "service_level",
]
