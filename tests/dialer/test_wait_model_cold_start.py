"""The wait model in a queue's first minutes: calls in progress that have lasted longer than every finished call
(censored in the Kaplan-Meier curve, which then stays flat: it knows nothing past the longest finished call) end at
the usual rate, an exponential tail with the model's mean, instead of never within the model's grid. Found by
``benchmarks/bench_wait_estimate.py``: the hotline's first callers were told 168 s and 328 s and waited 44 s and
40 s, which alone made its MAE worse than estimating 0 for everyone."""

from __future__ import annotations

import math

import pytest

from dialer.wait_model import BusyAgent, QueueView, WaitModel
from pacing.estimators import HandleTimeModel

FIRST_CALLS = (20.0, 28.0, 33.0, 38.0, 45.0)          # the queue's first finished calls: mean 32.8 s


def early_model() -> WaitModel:
    handle = HandleTimeModel()
    for seconds in FIRST_CALLS:
        handle.observe(seconds)
    return WaitModel(handle=handle)


def test_a_call_longer_than_every_finished_one_ends_at_the_usual_rate() -> None:
    model = early_model()
    one = model.estimate(QueueView(ahead=0, idle=0, busy=(BusyAgent(elapsed_s=70.0),)))
    mean = sum(FIRST_CALLS) / len(FIRST_CALLS)
    assert one.point_s == pytest.approx(mean * math.log(2), rel=0.2)       # the median of an exponential
    assert one.p90_s == pytest.approx(mean * math.log(10), rel=0.2)


def test_the_first_callers_behind_eight_long_calls_are_not_told_minutes() -> None:
    view = QueueView(ahead=7, idle=0, busy=tuple(BusyAgent(float(e)) for e in (21, 26, 43, 46, 48, 52, 61, 70)))
    estimate = early_model().estimate(view)
    assert 20.0 < estimate.point_s < 90.0 and estimate.p90_s < 120.0      # it was 314 s (p90 340 s)
