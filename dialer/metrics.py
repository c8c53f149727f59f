"""Prometheus metrics of the engine, on their own registry (served at ``GET /metrics``).

Histograms are observed where things happen (the runner times ``pacer.decide``; the engine times the
wait from "customer ready" to "customer in the agent's conference"); gauges and counters are read
from the live engine at scrape time by ``EngineCollector``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

PACER_DECISION_SECONDS = Histogram(
    "dialer_pacer_decision_seconds", "Time one pacer.decide() takes", registry=REGISTRY,
    buckets=(0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05))
ANSWER_TO_AGENT_SECONDS = Histogram(
    "dialer_answer_to_agent_seconds", "From a customer known to be a person to joining an agent's conference",
    registry=REGISTRY, buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0))


class EngineCollector(Collector):
    """Reads the engine's live state when Prometheus scrapes."""

    def __init__(self, engine_of: Callable[[], Any]) -> None:
        self.engine_of = engine_of

    def collect(self) -> Iterator[Metric]:
        engine = self.engine_of()
        if engine is None:
            return
        state = engine.live_state()
        yield GaugeMetricFamily("dialer_calls_in_flight", "Outbound calls dialling or ringing",
                                value=state["calls_in_flight"])
        yield GaugeMetricFamily("dialer_calls_waiting", "Answered calls waiting for an agent",
                                value=state["calls_waiting"])
        yield GaugeMetricFamily("dialer_dial_rate_per_minute", "Originates over the last minute",
                                value=state["dial_rate_per_min"])
        agents = GaugeMetricFamily("dialer_agents", "Signed-in agents by state", labels=["state"])
        for name, count in sorted(state["agents"].items()):
            agents.add_metric([name], count)
        yield agents
        outcomes = CounterMetricFamily("dialer_call_outcomes", "Finished calls by outcome since start",
                                       labels=["outcome"])
        for name, count in sorted(state["outcomes"].items()):
            outcomes.add_metric([name], count)
        yield outcomes
        yield CounterMetricFamily("dialer_connects", "Live answers since start",
                                  value=sum(state["outcomes"].get(k, 0) for k in ("handled", "abandoned")))
        yield CounterMetricFamily("dialer_abandons", "Abandoned calls since start", value=state["abandoned"])
        stats = getattr(engine.pbx, "statistics", None)
        if callable(stats):
            rtt = GaugeMetricFamily("dialer_ami_ping_rtt_seconds", "AMI round trip of the last Ping",
                                    labels=["server"])
            up = GaugeMetricFamily("dialer_ami_up", "1 when the AMI link is logged in", labels=["server"])
            for server in stats():
                up.add_metric([server.name], 1.0 if server.up else 0.0)
                if server.ping_rtt_s is not None:
                    rtt.add_metric([server.name], server.ping_rtt_s)
            yield up
            yield rtt


_collector: EngineCollector | None = None


def install_engine_collector(engine_of: Callable[[], Any]) -> None:
    """Register the live-state collector once per process."""
    global _collector
    if _collector is None:
        _collector = EngineCollector(engine_of)
        REGISTRY.register(_collector)
    else:
        _collector.engine_of = engine_of
